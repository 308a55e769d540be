// `npm run bench`: builds files with 1,000, 10,000 and 100,000 sessions, then measures the session manager's page
// and list (first window, a sorted window, a deep window, a search, a broad search at a deep offset, and the first
// window while 20 clients run that broad search back to back) against a bare Express + better-sqlite3
// baseline, each server in its own process, over loopback. Then the same on PostgreSQL: a throwaway cluster (the
// tests' helper), one database per size loaded with the same rows, the store opened with `connectionString`, and a
// bare Express + `pg` baseline. Latency comes from sequential requests (one at a time, so it is the cost of one
// request); throughput from autocannon with several connections. Requests carry a visitor's session cookie, as a
// browser's do; the first window is also measured with the enrichment cache off. The throughput target is judged on
// paired rounds (the baseline, then the list, three times), since the machine's load drifts between measurements. Prints a table per database and writes the same
// figures to bench/results.json. BENCH_SIZES, BENCH_SECONDS and BENCH_DATABASES (default `sqlite,postgres`) narrow it.
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { rssMb, startBenchServer, type BenchServer } from "./bench-server.js";
import Database from "better-sqlite3";
import { BENCH_FLOW, BENCH_TAGS, BROAD_SEARCH, benchLabel, buildDatabase } from "./build-database.js";
import { BASELINE_SQL } from "./baseline-query.js";
import { benchExport, exportTable, type ExportFigures } from "./export.js";
import { benchBulkDelete } from "./bulk-delete.js";
import { loadPostgres, postgresBaselinePlan, postgresVersion, startPostgresCluster, type PostgresCluster } from "./postgres.js";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..", "..");
const DATA = join(ROOT, "bench", "data");
const SIZES = (process.env.BENCH_SIZES ?? "1000,10000,100000,1000000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const DATABASE_NAMES = { sqlite: "SQLite", postgres: "PostgreSQL" } as const;
type DatabaseKind = keyof typeof DATABASE_NAMES;
const DATABASES = (process.env.BENCH_DATABASES ?? "sqlite,postgres").split(",").map((name) => name.trim().toLowerCase());
for (const name of DATABASES) {
  if (!(name in DATABASE_NAMES)) throw new Error(`BENCH_DATABASES: unknown database ${JSON.stringify(name)}; use sqlite, postgres or both`);
}
const CONNECTIONS = 8;
const PAIRED_ROUNDS = 3;
const PAIRED_SECONDS = 2;
const SEQUENTIAL = 400;
/** The sequential phase ends after this long even before SEQUENTIAL requests (but not before 20). */
const SEQUENTIAL_MS = 5000;
const P = "/manage/sessions";
/** The name of the first window measured with the enrichment cache off. */
const UNCACHED = "list, no enrich cache";
/** A search that matches half of the flow, at a deep offset (past the search cap, so the last window it reaches). */
const BROAD = "list broad search, deep";
/** The first window, sequentially, while {@link BROAD_CLIENTS} clients request {@link BROAD} back to back. */
const UNDER_SEARCHES = "list during 20 broad searches";
const BROAD_CLIENTS = 20;

interface Figures {
  p50: number;
  p99: number;
  rps: number;
  /** Sequential requests behind p50 and p99. */
  samples: number;
  /** The longest the server's event loop was blocked during the warm-up and sequential phases (monitorEventLoopDelay). */
  loopMaxMs?: number;
}

/** The rows of issue 15, each measured for latency only (sequential requests), after the list's landmarks are built. */
const FIRST = "list";
const NEXT_BY_KEY = "next window by key (at 50 %)";
const JUMPS = [0.25, 0.5, 0.75] as const;
const jumpName = (share: number) => `jump to ${share * 100} %`;
const SEARCH_SHARES = [0.001, 0.05, 0.5] as const;
const searchName = (share: number) => `search ${share * 100} %, deep`;
/** Issue 14's rows: the list filtered by a tag on 1 % and on 50 % of the flow, at a deep offset, newest first and by label. */
const TAG_ROWS = Object.entries(BENCH_TAGS).flatMap(([tag, share]) =>
  (["updated", "label"] as const).map((sort) => ({ tag, share, sort, name: `tag ${share * 100} %, deep${sort === "label" ? ", by label" : ""}` })),
);
/** Label prefixes of the bench's labels (`Lecture <i>`, `Seminar <i>`); each size uses those whose share is nearest. */
const SEARCH_CANDIDATES = ["lecture", "seminar", "lecture 1", "seminar 1", "lecture 2", "lecture 10", "seminar 10", "lecture 12", "lecture 100", "seminar 100", "lecture 1000", "lecture 10000", "lecture 100000"];

/** For each wanted share, the candidate search whose share of the bench flow is nearest (by ratio), and its matches. */
function searchesFor(size: number): Array<{ share: number; search: string; matches: number }> {
  const labels = Array.from({ length: size }, (_, i) => benchLabel(i)?.toLowerCase() ?? null);
  const counted = SEARCH_CANDIDATES.map((search) => ({ search, matches: labels.reduce((n, label) => n + (label !== null && label.startsWith(search) ? 1 : 0), 0) }));
  return SEARCH_SHARES.map((share) => {
    const distance = (matches: number) => Math.abs(Math.log(Math.max(matches, 1) / (share * size)));
    const best = counted.reduce((a, b) => (distance(b.matches) < distance(a.matches) ? b : a));
    return { share, ...best };
  });
}

interface DatabaseResult {
  baselinePlan: string;
  baseline: Figures;
  ours: Record<string, Figures & { path: string }>;
  /** GET /list req/s over the baseline's, from rounds that measure the two one after the other; `median` counts. */
  listThroughputRatio: { rounds: number[]; median: number };
  rssMb: { ours: number; baseline: number };
  /** Seconds to build the SQLite file (0 when an existing one was reused) or to load the PostgreSQL database. */
  loadSeconds: number;
}

interface SizeResult {
  sessions: number;
  sqlite?: DatabaseResult;
  postgres?: DatabaseResult;
}

// Servers still running and the PostgreSQL cluster, stopped on every way out: the end, an error, Ctrl-C.
const children = new Set<ChildProcess>();
let cluster: PostgresCluster | undefined;
process.once("exit", () => {
  for (const child of children) child.kill();
  cluster?.stop(); // synchronous and idempotent
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers${cluster ? " and the PostgreSQL cluster" : ""}\n`);
    process.exit(130);
  });
}

function targetsFor(size: number): Array<[name: string, path: string]> {
  const labelled = Math.floor(size / 2) + 2; // i % 3 !== 0, so it has a stored label
  return [
    ["page", P],
    ["list", `${P}/list`],
    ["list sorted", `${P}/list?sort=label&dir=asc`],
    ["list deep", `${P}/list?offset=${size - 50}`],
    ["list search", `${P}/list?q=${encodeURIComponent(`Lecture ${labelled}`)}`],
    [BROAD, broadSearchPath(size)],
  ];
}

function broadSearchPath(size: number): string {
  return `${P}/list?q=${BROAD_SEARCH}&offset=${Math.floor(size / 4)}`;
}

/**
 * Another visitor's first window, measured as {@link measure} does (sequential requests, p50 and p99), while
 * {@link BROAD_CLIENTS} clients, each on its own connection, request the broad deep search back to back.
 */
async function measureUnderSearches(port: number, size: number, headers: Record<string, string>): Promise<Figures & { searches: number }> {
  let running = true;
  let searches = 0;
  const clients = Array.from({ length: BROAD_CLIENTS }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (running) {
      await get(agent, port, broadSearchPath(size), headers);
      searches++;
    }
    agent.destroy();
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < 20; i++) await get(agent, port, `${P}/list`, headers); // warm-up, the searches running
    const until = Date.now() + SEQUENTIAL_MS;
    for (let i = 0; i < SEQUENTIAL && (i < 20 || Date.now() < until); i++) {
      const start = process.hrtime.bigint();
      await get(agent, port, `${P}/list`, headers);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    running = false;
    agent.destroy();
    await Promise.all(clients);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), rps: 0, samples: times.length, searches };
}

async function startServer(mode: "ours" | "ours-uncached" | "baseline", database: string): Promise<BenchServer> {
  const server = await startBenchServer(mode, database);
  children.add(server.child);
  server.child.once("exit", () => children.delete(server.child));
  return server;
}

function get(agent: http.Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent, headers }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`${path} answered ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The session cookie a browser holds after its first visit to the page, so measured requests are a returning
 * visitor's, as every list request in a browser is (without it, each request would start, sign and store a new
 * express-session, and the store would grow with the number of requests).
 */
function visitorCookie(port: number, path: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        res.resume();
        const cookie = res.headers["set-cookie"]?.[0]?.split(";")[0];
        res.on("end", () => (cookie ? resolve({ cookie }) : reject(new Error(`${path} set no session cookie`))));
      })
      .on("error", reject);
  });
}

