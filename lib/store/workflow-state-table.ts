import type { ColumnType } from "kysely";
import { LRUCache } from "lru-cache";

/**
 * One row of the `workflow_state` table, exactly as `cjm-workflow-state` lays it out. Timestamps are text in
 * SQLite's `CURRENT_TIMESTAMP` form, `YYYY-MM-DD HH:MM:SS` in UTC.
 */
export interface WorkflowStateTable {
  /** `"<flowId>:<sessionId>"`, the primary key. */
  flow_session_key: string;
  current_step: string | null;
  state_json: ColumnType<string | null, string | undefined, string>;
  created_at: ColumnType<string | null, string | undefined, string>;
  updated_at: ColumnType<string | null, string | undefined, string>;
  /** Added by later releases of `cjm-workflow-state`; files from older releases gain it on open. */
  label: string | null;
  /**
   * Added by express-workflow-sessions for the `owner` option: who created the session, or `null`. An extra nullable
   * column, so `cjm-workflow-state` still reads and writes the file.
   */
  owner: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * One row of `workflow_state_trash`: a deleted session, with the columns of {@link WorkflowStateTable} exactly as they
 * were, plus when it was deleted and the id of the delete that moved it (one per request, so Undo restores exactly
 * that delete). A key deleted again replaces its older row in the trash.
 */
export interface WorkflowStateTrashTable extends WorkflowStateTable {
  /** When the session was moved to the trash, `YYYY-MM-DD HH:MM:SS` in UTC. */
  deleted_at: string;
  /** The id of the delete that moved it here. */
  batch: string | null;
}

/**
 * One row of `workflow_state_pins`: a session pinned by one owner (`''` without the `owner` option) in one flow, in
 * a table of its own so that `workflow_state` stays exactly as `cjm-workflow-state` writes it.
 */
export interface WorkflowStatePinsTable {
  /** The pinned session's `"<flowId>:<sessionId>"`, as in `workflow_state`. */
  flow_session_key: string;
  /** The flow, so one owner's pins of one flow are one range of the pins' index. */
  flow_id: string;
  /** Who pinned it: the scope's owner, or `''` for every owner. */
  owner: string;
  /** When it was pinned, `YYYY-MM-DD HH:MM:SS` in UTC. */
  pinned_at: string;
  /** The pin's place in the Pinned section: one more than the owner's last pin of the flow when it was pinned. */
  pin_order: number;
}

/**
 * One row of `workflow_state_tags`: one tag of one session, in a table of its own so that `workflow_state` stays
 * exactly as `cjm-workflow-state` writes it. Kept while the session is in the trash, removed with it for good.
 */
export interface WorkflowStateTagsTable {
  /** The tagged session's `"<flowId>:<sessionId>"`, as in `workflow_state`. */
  flow_session_key: string;
  /** The flow, so one owner's tags of one flow are one range of the tags' index. */
  flow_id: string;
  /** The session's owner, `''` when it has none; follows `setSessionOwner()`. */
  owner: string;
  /** The tag, as normalised by `normalizeTags()` (trimmed, lower case). */
  tag: string;
}

/** The Kysely database type this package reads and writes. */
export interface WorkflowStateDatabase {
  workflow_state: WorkflowStateTable;
  workflow_state_trash: WorkflowStateTrashTable;
  workflow_state_pins: WorkflowStatePinsTable;
  workflow_state_events: WorkflowStateEventsTable;
  workflow_state_tags: WorkflowStateTagsTable;
}

/**
 * One row of `workflow_state_events`, the activity log: one action on one session, written in the transaction of
 * the change it records (see `activity-log.ts`).
 */
export interface WorkflowStateEventsTable {
  /** Increasing with each event written; breaks ties of `at`. */
  id: ColumnType<number | string, never, never>;
  flow_id: string;
  session_id: string;
  /** Who acted: the scope's owner, or `''` without the `owner` option (as in the pins). */
  owner: string;
  /** `create`, `rename`, `delete`, … (`ActivityAction`). */
  action: string;
  /** The session's stored label at the time, or `null`. */
  label: string | null;
  /** For a rename (and later tags), the value before and after; `null` otherwise. */
  before_value: string | null;
  after_value: string | null;
  /** When, `YYYY-MM-DD HH:MM:SS` in UTC. */
  at: string;
  /** The request that acted (its `X-Request-Id`, or one made up for it). */
  request_id: string | null;
}

/** The activity log: one row per action on a session, while the `activity` option is on. */
export const EVENTS_TABLE = "workflow_state_events";

/** The log's index on `(flow_id, owner, at, id)`: one owner's events of one flow, newest first. */
export const EVENTS_OWNER_INDEX = "idx_workflow_state_events_owner";

/** The log's index on `(flow_id, owner, session_id, at, id)`: one session's history, newest first. */
export const EVENTS_SESSION_INDEX = "idx_workflow_state_events_session";

/** The log's index on `(flow_id, at)`: the retention purge's few old rows, whoever's they are. */
export const EVENTS_AT_INDEX = "idx_workflow_state_events_at";


/** The tags: labels a session carries for filtering, until they are changed or the session is removed for good. */
export const TAGS_TABLE = "workflow_state_tags";

/** The tags' index on `(flow_id, owner, tag)`: one owner's sessions with a tag, and one owner's tags with counts. */
export const TAGS_OWNER_INDEX = "idx_workflow_state_tags_owner";

/** The tags' index on `(flow_id, tag)`: a flow's sessions with a tag, whoever owns them (a list without an owner). */
export const TAGS_FLOW_INDEX = "idx_workflow_state_tags_flow";

/** The pins: sessions an owner keeps at the top of the list, until unpinned or removed for good. */
export const PINS_TABLE = "workflow_state_pins";

/** The pins' index on `(flow_id, owner, pin_order)`: one owner's pins of one flow, in pin order. */
export const PINS_ORDER_INDEX = "idx_workflow_state_pins_order";

/** The trash: sessions deleted while the `trash` option is on, until they are restored or purged. */
export const TRASH_TABLE = "workflow_state_trash";

/** The trash's index on `deleted_at`, for its list's default order and for retention. */
export const TRASH_DELETED_INDEX = "idx_workflow_state_trash_deleted";

/** The trash's index on `(batch, flow_session_key)`, for Undo of a delete of all matching, walked in key order. */
export const TRASH_BATCH_INDEX = "idx_workflow_state_trash_batch_key";

/** The columns `workflow_state` and the trash share, in the order they are copied between them. */
export const SESSION_COLUMNS = ["flow_session_key", "current_step", "state_json", "created_at", "updated_at", "label", "owner"] as const;

/** The table name `cjm-workflow-state` uses. */
export const WORKFLOW_STATE_TABLE = "workflow_state";

/** The index on `owner`, for listing one owner's sessions. */
export const OWNER_INDEX = "idx_workflow_state_owner";

/** The index `cjm-workflow-state` creates on `updated_at`. */
export const UPDATED_AT_INDEX = "idx_workflow_state_updated";

/** Formats a date the way SQLite's `CURRENT_TIMESTAMP` does: `YYYY-MM-DD HH:MM:SS`, UTC. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

const SQLITE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * The most distinct timestamp texts whose parsed time is remembered: 10,000, about 1 MB. Every row shown parses two
 * timestamps, and Date's parser is the costly part of reading a row; the least recently used text is forgotten first.
 */
export const MAX_PARSED_TIMESTAMPS = 10_000;

// Remembered as a number, so every caller still gets a Date of its own.
const parsedTimestamps = new LRUCache<string, number>({ max: MAX_PARSED_TIMESTAMPS });

/** Parses a stored timestamp (UTC unless it names a zone); `null` when it is missing or unreadable. */
export function parseTimestamp(value: string | null | undefined): Date | null {
  if (!value) return null;
  let time = parsedTimestamps.get(value);
  if (time === undefined) {
    time = new Date(SQLITE_TIMESTAMP.test(value) ? `${value.replace(" ", "T")}Z` : value).getTime();
    parsedTimestamps.set(value, time);
  }
  return Number.isNaN(time) ? null : new Date(time);
}
