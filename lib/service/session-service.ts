import { randomUUID } from "node:crypto";
import { ConfigurationError, SessionNotFoundError, StoreUnavailableError, VersionConflictError } from "../errors.js";
import type { CreateHookContext, CreateSeed, HookContext, RenameHookContext } from "../options.js";
import { MAX_LABEL_LENGTH } from "../session-types.js";
import { versionDifference, type SessionRecord, type SessionScope, type SessionSummary } from "../store/workflow-store.js";
import { Enrichment, type EnrichmentOptions, type SessionListItem } from "./enrichment.js";
import { normalizeLabel } from "./labels.js";
import { ListPages, type ListQuery, type SessionPage } from "./list-page.js";
import { SessionHookRunner, type SessionHookOptions } from "./session-hooks.js";
import { changeFeedOf, type ChangeAction, type ChangeFeed } from "./change-feed.js";

/**
 * What {@link SessionService} needs: the store and the flow, the host's `enrich`, `label` and `stepTitle` callbacks
 * with their `columns` and `enrichCacheSize`, the logger for the callbacks' problems, and, optionally, the host's
 * lifecycle `hooks` with their `hookTimeoutMs`. The resolved manager options have all of these; any object with
 * these fields will do.
 */
export type SessionServiceOptions = EnrichmentOptions & Partial<Pick<SessionHookOptions, "hooks" | "hookTimeoutMs">>;

/** What every action of {@link SessionService} may be given besides its arguments. */
export interface ActionOptions {
  /**
   * The request the action serves, handed to the lifecycle hooks as `req`. The service never looks at it.
   * @default undefined
   */
  request?: unknown;
  /**
   * The session's `version` as the caller last saw it. When the session has changed since, the action throws
   * {@link VersionConflictError} and changes nothing; the check and the write are one statement. Without it, the
   * action goes ahead whatever the session's version.
   * @default undefined
   */
  expectedVersion?: string | undefined;
}

/** Options of {@link SessionService.resume}. */
export interface ResumeOptions extends ActionOptions {
  /**
   * Makes the session active (e.g. stores its id in the visitor's session), between `beforeResume` and
   * `afterResume`.
   */
  activate?: (sessionId: string) => void | Promise<void>;
}

/** The prefix of a duplicate's label. */
export const COPY_PREFIX = "Copy of ";

/**
 * The rules of the session manager for one flow: the list's windows, label resolution, enrichment of the rows being
 * shown, the host's lifecycle hooks, version checks, and what happens to the active session on delete. Knows
 * nothing of HTTP; returns domain objects and throws `SessionManagerError`s. Every method takes a `scope`: with an
 * owner, only that owner's sessions exist for the call.
 */
export class SessionService {
  private readonly store: SessionServiceOptions["store"];
  private readonly flowId: string;
  private readonly enrichment: Enrichment;
  private readonly pages: ListPages;
  private readonly hooks: SessionHookRunner;
  private readonly changes: ChangeFeed;

  constructor(options: SessionServiceOptions) {
    this.store = options.store;
    this.changes = changeFeedOf(options.store);
    this.flowId = options.flowId;
    this.enrichment = new Enrichment(options);
    this.pages = new ListPages(options.store, options.flowId, this.enrichment);
    this.hooks = new SessionHookRunner({
      hooks: options.hooks ?? {},
      hookTimeoutMs: options.hookTimeoutMs ?? 5000,
      logger: options.logger,
      flowId: options.flowId,
    });
  }

  /** `scope` with a read point, for the reads of one request to share: see `SessionScope.readPoint`. */
  async atReadPoint(scope: SessionScope): Promise<SessionScope> {
    return { ...scope, readPoint: await this.store.readPoint() };
  }

  /** One window of sessions, enriched (see {@link ListPages.read}). */
  listPage(query: ListQuery, scope: SessionScope = {}): Promise<SessionPage> {
    return this.pages.read(query, scope);
  }

