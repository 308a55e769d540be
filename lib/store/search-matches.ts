import type { Kysely } from "kysely";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { compareText, searchPredicates, type BranchCounts, type SearchPredicate } from "./search-predicates.js";
import { checkOrder, whereOwner } from "./session-keys.js";
import { SEARCH_MATCH_CAP, type ListSessionsOptions } from "./session-types.js";
import { WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/**
 * The keys of the search's matches from `start` to `end` (exclusive; `Infinity` for all) in the list's order,
 * without a sort in the database. When both sets of matches (ids, labels) are within the cap, both are read by
 * their index ranges and ordered here. Otherwise one walk of the order's index keeps the rows either filter
 * accepts, up to `end`; in label order, where the labels' range is in order already, that range is walked alone
 * and merged here with the ids' matches when those are within the cap.
 */
export async function searchMatches(
  db: Kysely<WorkflowStateDatabase>,
  dialect: SqlDialect,
  flowId: string,
  options: ListSessionsOptions & { search: string },
  start: number,
  end: number,
  counts: BranchCounts,
): Promise<string[]> {
  const { orderBy = "updated_at", descending = true, search, owner } = options;
  checkOrder(orderBy);
  const { ids, labels } = searchPredicates(dialect, flowId, search);
  const sortValue = dialect.listSort(orderBy);
  const select = (where: SearchPredicate, on = db) =>
    whereOwner(on.selectFrom(WORKFLOW_STATE_TABLE).select(["flow_session_key", sortValue.as("sort_value")]).where(where), { owner });
  const fetch = (where: SearchPredicate) => runQuery(() => select(where).execute());
  // Rows `from` to `to` of those `where` accepts, in the list's order, walking the order's index.
  const inOrder = (where: SearchPredicate, from: number, to: number) =>
    runQuery(() =>
      dialect.inOrderedWalk(db, (walkDb) => {
        const direction = dialect.orderDirection(descending);
        let query = select(where, walkDb).orderBy(sortValue, direction).orderBy(dialect.listSort("flow_session_key"), direction);
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
  const flow = dialect.flowPrefix();
  return walk((eb) => eb.and([eb(flow, "=", `${flowId}:`), eb.or([ids.walk(eb), labels.walk(eb)])]), start, end);
}
