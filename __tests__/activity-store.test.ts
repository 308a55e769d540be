import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type LogEvent, type Selectable } from "kysely";
import pg from "pg";
import { RestoreConflictError, SessionExistsError, SessionNotFoundError } from "../lib/errors.js";
import type { SessionScope } from "../lib/session-types.js";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import type { WorkflowStateEventsTable } from "../lib/store/workflow-state-table.js";
import { backends, FLOW, type Backend } from "./helpers.js";

const alice: SessionScope = { owner: "alice", activity: { requestId: "req-alice" } };
const bob: SessionScope = { owner: "bob", activity: { requestId: "req-bob" } };
const anyone: SessionScope = { activity: { requestId: "req-1" } };

/** An event row as stored, but for its id. */
type EventRow = Omit<Selectable<WorkflowStateEventsTable>, "id">;

const eventRows = async (store: WorkflowStore) =>
  (await sql<EventRow>`SELECT flow_id, session_id, owner, action, label, before_value, after_value, at, request_id FROM workflow_state_events ORDER BY id`.execute(store.db)).rows;

const actions = async (store: WorkflowStore) => (await eventRows(store)).map((row) => `${row.action} ${row.session_id}`);

describe.each(backends)("the activity log's store on $name", (backend) => {
  let store: WorkflowStore;

  beforeEach(async () => {
    store = await backend.openStore();
  });

  describe("recording: one event per action, with its fields", () => {
    it("records a create with the flow, session, owner, label, time (UTC, to the second) and request id", async () => {
      const id = await store.createSession(FLOW, { owner: "alice", label: "Lecture", activity: alice.activity });
      const [event] = await eventRows(store);
      expect(event).toEqual({ flow_id: FLOW, session_id: id, owner: "alice", action: "create", label: "Lecture", before_value: null, after_value: null, at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), request_id: "req-alice" });
      expect(Math.abs(Date.parse(`${event!.at.replace(" ", "T")}Z`) - Date.now())).toBeLessThan(60_000);
    });

    it("records a duplicate as such, with the session copied as its before value", async () => {
      const source = await store.createSession(FLOW, { label: "A" });
      const copy = await store.createSession(FLOW, { label: "Copy of A", activity: anyone.activity, duplicateOf: source });
      expect(await eventRows(store)).toEqual([expect.objectContaining({ action: "duplicate", session_id: copy, owner: "", label: "Copy of A", before_value: source })]);
    });

    it("records a rename with the label before and after", async () => {
      const id = await store.createSession(FLOW, { owner: "alice", label: "Old" });
      expect(await store.setSessionLabel(FLOW, id, "New", alice)).toBe(true);
      expect(await store.setSessionLabel(FLOW, id, null, alice)).toBe(true);
      expect((await eventRows(store)).map(({ action, label, before_value, after_value }) => ({ action, label, before_value, after_value }))).toEqual([
        { action: "rename", label: "Old", before_value: "Old", after_value: "New" },
        { action: "rename", label: "New", before_value: "New", after_value: null },
      ]);
    });

    it("records a change of a session's tags with the set before and after, and nothing for the same set again", async () => {
      const id = await store.createSession(FLOW, { owner: "alice", label: "Lecture" });
      await store.setTags(FLOW, id, ["Draft", "maths"], alice);
      await store.setTags(FLOW, id, ["maths", "draft"], alice);
      await store.setTags(FLOW, id, [], alice);
      const rows = (await eventRows(store)).filter((row) => row.action === "tag");
      expect(rows.map((row) => [row.session_id, row.owner, row.label, row.before_value, row.after_value, row.request_id])).toEqual([
        [id, "alice", "Lecture", "", "draft, maths", "req-alice"],
        [id, "alice", "Lecture", "draft, maths", "", "req-alice"],
      ]);
    });

    it("records a tag added to or removed from many sessions as one event each, with that session's set before and after", async () => {
      const [a, b] = [await store.createSession(FLOW, { owner: "alice", label: "A" }), await store.createSession(FLOW, { owner: "alice", label: "B" })];
      await store.setTags(FLOW, a, ["maths"], alice);
      await store.addTag(FLOW, { ids: [a, b] }, "draft", alice);
      await store.addTag(FLOW, { ids: [a, b] }, "draft", alice);
      await store.removeTag(FLOW, { search: "" }, "maths", alice);
      const rows = (await eventRows(store)).filter((row) => row.action === "tag").slice(1);
      const seen = rows.map((row) => [row.session_id, row.label, row.before_value, row.after_value, row.request_id]);
      expect(seen.slice(0, 2).sort()).toEqual([[a, "A", "maths", "draft, maths", "req-alice"], [b, "B", "", "draft", "req-alice"]].sort());
      expect(seen.slice(2)).toEqual([[a, "A", "draft, maths", "draft", "req-alice"]]);
    });

    it("records delete, restore and purge through the trash, and a delete for good", async () => {
      const [a, b] = [await store.createSession(FLOW, { label: "A" }), await store.createSession(FLOW, { label: "B" })];
      await store.trashSessions(FLOW, [a], anyone);
      await store.restoreSessions(FLOW, [a], anyone);
      await store.trashSessions(FLOW, [a], anyone);
      await store.purgeTrash(FLOW, { ids: [a] }, anyone);
      await store.deleteSession(FLOW, b, anyone);
      expect(await actions(store)).toEqual([`delete ${a}`, `restore ${a}`, `delete ${a}`, `purge ${a}`, `delete ${b}`]);
      expect((await eventRows(store)).map((row) => row.label)).toEqual(["A", "A", "A", "A", "B"]);
    });

    it("records pin and unpin, an import of many, and a resume (recordActivity) for an action that changes no row", async () => {
      const id = await store.createSession(FLOW, { label: "A" });
      await store.pinSession(FLOW, id, anyone);
      await store.unpinSession(FLOW, id, anyone);
      expect(await store.unpinSession(FLOW, id, anyone)).toBe(false);
      const imported = await store.importSessions(FLOW, [{ sessionId: "x", label: "X", state: "{}" }, { sessionId: "y", state: "{}" }], {}, anyone);
      expect(await store.recordActivity(FLOW, id, "resume", anyone)).toBe(true);
      expect(await store.recordActivity(FLOW, "missing", "resume", anyone)).toBe(false);
      const recorded = await actions(store);
      // The events of one import's batch are written by one statement, in key order.
      expect([...recorded.slice(0, 2), ...recorded.slice(2, 4).sort(), recorded[4]]).toEqual([`pin ${id}`, `unpin ${id}`, ...imported.map((s) => `import ${s.sessionId}`).sort(), `resume ${id}`]);
    });

    it("records nothing for a call without scope.activity, as every call of a host that does not ask", async () => {
      const id = await store.createSession(FLOW, { label: "A" });
      await store.setSessionLabel(FLOW, id, "B");
      await store.pinSession(FLOW, id);
      await store.unpinSession(FLOW, id);
      await store.trashSessions(FLOW, [id]);
      await store.restoreSessions(FLOW, [id]);
      await store.recordActivity(FLOW, id, "resume", { owner: undefined });
      await store.deleteSessions(FLOW, [id]);
      expect(await eventRows(store)).toEqual([]);
    });
  });

  describe("in the change's transaction: a change that fails leaves no event", () => {
    it("an all-or-nothing delete with one missing id, a restore onto a taken key and an import of a taken id record nothing", async () => {
      const [a, b] = [await store.createSession(FLOW, { sessionId: "a" }), await store.createSession(FLOW, { sessionId: "b" })];
      await expect(store.trashSessions(FLOW, [a, "missing"], anyone)).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.deleteSessions(FLOW, [a, "missing"], anyone)).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.importSessions(FLOW, [{ sessionId: "new", state: "{}" }, { sessionId: b, state: "{}" }], { keepIds: true }, anyone)).rejects.toBeInstanceOf(SessionExistsError);
      await store.trashSessions(FLOW, [a], {});
      await store.createSession(FLOW, { sessionId: "a" });
      await expect(store.restoreSessions(FLOW, [a], anyone)).rejects.toBeInstanceOf(RestoreConflictError);
      expect(await eventRows(store)).toEqual([]);
    });

    it("a rename or delete guarded by a snapshot that no longer holds records nothing", async () => {
      const id = await store.createSession(FLOW, { label: "A" });
      const record = await store.getSessionRecord(FLOW, id);
      await store.setSessionLabel(FLOW, id, "Changed elsewhere");
      expect(await store.setSessionLabel(FLOW, id, "Mine", anyone, record!.snapshot)).toBe(false);
      expect(await store.deleteSession(FLOW, id, anyone, record!.snapshot)).toBe(false);
      expect(await eventRows(store)).toEqual([]);
    });

    it("another owner's session is neither changed nor recorded", async () => {
      const theirs = await store.createSession(FLOW, { owner: "bob" });
      expect(await store.setSessionLabel(FLOW, theirs, "Mine", alice)).toBe(false);
      expect(await store.deleteSession(FLOW, theirs, alice)).toBe(false);
      await expect(store.pinSession(FLOW, theirs, alice)).rejects.toBeInstanceOf(SessionNotFoundError);
      expect(await store.recordActivity(FLOW, theirs, "resume", alice)).toBe(false);
      expect(await eventRows(store)).toEqual([]);
    });

    it("a write of the event that fails rolls the change back", async () => {
      const id = await store.createSession(FLOW, { label: "A" });
      // A request id that is not valid Unicode cannot be stored: the rename fails whole.
      await expect(store.setSessionLabel(FLOW, id, "B", { activity: { requestId: "\ud800" } })).rejects.toThrow(/request id/);
      await sql`DROP TABLE workflow_state_events`.execute(store.db);
      await expect(store.trashSessions(FLOW, [id], anyone)).rejects.toThrow();
      await expect(store.setSessionLabel(FLOW, id, "C", anyone)).rejects.toThrow();
      expect((await store.getSessionSummary(FLOW, id))?.label).toBe("A");
      expect(await store.countSessions(FLOW)).toBe(1);
    });
  });

  describe("bulk moves", () => {
    const COUNT = 1_200;
    beforeEach(async () => {
      await store.importSessions(FLOW, Array.from({ length: COUNT }, (_, i) => ({ sessionId: `s-${String(i).padStart(5, "0")}`, label: `S ${i}`, state: "{}" })), { keepIds: true });
    });

    it("a delete, Undo and purge of all matching record one event per session", async () => {
      const batch = "batch-1";
      expect(await store.trashMatching(FLOW, {}, anyone, { batch })).toBe(COUNT);
      expect(await store.restoreMatching(FLOW, { batch }, anyone)).toBe(COUNT);
      await store.trashMatching(FLOW, { search: "s-0000" }, anyone);
      expect(await store.purgeTrash(FLOW, {}, anyone)).toBe(10);
      expect(await store.deleteMatching(FLOW, { search: "s-001" }, anyone)).toBe(100);
      const counts: Record<string, number> = {};
      for (const row of await eventRows(store)) counts[row.action] = (counts[row.action] ?? 0) + 1;
      expect(counts).toEqual({ delete: COUNT + 10 + 100, restore: COUNT, purge: 10 });
    });

    it("a delete of 1,200 by id records them too, and the lazy purge of the trash (no scope.activity) records nothing", async () => {
      const ids = Array.from({ length: COUNT }, (_, i) => `s-${String(i).padStart(5, "0")}`);
      expect(await store.trashSessions(FLOW, ids, anyone)).toBe(COUNT);
      expect(await store.purgeTrash(FLOW, { olderThan: new Date(Date.now() + 60_000), limit: 500 })).toBe(500);
      expect((await eventRows(store)).length).toBe(COUNT);
    });
  });

  describe("reading: listActivity()", () => {
    it("gives one owner's events of one flow, newest first, in windows that follow each other, and one session's alone", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push(await store.createSession(FLOW, { owner: "alice", label: `A${i}`, activity: alice.activity }));
      await store.createSession(FLOW, { owner: "bob", activity: bob.activity });
      await store.createSession("other_flow", { owner: "alice", activity: alice.activity });
      await store.setSessionLabel(FLOW, ids[2]!, "Renamed", alice);
      const seen: string[] = [];
      let window = await store.listActivity(FLOW, { limit: 3 }, alice);
      seen.push(...window.events.map((event) => `${event.action} ${event.sessionId}`));
      while (window.next) {
        window = await store.listActivity(FLOW, { limit: 3, after: window.next }, alice);
        seen.push(...window.events.map((event) => `${event.action} ${event.sessionId}`));
      }
      expect(seen).toEqual([`rename ${ids[2]}`, ...[...ids].reverse().map((id) => `create ${id}`)]);
      const history = await store.listActivity(FLOW, { limit: 50, sessionId: ids[2]! }, alice);
      expect(history.events.map((event) => [event.action, event.before, event.after, event.requestId])).toEqual([
        ["rename", "A2", "Renamed", "req-alice"],
        ["create", null, null, "req-alice"],
      ]);
      expect(history.events[0]!.at).toBeInstanceOf(Date);
      expect(history.next).toBeUndefined();
    });

    it("never shows an owner another owner's events, nor the events of sessions without an owner to an owner", async () => {
      const theirs = await store.createSession(FLOW, { owner: "bob", activity: bob.activity });
      await store.createSession(FLOW, { activity: anyone.activity });
      expect((await store.listActivity(FLOW, { limit: 50 }, alice)).events).toEqual([]);
      expect((await store.listActivity(FLOW, { limit: 50, sessionId: theirs }, alice)).events).toEqual([]);
      expect((await store.listActivity(FLOW, { limit: 50 }, bob)).events.map((event) => event.sessionId)).toEqual([theirs]);
    });
  });

  it("purgeActivity() deletes the flow's events older than the cutoff, at most `limit` at a time", async () => {
    for (let i = 0; i < 5; i++) await store.createSession(FLOW, { activity: anyone.activity });
    await store.createSession("other_flow", { activity: anyone.activity });
    await sql`UPDATE workflow_state_events SET at = '2020-01-01 00:00:00'`.execute(store.db);
    await store.createSession(FLOW, { activity: anyone.activity });
    expect(await store.purgeActivity(FLOW, new Date("2021-01-01T00:00:00Z"), 3)).toBe(3);
    expect(await store.purgeActivity(FLOW, new Date("2021-01-01T00:00:00Z"), 3)).toBe(2);
    expect((await eventRows(store)).map((row) => row.flow_id).sort()).toEqual(["other_flow", FLOW]);
  });
});