async function measure(port: number, path: string, headers: Record<string, string> = {}, { latencyOnly = false } = {}): Promise<Figures> {
  await loopMax(port); // resets the server's maximum
  // A fresh keep-alive connection per target: one left idle during autocannon would be closed by the server.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  // Warm-up and sequential phase each stop early after a few seconds, so a slow endpoint cannot stretch the run.
  const warmUntil = Date.now() + 2000;
  for (let i = 0; i < 50 && Date.now() < warmUntil; i++) await get(agent, port, path, headers); // warm-up
  const times: number[] = [];
  const sequentialUntil = Date.now() + SEQUENTIAL_MS;
  for (let i = 0; i < SEQUENTIAL && (i < 20 || Date.now() < sequentialUntil); i++) {
    const start = process.hrtime.bigint();
    await get(agent, port, path, headers);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const loopMaxMs = await loopMax(port);
  const rps = latencyOnly ? 0 : await throughput(port, path, headers, SECONDS);
  return { p50: percentile(times, 50), p99: percentile(times, 99), rps, samples: times.length, ...(loopMaxMs === undefined ? {} : { loopMaxMs }) };
}

/** The server's longest event-loop block since the last call (which resets it); `undefined` for the baseline. */
async function loopMax(port: number): Promise<number | undefined> {
  const text = await getText(port, "/bench/loop").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { maxMs: number }).maxMs;
}

