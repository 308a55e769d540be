import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, sql, type CompiledQuery } from "kysely";
import pg from "pg";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { ConfigurationError, CorruptStateError, SessionNotFoundError, StoreUnavailableError } from "../lib/errors.js";
import { translateDatabaseError } from "../lib/store/database-errors.js";
import type { WorkflowStateDatabase } from "../lib/store/workflow-state-table.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { freePort } from "./postgres-cluster.js";
import { FLOW, adminQuery, backends, copyFixture, createPostgresSchema, postgres, tempDir, type FixtureName } from "./helpers.js";

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe.each(backends)("createWorkflowStore() on $name", (backend) => {
  const openStore = (fixture?: FixtureName) => backend.openStore(fixture);

  describe("with the current fixture written by cjm-workflow-state", () => {
    it("lists exactly 24 sessions of structure_decomposition and 6 of transcription", async () => {
      const store = await openStore("workflow_state.db");
      expect(await store.countSessions(FLOW)).toBe(24);
      expect(await store.listSessions(FLOW)).toHaveLength(24);
      expect(await store.countSessions("transcription")).toBe(6);
      expect((await store.listSessions("transcription")).map((s) => s.label).sort()).toEqual(
        ["Transcript 0", "Transcript 1", "Transcript 2", "Transcript 3", "Transcript 4", "Transcript 5"],
      );
      await store.close();
    });

    it("reads summaries with parsed UTC times, stored labels (or null) and state sizes in bytes", async () => {
      const store = await openStore("workflow_state.db");
      const summary = await store.getSessionSummary(FLOW, "9094a0bf-9157-456c-aabd-e5c7cc690a73");
      expect(summary).toEqual({
        flowId: FLOW,
        sessionId: "9094a0bf-9157-456c-aabd-e5c7cc690a73",
        label: "Lecture batch 0",
        currentStep: "selection",
        createdAt: new Date("2026-11-23T05:16:10Z"),
        updatedAt: new Date("2026-11-24T05:12:10Z"),
        stateSizeBytes: 986,
      });
      const unlabeled = await store.getSessionSummary(FLOW, "1e51dc53-d7c0-47f0-bd9a-8e1a820e5bc0");
      expect(unlabeled?.label).toBeNull();
      await store.close();
    });

    it("orders by updated_at descending by default, newest first", async () => {
      const store = await openStore("workflow_state.db");
      const sessions = await store.listSessions(FLOW);
      const times = sessions.map((s) => s.updatedAt!.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(sessions[0]!.sessionId).toBe("9094a0bf-9157-456c-aabd-e5c7cc690a73");
      await store.close();
    });

    it("pages with limit and offset", async () => {
      const store = await openStore("workflow_state.db");
      const all = await store.listSessions(FLOW);
      const page = await store.listSessions(FLOW, { limit: 5, offset: 10 });
      expect(page.map((s) => s.sessionId)).toEqual(all.slice(10, 15).map((s) => s.sessionId));
      await store.close();
    });

    it.each([
      ["created_at", false],
      ["created_at", true],
      ["label", false],
      ["label", true],
    ] as const)("sorts by %s (descending: %s) with ties broken by session id", async (orderBy, descending) => {
      const store = await openStore("workflow_state.db");
      const sessions = await store.listSessions(FLOW, { orderBy, descending });
      const key = (s: (typeof sessions)[number]) => [orderBy === "label" ? s.label ?? "" : s.createdAt!.toISOString(), s.sessionId];
      const sorted = [...sessions].sort((a, b) => {
        const [ka, ia] = key(a);
        const [kb, ib] = key(b);
        const order = ka! < kb! ? -1 : ka! > kb! ? 1 : ia! < ib! ? -1 : 1;
        return descending ? -order : order;
      });
      expect(sessions.map((s) => s.sessionId)).toEqual(sorted.map((s) => s.sessionId));
      await store.close();
    });
  });

  describe("with a table from an older release (no label column)", () => {
    it("adds the label column and lists its 3 sessions", async () => {
      const database = await backend.database("workflow_state_legacy.db");
      const store = await database.open();
      expect(await store.countSessions(FLOW)).toBe(3);
      expect((await store.listSessions(FLOW)).every((s) => s.label === null)).toBe(true);
      expect(await store.setSessionLabel(FLOW, "legacy-1", "Renamed")).toBe(true);
      const row = await store.db.selectFrom("workflow_state").select("label").where("flow_session_key", "=", `${FLOW}:legacy-1`).executeTakeFirst();
      expect(row).toEqual({ label: "Renamed" });
    });

    it("opens the migrated table again without changes", async () => {
      const database = await backend.database("workflow_state_legacy.db");
      await (await database.open()).close();
      const again = await database.open();
      expect(await again.countSessions(FLOW)).toBe(3);
    });
  });

  describe("with a new database", () => {
    it("writes rows in the cjm-workflow-state format: flow:session key, SQLite timestamps, JSON state", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { label: "lecture_01" });
      await store.updateState(FLOW, id, { step_states: { selection: { selected_sources: [] } } });
      await store.setCurrentStep(FLOW, id, "selection");
      const row = await store.db.selectFrom("workflow_state").selectAll().executeTakeFirstOrThrow();
      expect(row.flow_session_key).toBe(`${FLOW}:${id}`);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.created_at).toMatch(TIMESTAMP);
      expect(row.updated_at).toMatch(TIMESTAMP);
      expect(row.current_step).toBe("selection");
      expect(row.label).toBe("lecture_01");
      expect(JSON.parse(row.state_json!)).toEqual({ step_states: { selection: { selected_sources: [] } } });
    });

    it("fills the column defaults in the same format when a row is inserted without them", async () => {
      const store = await openStore();
      await sql`INSERT INTO workflow_state (flow_session_key) VALUES (${`${FLOW}:raw`})`.execute(store.db);
      const summary = await store.getSessionSummary(FLOW, "raw");
      expect(summary).toMatchObject({ label: null, currentStep: null, stateSizeBytes: 2 });
      expect(Math.abs(summary!.createdAt!.getTime() - Date.now())).toBeLessThan(60_000);
    });
  });
});

