import type { Kysely } from "kysely";
import { BulkMoves } from "./bulk-moves.js";
import { WalCheckpointer } from "./wal-checkpointer.js";
import { ChangeWatch, type ChangeSubscription, type NotificationSource, type StoreChangeListener } from "./change-watch.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { listFlows, type FlowCount } from "./flow-list.js";
import { SessionCounts } from "./session-counts.js";
import { checkText } from "./session-keys.js";
import { SessionList } from "./session-list.js";
import { LANDMARK_SPACING } from "./list-landmarks.js";
import { PinRepository } from "./pin-repository.js";
import { ActivityRepository, type ActivityWindow, type ActivityWindowOptions } from "./activity-repository.js";
import type { ActivityAction } from "../session-types.js";
import { MAX_LISTED_TAGS, TagRepository, type TagChange, type TagCount, type TagTarget } from "./tag-repository.js";
import { SessionRepository } from "./session-repository.js";
import { SessionTransfer, type ExportedSession, type ExportSelection, type ImportedSession, type ImportSessionsOptions } from "./session-transfer.js";
import {
  stepStateKey,
  type CountSessionsOptions,
  type CreateSessionOptions,
  type ListSessionsOptions,
  type ListWindowOptions,
  type ReadPoint,
  type SessionRecord,
  type SessionScope,
  type SessionSnapshot,
  type SessionSummary,
  type SessionWindow,
  type WorkflowState,
} from "./session-types.js";
import { mergeNestedStateText, mergeStateText, removeStateKey } from "./state-json-merge.js";
import { isPlainObject, parseState, StateRepository } from "./state-repository.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";
import { copySummary } from "./summary-rows.js";
import { changeTokenOf, TokenCache } from "./token-cache.js";
import { readPointOf } from "./read-point.js";
import { runQuery } from "./database-errors.js";
import {
  TrashRepository,
  type PurgeTrashOptions,
  type TrashedSession,
  type TrashMatch,
  type TrashOptions,
  type TrashWindow,
  type TrashWindowOptions,
} from "./trash-repository.js";

export * from "./session-types.js";
export type { FlowCount } from "./flow-list.js";
export type { PurgeTrashOptions, TrashedSession, TrashMatch, TrashOptions, TrashOrderBy, TrashWindow, TrashWindowOptions } from "./trash-repository.js";
export { TRASH_CHUNK } from "./trash-repository.js";
export { KEYS_PER_STATEMENT } from "./key-chunks.js";
export { MAX_PINS } from "./pin-repository.js";
export type { ActivityCursor, ActivityWindow, ActivityWindowOptions } from "./activity-repository.js";
export { MAX_TAGS, MAX_TAG_LENGTH, normalizeTag, normalizeTags } from "./tag-names.js";
export { MAX_LISTED_TAGS, TAG_COUNT_BOUND, type TagChange, type TagCount, type TagTarget } from "./tag-repository.js";
export { isWellFormedText } from "./session-keys.js";
export { sessionVersion, versionDifference, type VersionDifference, type VersionedRow } from "./session-version.js";
export { EXPORT_BATCH_ROWS, type ExportedSession, type ExportSelection, type ImportedSession, type ImportSessionsOptions } from "./session-transfer.js";
export { parseState } from "./state-repository.js";
export { compareText, prefixUpperBound } from "./search-predicates.js";
export { LANDMARK_SPACING } from "./list-landmarks.js";
export type { ChangeSubscription, NotificationSource, StoreChange, StoreChangeListener } from "./change-watch.js";

/**
 * The workflow-state repository: every read and write of the `workflow_state` table goes through here, scoped to one
 * flow by an exact key range. Build one with `createWorkflowStore()`. All methods are async and safe to call
 * concurrently; state writes edit the stored JSON text by compare-and-swap, so no update is lost and no value they
 * do not touch changes. A facade over the repositories of this folder (sessions, lists, counts, state).
 */
export class WorkflowStore {
  private readonly sessions: SessionRepository;
  private readonly counts: SessionCounts;
  private readonly list: SessionList;
  private readonly states: StateRepository;
  private readonly transfer: SessionTransfer;
  private readonly trash: TrashRepository;
  private readonly pins: PinRepository;
  private readonly changes: ChangeWatch;
  private readonly activity: ActivityRepository;
  private readonly tags: TagRepository;
  // Each owner's pins by the change token, where reading it costs no round trip (SQLite) or at a read point: see `TokenCache`.
  private readonly pinned: TokenCache<SessionSummary[]>;

