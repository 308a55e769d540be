import { randomUUID } from "node:crypto";
import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { InvalidInputError } from "../errors.js";
import { runQuery } from "./database-errors.js";
import { keyChunks } from "./key-chunks.js";
import { removeExtrasOfRemoved } from "./removed-sessions.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { checkedOwner, checkText, sessionKey, whereOwner } from "./session-keys.js";
import type { CreateSessionOptions, SessionRecord, SessionScope, SessionSnapshot, SessionSummary } from "./session-types.js";
import { sessionVersion } from "./session-version.js";
import { stringifyStateJson } from "./state-json-merge.js";
import { parseStateJson } from "./state-json.js";
import { selectSummaries, toSummary, type SummaryRow } from "./summary-rows.js";
import { runTagQuery } from "./tag-repository.js";
import { formatTimestamp, TAGS_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import { keyIn, recordSelected } from "./activity-log.js";
import { unchangedCondition } from "./trash-repository.js";

/** A session's row as a whole: creating it, reading its metadata, labelling, handing over and deleting it. */
export class SessionRepository {
  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
  ) {}

  /** See `WorkflowStore.createSession()`. */
  async createSession(flowId: string, options: CreateSessionOptions = {}): Promise<string> {
    const sessionId = options.sessionId ?? randomUUID();
    if (options.label != null) checkText(options.label, "A label");
    if (options.owner != null) checkText(options.owner, "An owner");
    if (options.currentStep != null) {
      if (typeof options.currentStep !== "string") throw new InvalidInputError(`A step id must be a string or null; got ${typeof options.currentStep}.`);
      checkText(options.currentStep, "A step id");
    }
    const stateJson = initialStateText(options.state);
    const now = formatTimestamp(new Date());
    const insert = (db: Kysely<WorkflowStateDatabase>) =>
      db
        .insertInto(WORKFLOW_STATE_TABLE)
        .values({
          flow_session_key: sessionKey(flowId, sessionId),
          current_step: options.currentStep ?? null,
          state_json: stateJson,
          created_at: now,
          updated_at: now,
          label: options.label ?? null,
          ...(options.owner != null ? { owner: options.owner } : {}),
        })
        .execute();
    const scope = { owner: options.owner ?? undefined, activity: options.activity };
    if (!scope.activity) await runQuery(() => insert(this.db));
    else {
      const action = options.duplicateOf === undefined ? "create" : "duplicate";
      const values = { before: options.duplicateOf ?? null };
      await runQuery(() =>
        this.db.transaction().execute(async (trx) => {
          await insert(trx);
          await recordSelected(trx, flowId, scope, action, WORKFLOW_STATE_TABLE, keyIn([sessionKey(flowId, sessionId)]), values);
        }),
      );
    }
    return sessionId;
  }

  /** See `WorkflowStore.sessionExists()`. */
  async sessionExists(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    const row = await runQuery(() =>
      whereOwner(this.db.selectFrom(WORKFLOW_STATE_TABLE).select("flow_session_key").where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope)
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  /** See `WorkflowStore.getSessionSummary()`. */
  async getSessionSummary(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<SessionSummary | undefined> {
    const row = await runQuery(() =>
      whereOwner(selectSummaries(this.db, this.dialect).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope).executeTakeFirst(),
    );
    return row && toSummary(flowId, row);
  }

  /** See `WorkflowStore.getSessionSummaries()`. */
  async getSessionSummaries(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<SessionSummary[]> {
    const rows = await this.rowsByKey(flowId, sessionIds, scope, false);
    return rows.map((row) => toSummary(flowId, row));
  }

  /** See `WorkflowStore.getSessionRecord()`. */
  async getSessionRecord(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<SessionRecord | undefined> {
    const row = await runQuery(() =>
      whereOwner(selectSummaries(this.db, this.dialect, true).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope).executeTakeFirst(),
    );
    return row && toRecord(flowId, row);
  }

  /** See `WorkflowStore.getSessionRecords()`. */
  async getSessionRecords(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<SessionRecord[]> {
    const rows = await this.rowsByKey(flowId, sessionIds, scope, true);
    return rows.map((row) => toRecord(flowId, row));
  }

  /** See `WorkflowStore.setSessionLabel()`. */
  async setSessionLabel(flowId: string, sessionId: string, label: string | null, scope: SessionScope = {}, unchanged?: SessionSnapshot): Promise<boolean> {
    if (label !== null) checkText(label, "A label");
    const key = sessionKey(flowId, sessionId);
    const update = (db: Kysely<WorkflowStateDatabase>) =>
      whereUnchanged(whereOwner(db.updateTable(WORKFLOW_STATE_TABLE).set({ label }).where("flow_session_key", "=", key), scope), unchanged).executeTakeFirst();
    if (!scope.activity) return (await runQuery(() => update(this.db))).numUpdatedRows > 0n;
    // The event is written first, from the row as it is before the update (its label is the "before").
    return runQuery(() =>
      inTransactionUnless(this.db, async (trx) => {
        const recorded = await recordSelected(trx, flowId, scope, "rename", WORKFLOW_STATE_TABLE, rowWhere(key, scope, unchanged), { before: sql.ref("label"), after: label });
        const updated = (await update(trx)).numUpdatedRows > 0n;
        return { result: updated, rollBack: recorded > 0 && !updated };
      }),
    );
  }

  /** See `WorkflowStore.setSessionOwner()`. */
  async setSessionOwner(flowId: string, sessionId: string, owner: string | null): Promise<boolean> {
    if (owner !== null && (typeof owner !== "string" || owner === "")) {
      throw new InvalidInputError(`An owner must be a non-empty string or null; got ${JSON.stringify(owner)}.`);
    }
    if (owner !== null) checkText(owner, "An owner");
    const key = sessionKey(flowId, sessionId);
    const result = await runQuery(() =>
      this.db.transaction().execute(async (trx) => {
        const updated = await trx.updateTable(WORKFLOW_STATE_TABLE).set({ owner }).where("flow_session_key", "=", key).executeTakeFirst();
        // The session's tags carry its owner, so one owner's tags stay one range of their index.
        if (updated.numUpdatedRows > 0n) await runTagQuery(() => trx.updateTable(TAGS_TABLE).set({ owner: owner ?? "" }).where("flow_session_key", "=", key).execute(), () => []);
        return updated;
      }),
    );
    return result.numUpdatedRows > 0n;
  }

  // The rows of these ids that exist (for the scope), each once, in the order of their first mention; read in
  // statements of at most KEYS_PER_STATEMENT keys.
  private async rowsByKey(flowId: string, sessionIds: readonly string[], scope: SessionScope, withState: boolean): Promise<(SummaryRow & { state_json: string | null })[]> {
    const keys = [...new Set(sessionIds.map((id) => sessionKey(flowId, id)))];
    const rows = new Map<string, SummaryRow & { state_json: string | null }>();
    for (const chunk of keyChunks(keys)) {
      const found = await runQuery(() => whereOwner(selectSummaries(this.db, this.dialect, withState).where("flow_session_key", "in", chunk), scope).execute());
      for (const row of found) rows.set(row.flow_session_key, row);
    }
    return keys.flatMap((key) => rows.get(key) ?? []);
  }

  /** See `WorkflowStore.deleteSession()`. */
  async deleteSession(flowId: string, sessionId: string, scope: SessionScope = {}, unchanged?: SessionSnapshot): Promise<boolean> {
    const key = sessionKey(flowId, sessionId);
    return runQuery(() =>
      inTransactionUnless(this.db, async (trx) => {
        // The event is written first, while the row is there to give its label.
        const recorded = await recordSelected(trx, flowId, scope, "delete", WORKFLOW_STATE_TABLE, rowWhere(key, scope, unchanged));
        const result = await whereUnchanged(whereOwner(trx.deleteFrom(WORKFLOW_STATE_TABLE).where("flow_session_key", "=", key), scope), unchanged).executeTakeFirst();
        if (result.numDeletedRows === 0n) return { result: false, rollBack: recorded > 0 };
        await removeExtrasOfRemoved(trx, [key]);
        return { result: true, rollBack: false };
      }),
    );
  }
}

/** The row of `key` for the scope, and exactly as `unchanged` read it when given, as one raw condition. */
function rowWhere(key: string, scope: SessionScope, unchanged: SessionSnapshot | undefined): RawBuilder<SqlBool> {
  const owner = checkedOwner(scope.owner);
  const extra = unchangedCondition(unchanged);
  return sql<SqlBool>`${keyIn([key])}${owner === undefined ? sql`` : sql` AND owner = ${owner}`}${extra ? sql` AND ${extra}` : sql``}`;
}

// Thrown to roll back a transaction whose event was written but whose change found no row (another writer's change
// came between them, on PostgreSQL): neither stays.
class RolledBack<T> extends Error {
  constructor(readonly result: T) {
    super("Rolled back: the change found no row.");
  }
}

/** Runs `work` in a transaction, rolled back (with `result` still returned) when it says so. */
async function inTransactionUnless<T>(db: Kysely<WorkflowStateDatabase>, work: (trx: Kysely<WorkflowStateDatabase>) => Promise<{ result: T; rollBack: boolean }>): Promise<T> {
  try {
    return await db.transaction().execute(async (trx) => {
      const { result, rollBack } = await work(trx);
      if (rollBack) throw new RolledBack(result);
      return result;
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.result as T;
    throw error;
  }
}

/** A session's row with its state, as a {@link SessionRecord}. */
function toRecord(flowId: string, row: SummaryRow & { state_json: string | null }): SessionRecord {
  const summary = toSummary(flowId, row);
  const snapshot: SessionSnapshot = { label: row.label, currentStep: row.current_step, updatedAt: row.updated_at, state: row.state_json };
  return { summary, state: row.state_json, version: sessionVersion(summary, row.state_json), snapshot };
}

/** A builder that can filter on the columns a {@link SessionSnapshot} holds. */
interface SnapshotFilterable<Q> {
  where(column: "label" | "current_step" | "updated_at" | "state_json", op: "=" | "is", value: string | null): Q;
}

/**
 * Restricts an update or delete to the row exactly as `snapshot` read it, so that the check of a version and the
 * write it guards are one statement: no other writer (this process, another, or the Python library) can slip in.
 */
export function whereUnchanged<Q extends SnapshotFilterable<Q>>(query: Q, snapshot: SessionSnapshot | undefined): Q {
  if (!snapshot) return query;
  const same = (q: Q, column: "label" | "current_step" | "updated_at" | "state_json", value: string | null): Q =>
    value === null ? q.where(column, "is", null) : q.where(column, "=", value);
  let filtered = same(query, "label", snapshot.label);
  filtered = same(filtered, "current_step", snapshot.currentStep);
  filtered = same(filtered, "updated_at", snapshot.updatedAt);
  return same(filtered, "state_json", snapshot.state);
}

/**
 * The `state_json` a new session starts with: `{}`; a state object serialised as Python's `json.dumps` would; or
 * stored JSON text copied through unchanged (to duplicate a session byte for byte), which must be a JSON object.
 */
function initialStateText(state: CreateSessionOptions["state"]): string {
  if (state === undefined || state === null) return "{}";
  if (typeof state === "string") {
    let value: unknown;
    try {
      value = parseStateJson(state);
    } catch {
      throw new InvalidInputError("A session's initial state text must be JSON.");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidInputError("A session's initial state must be a JSON object.");
    checkText(state, "A session's initial state");
    return state;
  }
  if (typeof state !== "object" || Array.isArray(state)) {
    throw new InvalidInputError(`A session's initial state must be a plain object; got ${Array.isArray(state) ? "an array" : typeof state}.`);
  }
  let text: string | undefined;
  try {
    text = stringifyStateJson(state);
  } catch (error) {
    throw new InvalidInputError(`A session's initial state cannot be stored as JSON: ${error instanceof Error ? error.message : String(error)}.`);
  }
  if (text === undefined) throw new InvalidInputError("A session's initial state cannot be stored as JSON.");
  return checkText(text, "A session's initial state");
}
