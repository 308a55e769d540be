import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { ConfigurationError, StoreUnavailableError, translateDatabaseError } from "../errors.js";
import { OWNER_INDEX, UPDATED_AT_INDEX, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

type Sql = Expression<unknown>;

/** The few statements that differ between SQLite and PostgreSQL. */
export interface SqlDialect {
  /** The dialect's name, for messages. */
  readonly name: "sqlite" | "postgres";
  /** Creates the table and indexes if missing and adds columns that older files lack. Idempotent. */
  migrate(db: Kysely<WorkflowStateDatabase>): Promise<void>;
  /** `flow_session_key`, compared byte-wise so that a key range selects exactly one flow. */
  keyColumn(): RawBuilder<string>;
  /**
   * The ORDER BY expression of a list sort (or of the tie-break, `flow_session_key`), exactly as the list index
   * holds it. Text sorts byte-wise and labels fold ASCII case only, on both databases, so they list sessions in one
   * order; the label search uses the same `label` expression.
   */
  listSort(column: ListSortColumn): RawBuilder<string>;
  /** The bytes of a text column, as stored, so two reads of it compare exactly (whatever the collation or encoding). */
  bytesOf(column: Sql): RawBuilder<Uint8Array>;
  /**
   * True when the text `column` starts with `prefix`, as a filter for a walk of another index (never LIKE). SQLite
   * compares its first characters; PostgreSQL calls `starts_with()`, whose estimate from the column's statistics
   * keeps the planner on the order's index, where a comparison of the first characters would be estimated to
   * match almost nothing and be sorted instead.
   */
  startsWith(column: RawBuilder<string>, prefix: string): RawBuilder<SqlBool>;
  /**
   * Runs a query that must walk an index in order, never sort: as is on SQLite, whose planner walks the index the
   * ORDER BY names; on PostgreSQL in a transaction with `enable_sort` off, since its planner sorts the matches of
   * a small or unvacuumed table instead (cheaper there by its estimate, but a cost that grows with the matches).
   */
  inOrderedWalk<T>(db: Kysely<WorkflowStateDatabase>, query: (db: Kysely<WorkflowStateDatabase>) => Promise<T>): Promise<T>;
  /** The size in bytes of a text column, computed without reading it where the database allows. */
  byteLength(column: Sql): RawBuilder<number>;
  /**
   * The key's flow part, `"<flowId>:"`: everything up to and including its first `:`. For a flow id without `:`,
   * `flowPrefix() = "<flowId>:"` selects exactly the keys of the range `flowId:` ≤ key < `flowId;`. The list indexes
   * lead with this expression, so a list query must use it verbatim.
   */
  flowPrefix(): RawBuilder<string>;
  /**
   * A token that changes whenever the table may have changed, from this connection or any other; `undefined` when
   * the database offers no cheap one (then nothing is cached).
   */
  changeToken(db: Kysely<WorkflowStateDatabase>): Promise<string | undefined>;
  /**
   * The number of sessions whose key starts with `flowPrefix` (and whose owner is `owner`, when given), read from a
   * count the database keeps up to date as rows come and go; `undefined` when it keeps none (then the store counts
   * the index, and caches the count by {@link changeToken}).
   */
  keptCount(db: Kysely<WorkflowStateDatabase>, flowPrefix: string, owner: string | undefined): Promise<number | undefined>;
}

/** The sort expressions of the list on SQLite, each backed by an index that leads with the flow prefix. */
export const LIST_SORT_EXPRESSIONS = {
  updated_at: "updated_at",
  created_at: "created_at",
  label: "lower(label)",
  current_step: "current_step",
} as const;

/** A column the list sorts by, or the tie-break. */
export type ListSortColumn = keyof typeof LIST_SORT_EXPRESSIONS | "flow_session_key";

// PostgreSQL compares text by the database's collation and its lower() folds every script; the "C" collation makes
// both behave as SQLite's (byte order, ASCII-only folding).
const POSTGRES_SORT_EXPRESSIONS: Readonly<Record<ListSortColumn, string>> = {
  updated_at: `(updated_at COLLATE "C")`,
  created_at: `(created_at COLLATE "C")`,
  label: `lower(label COLLATE "C")`,
  current_step: `(current_step COLLATE "C")`,
  flow_session_key: `(flow_session_key COLLATE "C")`,
};

/**
 * The index behind each list sort: `(flow prefix, sort expression, flow_session_key)`, created if missing. Those of the
 * time and step orders also hold `label` last, so a search walks them without reading the table (see
 * `listWindow()`); the label order's index holds `lower(label)` already.
 */
export const LIST_INDEXES: Readonly<Record<keyof typeof LIST_SORT_EXPRESSIONS, string>> = {
  updated_at: "idx_workflow_state_flow_updated_label",
  created_at: "idx_workflow_state_flow_created_label",
  label: "idx_workflow_state_flow_label",
  current_step: "idx_workflow_state_flow_step_label",
};

/**
 * The same per owner, for the `owner` option: `(flow prefix, owner, sort expression, flow_session_key)` (and `label`
 * as above), partial on `owner IS NOT NULL`, so one user's window never walks past other users' sessions, and a file
 * nobody owns rows in pays nothing for them.
 */
export const OWNER_LIST_INDEXES: Readonly<Record<keyof typeof LIST_SORT_EXPRESSIONS, string>> = {
  updated_at: "idx_workflow_state_owner_updated_label",
  created_at: "idx_workflow_state_owner_created_label",
  label: "idx_workflow_state_owner_label",
  current_step: "idx_workflow_state_owner_step_label",
};

/** List indexes of earlier releases (without `label`), which the indexes above replace; dropped when found. */
export const SUPERSEDED_LIST_INDEXES: readonly string[] = [
  "idx_workflow_state_flow_updated",
  "idx_workflow_state_flow_created",
  "idx_workflow_state_flow_step",
  "idx_workflow_state_owner_updated",
  "idx_workflow_state_owner_created",
  "idx_workflow_state_owner_step",
];

// Walking one of these indexes in order gives a window of one flow (or one owner's part of it) with no sort step,
// and its key column makes the tie-break (and the count) index-only. `nulls` is how the list orders NULLs ascending
// (SQLite's default, NULLS FIRST), spelled out where the database's default differs.
async function createListIndexes(
  db: Kysely<WorkflowStateDatabase>,
  prefix: RawBuilder<string>,
  expressions: Readonly<Record<ListSortColumn, string>>,
  nulls: string,
): Promise<void> {
  const table = sql.table(WORKFLOW_STATE_TABLE);
  const key = sql.raw(`${expressions.flow_session_key}${nulls}`);
  for (const orderBy of Object.keys(LIST_INDEXES) as Array<keyof typeof LIST_INDEXES>) {
    const expression = sql.raw(`${expressions[orderBy]}${nulls}`);
    const label = orderBy === "label" ? sql`` : sql`, label`;
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(LIST_INDEXES[orderBy])} ON ${table}(${prefix}, ${expression}, ${key}${label})`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(OWNER_LIST_INDEXES[orderBy])} ON ${table}(${prefix}, owner, ${expression}, ${key}${label})
        WHERE owner IS NOT NULL`.execute(db);
  }
  for (const name of SUPERSEDED_LIST_INDEXES) await sql`DROP INDEX IF EXISTS ${sql.id(name)}`.execute(db);
}

