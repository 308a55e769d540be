import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import type { WorkflowStateDatabase } from "../lib/store/workflow-state-table.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import type { ReadPoint } from "../lib/session-types.js";
import { createPostgresSchema, FLOW, tempDir } from "./helpers.js";

/**
 * A store over a fresh SQLite file with `count` sessions `s0000`, `s0001`, … updated a second apart (`s0000` first),
 * through a Kysely instance that records every statement. */
async function recordedStore(count: number) {
  const file = `${tempDir()}/workflow_state.db`;
  const statements: string[] = [];
  const db = new Kysely<WorkflowStateDatabase>({
    dialect: new SqliteDialect({ database: new Database(file) }),
    log: (event) => {
      if (event.level === "query") statements.push(event.query.sql);
    },
  });
  const store = await createWorkflowStore({ db });
  const raw = new Database(file);
  const insert = raw.prepare("INSERT INTO workflow_state (flow_session_key, state_json, updated_at, label) VALUES (?, ?, ?, ?)");
  raw.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `s${String(i).padStart(4, "0")}`;
      const updatedAt = new Date(Date.UTC(2026, 1, 1, 10) + i * 1000).toISOString().replace("T", " ").slice(0, 19);
      insert.run(`${FLOW}:${id}`, JSON.stringify({ id }), updatedAt, `Session ${i}`);
    }
  })();
  raw.close();
  return { store, file, statements };
}

/**
 * The same on PostgreSQL, in a fresh schema: `count` sessions inserted by another connection, and a store over a
 * Kysely instance (its own pool) that records every statement.
 */
async function recordedPostgresStore(count: number) {
  const location = await createPostgresSchema();
  const statements: string[] = [];
  const db = new Kysely<WorkflowStateDatabase>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location, max: 4 }) }),
    log: (event) => {
      if (event.level === "query") statements.push(event.query.sql);
    },
  });
  const store = await createWorkflowStore({ db });
  const other = new pg.Client({ connectionString: location });
  await other.connect();
  await other.query(
    `INSERT INTO workflow_state (flow_session_key, state_json, updated_at, label)
     SELECT $1 || 's' || lpad(i::text, 4, '0'), '{"n":' || i || '}', to_char(timestamp '2026-02-01 10:00:00' + i * interval '1 second', 'YYYY-MM-DD HH24:MI:SS'), 'Session ' || i
     FROM generate_series(0, $2 - 1) AS i`,
    [`${FLOW}:`, count],
  );
  const close = async () => {
    await other.end();
    await store.close();
    await db.destroy();
  };
  return { store, other, statements, close };
}

/** What the list route reads for one window: the window with its states, the pins and the rows' tags. */
async function listRead(store: WorkflowStore, readPoint?: ReadPoint) {
  const window = await store.listWindow(FLOW, { offset: 0, limit: 5, withStates: true, readPoint });
  const ids = window.sessions.map((session) => session.sessionId);
  const pins = await store.listPins(FLOW, { readPoint });
  const tags = await store.getTags(FLOW, ids, { readPoint });
  const tagCounts = await store.tagCounts(FLOW, { readPoint });
  return {
    labels: window.sessions.map((session) => session.label),
    total: window.total,
    states: [...window.states!.values()],
    pins: pins.map((pin) => pin.sessionId),
    tags: Object.fromEntries(tags),
    tagCounts,
  };
}

const isTokenRead = (statement: string) => /pragma_data_version/.test(statement) && !/workflow_state/.test(statement);

