import type { Kysely } from "kysely";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import type { BranchCounts } from "./search-predicates.js";
import { searchMatches } from "./search-matches.js";
import type { SessionCounts } from "./session-counts.js";
import { checkOrder, whereOwner } from "./session-keys.js";
import { SEARCH_MATCH_CAP, type ListSessionsOptions, type ListWindowOptions, type SessionSummary, type SessionWindow } from "./session-types.js";
import { selectSummaries, toSummary, whereFlow, type SummaryRow } from "./summary-rows.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";

/** Keys per `IN (…)` list, well within every database's limit on bound parameters. */
const KEYS_PER_QUERY = 500;

/** Lists a flow's sessions: pages, windows and searches, each by an index walk or index ranges, never a sort of the flow. */
export class SessionList {
  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
    private readonly counts: SessionCounts,
  ) {}

  /** See `WorkflowStore.listSessions()`. */
  async listSessions(flowId: string, options: ListSessionsOptions = {}): Promise<SessionSummary[]> {
    if (!options.search) return this.selectPage(flowId, options);
    const { limit, offset = 0 } = options;
    const end = limit === undefined ? Infinity : offset + limit;
    const counts = await this.counts.branchCounts(flowId, options.search, options.owner, SEARCH_MATCH_CAP + 1);
    return this.summariesByKey(flowId, await this.searchMatches(flowId, { ...options, search: options.search }, offset, end, counts));
  }

  /** See `WorkflowStore.listWindow()`. */
  async listWindow(flowId: string, options: ListWindowOptions): Promise<SessionWindow> {
    const { offset, limit, descending = true, withStates = false, ...rest } = options;
    const states = withStates ? new Map<string, string | null>() : undefined;
    const search = rest.search ?? "";
    let total: number;
    let capped = false;
    let matches: string[] | undefined;
    let counts: BranchCounts | undefined;
    if (search === "") {
      total = await this.counts.countSessions(flowId, { owner: rest.owner });
    } else {
      checkOrder(rest.orderBy ?? "updated_at");
      counts = await this.counts.branchCounts(flowId, search, rest.owner, SEARCH_MATCH_CAP + 1);
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

  /** One page of summaries without a search; with `states`, each row's raw `state_json` is read too and put there by session id. */
  private async selectPage(flowId: string, options: ListSessionsOptions, states?: Map<string, string | null>): Promise<SessionSummary[]> {
    const { orderBy = "updated_at", descending = true, limit, offset = 0 } = options;
    checkOrder(orderBy);
    const direction = this.dialect.orderDirection(descending);
    let query = whereOwner(whereFlow(selectSummaries(this.db, this.dialect, states !== undefined), this.dialect, flowId), options)
      .orderBy(this.dialect.listSort(orderBy), direction)
      .orderBy(this.dialect.listSort("flow_session_key"), direction);
    if (limit !== undefined) query = query.limit(limit).offset(offset);
    else if (offset > 0) query = query.limit(Number.MAX_SAFE_INTEGER).offset(offset);
    const rows = await runQuery(() => query.execute());
    return rows.map((row) => {
      const summary = toSummary(flowId, row);
      states?.set(summary.sessionId, row.state_json ?? null);
      return summary;
    });
  }

  private searchMatches(flowId: string, options: ListSessionsOptions & { search: string }, start: number, end: number, counts: BranchCounts): Promise<string[]> {
    return searchMatches(this.db, this.dialect, flowId, options, start, end, counts);
  }

  /** The summaries of these keys (of one flow), in the order given; with `states`, their raw states too. */
  private async summariesByKey(flowId: string, keys: readonly string[], states?: Map<string, string | null>): Promise<SessionSummary[]> {
    const rows = new Map<string, SummaryRow & { state_json: string | null }>();
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const chunk = keys.slice(i, i + KEYS_PER_QUERY);
      const found = await runQuery(() => selectSummaries(this.db, this.dialect, states !== undefined).where("flow_session_key", "in", chunk).execute());
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
}
