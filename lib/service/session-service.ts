import { SessionNotFoundError } from "../errors.js";
import type { SessionScope, SessionSummary } from "../store/workflow-store.js";
import { Enrichment, type EnrichmentOptions, type SessionListItem } from "./enrichment.js";
import { normalizeLabel } from "./labels.js";
import { ListPages, type ListQuery, type SessionPage } from "./list-page.js";

/**
 * What {@link SessionService} needs: the store and the flow, the host's `enrich`, `label` and `stepTitle` callbacks
 * with their `columns` and `enrichCacheSize`, and the logger for the callbacks' problems. The resolved manager
 * options have all of these; any object with these fields will do.
 */
export type SessionServiceOptions = EnrichmentOptions;

/**
 * The rules of the session manager for one flow: the list's windows, label resolution, enrichment of the rows being
 * shown, and what happens to the active session on delete. Knows nothing of HTTP; returns domain objects and throws
 * `SessionManagerError`s. Every method takes a `scope`: with an owner, only that owner's sessions exist for the call.
 */
export class SessionService {
  private readonly store: SessionServiceOptions["store"];
  private readonly flowId: string;
  private readonly enrichment: Enrichment;
  private readonly pages: ListPages;

  constructor(options: SessionServiceOptions) {
    this.store = options.store;
    this.flowId = options.flowId;
    this.enrichment = new Enrichment(options);
    this.pages = new ListPages(options.store, options.flowId, this.enrichment);
  }

  /** One window of sessions, enriched (see {@link ListPages.read}). */
  listPage(query: ListQuery, scope: SessionScope = {}): Promise<SessionPage> {
    return this.pages.read(query, scope);
  }

  /** One session, enriched; throws {@link SessionNotFoundError} when it does not exist. */
  async getItem(sessionId: string, scope: SessionScope = {}): Promise<SessionListItem> {
    const [item] = await this.enrichment.enrichAll([await this.requireSession(sessionId, scope)], scope);
    return item!;
  }

  /** These sessions as the list shows them (labels, step titles, host columns), in the order given. */
  itemsOf(summaries: SessionSummary[], scope: SessionScope = {}): Promise<SessionListItem[]> {
    return this.enrichment.enrichAll(summaries, scope);
  }

  /** The session's summary; throws {@link SessionNotFoundError} when it is not a session of this flow. */
  async requireSession(sessionId: string, scope: SessionScope = {}): Promise<SessionSummary> {
    const summary = await this.store.getSessionSummary(this.flowId, sessionId, scope);
    if (!summary) throw new SessionNotFoundError(this.flowId, sessionId);
    return summary;
  }

  /**
   * Checks that the session may be resumed (it is one of the caller's sessions of this flow) and returns the id to
   * make active; throws {@link SessionNotFoundError} otherwise.
   */
  async resume(sessionId: string, scope: SessionScope = {}): Promise<string> {
    return (await this.requireSession(sessionId, scope)).sessionId;
  }

  /** Creates a session, with an optional label (normalized as in {@link normalizeLabel}), and returns its id. */
  async create(label?: unknown, scope: SessionScope = {}): Promise<string> {
    return this.store.createSession(this.flowId, { label: normalizeLabel(label), owner: scope.owner });
  }

  /** Sets the label (normalized; empty clears it) and returns the session as it now shows. */
  async rename(sessionId: string, label: unknown, scope: SessionScope = {}): Promise<SessionListItem> {
    const normalized = normalizeLabel(label ?? "");
    const updated = await this.store.setSessionLabel(this.flowId, sessionId, normalized, scope);
    if (!updated) throw new SessionNotFoundError(this.flowId, sessionId);
    return this.getItem(sessionId, scope);
  }

  /**
   * Deletes a session and returns the id that should be active afterwards. Deleting the active session makes the
   * most recently updated remaining session active, or a fresh one when none remain. Throws
   * {@link SessionNotFoundError} when there was no such session.
   */
  async delete(sessionId: string, activeSessionId: string | undefined, scope: SessionScope = {}): Promise<string | undefined> {
    const { store, flowId } = this;
    const deleted = await store.deleteSession(flowId, sessionId, scope);
    if (!deleted) throw new SessionNotFoundError(flowId, sessionId);
    if (activeSessionId !== undefined && activeSessionId !== sessionId) return activeSessionId;
    if (activeSessionId === undefined) return undefined;
    const [next] = await store.listSessions(flowId, { orderBy: "updated_at", descending: true, limit: 1, owner: scope.owner });
    return next?.sessionId ?? (await store.createSession(flowId, { owner: scope.owner }));
  }
}