  /** One session, enriched; throws {@link SessionNotFoundError} when it does not exist. */
  async getItem(sessionId: string, scope: SessionScope = {}): Promise<SessionListItem> {
    return this.itemOf(await this.requireRecord(sessionId, scope), scope);
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
   * The summaries of these sessions, in the order given (each once), read in statements of a bounded number of ids;
   * throws {@link SessionNotFoundError} for the first id that is not a session of this flow (for the scope).
   */
  async requireSessions(sessionIds: readonly string[], scope: SessionScope = {}): Promise<SessionSummary[]> {
    const summaries = await this.store.getSessionSummaries(this.flowId, sessionIds, scope);
    const found = new Set(summaries.map((summary) => summary.sessionId));
    const missing = sessionIds.find((id) => !found.has(id));
    if (missing !== undefined) throw new SessionNotFoundError(this.flowId, missing);
    return summaries;
  }

  /**
   * Checks that the session may be resumed (it is one of the caller's sessions of this flow, at `expectedVersion`
   * when given), runs `beforeResume`, `activate` and `afterResume`, and returns the id to make active. Throws
   * {@link SessionNotFoundError} or {@link VersionConflictError} otherwise.
   */
  async resume(sessionId: string, scope: SessionScope = {}, options: ResumeOptions = {}): Promise<string> {
    const record = await this.checkedRecord(sessionId, scope, options.expectedVersion);
    const item = await this.itemOf(record, scope);
    const context = this.context(options, scope, [item]);
    await this.hooks.before("beforeResume", context);
    await options.activate?.(sessionId);
    // A resume changes no row: on a database that cannot be written (read-only), it goes unrecorded, not refused.
    await this.store.recordActivity(this.flowId, sessionId, "resume", scope).catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError)) throw error;
    });
    this.changed("resume", scope, [sessionId]);
    await this.hooks.after("afterResume", context);
    return sessionId;
  }

  /**
   * Creates a session, with an optional label (normalized as in {@link normalizeLabel}), and returns its id.
   * `beforeCreate` may refuse it or seed its label, step and state, written in the same insert.
   */
  async create(label?: unknown, scope: SessionScope = {}, options: ActionOptions = {}): Promise<string> {
    return (await this.createWith({ label: normalizeLabel(label) }, undefined, scope, options)).sessionId;
  }

  /**
   * Makes a new session with the same step and the same state bytes as `sessionId` (at `expectedVersion` when
   * given), labelled "Copy of …", with a new id and new times, stamped with the scope's owner. Runs `beforeCreate`
   * and `afterCreate` with `duplicateOf` set. Returns the new session.
   */
  async duplicate(sessionId: string, scope: SessionScope = {}, options: ActionOptions = {}): Promise<SessionListItem> {
    const record = await this.checkedRecord(sessionId, scope, options.expectedVersion);
    const source = await this.itemOf(record, scope);
    const label = copyLabel(source.displayLabel);
    // One read gave the version checked and the bytes copied, so the copy is of exactly the version checked.
    return this.createWith({ label, currentStep: record.summary.currentStep, state: record.state }, source, scope, options);
  }

  /**
   * Sets the label (normalized; empty clears it) and returns the session as it now shows. With `expectedVersion`,
   * the label is written only while the session is exactly as that version saw it.
   */
  async rename(sessionId: string, label: unknown, scope: SessionScope = {}, options: ActionOptions = {}): Promise<SessionListItem> {
    const normalized = normalizeLabel(label ?? "");
    const record = await this.checkedRecord(sessionId, scope, options.expectedVersion);
    const before: RenameHookContext<unknown> = { ...this.context(options, scope, [await this.itemOf(record, scope)]), label: normalized };
    await this.hooks.before("beforeRename", before);
    const unchanged = options.expectedVersion !== undefined ? record.snapshot : undefined;
    const updated = await this.store.setSessionLabel(this.flowId, sessionId, normalized, scope, unchanged);
    if (!updated) throw await this.lostRace(sessionId, scope, options.expectedVersion);
    this.changed("rename", scope, [sessionId]);
    const item = await this.getItem(sessionId, scope);
    await this.hooks.after("afterRename", { ...this.context(options, scope, [item]), label: normalized });
    return item;
  }

  /**
   * Deletes a session and returns the id that should be active afterwards. Deleting the active session makes the
   * most recently updated remaining session active, or a fresh one when none remain. Throws
   * {@link SessionNotFoundError} when there was no such session, and {@link VersionConflictError} (deleting
   * nothing) when it is no longer at `expectedVersion`.
   */
  async delete(sessionId: string, activeSessionId: string | undefined, scope: SessionScope = {}, options: ActionOptions = {}): Promise<string | undefined> {
    const { store, flowId } = this;
    const record = await this.checkedRecord(sessionId, scope, options.expectedVersion);
    const context = this.context(options, scope, [await this.itemOf(record, scope)]);
    await this.hooks.before("beforeDelete", context);
    const deleted = await store.deleteSession(flowId, sessionId, scope, options.expectedVersion !== undefined ? record.snapshot : undefined);
    if (!deleted) throw await this.lostRace(sessionId, scope, options.expectedVersion);
    this.changed("delete", scope, [sessionId]);
    await this.hooks.after("afterDelete", context);
    if (activeSessionId !== undefined && activeSessionId !== sessionId) return activeSessionId;
    if (activeSessionId === undefined) return undefined;
    const [next] = await store.listSessions(flowId, { orderBy: "updated_at", descending: true, limit: 1, owner: scope.owner });
    if (next) return next.sessionId;
    const fresh = await store.createSession(flowId, { owner: scope.owner, activity: scope.activity });
    this.changed("create", scope, [fresh]);
    return fresh;
  }

  /** Tells the live updates of this process that the scope's sessions `sessionIds` changed (after the commit). */
  changed(action: ChangeAction, scope: SessionScope, sessionIds: readonly string[]): void {
    this.changes.publish({ action, flowId: this.flowId, owner: scope.owner, sessionIds });
  }

  /**
   * The sessions as the list shows them, for the hooks of an action on many (at most 1,000 ids); ids that do not
   * exist (for the scope) are left out.
   */
  async getItems(sessionIds: readonly string[], scope: SessionScope = {}): Promise<SessionListItem[]> {
    const found = await this.store.getSessionRecords(this.flowId, sessionIds, scope);
    if (found.length === 0) return [];
    return this.enrichment.enrichAll(found.map((record) => record.summary), scope, new Map(found.map((record) => [record.summary.sessionId, record.state])));
  }

  /**
   * The session read whole, after checking that it is at `expectedVersion` when one is given; throws
   * {@link SessionNotFoundError} or {@link VersionConflictError}. Its `snapshot` makes the write that follows
   * conditional on the row being exactly as read (see the trash's delete).
   */
  async checkedRecordOf(sessionId: string, scope: SessionScope, expectedVersion: string | undefined): Promise<SessionRecord> {
    return this.checkedRecord(sessionId, scope, expectedVersion);
  }

  /** The error for a write guarded by a snapshot that found the row changed or gone: a conflict, or not found. */
  conflictAfterLostWrite(sessionId: string, scope: SessionScope, expectedVersion: string | undefined): Promise<Error> {
    return this.lostRace(sessionId, scope, expectedVersion);
  }

  /** The host's hooks, for the actions of other services (the trash's delete, restore and purge). */
  get hookRunner(): SessionHookRunner {
    return this.hooks;
  }

  /** A hook's context for `items` (or, without them, for `sessionIds`). */
  hookContext(options: ActionOptions, scope: SessionScope, items: SessionListItem[], sessionIds?: readonly string[]): HookContext<unknown> {
    const context = this.context(options, scope, items);
    return sessionIds ? { ...context, sessionIds: [...sessionIds] } : context;
  }

  /** The session read whole; throws {@link SessionNotFoundError} when it does not exist (for the scope). */
  private async requireRecord(sessionId: string, scope: SessionScope): Promise<SessionRecord> {
    const record = await this.store.getSessionRecord(this.flowId, sessionId, scope);
    if (!record) throw new SessionNotFoundError(this.flowId, sessionId);
    return record;
  }

  /** The session read whole, after checking it is still at `expectedVersion` (when given). */
  private async checkedRecord(sessionId: string, scope: SessionScope, expectedVersion: string | undefined): Promise<SessionRecord> {
    const record = await this.requireRecord(sessionId, scope);
    if (expectedVersion !== undefined && record.version !== expectedVersion) throw await this.conflict(record, expectedVersion, scope);
    return record;
  }

  /** The error for a conditional write that found the row changed (or gone) since it was read. */
  private async lostRace(sessionId: string, scope: SessionScope, expectedVersion: string | undefined): Promise<Error> {
    const record = await this.store.getSessionRecord(this.flowId, sessionId, scope);
    if (!record || expectedVersion === undefined) return new SessionNotFoundError(this.flowId, sessionId);
    return this.conflict(record, expectedVersion, scope);
  }

  /** A {@link VersionConflictError} that says what changed between `expectedVersion` and the session as it is now. */
  private async conflict(record: SessionRecord, expectedVersion: string, scope: SessionScope): Promise<VersionConflictError> {
    const item = await this.itemOf(record, scope);
    const difference = versionDifference(expectedVersion, record.version);
    const changes: string[] = [];
    if (difference.label) changes.push(`renamed to “${item.displayLabel}”`);
    if (difference.step) changes.push(item.stepTitle === null ? "moved off its step" : `moved to step “${item.stepTitle}”`);
    if (difference.content && !difference.label && !difference.step) changes.push("updated (its progress was saved)");
    return new VersionConflictError(record.summary.sessionId, record.version, changes);
  }

  private async itemOf(record: SessionRecord, scope: SessionScope): Promise<SessionListItem> {
    const [item] = await this.enrichment.enrichAll([record.summary], scope, new Map([[record.summary.sessionId, record.state]]));
    return item!;
  }

  private context(options: ActionOptions, scope: SessionScope, items: SessionListItem[]): HookContext<unknown> {
    return { req: options.request, flowId: this.flowId, owner: scope.owner, sessionIds: items.map((item) => item.sessionId), items };
  }

  /** Creates a session from `planned`, with `beforeCreate`'s seed on top, and runs `afterCreate`. */
  private async createWith(planned: Required<Pick<CreateSeed, "label">> & { currentStep?: string | null; state?: string | null }, duplicateOf: SessionListItem | undefined, scope: SessionScope, options: ActionOptions): Promise<SessionListItem> {
    const sessionId = randomUUID();
    const base = this.context(options, scope, []);
    const before: CreateHookContext<unknown> = { ...base, sessionIds: [sessionId], label: planned.label, duplicateOf };
    const seed = checkSeed(await this.hooks.before("beforeCreate", before));
    const label = seed.label !== undefined ? normalizeLabel(seed.label) : planned.label;
    await this.store.createSession(this.flowId, {
      sessionId,
      owner: scope.owner,
      label,
      currentStep: seed.currentStep !== undefined ? seed.currentStep : (planned.currentStep ?? null),
      state: seed.state !== undefined ? seed.state : (planned.state ?? null),
      activity: scope.activity,
      duplicateOf: duplicateOf?.sessionId,
    });
    this.changed(duplicateOf ? "duplicate" : "create", scope, [sessionId]);
    const item = await this.getItem(sessionId, scope);
    await this.hooks.after("afterCreate", { ...base, sessionIds: [sessionId], items: [item], label, duplicateOf });
    return item;
  }
}

