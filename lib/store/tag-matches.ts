import { sql, type Kysely } from "kysely";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { compareText, searchPredicates, type SearchPredicate } from "./search-predicates.js";
import { checkedOwner, checkFlowId, whereOwner } from "./session-keys.js";
import type { SessionOrderBy } from "./session-types.js";
import { TAGS_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

type Db = Kysely<WorkflowStateDatabase>;

/** A tag filter of the list: the flow, its owner (every owner's without one), the tags that must all match, the search. */
export interface TagFilter {
  flowId: string;
  owner: string | undefined;
  /** At least one tag, as `normalizeTags()` stores them. */
  tags: readonly string[];
  /** A search that must match too (see `searchPredicates()`); `""` for none. */
  search: string;
}

/**
 * The filter as a condition on a row of `workflow_state`, for a walk of one of the list's indexes: each tag is an
 * EXISTS on the tags' primary key `(flow_session_key, tag)`, one lookup per row; the search is its walk filter. The
 * walk adds the flow and the owner.
 */
export function tagWalkFilter(dialect: SqlDialect, filter: TagFilter): SearchPredicate {
  const search = filter.search === "" ? undefined : searchPredicates(dialect, filter.flowId, filter.search);
  return (eb) =>
    eb.and([
      ...filter.tags.map((tag) =>
        eb.exists(
          eb
            .selectFrom(TAGS_TABLE)
            .select(sql<number>`1`.as("one"))
            .whereRef(`${TAGS_TABLE}.flow_session_key`, "=", `${WORKFLOW_STATE_TABLE}.flow_session_key`)
            .where(`${TAGS_TABLE}.tag`, "=", tag),
        ),
      ),
      ...(search ? [eb.or([search.ids.walk(eb), search.labels.walk(eb)])] : []),
    ]);
}

// The sessions of the filter, driven by the first tag's range of the tags' index (`(flow_id, owner, tag)`, or
// `(flow_id, tag)` without an owner), each row then checked by key: its cost is that tag's sessions, not the flow's.
function matching(db: Db, dialect: SqlDialect, filter: TagFilter) {
  checkFlowId(filter.flowId);
  const owner = checkedOwner(filter.owner);
  const [first, ...others] = filter.tags;
  let tagged = db.selectFrom(TAGS_TABLE).select("flow_session_key").where("flow_id", "=", filter.flowId).where("tag", "=", first!);
  if (owner !== undefined) tagged = tagged.where("owner", "=", owner);
  const rest = others.length > 0 || filter.search !== "" ? tagWalkFilter(dialect, { ...filter, tags: others }) : undefined;
  let query = whereOwner(db.selectFrom(WORKFLOW_STATE_TABLE).where("flow_session_key", "in", tagged), { owner });
  if (rest) query = query.where(rest);
  return query;
}

/** How many sessions the filter keeps, counting at most `limit` (index entries and key lookups only). */
export async function countTagged(db: Db, dialect: SqlDialect, filter: TagFilter, limit: number): Promise<number> {
  const bounded = matching(db, dialect, filter).select(sql<number>`1`.as("one")).limit(limit);
  const row = await runQuery(() => db.selectFrom(bounded.as("matching")).select((eb) => eb.fn.countAll<number | string>().as("count")).executeTakeFirstOrThrow());
  return Number(row.count);
}

/**
 * The keys of every session the filter keeps (the caller has counted them within the cap), in the list's order:
 * read by the first tag's index range and ordered here, never by a sort in the database.
 */
export async function taggedKeysInOrder(db: Db, dialect: SqlDialect, filter: TagFilter, orderBy: SessionOrderBy, descending: boolean): Promise<string[]> {
  const rows = await runQuery(() => matching(db, dialect, filter).select(["flow_session_key", dialect.listSort(orderBy).as("sort_value")]).execute());
  const sign = descending ? -1 : 1;
  return rows
    .sort((a, b) => sign * (compareText(a.sort_value ?? null, b.sort_value ?? null) || compareText(a.flow_session_key, b.flow_session_key)))
    .map((row) => row.flow_session_key);
}
