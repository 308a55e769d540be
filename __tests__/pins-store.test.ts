import { sql } from "kysely";
import { PinLimitError, SessionNotFoundError } from "../lib/errors.js";
import { MAX_PINS, type WorkflowStore } from "../lib/store/workflow-store.js";
import { backends, FLOW } from "./helpers.js";

const pinRows = async (store: WorkflowStore) =>
  (await sql<{ flow_session_key: string; owner: string }>`SELECT flow_session_key, owner FROM workflow_state_pins ORDER BY flow_session_key, owner`.execute(store.db)).rows;

describe.each(backends)("pins on $name", (backend) => {
  let store: WorkflowStore;

  beforeEach(async () => {
    store = await backend.openStore();
  });

  describe("pinSession() and listPins()", () => {
    it("lists the owner's pinned sessions in the order they were pinned, not by key or time", async () => {
      const [a, b, c] = [await store.createSession(FLOW, { label: "A" }), await store.createSession(FLOW, { label: "B" }), await store.createSession(FLOW, { label: "C" })];
      expect(await store.pinSession(FLOW, c)).toBe(true);
      expect(await store.pinSession(FLOW, a)).toBe(true);
      expect(await store.pinSession(FLOW, b)).toBe(true);
      expect((await store.listPins(FLOW)).map((pin) => pin.label)).toEqual(["C", "A", "B"]);
    });

    it("keeps a pin's place when it is pinned again, and answers false", async () => {
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.pinSession(FLOW, a);
      await store.pinSession(FLOW, b);
      expect(await store.pinSession(FLOW, a)).toBe(false);
      expect((await store.listPins(FLOW)).map((pin) => pin.sessionId)).toEqual([a, b]);
    });

    it("puts a session unpinned and pinned again last", async () => {
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.pinSession(FLOW, a);
      await store.pinSession(FLOW, b);
      expect(await store.unpinSession(FLOW, a)).toBe(true);
      expect(await store.unpinSession(FLOW, a)).toBe(false);
      await store.pinSession(FLOW, a);
      expect((await store.listPins(FLOW)).map((pin) => pin.sessionId)).toEqual([b, a]);
    });

    it("scopes pins by owner: another owner's session cannot be pinned, and each owner sees only their own pins", async () => {
      const mine = await store.createSession(FLOW, { owner: "alice" });
      const theirs = await store.createSession(FLOW, { owner: "bob" });
      await expect(store.pinSession(FLOW, theirs, { owner: "alice" })).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.pinSession(FLOW, "missing", { owner: "alice" })).rejects.toBeInstanceOf(SessionNotFoundError);
      await store.pinSession(FLOW, mine, { owner: "alice" });
      await store.pinSession(FLOW, theirs, { owner: "bob" });
      expect((await store.listPins(FLOW, { owner: "alice" })).map((pin) => pin.sessionId)).toEqual([mine]);
      expect((await store.listPins(FLOW, { owner: "bob" })).map((pin) => pin.sessionId)).toEqual([theirs]);
      expect(await store.unpinSession(FLOW, theirs, { owner: "alice" })).toBe(false);
      expect((await store.listPins(FLOW, { owner: "bob" })).map((pin) => pin.sessionId)).toEqual([theirs]);
    });

    it("keeps pins of one flow out of another's list", async () => {
      const here = await store.createSession(FLOW);
      const there = await store.createSession("other_flow");
      await store.pinSession(FLOW, here);
      await store.pinSession("other_flow", there);
      expect((await store.listPins(FLOW)).map((pin) => pin.sessionId)).toEqual([here]);
      expect((await store.listPins("other_flow")).map((pin) => pin.sessionId)).toEqual([there]);
    });
  });

  describe(`the limit of ${MAX_PINS} pins`, () => {
    it(`refuses pin number ${MAX_PINS + 1} of one owner and flow with PinLimitError, pinning nothing`, async () => {
      const ids: string[] = [];
      for (let i = 0; i <= MAX_PINS; i++) ids.push(await store.createSession(FLOW, { owner: "alice" }));
      for (const id of ids.slice(0, MAX_PINS)) await store.pinSession(FLOW, id, { owner: "alice" });
      await expect(store.pinSession(FLOW, ids[MAX_PINS]!, { owner: "alice" })).rejects.toBeInstanceOf(PinLimitError);
      expect(await store.listPins(FLOW, { owner: "alice" })).toHaveLength(MAX_PINS);
      // Pinning one already pinned is not one more.
      expect(await store.pinSession(FLOW, ids[0]!, { owner: "alice" })).toBe(false);
      // Another owner has a limit of their own.
      const bobs = await store.createSession(FLOW, { owner: "bob" });
      expect(await store.pinSession(FLOW, bobs, { owner: "bob" })).toBe(true);
    });

    (backend.name === "postgres" ? it : it.skip)("counts the pins only after another instance's pin of the same owner and flow has committed", async () => {
      const database = await backend.database();
      const [here, there] = [await database.open(), await database.open()];
      const ids: string[] = [];
      for (let i = 0; i <= MAX_PINS; i++) ids.push(await here.createSession(FLOW));
      for (const id of ids.slice(0, MAX_PINS - 1)) await here.pinSession(FLOW, id);
      let waiting: Promise<boolean> | undefined;
      await there.db.transaction().execute(async (trx) => {
        // Another instance pins the 50th, holding the owner's pin lock until it commits.
        await there.dialect.lockFor(trx, `pins:${FLOW}:`);
        await trx.insertInto("workflow_state_pins").values({ flow_session_key: `${FLOW}:${ids[MAX_PINS - 1]}`, flow_id: FLOW, owner: "", pinned_at: "2026-01-01 00:00:00", pin_order: MAX_PINS }).execute();
        waiting = here.pinSession(FLOW, ids[MAX_PINS]!);
        let settled = false;
        waiting.then(() => (settled = true), () => (settled = true));
        // Until this transaction commits, the pin waits on the lock (a condition, polled; no timing); a pin that
        // took no lock settles instead, and the expectation below fails.
        while (!settled) {
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND datname = current_database()`.execute(there.db);
          if (rows[0]!.n > 0) break;
        }
      });
      await expect(waiting).rejects.toBeInstanceOf(PinLimitError);
      expect(await here.listPins(FLOW)).toHaveLength(MAX_PINS);
    });

    it("holds when the last free pin is asked for by several requests at once: one wins, the others get PinLimitError", async () => {
      const ids: string[] = [];
      for (let i = 0; i < MAX_PINS + 4; i++) ids.push(await store.createSession(FLOW));
      for (const id of ids.slice(0, MAX_PINS - 1)) await store.pinSession(FLOW, id);
      const results = await Promise.allSettled(ids.slice(MAX_PINS - 1).map((id) => store.pinSession(FLOW, id)));
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      for (const result of results.filter((result) => result.status === "rejected")) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PinLimitError);
      const pins = await store.listPins(FLOW);
      expect(pins).toHaveLength(MAX_PINS);
    });

    it("does not count pins whose session another writer removed for good", async () => {
      const ids: string[] = [];
      for (let i = 0; i <= MAX_PINS; i++) ids.push(await store.createSession(FLOW));
      for (const id of ids.slice(0, MAX_PINS)) await store.pinSession(FLOW, id);
      // As the Python library deletes: straight from workflow_state.
      await sql`DELETE FROM workflow_state WHERE flow_session_key = ${`${FLOW}:${ids[0]}`}`.execute(store.db);
      expect(await store.listPins(FLOW)).toHaveLength(MAX_PINS - 1);
      expect(await store.pinSession(FLOW, ids[MAX_PINS]!)).toBe(true);
    });
  });

  describe("pins and the session's removal", () => {
    it("keeps the pin through trash and restore, in its place", async () => {
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.pinSession(FLOW, a);
      await store.pinSession(FLOW, b);
      await store.trashSessions(FLOW, [a]);
      expect((await store.listPins(FLOW)).map((pin) => pin.sessionId)).toEqual([b]);
      await store.restoreSessions(FLOW, [a]);
      expect((await store.listPins(FLOW)).map((pin) => pin.sessionId)).toEqual([a, b]);
    });

    it("removes the pin when the trashed session is purged", async () => {
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.pinSession(FLOW, a);
      await store.pinSession(FLOW, b);
      await store.trashSessions(FLOW, [a, b]);
      await store.purgeTrash(FLOW, { ids: [a] });
      await store.purgeTrash(FLOW, { olderThan: new Date(Date.now() + 60_000), limit: 10 });
      expect(await pinRows(store)).toEqual([]);
    });

    it("removes the pin when the trash is emptied in chunks", async () => {
      const a = await store.createSession(FLOW);
      await store.pinSession(FLOW, a);
      await store.trashSessions(FLOW, [a]);
      await store.purgeTrash(FLOW);
      expect(await pinRows(store)).toEqual([]);
    });

    it.each([
      ["deleteSession()", (s: WorkflowStore, id: string) => s.deleteSession(FLOW, id)],
      ["deleteSessions()", (s: WorkflowStore, id: string) => s.deleteSessions(FLOW, [id])],
      ["deleteMatching()", (s: WorkflowStore, id: string) => s.deleteMatching(FLOW, { search: id })],
    ])("removes the pin when %s deletes the session for good", async (_, remove) => {
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.pinSession(FLOW, a);
      await store.pinSession(FLOW, b);
      await remove(store, a);
      expect((await pinRows(store)).map((row) => row.flow_session_key)).toEqual([`${FLOW}:${b}`]);
    });

    it("leaves workflow_state's columns exactly as cjm-workflow-state lays them out", async () => {
      const a = await store.createSession(FLOW);
      await store.pinSession(FLOW, a);
      const columns = backend.name === "sqlite"
        ? (await sql<{ name: string }>`SELECT name FROM pragma_table_info('workflow_state')`.execute(store.db)).rows.map((row) => row.name)
        : (await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'workflow_state' AND table_schema = current_schema() ORDER BY ordinal_position`.execute(store.db)).rows.map((row) => row.name);
      expect(columns).toEqual(["flow_session_key", "current_step", "state_json", "created_at", "updated_at", "label", "owner"]);
    });
  });
});
