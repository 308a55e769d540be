import { sql, type Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { InvalidInputError } from "../errors.js";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { searchPredicates, type BranchCounts, type SearchPredicate } from "./search-predicates.js";
import { checkedOwner, checkFlowId, whereOwner } from "./session-keys.js";
import type { CountSessionsOptions } from "./session-types.js";
import { tokenAt, type ReadPoint } from "./read-point.js";
import { countTagged, type TagFilter } from "./tag-matches.js";
import { whereFlow, type FlowQuery } from "./summary-rows.js";
import { WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/**
 * The most counts one store remembers: 64 (a count per flow, search and owner recently listed), each a few dozen
 * bytes. The least recently used is forgotten first; every one is forgotten when the table changes.
 */
export const MAX_CACHED_COUNTS = 64;

/**
 * Counts a flow's sessions: from the count the database keeps where it keeps one (PostgreSQL's count table), else by
 * counting the index and remembering the count until the dialect's change token moves.
 */
export class SessionCounts {
  private readonly counts = new LRUCache<string, { token: string; count: number | undefined }>({ max: MAX_CACHED_COUNTS });

  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
  ) {}

  /**
   * See `WorkflowStore.countSessions()`. At a read point (`options.readPoint`), a count is remembered by that
   * point's token, and so is the count PostgreSQL keeps, which is otherwise read each time (one row).
   */
  async countSessions(flowId: string, options: CountSessionsOptions = {}): Promise<number> {
    const at = options.readPoint;
    const search = options.search ?? "";
    const limit = options.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new InvalidInputError(`A count limit must be a whole number; got ${limit}.`);
    // With tags: driven by the first tag's index range, each session checked by key (see countTagged()).
    if (options.tags && options.tags.length > 0) return this.countTagged({ flowId, owner: options.owner, tags: options.tags, search }, limit ?? Number.MAX_SAFE_INTEGER, at);
    if (search === "") {
      checkFlowId(flowId);
      const owner = checkedOwner(options.owner);
      const readKept = () => this.dialect.keptCount(this.db, `${flowId}:`, owner);
      // Under its own key: SessionCounts.followChange() moves counted counts only.
      const kept = tokenAt(at, this.db)?.token !== undefined ? await this.cachedCount(JSON.stringify(["kept", flowId, owner ?? null]), readKept, at) : await runQuery(readKept);
      if (kept !== undefined) return limit === undefined ? kept : Math.min(kept, limit);
    }
    return this.cachedCount(JSON.stringify(["count", flowId, search, options.owner ?? null, limit ?? null]), async () => {
      const matching = whereOwner(this.whereFlowAndSearch(this.db.selectFrom(WORKFLOW_STATE_TABLE), flowId, search), options);
      const row = await (limit === undefined
        ? matching.select((eb) => eb.fn.countAll<number | string>().as("count"))
        : this.db.selectFrom(matching.select(sql<number>`1`.as("one")).limit(limit).as("matching")).select((eb) => eb.fn.countAll<number | string>().as("count"))
      ).executeTakeFirstOrThrow();
      return Number(row.count);
      // The flow's whole count is checked against a token read now: followChange() moves it from the token before a
      // trash move to the one after, which would count the move twice in a count read after the move's commit but
      // kept under an earlier read point.
    }, search === "" && limit === undefined ? undefined : at);
  }

  /**
   * How many sessions of the flow (and owner) have an id that starts with the search, and how many a label that
   * does, each at most `limit`, each through its own index (the key, the label index) alone.
   */
  async branchCounts(flowId: string, search: string, owner: string | undefined, limit: number, at?: ReadPoint): Promise<BranchCounts> {
    const { ids, labels } = searchPredicates(this.dialect, flowId, search);
    const count = (where: SearchPredicate) => async () => {
      const matching = whereOwner(this.db.selectFrom(WORKFLOW_STATE_TABLE).select(sql<number>`1`.as("one")).where(where), { owner }).limit(limit);
      const row = await this.db.selectFrom(matching.as("matching")).select((eb) => eb.fn.countAll<number | string>().as("count")).executeTakeFirstOrThrow();
      return Number(row.count);
    };
    const key = (branch: string) => JSON.stringify([branch, flowId, search, owner ?? null, limit]);
    return {
      ids: await this.cachedCount(key("ids"), count(ids.ranges), at),
      labels: await this.cachedCount(key("labels"), count(labels.ranges), at),
    };
  }

  /** How many sessions the tag filter keeps, at most `limit`, remembered as the other counts are. */
  countTagged(filter: TagFilter, limit: number, at?: ReadPoint): Promise<number> {
    const key = JSON.stringify(["tags", filter.flowId, filter.tags, filter.search, filter.owner ?? null, limit]);
    return this.cachedCount(key, () => countTagged(this.db, this.dialect, filter, limit), at);
  }

  /**
   * Keeps the remembered count of the flow's sessions (all owners', and `owner`'s when given) right across one
   * change this store made: `delta` sessions added (negative: removed) by a transaction during which the change
   * token moved from `before` to `after` and nothing else wrote. A count remembered at `before` becomes the count at
   * `after`, so a list shown during a move of many sessions does not recount the flow after every chunk. Any other
   * remembered count is left to go stale as usual.
   */
  followChange(flowId: string, owner: string | undefined, before: string | undefined, after: string | undefined, delta: number): void {
    if (before === undefined || after === undefined) return;
    const owners = owner === undefined ? [null] : [null, owner];
    for (const who of owners) {
      const cacheKey = JSON.stringify(["count", flowId, "", who, null]);
      const cached = this.counts.get(cacheKey);
      if (cached?.token === before && cached.count !== undefined) this.counts.set(cacheKey, { token: after, count: Math.max(0, cached.count + delta) });
    }
  }

  /**
   * A count, remembered until the table changes where the database offers a change token: the one read at `at`
   * when given, else one read now.
   */
  private async cachedCount<T extends number | undefined>(cacheKey: string, count: () => Promise<T>, at?: ReadPoint): Promise<T> {
    const point = tokenAt(at, this.db);
    const token = point ? point.token : await runQuery(() => this.dialect.changeToken(this.db));
    const cached = this.counts.get(cacheKey) as { token: string; count: T } | undefined;
    if (token !== undefined && cached?.token === token) return cached.count;
    const value = await runQuery(count);
    if (token !== undefined) this.counts.set(cacheKey, { token, count: value });
    return value;
  }

  /**
   * Restricts a query to one flow and, when `search` is not empty, to the rows whose label (ASCII case ignored) or
   * session id starts with it, by index ranges (the key ranges and the flow's part of the label index); never by
   * LIKE, so every character matches only itself.
   */
  private whereFlowAndSearch<O>(query: FlowQuery<O>, flowId: string, search: string): FlowQuery<O> {
    if (search === "") return whereFlow(query, this.dialect, flowId);
    const { ids, labels } = searchPredicates(this.dialect, flowId, search);
    return query.where((eb) => eb.or([ids.ranges(eb), labels.ranges(eb)]));
  }
}