/** "Copy of …", cut to the longest label allowed. */
function copyLabel(displayLabel: string): string {
  const chars = [...`${COPY_PREFIX}${displayLabel}`];
  return chars.length <= MAX_LABEL_LENGTH ? chars.join("") : `${chars.slice(0, MAX_LABEL_LENGTH - 1).join("")}…`;
}

/** `beforeCreate`'s result, checked: nothing, or an object of `label`, `currentStep` and `state`. */
function checkSeed(seed: unknown): CreateSeed {
  if (seed === undefined || seed === null) return {};
  const fix = "beforeCreate must return nothing or { label?, currentStep?, state? }";
  if (typeof seed !== "object" || Array.isArray(seed)) throw new ConfigurationError(`${fix}; it returned ${Array.isArray(seed) ? "an array" : typeof seed}.`);
  const { label, currentStep, state } = seed as Record<string, unknown>;
  if (label !== undefined && label !== null && typeof label !== "string") throw new ConfigurationError(`${fix}; its label is ${typeof label}, not a string.`);
  if (currentStep !== undefined && currentStep !== null && typeof currentStep !== "string") {
    throw new ConfigurationError(`${fix}; its currentStep is ${typeof currentStep}, not a string.`);
  }
  if (state !== undefined && (typeof state !== "object" || state === null || Array.isArray(state))) {
    throw new ConfigurationError(`${fix}; its state must be a plain object.`);
  }
  return seed as CreateSeed;
}
