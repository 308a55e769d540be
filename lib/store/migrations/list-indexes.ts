import { sql, type Kysely, type RawBuilder } from "kysely";
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

/** Where a migration reports its progress: one line per step of a long one. */
export type StartupProgress = (message: string) => void;

/** A table with at least this many rows gets progress lines while its list indexes are built. */
export const LARGE_TABLE_ROWS = 10_000;

/**
 * Creates the list indexes of {@link LIST_INDEXES} and {@link OWNER_LIST_INDEXES} from the dialect's own sort
 * expressions, and drops {@link SUPERSEDED_LIST_INDEXES}. Walking one of these indexes in order gives a window of one
 * flow (or one owner's part of it) with no sort step, and its key column makes the tie-break (and the count)
 * index-only. The expressions are raw SQL, which Kysely's index builder takes only as one opaque expression. On a
 * table of {@link LARGE_TABLE_ROWS} or more, `progress` hears what is built, how far it is, and that it happens once.
 */
export async function createListIndexes(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect, progress?: StartupProgress): Promise<void> {
  const table = sql.table(WORKFLOW_STATE_TABLE);
  const prefix = dialect.flowPrefix();
  const nulls = sql.raw(dialect.indexNulls);
  const key = sql`${dialect.listSort("flow_session_key")}${nulls}`;
  const statements: Array<[name: string, statement: RawBuilder<unknown>]> = [];
  for (const orderBy of LIST_SORT_COLUMNS) {
    const expression = sql`${dialect.listSort(orderBy)}${nulls}`;
    const label = orderBy === "label" ? sql`` : sql`, label`;
    statements.push([LIST_INDEXES[orderBy], sql`CREATE INDEX IF NOT EXISTS ${sql.id(LIST_INDEXES[orderBy])} ON ${table}(${prefix}, ${expression}, ${key}${label})`]);
    statements.push([
      OWNER_LIST_INDEXES[orderBy],
      sql`CREATE INDEX IF NOT EXISTS ${sql.id(OWNER_LIST_INDEXES[orderBy])} ON ${table}(${prefix}, owner, ${expression}, ${key}${label})
        WHERE owner IS NOT NULL`,
    ]);
  }
  // On a large table, building the missing indexes takes a while (13 s at 1,000,000 sessions): say so, once, and how far.
  const missing: string[] = [];
  for (const [name] of statements) if (!(await dialect.indexExists(db, name))) missing.push(name);
  const rows = missing.length === 0 || !progress ? 0 : Number((await sql<{ n: number | string }>`SELECT count(*) AS n FROM (SELECT 1 FROM ${table} LIMIT ${LARGE_TABLE_ROWS}) AS t`.execute(db)).rows[0]?.n ?? 0);
  const tell = rows >= LARGE_TABLE_ROWS ? progress : undefined;
  const started = Date.now();
  tell?.(`building ${missing.length} list index${missing.length === 1 ? "" : "es"} on ${WORKFLOW_STATE_TABLE} (${LARGE_TABLE_ROWS.toLocaleString("en-US")}+ rows); this happens once per database, later starts skip it`);
  let built = 0;
  for (const [name, statement] of statements) {
    const since = Date.now();
    await statement.execute(db);
    if (missing.includes(name)) tell?.(`list index ${++built} of ${missing.length} built (${name}, ${((Date.now() - since) / 1000).toFixed(1)} s)`);
  }
  tell?.(`list indexes built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const name of SUPERSEDED_LIST_INDEXES) await db.schema.dropIndex(name).ifExists().execute();
}
