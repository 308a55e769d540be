#!/usr/bin/env node
// npm run load: 50 virtual users mix list, create, rename, delete and resume against the manager over SQLite for
// 20 s, then the database is checked against every acknowledged request. Then the crash variant: the server is
// SIGKILLed mid-load and restarted, and the file must pass PRAGMA integrity_check and hold every acknowledged create.
//
//   node scripts/load.mjs [--duration=20] [--connections=50] [--crash-duration=10] [--baseline-duration=5]
//                         [--only=load|crash] [--json]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const P = "/manage/sessions";
const FLOW = "load_flow";
export const FLOW_ID = FLOW;
const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? "true"]));
const DURATION_S = Number(args.duration ?? 20);
const CONNECTIONS = Number(args.connections ?? 50);
const CRASH_DURATION_S = Number(args["crash-duration"] ?? 10);
const BASELINE_S = Number(args["baseline-duration"] ?? 5);

function startServer(file) {
  const child = spawn(process.execPath, [join(ROOT, "scripts", "load-server.mjs"), file], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const port = new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line).port);
    });
    child.on("exit", () => reject(new Error("the load server exited before listening")));
  });
  return { child, port, exited };
}

function request(port, agent, { method = "GET", path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request({ host: "127.0.0.1", port, agent, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      res.on("close", () => res.complete || reject(new Error("the response was cut off")));
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

/** One virtual user: an owner with its own cookie, keeping a model of what the server acknowledged. */
class User {
  constructor(index, port, stats) {
    this.name = `user-${index}`;
    this.port = port;
    this.stats = stats;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.live = new Map(); // id -> expected label (acknowledged)
    this.deleted = new Set(); // ids whose delete was acknowledged
    this.deleteAttempted = new Set(); // ids, by create label, whose delete was sent
    this.createdLabels = []; // labels of acknowledged creates
    this.idToCreateLabel = new Map();
    this.creates = 0;
    this.renames = 0;
  }

  async send(options, expected) {
    const headers = { "X-Load-User": this.name, ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.token ? { "X-CSRF-Token": this.token } : {}), ...options.headers };
    const res = await request(this.port, this.agent, { ...options, headers });
    this.stats.latencies.push(res.ms);
    this.stats.requests++;
    if (res.status !== expected) {
      this.stats.errors++;
      if (this.stats.errorSamples.length < 5) this.stats.errorSamples.push(`${options.method ?? "GET"} ${options.path} → ${res.status} ${res.text.slice(0, 160)}`);
      return undefined;
    }
    return res;
  }

  form(path, fields) {
    return { method: "POST", path, headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() };
  }

  async start() {
    const res = await this.send({ path: P }, 200);
    this.cookie = String(res.headers["set-cookie"][0]).split(";")[0];
    this.token = /<meta name="csrf-token" content="([^"]+)"/.exec(res.text)[1];
  }

  async active() {
    const res = await this.send({ path: "/active" }, 200);
    return res && JSON.parse(res.text).activeSessionId;
  }

  learn(id) {
    if (id && !this.live.has(id) && !this.deleted.has(id)) this.live.set(id, null); // a fresh session made by delete
  }

  async step(random) {
    const ids = [...this.live.keys()];
    const roll = random();
    if (ids.length === 0 || roll < 0.2) {
      const label = `${this.name}-c${this.creates++}`;
      if (await this.send(this.form(`${P}/create`, { label }), 303)) {
        this.createdLabels.push(label);
        const id = await this.active();
        if (id) {
          this.live.set(id, label);
          this.idToCreateLabel.set(id, label);
        }
      }
      return;
    }
    const id = ids[Math.floor(random() * ids.length)];
    if (roll < 0.5) {
      await this.send({ path: `${P}/list` }, 200);
    } else if (roll < 0.7) {
      const label = `${this.idToCreateLabel.get(id) ?? `${this.name}-fresh`}-r${this.renames++}`;
      if (await this.send(this.form(`${P}/rename`, { session_id: id, label }), 303)) this.live.set(id, label);
    } else if (roll < 0.85) {
      this.deleteAttempted.add(id);
      if (await this.send(this.form(`${P}/delete`, { session_id: id }), 303)) {
        this.live.delete(id);
        this.deleted.add(id);
        this.learn(await this.active());
      }
    } else {
      await this.send(this.form(`${P}/resume`, { session_id: id }), 303);
    }
  }
}

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function drive(port, { durationMs, connections, onHalfway, baseline = false }) {
  const stats = { requests: 0, errors: 0, latencies: [], errorSamples: [], crashed: 0 };
  const users = Array.from({ length: connections }, (_, i) => new User(i, port, stats));
  await Promise.all(users.map((user) => user.start()));
  const started = Date.now();
  const deadline = started + durationMs;
  let halfway = onHalfway && setTimeout(onHalfway, durationMs / 2);
  await Promise.all(
    users.map(async (user, i) => {
      const random = prng(1000 + i);
      while (Date.now() < deadline) {
        try {
          if (baseline) await user.send({ path: "/active" }, 200);
          else await user.step(random);
        } catch (error) {
          if (!onHalfway) throw error;
          stats.crashed++; // the server is gone: this request's outcome is unknown
          return;
        }
      }
    }),
  );
  if (halfway) clearTimeout(halfway);
  const seconds = (Date.now() - started) / 1000;
  for (const user of users) user.agent.destroy();
  const sorted = [...stats.latencies].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { users, stats, seconds, rps: stats.requests / seconds, p50: pct(50), p99: pct(99) };
}

function ownedRows(file) {
  const db = new Database(file, { readonly: true });
  const integrity = db.pragma("integrity_check", { simple: true });
  const rows = db.prepare("SELECT flow_session_key, label, owner FROM workflow_state WHERE flow_session_key >= ? AND flow_session_key < ?").all(`${FLOW}:`, `${FLOW};`);
  db.close();
  const byOwner = new Map();
  for (const row of rows) {
    if (!byOwner.has(row.owner)) byOwner.set(row.owner, new Map());
    byOwner.get(row.owner).set(row.flow_session_key.slice(FLOW.length + 1), row.label);
  }
  return { integrity, byOwner, total: rows.length };
}

/** Every acknowledged create and rename is there, no acknowledged delete came back, and nothing else exists. */
export function checkExact(users, file) {
  const { integrity, byOwner, total } = ownedRows(file);
  const problems = [];
  let lostCreates = 0, lostRenames = 0, resurrected = 0, unexpected = 0;
  for (const user of users) {
    const rows = byOwner.get(user.name) ?? new Map();
    for (const [id, label] of user.live) {
      if (!rows.has(id)) (lostCreates++, problems.push(`${user.name}: acknowledged session ${id} is missing`));
      else if (rows.get(id) !== label) (lostRenames++, problems.push(`${user.name}: ${id} is labelled ${rows.get(id)}, expected ${label}`));
    }
    for (const id of user.deleted) if (rows.has(id)) (resurrected++, problems.push(`${user.name}: deleted session ${id} came back`));
    for (const id of rows.keys()) if (!user.live.has(id) && !user.deleted.has(id)) (unexpected++, problems.push(`${user.name}: unexpected session ${id}`));
  }
  return { integrity, rows: total, lostCreates, lostRenames, resurrected, unexpected, problems: problems.slice(0, 10) };
}

/** After a crash: the file is intact and every acknowledged create is there, unless a delete of it was sent. */
export function checkAfterCrash(users, file) {
  const { integrity, byOwner, total } = ownedRows(file);
  const problems = [];
  let acknowledgedCreates = 0, lostCreates = 0, resurrected = 0;
  for (const user of users) {
    const labels = [...(byOwner.get(user.name) ?? new Map()).values()].filter(Boolean);
    const ids = byOwner.get(user.name) ?? new Map();
    const deletedLabels = new Set([...user.deleteAttempted].map((id) => user.idToCreateLabel.get(id)));
    for (const label of user.createdLabels) {
      acknowledgedCreates++;
      if (deletedLabels.has(label)) continue;
      if (!labels.some((l) => l === label || l.startsWith(`${label}-r`))) (lostCreates++, problems.push(`${user.name}: acknowledged create ${label} is missing`));
    }
    for (const id of user.deleted) if (ids.has(id)) (resurrected++, problems.push(`${user.name}: deleted session ${id} came back`));
  }
  return { integrity, rows: total, acknowledgedCreates, lostCreates, resurrected, problems: problems.slice(0, 10) };
}

async function loadRun(dir) {
  const file = join(dir, "load.db");
  const server = startServer(file);
  const port = await server.port;
  // Baseline, same server, same connections: GET /active, which is Express and express-session and nothing of ours.
  const base = await drive(port, { durationMs: BASELINE_S * 1000, connections: CONNECTIONS, baseline: true });
  const result = await drive(port, { durationMs: DURATION_S * 1000, connections: CONNECTIONS });
  server.child.kill("SIGTERM");
  await server.exited;
  const check = checkExact(result.users, file);
  const baseline = { requests: base.stats.requests, rps: base.rps, p50: base.p50, p99: base.p99, errors: base.stats.errors };
  return { baseline, requests: result.stats.requests, seconds: result.seconds, rps: result.rps, p50: result.p50, p99: result.p99, errors: result.stats.errors, errorSamples: result.stats.errorSamples, ...check };
}

async function crashRun(dir) {
  const file = join(dir, "crash.db");
  const server = startServer(file);
  const port = await server.port;
  const result = await drive(port, { durationMs: CRASH_DURATION_S * 1000, connections: CONNECTIONS, onHalfway: () => server.child.kill("SIGKILL") });
  const { signal } = await server.exited;
  const restarted = startServer(file);
  const restartedPort = await restarted.port;
  const probe = await request(restartedPort, undefined, { path: `${P}/list`, headers: { "X-Load-User": "user-0" } });
  restarted.child.kill("SIGTERM");
  await restarted.exited;
  const check = checkAfterCrash(result.users, file);
  return { killedBy: signal, requestsBeforeKill: result.stats.requests, inFlightAtKill: result.stats.crashed, errorsBeforeKill: result.stats.errors, restartedListStatus: probe.status, ...check };
}

async function main() {
const dir = mkdtempSync(join(tmpdir(), "ews-load-"));
try {
  const report = {};
  if (args.only !== "crash") report.load = await loadRun(dir);
  if (args.only !== "load") report.crash = await crashRun(dir);
  if (args.json) console.log(JSON.stringify(report));
  else {
    if (report.load) {
      const l = report.load;
      const b = l.baseline;
      console.log(`baseline (GET /active: Express + express-session only): ${b.rps.toFixed(0)} req/s, p50 ${b.p50.toFixed(1)} ms, p99 ${b.p99.toFixed(1)} ms, ${b.errors} errors`);
      console.log(`load: ${CONNECTIONS} connections for ${l.seconds.toFixed(1)} s — ${l.requests} requests, ${l.rps.toFixed(0)} req/s, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, ${l.errors} errors`);
      console.log(`  database: ${l.rows} sessions, integrity ${l.integrity}; lost creates ${l.lostCreates}, lost renames ${l.lostRenames}, deleted sessions back ${l.resurrected}, unexpected ${l.unexpected}`);
      for (const line of [...l.errorSamples, ...l.problems]) console.log(`  ! ${line}`);
    }
    if (report.crash) {
      const c = report.crash;
      console.log(`crash: SIGKILL after ${c.requestsBeforeKill} requests (${c.inFlightAtKill} in flight), restart answered ${c.restartedListStatus}`);
      console.log(`  database: integrity ${c.integrity}; ${c.acknowledgedCreates} acknowledged creates, ${c.lostCreates} lost; deleted sessions back ${c.resurrected}; errors before the kill ${c.errorsBeforeKill}`);
      for (const line of c.problems) console.log(`  ! ${line}`);
    }
  }
  const bad =
    (report.load && (report.load.errors || report.load.lostCreates || report.load.lostRenames || report.load.resurrected || report.load.unexpected || report.load.integrity !== "ok")) ||
    (report.crash && (report.crash.lostCreates || report.crash.resurrected || report.crash.integrity !== "ok" || report.crash.errorsBeforeKill || report.crash.restartedListStatus !== 200));
  process.exitCode = bad ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
