/**
 * The domain's data types, shared by every layer: the store returns them, the service enriches them, the views show
 * them. This module imports nothing, so any layer may import it without reaching another. The modules that used to
 * define these types (`store/workflow-store.ts`, `service/session-service.ts`, `options.ts`) re-export them.
 */

/** A session's state: the parsed `state_json` object. */
export type WorkflowState = Record<string, unknown>;

/** A session's metadata, read without its state blob. */
export interface SessionSummary {
  flowId: string;
  sessionId: string;
  /** The stored label, or `null` when the session has none. */
  label: string | null;
  currentStep: string | null;
  /** `null` when the stored timestamp is missing or unreadable. */
  createdAt: Date | null;
  updatedAt: Date | null;
  /** The size of `state_json` in bytes (UTF-8). */
  stateSizeBytes: number;
}

/**
 * The columns `WorkflowStore.listSessions()` can sort by. `label` sorts by the stored label ignoring ASCII case,
 * with sessions that have none first in ascending order.
 */
export type SessionOrderBy = "updated_at" | "created_at" | "label" | "current_step";

/**
 * Restricts a store call to one owner's sessions. With `owner` set, sessions stamped with another owner (or with
 * none) behave exactly as if they did not exist; without it, the call sees every session of the flow.
 */
export interface SessionScope {
  /** The owner whose sessions the call may see and change. @default every session, whatever its owner */
  owner?: string | undefined;
  /**
   * Records each change the call makes in the activity log (`workflow_state_events`), in the change's own
   * transaction, under the scope's owner (`''` without one) and this request id. The manager sets it on every
   * request while its `activity` option is on. @default nothing is recorded
   */
  activity?: ActivityStamp | undefined;
  /**
   * The change token read once for the call's request (`WorkflowStore.readPoint()`): the reads that remember their
   * results by the token (list windows, pins, tags, counts) check them against this one instead of reading it again.
   * On PostgreSQL, where each token read is a round trip, an unchanged list then costs that one read. Read it after
   * the request's own writes: a read through it sees the database as it was then, or later. @default each read
   * reads the token where that costs no round trip (SQLite), and otherwise remembers nothing
   */
  readPoint?: ReadPoint | undefined;
}

/** A change token read once, for the reads of one request to share: see {@link SessionScope.readPoint}. Opaque. */
export interface ReadPoint {
  /** Marks the type: build one with `WorkflowStore.readPoint()`. */
  readonly kind: "read-point";
}

/** What a change is recorded with in the activity log: the request that made it. */
export interface ActivityStamp {
  /** The request's id: its `X-Request-Id` when short and plain, otherwise one made up for it. */
  requestId: string;
}

/** The actions the activity log records. */
export const ACTIVITY_ACTIONS = Object.freeze(["create", "duplicate", "import", "rename", "delete", "restore", "purge", "resume", "pin", "unpin", "tag"] as const);

/** An action the activity log records. */
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];

/** Where a window of the activity log starts: after the event of this time and id (the last one shown). */
export interface ActivityCursor {
  /** The stored `at` text of the last event shown, `YYYY-MM-DD HH:MM:SS`. */
  at: string;
  id: number;
}

/** One event of the activity log: an action on one session, as it was recorded. */
export interface ActivityEvent {
  /** The event's id, increasing with each event written. */
  id: number;
  sessionId: string;
  action: ActivityAction;
  /** The session's stored label at the time, or `null` when it had none. */
  label: string | null;
  /** For a rename, the label before and after (`null` for none); `null` for other actions. */
  before: string | null;
  after: string | null;
  /** When it happened (UTC, to the second). */
  at: Date | null;
  requestId: string | null;
}

/** A host column in the session table, filled by `SessionManagerOptions.enrich`. */
export interface ColumnSpec {
  /** The key of the enricher's result shown in this column. */
  field: string;
  /** The column header. */
  header: string;
  /** Extra CSS classes for the column's cells, e.g. `"w-24"`. */
  className?: string;
}

/** Display values an enricher returns, keyed by {@link ColumnSpec.field}. */
export type EnrichedFields = Record<string, string | number | null | undefined>;