function getText(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path} answered ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

/**
 * Issue 15's rows: jumps, the next window by key, deep searches of three shares. Each path is requested once and
 * the server's landmark walks awaited first, so the figures are the steady state (the first deep request of a path
 * waits for its walk once; its event-loop blocks count in the first row measured after it).
 */
async function measureLargeListRows(port: number, size: number, headers: Record<string, string>): Promise<Record<string, Figures & { path: string }>> {
  const figures: Record<string, Figures & { path: string }> = {};
  const paths: Array<[string, string]> = JUMPS.map((share) => [jumpName(share), `${P}/list?offset=${Math.floor(size * share)}`]);
  for (const { share, search, matches } of searchesFor(size)) {
    paths.push([searchName(share), `${P}/list?q=${encodeURIComponent(search)}&offset=${Math.floor(matches / 2)}`]);
  }
  for (const { tag, share, sort, name } of TAG_ROWS) paths.push([name, `${P}/list?tag=${tag}&sort=${sort}&offset=${Math.floor((size * share) / 2)}`]);
  await loopMax(port);
  for (const [, path] of paths) await getText(port, path, headers);
  await getText(port, "/bench/landmarks");
  const buildLoopMax = await loopMax(port);
  process.stderr.write(`  landmarks built; event loop max meanwhile ${buildLoopMax?.toFixed(1)} ms\n`);
  // The next window after the 50 % jump, by the anchor that window's HTML carries, as the client sends it.
  const half = Math.floor(size * 0.5);
  const html = await getText(port, `${P}/list?offset=${half}`, headers);
  const anchor = /data-anchor-last="([^"]*)"/.exec(html)?.[1];
  const rows: Array<[string, string]> = [...paths.slice(0, JUMPS.length)];
  if (anchor) rows.splice(1, 0, [NEXT_BY_KEY, `${P}/list?offset=${half + 50}&after=${encodeURIComponent(anchor)}`]);
  rows.push(...paths.slice(JUMPS.length));
  for (const [name, path] of rows) {
    figures[name] = { path, ...(await measure(port, path, headers, { latencyOnly: true })) };
    process.stderr.write(`  ${name}: p50 ${figures[name]!.p50.toFixed(2)} ms, loop max ${figures[name]!.loopMaxMs?.toFixed(1)} ms\n`);
  }
  return figures;
}

