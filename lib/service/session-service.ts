import { ConcurrencyLimit } from "./concurrency-limit.js";
import { InvalidInputError, SessionNotFoundError } from "../errors.js";
import { MAX_LABEL_LENGTH, type ResolvedOptions } from "../options.js";
import { isWellFormedText, parseState, type SessionOrderBy, type SessionScope, type SessionSummary, type WorkflowState } from "../store/workflow-store.js";

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
  /** Sessions that match; with `capped`, the first `SEARCH_MATCH_CAP` of more, which are all the list reaches. */
  total: number;
  /** True when more sessions match the search than `total`: the count stopped at the cap. @default false */
  capped?: boolean;
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
 * "no label" (`null`). Throws {@link InvalidInputError} when it is longer than {@link MAX_LABEL_LENGTH}, or holds a
 * lone surrogate, which has no UTF-8 form to store.
 */
export function normalizeLabel(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== "string") throw new InvalidInputError("The label must be text.");
  if (!isWellFormedText(input)) throw new InvalidInputError("The label holds a character that cannot be stored (a lone surrogate). Type it again.");
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

  /** Windows with a search, which cost more than others, run at most {@link CONCURRENT_SEARCHES} at a time. */
  private readonly searches = new ConcurrencyLimit(CONCURRENT_SEARCHES);

  /** The last results of `enrich` and `label` by session id, least recently used first. */
  private readonly hostResultCache = new Map<string, RowIdentity & { results: HostResults }>();
  /** The characters of state the cache's entries hold. */
  private cachedStateChars = 0;

  /**
   * One window of sessions, enriched. State blobs are read only for the rows in the window. An offset past the end
   * gives the last full window, so a delete on the last rows still shows rows. Every method takes a `scope`: with an
   * owner, only that owner's sessions exist for the call. Windows with a search wait for each other (at most
   * {@link CONCURRENT_SEARCHES} at once), so a burst of broad searches does not hold up other visitors' lists; the
   * router's own routes also admit whole search requests one at a time (`lib/http/search-admission.ts`), so this
   * limit binds only for `renderList()` and the lists that actions answer with.
   */
  async listPage(query: ListQuery, scope: SessionScope = {}): Promise<SessionPage> {
    const { store, flowId } = this.options;
    const read = () => store.listWindow(flowId, { ...query, owner: scope.owner, withStates: this.needsState() });
    const window = await (query.search === "" ? read() : this.searches.run(read));
    const items = await this.enrichAll(window.sessions, scope, window.states);
    return { ...query, offset: window.offset, items, total: window.total, capped: window.capped };
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

  private needsState(): boolean {
    return this.options.enrich !== undefined || this.options.label !== undefined;
  }

  /** Enriches the rows; `states` are their raw states when the caller read them already. */
  private async enrichAll(summaries: SessionSummary[], scope: SessionScope, states?: Map<string, string | null>): Promise<SessionListItem[]> {
    const { store, flowId } = this.options;
    const rawStates =
      states ?? (this.needsState() ? await store.getRawStates(flowId, summaries.map((s) => s.sessionId), scope) : new Map<string, string | null>());
    const problems: string[] = [];
    // Rows the cache knows cost no callback and no await; the host's callbacks run, concurrently, for the others.
    const results = summaries.map((summary) => this.cachedResults(summary, rawStates.get(summary.sessionId)));
    await Promise.all(
      results.map(async (cached, i) => {
        if (cached === undefined) results[i] = await this.hostResults(summaries[i]!, rawStates.get(summaries[i]!.sessionId), problems);
      }),
    );
    const items = summaries.map((summary, i) => this.listItem(summary, results[i]!, problems));
    if (problems.length > 0) {
      this.options.logger.warn(
        `express-workflow-sessions: ${problems.length} problem(s) while listing flow "${flowId}"; the rows show defaults. First: ${problems[0]}`,
      );
    }
    return items;
  }

  private listItem(summary: SessionSummary, { fields, generatedLabel }: HostResults, problems: string[]): SessionListItem {
    const { columns, stepTitle } = this.options;
    let title: string | null = null;
    if (summary.currentStep) {
      try {
        title = stepTitle(summary.currentStep);
      } catch (error) {
        problems.push(`stepTitle() threw for step "${summary.currentStep}": ${describe(error)}`);
        title = summary.currentStep;
      }
    }
    const shown: Record<string, string> = {};
    for (const { field } of columns) shown[field] = displayValue(fields[field]);
    // Spelled out: V8 copies with `...summary` more than a hundred times slower, a cost paid for every row shown.
    return {
      flowId: summary.flowId,
      sessionId: summary.sessionId,
      label: summary.label,
      currentStep: summary.currentStep,
      createdAt: summary.createdAt,
      updatedAt: summary.updatedAt,
      stateSizeBytes: summary.stateSizeBytes,
      displayLabel: summary.label || generatedLabel || defaultLabel(summary.createdAt),
      stepTitle: title,
      fields: shown,
    };
  }

  /**
   * What `enrich` and `label` gave for the row when it was exactly as it is now (see `enrichCacheSize`), or
   * `undefined` when they must be asked: parsing a 2 KB state and enriching it is most of a row's cost, and a list
   * shows the same rows again after every action.
   */
  private cachedResults(summary: SessionSummary, rawState: string | null | undefined): HostResults | undefined {
    if (!this.options.enrich && !(this.options.label && !summary.label)) return NO_HOST_RESULTS;
    const cached = this.hostResultCache.get(summary.sessionId);
    if (!cached || !sameRow(cached, summary, rawState)) return undefined;
    this.hostResultCache.delete(summary.sessionId);
    this.hostResultCache.set(summary.sessionId, cached);
    return cached.results;
  }

  /** Calls `enrich` and `label` for the row and remembers what they gave, unless it came with a problem. */
  private async hostResults(summary: SessionSummary, rawState: string | null | undefined, allProblems: string[]): Promise<HostResults> {
    const { enrich, label } = this.options;
    // This row's own problems: other rows are enriched concurrently and add theirs to `allProblems` meanwhile.
    const problems: string[] = [];
    let state: WorkflowState | undefined;
    try {
      state = parseState(summary.flowId, summary.sessionId, rawState);
    } catch (error) {
      problems.push(describe(error));
    }

    let fields: Record<string, unknown> = {};
    if (enrich && state) {
      try {
        fields = (await enrich(state, summary)) ?? {};
      } catch (error) {
        problems.push(`enrich() threw for session "${summary.sessionId}": ${describe(error)}`);
      }
    }

    let generatedLabel: string | undefined;
    if (label && !summary.label && state) {
      try {
        const generated = await label(summary, state);
        if (typeof generated === "string" && generated.trim() !== "") generatedLabel = generated.trim();
      } catch (error) {
        problems.push(`label() threw for session "${summary.sessionId}": ${describe(error)}`);
      }
    }

    const results = { fields, generatedLabel };
    if (problems.length === 0) this.remember(summary, rawState, results);
    else allProblems.push(...problems);
    return results;
  }

  /**
   * Keeps a row's results, least recently used out first, within `enrichCacheSize` rows and
   * {@link MAX_CACHED_STATE_CHARS} characters of state (an entry holds its row's state to compare it).
   */
  private remember(summary: SessionSummary, rawState: string | null | undefined, results: HostResults): void {
    const size = rawState?.length ?? 0;
    if (this.options.enrichCacheSize === 0 || size > MAX_CACHED_STATE_CHARS / 16) return;
    this.forget(summary.sessionId);
    this.hostResultCache.set(summary.sessionId, { ...rowIdentity(summary, rawState), results });
    this.cachedStateChars += size;
    while (this.hostResultCache.size > this.options.enrichCacheSize || this.cachedStateChars > MAX_CACHED_STATE_CHARS) {
      this.forget(this.hostResultCache.keys().next().value!);
    }
  }

  private forget(sessionId: string): void {
    const entry = this.hostResultCache.get(sessionId);
    if (!entry) return;
    this.cachedStateChars -= entry.rawState?.length ?? 0;
    this.hostResultCache.delete(sessionId);
  }
}

