import { sql, type Kysely } from "kysely";
import type { SqlDialect } from "../dialects/dialect.js";
import { retryWhileBusy, type SqliteLockWait } from "../sqlite-startup.js";
import { OWNER_INDEX, UPDATED_AT_INDEX, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "../workflow-state-table.js";
import { createListIndexes, type StartupProgress } from "./list-indexes.js";
import { createTrashTable } from "./trash-table.js";
import { createPinsTable } from "./pins-table.js";
import { createEventsTable } from "./events-table.js";
import { createTagsTable } from "./tags-table.js";

/**
 * Creates `cjm-workflow-state`'s table and index if missing, adds the `label` and `owner` columns that older files
 * lack, and creates the list indexes of `dialect` the trash (`workflow_state_trash`), the pins (`workflow_state_pins`), the tags (`workflow_state_tags`) and the activity log (`workflow_state_events`). Idempotent; run it through {@link migrateInImmediateTransaction}.
 */
export async function migrateSqliteSchema(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect, progress?: StartupProgress): Promise<void> {
  await db.schema
    .createTable(WORKFLOW_STATE_TABLE)
    .ifNotExists()
    .addColumn("flow_session_key", "text", (column) => column.primaryKey())
    .addColumn("current_step", "text")
    .addColumn("state_json", "text", (column) => column.defaultTo("{}"))
    // Spelled as cjm-workflow-state spells it, since SQLite keeps the declared type's text.
    .addColumn("created_at", sql`TIMESTAMP`, (column) => column.defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn("updated_at", sql`TIMESTAMP`, (column) => column.defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn("label", "text")
    .execute();
  // SQLite has no ADD COLUMN IF NOT EXISTS: ask the table which columns it has.
  const { rows } = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${WORKFLOW_STATE_TABLE})`.execute(db);
  const existing = new Set(rows.map((row) => row.name));
  for (const column of ["label", "owner"]) {
    if (!existing.has(column)) await db.schema.alterTable(WORKFLOW_STATE_TABLE).addColumn(column, "text").execute();
  }
  await db.schema.createIndex(OWNER_INDEX).ifNotExists().on(WORKFLOW_STATE_TABLE).column("owner").execute();
  await db.schema.createIndex(UPDATED_AT_INDEX).ifNotExists().on(WORKFLOW_STATE_TABLE).column("updated_at").execute();
  await createListIndexes(db, dialect, progress);
  await createTrashTable(db, "TIMESTAMP");
  await createPinsTable(db);
  await createEventsTable(db, "INTEGER PRIMARY KEY");
  await createTagsTable(db);
}

/**
 * Runs `migrate` in one `BEGIN IMMEDIATE` transaction, so that it takes the write lock before it reads the schema:
 * a deferred transaction that reads and then writes can fail at once with "database is locked", since SQLite does
 * not wait for a lock another writer may be waiting on too. With `wait`, the write lock is awaited without blocking
 * the event loop until `wait.deadline`, and the rest of the time goes to the commit; without it (a host's Kysely
 * instance), the host's busy timeout applies.
 */
export async function migrateInImmediateTransaction(
  db: Kysely<any>,
  migrate: (connection: Kysely<any>) => Promise<void>,
  wait?: SqliteLockWait,
): Promise<void> {
  await db.connection().execute(async (connection) => {
    const begin = () => sql`BEGIN IMMEDIATE`.execute(connection);
    if (!wait) {
      await begin();
    } else {
      wait.sqlite.pragma("busy_timeout = 0");
      try {
        await retryWhileBusy(wait.deadline, begin);
      } finally {
        wait.sqlite.pragma(`busy_timeout = ${Math.max(1, wait.deadline - Date.now())}`);
      }
    }
    try {
      await migrate(connection);
      await sql`COMMIT`.execute(connection);
    } catch (error) {
      await sql`ROLLBACK`.execute(connection).catch(() => {});
      throw error;
    } finally {
      wait?.sqlite.pragma(`busy_timeout = ${wait.busyTimeoutMs}`);
    }
  });
}
