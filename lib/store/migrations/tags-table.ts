import { sql, type Kysely } from "kysely";
import { TAGS_FLOW_INDEX, TAGS_OWNER_INDEX, TAGS_TABLE } from "../workflow-state-table.js";

/**
 * Creates `workflow_state_tags` and its indexes if missing. Its primary key `(flow_session_key, tag)` finds a
 * session's tags by key (the rows shown, a removal for good, the filter's EXISTS); `(flow_id, owner, tag)` serves one
 * owner's sessions with a tag and their counts, `(flow_id, tag)` the same for a list of every owner.
 */
export async function createTagsTable(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(TAGS_TABLE)} (
      flow_session_key TEXT NOT NULL,
      flow_id TEXT NOT NULL,
      owner TEXT NOT NULL,
      tag TEXT NOT NULL,
      PRIMARY KEY (flow_session_key, tag))`.execute(db);
  await db.schema.createIndex(TAGS_OWNER_INDEX).ifNotExists().on(TAGS_TABLE).columns(["flow_id", "owner", "tag"]).execute();
  await db.schema.createIndex(TAGS_FLOW_INDEX).ifNotExists().on(TAGS_TABLE).columns(["flow_id", "tag"]).execute();
}