describe.each(backends)("bulk moves' statements with the activity log on $name", (backend: Backend) => {
  it("a chunk of a move of all matching writes its events in one statement, not one per row", async () => {
    const { location } = await backend.database();
    const statements: string[] = [];
    let recording = false;
    const log = (event: LogEvent) => void (recording && event.level === "query" && statements.push(event.query.sql));
    const db =
      backend.name === "sqlite"
        ? new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(location) }), log })
        : new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location, max: 4 }) }), log });
    const store = await createWorkflowStore({ db });
    try {
      await store.importSessions(FLOW, Array.from({ length: 300 }, (_, i) => ({ sessionId: `s-${i}`, state: "{}" })));
      recording = true;
      expect(await store.trashMatching(FLOW, {}, anyone)).toBe(300);
      const inserts = statements.filter((text) => /insert into "workflow_state_events"/i.test(text));
      const chunks = statements.filter((text) => /insert into "workflow_state_trash"/i.test(text));
      expect(inserts.length).toBe(chunks.length);
      expect(chunks.length).toBeLessThan(300 / 10);
      expect((await sql<{ n: number | string }>`SELECT count(*) AS n FROM workflow_state_events`.execute(db)).rows[0]!.n).toEqual(backend.name === "sqlite" ? 300 : "300");
    } finally {
      await store.close();
      await db.destroy();
    }
  });
});