const SQLITE_SORT_EXPRESSIONS: Readonly<Record<ListSortColumn, string>> = { ...LIST_SORT_EXPRESSIONS, flow_session_key: "flow_session_key" };

// Literal text only: SQLite matches an indexed expression by its parse tree, and a bound parameter never matches.
const sqliteFlowPrefix = () => sql<string>`substr(flow_session_key, 1, instr(flow_session_key, ':'))`;

const sqliteDialect: SqlDialect = {
  name: "sqlite",
  async migrate(db) {
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(WORKFLOW_STATE_TABLE)} (
        flow_session_key TEXT PRIMARY KEY,
        current_step TEXT,
        state_json TEXT DEFAULT '{}',
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        label TEXT)`.execute(db);
    const columns = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${WORKFLOW_STATE_TABLE})`.execute(db);
    if (!columns.rows.some((column) => column.name === "label")) {
      await sql`ALTER TABLE ${sql.table(WORKFLOW_STATE_TABLE)} ADD COLUMN label TEXT`.execute(db);
    }
    if (!columns.rows.some((column) => column.name === "owner")) {
      await sql`ALTER TABLE ${sql.table(WORKFLOW_STATE_TABLE)} ADD COLUMN owner TEXT`.execute(db);
    }
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(OWNER_INDEX)} ON ${sql.table(WORKFLOW_STATE_TABLE)}(owner)`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(UPDATED_AT_INDEX)} ON ${sql.table(WORKFLOW_STATE_TABLE)}(updated_at)`.execute(db);
    await createListIndexes(db, sqliteFlowPrefix(), SQLITE_SORT_EXPRESSIONS, "");
  },
  keyColumn: () => sql<string>`flow_session_key`,
  startsWith: (column, prefix) => sql<SqlBool>`substr(${column}, 1, ${[...prefix].length}) = ${prefix}`,
  inOrderedWalk: (db, query) => query(db),
  listSort: (column) => sql.raw(SQLITE_SORT_EXPRESSIONS[column]),
  bytesOf: (column) => sql<Uint8Array>`CAST(${column} AS BLOB)`,
  byteLength: (column) => sql<number>`octet_length(${column})`,
  flowPrefix: () => sqliteFlowPrefix(),
  async changeToken(db) {
    // data_version moves when another connection commits; total_changes() when this one writes.
    const { rows } = await sql<{ token: string }>`SELECT (SELECT data_version FROM pragma_data_version) || '.' || total_changes() AS token`.execute(db);
    return rows[0]?.token;
  },
  keptCount: async () => undefined,
};