  /**
   * @param db - the Kysely instance to query
   * @param dialect - the SQL that differs between databases
   * @param onClose - what {@link close} does, e.g. destroying a connection the store opened itself
   * @param notifications - opens a dedicated connection for the table's change notifications (PostgreSQL's
   *   `LISTEN`, for a store that opened its own pool); without it, {@link watchChanges} polls
   */
  constructor(
    readonly db: Kysely<WorkflowStateDatabase>,
    readonly dialect: SqlDialect,
    private readonly onClose: () => Promise<void> = async () => {},
    notifications?: NotificationSource,
  ) {
    this.changes = new ChangeWatch(() => dialect.othersChangeToken(db), notifications, () => this.tags.forgetCounts());
    this.sessions = new SessionRepository(db, dialect);
    this.counts = new SessionCounts(db, dialect);
    const moves = new BulkMoves(dialect.checkpointsOnLoop ? new WalCheckpointer(db) : undefined);
    this.list = new SessionList(db, dialect, this.counts, moves);
    this.states = new StateRepository(db, dialect);
    this.transfer = new SessionTransfer(db, dialect);
    this.trash = new TrashRepository(db, dialect, { counts: this.counts, moves });
    this.pins = new PinRepository(db, dialect);
    this.activity = new ActivityRepository(db);
    this.tags = new TagRepository(db, dialect);
    this.pinned = new TokenCache(db, changeTokenOf(db, dialect), { max: 256, readsToken: dialect.localChangeToken });
  }

  /**
   * Creates a session and returns its id: empty, or with the `label`, `currentStep` and `state` of `options`, in one
   * insert.
   */
  createSession(flowId: string, options: CreateSessionOptions = {}): Promise<string> {
    return this.sessions.createSession(flowId, options);
  }

  /** True when the session exists in the flow. */
  sessionExists(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    return this.sessions.sessionExists(flowId, sessionId, scope);
  }

