// `node dist/bench/profile.js` (after `npm run bench` has built dist/bench and bench/data/): where the first window's
// time goes. For each size in BENCH_SIZES (default 1000,100000, SQLite files of bench/data/), runs the bench server
// under `node --cpu-prof`, first the manager then the bare baseline, drives its first window with 8 autocannon
// connections for BENCH_SECONDS (default 6) after a 1 s warm-up, stops it with SIGTERM so it writes its profile, and
// sorts every sample into one part of a request by the innermost frame that names one (PARTS, in order). Prints one
// table of shares of the busy samples (idle and module loading left out), as in docs/benchmark.md.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startBenchServer } from "./bench-server.js";

const here = dirname(fileURLToPath(import.meta.url));
const DATA = join(here, "..", "..", "bench", "data");
const SIZES = (process.env.BENCH_SIZES ?? "1000,100000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const P = "/manage/sessions";

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
type Rule = [part: string, matches: (frame: CallFrame, leaf: boolean) => boolean];

/** Not counted: the process waiting, and loading its modules at startup. */
const LEFT_OUT = new Set(["idle", "module loading"]);
const PARTS: Rule[] = [
  ["idle", (f) => f.functionName === "(idle)"],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  // better-sqlite3's native work shows as the self time of the JavaScript that called it.
  ["database: the query itself", (f, leaf) => leaf && ((/sqlite-driver/.test(f.url) && f.functionName === "executeQuery") || /bench\/server\.js/.test(f.url))],
  ["escaping", (f) => f.functionName === "escapeHtml" || /RegExp: \[&<>/.test(f.functionName)],
  ["JSON.stringify of the rows", (f) => f.functionName === "stringify" && /express/.test(f.url)],
  ["encoding the body to bytes", (f) => /node:buffer/.test(f.url) && /^(write|fromString|fromStringFast|createFromString|from)$/.test(f.functionName)],
  ["bytes on the wire (writev)", (f) => f.functionName === "writev" || f.functionName === "writeUtf8String" || f.functionName === "writeBuffer"],
  ["CSRF", (f) => /lib\/http\/csrf/.test(f.url)],
  ["express-session", (f) => /express-session|cookie-signature|node_modules\/cookie\//.test(f.url)],
  ["ETag", (f) => /node_modules\/etag/.test(f.url)],
  ["enrichment and the service", (f) => /enrichment\.js|demo-app|lru-cache|dist\/lib\/service/.test(f.url)],
  ["database: Kysely, the store, the count", (f) => /kysely|dist\/lib\/store/.test(f.url)],
  ["rendering: views, renderer, URLs", (f) => /dist\/lib\/render|dist\/views|list-state/.test(f.url)],
  ["Node HTTP, Express, router, route code", (f) => /dist\/lib\/http|node_modules\/(express|router|finalhandler|send|qs|mime|content-type|on-finished|parseurl)|node:_http|node:net|node:internal\/streams|node:events|stream_base/.test(f.url)],
  ["module loading", (f) => /modules\/|compileSourceTextModule|wrapSafe/.test(f.url + f.functionName)],
];

/** Shares of the busy samples by part, in percent. */
function shares(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const time = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    let part = "other";
    for (let at: number | undefined = id, leaf = true; at !== undefined; at = parent.get(at), leaf = false) {
      const rule = PARTS.find(([, matches]) => matches(byId.get(at!)!.callFrame, leaf));
      if (rule) {
        part = rule[0];
        break;
      }
    }
    time.set(part, (time.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const busy = [...time].filter(([part]) => !LEFT_OUT.has(part)).reduce((sum, [, t]) => sum + t, 0);
  return new Map([...time].filter(([part]) => !LEFT_OUT.has(part)).map(([part, t]) => [part, (100 * t) / busy]));
}

function cookieOf(port: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: P }, (res) => {
        res.resume();
        const cookie = res.headers["set-cookie"]?.[0]?.split(";")[0];
        res.on("end", () => (cookie ? resolve({ cookie }) : reject(new Error(`${P} set no session cookie`))));
      })
      .on("error", reject);
  });
}

/** Profiles one server (`ours` or `baseline`) over `file` under load; gives its shares and its requests a second. */
async function profile(mode: "ours" | "baseline", file: string): Promise<{ shares: Map<string, number>; rps: number }> {
  const dir = mkdtempSync(join(os.tmpdir(), "ews-profile-"));
  const { child, port } = await startBenchServer(mode, file, ["--cpu-prof", "--cpu-prof-dir", dir]);
  try {
    const headers = mode === "ours" ? await cookieOf(port) : {};
    const path = mode === "ours" ? `${P}/list` : "/baseline";
    const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 8, duration: SECONDS, headers, warmup: { connections: 8, duration: 1 } });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    const name = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!name) throw new Error(`the ${mode} server wrote no profile`);
    return { shares: shares(JSON.parse(readFileSync(join(dir, name), "utf8")) as Profile), rps: result.requests.average };
  } finally {
    if (child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const columns: Array<{ name: string; shares: Map<string, number> }> = [];
  for (const size of SIZES) {
    const file = join(DATA, `workflow_state_${size}.db`);
    for (const mode of ["ours", "baseline"] as const) {
      const { shares: s, rps } = await profile(mode, file);
      const name = `${mode === "ours" ? "list" : "baseline"}, ${size.toLocaleString("en-US")}`;
      process.stderr.write(`${name}: ${rps.toFixed(0)} req/s while profiled (load average ${os.loadavg()[0]!.toFixed(1)})\n`);
      columns.push({ name, shares: s });
    }
  }
  const parts = [...PARTS.map(([part]) => part).filter((part) => !LEFT_OUT.has(part)), "other"];
  const cell = (value: number | undefined) => (value === undefined ? "—" : `${value.toFixed(1)} %`);
  process.stdout.write(`| part of one request | ${columns.map((c) => c.name).join(" | ")} |\n| --- |${columns.map(() => " ---: |").join("")}\n`);
  for (const part of parts) process.stdout.write(`| ${part} | ${columns.map((c) => cell(c.shares.get(part))).join(" | ")} |\n`);
}

await main();