/** Requests per second from autocannon with {@link CONNECTIONS} connections, after a 1 s warm-up. */
async function throughput(port: number, path: string, headers: Record<string, string>, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
    warmup: { connections: CONNECTIONS, duration: 1 },
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * The list's throughput over the baseline's, measured in {@link PAIRED_ROUNDS} rounds of the baseline then the list
 * (both servers up), so the machine's load drifting between the table's two measurements, taken a minute apart,
 * does not decide the ratio. The median round counts.
 */
async function pairedListRatio(basePort: number, oursPort: number, cookie: Record<string, string>): Promise<DatabaseResult["listThroughputRatio"]> {
  const rounds: number[] = [];
  for (let round = 0; round < PAIRED_ROUNDS; round++) {
    const base = await throughput(basePort, "/baseline", {}, PAIRED_SECONDS);
    rounds.push((await throughput(oursPort, `${P}/list`, cookie, PAIRED_SECONDS)) / base);
  }
  const sorted = [...rounds].sort((a, b) => a - b);
  return { rounds, median: sorted[Math.floor(sorted.length / 2)]! };
}

function baselinePlan(file: string): string {
  const db = new Database(file, { readonly: true });
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${BASELINE_SQL}`).all(`${BENCH_FLOW}:`) as Array<{ detail: string }>).map((row) => row.detail).join("; ");
  db.close();
  if (/TEMP B-TREE/.test(plan)) throw new Error(`The baseline query sorts instead of walking an index: ${plan}`);
  return plan;
}

const seconds = (since: number) => (Date.now() - since) / 1000;

/** The baseline and every target against one database (a SQLite file or a PostgreSQL URL). */
async function benchDatabase(database: string, size: number, plan: string, loadSeconds: number): Promise<DatabaseResult> {
  const base = await startServer("baseline", database);
  const figures: DatabaseResult["ours"] = {};
  let baseline: Figures;
  let baselineRss: number;
  let oursRss: number;
  let listThroughputRatio: DatabaseResult["listThroughputRatio"];
  try {
    baseline = await measure(base.port, "/baseline");
    baselineRss = rssMb(base.child.pid!);
    process.stderr.write(`  baseline: p50 ${baseline.p50.toFixed(2)} ms\n`);
    const ours = await startServer("ours", database);
    try {
      const cookie = await visitorCookie(ours.port, P);
      for (const [name, path] of targetsFor(size)) {
        figures[name] = { path, ...(await measure(ours.port, path, cookie)) };
        process.stderr.write(`  ${name}: p50 ${figures[name]!.p50.toFixed(2)} ms\n`);
      }
      Object.assign(figures, await measureLargeListRows(ours.port, size, cookie));
      const under = await measureUnderSearches(ours.port, size, cookie);
      figures[UNDER_SEARCHES] = { path: `${P}/list`, ...under };
      process.stderr.write(`  ${UNDER_SEARCHES}: p50 ${under.p50.toFixed(2)} ms, p99 ${under.p99.toFixed(2)} ms (${under.searches} searches meanwhile)\n`);
      oursRss = rssMb(ours.child.pid!);
      listThroughputRatio = await pairedListRatio(base.port, ours.port, cookie);
      process.stderr.write(`  list throughput ÷ baseline, paired: ${listThroughputRatio.rounds.map((r) => r.toFixed(2)).join(", ")}\n`);
    } finally {
      ours.child.kill();
    }
  } finally {
    base.child.kill();
  }

  // The same first window with enrichCacheSize: 0, so every request parses and enriches all 50 states again.
  const uncached = await startServer("ours-uncached", database);
  try {
    const path = `${P}/list`;
    figures[UNCACHED] = { path, ...(await measure(uncached.port, path, await visitorCookie(uncached.port, P))) };
    process.stderr.write(`  ${UNCACHED}: p50 ${figures[UNCACHED]!.p50.toFixed(2)} ms\n`);
  } finally {
    uncached.child.kill();
  }
  return { baselinePlan: plan, baseline, ours: figures, listThroughputRatio, rssMb: { ours: oursRss, baseline: baselineRss }, loadSeconds };
}

/** GET /export of each whole flow (bench/export.ts). */
const exportFigures: ExportFigures[] = [];

async function benchSize(size: number): Promise<SizeResult> {
  const label = `${size.toLocaleString("en-US")} sessions`;
  const file = join(DATA, `workflow_state_${size}.db`);
  const built = Date.now();
  await buildDatabase(file, size);
  const buildSeconds = seconds(built);
  process.stderr.write(`${label}: file ready in ${buildSeconds.toFixed(1)} s\n`);
  const result: SizeResult = { sessions: size };
  if (DATABASES.includes("sqlite")) {
    process.stderr.write(`${label}, SQLite:\n`);
    result.sqlite = await benchDatabase(file, size, baselinePlan(file), buildSeconds);
    exportFigures.push(await benchExport("SQLite", file, size));
  }
  if (cluster) {
    const loaded = Date.now();
    const url = await loadPostgres(cluster.url, file, size);
    const loadSeconds = seconds(loaded);
    process.stderr.write(`${label}, PostgreSQL: database loaded in ${loadSeconds.toFixed(1)} s\n`);
    result.postgres = await benchDatabase(url, size, await postgresBaselinePlan(url), loadSeconds);
    exportFigures.push(await benchExport("PostgreSQL", url, size));
  }
  return result;
}

/** One database's rows; for PostgreSQL also each figure's ratio to SQLite's when SQLite was measured. */
function table(results: SizeResult[], kind: DatabaseKind): string {
  const compare = kind === "postgres" && results.some((r) => r.sqlite);
  const header = ["sessions", "endpoint", "p50 ms", "p99 ms", "req/s", "p50 ×base", "req/s ×base", "p50 ×first", "loop max ms", ...(compare ? ["p50 ×SQLite", "req/s ×SQLite"] : []), "RSS MB"];
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : "");
  const rows: string[][] = [];
  for (const r of results) {
    const d = r[kind];
    if (!d) continue;
    const sqlite = r.sqlite;
    rows.push([
      r.sessions.toLocaleString("en-US"),
      "baseline (JSON)",
      d.baseline.p50.toFixed(2),
      d.baseline.p99.toFixed(2),
      d.baseline.rps.toFixed(0),
      "1.00",
      "1.00",
      "",
      "",
      ...(compare ? [ratio(d.baseline.p50, sqlite?.baseline.p50), ratio(d.baseline.rps, sqlite?.baseline.rps)] : []),
      d.rssMb.baseline.toFixed(0),
    ]);
    for (const [name, f] of Object.entries(d.ours)) {
      rows.push([
        "",
        name,
        f.p50.toFixed(2),
        f.p99.toFixed(2),
        f.rps ? f.rps.toFixed(0) : "",
        (f.p50 / d.baseline.p50).toFixed(2),
        f.rps ? (f.rps / d.baseline.rps).toFixed(2) : "",
        (f.p50 / d.ours[FIRST]!.p50).toFixed(2),
        f.loopMaxMs === undefined ? "" : f.loopMaxMs.toFixed(1),
        ...(compare ? [ratio(f.p50, sqlite?.ours[name]?.p50), ratio(f.rps, sqlite?.ours[name]?.rps)] : []),
        name === "list search" ? d.rssMb.ours.toFixed(0) : "",
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(header), `| ${widths.map((w, i) => (i < 2 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

interface Target {
  target: string;
  /** SQLite's figure and whether it meets the target (issue 3's targets are about SQLite). */
  value?: string;
  ok?: boolean;
  /** PostgreSQL's figure for the same target, for comparison only. */
  postgres?: string;
}

function checks(results: SizeResult[]): Target[] {
  const list: Target[] = [];
  const add = (target: string, measure: (kind: DatabaseKind) => { value: string; ok: boolean } | undefined) => {
    const sqlite = measure("sqlite");
    const postgres = measure("postgres");
    if (sqlite || postgres) list.push({ target, ...(sqlite ?? {}), ...(postgres ? { postgres: postgres.value } : {}) });
  };
  const at = (kind: DatabaseKind, size: number) => results.find((r) => r.sessions === size)?.[kind];
  add("p50 of GET /list at 100,000 ≤ 5 ms", (kind) => {
    const p50 = at(kind, 100000)?.ours.list!.p50;
    return p50 === undefined ? undefined : { value: `${p50.toFixed(2)} ms`, ok: p50 <= 5 };
  });
  add("deep window (offset 99,950) ≤ 2× the first window", (kind) => {
    const large = at(kind, 100000);
    if (!large) return undefined;
    const ratio = large.ours["list deep"]!.p50 / large.ours.list!.p50;
    return { value: `${ratio.toFixed(2)}×`, ok: ratio <= 2 };
  });
  add("broad search (half the flow) at a deep offset ≤ 2× the first window, at 100,000 (p50)", (kind) => {
    const large = at(kind, 100000);
    if (!large) return undefined;
    const ratio = large.ours[BROAD]!.p50 / large.ours.list!.p50;
    return { value: `${ratio.toFixed(2)}×`, ok: ratio <= 2 };
  });
  add(`another visitor's list p99 during ${BROAD_CLIENTS} broad searches < 3× its idle p99, at 100,000`, (kind) => {
    const large = at(kind, 100000);
    if (!large) return undefined;
    const ratio = large.ours[UNDER_SEARCHES]!.p99 / large.ours.list!.p99;
    return { value: `${ratio.toFixed(2)}× (${large.ours[UNDER_SEARCHES]!.p99.toFixed(2)} ms against ${large.ours.list!.p99.toFixed(2)} ms)`, ok: ratio < 3 };
  });
  add("p50 of GET /list at 100,000 ≤ 1.5× at 1,000", (kind) => {
    const small = at(kind, 1000);
    const large = at(kind, 100000);
    if (!small || !large) return undefined;
    const ratio = large.ours.list!.p50 / small.ours.list!.p50;
    return { value: `${ratio.toFixed(2)}×`, ok: ratio <= 1.5 };
  });
  add("server RSS at 100,000 ≤ 30 MB above 1,000", (kind) => {
    const small = at(kind, 1000);
    const large = at(kind, 100000);
    if (!small || !large) return undefined;
    const growth = large.rssMb.ours - small.rssMb.ours;
    return { value: `${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB`, ok: growth <= 30 };
  });
  const million = (kind: DatabaseKind) => results.find((r) => r.sessions === 1_000_000)?.[kind];
  for (const share of JUMPS) {
    add(`${jumpName(share)} ≤ 3× the first window at 1,000,000 (p50)`, (kind) => {
      const d = million(kind);
      const f = d?.ours[jumpName(share)];
      return d && f ? { value: `${(f.p50 / d.ours[FIRST]!.p50).toFixed(2)}×`, ok: f.p50 <= 3 * d.ours[FIRST]!.p50 } : undefined;
    });
  }
  add(`${NEXT_BY_KEY} ≤ 3× the first window at 1,000,000 (p50)`, (kind) => {
    const d = million(kind);
    const f = d?.ours[NEXT_BY_KEY];
    return d && f ? { value: `${(f.p50 / d.ours[FIRST]!.p50).toFixed(2)}×`, ok: f.p50 <= 3 * d.ours[FIRST]!.p50 } : undefined;
  });
  for (const share of SEARCH_SHARES) {
    add(`${searchName(share)} ≤ 2× the first window at 1,000,000 (p50)`, (kind) => {
      const d = million(kind);
      const f = d?.ours[searchName(share)];
      return d && f ? { value: `${(f.p50 / d.ours[FIRST]!.p50).toFixed(2)}× (${f.path.replace(`${P}/list?`, "")})`, ok: f.p50 <= 2 * d.ours[FIRST]!.p50 } : undefined;
    });
  }
  for (const { name } of TAG_ROWS) {
    add(`${name} ≤ 2× the first window at 100,000 (p50)`, (kind) => {
      const d = at(kind, 100000);
      const f = d?.ours[name];
      return d && f ? { value: `${(f.p50 / d.ours[FIRST]!.p50).toFixed(2)}×`, ok: f.p50 <= 2 * d.ours[FIRST]!.p50 } : undefined;
    });
  }
  add("no list request blocks the event loop > 50 ms at 1,000,000 (max over the rows)", (kind) => {
    const d = million(kind);
    if (!d) return undefined;
    const max = Math.max(...Object.values(d.ours).map((f) => f.loopMaxMs ?? 0));
    return { value: `${max.toFixed(1)} ms`, ok: max <= 50 };
  });
  add("server RSS at 1,000,000 ≤ 50 MB above 1,000", (kind) => {
    const small = at(kind, 1000);
    const large = million(kind);
    if (!small || !large) return undefined;
    const growth = large.rssMb.ours - small.rssMb.ours;
    return { value: `${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB`, ok: growth <= 50 };
  });
  for (const r of results) {
    add(`GET /list throughput ≥ 0.5× baseline at ${r.sessions.toLocaleString("en-US")} (median of ${PAIRED_ROUNDS} paired rounds)`, (kind) => {
      const d = r[kind];
      if (!d) return undefined;
      const { median, rounds } = d.listThroughputRatio;
      return { value: `${median.toFixed(2)}× (rounds ${rounds.map((x) => x.toFixed(2)).join(", ")})`, ok: median >= 0.5 };
    });
  }
  return list;
}

function targetLine(t: Target): string {
  const postgres = t.postgres === undefined ? "" : ` (PostgreSQL: ${t.postgres}${t.target.includes("throughput") ? " of its own baseline" : ""})`;
  if (t.value === undefined) return `----  ${t.target}: SQLite not measured${postgres}`;
  return `${t.ok ? "PASS" : "FAIL"}  ${t.target}: ${t.value}${postgres}`;
}

async function main() {
  mkdirSync(DATA, { recursive: true });
  const started = Date.now();
  let postgres: string | undefined;
  if (DATABASES.includes("postgres")) {
    cluster = await startPostgresCluster();
    postgres = await postgresVersion(cluster.url);
    process.stderr.write(`PostgreSQL ${postgres} cluster up in ${seconds(started).toFixed(1)} s\n`);
  }
  const results: SizeResult[] = [];
  for (const size of SIZES) results.push(await benchSize(size));
  const targets = checks(results);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "", node: process.version, platform: `${os.platform()} ${os.arch()}`, ...(postgres ? { postgres } : {}) };
  console.log(`\nexpress-workflow-sessions bench: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}${postgres ? `, PostgreSQL ${postgres}` : ""}`);
  console.log(`latency: ${SEQUENTIAL} sequential requests (fewer when they take over ${SEQUENTIAL_MS / 1000} s) after 50 warm-up; throughput: autocannon, ${CONNECTIONS} connections, ${SECONDS} s after 1 s warm-up`);
  for (const kind of Object.keys(DATABASE_NAMES) as DatabaseKind[]) {
    if (!results.some((r) => r[kind])) continue;
    console.log(`\n${DATABASE_NAMES[kind]}\n\n${table(results, kind)}`);
    console.log(`\n${DATABASE_NAMES[kind]} baseline plan: ${results.find((r) => r[kind])![kind]!.baselinePlan}`);
  }
  console.log(`\nGET /export?all_matching=1, the whole flow\n\n${exportTable(exportFigures)}\n`);
  for (const t of targets) console.log(targetLine(t));
  if (process.env.BENCH_BULK !== "0") await benchBulkDelete({ postgresUrl: DATABASES.includes("postgres") ? cluster?.url : undefined });
  const total = seconds(started);
  console.log(`\n${total.toFixed(0)} s in all`);
  writeFileSync(
    join(ROOT, "bench", "results.json"),
    `${JSON.stringify({ date: new Date().toISOString(), machine, databases: DATABASES, connections: CONNECTIONS, seconds: SECONDS, sequential: SEQUENTIAL, totalSeconds: Math.round(total), results, exports: exportFigures, targets }, null, 2)}\n`,
  );
}

await main();