describe("reads remembered by the change token (SQLite)", () => {
  it("answers an unchanged list asked again with token reads only", async () => {
    const { store, statements } = await recordedStore(20);
    const first = await listRead(store);
    statements.length = 0;
    expect(await listRead(store)).toEqual(first);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((statement) => !isTokenRead(statement))).toEqual([]);
    await store.close();
  });

  it.each([
    ["this store's own write", async (store: WorkflowStore) => void (await store.setSessionLabel(FLOW, "s0019", "Renamed"))],
    ["the host's SQL on the store's connection", async (store: WorkflowStore) => void (await sql`UPDATE workflow_state SET label = 'Renamed' WHERE flow_session_key = ${`${FLOW}:s0019`}`.execute(store.db))],
    [
      "another connection's commit",
      async (_store: WorkflowStore, file: string) => {
        const other = new Database(file);
        other.prepare("UPDATE workflow_state SET label = 'Renamed' WHERE flow_session_key = ?").run(`${FLOW}:s0019`);
        other.close();
      },
    ],
  ])("reads the window again after %s", async (_name, write) => {
    const { store, file } = await recordedStore(20);
    expect((await listRead(store)).labels[0]).toBe("Session 19");
    await write(store, file);
    expect((await listRead(store)).labels[0]).toBe("Renamed");
    await store.close();
  });

  it("reads a search's matches again once a rename makes another session match", async () => {
    const { store, file } = await recordedStore(20);
    const matching = async () => (await store.listWindow(FLOW, { offset: 0, limit: 10, search: "session 1" })).sessions.map((session) => session.sessionId);
    expect(await matching()).toHaveLength(10); // Session 1, 10–18 of the 11 matches
    const other = new Database(file);
    other.prepare("UPDATE workflow_state SET label = 'Session 1b', updated_at = '2027-01-01 00:00:00' WHERE flow_session_key = ?").run(`${FLOW}:s0005`);
    other.close();
    expect((await matching())[0]).toBe("s0005");
    await store.close();
  });

    it("reads pins and tags again after another connection adds some", async () => {
    const { store, file } = await recordedStore(20);
    await store.pinSession(FLOW, "s0001");
    await store.setTags(FLOW, "s0019", ["first"]);
    expect(await listRead(store)).toMatchObject({ pins: ["s0001"], tags: { s0019: ["first"] } });
    const other = new Database(file);
    other.exec(`INSERT INTO workflow_state_pins (flow_session_key, flow_id, owner, pin_order, pinned_at)
      SELECT '${FLOW}:s0002', flow_id, owner, pin_order + 1, pinned_at FROM workflow_state_pins WHERE flow_session_key = '${FLOW}:s0001'`);
    other.exec(`INSERT INTO workflow_state_tags (flow_session_key, flow_id, owner, tag)
      SELECT flow_session_key, flow_id, owner, 'second' FROM workflow_state_tags WHERE flow_session_key = '${FLOW}:s0019'`);
    other.close();
    expect(await listRead(store)).toMatchObject({ pins: ["s0001", "s0002"], tags: { s0019: ["first", "second"] } });
    await store.close();
  });

  it("ignores a read point of another store, or an object that only looks like one, and reads the token itself", async () => {
    const { store, file } = await recordedStore(20);
    const { store: another } = await recordedStore(20);
    const point = await store.readPoint();
    expect((await listRead(store, point)).labels[0]).toBe("Session 19");
    const other = new Database(file);
    other.prepare("UPDATE workflow_state SET label = 'Renamed' WHERE flow_session_key = ?").run(`${FLOW}:s0019`);
    other.close();
    // Its own point, read before the write, still answers from memory; any other reads the token again.
    expect((await listRead(store, point)).labels[0]).toBe("Session 19");
    expect((await listRead(store, await another.readPoint())).labels[0]).toBe("Renamed");
    expect((await listRead(store, Object.freeze({ kind: "read-point" as const }))).labels[0]).toBe("Renamed");
    await store.close();
    await another.close();
  });

  it("gives every caller its own copy, so changing one answer changes no later one", async () => {
    const { store } = await recordedStore(5);
    const window = await store.listWindow(FLOW, { offset: 0, limit: 5, withStates: true });
    window.sessions[0]!.label = "changed";
    window.sessions[0]!.updatedAt!.setFullYear(1999);
    window.states!.clear();
    await store.setTags(FLOW, "s0004", ["kept"]);
    (await store.getTags(FLOW, ["s0004"])).get("s0004")!.push("added");
    const again = await store.listWindow(FLOW, { offset: 0, limit: 5, withStates: true });
    expect(again.sessions[0]).toMatchObject({ label: "Session 4", updatedAt: new Date("2026-02-01T10:00:04Z") });
    expect(again.states!.size).toBe(5);
    expect((await store.getTags(FLOW, ["s0004"])).get("s0004")).toEqual(["kept"]);
    await store.close();
  });

  it("does not keep a deep window placed by landmarks, which are walked again after a write without the token moving", async () => {
    const { store } = await recordedStore(6000);
    const deep = { offset: 3000, limit: 5 };
    const exact = async () => (await store.listSessions(FLOW, { ...deep })).map((session) => session.sessionId);
    await store.listWindow(FLOW, deep);
    await store.listLandmarksSettled();
    expect((await store.listWindow(FLOW, deep)).sessions.map((session) => session.sessionId)).toEqual(await exact());
    // The ten oldest leave: until the landmarks are walked again, a window they place is off by ten.
    await store.deleteSessions(FLOW, ["s0000", "s0001", "s0002", "s0003", "s0004", "s0005", "s0006", "s0007", "s0008", "s0009"]);
    await store.listWindow(FLOW, deep);
    await store.listLandmarksSettled();
    expect((await store.listWindow(FLOW, deep)).sessions.map((session) => session.sessionId)).toEqual(await exact());
    await store.close();
  });
});

