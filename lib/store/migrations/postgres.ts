import { sql, type Kysely } from "kysely";
import type { SqlDialect } from "../dialects/dialect.js";
import { EVENTS_AT_INDEX, EVENTS_OWNER_INDEX, EVENTS_SESSION_INDEX, EVENTS_TABLE, OWNER_INDEX, PINS_ORDER_INDEX, PINS_TABLE, TAGS_FLOW_INDEX, TAGS_OWNER_INDEX, TAGS_TABLE, TRASH_BATCH_INDEX, TRASH_DELETED_INDEX, TRASH_TABLE, UPDATED_AT_INDEX, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "../workflow-state-table.js";
import { createTrashTable } from "./trash-table.js";
import { createPinsTable } from "./pins-table.js";
import { createNotifyTriggers, PG_NOTIFY_TRIGGERS } from "./notify-trigger.js";
import { createEventsTable } from "./events-table.js";
import { createTagsTable } from "./tags-table.js";
import { createListIndexes, type StartupProgress, LIST_INDEXES, OWNER_LIST_INDEXES, SUPERSEDED_LIST_INDEXES } from "./list-indexes.js";

/** Serialises concurrent migrations, e.g. of several app instances starting at once against one server. */
const PG_MIGRATION_LOCK = sql`pg_advisory_xact_lock(hashtext('express-workflow-sessions:migrate'))`;
/** The index that serves the byte-wise key range of flow scoping, whatever the database's default collation. */
export const PG_KEY_INDEX = "idx_workflow_state_key_c";

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
async function createCountTriggers(trx: Kysely<WorkflowStateDatabase>): Promise<string> {
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
  return schema;
}

/**
 * Creates or upgrades the schema on PostgreSQL: the table, its indexes, the list indexes of `dialect` and the kept
 * counts. Idempotent DDL under an advisory lock, since concurrent `CREATE ... IF NOT EXISTS` can otherwise collide on
 * the catalog. It runs only when something is missing, since ALTER TABLE locks out every reader even when it has
 * nothing to do. Timestamps stay text in SQLite's CURRENT_TIMESTAMP form, so rows and summaries match the SQLite
 * store's exactly.
 */
export async function migratePostgresSchema(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect, progress?: StartupProgress): Promise<void> {
  const current = await sql<{ ready: boolean }>`SELECT
      to_regclass(${WORKFLOW_STATE_TABLE}) IS NOT NULL
      AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND attname = 'label' AND NOT attisdropped)
      AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND attname = 'owner' AND NOT attisdropped)
      AND to_regclass(${OWNER_INDEX}) IS NOT NULL
      AND to_regclass(${UPDATED_AT_INDEX}) IS NOT NULL
      AND to_regclass(${PG_KEY_INDEX}) IS NOT NULL
      AND to_regclass(${PG_COUNTS_TABLE}) IS NOT NULL
      AND to_regclass(${TRASH_TABLE}) IS NOT NULL
      AND to_regclass(${TRASH_DELETED_INDEX}) IS NOT NULL
      AND to_regclass(${TRASH_BATCH_INDEX}) IS NOT NULL
      AND to_regclass(${PINS_TABLE}) IS NOT NULL
      AND to_regclass(${PINS_ORDER_INDEX}) IS NOT NULL
      AND ${sql.join([EVENTS_TABLE, EVENTS_OWNER_INDEX, EVENTS_SESSION_INDEX, EVENTS_AT_INDEX].map((name) => sql`to_regclass(${name}) IS NOT NULL`), sql` AND `)}
      AND to_regclass(${TAGS_TABLE}) IS NOT NULL
      AND to_regclass(${TAGS_OWNER_INDEX}) IS NOT NULL
      AND to_regclass(${TAGS_FLOW_INDEX}) IS NOT NULL
      AND (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND tgenabled <> 'D'
        AND tgname IN (${sql.join(PG_COUNT_TRIGGERS)})) = ${PG_COUNT_TRIGGERS.length}
      AND (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(${WORKFLOW_STATE_TABLE}) AND tgenabled <> 'D'
        AND tgname IN (${sql.join(PG_NOTIFY_TRIGGERS)})) = ${PG_NOTIFY_TRIGGERS.length}
      AND ${sql.join([...Object.values(LIST_INDEXES), ...Object.values(OWNER_LIST_INDEXES)].map((name) => sql`to_regclass(${name}) IS NOT NULL`), sql` AND `)}
      AND ${sql.join(SUPERSEDED_LIST_INDEXES.map((name) => sql`to_regclass(${name}) IS NULL`), sql` AND `)} AS ready`.execute(db);
  if (current.rows[0]?.ready) return;
  const now = sql.raw(`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`);
  const table = sql.table(WORKFLOW_STATE_TABLE);
  await db.transaction().execute(async (trx) => {
    await sql`SELECT ${PG_MIGRATION_LOCK}`.execute(trx);
    await trx.schema
      .createTable(WORKFLOW_STATE_TABLE)
      .ifNotExists()
      .addColumn("flow_session_key", "text", (column) => column.primaryKey())
      .addColumn("current_step", "text")
      .addColumn("state_json", "text", (column) => column.defaultTo("{}"))
      .addColumn("created_at", "text", (column) => column.defaultTo(now))
      .addColumn("updated_at", "text", (column) => column.defaultTo(now))
      .addColumn("label", "text")
      .execute();
    for (const name of ["label", "owner"]) {
      await trx.schema.alterTable(WORKFLOW_STATE_TABLE).addColumn(name, "text", (column) => column.ifNotExists()).execute();
    }
    await trx.schema.createIndex(OWNER_INDEX).ifNotExists().on(WORKFLOW_STATE_TABLE).column("owner").execute();
    await trx.schema.createIndex(UPDATED_AT_INDEX).ifNotExists().on(WORKFLOW_STATE_TABLE).column("updated_at").execute();
    await trx.schema.createIndex(PG_KEY_INDEX).ifNotExists().on(WORKFLOW_STATE_TABLE).expression(sql`(flow_session_key COLLATE "C")`).execute();
    await createListIndexes(trx, dialect, progress);
    await createTrashTable(trx, "TEXT");
    await createPinsTable(trx);
    await createEventsTable(trx, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    await createTagsTable(trx);
    // Writers wait until the counts are rebuilt and the triggers are in place, so no row is missed or counted twice
    // (the ALTER TABLEs above already hold a stronger lock until the migration commits; this says why it matters).
    await sql`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    await createNotifyTriggers(trx, await createCountTriggers(trx));
  });
}
