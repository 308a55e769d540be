import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { sql, type Kysely } from "kysely";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";

// The worker: its own better-sqlite3 connection to the file, running a PASSIVE checkpoint on each message. Written
// with dynamic import() only, so it runs whether Node evaluates it as CommonJS or as an ES module.
const WORKER_SOURCE = `import("node:worker_threads").then(async ({ parentPort, workerData }) => {
  const { default: Database } = await import(workerData.module);
  const db = new Database(workerData.file, { fileMustExist: true, timeout: 5000 });
  parentPort.on("message", (message) => {
    if (message === "close") { db.close(); parentPort.close(); return; }
    try { db.pragma("wal_checkpoint(PASSIVE)"); parentPort.postMessage("done"); } catch { parentPort.postMessage("failed"); }
  });
  parentPort.postMessage("ready");
});`;

/**
 * Takes SQLite's WAL checkpoints off the event loop while a move of many sessions runs. better-sqlite3 is
 * synchronous, and the commit that crosses `wal_autocheckpoint` (1,000 pages) copies them into the database file and
 * syncs it, 30 to 60 ms on our machines, during which no other request runs. While a move runs, the store's
 * connection stops checkpointing by itself and a worker thread, on a connection of its own, checkpoints after each
 * chunk instead (PASSIVE: it never blocks a writer or a reader). When the move ends, the connection's own setting is
 * put back. For a database that is not a file in WAL mode (`:memory:`, another journal mode), or when the worker
 * cannot start, nothing changes.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private restore: number | undefined;
  private busy = false;
  private pending = false;

  constructor(private readonly db: Kysely<WorkflowStateDatabase>) {}

  /** Hands the checkpoints to a worker thread, when the database is a file in WAL mode. */
  async begin(): Promise<void> {
    try {
      const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(this.db);
      if (String(mode.rows[0]?.journal_mode).toLowerCase() !== "wal") return;
      const files = await sql<{ name: string; file: string }>`PRAGMA database_list`.execute(this.db);
      const file = files.rows.find((row) => row.name === "main")?.file;
      if (!file) return;
      const setting = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(this.db);
      const module = pathToFileURL(createRequire(import.meta.url).resolve("better-sqlite3")).href;
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file } });
      worker.unref();
      await new Promise<void>((resolve, reject) => {
        worker.once("message", () => resolve());
        worker.once("error", reject);
      });
      // A worker that fails or stops hands the checkpoints back at once: with autocheckpoint off and no worker, the
      // WAL would grow for the rest of the move. Events of a worker already ended change nothing.
      const giveBack = () => void (this.worker === worker ? this.end() : undefined);
      worker.on("error", giveBack);
      worker.on("exit", giveBack);
      worker.on("message", (message) => {
        if (this.worker !== worker) return;
        if (message === "failed") return giveBack();
        this.busy = false;
        if (this.pending) this.nudge();
      });
      this.worker = worker;
      this.restore = Number(setting.rows[0]?.wal_autocheckpoint ?? 1000);
      await sql`PRAGMA wal_autocheckpoint = 0`.execute(this.db);
    } catch {
      await this.end(); // no worker: the connection checkpoints as it always did
    }
  }

  /** Asks the worker for a checkpoint (after a chunk committed); one at a time, the asks in between coalesced. */
  nudge(): void {
    if (!this.worker) return;
    if (this.busy) {
      this.pending = true;
      return;
    }
    this.pending = false;
    this.busy = true;
    this.worker.postMessage("checkpoint");
  }

  /** Gives the checkpoints back to the store's connection and stops the worker. */
  async end(): Promise<void> {
    const worker = this.worker;
    const restore = this.restore;
    this.worker = undefined;
    this.restore = undefined;
    this.busy = this.pending = false;
    if (worker) worker.postMessage("close");
    if (restore !== undefined) await sql`PRAGMA wal_autocheckpoint = ${sql.raw(String(Math.max(0, Math.floor(restore))))}`.execute(this.db).catch(() => {});
  }
}