describe("createWorkflowStore() on SQLite files", () => {
  describe("with a file from an older release (no label column)", () => {
    it("adds the label column to the file, as Python's store does", async () => {
      const file = copyFixture("workflow_state_legacy.db");
      const store = await createWorkflowStore({ filename: file });
      expect(await store.countSessions(FLOW)).toBe(3);
      expect((await store.listSessions(FLOW)).every((s) => s.label === null)).toBe(true);
      expect(await store.setSessionLabel(FLOW, "legacy-1", "Renamed")).toBe(true);
      await store.close();
      const raw = new Database(file, { readonly: true });
      const columns = raw.prepare("SELECT name FROM pragma_table_info('workflow_state')").all() as { name: string }[];
      expect(columns.map((c) => c.name)).toContain("label");
      expect(raw.prepare("SELECT label FROM workflow_state WHERE flow_session_key = ?").get(`${FLOW}:legacy-1`)).toEqual({ label: "Renamed" });
      raw.close();
    });
  });

  describe("with a new file", () => {
    it("creates the cjm-workflow-state schema, its index, and WAL mode", async () => {
      const file = join(tempDir(), "new.db");
      await (await createWorkflowStore({ filename: file })).close();
      const raw = new Database(file, { readonly: true });
      const columns = raw.prepare("SELECT name, type, dflt_value, pk FROM pragma_table_info('workflow_state')").all();
      expect(columns).toEqual([
        { name: "flow_session_key", type: "TEXT", dflt_value: null, pk: 1 },
        { name: "current_step", type: "TEXT", dflt_value: null, pk: 0 },
        { name: "state_json", type: "TEXT", dflt_value: "'{}'", pk: 0 },
        { name: "created_at", type: "TIMESTAMP", dflt_value: "CURRENT_TIMESTAMP", pk: 0 },
        { name: "updated_at", type: "TIMESTAMP", dflt_value: "CURRENT_TIMESTAMP", pk: 0 },
        { name: "label", type: "TEXT", dflt_value: null, pk: 0 },
        { name: "owner", type: "TEXT", dflt_value: null, pk: 0 },
      ]);
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'idx_workflow_state_updated'").get()).toBeDefined();
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'idx_workflow_state_owner'").get()).toBeDefined();
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      raw.close();
    });

    it("leaves files that Python's sqlite3 and json modules read back, as cjm-workflow-state does", async () => {
      const file = copyFixture("workflow_state.db");
      const store = await createWorkflowStore({ filename: file });
      const id = await store.createSession(FLOW, { label: "From TypeScript" });
      await store.updateStepState(FLOW, id, "review", { visited: true });
      await store.close();
      const script = [
        "import sqlite3, json, sys",
        "c = sqlite3.connect(sys.argv[1])",
        "rows = c.execute(\"SELECT flow_session_key, state_json, created_at, label FROM workflow_state WHERE flow_session_key LIKE 'structure_decomposition:%'\").fetchall()",
        "states = [json.loads(r[1]) for r in rows]",
        "mine = [r for r in rows if r[3] == 'From TypeScript'][0]",
        "print(len(rows), json.loads(mine[1])['_step_review']['visited'], mine[2])",
      ].join("\n");
      const out = execFileSync("python3", ["-c", script, file], { encoding: "utf8" }).trim().split(" ");
      expect(out[0]).toBe("25");
      expect(out[1]).toBe("True");
    });
  });

  describe("the owner column", () => {
    it("is added to files written by cjm-workflow-state as one nullable column, idempotently", async () => {
      const file = copyFixture("workflow_state.db");
      await (await createWorkflowStore({ filename: file })).close();
      const schemaOf = () => {
        const raw = new Database(file, { readonly: true });
        const schema = raw.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name").all();
        raw.close();
        return schema;
      };
      const first = schemaOf();
      await (await createWorkflowStore({ filename: file })).close();
      expect(schemaOf()).toEqual(first);
      const raw = new Database(file, { readonly: true });
      expect(raw.prepare("SELECT \"notnull\", dflt_value FROM pragma_table_info('workflow_state') WHERE name = 'owner'").get()).toEqual({ notnull: 0, dflt_value: null });
      expect(raw.prepare("SELECT count(*) AS n FROM workflow_state WHERE owner IS NOT NULL").get()).toEqual({ n: 0 });
      raw.close();
    });

    it("leaves owned rows that Python reads, and that cjm-workflow-state's own INSERT OR REPLACE can still write", async () => {
      const file = copyFixture("workflow_state.db");
      const store = await createWorkflowStore({ filename: file });
      const id = await store.createSession(FLOW, { label: "Alice's", owner: "alice" });
      await store.close();
      const script = [
        "import sqlite3, json, sys",
        "c = sqlite3.connect(sys.argv[1])",
        "c.execute(\"INSERT OR REPLACE INTO workflow_state (flow_session_key, current_step, state_json, label) VALUES ('structure_decomposition:from-python', 'review', '{}', 'Py')\")",
        "c.commit()",
        "row = c.execute('SELECT label, state_json FROM workflow_state WHERE flow_session_key = ?', ('structure_decomposition:' + sys.argv[2],)).fetchone()",
        "print(row[0], json.loads(row[1]) == {}, c.execute('SELECT count(*) FROM workflow_state').fetchone()[0])",
      ].join("\n");
      expect(execFileSync("python3", ["-c", script, file, id], { encoding: "utf8" }).trim()).toBe("Alice's True 32");
      const again = await createWorkflowStore({ filename: file });
      expect((await again.getSessionSummary(FLOW, "from-python"))?.label).toBe("Py");
      await again.close();
    });
  });

  describe("when the file is a truncated database", () => {
    it("fails with an error that names the file", async () => {
      const file = copyFixture("workflow_state.db");
      const bytes = readFileSync(file);
      writeFileSync(file, Buffer.concat([bytes.subarray(0, 100), Buffer.alloc(4096, 0x5a)]));
      await expect(createWorkflowStore({ filename: file })).rejects.toThrow(file);
    });
  });

  describe("when the file is not a database", () => {
    it("fails with an error that names the file", async () => {
      const file = join(tempDir(), "corrupt.db");
      writeFileSync(file, "this is not a sqlite file, just text ".repeat(200));
      await expect(createWorkflowStore({ filename: file })).rejects.toThrow(ConfigurationError);
      await expect(createWorkflowStore({ filename: file })).rejects.toThrow(file);
    });
  });

  describe("when fileMustExist is set and the file is missing", () => {
    it("fails with an error that names the file", async () => {
      const file = join(tempDir(), "missing.db");
      await expect(createWorkflowStore({ filename: file, fileMustExist: true })).rejects.toThrow(`"${file}" does not exist`);
    });
  });
});

