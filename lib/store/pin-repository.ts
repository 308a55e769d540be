import type { Kysely } from "kysely";
import { sideTableQuery } from "./side-tables.js";
import { PinLimitError, SessionNotFoundError } from "../errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { checkedOwner, checkFlowId, sessionKey } from "./session-keys.js";
import type { SessionScope } from "./session-types.js";
import { formatTimestamp, PINS_TABLE, TRASH_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import { keyIn, recordSelected } from "./activity-log.js";

/** The most sessions one owner may pin in one flow: 50. */
export const MAX_PINS = 50;

type Db = Kysely<WorkflowStateDatabase>;

const runQuery = sideTableQuery(PINS_TABLE, "pins");

/**
 * The pins, `workflow_state_pins`: one row per owner (`''` without an owner) and pinned session, with its place in
 * pin order. Every read is one owner's pins of one flow through `(flow_id, owner, pin_order)`, at most
 * {@link MAX_PINS} rows, so it costs the same however many sessions the flow has.
 */
export class PinRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
  ) {}

  /** See `WorkflowStore.pinSession()`. */
  async pinSession(flowId: string, sessionId: string, scope: SessionScope = {}, pinnedAt: Date = new Date()): Promise<boolean> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const pinOwner = owner ?? "";
    return runQuery(() =>
      this.db.transaction().execute(async (trx) => {
        // One owner's pins of one flow are counted and added to one transaction at a time, so the limit holds.
        await this.dialect.lockFor(trx, `pins:${flowId}:${pinOwner}`);
        let exists = trx.selectFrom(WORKFLOW_STATE_TABLE).select("flow_session_key").where("flow_session_key", "=", key);
        if (owner !== undefined) exists = exists.where("owner", "=", owner);
        if (!(await exists.executeTakeFirst())) throw new SessionNotFoundError(flowId, sessionId);
        const pins = await this.pinRows(trx, flowId, pinOwner);
        if (pins.some((pin) => pin.flow_session_key === key)) return false;
        // Pins whose session another writer (the Python app) removed for good are forgotten before counting.
        const gone = await this.goneKeys(trx, pins.map((pin) => pin.flow_session_key));
        if (gone.length > 0) await trx.deleteFrom(PINS_TABLE).where("owner", "=", pinOwner).where("flow_session_key", "in", gone).execute();
        if (pins.length - gone.length >= MAX_PINS) throw new PinLimitError(flowId, MAX_PINS);
        const last = pins.reduce((max, pin) => Math.max(max, Number(pin.pin_order)), 0);
        await trx
          .insertInto(PINS_TABLE)
          .values({ flow_session_key: key, flow_id: flowId, owner: pinOwner, pinned_at: formatTimestamp(pinnedAt), pin_order: last + 1 })
          .onConflict((conflict) => conflict.columns(["flow_session_key", "owner"]).doNothing())
          .execute();
        await recordSelected(trx, flowId, scope, "pin", WORKFLOW_STATE_TABLE, keyIn([key]));
        return true;
      }),
    );
  }

  /** See `WorkflowStore.unpinSession()`. */
  async unpinSession(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const unpin = (db: Db) => db.deleteFrom(PINS_TABLE).where("flow_session_key", "=", key).where("owner", "=", owner ?? "").executeTakeFirst();
    if (!scope.activity) return (await runQuery(() => unpin(this.db))).numDeletedRows > 0n;
    return runQuery(() =>
      this.db.transaction().execute(async (trx) => {
        if ((await unpin(trx)).numDeletedRows === 0n) return false;
        // Recorded with the session's label, also while it is in the trash.
        const recorded = await recordSelected(trx, flowId, scope, "unpin", WORKFLOW_STATE_TABLE, keyIn([key]));
        if (recorded === 0) await recordSelected(trx, flowId, scope, "unpin", TRASH_TABLE, keyIn([key]));
        return true;
      }),
    );
  }

  /**
   * The ids of the scope owner's pinned sessions of the flow, in pin order (at most {@link MAX_PINS} and a few pins
   * whose session is gone); `WorkflowStore.listPins()` reads their sessions.
   */
  async pinnedIds(flowId: string, scope: SessionScope = {}): Promise<string[]> {
    checkFlowId(flowId);
    const pins = await runQuery(() => this.pinRows(this.db, flowId, checkedOwner(scope.owner) ?? ""), () => []);
    return pins.map((pin) => pin.flow_session_key.slice(flowId.length + 1));
  }

  // One owner's pins of one flow, in pin order: one range of the pins' index.
  private pinRows(db: Db, flowId: string, owner: string) {
    return db
      .selectFrom(PINS_TABLE)
      .select(["flow_session_key", "pin_order"])
      .where("flow_id", "=", flowId)
      .where("owner", "=", owner)
      .orderBy("pin_order")
      .limit(MAX_PINS + 10)
      .execute();
  }

  // Those of `keys` whose session is in neither workflow_state nor the trash.
  private async goneKeys(db: Db, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const live = await db.selectFrom(WORKFLOW_STATE_TABLE).select("flow_session_key").where("flow_session_key", "in", keys).execute();
    const trashed = await db.selectFrom(TRASH_TABLE).select("flow_session_key").where("flow_session_key", "in", keys).execute();
    const kept = new Set([...live, ...trashed].map((row) => row.flow_session_key));
    return keys.filter((key) => !kept.has(key));
  }
}
