import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import session from "express-session";
import request from "supertest";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import type { SessionManagerOptions } from "../lib/options.js";
import Database from "better-sqlite3";
import pg from "pg";
import { createWorkflowStore, type WorkflowStoreOptions } from "../lib/store/create-workflow-store.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const ROOT = join(here, "..");

/** The real files written by cjm-workflow-state, kept in the repository (see fixtures/README.md); copy before writing. */
export const FIXTURES = join(here, "fixtures");

const made: string[] = [];

/** A fresh temporary folder, removed after all tests of the file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ews-test-"));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A writable copy of a fixture database. */
export function copyFixture(name: "workflow_state.db" | "workflow_state_legacy.db"): string {
  const file = join(tempDir(), name);
  copyFileSync(join(FIXTURES, name), file);
  return file;
}

/** A fixture database of __tests__/fixtures. */
export type FixtureName = "workflow_state.db" | "workflow_state_legacy.db";

/** A store over a fresh SQLite file, or over a copy of a fixture. */
export async function openStore(fixture?: FixtureName): Promise<WorkflowStore> {
  return sqlite.openStore(fixture);
}

/** One database of a test, which any number of stores (or app processes) may open at once. */
export interface TestDatabase {
  /** The SQLite file, or the PostgreSQL connection string. */
  location: string;
  /** Opens another store on this database; it is closed after the test. */
  open(options?: Pick<WorkflowStoreOptions, "busyTimeoutMs">): Promise<WorkflowStore>;
}

/** A database the suite runs on. Tests written against it run unchanged on SQLite and on PostgreSQL. */
export interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, isolated database: empty, or holding a copy of a fixture's rows. */
  database(fixture?: FixtureName): Promise<TestDatabase>;
  /** A store over a fresh database; shorthand for `(await database(fixture)).open()`. */
  openStore(fixture?: FixtureName): Promise<WorkflowStore>;
  /** Another writer takes the database's write lock and holds it (reads still work) until the returned release. */
  holdWriteLock(database: TestDatabase): Promise<() => Promise<void>>;
}

const openedInTest: WorkflowStore[] = [];
const openedInFile: WorkflowStore[] = [];
let inTest = false;

// A store opened by a test (or its beforeEach) is closed after it, so PostgreSQL pools never pile up connections
// across a file; one opened in beforeAll lives until the file ends.
function track(store: WorkflowStore): WorkflowStore {
  (inTest ? openedInTest : openedInFile).push(store);
  return store;
}

beforeEach(() => {
  inTest = true;
});

afterEach(async () => {
  inTest = false;
  await Promise.all(openedInTest.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await Promise.all(openedInFile.splice(0).map((store) => store.close()));
});

/** Embedded SQLite: a file per database, a copy of the fixture file when one is asked for. */
export const sqlite: Backend = {
  name: "sqlite",
  async database(fixture) {
    const location = fixture ? copyFixture(fixture) : join(tempDir(), "workflow_state.db");
    return { location, open: async (options) => track(await createWorkflowStore({ filename: location, ...options })) };
  },
  async openStore(fixture) {
    return (await this.database(fixture)).open();
  },
  async holdWriteLock(database) {
    const other = new Database(database.location);
    other.exec("BEGIN IMMEDIATE");
    return async () => {
      other.exec("ROLLBACK");
      other.close();
    };
  },
};

/** A superuser URL of the test PostgreSQL server that postgres-cluster.ts started (or EWS_TEST_POSTGRES_URL). */
export function postgresUrl(): string {
  const url = process.env.EWS_TEST_POSTGRES_URL;
  if (!url) throw new Error("EWS_TEST_POSTGRES_URL is not set: run the tests through jest.config.js, whose globalSetup starts PostgreSQL.");
  return url;
}

let admin: pg.Pool | undefined;
const schemas: string[] = [];
let sequence = 0;

/** Runs one statement on the test server's `postgres` database, as the superuser. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) {
  admin ??= new pg.Pool({ connectionString: postgresUrl(), max: 2 });
  return admin.query<R>(text, values);
}

afterAll(async () => {
  for (const name of schemas.splice(0)) await adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await admin?.end();
  admin = undefined;
});

/** The rows of a fixture file, read with SQLite, exactly as cjm-workflow-state wrote them. */
export function fixtureRows(fixture: FixtureName): Record<string, unknown>[] {
  const file = new Database(join(FIXTURES, fixture), { readonly: true });
  try {
    return file.prepare("SELECT * FROM workflow_state ORDER BY flow_session_key").all() as Record<string, unknown>[];
  } finally {
    file.close();
  }
}

/**
 * Copies a fixture's rows into a PostgreSQL database. The legacy fixture's table is created as that older release
 * laid it out, without the label column, so that opening a store must add it.
 */
export async function loadFixtureIntoPostgres(connectionString: string, fixture: FixtureName): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const legacy = fixture === "workflow_state_legacy.db";
    await client.query(`CREATE TABLE workflow_state (
      flow_session_key TEXT PRIMARY KEY, current_step TEXT, state_json TEXT DEFAULT '{}',
      created_at TEXT DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
      updated_at TEXT DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')${legacy ? "" : ", label TEXT"})`);
    const columns = ["flow_session_key", "current_step", "state_json", "created_at", "updated_at", ...(legacy ? [] : ["label"])];
    const rows = fixtureRows(fixture);
    const values = rows.flatMap((row) => columns.map((column) => row[column] ?? null));
    const tuples = rows.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`);
    await client.query(`INSERT INTO workflow_state (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
  } finally {
    await client.end();
  }
}