describe.each(backends)("WorkflowStore on $name", (backend) => {
  const openStore = (fixture?: FixtureName) => backend.openStore(fixture);
  describe("a { owner } scope", () => {
    async function owned() {
      const store = await openStore("workflow_state.db");
      const alice = await store.createSession(FLOW, { label: "a", owner: "alice" });
      const bob = await store.createSession(FLOW, { label: "b", owner: "bob" });
      return { store, alice, bob };
    }

    it("limits listSessions, countSessions and getRawStates to the owner's sessions", async () => {
      const { store, alice } = await owned();
      expect((await store.listSessions(FLOW, { owner: "alice" })).map((s) => s.sessionId)).toEqual([alice]);
      expect(await store.countSessions(FLOW, { owner: "alice" })).toBe(1);
      expect(await store.countSessions(FLOW)).toBe(26);
      expect([...(await store.getRawStates(FLOW, [alice, "9094a0bf-9157-456c-aabd-e5c7cc690a73"], { owner: "alice" })).keys()]).toEqual([alice]);
      await store.close();
    });

    it("makes another owner's session look missing to sessionExists, getSessionSummary, setSessionLabel and deleteSession", async () => {
      const { store, bob } = await owned();
      const scope = { owner: "alice" };
      expect(await store.sessionExists(FLOW, bob, scope)).toBe(false);
      expect(await store.getSessionSummary(FLOW, bob, scope)).toBeUndefined();
      expect(await store.setSessionLabel(FLOW, bob, "stolen", scope)).toBe(false);
      expect(await store.deleteSession(FLOW, bob, scope)).toBe(false);
      expect((await store.getSessionSummary(FLOW, bob))?.label).toBe("b");
      expect(await store.deleteSession(FLOW, bob, { owner: "bob" })).toBe(true);
      await store.close();
    });

    it("hands a session to an owner with setSessionOwner(), and takes it back with null", async () => {
      const { store } = await owned();
      const legacy = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
      expect(await store.sessionExists(FLOW, legacy, { owner: "alice" })).toBe(false);
      expect(await store.setSessionOwner(FLOW, legacy, "alice")).toBe(true);
      expect(await store.sessionExists(FLOW, legacy, { owner: "alice" })).toBe(true);
      expect(await store.setSessionOwner(FLOW, legacy, null)).toBe(true);
      expect(await store.sessionExists(FLOW, legacy, { owner: "alice" })).toBe(false);
      expect(await store.setSessionOwner(FLOW, "missing", "alice")).toBe(false);
      await store.close();
    });

    it("rejects an empty owner instead of widening the scope", async () => {
      const { store } = await owned();
      await expect(store.countSessions(FLOW, { owner: "" })).rejects.toThrow("An owner must be a non-empty string");
      await store.close();
    });
  });

  describe("listWindow() with a search most sessions match", () => {
    it("walks the order's index with the search as a filter, and finds the same rows as a search without a cap", async () => {
      const store = await openStore();
      const rows = Array.from({ length: 1200 }, (_, i) => ({
        flow_session_key: `${FLOW}:s${String(i).padStart(4, "0")}`,
        label: i % 10 === 0 ? `Other ${i}` : `Match ${i}`,
        current_step: null,
        state_json: "{}",
        created_at: "2026-11-24 10:00:00",
        updated_at: `2026-11-24 10:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}`,
      }));
      await store.db.insertInto("workflow_state").values(rows).execute();
      const window = await store.listWindow(FLOW, { offset: 0, limit: 50, search: "match" });
      expect(window).toMatchObject({ total: 1080, capped: false }); // past the cap, counted up to SEARCH_COUNT_BOUND
      expect(await store.countSessions(FLOW, { search: "match" })).toBe(1080);
      expect(window.sessions.map((s) => s.label)).toEqual(
        rows.filter((r) => r.label.startsWith("Match")).reverse().slice(0, 50).map((r) => r.label),
      );
      const viaRanges = await store.listSessions(FLOW, { search: "match", limit: 50 });
      expect(window.sessions.map((s) => s.sessionId)).toEqual(viaRanges.map((s) => s.sessionId));
    });
  });

  describe("flow scoping", () => {
    it("never lets flows whose ids share a prefix or contain LIKE wildcards see each other's rows", async () => {
      const store = await openStore();
      const flows = ["a", "a_b", "a%", "ab", "a_", "a_bc", "%"];
      for (const flow of flows) await store.createSession(flow, { sessionId: `only-${flow.length}-${flows.indexOf(flow)}` });
      for (const flow of flows) {
        const sessions = await store.listSessions(flow);
        expect(sessions.map((s) => s.sessionId)).toEqual([`only-${flow.length}-${flows.indexOf(flow)}`]);
        expect(await store.countSessions(flow)).toBe(1);
      }
      await store.close();
    });

    it("rejects flow ids that contain ':'", async () => {
      const store = await openStore();
      await expect(store.listSessions("a:b")).rejects.toThrow('without ":"');
      await store.close();
    });
  });

  describe("createSession()", () => {
    it("uses the given session id and label", async () => {
      const store = await openStore();
      expect(await store.createSession(FLOW, { sessionId: "mine", label: "Mine" })).toBe("mine");
      expect(await store.getSessionSummary(FLOW, "mine")).toMatchObject({ label: "Mine", currentStep: null, stateSizeBytes: 2 });
      expect(await store.sessionExists(FLOW, "mine")).toBe(true);
      expect(await store.sessionExists("other", "mine")).toBe(false);
      await store.close();
    });
  });

  describe("setSessionLabel() and deleteSession()", () => {
    it("sets and clears the label, and reports a missing session without writing", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      expect(await store.setSessionLabel(FLOW, id, "Named")).toBe(true);
      expect((await store.getSessionSummary(FLOW, id))?.label).toBe("Named");
      expect(await store.setSessionLabel(FLOW, id, null)).toBe(true);
      expect((await store.getSessionSummary(FLOW, id))?.label).toBeNull();
      expect(await store.setSessionLabel(FLOW, "nope", "x")).toBe(false);
      expect(await store.sessionExists(FLOW, "nope")).toBe(false);
      await store.close();
    });

    it("deletes idempotently", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      expect(await store.deleteSession(FLOW, id)).toBe(true);
      expect(await store.deleteSession(FLOW, id)).toBe(false);
      expect(await store.getSessionSummary(FLOW, id)).toBeUndefined();
      await store.close();
    });
  });

  describe("state", () => {
    it("merges top-level keys and keeps JSON types exactly (booleans, nulls, nested objects)", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await store.updateState(FLOW, id, { a: 1, keep: { deep: [true, null, { x: false }] }, s: 'quote " and \\ backslash' });
      await store.updateState(FLOW, id, { a: { replaced: true }, b: null, 'weird."key': false });
      expect(await store.getState(FLOW, id)).toEqual({
        a: { replaced: true },
        keep: { deep: [true, null, { x: false }] },
        s: 'quote " and \\ backslash',
        b: null,
        'weird."key': false,
      });
      await store.close();
    });

    it("creates the session on updateState() and setCurrentStep() when it does not exist, as cjm-workflow-state does", async () => {
      const store = await openStore();
      await store.updateState(FLOW, "fresh", { x: 1 });
      await store.setCurrentStep(FLOW, "fresh2", "review");
      expect(await store.getState(FLOW, "fresh")).toEqual({ x: 1 });
      expect(await store.getCurrentStep(FLOW, "fresh2")).toBe("review");
      expect(await store.getState(FLOW, "never")).toEqual({});
      expect(await store.getCurrentStep(FLOW, "never")).toBeNull();
      await store.close();
    });

    it("keeps each step's state under _step_<stepId>, merges it and clears it", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await store.updateState(FLOW, id, { other: 1 });
      await store.updateStepState(FLOW, id, "review", { visited: true, notes: "a" });
      await store.updateStepState(FLOW, id, "review", { notes: "b", done: false });
      expect(await store.getStepState(FLOW, id, "review")).toEqual({ visited: true, notes: "b", done: false });
      expect(await store.getState(FLOW, id)).toEqual({ other: 1, _step_review: { visited: true, notes: "b", done: false } });
      await store.clearStepState(FLOW, id, "review");
      expect(await store.getState(FLOW, id)).toEqual({ other: 1 });
      expect(await store.getStepState(FLOW, id, "review")).toEqual({});
      await store.close();
    });

    it("reads the fixture's step keys", async () => {
      const store = await openStore("workflow_state.db");
      expect(await store.getStepState(FLOW, "9094a0bf-9157-456c-aabd-e5c7cc690a73", "selection")).toMatchObject({ visited: true });
      await store.close();
    });

    it("loses no key when 50 updateState() calls run concurrently on one session", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.updateState(FLOW, id, { [`key${i}`]: i })));
      const state = await store.getState(FLOW, id);
      expect(Object.keys(state)).toHaveLength(50);
      for (let i = 0; i < 50; i++) expect(state[`key${i}`]).toBe(i);
      await store.close();
    });

    it("loses no key when two stores on one database write concurrently", async () => {
      const database = await backend.database();
      const first = await database.open();
      const second = await database.open();
      const id = await first.createSession(FLOW);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? first : second).updateState(FLOW, id, { [`k${i}`]: i })),
      );
      expect(Object.keys(await first.getState(FLOW, id))).toHaveLength(40);
    });

    it("loses no step key when updateStepState() runs concurrently on one step", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.updateStepState(FLOW, id, "review", { [`k${i}`]: i })));
      expect(Object.keys(await store.getStepState(FLOW, id, "review"))).toHaveLength(30);
    });

    it("refuses to merge into a state that is not JSON, and leaves the row as it was", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await sql`UPDATE workflow_state SET state_json = '{not json' WHERE flow_session_key = ${`${FLOW}:${id}`}`.execute(store.db);
      await expect(store.updateState(FLOW, id, { a: 1 })).rejects.toThrow(CorruptStateError);
      await expect(store.updateStepState(FLOW, id, "review", { a: 1 })).rejects.toThrow(CorruptStateError);
      await expect(store.getState(FLOW, id)).rejects.toThrow(CorruptStateError);
      const row = await store.db.selectFrom("workflow_state").select("state_json").executeTakeFirst();
      expect(row).toEqual({ state_json: "{not json" });
    });
  });

  describe("the state methods with a { owner } scope", () => {
    async function owned() {
      const store = await openStore("workflow_state.db");
      const alice = await store.createSession(FLOW, { owner: "alice" });
      const bob = await store.createSession(FLOW, { owner: "bob" });
      await store.updateState(FLOW, bob, { secret: 1 });
      await store.updateStepState(FLOW, bob, "review", { notes: "bob's" });
      await store.setCurrentStep(FLOW, bob, "review");
      return { store, alice, bob, row: (id: string) => store.db.selectFrom("workflow_state").selectAll().where("flow_session_key", "=", `${FLOW}:${id}`).executeTakeFirst() };
    }
    const alice = { owner: "alice" };
    const unowned = "9094a0bf-9157-456c-aabd-e5c7cc690a73";

    it("read another owner's session, or one with no owner, as a missing one", async () => {
      const { store, bob } = await owned();
      for (const id of [bob, unowned]) {
        expect(await store.getState(FLOW, id, alice)).toEqual({});
        expect(await store.getStepState(FLOW, id, "review", alice)).toEqual({});
        expect(await store.getCurrentStep(FLOW, id, alice)).toBeNull();
      }
      expect(await store.getState(FLOW, bob, { owner: "bob" })).toEqual({ secret: 1, _step_review: { notes: "bob's" } });
      expect(await store.getCurrentStep(FLOW, bob, { owner: "bob" })).toBe("review");
    });

    it("refuse to write another owner's session, or one with no owner, with SessionNotFoundError, changing nothing", async () => {
      const { store, bob, row } = await owned();
      for (const id of [bob, unowned]) {
        const before = await row(id);
        await expect(store.updateState(FLOW, id, { stolen: true }, alice)).rejects.toThrow(SessionNotFoundError);
        await expect(store.updateStepState(FLOW, id, "review", { stolen: true }, alice)).rejects.toThrow(SessionNotFoundError);
        await expect(store.setCurrentStep(FLOW, id, "verify", alice)).rejects.toThrow(SessionNotFoundError);
        await expect(store.clearStepState(FLOW, id, "review", alice)).rejects.toThrow(SessionNotFoundError);
        expect(await row(id)).toEqual(before);
      }
    });

    it("write the owner's own session, and stamp the owner on a session they create", async () => {
      const { store, alice: own } = await owned();
      await store.updateState(FLOW, own, { a: 1 }, alice);
      await store.updateStepState(FLOW, own, "review", { b: 2 }, alice);
      await store.setCurrentStep(FLOW, own, "review", alice);
      expect(await store.getState(FLOW, own, alice)).toEqual({ a: 1, _step_review: { b: 2 } });
      await store.updateState(FLOW, "created-by-state", { a: 1 }, alice);
      await store.setCurrentStep(FLOW, "created-by-step", "review", alice);
      await store.updateStepState(FLOW, "created-by-step-state", "review", { b: 2 }, alice);
      const mine = (await store.listSessions(FLOW, alice)).map((s) => s.sessionId).sort();
      expect(mine).toEqual([own, "created-by-state", "created-by-step", "created-by-step-state"].sort());
      expect(await store.countSessions(FLOW, { owner: "bob" })).toBe(1);
    });

    it("see every session without a scope, as before", async () => {
      const { store, bob } = await owned();
      await store.updateState(FLOW, bob, { more: 2 });
      expect(await store.getState(FLOW, bob)).toEqual({ secret: 1, more: 2, _step_review: { notes: "bob's" } });
      await store.setCurrentStep(FLOW, unowned, "verify");
      expect(await store.getCurrentStep(FLOW, unowned)).toBe("verify");
    });
  });
});

