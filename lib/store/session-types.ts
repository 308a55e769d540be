import type { ActivityStamp, ListAnchor, ReadPoint, SessionOrderBy, SessionScope, SessionSummary, TagCount, WorkflowState } from "../session-types.js";

// The domain types every layer shares live in ../session-types.ts; the store's own option and result types follow.
export type { ActivityStamp, ListAnchor, ReadPoint, SessionOrderBy, SessionScope, SessionSummary, TagCount, WorkflowState };

/** Options of `WorkflowStore.listSessions()`. */
export interface ListSessionsOptions extends SessionScope {
  /** @default "updated_at" */
  orderBy?: SessionOrderBy;
  /** @default true */
  descending?: boolean;
  /** The most rows to return. @default no limit */
  limit?: number;
  /** Rows to skip. @default 0 */
  offset?: number;
  /**
   * Keeps only sessions whose stored label starts with this text (ignoring ASCII case) or whose id starts with it.
   * Every character matches only itself: `%` and `_` are not wildcards. Empty keeps every session.
   * @default ""
   */
  search?: string;
}

/** Options of `WorkflowStore.countSessions()`. */
export interface CountSessionsOptions extends SessionScope {
  /** Counts only the sessions that match, as in {@link ListSessionsOptions.search}. @default "" */
  search?: string;
  /** Counts only the sessions that carry every one of these tags (as `normalizeTags()` stores them). @default none */
  tags?: readonly string[] | undefined;
  /**
   * Stops counting at this many: the result is the smaller of the count and `limit`, so a broad search costs
   * `limit` index entries instead of its number of matches. @default no limit
   */
  limit?: number;
}

/**
 * The most matches a search window counts and reaches. Past it, {@link SessionWindow.capped} is set, the total says
 * 1,000 and the window stays within the first 1,000 matches: a deeper window would cost its offset over the share of
 * sessions that match.
 */
export const SEARCH_MATCH_CAP = 1000;

/**
 * How far a search's count goes before its landmarks are built: past it the window says `10,000+`
 * ({@link SessionWindow.capped}) and stays within the first 10,000 matches, until one background walk of the order's
 * index has counted them all and marked landmarks among them (see docs/large-lists.md).
 */
export const SEARCH_COUNT_BOUND = 10_000;

/** Options of `WorkflowStore.listWindow()`: the order, the filter, and where the window starts. */
export interface ListWindowOptions extends Omit<ListSessionsOptions, "limit" | "offset"> {
  /** The first row of the window, 0-based; past the end, the last full window is returned. */
  offset: number;
  /** The most rows in the window. */
  limit: number;
  /**
   * Also reads the window's state blobs, in the same query, into {@link SessionWindow.states}.
   * @default false
   */
  withStates?: boolean;
  /**
   * Seek the window by key instead of by offset: the window starts just after this row (e.g. the last row of the
   * window before it, in the list's order), or, when the anchor has an `offset`, `offset - anchor.offset - 1` rows
   * after it (`-1`: at the row itself), up to {@link LANDMARK_SPACING}. A session that no longer exists, whose sort
   * value changed, or that is too far from `offset` falls back to `offset`. See docs/large-lists.md.
   */
  after?: ListAnchor | undefined;
  /**
   * As {@link after}, for a window before the row: it ends just before it (e.g. the first row of the window after
   * it), or `anchor.offset - (offset + limit)` rows before it.
   */
  before?: ListAnchor | undefined;
  /**
   * Keeps only sessions that carry every one of these tags (as `normalizeTags()` stores them), together with the
   * search. Counted and windowed as a search is (see `WorkflowStore.listWindow()`). @default none
   */
  tags?: readonly string[] | undefined;
  /** Checks remembered windows and counts against this point's token: see `SessionScope.readPoint`. @default none */
  readPoint?: ReadPoint | undefined;
}


/** One window of a flow's sessions, with the number of sessions that match. */
export interface SessionWindow {
  sessions: SessionSummary[];
  /**
   * Sessions that match the search (all of the flow's without one); with {@link capped}, the first
   * {@link SEARCH_MATCH_CAP} or {@link SEARCH_COUNT_BOUND} of more.
   */
  total: number;
  /**
   * True when more sessions match the search than {@link total}, which is then {@link SEARCH_MATCH_CAP} or, while
   * the search's landmarks are being built, {@link SEARCH_COUNT_BOUND}: the page says `10,000+`.
   */
  capped: boolean;
  /** Where the window actually starts, after clamping to the sessions that exist. */
  offset: number;
  /** The raw `state_json` of each session in the window, by session id; only with {@link ListWindowOptions.withStates}. */
  states?: Map<string, string | null>;
  /** The window's first and last rows as anchors, for seeking the windows next to it; absent when it is empty. */
  anchors?: { first: ListAnchor; last: ListAnchor };
}

/** Options of `WorkflowStore.createSession()`. */
export interface CreateSessionOptions {
  /** The owner stamped on the session, in the `owner` column. @default null (no owner) */
  owner?: string | null | undefined;
  /** A label to store with the session. @default null */
  label?: string | null;
  /** The id to use. @default crypto.randomUUID() */
  sessionId?: string;
  /** The step the session starts at. @default null */
  currentStep?: string | null;
  /**
   * The state the session starts with: an object, written as Python's `json.dumps` would, or JSON text of an object,
   * stored byte for byte (to copy another session's state). Anything else throws `InvalidInputError`.
   * @default {}
   */
  state?: WorkflowState | string | null;
  /** Records the creation in the activity log, as {@link SessionScope.activity} does. @default not recorded */
  activity?: ActivityStamp | undefined;
  /** The session this one copies: the log records a `duplicate` (with this id as its before value), not a `create`. */
  duplicateOf?: string | undefined;
}

/**
 * A session's columns exactly as they were read, raw: a write given it goes ahead only while the row still holds
 * all of them (see `WorkflowStore.setSessionLabel()`), which is how a version check and its write are atomic.
 */
export interface SessionSnapshot {
  readonly label: string | null;
  readonly currentStep: string | null;
  /** The stored `updated_at` text. */
  readonly updatedAt: string | null;
  /** The stored `state_json` text. */
  readonly state: string | null;
}

/** One session read whole: its summary, its stored state text, its version and the raw snapshot behind them. */
export interface SessionRecord {
  readonly summary: SessionSummary;
  /** The stored `state_json` text, unparsed. */
  readonly state: string | null;
  /** The session's version, see `sessionVersion()`. */
  readonly version: string;
  /** The columns as read, for a write that must find them unchanged. */
  readonly snapshot: SessionSnapshot;
}

const STEP_KEY_PREFIX = "_step_";

/** The state key under which `cjm-workflow-state` keeps a step's own state. */
export function stepStateKey(stepId: string): string {
  return `${STEP_KEY_PREFIX}${stepId}`;
}
