// `npm run bench`: builds files with 1,000, 10,000 and 100,000 sessions, then measures the session manager's page
// and list (first window, a sorted window, a deep window, a search) against a bare Express + better-sqlite3
// baseline, each server in its own process, over loopback. Latency comes from sequential requests (one at a time,
// so it is the cost of one request); throughput from autocannon with several connections. Prints a table and
// writes the same figures to bench/results.json.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { BENCH_FLOW, buildDatabase } from "./build-database.js";
import { BASELINE_SQL } from "./baseline-query.js";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..", "..");
const DATA = join(ROOT, "bench", "data");
const SIZES = (process.env.BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 8;
const SEQUENTIAL = 400;
const P = "/manage/sessions";

interface Figures {
  p50: number;
  p99: number;
  rps: number;
}

interface SizeResult {
  sessions: number;
  baselinePlan: string;
  baseline: Figures;
  ours: Record<string, Figures & { path: string }>;
  rssMb: { ours: number; baseline: number };
}

function targetsFor(size: number): Array<[name: string, path: string]> {
  const labelled = Math.floor(size / 2) + 2; // i % 3 !== 0, so it has a stored label
  return [
    ["page", P],
    ["list", `${P}/list`],
    ["list sorted", `${P}/list?sort=label&dir=asc`],
    ["list deep", `${P}/list?offset=${size - 50}`],
    ["list search", `${P}/list?q=${encodeURIComponent(`Lecture ${labelled}`)}`],
  ];
}

async function startServer(mode: "ours" | "baseline", file: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(here, "server.js"), mode, file], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once("exit", (code) => reject(new Error(`the ${mode} server exited with ${code}`)));
  });
  return { child, port };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function get(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`${path} answered ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(port: number, path: string): Promise<Figures> {
  // A fresh keep-alive connection per target: one left idle during autocannon would be closed by the server.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 50; i++) await get(agent, port, path); // warm-up
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = process.hrtime.bigint();
    await get(agent, port, path);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    warmup: { connections: CONNECTIONS, duration: 1 },
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { p50: percentile(times, 50), p99: percentile(times, 99), rps: result.requests.average };
}

function baselinePlan(file: string): string {
  const db = new Database(file, { readonly: true });
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${BASELINE_SQL}`).all(`${BENCH_FLOW}:`) as Array<{ detail: string }>).map((row) => row.detail).join("; ");
  db.close();
  if (/TEMP B-TREE/.test(plan)) throw new Error(`The baseline query sorts instead of walking an index: ${plan}`);
  return plan;
}

async function benchSize(size: number): Promise<SizeResult> {
  const file = join(DATA, `workflow_state_${size}.db`);
  const built = Date.now();
  await buildDatabase(file, size);
  process.stderr.write(`${size.toLocaleString("en-US")} sessions: file ready in ${((Date.now() - built) / 1000).toFixed(1)} s\n`);
  const plan = baselinePlan(file);

  const base = await startServer("baseline", file);
  let baseline: Figures;
  let baselineRss: number;
  try {
    baseline = await measure(base.port, "/baseline");
    baselineRss = rssMb(base.child.pid!);
  } finally {
    base.child.kill();
  }

  const ours = await startServer("ours", file);
  const figures: SizeResult["ours"] = {};
  let oursRss: number;
  try {
    for (const [name, path] of targetsFor(size)) {
      figures[name] = { path, ...(await measure(ours.port, path)) };
      process.stderr.write(`  ${name}: p50 ${figures[name]!.p50.toFixed(2)} ms\n`);
    }
    oursRss = rssMb(ours.child.pid!);
  } finally {
    ours.child.kill();
  }
  return { sessions: size, baselinePlan: plan, baseline, ours: figures, rssMb: { ours: oursRss, baseline: baselineRss } };
}

function table(results: SizeResult[]): string {
  const header = ["sessions", "endpoint", "p50 ms", "p99 ms", "req/s", "p50 ×base", "req/s ×base", "RSS MB"];
  const rows: string[][] = [];
  for (const r of results) {
    rows.push([r.sessions.toLocaleString("en-US"), "baseline (JSON)", r.baseline.p50.toFixed(2), r.baseline.p99.toFixed(2), r.baseline.rps.toFixed(0), "1.00", "1.00", r.rssMb.baseline.toFixed(0)]);
    for (const [name, f] of Object.entries(r.ours)) {
      rows.push(["", name, f.p50.toFixed(2), f.p99.toFixed(2), f.rps.toFixed(0), (f.p50 / r.baseline.p50).toFixed(2), (f.rps / r.baseline.rps).toFixed(2), name === "list search" ? r.rssMb.ours.toFixed(0) : ""]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(header), `| ${widths.map((w, i) => (i < 2 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

function checks(results: SizeResult[]) {
  const bySize = new Map(results.map((r) => [r.sessions, r]));
  const small = bySize.get(1000);
  const large = bySize.get(100000);
  const list: Array<{ target: string; value: string; ok: boolean }> = [];
  if (large) {
    const p50 = large.ours.list!.p50;
    list.push({ target: "p50 of GET /list at 100,000 ≤ 5 ms", value: `${p50.toFixed(2)} ms`, ok: p50 <= 5 });
    const deep = large.ours["list deep"]!.p50;
    list.push({ target: "deep window (offset 99,950) ≤ 2× the first window", value: `${(deep / p50).toFixed(2)}×`, ok: deep <= 2 * p50 });
  }
  if (small && large) {
    const ratio = large.ours.list!.p50 / small.ours.list!.p50;
    list.push({ target: "p50 of GET /list at 100,000 ≤ 1.5× at 1,000", value: `${ratio.toFixed(2)}×`, ok: ratio <= 1.5 });
    const growth = large.rssMb.ours - small.rssMb.ours;
    list.push({ target: "server RSS at 100,000 ≤ 30 MB above 1,000", value: `${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB`, ok: growth <= 30 });
  }
  for (const r of results) {
    const ratio = r.ours.list!.rps / r.baseline.rps;
    list.push({ target: `GET /list throughput ≥ 0.5× baseline at ${r.sessions.toLocaleString("en-US")}`, value: `${ratio.toFixed(2)}×`, ok: ratio >= 0.5 });
  }
  return list;
}

async function main() {
  mkdirSync(DATA, { recursive: true });
  const started = Date.now();
  const results: SizeResult[] = [];
  for (const size of SIZES) results.push(await benchSize(size));
  const targets = checks(results);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "", node: process.version, platform: `${os.platform()} ${os.arch()}` };
  console.log(`\nexpress-workflow-sessions bench: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}`);
  console.log(`latency: ${SEQUENTIAL} sequential requests after 50 warm-up; throughput: autocannon, ${CONNECTIONS} connections, ${SECONDS} s after 1 s warm-up\n`);
  console.log(table(results));
  console.log(`\nbaseline plan: ${results[0]?.baselinePlan}\n`);
  for (const t of targets) console.log(`${t.ok ? "PASS" : "FAIL"}  ${t.target}: ${t.value}`);
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${seconds.toFixed(0)} s in all`);
  writeFileSync(join(ROOT, "bench", "results.json"), `${JSON.stringify({ date: new Date().toISOString(), machine, connections: CONNECTIONS, seconds: SECONDS, sequential: SEQUENTIAL, results, targets }, null, 2)}\n`);
}

await main();