/**
 * An isolated PostgreSQL namespace on the test server: a fresh schema, optionally holding a copy of a fixture's
 * rows, and a connection string whose `search_path` (and `application_name`) is that schema. A schema takes
 * milliseconds to create where a database takes a quarter of a second.
 */
export async function createPostgresSchema(fixture?: FixtureName): Promise<string> {
  const name = `ews_${process.pid}_${++sequence}`;
  await adminQuery(`CREATE SCHEMA ${name}`);
  schemas.push(name);
  const url = new URL(postgresUrl());
  url.searchParams.set("options", `-c search_path=${name}`);
  url.searchParams.set("application_name", name);
  const location = url.toString();
  if (fixture) await loadFixtureIntoPostgres(location, fixture);
  return location;
}

/** A real PostgreSQL server: a schema per test, holding a copy of the fixture's rows when one is asked for. */
export const postgres: Backend = {
  name: "postgres",
  async database(fixture) {
    const location = await createPostgresSchema(fixture);
    return { location, open: async (options) => track(await createWorkflowStore({ connectionString: location, ...options })) };
  },
  async openStore(fixture) {
    return (await this.database(fixture)).open();
  },
  async holdWriteLock(database) {
    const other = new pg.Client({ connectionString: database.location });
    await other.connect();
    await other.query("BEGIN");
    await other.query("LOCK TABLE workflow_state IN EXCLUSIVE MODE");
    return async () => {
      await other.query("ROLLBACK");
      await other.end();
    };
  },
};

/** Both databases, for `describe.each(backends)`. */
export const backends: readonly Backend[] = [sqlite, postgres];

/** The flow of most sessions in the fixture. */
export const FLOW = "structure_decomposition";

/** Collects what the manager logs. */
export function recordingLogger() {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (message: string) => void warnings.push(message),
    error: (message: string) => void errors.push(message),
  };
}

/** A real Express app with express-session and the manager mounted; `mount` puts the app under another path. */
export function buildApp(options: Partial<SessionManagerOptions> & { store: WorkflowStore }, mount?: string) {
  const app = express();
  app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
  const manager = createSessionManager({ flowId: FLOW, workflowUrl: "/workflow", logger: recordingLogger(), ...options });
  if (mount) app.use(mount, manager);
  else app.use(manager);
  app.get("/whoami", (req, res) => {
    res.json({ activeSessionId: req.session.activeSessionId ?? null });
  });
  return app;
}

/** A supertest agent that keeps its cookie, like one browser. */
export function visitor(app: express.Express) {
  return request.agent(app);
}

/** The CSRF token a page carries in its `<meta name="csrf-token">`. */
export function csrfTokenIn(html: string): string {
  const token = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("The page has no csrf-token meta tag.");
  return token;
}

/**
 * A visitor that has loaded the manager page once, as a browser would, and sends its CSRF token as the
 * `X-CSRF-Token` header on every later request (the way htmx does from the page's `hx-headers`).
 */
export async function csrfAgent(app: express.Express, { page = "/manage/sessions", headers = {} }: { page?: string; headers?: Record<string, string> } = {}) {
  const agent = request.agent(app);
  agent.set(headers);
  const res = await agent.get(page).expect(200);
  agent.set("X-CSRF-Token", csrfTokenIn(res.text));
  return agent;
}

/**
 * The HTML with numeric character references turned back into characters: the renderer writes static text outside
 * ASCII (`–`, `“`) as `&#8211;`, which a browser reads as the character itself.
 */
export function decoded(html: string): string {
  return html.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));
}

/** Session ids in the order the page shows them. */
export function rowIds(html: string): string[] {
  return [...html.matchAll(/<tr\s[^>]*data-session-id="([^"]+)"/g)].map((match) => match[1]!);
}

/** Reads the active session id of an agent's session. */
export async function activeOf(agent: ReturnType<typeof visitor>): Promise<string | null> {
  const res = await agent.get("/whoami");
  return res.body.activeSessionId;
}