/** Serialises concurrent migrations, e.g. of several app instances starting at once against one server. */
const PG_MIGRATION_LOCK = sql`pg_advisory_xact_lock(hashtext('express-workflow-sessions:migrate'))`;
/** The index that serves the byte-wise key range of flow scoping, whatever the database's default collation. */
const PG_KEY_INDEX = "idx_workflow_state_key_c";

// NULL for a key without ":", like SQLite's expression gives "" for one.
const postgresFlowPrefix = () => sql<string>`(substring(flow_session_key from '^[^:]*:'))`;

/**
 * Session counts per flow (`owner_key` '') and per flow and owner, kept by triggers on the table, so the list's
 * "of 100,000" costs one row read instead of a scan that grows with the sessions (PostgreSQL has no cheap change
 * token to cache a count by). Every writer is counted, the host's own SQL included.
 */
export const PG_COUNTS_TABLE = "workflow_state_counts";
const PG_COUNT_TRIGGERS = ["workflow_state_count_insert", "workflow_state_count_delete", "workflow_state_count_move", "workflow_state_count_truncate"];

// Inserts and deletes are counted per statement, from the transition table, so a bulk load upserts each count once.
// An upsert that updates (ON CONFLICT DO UPDATE) adds no row to the insert's transition table. A row whose key or
// owner changes moves between counts, row by row (rare: setSessionOwner). Count rows are always locked in the same
// order (flow, then '' before owners), so concurrent writers queue on them and never deadlock. The functions name
// the schema of `workflow_state` and run as their owner with a fixed search_path, so any role that may write the
// table (with any search_path) keeps the counts right without a grant on them.
async function createCountTriggers(trx: Kysely<WorkflowStateDatabase>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`SELECT n.nspname AS schema FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(${WORKFLOW_STATE_TABLE})`.execute(trx);
  const schema = rows[0]!.schema;
  const table = sql.id(schema, WORKFLOW_STATE_TABLE);
  const counts = sql.id(schema, PG_COUNTS_TABLE);
  const [countStatement, countRow, clearCounts] = ["workflow_state_count_statement", "workflow_state_count_row", "workflow_state_count_clear"].map((name) =>
    sql.id(schema, name),
  );
  const fn = sql`RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp`;
  await sql`CREATE TABLE IF NOT EXISTS ${counts} (
      flow_prefix TEXT NOT NULL,
      owner_key TEXT NOT NULL,
      sessions BIGINT NOT NULL,
      PRIMARY KEY (flow_prefix, owner_key))`.execute(trx);
  await sql`CREATE OR REPLACE FUNCTION ${countStatement}() ${fn} AS $$
    BEGIN
      INSERT INTO ${counts} AS kept (flow_prefix, owner_key, sessions)
        SELECT prefix, owner_key, CASE WHEN TG_OP = 'DELETE' THEN -count(*) ELSE count(*) END FROM (
          SELECT substring(flow_session_key from '^[^:]*:') AS prefix, '' AS owner_key FROM changed_rows
          UNION ALL
          SELECT substring(flow_session_key from '^[^:]*:'), owner FROM changed_rows WHERE owner <> ''
        ) AS changed WHERE prefix IS NOT NULL GROUP BY prefix, owner_key ORDER BY prefix, owner_key
        ON CONFLICT (flow_prefix, owner_key) DO UPDATE SET sessions = kept.sessions + excluded.sessions;
      RETURN NULL;
    END $$`.execute(trx);
  await sql`CREATE OR REPLACE FUNCTION ${countRow}() ${fn} AS $$
    BEGIN
      INSERT INTO ${counts} AS kept (flow_prefix, owner_key, sessions)
        SELECT prefix, owner_key, sum(delta) FROM (VALUES
          (substring(OLD.flow_session_key from '^[^:]*:'), '', -1),
          (substring(OLD.flow_session_key from '^[^:]*:'), CASE WHEN OLD.owner <> '' THEN OLD.owner END, -1),
          (substring(NEW.flow_session_key from '^[^:]*:'), '', 1),
          (substring(NEW.flow_session_key from '^[^:]*:'), CASE WHEN NEW.owner <> '' THEN NEW.owner END, 1)
        ) AS changed (prefix, owner_key, delta) WHERE prefix IS NOT NULL AND owner_key IS NOT NULL
        GROUP BY prefix, owner_key HAVING sum(delta) <> 0 ORDER BY prefix, owner_key
        ON CONFLICT (flow_prefix, owner_key) DO UPDATE SET sessions = kept.sessions + excluded.sessions;
      RETURN NULL;
    END $$`.execute(trx);
  await sql`CREATE OR REPLACE FUNCTION ${clearCounts}() ${fn} AS $$
    BEGIN
      DELETE FROM ${counts};
      RETURN NULL;
    END $$`.execute(trx);
  const [insert, remove, move, truncate] = PG_COUNT_TRIGGERS.map((name) => sql.id(name!));
  for (const name of PG_COUNT_TRIGGERS) await sql`DROP TRIGGER IF EXISTS ${sql.id(name)} ON ${table}`.execute(trx);
  await sql`CREATE TRIGGER ${insert} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${countStatement}()`.execute(trx);
  await sql`CREATE TRIGGER ${remove} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${countStatement}()`.execute(trx);
  await sql`CREATE TRIGGER ${move} AFTER UPDATE OF flow_session_key, owner ON ${table} FOR EACH ROW
      WHEN (OLD.flow_session_key IS DISTINCT FROM NEW.flow_session_key OR OLD.owner IS DISTINCT FROM NEW.owner)
      EXECUTE FUNCTION ${countRow}()`.execute(trx);
  await sql`CREATE TRIGGER ${truncate} AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${clearCounts}()`.execute(trx);
  // Count what is there now, while the migration's lock keeps writers out.
  await sql`DELETE FROM ${counts}`.execute(trx);
  await sql`INSERT INTO ${counts} (flow_prefix, owner_key, sessions)
      SELECT prefix, owner_key, count(*) FROM (
        SELECT substring(flow_session_key from '^[^:]*:') AS prefix, '' AS owner_key FROM ${table}
        UNION ALL
        SELECT substring(flow_session_key from '^[^:]*:'), owner FROM ${table} WHERE owner <> ''
      ) AS existing WHERE prefix IS NOT NULL GROUP BY prefix, owner_key`.execute(trx);
}


