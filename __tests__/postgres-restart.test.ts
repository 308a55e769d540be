import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { ERROR_TABLE } from "../lib/errors.js";
import { csrfTokenIn, ROOT } from "./helpers.js";
import { startPostgresCluster, type PostgresCluster } from "./postgres-cluster.js";

// A cluster of its own, since this file stops and restarts it. synchronous_commit is on (the server's default), so
// a commit is in the WAL before it is acknowledged and `pg_ctl -m immediate` cannot take it back.
let cluster: PostgresCluster;
/** Apps still running, killed after the tests: an app a failed test left behind would keep jest from exiting. */
const apps = new Set<ChildProcess>();

beforeAll(async () => {
  cluster = await startPostgresCluster({ settings: { synchronous_commit: "on" } });
}, 180_000);

afterAll(() => {
  for (const child of apps) child.kill("SIGKILL");
  cluster?.stop();
});

/** The whole load, however slow the machine: the test fails, instead of hanging, when it runs out. */
const MAX_REQUESTS = 20_000;
const WORKERS = 3;

type Phase = "running" | "killed" | "restarted";

/** One answer of the app, with the phase the test was in when the request was sent. */
interface Answer {
  phase: Phase;
  label: string;
  status: number;
  code?: string;
  message?: string;
}

/** The package's app as a child process over `connectionString`, with a visitor's cookie and CSRF token. */
async function startApp(connectionString: string) {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "__tests__", "children", "postgres-app.mjs"), connectionString], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  apps.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  void exited.then(() => apps.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = /\{"port":(\d+)\}/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    void exited.then((code) => reject(new Error(`the app exited (${code}) before it listened:\n${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}/manage/sessions`;
  const page = await fetch(base);
  const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
  const token = csrfTokenIn(await page.text());
  const create = async (label: string) => {
    const res = await fetch(`${base}/create`, {
      method: "POST",
      headers: { cookie, "X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ label }),
      redirect: "manual",
    });
    // A create answers 201 with the session (JSON, since the request accepts it); a failure, `{ error }`.
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return { status: res.status, code: body.error?.code, message: body.error?.message };
  };
  return { child, exited, stderr: () => stderr, base, cookie, create };
}

/**
 * Creates sessions from a few concurrent workers, each with a label of its own, until `stop()` or MAX_REQUESTS.
 * `until()` resolves with the first answer that meets a condition.
 */
function runLoad(create: (label: string) => Promise<Omit<Answer, "phase" | "label">>, died: Promise<string>) {
  const answers: Answer[] = [];
  const waiters: { predicate: (answer: Answer) => boolean; resolve: (answer: Answer) => void; reject: (error: Error) => void }[] = [];
  let phase: Phase = "running";
  let sent = 0;
  let stopped = false;
  const fail = (error: Error) => {
    stopped = true;
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };
  void died.then((why) => fail(new Error(why)));
  const worker = async () => {
    while (!stopped && sent < MAX_REQUESTS) {
      const label = `load-${sent++}`;
      const at = phase;
      const answer = { phase: at, label, ...(await create(label).catch(() => ({ status: 0 }))) };
      answers.push(answer);
      for (const waiter of waiters.filter((w) => w.predicate(answer))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(answer);
      }
    }
    fail(new Error(`no such answer in ${sent} requests; the last: ${JSON.stringify(answers.slice(-3))}`));
  };
  const done = Promise.all(Array.from({ length: WORKERS }, worker));
  return {
    answers,
    enter: (next: Phase) => void (phase = next),
    until: (predicate: (answer: Answer) => boolean) => new Promise<Answer>((resolve, reject) => waiters.push({ predicate, resolve, reject })),
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe("createWorkflowStore({ connectionString })", () => {
  describe("when the PostgreSQL server is stopped (pg_ctl -m immediate) and restarted while requests run", () => {
    it("keeps the process alive, answers 503 'cannot be reached' meanwhile, recovers by itself and loses no acknowledged create", async () => {
      const app = await startApp(cluster.url);
      const load = runLoad(app.create, app.exited.then((code) => `the app died (exit code ${code}):\n${app.stderr()}`));
      try {
        await load.until((answer) => answer.status === 201 && answersCreated(load.answers) >= 20);
        await cluster.kill();
        load.enter("killed");
        await load.until((answer) => answer.phase === "killed" && answer.status === 503);
        await cluster.restart();
        load.enter("restarted");
        await load.until((answer) => answer.phase === "restarted" && answer.status === 201);
      } finally {
        await load.stop();
      }

      expect({ exitCode: app.child.exitCode, signal: app.child.signalCode, stderr: app.stderr() }).toEqual({ exitCode: null, signal: null, stderr: "" });
      const unexpected = load.answers.filter((answer) => answer.status !== 201 && answer.status !== 503);
      expect(unexpected).toEqual([]);
      const outage = load.answers.filter((answer) => answer.status === 503);
      expect(outage.length).toBeGreaterThan(0);
      for (const answer of outage) expect(answer).toMatchObject({ code: "store_unreachable", message: ERROR_TABLE.store_unreachable.message });
      expect(ERROR_TABLE.store_unreachable.message).toContain("cannot be reached");

      const acknowledged = load.answers.filter((answer) => answer.status === 201).map((answer) => answer.label);
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ label: string }>("SELECT label FROM workflow_state WHERE label = ANY($1)", [acknowledged]);
        expect(rows.map((row) => row.label).sort()).toEqual([...acknowledged].sort());
      } finally {
        await client.end();
      }
      expect((await fetch(app.base, { headers: { cookie: app.cookie } })).status).toBe(200);

      app.child.stdin!.write("exit\n");
      expect(await app.exited).toBe(0);
    }, 300_000);
  });
});

function answersCreated(answers: readonly Answer[]): number {
  return answers.filter((answer) => answer.status === 201).length;
}
