import { InvalidInputError, SessionNotFoundError } from "./errors.js";
import { MAX_LABEL_LENGTH, type ResolvedOptions } from "./options.js";
import { parseState, type SessionOrderBy, type SessionScope, type SessionSummary, type WorkflowState } from "./workflow-store.js";

/** A session as the list shows it: its summary plus the resolved label and the host's display values. */
export interface SessionListItem extends SessionSummary {
  /** The label to show: stored, generated, or a default. */
  displayLabel: string;
  /** The step's title from `stepTitle`, or `null` when the session has no step. */
  stepTitle: string | null;
  /** Host column values by field, as strings; `—` where the enricher failed or gave nothing. */
  fields: Readonly<Record<string, string>>;
}

/** What the list asks for: a window of rows in one order, optionally filtered by a search. */
export interface ListQuery {
  /** The window's first row, 0-based. */
  offset: number;
  /** The most rows in the window. */
  limit: number;
  orderBy: SessionOrderBy;
  descending: boolean;
  /** Label or session-id prefix; empty for every session. */
  search: string;
}

/** One window of the list, with the number of sessions that match. `offset` is where the window really starts. */
export interface SessionPage extends ListQuery {
  items: SessionListItem[];
  total: number;
}

/** Shown in a host column when the enricher failed or returned nothing for it. */
export const MISSING_VALUE = "—";
/** The last-resort label. */
export const UNTITLED_LABEL = "Untitled Session";

/** The label used when a session has none stored and the generator gives none: `Session YYYY-MM-DD HH:MM` (UTC). */
export function defaultLabel(createdAt: Date | null): string {
  if (!createdAt) return UNTITLED_LABEL;
  return `Session ${createdAt.toISOString().slice(0, 16).replace("T", " ")}`;
}

/** C0 and C1 control characters and the Unicode line and paragraph separators, stripped from user text. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Cleans a label typed by a user: control characters are stripped, whitespace is trimmed, and an empty result means
 * "no label" (`null`). Throws {@link InvalidInputError} when it is longer than {@link MAX_LABEL_LENGTH}.
 */
export function normalizeLabel(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== "string") throw new InvalidInputError("The label must be text.");
  const label = input.replace(/[\t\n\r]/g, " ").replace(CONTROL_CHARACTERS, "").trim();
  if ([...label].length > MAX_LABEL_LENGTH) {
    throw new InvalidInputError(`The label is too long: use at most ${MAX_LABEL_LENGTH} characters (it has ${[...label].length}).`);
  }
  return label === "" ? null : label;
}

/**
 * The rules of the session manager for one flow: label resolution, enrichment of the rows being shown, and what
 * happens to the active session on delete. Knows nothing of HTTP; returns domain objects and throws
 * `SessionManagerError`s.
 */
export class SessionService {
  /** @param options - the resolved manager options; the service uses the store, flow id and host callbacks. */
  constructor(private readonly options: ResolvedOptions) {}

  /**
   * One window of sessions, enriched. State blobs are read only for the rows in the window. An offset past the end
   * gives the last full window, so a delete on the last rows still shows rows. Every method takes a `scope`: with an
   * owner, only that owner's sessions exist for the call.
   */
  async listPage(query: ListQuery, scope: SessionScope = {}): Promise<SessionPage> {
    const { store, flowId } = this.options;
    const window = await store.listWindow(flowId, { ...query, owner: scope.owner });
    const items = await this.enrichAll(window.sessions, scope);
    return { ...query, offset: window.offset, items, total: window.total };
  }

  /** One session, enriched; throws {@link SessionNotFoundError} when it does not exist. */
  async getItem(sessionId: string, scope: SessionScope = {}): Promise<SessionListItem> {
    const [item] = await this.enrichAll([await this.requireSession(sessionId, scope)], scope);
    return item!;
  }

  /** The session's summary; throws {@link SessionNotFoundError} when it is not a session of this flow. */
  async requireSession(sessionId: string, scope: SessionScope = {}): Promise<SessionSummary> {
    const summary = await this.options.store.getSessionSummary(this.options.flowId, sessionId, scope);
    if (!summary) throw new SessionNotFoundError(this.options.flowId, sessionId);
    return summary;
  }

