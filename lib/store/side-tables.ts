import { sql, type Kysely } from "kysely";
import { StoreUnavailableError } from "../errors.js";
import { runQuery as runDatabaseQuery } from "./database-errors.js";
import { keyChunks } from "./key-chunks.js";
import { TRASH_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/** The tables this package adds beside `cjm-workflow-state`'s, keyed by `flow_session_key`. */
export type SideTable = "workflow_state_pins" | "workflow_state_tags" | "workflow_state_events";

/** A query on one side table, through the store's error translation; see {@link sideTableQuery}. */
export type SideTableQuery = <T>(query: () => Promise<T>, whenMissing?: () => T) => Promise<T>;

/**
 * How one side table's queries run. A read-only file from before that table existed lacks it (nothing is migrated
 * read-only): a query with `whenMissing` then answers that (no pins, no tags, an empty log), and a write answers 503
 * naming the table and `feature`, as any other write to a read-only file does.
 */
export function sideTableQuery(table: SideTable, feature: string): SideTableQuery {
  const missing = new RegExp(`no such table: ${table}|relation "${table}" does not exist`);
  return async (query, whenMissing) => {
    try {
      return await runDatabaseQuery(query);
    } catch (error) {
      if (!missing.test(String((error as Error)?.message))) throw error;
      if (whenMissing) return whenMissing();
      throw new StoreUnavailableError(
        `The workflow-state database has no ${table} table: it was opened read-only before ${feature} existed. Open it writable once to create it.`,
        { cause: error },
      );
    }
  };
}

/**
 * Deletes, in `db` (a removal's transaction), the rows of `table` for those of `keys` whose session is gone for good:
 * in neither `workflow_state` nor the trash. A session in the trash keeps them, so a restore brings them back.
 */
export async function removeRowsOfRemoved(db: Kysely<WorkflowStateDatabase>, table: "workflow_state_pins" | "workflow_state_tags", keys: readonly string[]): Promise<void> {
  const run = sideTableQuery(table, table);
  for (const chunk of keyChunks(keys)) {
    await run(
      () =>
        sql`DELETE FROM ${sql.table(table)} WHERE flow_session_key IN (${sql.join(chunk)})
          AND NOT EXISTS (SELECT 1 FROM ${sql.table(WORKFLOW_STATE_TABLE)} s WHERE s.flow_session_key = ${sql.table(table)}.flow_session_key)
          AND NOT EXISTS (SELECT 1 FROM ${sql.table(TRASH_TABLE)} t WHERE t.flow_session_key = ${sql.table(table)}.flow_session_key)`.execute(db),
      () => undefined,
    );
  }
}
