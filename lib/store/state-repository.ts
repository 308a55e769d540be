import type { Kysely } from "kysely";
import { CorruptStateError, SessionNotFoundError, StoreUnavailableError } from "../errors.js";
import { runQuery } from "./database-errors.js";
import { keyChunks } from "./key-chunks.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { checkedOwner, sessionKey, whereOwner } from "./session-keys.js";
import type { SessionScope, WorkflowState } from "./session-types.js";
import { parseStateJson } from "./state-json.js";
import { formatTimestamp, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/** How often a compare-and-swap write reads again because another writer changed the row in between. */
const MAX_WRITE_ATTEMPTS = 100;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A change to one session's row, see {@link StateRepository.writeSession}. */
export interface SessionChange {
  /** Turns the stored text into the new one; `undefined` when the stored text is not JSON. */
  state?: (current: string | null) => string | undefined;
  /** Replaces the current step. */
  currentStep?: string | null;
  /** Creates a missing row. @default true */
  create?: boolean;
}

/** A session's state and current step: reads, and writes by compare-and-swap on the stored text. */
export class StateRepository {
  /** The last queued write of each row this store is writing, see {@link queueWrite}. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
  ) {}

  /** See `WorkflowStore.getRawStates()`. */
  async getRawStates(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, string | null>> {
    const states = new Map<string, string | null>();
    const prefix = flowId.length + 1;
    for (const chunk of keyChunks([...new Set(sessionIds.map((id) => sessionKey(flowId, id)))])) {
      const rows = await runQuery(() =>
        whereOwner(this.db.selectFrom(WORKFLOW_STATE_TABLE).select(["flow_session_key", "state_json"]).where("flow_session_key", "in", chunk), scope).execute(),
      );
      for (const row of rows) states.set(row.flow_session_key.slice(prefix), row.state_json);
    }
    return states;
  }

  /** See `WorkflowStore.getCurrentStep()`. */
  async getCurrentStep(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<string | null> {
    const row = await runQuery(() =>
      whereOwner(
        this.db.selectFrom(WORKFLOW_STATE_TABLE).select("current_step").where("flow_session_key", "=", sessionKey(flowId, sessionId)),
        scope,
      ).executeTakeFirst(),
    );
    return row?.current_step ?? null;
  }

  /**
   * Rewrites one session's row by compare-and-swap: reads it, computes the change, and writes only while its state
   * is still byte for byte what was read, and its owner the scope's (else reads again). No lock or transaction is
   * held between the read and the write, so no writer waits on another, in this process or any other (a
   * transaction held across the awaits in between, as with SQLite's `BEGIN IMMEDIATE`, let a second connection of
   * this process block the thread in its busy handler while the first waited to commit). `state` turns the stored
   * text into the new one (`undefined` when the stored text is not JSON: nothing is written and
   * {@link CorruptStateError} is thrown); `currentStep` replaces the step. A missing row is created unless `create`
   * is false; a row another owner holds is never touched. Writes to one session from this store queue behind each
   * other, so they never race each other.
   */
  writeSession(flowId: string, sessionId: string, scope: SessionScope, change: SessionChange): Promise<void> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const attempt = async (): Promise<boolean> => {
      const row = await this.db
        .selectFrom(WORKFLOW_STATE_TABLE)
        .select((eb) => ["owner", this.dialect.bytesOf(eb.ref("state_json")).as("state_bytes")])
        .where("flow_session_key", "=", key)
        .executeTakeFirst();
      const now = formatTimestamp(new Date());
      const newState = (current: string | null) => {
        const text = change.state!(current);
        if (text === undefined) throw new CorruptStateError(flowId, sessionId);
        return text;
      };
      if (row === undefined) {
        if (change.create === false) return true;
        const inserted = await this.db
          .insertInto(WORKFLOW_STATE_TABLE)
          .values({
            flow_session_key: key,
            current_step: change.currentStep ?? null,
            state_json: change.state ? newState(null) : "{}",
            created_at: now,
            updated_at: now,
            ...(owner !== undefined ? { owner } : {}),
          })
          .onConflict((oc) => oc.column("flow_session_key").doNothing())
          .executeTakeFirst();
        return inserted.numInsertedOrUpdatedRows !== 0n;
      }
      if (owner !== undefined && row.owner !== owner) throw new SessionNotFoundError(flowId, sessionId);
      const stored = row.state_bytes === null ? null : Buffer.from(row.state_bytes);
      let current: string | null = null;
      try {
        current = stored && UTF8.decode(stored);
      } catch (error) {
        // Bytes that are not UTF-8 (SQLite stores what it is given) cannot be read exactly, so they are not rewritten.
        throw new CorruptStateError(flowId, sessionId, { cause: error });
      }
      let update = whereOwner(
        this.db
          .updateTable(WORKFLOW_STATE_TABLE)
          .set({
            ...(change.state ? { state_json: newState(current) } : {}),
            ...(change.currentStep !== undefined ? { current_step: change.currentStep } : {}),
            updated_at: now,
          })
          .where("flow_session_key", "=", key),
        scope,
      );
      if (change.state) {
        update = update.where((eb) => (stored === null ? eb("state_json", "is", null) : eb(this.dialect.bytesOf(eb.ref("state_json")), "=", stored)));
      }
      const result = await update.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    };
    return this.queueWrite(key, () =>
      runQuery(async () => {
        for (let tries = 0; tries < MAX_WRITE_ATTEMPTS; tries++) if (await attempt()) return;
        throw new StoreUnavailableError(`Session "${sessionId}" of flow "${flowId}" kept changing under ${MAX_WRITE_ATTEMPTS} attempts to write it.`);
      }),
    );
  }

  /** Runs `write` after this store's earlier writes to the same row have settled. */
  private queueWrite<T>(key: string, write: () => Promise<T>): Promise<T> {
    const result = (this.writes.get(key) ?? Promise.resolve()).then(write);
    const settled = result.then(
      () => {},
      () => {},
    );
    this.writes.set(key, settled);
    void settled.then(() => {
      if (this.writes.get(key) === settled) this.writes.delete(key);
    });
    return result;
  }
}

/** True for an object that is neither `null` nor an array. */
export function isPlainObject(value: unknown): value is WorkflowState {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses a stored `state_json` in the JSON dialect Python's `json.dumps` writes (`NaN`, `Infinity` and `-Infinity`
 * included); `null` or empty is `{}`, anything that is not a JSON object throws {@link CorruptStateError}.
 */
export function parseState(flowId: string, sessionId: string, json: string | null | undefined): WorkflowState {
  if (json === null || json === undefined || json === "") return {};
  let value: unknown;
  try {
    value = parseStateJson(json);
  } catch (error) {
    throw new CorruptStateError(flowId, sessionId, { cause: error });
  }
  if (!isPlainObject(value)) throw new CorruptStateError(flowId, sessionId);
  return value;
}
