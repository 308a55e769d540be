import { jest } from "@jest/globals";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import request from "supertest";
import { ERROR_TABLE } from "../lib/errors.js";
import { backends, csrfTokenIn, FLOW, ROOT, rowIds, sqlite, tempDir } from "./helpers.js";

const BIN = join(ROOT, "dist", "lib", "cli", "main.js");
const running: ChildProcess[] = [];

// A test that fails while the server runs must not leave it running.
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** The command as a child process, as a user's shell runs it (`npm run build` first: it runs the compiled bin). */
function command(args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const check of waiters) check();
  });
  child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  /** Resolves with the first match of `pattern` in what the command printed; rejects if it exits first. */
  const printed = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout);
        if (match) resolve(match);
      };
      waiters.push(check);
      check();
      void exited.then((code) => reject(new Error(`the command exited (${code}) before printing ${pattern}:\n${stdout}\n${stderr}`)));
    });
  return {
    child,
    exited,
    printed,
    output: () => ({ stdout, stderr }),
    /** Starts serving and resolves with its URL, without the trailing slash. */
    url: async () => (await printed(/ at (http:\/\/\S+)\/\n/))[1]!,
  };
}

/** Serves `args` and resolves with the server's URL and the running command. */
async function serving(args: readonly string[]) {
  const run = command(["serve", ...args, "--port", "0"]);
  return { run, url: await run.url() };
}

/** Sends `signal` and resolves with the exit code once the command has exited. */
async function stop(run: ReturnType<typeof command>, signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
  run.child.kill(signal);
  return run.exited;
}

jest.setTimeout(120_000);

