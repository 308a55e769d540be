import { sql, type Kysely, type Selectable } from "kysely";
import { sideTableQuery } from "./side-tables.js";
import { InvalidInputError } from "../errors.js";
import type { ActivityAction, ActivityCursor, ActivityEvent, SessionScope } from "../session-types.js";
import { keyIn, recordSelected, type ActivityValues } from "./activity-log.js";
import { checkedOwner, checkFlowId, sessionKey } from "./session-keys.js";
import { EVENTS_TABLE, formatTimestamp, parseTimestamp, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase, type WorkflowStateEventsTable } from "./workflow-state-table.js";

type Db = Kysely<WorkflowStateDatabase>;

export type { ActivityCursor } from "../session-types.js";

/** Options of `WorkflowStore.listActivity()`. */
export interface ActivityWindowOptions {
  /** The most events in the window. */
  limit: number;
  /** Only this session's events. @default every session's */
  sessionId?: string;
  /** Starts after this event, newest first. @default the newest */
  after?: ActivityCursor;
}

/** One window of the activity log, newest first, and where the next one starts (none after the last). */
export interface ActivityWindow {
  events: ActivityEvent[];
  next: ActivityCursor | undefined;
}

// A read-only file from before the log has no events table: it reads as an empty log.
const runQuery = sideTableQuery(EVENTS_TABLE, "the activity log");

// An event as the window reads it: every column but the flow and owner, which the query fixes.
type EventRow = Omit<Selectable<WorkflowStateEventsTable>, "flow_id" | "owner">;

/**
 * The activity log, `workflow_state_events`: one owner's events of one flow (or of one session) newest first, by
 * keyset on `(at, id)` through an index that leads with `(flow_id, owner)`, so a window costs its rows, however long
 * the log; the retention purge; and events recorded on their own (a resume, which changes no row).
 */
export class ActivityRepository {
  constructor(private readonly db: Db) {}

  /** See `WorkflowStore.listActivity()`. */
  async listActivity(flowId: string, options: ActivityWindowOptions, scope: SessionScope = {}): Promise<ActivityWindow> {
    checkFlowId(flowId);
    const owner = checkedOwner(scope.owner) ?? "";
    const limit = Math.max(1, Math.floor(options.limit));
    const parts = [sql`flow_id = ${flowId}`, sql`owner = ${owner}`];
    if (options.sessionId !== undefined) {
      sessionKey(flowId, options.sessionId);
      parts.push(sql`session_id = ${options.sessionId}`);
    }
    const after = options.after;
    if (after) {
      if (typeof after.at !== "string" || !Number.isSafeInteger(after.id)) throw new InvalidInputError("An activity cursor needs the `at` text and the integer `id` of an event.");
      parts.push(sql`(at < ${after.at} OR (at = ${after.at} AND id < ${after.id}))`);
    }
    const { rows } = await runQuery(
      () =>
        sql<EventRow>`SELECT id, session_id, action, label, before_value, after_value, at, request_id FROM ${sql.table(EVENTS_TABLE)}
          WHERE ${sql.join(parts, sql` AND `)} ORDER BY at DESC, id DESC LIMIT ${limit + 1}`.execute(this.db),
      () => ({ rows: [] as EventRow[] }),
    );
    const shown = rows.slice(0, limit);
    const last = shown.at(-1);
    return { events: shown.map(toEvent), next: rows.length > limit && last ? { at: last.at, id: Number(last.id) } : undefined };
  }

  /** See `WorkflowStore.recordActivity()`. */
  async recordActivity(flowId: string, sessionId: string, action: ActivityAction, scope: SessionScope, values: ActivityValues = {}): Promise<boolean> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const where = owner === undefined ? keyIn([key]) : sql<boolean>`${keyIn([key])} AND owner = ${owner}`;
    return (await runQuery(() => recordSelected(this.db, flowId, scope, action, WORKFLOW_STATE_TABLE, where, values))) > 0;
  }

  /** See `WorkflowStore.purgeActivity()`. */
  async purgeActivity(flowId: string, olderThan: Date, limit: number): Promise<number> {
    checkFlowId(flowId);
    const result = await runQuery(
      () =>
        sql`DELETE FROM ${sql.table(EVENTS_TABLE)} WHERE id IN (
            SELECT id FROM ${sql.table(EVENTS_TABLE)} WHERE flow_id = ${flowId} AND at < ${formatTimestamp(olderThan)} LIMIT ${Math.max(1, Math.floor(limit))})`.execute(this.db),
      () => ({ numAffectedRows: 0n }) as { numAffectedRows?: bigint },
    );
    return Number(result.numAffectedRows ?? 0n);
  }
}

function toEvent(row: EventRow): ActivityEvent {
  return {
    id: Number(row.id),
    sessionId: row.session_id,
    action: row.action as ActivityAction,
    label: row.label,
    before: row.before_value,
    after: row.after_value,
    at: parseTimestamp(row.at),
    requestId: row.request_id,
  };
}