  /** The session's metadata without its state, or `undefined` when it does not exist. */
  getSessionSummary(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<SessionSummary | undefined> {
    return this.sessions.getSessionSummary(flowId, sessionId, scope);
  }

  /**
   * The session whole, with its stored state text and its version, or `undefined` when it does not exist (for the
   * scope). Its `snapshot` makes a later {@link setSessionLabel} or {@link deleteSession} conditional on the row
   * being exactly as read.
   */
  getSessionRecord(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<SessionRecord | undefined> {
    return this.sessions.getSessionRecord(flowId, sessionId, scope);
  }

  /**
   * The summaries of several sessions, in the order of the ids given (each once); ids that do not exist (for the
   * scope) are left out. Read in statements of at most {@link KEYS_PER_STATEMENT} keys, so any number of ids is safe.
   */
  getSessionSummaries(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<SessionSummary[]> {
    return this.sessions.getSessionSummaries(flowId, sessionIds, scope);
  }

  /** As {@link getSessionSummaries}, but each session whole, as {@link getSessionRecord} reads it. */
  getSessionRecords(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<SessionRecord[]> {
    return this.sessions.getSessionRecords(flowId, sessionIds, scope);
  }

  /**
   * One page of the flow's sessions, without their state blobs. Ties are broken by session key, in the same
   * direction. Each order walks an index that leads with the flow, so a page costs its offset plus its rows, never
   * a sort of the whole flow; with a search, see {@link listWindow} for what a page costs.
   */
  listSessions(flowId: string, options: ListSessionsOptions = {}): Promise<SessionSummary[]> {
    return this.list.listSessions(flowId, options);
  }

  /**
   * One window of the list and the number of matching sessions. An offset past the end gives the last full window.
   * Every window costs about what the first does, at any offset and in every order (docs/large-lists.md):
   *
   * - Next to a window shown ({@link ListWindowOptions.after} / `before`): a keyset seek from its boundary row's sort
   *   value and key. A boundary row that was deleted or moved falls back to the offset.
   * - Within {@link LANDMARK_SPACING} rows of either end: the index walked from that end.
   * - Anywhere else: a seek from the nearest landmark, keys the store keeps every 1,000 rows of each order from one
   *   walk of its index, done in the background in short chunks on first use and again after changes. Exact while
   *   nothing has changed since that walk; while writes happen, off by at most the rows changed since it. Until the
   *   first walk is done, such a window walks its offset.
   *
   * With a search, no query sorts the matches. The matches are two sets, sessions whose id starts with the search
   * and sessions whose label does, each counted first through its own index, up to {@link SEARCH_MATCH_CAP} + 1
   * (index entries only). When both are within the cap they are read whole by their index ranges and ordered here.
   * Otherwise the window walks the order's index, keeping the rows either filter accepts, from the nearest of the
   * search's own landmarks (built as above, in a walk that also counts the matches exactly); until that walk is
   * done, the count stops at {@link SEARCH_COUNT_BOUND} ({@link SessionWindow.capped}, `10,000+`) and the window
   * stays within the first 10,000 matches.
   */
  async listWindow(flowId: string, options: ListWindowOptions): Promise<SessionWindow> {
    const tags = options.tags ?? [];
    if (tags.length < 2) return this.list.listWindow(flowId, options);
    // Several tags: the rarest drives the filter (its range of the tags' index is walked, the others checked by
    // key), by the counts the tag chips show (remembered); a tag not among them has no session, unless the chips
    // stop at their limit.
    const counts = new Map((await this.tags.tagCounts(flowId, { owner: options.owner, readPoint: options.readPoint })).map((entry) => [entry.tag, entry.sessions]));
    const unknown = counts.size >= MAX_LISTED_TAGS ? Number.POSITIVE_INFINITY : 0;
    const rarestFirst = [...tags].sort((a, b) => (counts.get(a) ?? unknown) - (counts.get(b) ?? unknown) || (a < b ? -1 : a > b ? 1 : 0));
    return this.list.listWindow(flowId, { ...options, tags: rarestFirst });
  }

  /**
   * Reads the change token once, for the reads of one request to share through `SessionScope.readPoint` (and
   * `ListWindowOptions.readPoint`): each read that remembers its results by the token (plain list windows, pins,
   * tags, counts) then checks them against this one. On PostgreSQL, where reading the token is a round trip, a list
   * request whose parts are all remembered costs this one round trip instead of one query per part (the pinned
   * rows' states, which the enricher reads, are read each time). A point is this store's: any other is ignored. Read it after
   * the request's writes: what is read through it is the database as it was at this call, or later.
   */
  async readPoint(): Promise<ReadPoint> {
    return readPointOf(this.db, await runQuery(() => this.dialect.changeToken(this.db)));
  }

  /**
   * The number of sessions in the flow (that match `search`, when given; at most `limit`). On PostgreSQL the flow's
   * count (and each owner's) is kept by triggers, so it costs one row read; on SQLite it is counted and remembered
   * until the table changes, from this store or any other connection, so an unchanged list does not count again.
   * A search without a `limit` costs its number of matches.
   */
  countSessions(flowId: string, options: CountSessionsOptions = {}): Promise<number> {
    return this.counts.countSessions(flowId, options);
  }

  /**
   * Every flow of the table that has sessions, with its session count (of every owner), ordered by flow id. It reads
   * every key once: for an overview such as the `serve` command's flows page, not for each request of a busy page.
   */
  listFlows(): Promise<FlowCount[]> {
    return listFlows(this.db, this.dialect);
  }

  /**
   * Sets or, with `null`, clears the label. Returns false when the session does not exist (nothing is written), or,
   * with `unchanged` (from {@link getSessionRecord}), when the row no longer holds exactly those values.
   */
  setSessionLabel(flowId: string, sessionId: string, label: string | null, scope: SessionScope = {}, unchanged?: SessionSnapshot): Promise<boolean> {
    return this.sessions.setSessionLabel(flowId, sessionId, label, scope, unchanged);
  }

  /**
   * Stamps the session with an owner, or with `null` clears it; e.g. to hand sessions from before the `owner` option
   * (which no user sees) to their users. Returns false when the session does not exist.
   */
  setSessionOwner(flowId: string, sessionId: string, owner: string | null): Promise<boolean> {
    return this.sessions.setSessionOwner(flowId, sessionId, owner);
  }

  /**
   * Deletes the session. Idempotent: returns false when there was nothing to delete, or, with `unchanged` (from
   * {@link getSessionRecord}), when the row no longer holds exactly those values (nothing is deleted).
   */
  deleteSession(flowId: string, sessionId: string, scope: SessionScope = {}, unchanged?: SessionSnapshot): Promise<boolean> {
    return this.sessions.deleteSession(flowId, sessionId, scope, unchanged);
  }

  /**
   * Moves sessions into the trash (`workflow_state_trash`) in one transaction: they leave `workflow_state`, so
   * `cjm-workflow-state` and every host query stop seeing them, and are kept with their exact values plus
   * `deleted_at`. All or nothing: throws {@link SessionNotFoundError} (moving none) when one of them is not a
   * session of the flow for the scope. Returns how many moved. A key already in the trash is replaced by this newer
   * deletion.
   */
  trashSessions(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}, options: TrashOptions = {}): Promise<number> {
    return this.trash.trashSessions(flowId, sessionIds, scope, options);
  }

  /**
   * Moves every session that matches `search` (all of the flow's for `""`) and carries every one of `tags` into the
   * trash, in chunks of {@link TRASH_CHUNK} rows, one short transaction each, so other requests are never held up for long; each row
   * moves atomically, and asking again after an interruption moves what is left. Give `options.batch` to restore
   * exactly this delete later (`restoreMatching(flowId, { batch })`). Returns how many moved.
   */
  trashMatching(flowId: string, match: { search?: string; tags?: readonly string[] | undefined }, scope: SessionScope = {}, options: TrashOptions = {}): Promise<number> {
    return this.trash.trashMatching(flowId, match, scope, options);
  }

  /**
   * Deletes several sessions for good, in one transaction; all or nothing, as {@link trashSessions}. With
   * `unchanged` (one session's snapshot from {@link getSessionRecord}), only while the row is exactly as read.
   */
  deleteSessions(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}, options: { unchanged?: SessionSnapshot } = {}): Promise<number> {
    return this.trash.deleteSessions(flowId, sessionIds, scope, options);
  }

  /** Deletes every session that matches `search` for good, in chunks as {@link trashMatching} moves them. */
  deleteMatching(flowId: string, match: { search?: string; tags?: readonly string[] | undefined }, scope: SessionScope = {}): Promise<number> {
    return this.trash.deleteMatching(flowId, match, scope);
  }

  /** Moves at most `limit` sessions not updated since `updatedBefore` into the trash, in one transaction (idle expiry). */
  trashIdle(flowId: string, updatedBefore: Date, limit: number, options: TrashOptions = {}): Promise<number> {
    return this.trash.trashIdle(flowId, updatedBefore, limit, options);
  }

  /**
   * Moves trashed sessions back into `workflow_state`, byte for byte, in one transaction. Throws
   * {@link RestoreConflictError} when a session with one of their keys exists again, and
   * {@link SessionNotFoundError} when one is not in the trash (for the scope); either way nothing changes.
   */
  restoreSessions(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<number> {
    return this.trash.restoreSessions(flowId, sessionIds, scope);
  }

  /**
   * Restores every trashed session that matches (by `search`, by the `batch` of one delete, or all), in chunks as
   * {@link trashMatching} moves them. Throws {@link RestoreConflictError}, restoring nothing, when one of their keys
   * is taken again. `onRestored` is called with the ids of each chunk as it commits.
   */
  restoreMatching(flowId: string, match: TrashMatch, scope: SessionScope = {}, onRestored?: (sessionIds: string[]) => void): Promise<number> {
    return this.trash.restoreMatching(flowId, match, scope, onRestored);
  }

  /**
   * One window of the trash and the number of trashed sessions that match, read in one snapshot, newest deletion
   * first by default.
   */
  listTrash(flowId: string, options: TrashWindowOptions, scope: SessionScope = {}): Promise<TrashWindow> {
    return this.trash.listTrash(flowId, options, scope);
  }

  /** One trashed session, or `undefined` when it is not in the trash (for the scope). */
  getTrashed(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<TrashedSession | undefined> {
    return this.trash.getTrashed(flowId, sessionId, scope);
  }

  /**
   * Deletes trashed sessions for good: exactly `ids` (all or nothing), or those that match `search`/`batch`, deleted
   * before `olderThan`, or, without options, the whole trash (for the scope). Without `limit` it runs in chunks of
   * {@link TRASH_CHUNK}; with it, one statement of at most `limit` rows. Returns how many were purged.
   */
  purgeTrash(flowId: string, options: PurgeTrashOptions = {}, scope: SessionScope = {}): Promise<number> {
    return this.trash.purgeTrash(flowId, options, scope);
  }

  /**
   * Pins the session for the scope's owner (or, without one, for every visitor), after the owner's other pins of the
   * flow. Returns false when it was pinned already (its place is kept). Throws {@link SessionNotFoundError} when it
   * is not a session of the flow for the scope, and {@link PinLimitError} when the owner has {@link MAX_PINS} pins in
   * the flow. Pins live in `workflow_state_pins`; a pin is kept while its session is in the trash and removed with
   * it for good.
   */
  pinSession(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    return this.pins.pinSession(flowId, sessionId, scope);
  }

  /** Unpins the session for the scope's owner. Idempotent: returns false when it was not pinned. */
  unpinSession(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    return this.pins.unpinSession(flowId, sessionId, scope);
  }

  /**
   * The scope owner's pinned sessions of the flow, in pin order, without state: at most {@link MAX_PINS}, read by key,
   * so the cost does not grow with the flow's sessions. A pinned session in the trash is left out until restored.
   */
  async listPins(flowId: string, scope: SessionScope = {}): Promise<SessionSummary[]> {
    // In pin order; a pinned session in the trash (or removed by another writer) is left out.
    const read = () => this.pins.pinnedIds(flowId, scope).then((ids) => this.sessions.getSessionSummaries(flowId, ids, scope));
    return this.pinned.get(JSON.stringify([flowId, scope.owner ?? null]), read, (pins) => pins.map(copySummary), undefined, scope.readPoint);
  }

  /**
   * One window of the scope owner's activity log of the flow (or of one session), newest first, from
   * `workflow_state_events`: every change made with {@link SessionScope.activity} set. A window costs its rows.
   */
  listActivity(flowId: string, options: ActivityWindowOptions, scope: SessionScope = {}): Promise<ActivityWindow> {
    return this.activity.listActivity(flowId, options, scope);
  }

  /**
   * Records `action` on the session (as it is now, for the scope) in the activity log, for an action that changes
   * no row itself (a resume); returns false when nothing was recorded (no such session, or no `scope.activity`).
   * A change the store makes records itself, in its own transaction.
   */
  recordActivity(flowId: string, sessionId: string, action: ActivityAction, scope: SessionScope): Promise<boolean> {
    return this.activity.recordActivity(flowId, sessionId, action, scope);
  }

  /** Deletes at most `limit` of the flow's events older than `olderThan` (every owner's), in one statement. */
  purgeActivity(flowId: string, olderThan: Date, limit: number): Promise<number> {
    return this.activity.purgeActivity(flowId, olderThan, limit);
  }

  /**
   * Replaces the session's tags with `tags` (none clears them) and returns them as stored: through
   * {@link normalizeTag} (trimmed, lower case), duplicates collapsed, in code point order. Throws
   * {@link InvalidInputError} for more than {@link MAX_TAGS} tags or a bad one, and {@link SessionNotFoundError} when
   * it is not a session of the flow for the scope. Tags live in `workflow_state_tags`; they are kept while the
   * session is in the trash and removed with it for good.
   */
  setTags(flowId: string, sessionId: string, tags: readonly string[], scope: SessionScope = {}): Promise<string[]> {
    return this.tags.setTags(flowId, sessionId, tags, scope);
  }

  /**
   * Adds one tag (through {@link normalizeTag}) to each session of `target` that lacks it: these ids, in one
   * transaction ({@link SessionNotFoundError}, and nothing changes, when one is not a session of the flow for the
   * scope), or every match of a search, chunk by chunk. A session that carries {@link MAX_TAGS} tags already is left
   * as it is and counted in `full`. Each session changed records a `tag` event (with `scope.activity`).
   */
  addTag(flowId: string, target: TagTarget, tag: string, scope: SessionScope = {}): Promise<TagChange> {
    return this.tags.changeTag(flowId, "add", tag, target, scope);
  }

  /** Removes one tag from each session of `target` that carries it, as {@link addTag} adds one. */
  removeTag(flowId: string, target: TagTarget, tag: string, scope: SessionScope = {}): Promise<TagChange> {
    return this.tags.changeTag(flowId, "remove", tag, target, scope);
  }

  /**
   * The tags of these sessions (e.g. a window's rows), by session id, each list in code point order; sessions
   * without tags are absent. Read by key, so the cost is that of the ids, however many sessions the flow has.
   */
  getTags(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, string[]>> {
    return this.tags.getTags(flowId, sessionIds, scope);
  }

  /**
   * The scope owner's tags of the flow (every owner's without one), each with how many of the owner's sessions not
   * in the trash carry it (up to {@link TAG_COUNT_BOUND}, then `capped`), in code point order; at most
   * {@link MAX_LISTED_TAGS}. One index seek per tag and at most 1,001 index entries per count, so the cost is bounded
   * by the tags, not the sessions; on SQLite the counts are remembered until the database changes.
   */
  tagCounts(flowId: string, scope: SessionScope = {}): Promise<TagCount[]> {
    return this.tags.tagCounts(flowId, scope);
  }

  /**
   * The session's state, `{}` when it does not exist (or, with an owner in `scope`, belongs to someone else). Throws
   * {@link CorruptStateError} when the stored state is not a JSON object. Python's `NaN`, `Infinity` and
   * `-Infinity` read as those numbers; integers beyond 2^53 read as the nearest number (merges keep their digits).
   */
  async getState(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<WorkflowState> {
    const states = await this.getStates(flowId, [sessionId], scope);
    return states.get(sessionId) ?? {};
  }

  /**
   * The raw `state_json` of several sessions of one flow, keyed by session id, read in statements of at most
   * {@link KEYS_PER_STATEMENT} keys. Sessions that do not exist are absent from the map. Used to read state only for
   * the rows a page shows.
   */
  getRawStates(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, string | null>> {
    return this.states.getRawStates(flowId, sessionIds, scope);
  }

  /** Parsed states of several sessions; throws {@link CorruptStateError} for the first one that is not JSON. */
  async getStates(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, WorkflowState>> {
    const raw = await this.getRawStates(flowId, sessionIds, scope);
    const states = new Map<string, WorkflowState>();
    for (const [sessionId, json] of raw) states.set(sessionId, parseState(flowId, sessionId, json));
    return states;
  }

  /**
   * Merges `updates` into the session's top-level state keys, creating the session if it does not exist (as
   * `cjm-workflow-state` does; stamped with the scope's owner). The stored text is edited, not re-encoded, so every
   * key it does not touch keeps its exact bytes, and concurrent calls never lose each other's keys. Values are
   * written as Python's `json.dumps` would: `NaN` and `±Infinity` as those constants, a `BigInt` as its digits.
   * Throws {@link CorruptStateError} (changing nothing) when the stored state is not a JSON object, and
   * {@link SessionNotFoundError} when the scope's owner does not own the session.
   */
  async updateState(flowId: string, sessionId: string, updates: WorkflowState, scope: SessionScope = {}): Promise<void> {
    await this.states.writeSession(flowId, sessionId, scope, { state: (current) => mergeStateText(current, updates) });
    this.announce(flowId, scope);
  }

  /** The session's current step id, or `null` when it has none or does not exist (for the scope). */
  getCurrentStep(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<string | null> {
    return this.states.getCurrentStep(flowId, sessionId, scope);
  }

  /**
   * Sets the session's current step, leaving its state as it is; creates the session if it does not exist. Throws
   * {@link SessionNotFoundError} when the scope's owner does not own the session.
   */
  async setCurrentStep(flowId: string, sessionId: string, stepId: string | null, scope: SessionScope = {}): Promise<void> {
    if (stepId !== null) checkText(stepId, "A step id");
    await this.states.writeSession(flowId, sessionId, scope, { currentStep: stepId });
    this.announce(flowId, scope);
  }

  /** The state a step keeps under `_step_<stepId>`, or `{}`. */
  async getStepState(flowId: string, sessionId: string, stepId: string, scope: SessionScope = {}): Promise<WorkflowState> {
    const value = (await this.getState(flowId, sessionId, scope))[stepStateKey(stepId)];
    return isPlainObject(value) ? value : {};
  }

  /**
   * Merges `updates` into the step's state, as {@link updateState} merges into the session's, creating the session
   * if it does not exist. The session's other keys, and the step's keys it does not touch, keep their exact bytes.
   */
  async updateStepState(flowId: string, sessionId: string, stepId: string, updates: WorkflowState, scope: SessionScope = {}): Promise<void> {
    const key = stepStateKey(stepId);
    await this.states.writeSession(flowId, sessionId, scope, { state: (current) => mergeNestedStateText(current, key, updates) });
    this.announce(flowId, scope);
  }

  /** Removes the step's state, keeping every other key's bytes. A no-op when the session does not exist (for the scope). */
  async clearStepState(flowId: string, sessionId: string, stepId: string, scope: SessionScope = {}): Promise<void> {
    const key = stepStateKey(stepId);
    await this.states.writeSession(flowId, sessionId, scope, { state: (current) => removeStateKey(current, key), create: false });
    this.announce(flowId, scope);
  }

  // A write of the host's workflow (state, step) reaches the live updates of this process: with the scope's owner,
  // that owner's streams of the flow; without one, every stream of the flow (whose owner the write does not say).
  private announce(flowId: string, scope: SessionScope): void {
    this.changes.announce(scope.owner === undefined ? { flowPrefix: `${flowId}:` } : { flowPrefix: `${flowId}:`, owner: scope.owner });
  }

  /**
   * Reads sessions out for an export: the given `sessionIds`, or every session that matches `search` (all of the
   * flow's without one), of the scope's owner only, in key order. An async iterable that reads
   * {@link EXPORT_BATCH_ROWS} rows at a time by key, so its memory stays flat however many sessions the flow holds;
   * each `state` is the stored text, byte for byte. Ids that are not the scope's sessions of the flow are left out.
   *
   * @example
   * ```ts
   * for await (const session of store.exportSessions("structure_decomposition", { search: "lecture" })) {
   *   console.log(session.sessionId, session.state.length);
   * }
   * ```
   */
  exportSessions(flowId: string, selection: ExportSelection = {}, scope: SessionScope = {}): AsyncIterable<ExportedSession> {
    return this.transfer.exportSessions(flowId, selection, scope);
  }

  /**
   * Writes `sessions` into the flow, all or nothing, in one transaction, stamped with the scope's owner (or none),
   * and returns their summaries in the order given. Each gets a new id unless `keepIds`; then an id the flow already
   * has (whoever owns it) throws {@link SessionExistsError} and nothing is written. Each `state` is stored as given,
   * and must be one JSON object text in the dialect of Python's `json` module; a repeated id, a bad state, label or
   * step throws {@link InvalidInputError} before anything is written. Missing times are now. On SQLite the write lock
   * is held until the commit, so another connection's writes wait for it (up to their busy timeout).
   */
  importSessions(flowId: string, sessions: readonly ImportedSession[], options: ImportSessionsOptions = {}, scope: SessionScope = {}): Promise<SessionSummary[]> {
    return this.transfer.importSessions(flowId, sessions, options, scope);
  }

  /**
   * Resolves once the list's background landmark walks under way have ended, so that windows far from both ends
   * seek from landmarks (see {@link listWindow}); for tests and benchmarks that wait for that condition.
   */
  listLandmarksSettled(): Promise<void> {
    return this.list.landmarksSettled();
  }

  /**
   * Calls `listener` when the table changes through another connection (another process, or another instance on
   * PostgreSQL, where this store's own writes are heard too), and when the host writes a session's state or step
   * through this store ({@link updateState} and its kin), for the live updates. Watches only while someone
   * is subscribed: on PostgreSQL through one dedicated `LISTEN` connection when the store opened its own pool, else
   * by polling a change token (SQLite's `PRAGMA data_version`) at most once a second, holding no connection between.
   */
  watchChanges(listener: StoreChangeListener): ChangeSubscription {
    return this.changes.subscribe(listener);
  }

  /** Closes the connection if the store opened it; a Kysely instance the host passed is left open. */
  async close(): Promise<void> {
    await this.changes.close();
    this.list.close();
    await this.list.landmarksSettled();
    await this.onClose();
  }
}
