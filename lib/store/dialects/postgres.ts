import { sql, type OrderByItemBuilder, type SqlBool } from "kysely";
import { migratePostgresSchema, PG_COUNTS_TABLE } from "../migrations/postgres.js";
import type { ListSortColumn, SqlDialect } from "./dialect.js";

// PostgreSQL compares text by the database's collation and its lower() folds every script; the "C" collation makes
// both behave as SQLite's (byte order, ASCII-only folding).
const SORT_EXPRESSIONS: Readonly<Record<ListSortColumn, string>> = {
  updated_at: `(updated_at COLLATE "C")`,
  created_at: `(created_at COLLATE "C")`,
  label: `lower(label COLLATE "C")`,
  current_step: `(current_step COLLATE "C")`,
  flow_session_key: `(flow_session_key COLLATE "C")`,
};

/** Too many connections or out of resources, a lock or statement timeout, a read-only transaction. */
export const PG_UNAVAILABLE_CODES = /^(53|57014|55P03|25006)/;
/**
 * Connection failures, a server shutting down (57P01 also for `pg_ctl -m immediate`), crashed or starting up, a
 * database that does not exist (3D000).
 */
export const PG_UNREACHABLE_CODES = /^(08|57P0[1-3]|3D000$)/;
/** A database that does not exist. */
export const PG_MISSING_DATABASE_CODE = "3D000";
/** node-postgres reports a lost connection, or a client broken by one, without a code. */
export const PG_UNREACHABLE_MESSAGES = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable)/;
/** An exhausted pool (the host's own, with a connection timeout), also without a code. */
export const PG_UNAVAILABLE_MESSAGES = /^timeout exceeded when trying to connect/;

/** The statements of PostgreSQL (node-postgres, or any Kysely adapter that extends `PostgresAdapter`). */
export const postgresDialect: SqlDialect = {
  name: "postgres",
  checkpointsOnLoop: false,
  localChangeToken: false,
  migrate: (db, _wait, progress) => migratePostgresSchema(db, postgresDialect, progress),
  async indexExists(db, name) {
    const { rows } = await sql<{ found: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS found`.execute(db);
    return rows[0]?.found === true;
  },
  keyColumn: () => sql<string>`(flow_session_key COLLATE "C")`,
  notIndexed: (expression) => expression,
  startsWith: (column, prefix) => sql<SqlBool>`starts_with(${column}, ${prefix})`,
  inOrderedWalk: (db, query) =>
    db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_sort = off`.execute(trx);
      return query(trx);
    }),
  listSort: (column) => sql.raw(SORT_EXPRESSIONS[column]),
  // PostgreSQL sorts NULLs last ascending: spelled out, as the list indexes hold them.
  orderDirection: (descending) => (ob: OrderByItemBuilder) => (descending ? ob.desc().nullsLast() : ob.asc().nullsFirst()),
  indexNulls: " NULLS FIRST",
  orderNullRunByKey: false,
  bytesOf: (column) => sql<Uint8Array>`convert_to(${column}, 'UTF8')`,
  byteLength: (column) => sql<number>`octet_length(${column})`,
  // NULL for a key without ":", like SQLite's expression gives "" for one.
  flowPrefix: () => sql<string>`(substring(flow_session_key from '^[^:]*:'))`,
  async changeToken(db) {
    // The write-ahead log's insert position with the current snapshot. Any commit, of this connection or another,
    // inserts its commit record first (the position moves), and its rows become visible only later, after the log is
    // flushed (and a synchronous standby has it), when its transaction leaves the snapshot's in-progress list (the
    // snapshot changes). A read made between the two is kept under a token whose snapshot still shows the commit
    // in progress, so the next token, taken once it is visible, differs. An unchanged token therefore means that
    // nothing read since can have changed. Both also move with other tables' and databases' writes (a remembered
    // result is then read again, never wrong). A standby's replay position and snapshot move as it applies the
    // primary's commits. Unlogged tables write no log: no token then. (txid_current_snapshot(): every version.)
    const { rows } = await sql<{ token: string | null }>`SELECT CASE
        WHEN EXISTS (SELECT 1 FROM pg_class WHERE oid IN (to_regclass('workflow_state'), to_regclass('workflow_state_tags'), to_regclass('workflow_state_pins')) AND relpersistence <> 'p') THEN NULL
        WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text || ' ' || txid_current_snapshot()::text
        ELSE pg_current_wal_insert_lsn()::text || ' ' || txid_current_snapshot()::text END AS token`.execute(db);
    return rows[0]?.token ?? undefined;
  },
  ownChanges: async () => undefined,
  tokenBefore: (after) => after,
  async statsToken(db) {
    // Rows inserted, updated and deleted, as the statistics count them; a backend reports its counts within a second or so.
    // The tags' too, since the list's tag filters walk with landmarks of their own.
    const { rows } = await sql<{ token: string | null }>`SELECT pg_stat_get_tuples_inserted(t.oid) || '.' || pg_stat_get_tuples_updated(t.oid) || '.'
        || pg_stat_get_tuples_deleted(t.oid) || '.' || coalesce(pg_stat_get_tuples_inserted(g.oid) + pg_stat_get_tuples_deleted(g.oid) + pg_stat_get_tuples_updated(g.oid), 0) AS token
        FROM (SELECT to_regclass('workflow_state')::oid AS oid) AS t, (SELECT to_regclass('workflow_state_tags')::oid AS oid) AS g`.execute(db);
    return rows[0]?.token ?? undefined;
  },
  othersChangeToken: (db) => postgresDialect.statsToken(db),
  async lockFor(trx, name) {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`express-workflow-sessions:${name}`}))`.execute(trx);
  },
  async keptCount(db, flowPrefix, owner) {
    const { rows } = await sql<{ sessions: string }>`SELECT sessions FROM ${sql.table(PG_COUNTS_TABLE)}
        WHERE flow_prefix = ${flowPrefix} AND owner_key = ${owner ?? ""}`.execute(db);
    return Number(rows[0]?.sessions ?? 0);
  },
};