describe("createWorkflowStore() on PostgreSQL", () => {
  describe("with a new database", () => {
    it("creates the table with text timestamps, the updated_at index and a byte-order index for flow scoping", async () => {
      const store = await postgres.openStore();
      const columns = await sql<{ column_name: string; data_type: string }>`
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'workflow_state' ORDER BY ordinal_position`.execute(store.db);
      expect(columns.rows).toEqual(
        ["flow_session_key", "current_step", "state_json", "created_at", "updated_at", "label", "owner"].map((column_name) => ({ column_name, data_type: "text" })),
      );
      const indexes = await sql<{ indexname: string }>`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'workflow_state' ORDER BY indexname`.execute(store.db);
      expect(indexes.rows.map((row) => row.indexname)).toEqual([
        "idx_workflow_state_flow_created_label",
        "idx_workflow_state_flow_label",
        "idx_workflow_state_flow_step_label",
        "idx_workflow_state_flow_updated_label",
        "idx_workflow_state_key_c",
        "idx_workflow_state_owner",
        "idx_workflow_state_owner_created_label",
        "idx_workflow_state_owner_label",
        "idx_workflow_state_owner_step_label",
        "idx_workflow_state_owner_updated_label",
        "idx_workflow_state_updated",
        "workflow_state_pkey",
      ]);
    });

    it("migrates without error when several instances start at once", async () => {
      const location = await createPostgresSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => createWorkflowStore({ connectionString: location })));
      await stores[0]!.createSession(FLOW, { sessionId: "one" });
      expect(await stores[3]!.countSessions(FLOW)).toBe(1);
      await Promise.all(stores.map((store) => store.close()));
    });
  });

  describe("with a table in use", () => {
    it("starts another instance without waiting for the locks of running writes", async () => {
      const database = await postgres.database("workflow_state.db");
      await (await database.open()).close();
      const writer = new pg.Client({ connectionString: database.location });
      await writer.connect();
      try {
        await writer.query("BEGIN");
        await writer.query("UPDATE workflow_state SET current_step = 'review' WHERE flow_session_key = $1", [`${FLOW}:9094a0bf-9157-456c-aabd-e5c7cc690a73`]);
        const store = await database.open({ busyTimeoutMs: 200 });
        expect(await store.countSessions(FLOW)).toBe(24);
      } finally {
        await writer.query("ROLLBACK");
        await writer.end();
      }
    });
  });

  describe("with a Kysely instance over the host's pg pool", () => {
    it("works on it and leaves it open on close()", async () => {
      const pool = new pg.Pool({ connectionString: await createPostgresSchema("workflow_state.db") });
      const db = new Kysely<WorkflowStateDatabase>({ dialect: new PostgresDialect({ pool }) });
      const store = await createWorkflowStore({ db });
      expect(await store.countSessions(FLOW)).toBe(24);
      await store.close();
      expect((await pool.query("SELECT count(*)::int AS n FROM workflow_state")).rows[0].n).toBe(30);
      await db.destroy();
    });
  });

  describe("flow scoping", () => {
    it("reads one flow's rows through an index (the key range or the list's flow-prefix index), never a full scan", async () => {
      const location = await createPostgresSchema();
      const queries: CompiledQuery[] = [];
      const db = new Kysely<WorkflowStateDatabase>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location }) }),
        log: (event) => void queries.push(event.query),
      });
      const client = new pg.Client({ connectionString: location });
      await client.connect();
      try {
        const store = await createWorkflowStore({ db });
        await client.query(`INSERT INTO workflow_state (flow_session_key, state_json)
          SELECT 'flow' || (i % 200) || ':' || i, '{}' FROM generate_series(1, 10000) AS i`);
        await client.query("ANALYZE workflow_state");
        queries.length = 0;
        expect(await store.listSessions("flow7", { limit: 20 })).toHaveLength(20);
        expect(await store.countSessions("flow7", { search: "7" })).toBe(6); // 7 and 7007, 7207, … 7807
        // Besides the change token (the log position, which reads no table), a window and a count.
        const reads = queries.filter((query) => !query.sql.includes("pg_current_wal_insert_lsn"));
        expect(reads).toHaveLength(2);
        for (const query of reads) {
          const explained = await client.query(`EXPLAIN (FORMAT JSON) ${query.sql}`, [...query.parameters]);
          const plan = JSON.stringify(explained.rows);
          expect(plan).not.toContain('"Seq Scan"');
          expect(plan).toMatch(/"Index Name":"idx_workflow_state_(key_c|flow_\w+)"/);
        }
        // One owner's window walks that owner's part of the list index, past no one else's sessions.
        await client.query(`UPDATE workflow_state SET owner = 'user' || (split_part(flow_session_key, ':', 2)::int % 3)`);
        await client.query("ANALYZE workflow_state");
        queries.length = 0;
        expect((await store.listWindow("flow7", { offset: 0, limit: 3, owner: "user1", orderBy: "label" })).sessions).toHaveLength(3);
        const windowQuery = queries.find((query) => /order by/i.test(query.sql))!;
        const explained = await client.query(`EXPLAIN (FORMAT JSON) ${windowQuery.sql}`, [...windowQuery.parameters]);
        expect(JSON.stringify(explained.rows)).toContain('"Index Name":"idx_workflow_state_owner_label"');
        // Without a search, the flow's count is one row of the counts the triggers keep.
        queries.length = 0;
        expect(await store.countSessions("flow7")).toBe(50);
        expect(queries.map((query) => query.sql)).toEqual([expect.stringMatching(/FROM "workflow_state_counts"/)]);
      } finally {
        await client.end();
        await db.destroy();
      }
    });
  });

  describe("session counts", () => {
    const actualCount = async (store: WorkflowStore, flowId: string, owner?: string) => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM workflow_state
          WHERE flow_session_key LIKE ${`${flowId}:%`} AND (${owner ?? null}::text IS NULL OR owner = ${owner ?? null})`.execute(store.db);
      return rows[0]!.n;
    };
    const expectCounts = async (store: WorkflowStore) => {
      for (const [flowId, owner] of [[FLOW], [FLOW, "alice"], [FLOW, "bob"], ["other"]] as const) {
        expect(await store.countSessions(flowId, { owner })).toBe(await actualCount(store, flowId, owner));
      }
    };

    it("sees another connection's commit at once in a search's count and window, a tag filter's count and its window", async () => {
      const database = await postgres.database();
      const store = await database.open();
      for (let i = 0; i < 5; i++) await store.createSession(FLOW, { sessionId: `remember-${i}`, label: `Remember ${i}` });
      await store.setTags(FLOW, "remember-0", ["kept"]);
      expect(await store.countSessions(FLOW, { search: "remember" })).toBe(5);
      expect(await store.countSessions(FLOW, { tags: ["kept"] })).toBe(1);
      expect((await store.listWindow(FLOW, { offset: 0, limit: 10, search: "remember" })).sessions).toHaveLength(5);
      const other = new pg.Client({ connectionString: database.location });
      await other.connect();
      try {
        // Another connection's write, which this store hears of from no one: its commit moves the log position.
        await other.query(`INSERT INTO workflow_state (flow_session_key, label, state_json) VALUES ($1, 'Remember 5', '{}')`, [`${FLOW}:remember-5`]);
        expect(await store.countSessions(FLOW, { search: "remember" })).toBe(6);
        expect((await store.listWindow(FLOW, { offset: 0, limit: 10, search: "remember" })).sessions).toHaveLength(6);
        await other.query(`INSERT INTO workflow_state_tags (flow_session_key, flow_id, owner, tag)
            SELECT $1, flow_id, owner, tag FROM workflow_state_tags WHERE flow_session_key = $2`, [`${FLOW}:remember-5`, `${FLOW}:remember-0`]);
        expect(await store.countSessions(FLOW, { tags: ["kept"] })).toBe(2);
        expect((await store.listWindow(FLOW, { offset: 0, limit: 10, tags: ["kept"] })).sessions.map((session) => session.sessionId).sort()).toEqual(["remember-0", "remember-5"]);
      } finally {
        await other.end();
      }
    });

    it("keeps each flow's count, and each owner's, through every kind of write, the host's own SQL included", async () => {
      const store = await postgres.openStore("workflow_state.db");
      await expectCounts(store);
      const alices = [await store.createSession(FLOW, { owner: "alice" }), await store.createSession(FLOW, { owner: "alice" })];
      await store.createSession(FLOW);
      await store.createSession("other");
      await store.updateState(FLOW, "upserted", { n: 1 }); // a new row through INSERT ... ON CONFLICT
      await store.updateState(FLOW, "upserted", { n: 2 }); // the conflict path: no new row
      await expectCounts(store);
      await store.setSessionOwner(FLOW, alices[0]!, "bob");
      await store.deleteSession(FLOW, alices[1]!);
      await expectCounts(store);
      await sql`INSERT INTO workflow_state (flow_session_key, owner) VALUES (${`${FLOW}:raw-1`}, 'alice'), (${`${FLOW}:raw-2`}, NULL), ('no-colon', NULL)`.execute(store.db);
      await sql`UPDATE workflow_state SET flow_session_key = ${"other:moved"} WHERE flow_session_key = ${`${FLOW}:raw-2`}`.execute(store.db);
      await sql`DELETE FROM workflow_state WHERE flow_session_key LIKE ${`${FLOW}:1%`} OR flow_session_key LIKE ${"transcription:%"}`.execute(store.db);
      await expectCounts(store);
      await sql`TRUNCATE workflow_state`.execute(store.db);
      expect(await store.countSessions(FLOW)).toBe(0);
      await store.createSession(FLOW);
      expect(await store.countSessions(FLOW)).toBe(1);
    });

    it("counts a table that had rows before, and rebuilds counts whose triggers were dropped", async () => {
      const database = await postgres.database("workflow_state.db");
      let store = await database.open();
      expect(await store.countSessions(FLOW)).toBe(24);
      await sql`DROP TRIGGER workflow_state_count_insert ON workflow_state`.execute(store.db);
      await store.createSession(FLOW);
      await store.close();
      store = await database.open();
      expect(await store.countSessions(FLOW)).toBe(25);
    });

    it("counts the writes of a role that has no grant on the counts and another search_path, and repairs disabled triggers", async () => {
      const database = await postgres.database();
      let store = await database.open();
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(store.db);
      const schema = rows[0]!.schema;
      const role = `${schema}_writer`;
      const client = new pg.Client({ connectionString: database.location });
      await client.connect();
      try {
        await client.query(`CREATE ROLE ${role}`);
        await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
        await client.query(`GRANT INSERT, SELECT ON ${schema}.workflow_state TO ${role}`);
        await client.query(`SET ROLE ${role}`);
        await client.query("SET search_path = public");
        await client.query(`INSERT INTO ${schema}.workflow_state (flow_session_key) VALUES ('${FLOW}:from-another-role')`);
        await client.query("RESET ROLE");
        expect(await store.countSessions(FLOW)).toBe(1);

        await client.query(`SET search_path = ${schema}`);
        await client.query("ALTER TABLE workflow_state DISABLE TRIGGER workflow_state_count_insert");
        await client.query(`INSERT INTO workflow_state (flow_session_key) VALUES ('${FLOW}:uncounted')`);
        await store.close();
        store = await database.open();
        expect(await store.countSessions(FLOW)).toBe(2);
      } finally {
        await client.query("RESET ROLE");
        await client.query(`DROP OWNED BY ${role}`);
        await client.query(`DROP ROLE ${role}`);
        await client.end();
      }
    });

    it("stays exact while several instances create and delete at once", async () => {
      const database = await postgres.database();
      const stores = await Promise.all(Array.from({ length: 4 }, () => database.open()));
      const ids = await Promise.all(stores.flatMap((store) => Array.from({ length: 25 }, () => store.createSession(FLOW, { owner: "alice" }))));
      await Promise.all(ids.slice(0, 40).map((id, i) => stores[i % 4]!.deleteSession(FLOW, id)));
      expect(await stores[0]!.countSessions(FLOW)).toBe(60);
      expect(await stores[1]!.countSessions(FLOW, { owner: "alice" })).toBe(60);
    });
  });

  describe("when the server cannot serve", () => {
    it("fails at startup with StoreUnavailableError, without the password in the message, when nothing listens", async () => {
      const url = `postgres://app:s3cret@127.0.0.1:${await freePort()}/db`;
      const failure = createWorkflowStore({ connectionString: url });
      await expect(failure).rejects.toThrow(StoreUnavailableError);
      await expect(failure).rejects.not.toThrow("s3cret");
    });

    it("throws StoreUnavailableError, changing nothing, when another transaction holds the row past busyTimeoutMs", async () => {
      const database = await postgres.database("workflow_state.db");
      const store = await database.open({ busyTimeoutMs: 100 });
      const other = new pg.Client({ connectionString: database.location });
      await other.connect();
      try {
        await other.query("BEGIN");
        await other.query("SELECT * FROM workflow_state WHERE flow_session_key = $1 FOR UPDATE", [`${FLOW}:legacy-none`]);
        await other.query("LOCK TABLE workflow_state IN EXCLUSIVE MODE");
        await expect(store.setSessionLabel(FLOW, "9094a0bf-9157-456c-aabd-e5c7cc690a73", "blocked")).rejects.toThrow(StoreUnavailableError);
      } finally {
        await other.query("ROLLBACK");
        await other.end();
      }
      expect((await store.getSessionSummary(FLOW, "9094a0bf-9157-456c-aabd-e5c7cc690a73"))?.label).toBe("Lecture batch 0");
    });

    it("reconnects after the server dropped the pool's connections", async () => {
      const database = await postgres.database();
      const store = await database.open();
      await store.createSession(FLOW);
      const name = new URL(database.location).searchParams.get("application_name");
      const { rowCount } = await adminQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name]);
      expect(rowCount).toBeGreaterThan(0);
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      while ((await adminQuery("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", [name])).rowCount) await sleep(20);
      await sleep(100);
      expect(await store.countSessions(FLOW)).toBe(1);
    });
  });
});

describe("translateDatabaseError()", () => {
  it.each([
    ["SQLITE_BUSY", "locked"],
    ["SQLITE_READONLY", "read-only"],
    ["08006", "PostgreSQL connection failure"],
    ["53300", "too many connections"],
    ["57P01", "server shutting down"],
    ["55P03", "lock timeout"],
    ["25006", "read-only transaction"],
    ["ECONNREFUSED", "nothing listens"],
    ["ECONNRESET", "connection reset"],
  ])("turns %s (%s) into StoreUnavailableError", (code) => {
    expect(translateDatabaseError(Object.assign(new Error("driver says no"), { code }))).toBeInstanceOf(StoreUnavailableError);
  });

  it("turns node-postgres's lost connection (no code) into StoreUnavailableError", () => {
    expect(translateDatabaseError(new Error("Connection terminated unexpectedly"))).toBeInstanceOf(StoreUnavailableError);
  });

  it.each(["23505", "22P02", "SQLITE_CONSTRAINT"])("leaves %s alone", (code) => {
    const error = Object.assign(new Error("a real bug"), { code });
    expect(translateDatabaseError(error)).toBe(error);
  });
});
