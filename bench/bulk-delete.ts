// The bulk-delete scenario of `npm run bench` (issue 12): a flow of BULK_SESSIONS (default 100,000) sessions, one
// visitor deletes all of them at once (`POST delete` with `all_matching=1`, moved to the trash in chunks of 500, one
// transaction each), while another visitor loads the list's first window over and over. Prints the time the delete
// takes, the other visitor's p50, p99 and worst latency during it, then the same for the Undo (restore of that
// delete's batch); on SQLite and, when run.ts started a cluster, PostgreSQL. Each server runs in its own process, as
// in run.ts. Also runnable alone: `node dist/bench/bulk-delete.js` (SQLite only).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDatabase } from "./build-database.js";
import { loadPostgres } from "./postgres.js";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..", "..");
const DATA = join(ROOT, "bench", "data");
const P = "/manage/sessions";
const SESSIONS = Number(process.env.BULK_SESSIONS ?? 100_000);

/** What one database's run measured. */
export interface BulkDeleteFigures {
  sessions: number;
  /** Seconds from sending the delete to its answer. */
  deleteSeconds: number;
  /** The other visitor's list latency during the delete, in ms. */
  during: Latencies;
  /** Seconds the Undo (restore of the whole batch) took. */
  undoSeconds: number;
  /** The other visitor's list latency during the Undo, in ms. */
  duringUndo: Latencies;
  /** The notice the delete answered with. */
  notice: string;
}

