import { spawn } from "node:child_process";
import { once } from "node:events";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, type CompiledQuery } from "kysely";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { BulkMoves } from "../lib/store/bulk-moves.js";
import type { WorkflowStateDatabase } from "../lib/store/workflow-state-table.js";
import { TRASH_DELETED_INDEX } from "../lib/store/workflow-state-table.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { backends, copyFixture, FLOW } from "./helpers.js";

// Moves of many sessions (delete, Undo and purge of all matching) run chunk by chunk, while other visitors list the
// flow. These tests pin what keeps those lists cheap meanwhile, without changing what they show.

describe.each(backends)("a move of many sessions on $name", (backend) => {
  let store: WorkflowStore;

  beforeEach(async () => {
    store = await backend.openStore("workflow_state.db");
    for (let i = 0; i < 120; i++) await store.createSession(FLOW, { label: `Bulk ${i}`, owner: i % 2 === 0 ? "alice" : "bob" });
  });

  afterEach(() => store.close());

  it("leaves the flow's count exact after a delete of all matching, its Undo and a purge", async () => {
    const all = await store.countSessions(FLOW);
    const alices = await store.countSessions(FLOW, { owner: "alice" });
    expect(await store.trashMatching(FLOW, { search: "bulk" }, { owner: "alice" }, { batch: "b1" })).toBe(60);
    expect(await store.countSessions(FLOW)).toBe(all - 60);
    expect(await store.countSessions(FLOW, { owner: "alice" })).toBe(alices - 60);
    expect(await store.countSessions(FLOW, { owner: "bob" })).toBe(60);
    expect(await store.restoreMatching(FLOW, { batch: "b1" }, { owner: "alice" })).toBe(60);
    expect(await store.countSessions(FLOW)).toBe(all);
    expect(await store.countSessions(FLOW, { owner: "alice" })).toBe(alices);
    await store.trashMatching(FLOW, { search: "" }, {}, { batch: "b2" });
    expect(await store.countSessions(FLOW)).toBe(0);
    expect(await store.purgeTrash(FLOW, { batch: "b2" })).toBe(all);
    expect(await store.countSessions(FLOW)).toBe(0);
    expect((await store.listWindow(FLOW, { offset: 0, limit: 10 })).total).toBe(0);
  });
});

describe("a move of many sessions on SQLite", () => {
  function openRecorded(): { store: Promise<WorkflowStore>; queries: CompiledQuery[]; file: string; sqlite: Database.Database } {
    const file = copyFixture("workflow_state.db");
    const sqlite = new Database(file);
    const queries: CompiledQuery[] = [];
    const db = new Kysely<WorkflowStateDatabase>({ dialect: new SqliteDialect({ database: sqlite }), log: (event) => void queries.push(event.query) });
    return { store: createWorkflowStore({ db }), queries, file, sqlite };
  }

  it("does not recount the flow after each chunk: the count it remembered follows the moved rows", async () => {
    const { store: opening, queries, sqlite } = openRecorded();
    const store = await opening;
    for (let i = 0; i < 300; i++) await store.createSession(FLOW, { label: `Bulk ${i}` });
    const all = await store.countSessions(FLOW);
    queries.length = 0;
    await store.trashMatching(FLOW, { search: "bulk" });
    expect(await store.countSessions(FLOW)).toBe(all - 300);
    expect(queries.filter((query) => /count\(\*\)/i.test(query.sql))).toEqual([]);
    await store.close();
    sqlite.close();
  });

  it("finds what the lazy purge removes through the deleted_at index, never by walking the flow's whole trash", async () => {
    const { store: opening, queries, sqlite } = openRecorded();
    const store = await opening;
    await store.trashMatching(FLOW, { search: "" });
    queries.length = 0;
    await store.purgeTrash(FLOW, { olderThan: new Date("2000-01-01T00:00:00Z"), limit: 500 });
    const purge = queries.find((query) => /^DELETE FROM "workflow_state_trash"/i.test(query.sql.trim()) && /deleted_at </.test(query.sql));
    expect(purge).toBeDefined();
    const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${purge!.sql}`).all(...(purge!.parameters as unknown[])) as { detail: string }[];
    expect(plan.map((step) => step.detail).join("\n")).toContain(TRASH_DELETED_INDEX);
    await store.close();
    sqlite.close();
  });

  it("waits for another process's write lock, as any write does, instead of failing a chunk with SQLITE_BUSY", async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    const total = await store.countSessions(FLOW); // remembered, so each chunk carries it across
    // Python takes the write lock and keeps it a moment, well within the store's busy timeout.
    const holder = spawn("python3", ["-c", 'import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute("BEGIN IMMEDIATE")\nprint("locked", flush=True)\ntime.sleep(0.3)\nc.execute("COMMIT")', file], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = once(holder, "exit");
    await once(holder.stdout!, "data");
    expect(await store.trashMatching(FLOW, { search: "" })).toBe(total);
    expect(await store.countSessions(FLOW)).toBe(0);
    await exited;
    await store.close();
  });

  it("hands the WAL checkpoints back to the store's connection, as the host had set them, once the move ends", async () => {
    const { store: opening, sqlite } = openRecorded();
    const store = await opening;
    sqlite.pragma("wal_autocheckpoint = 500");
    for (let i = 0; i < 200; i++) await store.createSession(FLOW, { label: `Bulk ${i}`, state: { text: "x".repeat(4000) } });
    await store.trashMatching(FLOW, { search: "bulk" });
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(500);
    await store.restoreMatching(FLOW, { search: "bulk" });
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(500);
    expect(await store.countSessions(FLOW, { search: "bulk" })).toBe(200);
    await store.close();
    sqlite.close();
  });

  it("works as before on a database in memory, which has no WAL to hand over", async () => {
    const store = await createWorkflowStore({ filename: ":memory:" });
    for (let i = 0; i < 50; i++) await store.createSession(FLOW, { label: `Bulk ${i}` });
    expect(await store.trashMatching(FLOW, { search: "" })).toBe(50);
    expect(await store.restoreMatching(FLOW, { search: "" })).toBe(50);
    await store.close();
  });
});

describe("BulkMoves", () => {
  it("is active for a flow while any move of it runs, and for that flow only", async () => {
    const moves = new BulkMoves();
    let release!: () => void;
    const first = moves.run("a", () => new Promise<void>((resolve) => (release = resolve)));
    const second = moves.run("a", async () => {});
    await second;
    expect(moves.active("a")).toBe(true);
    expect(moves.active("b")).toBe(false);
    release();
    await first;
    expect(moves.active("a")).toBe(false);
  });
});
