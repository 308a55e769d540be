import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely as OurKysely, SqliteAdapter } from "kysely";
import pg from "pg";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { StoreUnavailableError, StoreUnreachableError } from "../lib/errors.js";
import { backends, copyFixture, FLOW, postgresUrl, ROOT } from "./helpers.js";

const PYTHON_WRITER = join(ROOT, "__tests__", "children", "python-writer.py");

const writers: ReturnType<typeof spawn>[] = [];

// A test that fails while a writer waits for its next line must not leave it holding the file.
afterEach(() => {
  for (const child of writers.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
});

/** The Python writer of python-writer.py on `file`, driven line by line over stdin and stdout. */
function pythonWriter(mode: "loop" | "hold", file: string) {
  const child = spawn("python3", [PYTHON_WRITER, mode, file], { stdio: ["pipe", "pipe", "pipe"] });
  writers.push(child);
  let out = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const said = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out);
        if (match) resolve(match);
      };
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        check();
      });
      check();
      void exited.then((code) => reject(new Error(`the Python writer exited (${code}) before saying ${pattern}:\n${stderr}`)));
    });
  return { said, tell: (line: string) => child.stdin.write(`${line}\n`), exited };
}

/** The columns, indexes and journal mode of a file, read by another connection. */
function schemaOf(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      journalMode: db.pragma("journal_mode", { simple: true }),
      columns: (db.prepare("SELECT name FROM pragma_table_info('workflow_state')").all() as { name: string }[]).map((row) => row.name),
      indexes: (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((row) => row.name),
    };
  } finally {
    db.close();
  }
}

/** Yields to the event loop a few times, so that whatever the store started has run its first attempt. */
async function letItTry(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe("createWorkflowStore({ filename })", () => {
  describe("on a file the Python app is writing at that moment, in its rollback-journal mode", () => {
    it("opens and migrates it every time, and every row Python wrote is there", async () => {
      for (let run = 0; run < 5; run++) {
        const file = copyFixture("workflow_state_legacy.db");
        const python = pythonWriter("loop", file);
        await python.said(/^writing$/m);
        const store = await createWorkflowStore({ filename: file });
        python.tell("stop");
        const written = Number((await python.said(/^wrote (\d+)$/m))[1]);
        expect(await python.exited).toBe(0);
        expect(await store.countSessions("loop")).toBe(written);
        expect(await store.countSessions(FLOW)).toBe(3);
        await store.close();
        expect(schemaOf(file)).toMatchObject({ journalMode: "wal", columns: expect.arrayContaining(["label", "owner"]) });
      }
    });
  });

  // Each stage needs a lock of its own: WAL needs the file to itself, the new column and the indexes the write lock.
  describe.each([
    ["switching a rollback-journal file to WAL", (_file: string) => {}],
    [
      "adding the label column to a legacy file in WAL mode",
      (file: string) => {
        const db = new Database(file);
        db.pragma("journal_mode = WAL");
        db.close();
      },
    ],
    [
      "creating the indexes of a file that has every column",
      (file: string) => {
        const db = new Database(file);
        db.pragma("journal_mode = WAL");
        db.exec("ALTER TABLE workflow_state ADD COLUMN label TEXT; ALTER TABLE workflow_state ADD COLUMN owner TEXT");
        db.close();
      },
    ],
  ])("while another process holds the lock that %s needs", (_stage, prepare) => {
    it("waits for it without blocking the event loop, and opens once it is released", async () => {
      const file = copyFixture("workflow_state_legacy.db");
      prepare(file);
      const python = pythonWriter("hold", file);
      await python.said(/^locked$/m);
      let settled = false;
      const opening = createWorkflowStore({ filename: file, busyTimeoutMs: 30_000 }).finally(() => (settled = true));
      await letItTry();
      expect(settled).toBe(false);
      python.tell("release");
      await python.said(/^released$/m);
      const store = await opening;
      expect(await store.countSessions(FLOW)).toBe(3);
      await store.close();
      expect(await python.exited).toBe(0);
      expect(schemaOf(file)).toEqual(await migratedSchema());
    });
  });

  describe("while another process holds the file longer than busyTimeoutMs", () => {
    it("fails with StoreUnavailableError naming busyTimeoutMs, and leaves the file as it was", async () => {
      const file = copyFixture("workflow_state_legacy.db");
      const python = pythonWriter("hold", file);
      await python.said(/^locked$/m);
      const failure = await createWorkflowStore({ filename: file, busyTimeoutMs: 200 }).catch((error: unknown) => error);
      python.tell("release");
      expect(await python.exited).toBe(0);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(failure).not.toBeInstanceOf(StoreUnreachableError);
      expect((failure as Error).message).toContain(`"${file}" stayed locked by another connection for longer than busyTimeoutMs (200 ms)`);
      expect(schemaOf(file)).toMatchObject({ journalMode: "delete", columns: expect.not.arrayContaining(["label"]) });
    });
  });
});

/** The schema of a legacy file that a store opened with nobody else around. */
async function migratedSchema() {
  const file = copyFixture("workflow_state_legacy.db");
  await (await createWorkflowStore({ filename: file })).close();
  return schemaOf(file);
}

describe("createWorkflowStore({ connectionString })", () => {
  describe("when the database named in the connection string does not exist", () => {
    it("fails with StoreUnavailableError (unreachable), naming the database", async () => {
      const url = new URL(postgresUrl());
      url.pathname = "/no_such_database_here";
      const failure = await createWorkflowStore({ connectionString: url.toString() }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(failure).toBeInstanceOf(StoreUnreachableError);
      expect((failure as Error).message).toContain('The PostgreSQL database "no_such_database_here" does not exist');
    });
  });
});

// A CommonJS host's require("kysely") loads kysely's CommonJS build: another copy of every class, ours included.
const cjsKysely = createRequire(import.meta.url)("kysely") as typeof import("kysely");

describe.each(backends)("createWorkflowStore({ db }) with a Kysely instance from another copy of kysely ($name)", (backend) => {
  it("recognises the dialect and serves the store", async () => {
    const database = await backend.database("workflow_state.db");
    const db =
      backend.name === "sqlite"
        ? new cjsKysely.Kysely<any>({ dialect: new cjsKysely.SqliteDialect({ database: new Database(database.location) }) })
        : new cjsKysely.Kysely<any>({ dialect: new cjsKysely.PostgresDialect({ pool: new pg.Pool({ connectionString: database.location, max: 2 }) }) });
    try {
      // The premise: instanceof on our copy cannot tell this instance's dialect.
      expect(cjsKysely.Kysely).not.toBe(OurKysely);
      expect(db.getExecutor().adapter instanceof SqliteAdapter).toBe(false);
      const store = await createWorkflowStore({ db });
      expect(store.dialect.name).toBe(backend.name);
      const id = await store.createSession(FLOW, { label: "from a CommonJS host" });
      expect((await store.getSessionSummary(FLOW, id))?.label).toBe("from a CommonJS host");
      expect(await store.countSessions(FLOW)).toBe(25);
    } finally {
      await db.destroy();
    }
  });
});