describe.each(backends)("express-workflow-sessions serve on $name", (backend) => {
  it("prints its URL, and without --flow / lists the database's flows with their session counts, each linking to its manager", async () => {
    const database = await backend.database("workflow_state.db");
    const store = await database.open();
    const { run, url } = await serving([database.location]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(url).get("/").expect(200).expect("Content-Type", /html/);
    const flows = [...res.text.matchAll(/<tr data-flow-id="([^"]+)">\s*<th scope="row"><a [^>]*href="([^"]+)">[^<]*<\/a><\/th>\s*<td[^>]*>(\d+)<\/td>/g)].map((m) => [m[1], m[2], Number(m[3])]);
    expect(flows).toEqual([
      [FLOW, `/flows/${FLOW}`, await store.countSessions(FLOW)],
      ["transcription", "/flows/transcription", await store.countSessions("transcription")],
    ]);
    expect(res.headers["content-security-policy"]).toBeDefined();
    expect(await stop(run)).toBe(0);
  });

  it("opens a flow's manager from its link, listing that flow's sessions; a flow without sessions is not found", async () => {
    const database = await backend.database("workflow_state.db");
    const store = await database.open();
    const { run, url } = await serving([database.location]);
    const page = await request(url).get(`/flows/${FLOW}`).expect(200);
    expect(rowIds(page.text)).toEqual((await store.listSessions(FLOW, { limit: 50 })).map((s) => s.sessionId));
    expect(page.text).toContain(`href="/flows/${FLOW}/assets/`);
    await request(url).get(`/flows/${FLOW}/list?sort=label&dir=asc`).set("HX-Request", "true").expect(200);
    await request(url).get("/flows/no_such_flow").expect(404);
    expect(await stop(run)).toBe(0);
  });

  it("renames a session through the page, and the database has the new label", async () => {
    const database = await backend.database("workflow_state.db");
    const store = await database.open();
    const [first] = await store.listSessions(FLOW, { limit: 1 });
    const { run, url } = await serving([database.location]);
    const agent = request.agent(url);
    const token = csrfTokenIn((await agent.get(`/flows/${FLOW}`).expect(200)).text);
    const res = await agent.post(`/flows/${FLOW}/rename`).type("form").send({ _csrf: token, session_id: first!.sessionId, label: "Renamed by serve" }).expect(303);
    expect(res.headers.location).toBe(`/flows/${FLOW}`);
    expect((await store.getSessionSummary(FLOW, first!.sessionId))?.label).toBe("Renamed by serve");
    expect(await stop(run)).toBe(0);
  });

  it("keeps visitors' sessions in the database: after a restart the same cookie and token still work", async () => {
    const database = await backend.database("workflow_state.db");
    const store = await database.open();
    const [first] = await store.listSessions(FLOW, { limit: 1 });
    const before = await serving([database.location]);
    const page = await request(before.url).get(`/flows/${FLOW}`).expect(200);
    const cookie = page.headers["set-cookie"]![0]!.split(";")[0]!;
    const token = csrfTokenIn(page.text);
    expect(await stop(before.run)).toBe(0);
    const after = await serving([database.location]);
    await request(after.url).post(`/flows/${FLOW}/rename`).set("Cookie", cookie).type("form").send({ _csrf: token, session_id: first!.sessionId, label: "After restart" }).expect(303);
    expect((await store.getSessionSummary(FLOW, first!.sessionId))?.label).toBe("After restart");
    expect(await stop(after.run, "SIGTERM")).toBe(0);
  });

  it("with --flow serves that flow's manager at /, and Resume goes to --workflow-url", async () => {
    const database = await backend.database("workflow_state.db");
    const store = await database.open();
    const [first] = await store.listSessions("transcription", { limit: 1 });
    const { run, url } = await serving([database.location, "--flow", "transcription", "--workflow-url", "http://localhost:8000/workflow"]);
    const agent = request.agent(url);
    const page = await agent.get("/").expect(200);
    expect(rowIds(page.text).length).toBe(await store.countSessions("transcription"));
    const res = await agent.post("/resume").type("form").send({ _csrf: csrfTokenIn(page.text), session_id: first!.sessionId }).expect(303);
    expect(res.headers.location).toBe("http://localhost:8000/workflow");
    expect(await stop(run)).toBe(0);
  });

  it("with --readonly shows the sessions without their controls and refuses every POST with 403, changing nothing", async () => {
    const database = await backend.database("workflow_state.db");
    const store = await database.open();
    const before = await store.listSessions(FLOW, {});
    const { run, url } = await serving([database.location, "--readonly"]);
    expect(run.output().stdout).toContain("(read-only)");
    const agent = request.agent(url);
    const page = await agent.get(`/flows/${FLOW}`).expect(200);
    expect(rowIds(page.text).length).toBe(before.length);
    expect(page.text).not.toMatch(/data-action="(create|rename|delete|resume)"/);
    const token = csrfTokenIn(page.text);
    for (const action of ["create", "rename", "delete", "resume"]) {
      const res = await agent.post(`/flows/${FLOW}/${action}`).type("form").send({ _csrf: token, session_id: before[0]!.sessionId, label: "x" }).expect(403);
      expect(res.text).toContain(ERROR_TABLE.read_only.message);
    }
    expect(await stop(run)).toBe(0);
    expect(await store.listSessions(FLOW, {})).toEqual(before);
  });
});

describe("express-workflow-sessions serve on a SQLite file", () => {
  it("exits 0 on Ctrl-C (SIGINT) and leaves the file consistent: no WAL left, integrity ok, and Python reads the rename", async () => {
    const database = await sqlite.database("workflow_state.db");
    const { run, url } = await serving([database.location]);
    const agent = request.agent(url);
    const token = csrfTokenIn((await agent.get(`/flows/${FLOW}`).expect(200)).text);
    const id = rowIds((await agent.get(`/flows/${FLOW}`)).text)[0]!;
    await agent.post(`/flows/${FLOW}/rename`).type("form").send({ _csrf: token, session_id: id, label: "Before Ctrl-C" }).expect(303);
    expect(await stop(run, "SIGINT")).toBe(0);
    expect(run.output().stdout).toContain("Stopped; the database is closed.");
    expect(existsSync(`${database.location}-wal`)).toBe(false);
    const db = new Database(database.location, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      expect((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)).toEqual([
        "ews_serve_settings",
        "ews_visitor_sessions",
        "workflow_state",
        "workflow_state_events",
        "workflow_state_pins",
        "workflow_state_tags",
        "workflow_state_trash",
      ]);
      expect(db.prepare("SELECT action, after_value FROM workflow_state_events WHERE session_id = ?").all(id)).toEqual([{ action: "rename", after_value: "Before Ctrl-C" }]);
    } finally {
      db.close();
    }
    const label = execFileSync(
      "python3",
      ["-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT label FROM workflow_state WHERE flow_session_key = ?', (sys.argv[2],)).fetchone()[0])", database.location, `${FLOW}:${id}`],
      { encoding: "utf8" },
    ).trim();
    expect(label).toBe("Before Ctrl-C");
  });

  it("with --readonly writes nothing to the file, not even the visitors' sessions", async () => {
    const database = await sqlite.database("workflow_state.db");
    const bytes = readFileSync(database.location);
    const { run, url } = await serving([database.location, "--readonly"]);
    await request(url).get(`/flows/${FLOW}`).expect(200);
    expect(await stop(run)).toBe(0);
    expect(readFileSync(database.location).equals(bytes)).toBe(true);
  });

  it("names its cookie after the database, so servers of two files on one host keep their own cookies", async () => {
    const [a, b] = [await sqlite.database("workflow_state.db"), await sqlite.database("workflow_state.db")];
    const cookieName = async (location: string) => {
      const { run, url } = await serving([location]);
      const name = (await request(url).get(`/flows/${FLOW}`).expect(200)).headers["set-cookie"]![0]!.split("=")[0];
      expect(await stop(run)).toBe(0);
      return name;
    };
    const first = await cookieName(a.location);
    expect(first).toMatch(/^ews\.[A-Za-z0-9_-]{10}$/);
    expect(await cookieName(a.location)).toBe(first);
    expect(await cookieName(b.location)).not.toBe(first);
  });

  it("exits 1 with one line when the port is taken", async () => {
    const database = await sqlite.database("workflow_state.db");
    const { run, url } = await serving([database.location]);
    const port = new URL(url).port;
    const second = command(["serve", database.location, "--port", port]);
    expect(await second.exited).toBe(1);
    expect(second.output().stderr).toMatch(/^express-workflow-sessions: port \d+ on 127\.0\.0\.1 is already in use; pick another with --port\.\n$/);
    expect(await stop(run)).toBe(0);
  });
});

describe("express-workflow-sessions exit code 2", () => {
  const dir = tempDir();
  const notDatabase = join(dir, "notes.txt");
  writeFileSync(notDatabase, "These are notes, not a database.\n".repeat(100));
  const empty = join(dir, "empty.db");
  writeFileSync(empty, "");
  const otherApp = join(dir, "other.db");
  new Database(otherApp).exec("CREATE TABLE users (id INTEGER PRIMARY KEY)").close();

  it.each([
    ["a missing file", ["serve", join(dir, "missing.db")], /missing\.db does not exist/],
    ["a file that is not a database", ["serve", notDatabase], /notes\.txt is not a SQLite database/],
    ["an empty file", ["serve", empty], /empty\.db is empty, not a cjm-workflow-state database/],
    ["a SQLite file without workflow_state", ["serve", otherApp], /other\.db is a SQLite database without a workflow_state table/],
    ["a folder", ["serve", dir], /is not a file/],
    ["no database", ["serve"], /Missing the database/],
    ["no command", [], /Missing the command/],
    ["an unknown command", ["open", "x.db"], /Unknown command "open"/],
    ["an unknown flag", ["serve", "x.db", "--colour"], /Unknown option '--colour'.*--help/],
    ["a bad port", ["serve", "x.db", "--port", "http"], /--port must be a number from 0 to 65535/],
    ["a flow id with a colon", ["serve", "x.db", "--flow", "a:b"], /--flow must be a flow id without ":"/],
    ["a PostgreSQL server that cannot be reached, naming it without its password", ["serve", "postgres://ada:hunter2@127.0.0.1:1/db"], /Could not reach .*postgres:\/\/ada:\*\*\*@127\.0\.0\.1:1\/db(?!.*hunter2)/],
  ])("for %s, with a one-line error", async (_case, args, message) => {
    const run = command(args);
    expect(await run.exited).toBe(2);
    const { stdout, stderr } = run.output();
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^express-workflow-sessions: [^\n]+\n$/);
    expect(stderr).toMatch(message);
  });

  it("leaves a SQLite file of another app untouched", async () => {
    const bytes = readFileSync(otherApp);
    expect(await command(["serve", otherApp]).exited).toBe(2);
    expect(readFileSync(otherApp).equals(bytes)).toBe(true);
  });
});

describe("express-workflow-sessions --help", () => {
  it.each(["--help", "-h", "serve --help"])("%s explains every flag and exits 0", async (line) => {
    const run = command(line.split(" "));
    expect(await run.exited).toBe(0);
    const { stdout } = run.output();
    expect(stdout).toMatch(/^Usage: express-workflow-sessions serve <database> \[options\]/);
    for (const flag of ["<database>", "--flow <id>", "--port <number>", "--host <address>", "--workflow-url <url>", "--readonly", "--help", "--version"]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain("ews_visitor_sessions");
  });

  it("--version prints the package's version", async () => {
    const run = command(["--version"]);
    expect(await run.exited).toBe(0);
    expect(run.output().stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});
