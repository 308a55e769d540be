// The export bench: `GET {prefix}/export?all_matching=1` of a whole flow from the session manager's server (bench/server.js
// in its own process), read over loopback as fast as the client can, while the server's RSS is sampled from /proc
// every 10 ms. Prints the time, the bytes and sessions written, and the RSS growth during the export. Called from
// bench/run.ts for each size and database; run alone (`node dist/bench/export.js`), it measures the 100,000-session
// SQLite file (BENCH_SIZES narrows it, as for run.ts).
import { mkdirSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rssMb, startBenchServer } from "./bench-server.js";
import { buildDatabase } from "./build-database.js";

const here = dirname(fileURLToPath(import.meta.url));
const P = "/manage/sessions";

/** What one export measured. */
export interface ExportFigures {
  database: string;
  sessions: number;
  /** Sessions the file held (lines of the sessions list). */
  exported: number;
  megabytes: number;
  seconds: number;
  /** The server's RSS just before the export, and its peak during it. */
  rssBeforeMb: number;
  rssPeakMb: number;
  rssGrowthMb: number;
}

/** Exports every session of `database` (a SQLite file or a `postgres://` URL) through the manager's route, once warmed up. */
export async function benchExport(name: string, database: string, sessions: number): Promise<ExportFigures> {
  const { child, port } = await startBenchServer("ours", database);
  try {
    // A small export first, so the RSS measured after it is the server's warm size, not its cold one.
    await download(port, `${P}/export?all_matching=1&q=s-0000`, () => {});
    const before = rssMb(child.pid!);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 10);
    const started = process.hrtime.bigint();
    let bytes = 0;
    let lines = 0;
    try {
      await download(port, `${P}/export?all_matching=1`, (chunk) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
    } finally {
      clearInterval(sampler);
    }
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    peak = Math.max(peak, rssMb(child.pid!));
    // A newline before each session, and around the closing "]}" (none of them for an empty flow).
    const exported = Math.max(0, lines - 2);
    return { database: name, sessions, exported, megabytes: bytes / 1e6, seconds: elapsed, rssBeforeMb: before, rssPeakMb: peak, rssGrowthMb: peak - before };
  } finally {
    child.kill();
  }
}

function download(port: number, path: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${path} answered ${res.statusCode}`));
        res.on("data", onChunk);
        res.on("end", resolve);
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** The figures as lines of a table. */
export function exportTable(figures: readonly ExportFigures[]): string {
  const rows = [["database", "sessions", "exported", "MB", "seconds", "sessions/s", "RSS before MB", "RSS peak MB", "growth MB"]];
  for (const f of figures) {
    rows.push([
      f.database,
      f.sessions.toLocaleString("en-US"),
      f.exported.toLocaleString("en-US"),
      f.megabytes.toFixed(1),
      f.seconds.toFixed(2),
      Math.round(f.exported / f.seconds).toLocaleString("en-US"),
      f.rssBeforeMb.toFixed(0),
      f.rssPeakMb.toFixed(0),
      `${f.rssGrowthMb >= 0 ? "+" : ""}${f.rssGrowthMb.toFixed(1)}`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const data = join(here, "..", "..", "bench", "data");
  mkdirSync(data, { recursive: true });
  const figures: ExportFigures[] = [];
  for (const size of (process.env.BENCH_SIZES ?? "100000").split(",").map(Number)) {
    const file = join(data, `workflow_state_${size}.db`);
    await buildDatabase(file, size);
    figures.push(await benchExport("SQLite", file, size));
  }
  console.log(exportTable(figures));
}