/** A session as the list shows it: its summary plus the resolved label and the host's display values. */
export interface SessionListItem extends SessionSummary {
  /** The label to show: stored, generated, or a default. */
  displayLabel: string;
  /** The step's title from `stepTitle`, or `null` when the session has no step. */
  stepTitle: string | null;
  /** Host column values by field, as strings; `—` where the enricher failed or gave nothing. */
  fields: Readonly<Record<string, string>>;
  /**
   * An opaque value that changes whenever the label, step or state change (even twice within one second, and by
   * writes of the Python library). Send it back as the `version` field of an action to make it conflict-safe.
   */
  version: string;
  /** The session's tags, in code point order, where the answer reads them (the list's rows, `POST {prefix}/tags`). */
  tags?: readonly string[] | undefined;
}

/** One of an owner's tags with the number of their sessions (not in the trash) that carry it. */
export interface TagCount {
  tag: string;
  /** The sessions with the tag; with {@link capped}, the bound the count stopped at. */
  sessions: number;
  /** True when more sessions carry the tag than {@link sessions} says (the count stops at 1,000). */
  capped?: boolean;
}

/** What the list asks for: a window of rows in one order, optionally filtered by a search. */
export interface ListQuery {
  /** The window's first row, 0-based. */
  offset: number;
  /** The most rows in the window. */
  limit: number;
  orderBy: SessionOrderBy;
  descending: boolean;
  /** Label or session-id prefix; empty for every session. */
  search: string;
  /** Only sessions with every one of these tags (as `normalizeTags()` stores them); none or empty: no tag filter. */
  tags?: readonly string[] | undefined;
  /** Seek the window by key: it starts after this row of a window shown (see `ListWindowOptions.after`). */
  after?: ListAnchor | undefined;
  /** Seek the window by key: it ends before this row of a window shown (see `ListWindowOptions.before`). */
  before?: ListAnchor | undefined;
}

/**
 * A row of the list as a keyset seek needs it: its session id, its sort value exactly as the order's index holds it
 * (the raw text of `updated_at`, `created_at` or `current_step`, or the label with ASCII case folded), and where it
 * was in the list when it was shown.
 */
export interface ListAnchor {
  sessionId: string;
  value: string | null;
  /**
   * The row's 0-based position in the list when it was shown. With it, a window up to `LANDMARK_SPACING` rows away
   * seeks from this row too (skipping the rows between); without it, only the window right next to the row does.
   */
  offset?: number | undefined;
}

/** One window of the list, with the number of sessions that match. `offset` is where the window really starts. */
export interface SessionPage extends ListQuery {
  items: SessionListItem[];
  /** Sessions that match; with `capped`, the first `SEARCH_MATCH_CAP` of more, which are all the list reaches. */
  total: number;
  /** True when more sessions match the search than `total`: the count stopped at the cap. @default false */
  capped?: boolean;
  /** The window's first and last rows as anchors (with their offsets), for seeking the windows near it. */
  anchors?: { first: ListAnchor; last: ListAnchor } | undefined;
}

/** The longest label accepted, in characters: the service refuses longer ones, the rename dialog's input stops there. */
export const MAX_LABEL_LENGTH = 200;

/** C0 and C1 control characters and the Unicode line and paragraph separators, stripped from user text. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** The format of a session id the routes accept (and an import keeps): UUIDs, and ids such as `legacy-0`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;
/** The orders of the trash's list: when deleted, label, step, last update. */
export type TrashOrderBy = "deleted_at" | "label" | "current_step" | "updated_at";

/** A session in the trash: its summary as it was, and when it was deleted. */
export interface TrashedSession extends SessionSummary {
  /** When it was moved to the trash; `null` only for a row another program wrote without it. */
  deletedAt: Date | null;
  /** The id of the delete that moved it, which Undo restores by. */
  batch: string | null;
}

/** A trashed session as the trash page shows it. */
export interface TrashListItem extends TrashedSession {
  /** The stored label, or `Session YYYY-MM-DD HH:MM` from the creation time (the `label` callback is not asked). */
  displayLabel: string;
  /** The step's title from `stepTitle`, or `null`. */
  stepTitle: string | null;
  /** When it will be purged (`deletedAt` plus `trash.keepDays`). */
  purgeAt: Date | null;
}

/** What the trash's list asks for. */
export interface TrashQuery {
  offset: number;
  limit: number;
  orderBy: TrashOrderBy;
  descending: boolean;
  /** Label or session-id prefix; empty for every trashed session. */
  search: string;
}

/** One window of the trash, with the number of trashed sessions that match. */
export interface TrashPage extends TrashQuery {
  items: TrashListItem[];
  total: number;
}
