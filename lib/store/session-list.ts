import type { Kysely } from "kysely";
import type { BulkMoves } from "./bulk-moves.js";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { anchorHolds, seekIndex, type IndexRow, type WalkSpec } from "./keyset-seek.js";
import { LANDMARK_SPACING, landmarkAfter, landmarkAt, ListLandmarks, type LandmarkSet } from "./list-landmarks.js";
import { searchPredicates, type BranchCounts } from "./search-predicates.js";
import { searchMatches } from "./search-matches.js";
import { taggedKeysInOrder, tagWalkFilter, type TagFilter } from "./tag-matches.js";
import type { SessionCounts } from "./session-counts.js";
import { keyChunks } from "./key-chunks.js";
import type { ReadPoint } from "./read-point.js";
import { checkOrder, isWellFormedText, whereOwner } from "./session-keys.js";
import {
  SEARCH_COUNT_BOUND,
  SEARCH_MATCH_CAP,
  type ListAnchor,
  type ListSessionsOptions,
  type ListWindowOptions,
  type SessionOrderBy,
  type SessionSummary,
  type SessionWindow,
} from "./session-types.js";
import { selectSummaries, toSummary, whereFlow, type SummaryRow } from "./summary-rows.js";
import { changeTokenOf, TokenCache } from "./token-cache.js";
import { copyWindow, rememberedWindows, windowKey } from "./remembered-windows.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";

/**
 * The largest list whose deep windows may walk their offset while its first landmark walk runs: at 20,000 rows such
 * a window costs a few milliseconds; in a larger list it waits for the walk instead.
 */
const WALK_OFFSET_UP_TO = 20_000;

