import type { Kysely } from "kysely";
import { removeRowsOfRemoved } from "./side-tables.js";
import { PINS_TABLE, TAGS_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/**
 * Deletes, in `db` (the transaction of a removal), what other tables keep of those of `keys` whose session is gone
 * for good (in neither `workflow_state` nor the trash): their pins and their tags. A session in the trash keeps both.
 */
export async function removeExtrasOfRemoved(db: Kysely<WorkflowStateDatabase>, keys: readonly string[]): Promise<void> {
  await removeRowsOfRemoved(db, PINS_TABLE, keys);
  await removeRowsOfRemoved(db, TAGS_TABLE, keys);
}
