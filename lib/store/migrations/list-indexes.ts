import { sql, type Kysely } from "kysely";
import { LIST_SORT_COLUMNS, type ListSortKey, type SqlDialect } from "../dialects/dialect.js";
import { WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "../workflow-state-table.js";

/**
 * The index behind each list sort: `(flow prefix, sort expression, flow_session_key)`, created if missing. Those of the
 * time and step orders also hold `label` last, so a search walks them without reading the table (see
 * `listWindow()`); the label order's index holds `lower(label)` already.
 */
export const LIST_INDEXES: Readonly<Record<ListSortKey, string>> = {
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
export const OWNER_LIST_INDEXES: Readonly<Record<ListSortKey, string>> = {
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

/**
 * Creates the list indexes of {@link LIST_INDEXES} and {@link OWNER_LIST_INDEXES} from the dialect's own sort
 * expressions, and drops {@link SUPERSEDED_LIST_INDEXES}. Walking one of these indexes in order gives a window of one
 * flow (or one owner's part of it) with no sort step, and its key column makes the tie-break (and the count)
 * index-only. The expressions are raw SQL, which Kysely's index builder takes only as one opaque expression.
 */
export async function createListIndexes(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect): Promise<void> {
  const table = sql.table(WORKFLOW_STATE_TABLE);
  const prefix = dialect.flowPrefix();
  const nulls = sql.raw(dialect.indexNulls);
  const key = sql`${dialect.listSort("flow_session_key")}${nulls}`;
  for (const orderBy of LIST_SORT_COLUMNS) {
    const expression = sql`${dialect.listSort(orderBy)}${nulls}`;
    const label = orderBy === "label" ? sql`` : sql`, label`;
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(LIST_INDEXES[orderBy])} ON ${table}(${prefix}, ${expression}, ${key}${label})`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(OWNER_LIST_INDEXES[orderBy])} ON ${table}(${prefix}, owner, ${expression}, ${key}${label})
        WHERE owner IS NOT NULL`.execute(db);
  }
  for (const name of SUPERSEDED_LIST_INDEXES) await db.schema.dropIndex(name).ifExists().execute();
}