/** Lists a flow's sessions: pages, windows and searches, each by an index walk or index ranges, never a sort of the flow. */
export class SessionList {
  private readonly landmarks: ListLandmarks;
  // The matches of a tag filter within the cap (at most 1,000 keys), in each order asked for, by the change token
  // they were read at: windows of the same filter then read only their own rows.
  private readonly tagged: TokenCache<string[]>;
  // The same for a search whose two sets of matches are both within the cap (at most 2,000 keys).
  private readonly searched: TokenCache<string[]>;
  // Plain windows (no search, no tag filter) by the change token, where reading it costs no round trip (SQLite) or
  // was read for the request (a read point): an unchanged list asked again (a refresh, another tab, the live
  // updates) then reads the token only.
  private readonly windows: TokenCache<SessionWindow>;

  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
    private readonly counts: SessionCounts,
    moves?: BulkMoves,
  ) {
    this.landmarks = new ListLandmarks(db, dialect, moves);
    const token = changeTokenOf(db, dialect);
    this.tagged = new TokenCache(db, token, { max: 32 });
    this.searched = new TokenCache(db, token, { max: 32 });
    this.windows = rememberedWindows(db, token, dialect.localChangeToken);
  }

  /** See `WorkflowStore.listSessions()`. */
  async listSessions(flowId: string, options: ListSessionsOptions = {}): Promise<SessionSummary[]> {
    if (!options.search) return this.selectPage(flowId, options);
    const { limit, offset = 0 } = options;
    const end = limit === undefined ? Infinity : offset + limit;
    const counts = await this.counts.branchCounts(flowId, options.search, options.owner, SEARCH_MATCH_CAP + 1);
    return this.summariesByKey(flowId, await this.searchMatches(flowId, { ...options, search: options.search }, offset, end, counts), options.orderBy);
  }

  /** See `WorkflowStore.listWindow()`. */
  async listWindow(flowId: string, options: ListWindowOptions): Promise<SessionWindow> {
    if (options.search || options.tags?.length || !(this.dialect.localChangeToken || options.readPoint)) return this.readWindow(flowId, options);
    // Not kept when a landmark placed it: landmarks are walked again after writes without the token moving, so such
    // a window may be placed better a moment later. Any other plain window is a function of the table alone.
    const placed = { byLandmark: false };
    return this.windows.get(windowKey(flowId, options), () => this.readWindow(flowId, options, placed), copyWindow, () => !placed.byLandmark, options.readPoint);
  }

  private async readWindow(flowId: string, options: ListWindowOptions, placed = { byLandmark: false }): Promise<SessionWindow> {
    const { offset, limit, descending = true, withStates = false, after, before, readPoint: at, ...rest } = options;
    const orderBy = rest.orderBy ?? "updated_at";
    checkOrder(orderBy);
    const states = withStates ? new Map<string, string | null>() : undefined;
    const search = rest.search ?? "";
    const tags = rest.tags ?? [];
    const tagFilter: TagFilter = { flowId, owner: rest.owner, tags, search };
    const spec: WalkSpec = { flowId, owner: rest.owner, orderBy };
    let total: number;
    let capped = false;
    let matches: string[] | undefined;
    let counts: BranchCounts | undefined;
    let landmarks: LandmarkSet | undefined;
    if (tags.length > 0) {
      // As a search: within the cap, the matches are read by the first tag's index range and ordered here; beyond
      // it, the order's index is walked with the filter, from the filter's own landmarks once they are built.
      const within = await this.counts.countTagged(tagFilter, SEARCH_MATCH_CAP + 1, at);
      if (within <= SEARCH_MATCH_CAP) {
        matches = await this.taggedInOrder(tagFilter, orderBy, descending, at);
        total = matches.length;
      } else {
        spec.filter = tagWalkFilter(this.dialect, tagFilter);
        const key = JSON.stringify([flowId, rest.owner ?? null, orderBy, search, tags]);
        landmarks = offset > LANDMARK_SPACING ? await this.landmarks.whenBuilt(spec, key) : await this.landmarks.get(spec, key);
        if (landmarks) total = landmarks.total;
        else {
          const bounded = await this.counts.countTagged(tagFilter, SEARCH_COUNT_BOUND + 1, at);
          total = Math.min(bounded, SEARCH_COUNT_BOUND);
          capped = bounded > SEARCH_COUNT_BOUND;
        }
      }
    } else if (search === "") {
      total = await this.counts.countSessions(flowId, { owner: rest.owner, readPoint: at });
      if (total > 2 * LANDMARK_SPACING) {
        const key = JSON.stringify([flowId, rest.owner ?? null, orderBy]);
        const deep = Math.min(offset, total - offset - limit) > LANDMARK_SPACING;
        // A deep window in a large list waits for the first walk rather than walk its offset in one blocking query.
        landmarks = deep && total > WALK_OFFSET_UP_TO ? await this.landmarks.whenBuilt(spec, key) : await this.landmarks.get(spec, key);
      }
    } else {
      counts = await this.counts.branchCounts(flowId, search, rest.owner, SEARCH_MATCH_CAP + 1, at);
      if (counts.ids <= SEARCH_MATCH_CAP && counts.labels <= SEARCH_MATCH_CAP) {
        matches = await this.searchedInOrder(flowId, { ...rest, descending, search }, counts, at);
        total = Math.min(matches.length, SEARCH_MATCH_CAP);
        capped = matches.length > SEARCH_MATCH_CAP;
      } else {
        const { ids, labels } = searchPredicates(this.dialect, flowId, search);
        spec.filter = (eb) => eb.or([ids.walk(eb), labels.walk(eb)]);
        const key = JSON.stringify([flowId, rest.owner ?? null, orderBy, search]);
        // A deep window waits for the walk that counts the matches and marks landmarks among them, as above.
        landmarks = offset > LANDMARK_SPACING ? await this.landmarks.whenBuilt(spec, key) : await this.landmarks.get(spec, key);
        if (landmarks) total = landmarks.total;
        else {
          // Until the walk has counted them all: a count that stops past the bound, so it never costs the matches.
          const bounded = await this.counts.countSessions(flowId, { owner: rest.owner, search, limit: SEARCH_COUNT_BOUND + 1, readPoint: at });
          total = Math.min(bounded, SEARCH_COUNT_BOUND);
          capped = bounded > SEARCH_COUNT_BOUND;
        }
      }
    }
    const start = offset >= total ? Math.max(0, total - limit) : Math.max(0, offset);
    const count = Math.min(limit, total - start);
    const values = new Map<string, string | null>();
    const window = (sessions: SessionSummary[], at: number): SessionWindow => {
      const result: SessionWindow = { sessions, total, capped, offset: at, ...(states ? { states } : {}) };
      if (sessions.length > 0) {
        const anchor = (summary: SessionSummary, offset: number): ListAnchor => ({ sessionId: summary.sessionId, value: values.get(summary.sessionId) ?? null, offset });
        result.anchors = { first: anchor(sessions[0]!, at), last: anchor(sessions[sessions.length - 1]!, at + sessions.length - 1) };
      }
      return result;
    };
    const byIndexRows = async (rows: IndexRow[], at: number) => window(await this.summariesByKey(flowId, rows.map((row) => row.key), orderBy, values, states), at);
    if (count <= 0) return window([], 0);

    // A sparse filter whose set holds every match's key: the window is its keys, read by key (exact as of the walk).
    const keys = matches === undefined ? landmarks?.keys : undefined;
    if (keys) {
      const from = descending ? total - start - count : start;
      const shown = keys.slice(Math.max(0, from), from + count);
      // Read with the owner and the filter, so a row that no longer matches (on PostgreSQL the set's token lags a
      // commit by up to a second) is never shown.
      const sessions = await this.summariesByKey(flowId, descending ? shown.reverse() : shown, orderBy, values, states, spec);
      placed.byLandmark = true;
      if (sessions.length === shown.length) return window(sessions, start);
      // A match deleted or changed since the walk: this window walks as below, so it stays full and exact.
      values.clear();
      states?.clear();
    }

    // A window near one shown: seek from its boundary row, if that row is still where it was.
    const anchor = after ?? before;
    const anchorKey = anchor && isWellFormedText(anchor.sessionId) && anchor.sessionId !== "" ? `${flowId}:${anchor.sessionId}` : undefined;
    // Rows between the anchor and the window: `after` from the row after the anchor, `before` back from the one before it.
    const skip = anchor?.offset === undefined ? 0 : after !== undefined ? start - anchor.offset - 1 : anchor.offset - (start + count);
    if (matches === undefined && anchor !== undefined && anchorKey !== undefined && skip >= -1 && skip <= LANDMARK_SPACING) {
      const row: IndexRow = { key: anchorKey, value: anchor.value };
      if (await anchorHolds(this.db, this.dialect, spec, row)) {
        // The list's order is the index's ascending order when the list ascends; "before" walks the other way.
        const ascending = after !== undefined ? !descending : descending;
        const rows = await seekIndex(this.db, this.dialect, spec, row, { ascending, inclusive: skip === -1, skip: Math.max(0, skip), take: count });
        if (rows.length === count) return byIndexRows(after !== undefined ? rows : rows.reverse(), start);
      }
    }
    if (matches !== undefined) return window(await this.summariesByKey(flowId, matches.slice(start, start + count), orderBy, values, states), start);

    // A jump far from both ends: seek from the nearest landmark, then walk at most LANDMARK_SPACING rows.
    const fromEnd = total - start - count;
    if (landmarks && Math.min(start, fromEnd) > LANDMARK_SPACING) {
      placed.byLandmark = true;
      const ascendingStart = descending ? fromEnd : start;
      const mark = landmarkAt(landmarks, ascendingStart);
      // From the landmark after the window instead, walking back, when it is the nearer one: at most half the
      // spacing walked (a tag on half the sessions walks twice its rows' index entries).
      const last = ascendingStart + count - 1;
      const next = landmarkAfter(landmarks, last);
      if (next && next.position - last < ascendingStart - mark.position) {
        const back = await seekIndex(this.db, this.dialect, spec, next.row, { ascending: false, inclusive: true, skip: next.position - last, take: count });
        if (back.length === count) return byIndexRows(descending ? back : back.reverse(), start);
      }
      const rows = await seekIndex(this.db, this.dialect, spec, mark.row, { ascending: true, inclusive: true, skip: ascendingStart - mark.position, take: count });
      return byIndexRows(descending ? rows.reverse() : rows, start);
    }
    if (tags.length > 0) {
      // Until the filter's landmarks are built: its first matches walked in the list's order (at most the bound).
      const rows = await seekIndex(this.db, this.dialect, spec, undefined, { ascending: !descending, skip: start, take: count });
      return byIndexRows(rows, start);
    }
    if (search !== "") {
      const keys = await this.searchMatches(flowId, { ...rest, descending, search }, start, start + count, counts!);
      return window(await this.summariesByKey(flowId, keys, orderBy, values, states), start);
    }
    if (fromEnd >= start) {
      return window(await this.selectPage(flowId, { ...rest, descending, limit: count, offset: start }, states, values), start);
    }
    const reversed = await this.selectPage(flowId, { ...rest, descending: !descending, limit: count, offset: fromEnd }, states, values);
    return window(reversed.reverse(), start);
  }

  /** Resolves once the landmark walks under way have ended (see `ListLandmarks.settled()`). */
  landmarksSettled(): Promise<void> {
    return this.landmarks.settled();
  }

  /** Stops the landmark walks under way. */
  close(): void {
    this.landmarks.close();
  }

  /** One page of summaries without a search; with `states`, each row's raw `state_json` is read too and put there by session id. */
  private async selectPage(flowId: string, options: ListSessionsOptions, states?: Map<string, string | null>, values?: Map<string, string | null>): Promise<SessionSummary[]> {
    const { orderBy = "updated_at", descending = true, limit, offset = 0 } = options;
    checkOrder(orderBy);
    const direction = this.dialect.orderDirection(descending);
    const sort = this.dialect.listSort(orderBy);
    let query = whereOwner(whereFlow(selectSummaries(this.db, this.dialect, states !== undefined).select(sort.as("sort_value")), this.dialect, flowId), options)
      .orderBy(this.dialect.listSort(orderBy), direction)
      .orderBy(this.dialect.listSort("flow_session_key"), direction);
    if (limit !== undefined) query = query.limit(limit).offset(offset);
    else if (offset > 0) query = query.limit(Number.MAX_SAFE_INTEGER).offset(offset);
    const rows = await runQuery(() => query.execute());
    return rows.map((row) => {
      const summary = toSummary(flowId, row);
      states?.set(summary.sessionId, row.state_json ?? null);
      values?.set(summary.sessionId, row.sort_value ?? null);
      return summary;
    });
  }

  private taggedInOrder(filter: TagFilter, orderBy: SessionOrderBy, descending: boolean, at: ReadPoint | undefined): Promise<string[]> {
    const key = JSON.stringify([filter.flowId, filter.owner ?? null, filter.tags, filter.search, orderBy, descending]);
    return this.tagged.get(key, () => taggedKeysInOrder(this.db, this.dialect, filter, orderBy, descending), sharedKeys, undefined, at);
  }

  // Like taggedInOrder(): a search's matches within the cap, in the order asked for, by the change token.
  private searchedInOrder(flowId: string, options: ListSessionsOptions & { search: string }, counts: BranchCounts, at: ReadPoint | undefined): Promise<string[]> {
    const key = JSON.stringify([flowId, options.owner ?? null, options.search, options.orderBy ?? "updated_at", options.descending ?? true]);
    return this.searched.get(key, () => this.searchMatches(flowId, options, 0, Infinity, counts), sharedKeys, undefined, at);
  }

  private searchMatches(flowId: string, options: ListSessionsOptions & { search: string }, start: number, end: number, counts: BranchCounts): Promise<string[]> {
    return searchMatches(this.db, this.dialect, flowId, options, start, end, counts);
  }

  /**
   * The summaries of these keys (of one flow), in the order given; with `states`, their raw states too; with
   * `matching`, only those of its owner that its filter accepts.
   */
  private async summariesByKey(
    flowId: string,
    keys: readonly string[],
    orderBy?: SessionOrderBy,
    values?: Map<string, string | null>,
    states?: Map<string, string | null>,
    matching?: WalkSpec,
  ): Promise<SessionSummary[]> {
    const rows = new Map<string, SummaryRow & { state_json: string | null; sort_value: string | null }>();
    const sort = this.dialect.listSort(orderBy ?? "updated_at");
    for (const chunk of keyChunks(keys)) {
      let query = selectSummaries(this.db, this.dialect, states !== undefined).select(sort.as("sort_value")).where("flow_session_key", "in", chunk);
      if (matching) query = whereOwner(query, { owner: matching.owner });
      if (matching?.filter) query = query.where(matching.filter);
      const found = await runQuery(() => query.execute());
      for (const row of found) rows.set(row.flow_session_key, row);
    }
    const summaries: SessionSummary[] = [];
    for (const key of keys) {
      const row = rows.get(key);
      if (!row) continue; // deleted since the matches were read
      const summary = toSummary(flowId, row);
      states?.set(summary.sessionId, row.state_json ?? null);
      values?.set(summary.sessionId, row.sort_value ?? null);
      summaries.push(summary);
    }
    return summaries;
  }
}

/** Matches' keys are only sliced, never changed, so every window of a filter shares one array. */
const sharedKeys = (keys: string[]) => keys;
