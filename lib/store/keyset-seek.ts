import { sql, type Expression, type Kysely, type SqlBool } from "kysely";
import { runQuery } from "./database-errors.js";
import type { ListSortKey, SqlDialect } from "./dialects/dialect.js";
import type { SearchPredicate } from "./search-predicates.js";
import { whereOwner } from "./session-keys.js";
import { whereFlow } from "./summary-rows.js";
import { WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/** A row of an order's index: the full key and the sort value, as the index holds them. */
export interface IndexRow {
  key: string;
  value: string | null;
  /** Whether the `hit` predicate of {@link seekIndex} accepts the row; only with that option. */
  hit?: boolean;
}

/** Which index is walked, and which of its rows count. */
export interface WalkSpec {
  flowId: string;
  owner: string | undefined;
  orderBy: ListSortKey;
  /** Only the rows this accepts (a search's walk filter, without the flow); every row without it. */
  filter?: SearchPredicate | undefined;
}

/**
 * Rows of the order's index in index order (`ascending`: NULL sort values first, then by value, then by key; else
 * the exact reverse), starting at `from` (the row itself with `inclusive`, else just past it) or at the start,
 * skipping `skip` accepted rows and returning the next `take`. Each query is a range of the index: the row-value
 * comparison `(value, key) > (v, k)` for the non-NULL values, and `value IS NULL AND key > k` for the NULL ones,
 * which a row-value comparison cannot reach; so a seek costs `skip + take` index entries, never the offset.
 */
export async function seekIndex(
  db: Kysely<WorkflowStateDatabase>,
  dialect: SqlDialect,
  spec: WalkSpec,
  from: IndexRow | undefined,
  { ascending, inclusive = false, skip = 0, take, hit }: { ascending: boolean; inclusive?: boolean; skip?: number; take: number; hit?: SearchPredicate | undefined },
): Promise<IndexRow[]> {
  const sort = dialect.listSort(spec.orderBy);
  const key = dialect.listSort("flow_session_key");
  const op = sql.raw(ascending ? (inclusive ? ">=" : ">") : inclusive ? "<=" : "<");
  const isNull = sql<SqlBool>`${sort} IS NULL`;
  const notNull = sql<SqlBool>`${sort} IS NOT NULL`;
  // The ranges of the index that follow `from`, in walk order.
  let parts: Array<Expression<SqlBool>>;
  // The parts that hold only NULL sort values, which some planners walk in order only when ordered by the key alone.
  const nullRuns = new Set<Expression<SqlBool>>([isNull]);
  if (from === undefined) parts = ascending ? [isNull, notNull] : [notNull, isNull];
  else if (from.value === null) {
    const run = sql<SqlBool>`${sort} IS NULL AND ${key} ${op} ${from.key}`;
    nullRuns.add(run);
    parts = ascending ? [run, notNull] : [run];
  }
  else {
    // The bound on the value alone is what makes SQLite seek an expression index (`lower(label)`) rather than walk
    // the flow's part of it: it uses a row-value comparison as a range only on plain columns.
    const bound = sql.raw(ascending ? ">=" : "<=");
    const range = sql<SqlBool>`${sort} ${bound} ${from.value} AND (${sort}, ${key}) ${op} (${from.value}, ${from.key})`;
    parts = ascending ? [range] : [range, isNull];
  }
  const direction = dialect.orderDirection(!ascending);
  const rows: IndexRow[] = [];
  let wanted = skip + take;
  for (const part of parts) {
    if (wanted <= 0) break;
    const read = (walkDb: Kysely<WorkflowStateDatabase>) => {
      let query = whereOwner(whereFlow(walkDb.selectFrom(WORKFLOW_STATE_TABLE), dialect, spec.flowId), { owner: spec.owner })
        .select((eb) => [sql<string>`flow_session_key`.as("k"), sort.as("v"), (hit ? sql<number>`CASE WHEN ${hit(eb)} THEN 1 ELSE 0 END` : sql<number>`1`).as("h")])
        .where(part);
      if (spec.filter) query = query.where(spec.filter);
      if (!(dialect.orderNullRunByKey && nullRuns.has(part))) query = query.orderBy(sort, direction);
      return query.orderBy(key, direction).limit(wanted).execute();
    };
    // A filtered walk, and a landmark walk's long chunks, must walk the index, never sort (`SqlDialect.inOrderedWalk`).
    const found = await runQuery(() => (spec.filter || hit ? dialect.inOrderedWalk(db, read) : read(db)));
    for (const row of found) rows.push(hit ? { key: row.k, value: row.v ?? null, hit: Number(row.h) === 1 } : { key: row.k, value: row.v ?? null });
    wanted -= found.length;
  }
  return rows.slice(skip, skip + take);
}

/**
 * True when the row `anchor` is still in the index where it was: the session exists (for the owner) with that sort
 * value, and the filter still accepts it. One lookup by primary key.
 */
export async function anchorHolds(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect, spec: WalkSpec, anchor: IndexRow): Promise<boolean> {
  const sort = dialect.listSort(spec.orderBy);
  let query = whereOwner(db.selectFrom(WORKFLOW_STATE_TABLE).select(sort.as("v")).where("flow_session_key", "=", anchor.key), { owner: spec.owner });
  if (spec.filter) query = query.where(spec.filter);
  const row = await runQuery(() => query.executeTakeFirst());
  return row !== undefined && (row.v ?? null) === anchor.value;
}
