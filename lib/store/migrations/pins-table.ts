import { sql, type Kysely } from "kysely";
import { PINS_ORDER_INDEX, PINS_TABLE } from "../workflow-state-table.js";

/**
 * Creates `workflow_state_pins` and its index if missing. Its primary key leads with `flow_session_key`, so the
 * pins of a session removed for good are found by key; the index serves one owner's pins of one flow in pin order.
 */
export async function createPinsTable(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(PINS_TABLE)} (
      flow_session_key TEXT NOT NULL,
      flow_id TEXT NOT NULL,
      owner TEXT NOT NULL,
      pinned_at TEXT NOT NULL,
      pin_order INTEGER NOT NULL,
      PRIMARY KEY (flow_session_key, owner))`.execute(db);
  await db.schema.createIndex(PINS_ORDER_INDEX).ifNotExists().on(PINS_TABLE).columns(["flow_id", "owner", "pin_order"]).execute();
}
