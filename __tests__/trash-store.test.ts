import { sql } from "kysely";
import { RestoreConflictError, SessionNotFoundError } from "../lib/errors.js";
import { StoreUnavailableError } from "../lib/errors.js";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { TRASH_CHUNK, type WorkflowStore } from "../lib/store/workflow-store.js";
import { backends, copyFixture, FLOW } from "./helpers.js";

const HOSTILE = `<img src=x onerror=alert(1)>"'&`;

/** Every column of the key's row in `table`, as the bytes stored (timestamps and all). */
async function rawRow(store: WorkflowStore, table: "workflow_state" | "workflow_state_trash", sessionId: string) {
  const bytes = (column: string) => sql`${store.dialect.bytesOf(sql.ref(column))} AS ${sql.ref(column)}`;
  const { rows } = await sql<Record<string, unknown>>`SELECT ${sql.join(
    ["flow_session_key", "current_step", "state_json", "created_at", "updated_at", "label", "owner"].map(bytes),
  )} FROM ${sql.table(table)} WHERE flow_session_key = ${`${FLOW}:${sessionId}`}`.execute(store.db);
  return rows[0] && Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, v === null ? null : Buffer.from(v as Uint8Array).toString("hex")]));
}

describe.each(backends)("the trash on $name", (backend) => {
  let store: WorkflowStore;
  let ids: string[];

  beforeEach(async () => {
    store = await backend.openStore("workflow_state.db");
    ids = (await store.listSessions(FLOW, { orderBy: "created_at", descending: false })).map((s) => s.sessionId);
  });

  describe("trashSessions()", () => {
    it("moves the rows out of workflow_state into workflow_state_trash, with deleted_at as YYYY-MM-DD HH:MM:SS", async () => {
      const [a, b] = ids;
      const before = await rawRow(store, "workflow_state", a!);
      expect(await store.trashSessions(FLOW, [a!, b!, a!])).toBe(2);
      expect(await rawRow(store, "workflow_state", a!)).toBeUndefined();
      expect(await store.sessionExists(FLOW, a!)).toBe(false);
      expect(await rawRow(store, "workflow_state_trash", a!)).toEqual(before);
      const { rows } = await sql<{ deleted_at: string }>`SELECT deleted_at FROM workflow_state_trash WHERE flow_session_key = ${`${FLOW}:${a}`}`.execute(store.db);
      expect(rows[0]!.deleted_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    });

    it("moves nothing and throws SessionNotFoundError when one id is missing or another owner's", async () => {
      const mine = await store.createSession(FLOW, { owner: "alice" });
      const theirs = await store.createSession(FLOW, { owner: "bob" });
      await expect(store.trashSessions(FLOW, [mine, theirs], { owner: "alice" })).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.trashSessions(FLOW, [mine, "missing"], { owner: "alice" })).rejects.toBeInstanceOf(SessionNotFoundError);
      expect(await store.sessionExists(FLOW, mine)).toBe(true);
      expect(await store.sessionExists(FLOW, theirs)).toBe(true);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 10 })).total).toBe(0);
    });
  });

  describe("restoreSessions()", () => {
    it("moves the rows back byte for byte", async () => {
      const before = await Promise.all(ids.map((id) => rawRow(store, "workflow_state", id)));
      await store.trashSessions(FLOW, ids);
      expect(await store.countSessions(FLOW)).toBe(0);
      expect(await store.restoreSessions(FLOW, ids)).toBe(ids.length);
      expect(await Promise.all(ids.map((id) => rawRow(store, "workflow_state", id)))).toEqual(before);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 10 })).total).toBe(0);
      expect(await store.countSessions(FLOW)).toBe(ids.length);
    });

    it("throws RestoreConflictError and changes nothing when the key was taken again", async () => {
      const [a, b] = ids;
      await store.trashSessions(FLOW, [a!, b!]);
      await store.updateState(FLOW, a!, { recreated: true });
      const recreated = await rawRow(store, "workflow_state", a!);
      const error = await store.restoreSessions(FLOW, [a!, b!]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestoreConflictError);
      expect((error as RestoreConflictError).sessionIds).toEqual([a]);
      expect(await rawRow(store, "workflow_state", a!)).toEqual(recreated);
      expect(await store.sessionExists(FLOW, b!)).toBe(false);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 10 })).total).toBe(2);
      await expect(store.restoreMatching(FLOW, {})).rejects.toBeInstanceOf(RestoreConflictError);
      expect(await store.sessionExists(FLOW, b!)).toBe(false);
    });

    it("answers another owner's trashed id as missing", async () => {
      const theirs = await store.createSession(FLOW, { owner: "bob" });
      await store.trashSessions(FLOW, [theirs], { owner: "bob" });
      await expect(store.restoreSessions(FLOW, [theirs], { owner: "alice" })).rejects.toBeInstanceOf(SessionNotFoundError);
      expect(await store.getTrashed(FLOW, theirs, { owner: "alice" })).toBeUndefined();
      expect(await store.getTrashed(FLOW, theirs, { owner: "bob" })).toMatchObject({ sessionId: theirs });
      expect((await store.listTrash(FLOW, { offset: 0, limit: 10 }, { owner: "alice" })).total).toBe(0);
    });
  });

  describe("listTrash()", () => {
    it("gives a window and the total, newest deletion first, searchable by id or label start and sortable", async () => {
      const labelled = await store.createSession(FLOW, { label: HOSTILE });
      const lecture = await store.createSession(FLOW, { label: "Lecture 01" });
      await store.trashSessions(FLOW, [labelled], {}, { deletedAt: new Date("2026-01-01T00:00:00Z") });
      await store.trashSessions(FLOW, [lecture], {}, { deletedAt: new Date("2026-01-02T00:00:00Z") });
      const window = await store.listTrash(FLOW, { offset: 0, limit: 1 });
      expect(window.total).toBe(2);
      expect(window.sessions.map((s) => s.sessionId)).toEqual([lecture]);
      expect(window.sessions[0]!.deletedAt).toEqual(new Date("2026-01-02T00:00:00Z"));
      expect((await store.listTrash(FLOW, { offset: 5, limit: 1 })).sessions.map((s) => s.sessionId)).toEqual([labelled]);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 5, search: "lec" })).sessions.map((s) => s.sessionId)).toEqual([lecture]);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 5, search: "%" })).total).toBe(0);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 5, search: lecture.slice(0, 8) })).total).toBe(1);
      const byLabel = await store.listTrash(FLOW, { offset: 0, limit: 5, orderBy: "label" });
      expect(byLabel.sessions.map((s) => s.label)).toEqual([HOSTILE, "Lecture 01"]);
    });
  });

  describe("purgeTrash()", () => {
    it("purges exactly the ids, only what is older than olderThan, or everything", async () => {
      const [a, b, c] = ids;
      await store.trashSessions(FLOW, [a!], {}, { deletedAt: new Date("2026-01-01T00:00:00Z") });
      await store.trashSessions(FLOW, [b!], {}, { deletedAt: new Date("2026-03-01T00:00:00Z") });
      await store.trashSessions(FLOW, [c!]);
      expect(await store.purgeTrash(FLOW, { olderThan: new Date("2026-02-01T00:00:00Z") })).toBe(1);
      expect(await store.getTrashed(FLOW, a!)).toBeUndefined();
      expect(await store.getTrashed(FLOW, b!)).toBeDefined();
      await expect(store.purgeTrash(FLOW, { ids: [b!, a!] })).rejects.toBeInstanceOf(SessionNotFoundError);
      expect(await store.getTrashed(FLOW, b!)).toBeDefined();
      expect(await store.purgeTrash(FLOW, { ids: [b!] })).toBe(1);
      expect(await store.purgeTrash(FLOW)).toBe(1);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 5 })).total).toBe(0);
    });

    it("purges in bounded batches with limit", async () => {
      await store.trashSessions(FLOW, ids);
      expect(await store.purgeTrash(FLOW, { limit: 2 })).toBe(Math.min(2, ids.length));
    });
  });

  describe("trashMatching() and restoreMatching()", () => {
    it("move every match in chunks, and one delete's batch comes back whole", async () => {
      const many = TRASH_CHUNK + 20;
      const values = Array.from({ length: many }, (_, i) => sql`(${`${FLOW}:bulk-${String(i).padStart(5, "0")}`}, '{}', ${`Bulk ${i}`})`);
      await sql`INSERT INTO workflow_state (flow_session_key, state_json, label) VALUES ${sql.join(values)}`.execute(store.db);
      const before = await store.countSessions(FLOW);
      expect(await store.trashMatching(FLOW, { search: "bulk" }, {}, { batch: "b1" })).toBe(many);
      expect(await store.countSessions(FLOW)).toBe(before - many);
      expect(await store.countSessions(FLOW, { search: "bulk" })).toBe(0);
      await store.trashSessions(FLOW, [ids[0]!], {}, { batch: "b2" });
      expect(await store.restoreMatching(FLOW, { batch: "b1" })).toBe(many);
      expect(await store.countSessions(FLOW)).toBe(before - 1);
      expect((await store.listTrash(FLOW, { offset: 0, limit: 5 })).total).toBe(1);
    });
  });

  describe("trashIdle()", () => {
    it("moves only sessions not updated since the cutoff, at most limit", async () => {
      const fresh = await store.createSession(FLOW);
      const moved = await store.trashIdle(FLOW, new Date(Date.now() - 86400_000), 1000);
      expect(moved).toBe(ids.length);
      expect(await store.sessionExists(FLOW, fresh)).toBe(true);
    });
  });
});

describe("the trash of a file opened read-only before the trash existed", () => {
  it("answers StoreUnavailableError (503), naming the fix, instead of failing on the missing table", async () => {
    const store = await createWorkflowStore({ filename: copyFixture("workflow_state.db"), readonly: true });
    const error = await store.listTrash(FLOW, { offset: 0, limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("Open it writable once");
    await store.close();
  });
});