/** The most list windows with a search that one service reads at once; more wait their turn. */
export const CONCURRENT_SEARCHES = 2;

/**
 * The most characters of state the enrichment cache holds, whatever `enrichCacheSize` says (about 16 MB: 8,000
 * rows of 2 KB); a row whose state is over a sixteenth of it is not cached.
 */
export const MAX_CACHED_STATE_CHARS = 16 * 1024 * 1024;

/** What the host's callbacks gave for one row. */
interface HostResults {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly generatedLabel: string | undefined;
}

const NO_HOST_RESULTS: HostResults = Object.freeze({ fields: Object.freeze({}), generatedLabel: undefined });

/** Everything about a row that `enrich` and `label` are given, to tell whether a cached result still holds. */
interface RowIdentity {
  rawState: string | null | undefined;
  label: string | null;
  currentStep: string | null;
  createdAt: number | undefined;
  updatedAt: number | undefined;
}

function rowIdentity(summary: SessionSummary, rawState: string | null | undefined): RowIdentity {
  return {
    rawState,
    label: summary.label,
    currentStep: summary.currentStep,
    createdAt: summary.createdAt?.getTime(),
    updatedAt: summary.updatedAt?.getTime(),
  };
}

function sameRow(cached: RowIdentity, summary: SessionSummary, rawState: string | null | undefined): boolean {
  return (
    cached.rawState === rawState &&
    cached.label === summary.label &&
    cached.currentStep === summary.currentStep &&
    cached.createdAt === summary.createdAt?.getTime() &&
    cached.updatedAt === summary.updatedAt?.getTime()
  );
}

function displayValue(value: unknown): string {
  if (value === undefined || value === null || value === "") return MISSING_VALUE;
  return typeof value === "string" ? value : String(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
