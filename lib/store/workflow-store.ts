import { randomUUID } from "node:crypto";
import { sql, type Expression, type ExpressionBuilder, type Kysely, type OrderByItemBuilder, type RawBuilder, type SelectQueryBuilder, type SqlBool } from "kysely";
import { CorruptStateError, InvalidInputError, SessionNotFoundError, StoreUnavailableError, translateDatabaseError } from "../errors.js";
import { LIST_SORT_EXPRESSIONS, type SqlDialect } from "./sql-dialect.js";
import { mergeNestedStateText, mergeStateText, parseStateJson, removeStateKey } from "./state-json.js";
import { formatTimestamp, parseTimestamp, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import type { SessionOrderBy, SessionScope, SessionSummary, WorkflowState } from "../session-types.js";

export type { SessionOrderBy, SessionScope, SessionSummary, WorkflowState } from "../session-types.js";

/** Options of {@link WorkflowStore.listSessions}. */
export interface ListSessionsOptions extends SessionScope {
  /** @default "updated_at" */
  orderBy?: SessionOrderBy;
  /** @default true */
  descending?: boolean;
  /** The most rows to return. @default no limit */
  limit?: number;
  /** Rows to skip. @default 0 */
  offset?: number;
  /**
   * Keeps only sessions whose stored label starts with this text (ignoring ASCII case) or whose id starts with it.
   * Every character matches only itself: `%` and `_` are not wildcards. Empty keeps every session.
   * @default ""
   */
  search?: string;
}

/** Options of {@link WorkflowStore.countSessions}. */
export interface CountSessionsOptions extends SessionScope {
  /** Counts only the sessions that match, as in {@link ListSessionsOptions.search}. @default "" */
  search?: string;
  /**
   * Stops counting at this many: the result is the smaller of the count and `limit`, so a broad search costs
   * `limit` index entries instead of its number of matches. @default no limit
   */
  limit?: number;
}

/**
 * The most matches a search window counts and reaches. Past it, {@link SessionWindow.capped} is set, the total says
 * 1,000 and the window stays within the first 1,000 matches: a deeper window would cost its offset over the share of
 * sessions that match.
 */
export const SEARCH_MATCH_CAP = 1000;

/** Options of {@link WorkflowStore.listWindow}: the order, the filter, and where the window starts. */
export interface ListWindowOptions extends Omit<ListSessionsOptions, "limit" | "offset"> {
  /** The first row of the window, 0-based; past the end, the last full window is returned. */
  offset: number;
  /** The most rows in the window. */
  limit: number;
  /**
   * Also reads the window's state blobs, in the same query, into {@link SessionWindow.states}.
   * @default false
   */
  withStates?: boolean;
}

/** One window of a flow's sessions, with the number of sessions that match. */
export interface SessionWindow {
  sessions: SessionSummary[];
  /**
   * Sessions that match the search (all of the flow's without one); with {@link capped}, the first
   * {@link SEARCH_MATCH_CAP} of more.
   */
  total: number;
  /** True when more sessions match the search than {@link total} (which is then {@link SEARCH_MATCH_CAP}). */
  capped: boolean;
  /** Where the window actually starts, after clamping to the sessions that exist. */
  offset: number;
  /** The raw `state_json` of each session in the window, by session id; only with {@link ListWindowOptions.withStates}. */
  states?: Map<string, string | null>;
}

/** Options of {@link WorkflowStore.createSession}. */
export interface CreateSessionOptions {
  /** The owner stamped on the session, in the `owner` column. @default null (no owner) */
  owner?: string | null | undefined;
  /** A label to store with the session. @default null */
  label?: string | null;
  /** The id to use. @default crypto.randomUUID() */
  sessionId?: string;
}

const STEP_KEY_PREFIX = "_step_";

/** The state key under which `cjm-workflow-state` keeps a step's own state. */
export function stepStateKey(stepId: string): string {
  return `${STEP_KEY_PREFIX}${stepId}`;
}

type FlowQuery<O> = SelectQueryBuilder<WorkflowStateDatabase, typeof WORKFLOW_STATE_TABLE, O>;

interface SummaryRow {
  flow_session_key: string;
  label: string | null;
  current_step: string | null;
  created_at: string | null;
  updated_at: string | null;
  state_size: number | string | null;
}

/**
 * The workflow-state repository: every read and write of the `workflow_state` table goes through here, scoped to one
 * flow by an exact key range. Build one with `createWorkflowStore()`. All methods are async and safe to call
 * concurrently; state writes edit the stored JSON text by compare-and-swap, so no update is lost and no value they
 * do not touch changes.
 */
export class WorkflowStore {
  /**
   * @param db - the Kysely instance to query
   * @param dialect - the SQL that differs between databases
   * @param onClose - what {@link close} does, e.g. destroying a connection the store opened itself
   */
  constructor(
    readonly db: Kysely<WorkflowStateDatabase>,
    readonly dialect: SqlDialect,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  private readonly counts = new Map<string, { token: string; count: number }>();
  /** The last queued write of each row this store is writing, see {@link queueWrite}. */
  private readonly writes = new Map<string, Promise<void>>();

  /** Creates an empty session and returns its id. */
  async createSession(flowId: string, options: CreateSessionOptions = {}): Promise<string> {
    const sessionId = options.sessionId ?? randomUUID();
    if (options.label != null) checkText(options.label, "A label");
    if (options.owner != null) checkText(options.owner, "An owner");
    const now = formatTimestamp(new Date());
    await this.run(() =>
      this.db
        .insertInto(WORKFLOW_STATE_TABLE)
        .values({
          flow_session_key: sessionKey(flowId, sessionId),
          current_step: null,
          state_json: "{}",
          created_at: now,
          updated_at: now,
          label: options.label ?? null,
          ...(options.owner != null ? { owner: options.owner } : {}),
        })
        .execute(),
    );
    return sessionId;
  }

  /** True when the session exists in the flow. */
  async sessionExists(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    const row = await this.run(() =>
      whereOwner(this.db.selectFrom(WORKFLOW_STATE_TABLE).select("flow_session_key").where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope)
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  /** The session's metadata without its state, or `undefined` when it does not exist. */
  async getSessionSummary(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<SessionSummary | undefined> {
    const row = await this.run(() =>
      whereOwner(this.selectSummaries().where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope).executeTakeFirst(),
    );
    return row && toSummary(flowId, row);
  }

  /**
   * One page of the flow's sessions, without their state blobs. Ties are broken by session key, in the same
   * direction. Each order walks an index that leads with the flow, so a page costs its offset plus its rows, never
   * a sort of the whole flow; with a search, see {@link listWindow} for what a page costs.
   */
  async listSessions(flowId: string, options: ListSessionsOptions = {}): Promise<SessionSummary[]> {
    if (!options.search) return this.selectPage(flowId, options);
    const { limit, offset = 0 } = options;
    const end = limit === undefined ? Infinity : offset + limit;
    const counts = await this.branchCounts(flowId, options.search, options.owner, SEARCH_MATCH_CAP + 1);
    return this.summariesByKey(flowId, await this.searchMatches(flowId, { ...options, search: options.search }, offset, end, counts));
  }

  /** One page of summaries without a search; with `states`, each row's raw `state_json` is read too and put there by session id. */
  private async selectPage(flowId: string, options: ListSessionsOptions, states?: Map<string, string | null>): Promise<SessionSummary[]> {
    const { orderBy = "updated_at", descending = true, limit, offset = 0 } = options;
    checkOrder(orderBy);
    // NULLs sort first ascending and last descending, SQLite's default (which its indexes serve), on every database.
    const direction = this.direction(descending);
    let query = whereOwner(this.whereFlow(this.selectSummaries(states !== undefined), flowId), options)
      .orderBy(this.dialect.listSort(orderBy), direction)
      .orderBy(this.dialect.listSort("flow_session_key"), direction);
    if (limit !== undefined) query = query.limit(limit).offset(offset);
    else if (offset > 0) query = query.limit(Number.MAX_SAFE_INTEGER).offset(offset);
    const rows = await this.run(() => query.execute());
    return rows.map((row) => {
      const summary = toSummary(flowId, row);
      states?.set(summary.sessionId, row.state_json ?? null);
      return summary;
    });
  }

  /** The ORDER BY direction of a list query: NULLs first ascending, last descending, on every database. */
  private direction(descending: boolean) {
    return this.dialect.name === "sqlite"
      ? descending
        ? ("desc" as const)
        : ("asc" as const)
      : (ob: OrderByItemBuilder) => (descending ? ob.desc().nullsLast() : ob.asc().nullsFirst());
  }

  /**
   * One window of the list and the number of matching sessions. An offset past the end gives the last full window.
   * Without a search, a window past the middle is read from the other end of the index, so the last window costs
   * what the first does.
   *
   * With a search, no query sorts the matches. The matches are two sets, sessions whose id starts with the search
   * and sessions whose label does, each counted first through its own index, up to {@link SEARCH_MATCH_CAP} + 1
   * (index entries only). A set within the cap is read whole, by its index range (at most 1,000 rows), and ordered
   * here; a larger one is found by walking the order's index, which holds the key and the label, until the window's
   * end: a cost of the window's end over the share of sessions that match. The two are merged. A search with more
   * matches than the cap reaches only its first 1,000 ({@link SessionWindow.capped}).
   */
  async listWindow(flowId: string, options: ListWindowOptions): Promise<SessionWindow> {
    const { offset, limit, descending = true, withStates = false, ...rest } = options;
    const states = withStates ? new Map<string, string | null>() : undefined;
    const search = rest.search ?? "";
    let total: number;
    let capped = false;
    let matches: string[] | undefined;
    let counts: BranchCounts | undefined;
    if (search === "") {
      total = await this.countSessions(flowId, { owner: rest.owner });
    } else {
      checkOrder(rest.orderBy ?? "updated_at");
      counts = await this.branchCounts(flowId, search, rest.owner, SEARCH_MATCH_CAP + 1);
      if (counts.ids <= SEARCH_MATCH_CAP && counts.labels <= SEARCH_MATCH_CAP) {
        matches = await this.searchMatches(flowId, { ...rest, descending, search }, 0, Infinity, counts);
        total = Math.min(matches.length, SEARCH_MATCH_CAP);
        capped = matches.length > SEARCH_MATCH_CAP;
      } else {
        total = SEARCH_MATCH_CAP;
        capped = true;
      }
    }
    const start = offset >= total ? Math.max(0, total - limit) : Math.max(0, offset);
    const count = Math.min(limit, total - start);
    const window = (sessions: SessionSummary[], at: number): SessionWindow => ({ sessions, total, capped, offset: at, ...(states ? { states } : {}) });
    if (count <= 0) return window([], 0);
    if (search !== "") {
      const keys = matches ? matches.slice(start, start + count) : await this.searchMatches(flowId, { ...rest, descending, search }, start, start + count, counts!);
      return window(await this.summariesByKey(flowId, keys, states), start);
    }
    const fromEnd = total - start - count;
    if (fromEnd >= start) {
      return window(await this.selectPage(flowId, { ...rest, descending, limit: count, offset: start }, states), start);
    }
    const reversed = await this.selectPage(flowId, { ...rest, descending: !descending, limit: count, offset: fromEnd }, states);
    return window(reversed.reverse(), start);
  }

  /**
   * The number of sessions in the flow (that match `search`, when given; at most `limit`). On PostgreSQL the flow's
   * count (and each owner's) is kept by triggers, so it costs one row read; on SQLite it is counted and remembered
   * until the table changes, from this store or any other connection, so an unchanged list does not count again.
   * A search without a `limit` costs its number of matches.
   */
  async countSessions(flowId: string, options: CountSessionsOptions = {}): Promise<number> {
    const search = options.search ?? "";
    const limit = options.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new InvalidInputError(`A count limit must be a whole number; got ${limit}.`);
    if (search === "") {
      checkFlowId(flowId);
      const kept = await this.run(() => this.dialect.keptCount(this.db, `${flowId}:`, checkedOwner(options.owner)));
      if (kept !== undefined) return limit === undefined ? kept : Math.min(kept, limit);
    }
    return this.cachedCount(JSON.stringify(["count", flowId, search, options.owner ?? null, limit ?? null]), async () => {
      const matching = whereOwner(this.whereFlowAndSearch(this.db.selectFrom(WORKFLOW_STATE_TABLE), flowId, search), options);
      const row = await (limit === undefined
        ? matching.select((eb) => eb.fn.countAll<number | string>().as("count"))
        : this.db.selectFrom(matching.select(sql<number>`1`.as("one")).limit(limit).as("matching")).select((eb) => eb.fn.countAll<number | string>().as("count"))
      ).executeTakeFirstOrThrow();
      return Number(row.count);
    });
  }

  /** A count, remembered until the table changes where the database offers a change token. */
  private async cachedCount(cacheKey: string, count: () => Promise<number>): Promise<number> {
    const token = await this.run(() => this.dialect.changeToken(this.db));
    const cached = this.counts.get(cacheKey);
    if (token !== undefined && cached?.token === token) return cached.count;
    const value = await this.run(count);
    if (token !== undefined) {
      this.counts.delete(cacheKey);
      this.counts.set(cacheKey, { token, count: value });
      if (this.counts.size > MAX_CACHED_COUNTS) this.counts.delete(this.counts.keys().next().value!);
    }
    return value;
  }

  /**
   * How many sessions of the flow (and owner) have an id that starts with the search, and how many a label that
   * does, each at most `limit`, each through its own index (the key, the label index) alone.
   */
  private async branchCounts(flowId: string, search: string, owner: string | undefined, limit: number): Promise<BranchCounts> {
    const { ids, labels } = this.searchPredicates(flowId, search);
    const count = (where: (eb: ExpressionBuilder<WorkflowStateDatabase, typeof WORKFLOW_STATE_TABLE>) => Expression<SqlBool>) => async () => {
      const matching = whereOwner(this.db.selectFrom(WORKFLOW_STATE_TABLE).select(sql<number>`1`.as("one")).where(where), { owner }).limit(limit);
      const row = await this.db.selectFrom(matching.as("matching")).select((eb) => eb.fn.countAll<number | string>().as("count")).executeTakeFirstOrThrow();
      return Number(row.count);
    };
    const key = (branch: string) => JSON.stringify([branch, flowId, search, owner ?? null, limit]);
    return {
      ids: await this.cachedCount(key("ids"), count(ids.ranges)),
      labels: await this.cachedCount(key("labels"), count(labels.ranges)),
    };
  }

  /**
   * The keys of the search's matches from `start` to `end` (exclusive; `Infinity` for all) in the list's order,
   * without a sort in the database. When both sets of matches (ids, labels) are within the cap, both are read by
   * their index ranges and ordered here. Otherwise one walk of the order's index keeps the rows either filter
   * accepts, up to `end`; in label order, where the labels' range is in order already, that range is walked alone
   * and merged here with the ids' matches when those are within the cap.
   */
  private async searchMatches(
    flowId: string,
    options: ListSessionsOptions & { search: string },
    start: number,
    end: number,
    counts: BranchCounts,
  ): Promise<string[]> {
    const { orderBy = "updated_at", descending = true, search, owner } = options;
    checkOrder(orderBy);
    const { ids, labels } = this.searchPredicates(flowId, search);
    const sortValue = this.dialect.listSort(orderBy);
    const select = (where: SearchPredicate, db = this.db) =>
      whereOwner(db.selectFrom(WORKFLOW_STATE_TABLE).select(["flow_session_key", sortValue.as("sort_value")]).where(where), { owner });
    const fetch = (where: SearchPredicate) => this.run(() => select(where).execute());
    // Rows `from` to `to` of those `where` accepts, in the list's order, walking the order's index.
    const inOrder = (where: SearchPredicate, from: number, to: number) =>
      this.run(() =>
        this.dialect.inOrderedWalk(this.db, (db) => {
          const direction = this.direction(descending);
          let query = select(where, db).orderBy(sortValue, direction).orderBy(this.dialect.listSort("flow_session_key"), direction);
          if (to !== Infinity) query = query.limit(to - from).offset(from);
          else if (from > 0) query = query.limit(Number.MAX_SAFE_INTEGER).offset(from);
          return query.execute();
        }),
      );
    const walk = async (where: SearchPredicate, from: number, to: number) => (await inOrder(where, from, to)).map((row) => row.flow_session_key);
    const merged = (rows: Array<{ flow_session_key: string; sort_value: string | null }>) => {
      const byKey = new Map<string, string | null>();
      for (const row of rows) byKey.set(row.flow_session_key, row.sort_value ?? null);
      const sign = descending ? -1 : 1;
      return [...byKey]
        .sort(([aKey, aValue], [bKey, bValue]) => sign * (compareText(aValue, bValue) || compareText(aKey, bKey)))
        .slice(start, end)
        .map(([key]) => key);
    };
    const idsWithinCap = counts.ids <= SEARCH_MATCH_CAP;
    if (idsWithinCap && counts.labels <= SEARCH_MATCH_CAP) return merged([...(await fetch(ids.ranges)), ...(await fetch(labels.ranges))]);
    if (orderBy === "label" && idsWithinCap) {
      if (counts.ids === 0) return walk(labels.ranges, start, end);
      return merged([...(await fetch(ids.ranges)), ...(await inOrder(labels.ranges, 0, end))]);
    }
    const flow = this.dialect.flowPrefix();
    return walk((eb) => eb.and([eb(flow, "=", `${flowId}:`), eb.or([ids.walk(eb), labels.walk(eb)])]), start, end);
  }

  /**
   * The search's two sets of matches, each as index ranges (`ranges`: the key ranges, the flow's part of the label
   * index) and as a filter for a walk of the flow's part of another index (`walk`: the first characters of the key
   * or of the label, without the flow, which {@link whereFlow} adds once for both, so the walk stays one index walk).
   * Never LIKE, so every character matches only itself; the label ignores ASCII case.
   */
  private searchPredicates(flowId: string, search: string): Record<"ids" | "labels", Record<"ranges" | "walk", SearchPredicate>> {
    checkFlowId(flowId);
    const ids = [...new Set([search, foldAsciiCase(search)])].map((prefix) => `${flowId}:${prefix}`);
    const label = foldAsciiCase(search);
    const key = this.dialect.keyColumn();
    const lowerLabel = this.dialect.listSort("label");
    const flow = `${flowId}:`;
    return {
      ids: {
        ranges: (eb) => eb.or(ids.map((id) => eb.and(prefixRange(eb, key, id)))),
        walk: (eb) => eb.or(ids.map((id) => this.dialect.startsWith(key, id))),
      },
      labels: {
        ranges: (eb) => eb.and([eb(this.dialect.flowPrefix(), "=", flow), ...prefixRange(eb, lowerLabel, label)]),
        walk: () => this.dialect.startsWith(lowerLabel, label),
      },
    };
  }

  /** The summaries of these keys (of one flow), in the order given; with `states`, their raw states too. */
  private async summariesByKey(flowId: string, keys: readonly string[], states?: Map<string, string | null>): Promise<SessionSummary[]> {
    const rows = new Map<string, SummaryRow & { state_json: string | null }>();
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const chunk = keys.slice(i, i + KEYS_PER_QUERY);
      const found = await this.run(() => this.selectSummaries(states !== undefined).where("flow_session_key", "in", chunk).execute());
      for (const row of found) rows.set(row.flow_session_key, row);
    }
    const summaries: SessionSummary[] = [];
    for (const key of keys) {
      const row = rows.get(key);
      if (!row) continue; // deleted since the matches were read
      const summary = toSummary(flowId, row);
      states?.set(summary.sessionId, row.state_json ?? null);
      summaries.push(summary);
    }
    return summaries;
  }

  /** Sets or, with `null`, clears the label. Returns false when the session does not exist (nothing is written). */
  async setSessionLabel(flowId: string, sessionId: string, label: string | null, scope: SessionScope = {}): Promise<boolean> {
    if (label !== null) checkText(label, "A label");
    const result = await this.run(() =>
      whereOwner(this.db.updateTable(WORKFLOW_STATE_TABLE).set({ label }).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  /**
   * Stamps the session with an owner, or with `null` clears it; e.g. to hand sessions from before the `owner` option
   * (which no user sees) to their users. Returns false when the session does not exist.
   */
  async setSessionOwner(flowId: string, sessionId: string, owner: string | null): Promise<boolean> {
    if (owner !== null && (typeof owner !== "string" || owner === "")) {
      throw new InvalidInputError(`An owner must be a non-empty string or null; got ${JSON.stringify(owner)}.`);
    }
    if (owner !== null) checkText(owner, "An owner");
    const result = await this.run(() =>
      this.db.updateTable(WORKFLOW_STATE_TABLE).set({ owner }).where("flow_session_key", "=", sessionKey(flowId, sessionId)).executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  /** Deletes the session. Idempotent: returns false when there was nothing to delete. */
  async deleteSession(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    const result = await this.run(() =>
      whereOwner(this.db.deleteFrom(WORKFLOW_STATE_TABLE).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope).executeTakeFirst(),
    );
    return result.numDeletedRows > 0n;
  }

  /**
   * The session's state, `{}` when it does not exist (or, with an owner in `scope`, belongs to someone else). Throws
   * {@link CorruptStateError} when the stored state is not a JSON object. Python's `NaN`, `Infinity` and
   * `-Infinity` read as those numbers; integers beyond 2^53 read as the nearest number (merges keep their digits).
   */
  async getState(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<WorkflowState> {
    const states = await this.getStates(flowId, [sessionId], scope);
    return states.get(sessionId) ?? {};
  }

  /**
   * The raw `state_json` of several sessions of one flow in one query, keyed by session id. Sessions that do not
   * exist are absent from the map. Used to read state only for the rows a page shows.
   */
  async getRawStates(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, string | null>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await this.run(() =>
      whereOwner(
        this.db
          .selectFrom(WORKFLOW_STATE_TABLE)
          .select(["flow_session_key", "state_json"])
          .where("flow_session_key", "in", sessionIds.map((id) => sessionKey(flowId, id))),
        scope,
      ).execute(),
    );
    const prefix = flowId.length + 1;
    return new Map(rows.map((row) => [row.flow_session_key.slice(prefix), row.state_json]));
  }

  /** Parsed states of several sessions; throws {@link CorruptStateError} for the first one that is not JSON. */
  async getStates(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, WorkflowState>> {
    const raw = await this.getRawStates(flowId, sessionIds, scope);
    const states = new Map<string, WorkflowState>();
    for (const [sessionId, json] of raw) states.set(sessionId, parseState(flowId, sessionId, json));
    return states;
  }

  /**
   * Merges `updates` into the session's top-level state keys, creating the session if it does not exist (as
   * `cjm-workflow-state` does; stamped with the scope's owner). The stored text is edited, not re-encoded, so every
   * key it does not touch keeps its exact bytes, and concurrent calls never lose each other's keys. Values are
   * written as Python's `json.dumps` would: `NaN` and `±Infinity` as those constants, a `BigInt` as its digits.
   * Throws {@link CorruptStateError} (changing nothing) when the stored state is not a JSON object, and
   * {@link SessionNotFoundError} when the scope's owner does not own the session.
   */
  async updateState(flowId: string, sessionId: string, updates: WorkflowState, scope: SessionScope = {}): Promise<void> {
    await this.writeSession(flowId, sessionId, scope, { state: (current) => mergeStateText(current, updates) });
  }

  /** The session's current step id, or `null` when it has none or does not exist (for the scope). */
  async getCurrentStep(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<string | null> {
    const row = await this.run(() =>
      whereOwner(
        this.db.selectFrom(WORKFLOW_STATE_TABLE).select("current_step").where("flow_session_key", "=", sessionKey(flowId, sessionId)),
        scope,
      ).executeTakeFirst(),
    );
    return row?.current_step ?? null;
  }

  /**
   * Sets the session's current step, leaving its state as it is; creates the session if it does not exist. Throws
   * {@link SessionNotFoundError} when the scope's owner does not own the session.
   */
  async setCurrentStep(flowId: string, sessionId: string, stepId: string | null, scope: SessionScope = {}): Promise<void> {
    if (stepId !== null) checkText(stepId, "A step id");
    await this.writeSession(flowId, sessionId, scope, { currentStep: stepId });
  }

  /** The state a step keeps under `_step_<stepId>`, or `{}`. */
  async getStepState(flowId: string, sessionId: string, stepId: string, scope: SessionScope = {}): Promise<WorkflowState> {
    const value = (await this.getState(flowId, sessionId, scope))[stepStateKey(stepId)];
    return isPlainObject(value) ? value : {};
  }

  /**
   * Merges `updates` into the step's state, as {@link updateState} merges into the session's, creating the session
   * if it does not exist. The session's other keys, and the step's keys it does not touch, keep their exact bytes.
   */
  async updateStepState(flowId: string, sessionId: string, stepId: string, updates: WorkflowState, scope: SessionScope = {}): Promise<void> {
    const key = stepStateKey(stepId);
    await this.writeSession(flowId, sessionId, scope, { state: (current) => mergeNestedStateText(current, key, updates) });
  }

  /** Removes the step's state, keeping every other key's bytes. A no-op when the session does not exist (for the scope). */
  async clearStepState(flowId: string, sessionId: string, stepId: string, scope: SessionScope = {}): Promise<void> {
    const key = stepStateKey(stepId);
    await this.writeSession(flowId, sessionId, scope, { state: (current) => removeStateKey(current, key), create: false });
  }

  /** Closes the connection if the store opened it; a Kysely instance the host passed is left open. */
  async close(): Promise<void> {
    await this.onClose();
  }

  /**
   * Restricts a query to one flow's rows by the exact flow part of the key (never LIKE): the same rows as the key
   * range `flowId:` ≤ key < `flowId;`, through the expression the list indexes lead with.
   */
  private whereFlow<O>(query: FlowQuery<O>, flowId: string): FlowQuery<O> {
    checkFlowId(flowId);
    return query.where(this.dialect.flowPrefix(), "=", `${flowId}:`);
  }

  /**
   * Restricts a query to one flow and, when `search` is not empty, to the rows whose label (ASCII case ignored) or
   * session id starts with it, by index ranges (the key ranges and the flow's part of the label index); never by
   * LIKE, so every character matches only itself.
   */
  private whereFlowAndSearch<O>(query: FlowQuery<O>, flowId: string, search: string): FlowQuery<O> {
    if (search === "") return this.whereFlow(query, flowId);
    const { ids, labels } = this.searchPredicates(flowId, search);
    return query.where((eb) => eb.or([ids.ranges(eb), labels.ranges(eb)]));
  }

  /** The summary columns; with `withState`, `state_json` too (as `null` without it, so both have one row type). */
  private selectSummaries(withState = false) {
    return this.db
      .selectFrom(WORKFLOW_STATE_TABLE)
      .select((eb) => [
        "flow_session_key",
        "label",
        "current_step",
        "created_at",
        "updated_at",
        this.dialect.byteLength(eb.ref("state_json")).as("state_size"),
        withState ? eb.ref("state_json").as("state_json") : sql<string | null>`NULL`.as("state_json"),
      ]);
  }

  /**
   * Rewrites one session's row by compare-and-swap: reads it, computes the change, and writes only while its state
   * is still byte for byte what was read, and its owner the scope's (else reads again). No lock or transaction is
   * held between the read and the write, so no writer waits on another, in this process or any other (a
   * transaction held across the awaits in between, as with SQLite's `BEGIN IMMEDIATE`, let a second connection of
   * this process block the thread in its busy handler while the first waited to commit). `state` turns the stored
   * text into the new one (`undefined` when the stored text is not JSON: nothing is written and
   * {@link CorruptStateError} is thrown); `currentStep` replaces the step. A missing row is created unless `create`
   * is false; a row another owner holds is never touched. Writes to one session from this store queue behind each
   * other, so they never race each other.
   */
  private writeSession(
    flowId: string,
    sessionId: string,
    scope: SessionScope,
    change: { state?: (current: string | null) => string | undefined; currentStep?: string | null; create?: boolean },
  ): Promise<void> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const attempt = async (): Promise<boolean> => {
      const row = await this.db
        .selectFrom(WORKFLOW_STATE_TABLE)
        .select((eb) => ["owner", this.dialect.bytesOf(eb.ref("state_json")).as("state_bytes")])
        .where("flow_session_key", "=", key)
        .executeTakeFirst();
      const now = formatTimestamp(new Date());
      const newState = (current: string | null) => {
        const text = change.state!(current);
        if (text === undefined) throw new CorruptStateError(flowId, sessionId);
        return text;
      };
      if (row === undefined) {
        if (change.create === false) return true;
        const inserted = await this.db
          .insertInto(WORKFLOW_STATE_TABLE)
          .values({
            flow_session_key: key,
            current_step: change.currentStep ?? null,
            state_json: change.state ? newState(null) : "{}",
            created_at: now,
            updated_at: now,
            ...(owner !== undefined ? { owner } : {}),
          })
          .onConflict((oc) => oc.column("flow_session_key").doNothing())
          .executeTakeFirst();
        return inserted.numInsertedOrUpdatedRows !== 0n;
      }
      if (owner !== undefined && row.owner !== owner) throw new SessionNotFoundError(flowId, sessionId);
      const stored = row.state_bytes === null ? null : Buffer.from(row.state_bytes);
      let current: string | null = null;
      try {
        current = stored && UTF8.decode(stored);
      } catch (error) {
        // Bytes that are not UTF-8 (SQLite stores what it is given) cannot be read exactly, so they are not rewritten.
        throw new CorruptStateError(flowId, sessionId, { cause: error });
      }
      let update = whereOwner(
        this.db
          .updateTable(WORKFLOW_STATE_TABLE)
          .set({
            ...(change.state ? { state_json: newState(current) } : {}),
            ...(change.currentStep !== undefined ? { current_step: change.currentStep } : {}),
            updated_at: now,
          })
          .where("flow_session_key", "=", key),
        scope,
      );
      if (change.state) {
        update = update.where((eb) => (stored === null ? eb("state_json", "is", null) : eb(this.dialect.bytesOf(eb.ref("state_json")), "=", stored)));
      }
      const result = await update.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    };
    return this.queueWrite(key, () =>
      this.run(async () => {
        for (let tries = 0; tries < MAX_WRITE_ATTEMPTS; tries++) if (await attempt()) return;
        throw new StoreUnavailableError(`Session "${sessionId}" of flow "${flowId}" kept changing under ${MAX_WRITE_ATTEMPTS} attempts to write it.`);
      }),
    );
  }

  /** Runs `write` after this store's earlier writes to the same row have settled. */
  private queueWrite<T>(key: string, write: () => Promise<T>): Promise<T> {
    const result = (this.writes.get(key) ?? Promise.resolve()).then(write);
    const settled = result.then(
      () => {},
      () => {},
    );
    this.writes.set(key, settled);
    void settled.then(() => {
      if (this.writes.get(key) === settled) this.writes.delete(key);
    });
    return result;
  }

  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

/** Adds `owner = ?` when the scope names an owner; the builder is any select, update or delete on the table. */
function whereOwner<Q extends { where(column: "owner", op: "=", value: string): Q }>(query: Q, scope: SessionScope): Q {
  const owner = checkedOwner(scope.owner);
  return owner === undefined ? query : query.where("owner", "=", owner);
}

/** The scope's owner, `undefined` for every owner; throws for an owner that is not a non-empty string. */
function checkedOwner(owner: unknown): string | undefined {
  if (owner === undefined) return undefined;
  if (typeof owner !== "string" || owner.length === 0) {
    throw new InvalidInputError(`An owner must be a non-empty string; got ${JSON.stringify(owner)}.`);
  }
  return checkText(owner, "An owner");
}

/**
 * True when `text` has a UTF-8 form, i.e. holds no lone surrogate (as `os.fsdecode` makes of a file name that is
 * not UTF-8). Such a string would reach the database as invalid UTF-8, after which Python's sqlite3 refuses to read
 * the row, and every list of its flow.
 */
export function isWellFormedText(text: string): boolean {
  return !/[\ud800-\udfff]/u.test(text);
}

/** Throws {@link InvalidInputError} for a string that {@link isWellFormedText} rejects; `what` names it. */
function checkText(text: string, what: string): string {
  if (typeof text === "string" && !isWellFormedText(text)) {
    throw new InvalidInputError(`${what} must be valid Unicode text; ${JSON.stringify(text)} holds a lone surrogate.`);
  }
  return text;
}

const MAX_CACHED_COUNTS = 64;
/** How often a compare-and-swap write reads again because another writer changed the row in between. */
const MAX_WRITE_ATTEMPTS = 100;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Keys per `IN (…)` list, well within every database's limit on bound parameters. */
const KEYS_PER_QUERY = 500;

/** How many sessions match a search by id and by label, each counted up to a limit. */
interface BranchCounts {
  ids: number;
  labels: number;
}

type SearchPredicate = (eb: ExpressionBuilder<WorkflowStateDatabase, typeof WORKFLOW_STATE_TABLE>) => Expression<SqlBool>;

/** `column` ≥ `prefix` and < the next prefix: the index range of the values that start with `prefix`. */
function prefixRange(eb: ExpressionBuilder<WorkflowStateDatabase, typeof WORKFLOW_STATE_TABLE>, column: RawBuilder<string>, prefix: string): Expression<SqlBool>[] {
  const upper = prefixUpperBound(prefix);
  return upper === undefined ? [eb(column, ">=", prefix)] : [eb(column, ">=", prefix), eb(column, "<", upper)];
}

function checkOrder(orderBy: string): void {
  if (!Object.hasOwn(LIST_SORT_EXPRESSIONS, orderBy)) throw new InvalidInputError(`Sessions cannot be sorted by ${JSON.stringify(orderBy)}.`);
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Orders text as the list's ORDER BY does: `null` first, then by code point (SQLite's BINARY collation on UTF-8,
 * PostgreSQL's "C"), which JavaScript's `<` on UTF-16 gives only outside the surrogate range.
 */
export function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
}

// SQLite's lower() folds ASCII letters only; the search text is folded the same way so both sides agree.
function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point (UTF-8 byte) order: the
 * prefix with its last code point incremented. `undefined` when there is none (every code point is the largest).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return chars.join("") + String.fromCodePoint(next);
    }
  }
  return undefined;
}

function checkFlowId(flowId: string): void {
  if (typeof flowId !== "string" || flowId.length === 0 || flowId.includes(":")) {
    throw new InvalidInputError(`A flow id must be a non-empty string without ":"; got ${JSON.stringify(flowId)}.`);
  }
  checkText(flowId, "A flow id");
}

function sessionKey(flowId: string, sessionId: string): string {
  checkFlowId(flowId);
  if (typeof sessionId !== "string" || sessionId.length === 0) {
    throw new InvalidInputError(`A session id must be a non-empty string; got ${JSON.stringify(sessionId)}.`);
  }
  checkText(sessionId, "A session id");
  return `${flowId}:${sessionId}`;
}

function toSummary(flowId: string, row: SummaryRow): SessionSummary {
  return {
    flowId,
    sessionId: row.flow_session_key.slice(flowId.length + 1),
    label: row.label,
    currentStep: row.current_step,
    createdAt: parseTimestamp(row.created_at),
    updatedAt: parseTimestamp(row.updated_at),
    stateSizeBytes: Number(row.state_size ?? 0),
  };
}

function isPlainObject(value: unknown): value is WorkflowState {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses a stored `state_json` in the JSON dialect Python's `json.dumps` writes (`NaN`, `Infinity` and `-Infinity`
 * included); `null` or empty is `{}`, anything that is not a JSON object throws {@link CorruptStateError}.
 */
export function parseState(flowId: string, sessionId: string, json: string | null | undefined): WorkflowState {
  if (json === null || json === undefined || json === "") return {};
  let value: unknown;
  try {
    value = parseStateJson(json);
  } catch (error) {
    throw new CorruptStateError(flowId, sessionId, { cause: error });
  }
  if (!isPlainObject(value)) throw new CorruptStateError(flowId, sessionId);
  return value;
}
