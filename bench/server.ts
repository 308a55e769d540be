// The server under test, run in its own process by bench/run.ts as `server.js <mode> <database>`, where <database> is
// a SQLite file or a `postgres://` URL and <mode> is `ours` (the session manager over that database),
// `ours-uncached` (the same with enrichCacheSize: 0) or `baseline` (a bare Express route that answers the first
// window's 50 rows as JSON from one better-sqlite3 or `pg` query). Prints `{"port":N}` once it listens.
import { monitorEventLoopDelay } from "node:perf_hooks";
import Database from "better-sqlite3";
import express from "express";
import session from "express-session";
import pg from "pg";
import { createSessionManager, createWorkflowStore, type SessionManagerOptions } from "../lib/index.js";
import { BASELINE_PG_SQL, BASELINE_SQL } from "./baseline-query.js";
import { BENCH_FLOW } from "./build-database.js";

// The manager is configured as the demo's is, with the demo's own enricher and label generator (plain JS, loaded
// from the repository at run time, since the bench runs from dist/bench).
interface DemoApp {
  DEMO_COLUMNS: SessionManagerOptions["columns"];
  enrich: NonNullable<SessionManagerOptions["enrich"]>;
  label: NonNullable<SessionManagerOptions["label"]>;
}
const demo = (await import(new URL("../../demo-app/app.js", import.meta.url).href)) as DemoApp;

async function main() {
  const [mode, database] = process.argv.slice(2) as [string, string];
  const postgres = /^postgres(ql)?:\/\//.test(database);
  const app = express();
  app.disable("x-powered-by");
  if (mode === "baseline" && postgres) {
    const pool = new pg.Pool({ connectionString: database });
    pool.on("error", () => {});
    const query = { name: "baseline", text: BASELINE_PG_SQL, values: [`${BENCH_FLOW}:`] };
    app.get("/baseline", async (_req, res) => {
      res.json((await pool.query(query)).rows);
    });
  } else if (mode === "baseline") {
    const db = new Database(database, { readonly: true });
    const statement = db.prepare(BASELINE_SQL);
    app.get("/baseline", (_req, res) => {
      res.json(statement.all(`${BENCH_FLOW}:`));
    });
  } else {
    const store = await createWorkflowStore(postgres ? { connectionString: database } : { filename: database, fileMustExist: true });
    // For bench/run.ts: the longest the event loop was blocked since the last read (then reset), and a wait for the
    // list's background landmark walks, so steady-state windows are measured once those are built.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    app.get("/bench/loop", (_req, res) => {
      res.json({ maxMs: loop.max / 1e6 });
      loop.reset();
    });
    app.get("/bench/landmarks", async (_req, res) => {
      await store.listLandmarksSettled();
      res.json({ settled: true });
    });
    app.use(session({ secret: "bench", resave: false, saveUninitialized: false }));
    app.use(
      createSessionManager({
        store,
        flowId: BENCH_FLOW,
        workflowUrl: "/workflow",
        columns: demo.DEMO_COLUMNS,
        enrich: demo.enrich,
        label: demo.label,
        title: "Bench Sessions",
        ...(mode === "ours-uncached" ? { enrichCacheSize: 0 } : {}),
      }),
    );
  }
  const server = app.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`);
  });
  // bench/bulk-delete.ts deletes 100,000 sessions in one request, which can outlast Node's 5-minute request timeout.
  server.requestTimeout = 0;
}

// A clean exit on SIGTERM, so `node --cpu-prof bench/server.js …` writes its profile.
process.on("SIGTERM", () => process.exit(0));
await main();
