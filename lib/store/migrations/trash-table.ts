import { sql, type Kysely } from "kysely";
import { TRASH_BATCH_INDEX, TRASH_DELETED_INDEX, TRASH_TABLE } from "../workflow-state-table.js";

/**
 * Creates `workflow_state_trash` and its indexes if missing. `timestampType` is how `workflow_state` declares its
 * timestamps (`TIMESTAMP` on SQLite, as `cjm-workflow-state` spells it, so both tables give a value the same
 * affinity and it moves between them byte for byte; `TEXT` on PostgreSQL).
 */
export async function createTrashTable(db: Kysely<any>, timestampType: "TIMESTAMP" | "TEXT"): Promise<void> {
  const type = sql.raw(timestampType);
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(TRASH_TABLE)} (
      flow_session_key TEXT PRIMARY KEY,
      current_step TEXT,
      state_json TEXT,
      created_at ${type},
      updated_at ${type},
      label TEXT,
      owner TEXT,
      deleted_at TEXT NOT NULL,
      batch TEXT)`.execute(db);
  await db.schema.createIndex(TRASH_DELETED_INDEX).ifNotExists().on(TRASH_TABLE).column("deleted_at").execute();
  await db.schema.createIndex(TRASH_BATCH_INDEX).ifNotExists().on(TRASH_TABLE).columns(["batch", "flow_session_key"]).execute();
}