const postgresDialect: SqlDialect = {
  name: "postgres",
  // Idempotent DDL under an advisory lock: concurrent CREATE ... IF NOT EXISTS can otherwise collide on the catalog.
  // It runs only when something is missing, since ALTER TABLE locks out every reader even when it has nothing to do.
  // Timestamps stay text in SQLite's CURRENT_TIMESTAMP form, so rows and summaries match the SQLite store's exactly.
  async migrate(db) {
    const current = await sql<{ ready: boolean }>`SELECT
        to_regclass(${WORKFLOW_STATE_TABLE}) IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND attname = 'label' AND NOT attisdropped)
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND attname = 'owner' AND NOT attisdropped)
        AND to_regclass(${OWNER_INDEX}) IS NOT NULL
        AND to_regclass(${UPDATED_AT_INDEX}) IS NOT NULL
        AND to_regclass(${PG_KEY_INDEX}) IS NOT NULL
        AND to_regclass(${PG_COUNTS_TABLE}) IS NOT NULL
        AND (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND tgenabled <> 'D'
          AND tgname IN (${sql.join(PG_COUNT_TRIGGERS)})) = ${PG_COUNT_TRIGGERS.length}
        AND ${sql.join([...Object.values(LIST_INDEXES), ...Object.values(OWNER_LIST_INDEXES)].map((name) => sql`to_regclass(${name}) IS NOT NULL`), sql` AND `)}
        AND ${sql.join(SUPERSEDED_LIST_INDEXES.map((name) => sql`to_regclass(${name}) IS NULL`), sql` AND `)} AS ready`.execute(db);
    if (current.rows[0]?.ready) return;
    const now = sql.raw(`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`);
    const table = sql.table(WORKFLOW_STATE_TABLE);
    await db.transaction().execute(async (trx) => {
      await sql`SELECT ${PG_MIGRATION_LOCK}`.execute(trx);
      await sql`CREATE TABLE IF NOT EXISTS ${table} (
          flow_session_key TEXT PRIMARY KEY,
          current_step TEXT,
          state_json TEXT DEFAULT '{}',
          created_at TEXT DEFAULT ${now},
          updated_at TEXT DEFAULT ${now},
          label TEXT)`.execute(trx);
      await sql`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS label TEXT`.execute(trx);
      await sql`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS owner TEXT`.execute(trx);
      await sql`CREATE INDEX IF NOT EXISTS ${sql.id(OWNER_INDEX)} ON ${table} (owner)`.execute(trx);
      await sql`CREATE INDEX IF NOT EXISTS ${sql.id(UPDATED_AT_INDEX)} ON ${table} (updated_at)`.execute(trx);
      await sql`CREATE INDEX IF NOT EXISTS ${sql.id(PG_KEY_INDEX)} ON ${table} ((flow_session_key COLLATE "C"))`.execute(trx);
      await createListIndexes(trx, postgresFlowPrefix(), POSTGRES_SORT_EXPRESSIONS, " NULLS FIRST");
      // Writers wait until the counts are rebuilt and the triggers are in place, so no row is missed or counted twice
      // (the ALTER TABLEs above already hold a stronger lock until the migration commits; this says why it matters).
      await sql`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
      await createCountTriggers(trx);
    });
  },
  keyColumn: () => sql<string>`(flow_session_key COLLATE "C")`,
  startsWith: (column, prefix) => sql<SqlBool>`starts_with(${column}, ${prefix})`,
  inOrderedWalk: (db, query) =>
    db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_sort = off`.execute(trx);
      return query(trx);
    }),
  listSort: (column) => sql.raw(POSTGRES_SORT_EXPRESSIONS[column]),
  bytesOf: (column) => sql<Uint8Array>`convert_to(${column}, 'UTF8')`,
  byteLength: (column) => sql<number>`octet_length(${column})`,
  flowPrefix: () => postgresFlowPrefix(),
  changeToken: async () => undefined,
  async keptCount(db, flowPrefix, owner) {
    const { rows } = await sql<{ sessions: string }>`SELECT sessions FROM ${sql.table(PG_COUNTS_TABLE)}
        WHERE flow_prefix = ${flowPrefix} AND owner_key = ${owner ?? ""}`.execute(db);
    return Number(rows[0]?.sessions ?? 0);
  },
};

const DIALECTS_BY_ADAPTER: Readonly<Record<string, SqlDialect>> = { SqliteAdapter: sqliteDialect, PostgresAdapter: postgresDialect };

/** The class names of an adapter and of every class it extends, e.g. `["LibsqlAdapter", "SqliteAdapter"]`. */
function classNames(adapter: object): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(adapter); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    names.push(String(proto.constructor?.name ?? ""));
  }
  return names;
}

