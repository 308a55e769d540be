import type { Kysely } from "kysely";
import type { SqlDialect } from "./dialects/dialect.js";
import { SessionCounts } from "./session-counts.js";
import { checkText } from "./session-keys.js";
import { SessionList } from "./session-list.js";
import { LANDMARK_SPACING } from "./list-landmarks.js";
import { SessionRepository } from "./session-repository.js";
import {
  stepStateKey,
  type CountSessionsOptions,
  type CreateSessionOptions,
  type ListSessionsOptions,
  type ListWindowOptions,
  type SessionScope,
  type SessionSummary,
  type SessionWindow,
  type WorkflowState,
} from "./session-types.js";
import { mergeNestedStateText, mergeStateText, removeStateKey } from "./state-json-merge.js";
import { isPlainObject, parseState, StateRepository } from "./state-repository.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";

export * from "./session-types.js";
export { isWellFormedText } from "./session-keys.js";
export { parseState } from "./state-repository.js";
export { compareText, prefixUpperBound } from "./search-predicates.js";
export { LANDMARK_SPACING } from "./list-landmarks.js";

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

  /**
   * @param db - the Kysely instance to query
   * @param dialect - the SQL that differs between databases
   * @param onClose - what {@link close} does, e.g. destroying a connection the store opened itself
   */
  constructor(
    readonly db: Kysely<WorkflowStateDatabase>,
    readonly dialect: SqlDialect,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.sessions = new SessionRepository(db, dialect);
    this.counts = new SessionCounts(db, dialect);
    this.list = new SessionList(db, dialect, this.counts);
    this.states = new StateRepository(db, dialect);
  }

  /** Creates an empty session and returns its id. */
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
  listWindow(flowId: string, options: ListWindowOptions): Promise<SessionWindow> {
    return this.list.listWindow(flowId, options);
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

  /** Sets or, with `null`, clears the label. Returns false when the session does not exist (nothing is written). */
  setSessionLabel(flowId: string, sessionId: string, label: string | null, scope: SessionScope = {}): Promise<boolean> {
    return this.sessions.setSessionLabel(flowId, sessionId, label, scope);
  }

  /**
   * Stamps the session with an owner, or with `null` clears it; e.g. to hand sessions from before the `owner` option
   * (which no user sees) to their users. Returns false when the session does not exist.
   */
  setSessionOwner(flowId: string, sessionId: string, owner: string | null): Promise<boolean> {
    return this.sessions.setSessionOwner(flowId, sessionId, owner);
  }

  /** Deletes the session. Idempotent: returns false when there was nothing to delete. */
  deleteSession(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    return this.sessions.deleteSession(flowId, sessionId, scope);
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
   * The raw `state_json` of several sessions of one flow in one query, keyed by session id. Sessions that do not
   * exist are absent from the map. Used to read state only for the rows a page shows.
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
  }

  /** Removes the step's state, keeping every other key's bytes. A no-op when the session does not exist (for the scope). */
  async clearStepState(flowId: string, sessionId: string, stepId: string, scope: SessionScope = {}): Promise<void> {
    const key = stepStateKey(stepId);
    await this.states.writeSession(flowId, sessionId, scope, { state: (current) => removeStateKey(current, key), create: false });
  }

  /**
   * Resolves once the list's background landmark walks under way have ended, so that windows far from both ends
   * seek from landmarks (see {@link listWindow}); for tests and benchmarks that wait for that condition.
   */
  listLandmarksSettled(): Promise<void> {
    return this.list.landmarksSettled();
  }

  /** Closes the connection if the store opened it; a Kysely instance the host passed is left open. */
  async close(): Promise<void> {
    this.list.close();
    await this.list.landmarksSettled();
    await this.onClose();
  }
}
