import { sql, type SqlBool } from "kysely";
import { migrateInImmediateTransaction, migrateSqliteSchema } from "../migrations/sqlite.js";
import type { ListSortColumn, ListSortKey, SqlDialect } from "./dialect.js";

/** The sort expressions of the list on SQLite, each backed by an index that leads with the flow prefix. */
export const LIST_SORT_EXPRESSIONS: Readonly<Record<ListSortKey, string>> = {
  updated_at: "updated_at",
  created_at: "created_at",
  label: "lower(label)",
  current_step: "current_step",
};

const SORT_EXPRESSIONS: Readonly<Record<ListSortColumn, string>> = { ...LIST_SORT_EXPRESSIONS, flow_session_key: "flow_session_key" };

/** SQLite's error codes for a database that is there but cannot take this request: locked, read-only, out of space. */
export const SQLITE_UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|IOERR|FULL|PERM)/;

/** The statements of SQLite (better-sqlite3, or any Kysely adapter that extends `SqliteAdapter`). */
export const sqliteDialect: SqlDialect = {
  name: "sqlite",
  checkpointsOnLoop: true,
  localChangeToken: true,
  migrate(db, wait, progress) {
    return migrateInImmediateTransaction(db, (connection) => migrateSqliteSchema(connection, sqliteDialect, progress), wait);
  },
  keyColumn: () => sql<string>`flow_session_key`,
  notIndexed: (expression) => sql`+${expression}`,
  startsWith: (column, prefix) => sql<SqlBool>`substr(${column}, 1, ${[...prefix].length}) = ${prefix}`,
  inOrderedWalk: (db, query) => query(db),
  listSort: (column) => sql.raw(SORT_EXPRESSIONS[column]),
  // SQLite's own default (NULLS FIRST ascending, last descending), which its indexes serve.
  orderDirection: (descending) => (descending ? "desc" : "asc"),
  indexNulls: "",
  orderNullRunByKey: true,
  bytesOf: (column) => sql<Uint8Array>`CAST(${column} AS BLOB)`,
  byteLength: (column) => sql<number>`octet_length(${column})`,
  // Literal text only: SQLite matches an indexed expression by its parse tree, and a bound parameter never matches.
  flowPrefix: () => sql<string>`substr(flow_session_key, 1, instr(flow_session_key, ':'))`,
  async changeToken(db) {
    // data_version moves when another connection commits; total_changes() when this one writes.
    const { rows } = await sql<{ token: string }>`SELECT (SELECT data_version FROM pragma_data_version) || '.' || total_changes() AS token`.execute(db);
    return rows[0]?.token;
  },
  async indexExists(db, name) {
    const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name = ${name}`.execute(db);
    return Number(rows[0]?.n ?? 0) > 0;
  },
  statsToken: (db) => sqliteDialect.changeToken(db),
  async othersChangeToken(db) {
    const { rows } = await sql<{ token: number }>`SELECT data_version AS token FROM pragma_data_version`.execute(db);
    return rows[0] === undefined ? undefined : String(rows[0].token);
  },
  async ownChanges(db) {
    const { rows } = await sql<{ n: number }>`SELECT total_changes() AS n`.execute(db);
    return rows[0] === undefined ? undefined : Number(rows[0].n);
  },
  // "<data_version>.<total_changes()>": data_version does not move for this connection's own commits.
  tokenBefore: (after, ownChangesBefore) => `${after.slice(0, after.lastIndexOf("."))}.${ownChangesBefore}`,
  keptCount: async () => undefined,
  lockFor: async () => {},
};
