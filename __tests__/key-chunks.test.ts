import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from "kysely";
import pg from "pg";
import { SessionNotFoundError } from "../lib/errors.js";
import { resolveOptions } from "../lib/options.js";
import { SessionService } from "../lib/service/session-service.js";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { KEYS_PER_STATEMENT, keyChunks } from "../lib/store/key-chunks.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { FLOW, backends, recordingLogger, type Backend } from "./helpers.js";

/** More ids than a bulk action takes (1,000), and more than two chunks' worth. */
const COUNT = 1_200;
const ids = Array.from({ length: COUNT }, (_, i) => `s-${String(i).padStart(5, "0")}`);

/** A store over a Kysely that counts, for each statement it runs while `recording`, the session keys it binds. */
interface LoggedStore {
  store: WorkflowStore;
  /** The number of session keys bound by each statement since the last `record()`. */
  keysPerStatement: number[];
  record(): void;
}

const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function openLoggedStore(backend: Backend): Promise<LoggedStore> {
  const { location } = await backend.database();
  const keysPerStatement: number[] = [];
  let recording = false;
  const log = (event: LogEvent) => {
    if (!recording || event.level !== "query") return;
    keysPerStatement.push(event.query.parameters.filter((value) => typeof value === "string" && value.startsWith(`${FLOW}:`) && value.length > FLOW.length + 1).length);
  };
  const db =
    backend.name === "sqlite"
      ? new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(location) }), log })
      : new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location, max: 4 }) }), log });
  const store = await createWorkflowStore({ db });
  opened.push(async () => {
    await store.close();
    await db.destroy();
  });
  await store.importSessions(FLOW, ids.map((sessionId, i) => ({ sessionId, label: `Session ${i}`, state: `{"n": ${i}}` })), { keepIds: true });
  return {
    store,
    keysPerStatement,
    record() {
      keysPerStatement.length = 0;
      recording = true;
    },
  };
}

/**
 * The statements bound all the keys between them, none more than {@link KEYS_PER_STATEMENT}, and (a read) only as
 * many statements as there are chunks: not one statement per id.
 */
function expectChunked(keysPerStatement: number[], total: number, statementsPerChunk = 1) {
  expect(Math.max(...keysPerStatement)).toBeLessThanOrEqual(KEYS_PER_STATEMENT);
  expect(keysPerStatement.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(total);
  expect(keysPerStatement.filter((n) => n > 0).length).toBeLessThanOrEqual(Math.ceil(total / KEYS_PER_STATEMENT) * statementsPerChunk);
}

describe("keyChunks()", () => {
  it("cuts a list into consecutive slices of at most KEYS_PER_STATEMENT (500), in order", () => {
    expect(keyChunks(ids).map((chunk) => chunk.length)).toEqual([500, 500, 200]);
    expect(keyChunks(ids).flat()).toEqual(ids);
    expect(keyChunks([])).toEqual([]);
  });
});

describe.each(backends)(`reads and writes of ${COUNT.toLocaleString("en-US")} sessions by id on $name`, (backend) => {
  describe("WorkflowStore", () => {
    it("getSessionSummaries() reads them in statements of at most 500 keys, in the order given, leaving out missing ids", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      const asked = [...ids].reverse();
      asked.splice(700, 0, "missing");
      record();
      const summaries = await store.getSessionSummaries(FLOW, asked);
      expectChunked(keysPerStatement, asked.length);
      expect(summaries.map((summary) => summary.sessionId)).toEqual([...ids].reverse());
      expect(summaries[0]).toMatchObject({ label: `Session ${COUNT - 1}`, stateSizeBytes: expect.any(Number) });
    });

    it("getSessionRecords() reads them whole the same way, state and version included", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      record();
      const records = await store.getSessionRecords(FLOW, ids);
      expectChunked(keysPerStatement, COUNT);
      expect(records.map((entry) => entry.summary.sessionId)).toEqual(ids);
      expect(records[COUNT - 1]).toMatchObject({ state: `{"n": ${COUNT - 1}}`, version: expect.any(String) });
    });

    it("getRawStates() reads their states in statements of at most 500 keys", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      record();
      const states = await store.getRawStates(FLOW, ids);
      expectChunked(keysPerStatement, COUNT);
      expect(states.size).toBe(COUNT);
      expect(states.get(ids[900]!)).toBe('{"n": 900}');
    });

    it("trashSessions(), restoreSessions() and purgeTrash({ ids }) move them in statements of at most 500 keys", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      record();
      expect(await store.trashSessions(FLOW, ids)).toBe(COUNT);
      expectChunked(keysPerStatement, COUNT, 2);
      record();
      expect(await store.restoreSessions(FLOW, ids)).toBe(COUNT);
      expectChunked(keysPerStatement, COUNT, 2);
      await store.trashSessions(FLOW, ids);
      record();
      expect(await store.purgeTrash(FLOW, { ids })).toBe(COUNT);
      expectChunked(keysPerStatement, COUNT, 3); // the trashed rows, then their pins and their tags
      expect(await store.countSessions(FLOW)).toBe(0);
    });

    it("deleteSessions() deletes them for good in statements of at most 500 keys", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      record();
      expect(await store.deleteSessions(FLOW, ids)).toBe(COUNT);
      expectChunked(keysPerStatement, COUNT, 3); // the rows, then their pins and their tags
      expect(await store.countSessions(FLOW)).toBe(0);
    });

    it("still moves all or nothing: an id missing from the last chunk leaves every session where it was", async () => {
      const { store } = await openLoggedStore(backend);
      await expect(store.trashSessions(FLOW, [...ids, "missing"])).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.deleteSessions(FLOW, [...ids, "missing"])).rejects.toBeInstanceOf(SessionNotFoundError);
      expect(await store.countSessions(FLOW)).toBe(COUNT);
      await store.trashSessions(FLOW, ids);
      await expect(store.restoreSessions(FLOW, [...ids, "missing"])).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.purgeTrash(FLOW, { ids: [...ids, "missing"] })).rejects.toBeInstanceOf(SessionNotFoundError);
      expect(await store.countSessions(FLOW)).toBe(0);
      expect((await store.listTrash(FLOW, { limit: 1, offset: 0 })).total).toBe(COUNT);
    });
  });

  describe("SessionService", () => {
    it("getItems() reads the items of a bulk action in statements of at most 500 keys, in the order given", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      const service = new SessionService(resolveOptions({ store, flowId: FLOW, logger: recordingLogger() }));
      record();
      const items = await service.getItems(ids);
      expectChunked(keysPerStatement, COUNT);
      expect(items.map((item) => item.sessionId)).toEqual(ids);
    });

    it("requireSessions() checks every id in statements of at most 500 keys, and names the first one missing", async () => {
      const { store, keysPerStatement, record } = await openLoggedStore(backend);
      const service = new SessionService(resolveOptions({ store, flowId: FLOW, logger: recordingLogger() }));
      record();
      expect(await service.requireSessions(ids)).toHaveLength(COUNT);
      expectChunked(keysPerStatement, COUNT);
      await expect(service.requireSessions([...ids, "gone-2", "gone-1"])).rejects.toMatchObject({ name: "SessionNotFoundError", sessionId: "gone-2" });
    });
  });
});
