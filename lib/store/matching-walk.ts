import { setTimeout as sleep } from "node:timers/promises";
import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import type { SqlDialect } from "./dialects/dialect.js";
import { prefixUpperBound } from "./search-predicates.js";
import { checkedOwner, checkFlowId } from "./session-keys.js";
import type { SessionScope } from "./session-types.js";
import { TAGS_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

// The walk of every session that matches, chunk by chunk, in key order: how a move of all matching sessions (the
// trash's) and a tag change of all matching sessions find their next keys, and how big each chunk is.

type Db = Kysely<WorkflowStateDatabase>;

/**
 * The most rows one transaction moves or purges when a request acts on all matching sessions: 500. Each chunk is
 * one short transaction, so on SQLite no other request waits long for the write lock (or the event loop).
 */
export const TRASH_CHUNK = 500;

/**
 * The time one chunk aims to take, in ms: each chunk's size follows the pace of the one before (between 10 and
 * {@link TRASH_CHUNK} rows), so a loaded machine gets smaller chunks, and after each chunk the work pauses as long as
 * it took (at most this long), leaving the database and the event loop to other requests at least half the time.
 */
export const CHUNK_TARGET_MS = 5;

/**
 * The time one chunk aims to take where statements do not run on the event loop (PostgreSQL): 20 ms. Other requests
 * run meanwhile, and each chunk costs several round trips, which a 5 ms target would leave room for little else.
 */
export const OFF_LOOP_CHUNK_TARGET_MS = 20;

const MIN_CHUNK = 10;
const FIRST_CHUNK = 20;

/**
 * Runs `step` with a row limit until it handles fewer rows than that limit, sizing each chunk by the last one's pace
 * and pausing between chunks (see {@link CHUNK_TARGET_MS}).
 */
export async function inChunks(targetMs: number, step: (limit: number) => Promise<number>): Promise<void> {
  let limit = FIRST_CHUNK;
  for (;;) {
    const started = performance.now();
    const handled = await step(limit);
    if (handled < limit) return;
    const took = Math.max(1, performance.now() - started);
    // At most half again as many rows as the last chunk: one quick chunk (a cached page) must not size a slow one.
    limit = Math.min(TRASH_CHUNK, Math.round(limit * 1.5), Math.max(MIN_CHUNK, Math.round((limit * targetMs) / took)));
    await sleep(Math.min(took, targetMs));
  }
}

/** Which trashed sessions a restore or purge of many acts on. */
export interface TrashMatch {
  /** Those whose id or stored label starts with this text; `""` for all. @default "" */
  search?: string;
  /** Only those moved by this delete. */
  batch?: string;
  /** Only those that carry every one of these tags (as `normalizeTags()` stores them). @default none */
  tags?: readonly string[] | undefined;
}

/**
 * The next chunk of keys of `table` (`workflow_state` or the trash) that match, after `after` in key order, at most
 * `limit`. workflow_state walks its byte-ordered key index (PostgreSQL's is COLLATE "C"); the trash walks its primary
 * key, or, for one batch, its (batch, key) index, in the column's own order, which `>` then follows too.
 */
export async function matchingKeys(
  db: Db,
  dialect: SqlDialect,
  table: string,
  flowId: string,
  match: TrashMatch,
  scope: SessionScope,
  after: string | undefined,
  limit: number,
): Promise<string[]> {
  const key = table === WORKFLOW_STATE_TABLE ? dialect.keyColumn() : sql.ref("t.flow_session_key");
  const { rows } = await sql<{ flow_session_key: string }>`SELECT t.flow_session_key FROM ${sql.table(table)} t
    WHERE ${matchWhere(dialect, flowId, match, scope)}${after === undefined ? sql`` : sql` AND ${key} > ${after}`}
    ORDER BY ${key} LIMIT ${limit}`.execute(db);
  return rows.map((row) => row.flow_session_key);
}

/**
 * The flow's key range, the owner, the search (prefix of id or of the ASCII-folded label, never LIKE), the batch, the tags.
 * With `olderThan` (the lazy purge, every minute), the flow's key range is kept off the primary key, so SQLite walks
 * the deleted_at index (the few old rows) instead of every trashed row of the flow: 240 ms at 100,000.
 */
export function matchWhere(dialect: SqlDialect, flowId: string, match: TrashMatch, scope: SessionScope, olderThan?: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  const parts: RawBuilder<unknown>[] = [inFlow(dialect, flowId, olderThan !== undefined)];
  const owner = checkedOwner(scope.owner);
  if (owner !== undefined) parts.push(sql`owner = ${owner}`);
  const search = match.search ?? "";
  if (search !== "") {
    const folded = search.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
    const ids = [...new Set([search, folded])].map((prefix) => dialect.startsWith(dialect.keyColumn(), `${flowId}:${prefix}`));
    parts.push(sql`(${sql.join([...ids, dialect.startsWith(dialect.listSort("label"), folded)], sql` OR `)})`);
  }
  if (match.batch !== undefined) parts.push(sql`batch = ${match.batch}`);
  // Each tag: one lookup of the tags' primary key per row (tags stay with a session in the trash).
  for (const tag of match.tags ?? []) parts.push(sql`EXISTS (SELECT 1 FROM ${sql.table(TAGS_TABLE)} g WHERE g.flow_session_key = t.flow_session_key AND g.tag = ${tag})`);
  if (olderThan) parts.push(olderThan);
  return sql<SqlBool>`${sql.join(parts, sql` AND `)}`;
}

/** The flow's key range; with `notIndexed`, kept off the key's index. */
export function inFlow(dialect: SqlDialect, flowId: string, notIndexed = false): RawBuilder<SqlBool> {
  checkFlowId(flowId);
  const key = notIndexed ? dialect.notIndexed(dialect.keyColumn()) : dialect.keyColumn();
  const upper = prefixUpperBound(`${flowId}:`)!;
  return sql<SqlBool>`${key} >= ${`${flowId}:`} AND ${key} < ${upper}`;
}