  /** Creates a session, with an optional label (normalized as in {@link normalizeLabel}), and returns its id. */
  async create(label?: unknown, scope: SessionScope = {}): Promise<string> {
    return this.options.store.createSession(this.options.flowId, { label: normalizeLabel(label), owner: scope.owner });
  }

  /** Sets the label (normalized; empty clears it) and returns the session as it now shows. */
  async rename(sessionId: string, label: unknown, scope: SessionScope = {}): Promise<SessionListItem> {
    const normalized = normalizeLabel(label ?? "");
    const updated = await this.options.store.setSessionLabel(this.options.flowId, sessionId, normalized, scope);
    if (!updated) throw new SessionNotFoundError(this.options.flowId, sessionId);
    return this.getItem(sessionId, scope);
  }

  /**
   * Deletes a session and returns the id that should be active afterwards. Deleting the active session makes the
   * most recently updated remaining session active, or a fresh one when none remain. Throws
   * {@link SessionNotFoundError} when there was no such session.
   */
  async delete(sessionId: string, activeSessionId: string | undefined, scope: SessionScope = {}): Promise<string | undefined> {
    const { store, flowId } = this.options;
    const deleted = await store.deleteSession(flowId, sessionId, scope);
    if (!deleted) throw new SessionNotFoundError(flowId, sessionId);
    if (activeSessionId !== undefined && activeSessionId !== sessionId) return activeSessionId;
    if (activeSessionId === undefined) return undefined;
    const [next] = await store.listSessions(flowId, { orderBy: "updated_at", descending: true, limit: 1, owner: scope.owner });
    return next?.sessionId ?? (await store.createSession(flowId, { owner: scope.owner }));
  }

  private async enrichAll(summaries: SessionSummary[], scope: SessionScope): Promise<SessionListItem[]> {
    const { store, flowId } = this.options;
    const needState = this.options.enrich !== undefined || this.options.label !== undefined;
    const rawStates = needState ? await store.getRawStates(flowId, summaries.map((s) => s.sessionId), scope) : new Map<string, string | null>();
    const problems: string[] = [];
    const items = await Promise.all(
      summaries.map((summary) => this.enrichOne(summary, rawStates.get(summary.sessionId), problems)),
    );
    if (problems.length > 0) {
      this.options.logger.warn(
        `express-workflow-sessions: ${problems.length} problem(s) while listing flow "${flowId}"; the rows show defaults. First: ${problems[0]}`,
      );
    }
    return items;
  }

  private async enrichOne(summary: SessionSummary, rawState: string | null | undefined, problems: string[]): Promise<SessionListItem> {
    const { enrich, label, columns, stepTitle } = this.options;
    let state: WorkflowState | undefined;
    if (enrich || (label && !summary.label)) {
      try {
        state = parseState(summary.flowId, summary.sessionId, rawState);
      } catch (error) {
        problems.push(describe(error));
      }
    }

    let fields: Record<string, unknown> = {};
    if (enrich && state) {
      try {
        fields = (await enrich(state, summary)) ?? {};
      } catch (error) {
        problems.push(`enrich() threw for session "${summary.sessionId}": ${describe(error)}`);
      }
    }

    let displayLabel = summary.label || undefined;
    if (!displayLabel && label && state) {
      try {
        const generated = await label(summary, state);
        if (typeof generated === "string" && generated.trim() !== "") displayLabel = generated.trim();
      } catch (error) {
        problems.push(`label() threw for session "${summary.sessionId}": ${describe(error)}`);
      }
    }

    let title: string | null = null;
    if (summary.currentStep) {
      try {
        title = stepTitle(summary.currentStep);
      } catch (error) {
        problems.push(`stepTitle() threw for step "${summary.currentStep}": ${describe(error)}`);
        title = summary.currentStep;
      }
    }

    return {
      ...summary,
      displayLabel: displayLabel ?? defaultLabel(summary.createdAt),
      stepTitle: title,
      fields: Object.fromEntries(columns.map((column) => [column.field, displayValue(fields[column.field])])),
    };
  }
}

function displayValue(value: unknown): string {
  if (value === undefined || value === null || value === "") return MISSING_VALUE;
  return typeof value === "string" ? value : String(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
