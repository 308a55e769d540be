import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import type { ActivityAction, SessionScope } from "../session-types.js";
import { checkText } from "./session-keys.js";
import { EVENTS_TABLE, formatTimestamp, type TRASH_TABLE, type WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import { StoreUnavailableError } from "../errors.js";

type Db = Kysely<WorkflowStateDatabase>;

/** The longest request id the log keeps; a longer one is cut. */
const MAX_REQUEST_ID = 128;

/**
 * What a rename (and later a tag change) records besides the label: the value before and after, each a value or an
 * expression on the row selected (`sql.ref("label")`: its label before the change).
 */
export interface ActivityValues {
  before?: string | null | RawBuilder<unknown>;
  after?: string | null | RawBuilder<unknown>;
}

/** What every recording function needs to know besides its rows; `undefined` (nothing recorded) without a stamp. */
interface EventStamp {
  flowId: string;
  owner: string;
  action: ActivityAction;
  requestId: string;
  at: string;
}

function stampOf(flowId: string, scope: SessionScope, action: ActivityAction, at: Date): EventStamp | undefined {
  if (!scope.activity) return undefined;
  const requestId = checkText(String(scope.activity.requestId).slice(0, MAX_REQUEST_ID), "A request id");
  return { flowId, owner: scope.owner ?? "", action, requestId, at: formatTimestamp(at) };
}

const MISSING_TABLE = /no such table: workflow_state_events|relation "workflow_state_events" does not exist/;

// A read-only file from before the log has no events table (nothing is migrated read-only): a change recorded there
// answers 503, as any other write to a read-only file does, rather than an unexplained 500.
async function insert<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!MISSING_TABLE.test(String((error as Error)?.message))) throw error;
    throw new StoreUnavailableError(
      "The workflow-state database has no workflow_state_events table: it was opened read-only before the activity log existed. Open it writable once to create it.",
      { cause: error },
    );
  }
}

const EVENT_COLUMNS = sql`(flow_id, session_id, owner, action, label, before_value, after_value, at, request_id)`;

/**
 * Writes, in `db` (the transaction of the change it records), one event of `action` for each row of `table` that
 * `where` selects, with that row's label, in one `INSERT … SELECT`: a chunk of a bulk move records its events in
 * one statement, whatever its size. Nothing is written when the scope has no {@link SessionScope.activity}.
 * Returns how many events were written.
 */
export async function recordSelected(
  db: Db,
  flowId: string,
  scope: SessionScope,
  action: ActivityAction,
  table: typeof WORKFLOW_STATE_TABLE | typeof TRASH_TABLE,
  where: RawBuilder<SqlBool>,
  values: ActivityValues = {},
  at: Date = new Date(),
): Promise<number> {
  const stamp = stampOf(flowId, scope, action, at);
  if (!stamp) return 0;
  // The session id is the key after "<flowId>:"; both databases count substr() positions in characters.
  const start = [...flowId].length + 2;
  const result = await insert(() => sql`INSERT INTO ${sql.table(EVENTS_TABLE)} ${EVENT_COLUMNS}
      SELECT ${stamp.flowId}, substr(flow_session_key, ${start}), ${stamp.owner}, ${stamp.action}, label,
        ${values.before ?? null}, ${values.after ?? null}, ${stamp.at}, ${stamp.requestId}
      FROM ${sql.table(table)} WHERE ${where}`.execute(db));
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Writes, in `db`, one event of `action` for each of `rows` (sessions already gone, as a purge's `RETURNING` gave
 * them, or a tag change's, each with its own values before and after), in one multi-row `INSERT` per at most 500 rows. Nothing is written without {@link SessionScope.activity}.
 */
export async function recordRows(
  db: Db,
  flowId: string,
  scope: SessionScope,
  action: ActivityAction,
  rows: readonly { flow_session_key: string; label: string | null; before?: string | null; after?: string | null }[],
  at: Date = new Date(),
): Promise<void> {
  const stamp = stampOf(flowId, scope, action, at);
  if (!stamp || rows.length === 0) return;
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows
      .slice(i, i + 500)
      .map((row) => sql`(${stamp.flowId}, ${row.flow_session_key.slice(flowId.length + 1)}, ${stamp.owner}, ${stamp.action}, ${row.label}, ${row.before ?? null}, ${row.after ?? null}, ${stamp.at}, ${stamp.requestId})`);
    await insert(() => sql`INSERT INTO ${sql.table(EVENTS_TABLE)} ${EVENT_COLUMNS} VALUES ${sql.join(values)}`.execute(db));
  }
}

/** `flow_session_key IN (…)`, for {@link recordSelected}. */
export function keyIn(keys: readonly string[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`flow_session_key IN (${sql.join(keys)})`;
}