/** The other visitor's list latencies during one action, in ms, and the server's longest event-loop block meanwhile. */
interface Latencies {
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** The longest the server's event loop was blocked during the action (monitorEventLoopDelay), in ms. */
  loopMaxMs: number;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: body === undefined ? headers : { ...headers, "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A visitor: its cookie and CSRF token, from one load of the page. */
async function visit(port: number): Promise<Record<string, string>> {
  const page = await request(port, "GET", P);
  const cookie = String(page.headers["set-cookie"]?.[0] ?? "").split(";")[0]!;
  const token = /<meta name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1] ?? "";
  return { cookie, "x-csrf-token": token };
}

function startServer(database: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(here, "server.js"), "ours", database], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (chunk: Buffer) => resolve({ child, port: JSON.parse(chunk.toString()).port }));
    child.once("exit", (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** Runs `action` while another visitor loads the list back to back; returns its seconds and the visitor's latencies. */
async function whileListing(port: number, other: Record<string, string>, action: () => Promise<Answer>) {
  let done = false;
  const started = performance.now();
  const latencies: number[] = [];
  const listing = (async () => {
    while (!done) {
      const t0 = performance.now();
      await request(port, "GET", `${P}/list`, { ...other, "hx-request": "true" });
      latencies.push(performance.now() - t0);
      if (process.env.BULK_DEBUG && performance.now() - t0 > 40) console.error(`slow ${(performance.now() - t0).toFixed(1)} ms at ${((t0 - started) / 1000).toFixed(2)} s, request ${latencies.length}`);
    }
  })();
  await request(port, "GET", "/bench/loop"); // resets the server's maximum
  const t0 = performance.now();
  const answer = await action();
  const seconds = (performance.now() - t0) / 1000;
  done = true;
  await listing;
  const loopMaxMs = JSON.parse((await request(port, "GET", "/bench/loop")).body).maxMs as number;
  const sorted = latencies.sort((a, b) => a - b);
  return { answer, seconds, during: { samples: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0, loopMaxMs } };
}

async function measure(database: string, sessions: number): Promise<BulkDeleteFigures> {
  const { child, port } = await startServer(database);
  try {
    const deleter = await visit(port);
    const other = await visit(port);
    // Warm the other visitor's list, as in run.ts.
    for (let i = 0; i < 20; i++) await request(port, "GET", `${P}/list`, { ...other, "hx-request": "true" });
    const deleted = await whileListing(port, other, () => request(port, "POST", `${P}/delete`, { ...deleter, "hx-request": "true" }, "all_matching=1&q="));
    if (deleted.answer.status !== 200) throw new Error(`the delete answered ${deleted.answer.status}: ${deleted.answer.body.slice(0, 300)}`);
    const notice = /data-kind="success"[\s\S]*?<span>([^<]*)<\/span>/.exec(deleted.answer.body)?.[1] ?? "";
    const batch = /name="batch" value="([^"]+)"/.exec(deleted.answer.body)?.[1];
    if (!batch) throw new Error("the delete's notice has no Undo batch");
    const undone = await whileListing(port, other, () => request(port, "POST", `${P}/restore`, { ...deleter, "hx-request": "true" }, `batch=${batch}`));
    if (undone.answer.status !== 200) throw new Error(`the Undo answered ${undone.answer.status}: ${undone.answer.body.slice(0, 300)}`);
    return { sessions, deleteSeconds: deleted.seconds, during: deleted.during, undoSeconds: undone.seconds, duringUndo: undone.during, notice: notice.replace(/&#(\d+);/g, (_, c: string) => String.fromCodePoint(Number(c))) };
  } finally {
    child.kill("SIGTERM");
  }
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

function line(name: string, f: BulkDeleteFigures): string {
  return [
    `${name}: delete all ${f.sessions.toLocaleString("en-US")} matching in ${f.deleteSeconds.toFixed(2)} s (“${f.notice}”);`,
    `  another visitor's list during it: p50 ${ms(f.during.p50)}, p99 ${ms(f.during.p99)}, worst ${ms(f.during.max)} (${f.during.samples} requests); the server's event loop blocked at most ${ms(f.during.loopMaxMs)}`,
    `  Undo (restore the batch) in ${f.undoSeconds.toFixed(2)} s; the other visitor meanwhile: p50 ${ms(f.duringUndo.p50)}, p99 ${ms(f.duringUndo.p99)}, worst ${ms(f.duringUndo.max)} (${f.duringUndo.samples} requests); event loop blocked at most ${ms(f.duringUndo.loopMaxMs)}`,
  ].join("\n");
}

/**
 * The bulk-delete bench: on SQLite, and on PostgreSQL when `postgresUrl` (a server's superuser URL) is given. Prints
 * its figures and writes them to bench/bulk-delete-results.json.
 */
export async function benchBulkDelete({ postgresUrl, sessions = SESSIONS }: { postgresUrl?: string | undefined; sessions?: number } = {}): Promise<Record<string, BulkDeleteFigures>> {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, `bulk-delete-${sessions}.db`);
  await buildDatabase(file, sessions);
  const figures: Record<string, BulkDeleteFigures> = { sqlite: await measure(file, sessions) };
  if (postgresUrl) figures.postgres = await measure(await loadPostgres(postgresUrl, file, sessions), sessions);
  console.log(`\nBulk delete (issue 12): all matching in chunks of at most 500 rows sized to take about 5 ms, one transaction each, with a pause as long after each`);
  for (const [name, f] of Object.entries(figures)) console.log(line(name === "sqlite" ? "SQLite" : "PostgreSQL", f));
  const target = (f: BulkDeleteFigures) => f.during.max <= 50;
  for (const [name, f] of Object.entries(figures)) {
    console.log(`${target(f) ? "PASS" : "FAIL"}  no other request blocked > 50 ms during the delete of ${sessions.toLocaleString("en-US")} (${name}): worst ${ms(f.during.max)}, p99 ${ms(f.during.p99)}`);
    // The visitor's worst wait also holds its own work and any wait for a core; the loop's block is the delete's alone.
    const loop = Math.max(f.during.loopMaxMs, f.duringUndo.loopMaxMs);
    console.log(`${loop <= 50 ? "PASS" : "FAIL"}  the server's event loop never blocked > 50 ms during the delete and its Undo (${name}): at most ${ms(loop)}`);
  }
  writeFileSync(join(ROOT, "bench", "bulk-delete-results.json"), `${JSON.stringify({ date: new Date().toISOString(), figures }, null, 2)}\n`);
  return figures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchBulkDelete();