/** Asks the database which one it is; `undefined` when it is neither SQLite nor PostgreSQL. */
async function probeDialect(db: Kysely<WorkflowStateDatabase>): Promise<SqlDialect | undefined> {
  for (const [probe, dialect, matches] of [
    [sql<{ v: string }>`SELECT sqlite_version() AS v`, sqliteDialect, () => true],
    [sql<{ v: string }>`SELECT version() AS v`, postgresDialect, (version: string) => version.startsWith("PostgreSQL")],
  ] as const) {
    try {
      const { rows } = await probe.execute(db);
      if (matches(String(rows[0]?.v ?? ""))) return dialect;
    } catch (error) {
      // A database that cannot answer cannot be told apart either: say so, rather than call it unsupported.
      if (translateDatabaseError(error) instanceof StoreUnavailableError) throw error;
    }
  }
  return undefined;
}

/**
 * Picks the statements for the database behind `db`, by the class name of its Kysely adapter (or of a class the
 * adapter extends), never by `instanceof`: the host's Kysely instance may come from another copy of kysely, such as
 * a CommonJS app's `require("kysely")` or another version. An adapter by another name is asked which database it
 * talks to. Fails with a clear message for databases it does not speak.
 */
export async function detectDialect(db: Kysely<WorkflowStateDatabase>): Promise<SqlDialect> {
  const adapter = db.getExecutor().adapter;
  const names = classNames(adapter);
  const known = names.filter((name) => Object.hasOwn(DIALECTS_BY_ADAPTER, name)).map((name) => DIALECTS_BY_ADAPTER[name]!)[0];
  const dialect = known ?? (await probeDialect(db));
  if (dialect) return dialect;
  throw new ConfigurationError(
    `createWorkflowStore() supports SQLite and PostgreSQL; the Kysely instance you passed uses ${names[0] || "an unknown adapter"}. ` +
      "Pass a Kysely instance built with SqliteDialect or PostgresDialect.",
  );
}
