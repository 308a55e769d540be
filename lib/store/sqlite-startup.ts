import { setTimeout as sleep } from "node:timers/promises";
import type Database from "better-sqlite3";

// SQLite's own busy handler sleeps these steps between tries; startup does the same, but without blocking the loop.
const RETRY_DELAYS_MS = [1];

/** True for SQLite's "database is locked" family: another connection holds a lock this one needs. */
export function isSqliteBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown } | null)?.code ?? ""));
}

/**
 * Runs `attempt` again, after a short pause, each time it fails because another connection holds a lock, until it
 * succeeds or `deadline` (a `Date.now()` value) has passed; then the last "database is locked" error is thrown.
 * Any other error is thrown at once.
 */
export async function retryWhileBusy<T>(deadline: number, attempt: () => T | Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - Date.now();
      if (!isSqliteBusy(error) || left <= 0) throw error;
      await sleep(Math.min(left, RETRY_DELAYS_MS[Math.min(tries, RETRY_DELAYS_MS.length - 1)]!));
    }
  }
}

/**
 * Switches the file to WAL, retrying while another process holds a lock: `PRAGMA journal_mode = WAL` needs an
 * exclusive lock on a file in rollback-journal mode and, unlike other statements, never waits for it through the
 * busy handler. A file this process may only read keeps its journal mode.
 */
export async function enableWal(sqlite: Database.Database, deadline: number): Promise<void> {
  try {
    await retryWhileBusy(deadline, () => sqlite.pragma("journal_mode = WAL"));
  } catch (error) {
    // Reads still work, and writes will report the file as read-only.
    if (!/readonly|read-only/i.test(String((error as Error).message))) throw error;
  }
}

/** Where a migration may wait for the write lock: the raw connection and the time by which it must have it. */
export interface SqliteLockWait {
  sqlite: Database.Database;
  deadline: number;
  /** The busy timeout to restore once the migration is done. */
  busyTimeoutMs: number;
}