describe("reads at a read point (PostgreSQL, where reading the token is a round trip)", () => {
  it("answers the list's reads at one read point once, then from memory with no statement at all", async () => {
    const { store, statements, close } = await recordedPostgresStore(20);
    await store.pinSession(FLOW, "s0003");
    await store.setTags(FLOW, "s0019", ["first"]);
    const point = await store.readPoint();
    const first = await listRead(store, point);
    expect(first).toMatchObject({ labels: ["Session 19", "Session 18", "Session 17", "Session 16", "Session 15"], total: 20, pins: ["s0003"], tags: { s0019: ["first"] } });
    statements.length = 0;
    expect(await listRead(store, point)).toEqual(first);
    expect(statements).toEqual([]);
    await close();
  });

  it("reads every part again without a read point, so a host's reads never wait on a token", async () => {
    const { store, statements, close } = await recordedPostgresStore(5);
    await listRead(store);
    statements.length = 0;
    await listRead(store);
    expect(statements.some((statement) => /from "workflow_state"/.test(statement))).toBe(true);
    expect(statements.some((statement) => /workflow_state_pins/.test(statement))).toBe(true);
    await close();
  });

  it("sees another connection's commit at the next read point: a new label, a new session, a pin and a tag", async () => {
    const { store, other, close } = await recordedPostgresStore(20);
    await listRead(store, await store.readPoint());
    await other.query("UPDATE workflow_state SET label = 'Renamed' WHERE flow_session_key = $1", [`${FLOW}:s0019`]);
    expect(await listRead(store, await store.readPoint())).toMatchObject({ labels: ["Renamed", "Session 18", "Session 17", "Session 16", "Session 15"], total: 20 });
    await other.query(`INSERT INTO workflow_state (flow_session_key, updated_at, label) VALUES ($1, '2027-01-01 00:00:00', 'Newest')`, [`${FLOW}:s9999`]);
    await other.query(`INSERT INTO workflow_state_pins (flow_session_key, flow_id, owner, pin_order, pinned_at) VALUES ($1, $2, '', 1, '2027-01-01 00:00:00')`, [`${FLOW}:s0001`, FLOW]);
    await other.query(`INSERT INTO workflow_state_tags (flow_session_key, flow_id, owner, tag) VALUES ($1, $2, '', 'late')`, [`${FLOW}:s9999`, FLOW]);
    expect(await listRead(store, await store.readPoint())).toMatchObject({
      labels: ["Newest", "Renamed", "Session 18", "Session 17", "Session 16"],
      total: 21,
      pins: ["s0001"],
      tags: { s9999: ["late"] },
      tagCounts: [{ tag: "late", sessions: 1 }],
    });
    await close();
  });

  it("counts at a read point given in countSessions()'s options, from memory the second time", async () => {
    const { store, statements, close } = await recordedPostgresStore(20);
    const readPoint = await store.readPoint();
    expect(await store.countSessions(FLOW, { readPoint })).toBe(20);
    expect(await store.countSessions(FLOW, { readPoint, search: "session 1" })).toBe(11);
    statements.length = 0;
    expect(await store.countSessions(FLOW, { readPoint })).toBe(20);
    expect(await store.countSessions(FLOW, { readPoint, search: "session 1" })).toBe(11);
    expect(statements).toEqual([]);
    await close();
  });

  it("remembers nothing at a read point over an unlogged table, whose writes move no token", async () => {
    const { store, other, statements, close } = await recordedPostgresStore(5);
    await other.query("ALTER TABLE workflow_state SET UNLOGGED");
    const point = await store.readPoint();
    await listRead(store, point);
    statements.length = 0;
    await other.query("UPDATE workflow_state SET label = 'Renamed' WHERE flow_session_key = $1", [`${FLOW}:s0004`]);
    expect((await listRead(store, point)).labels[0]).toBe("Renamed");
    expect(statements.some((statement) => /from "workflow_state"/.test(statement))).toBe(true);
    await close();
  });
});
