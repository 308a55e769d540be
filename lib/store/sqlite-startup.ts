import { setTimeout as sleep } from "node:timers/promises";
import type Database from "better-sqlite3";
import { sql, type Kysely } from "kysely";

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

/**
 * Runs `migrate` in one `BEGIN IMMEDIATE` transaction, so that it takes the write lock before it reads the schema:
 * a deferred transaction that reads and then writes can fail at once with "database is locked", since SQLite does
 * not wait for a lock another writer may be waiting on too. With `wait`, the write lock is awaited without blocking
 * the event loop until `wait.deadline`, and the rest of the time goes to the commit; without it (a host's Kysely
 * instance), the host's busy timeout applies.
 */
export async function migrateInImmediateTransaction(
  db: Kysely<any>,
  migrate: (connection: Kysely<any>) => Promise<void>,
  wait?: SqliteLockWait,
): Promise<void> {
  await db.connection().execute(async (connection) => {
    const begin = () => sql`BEGIN IMMEDIATE`.execute(connection);
    if (!wait) {
      await begin();
    } else {
      wait.sqlite.pragma("busy_timeout = 0");
      try {
        await retryWhileBusy(wait.deadline, begin);
      } finally {
        wait.sqlite.pragma(`busy_timeout = ${Math.max(1, wait.deadline - Date.now())}`);
      }
    }
    try {
      await migrate(connection);
      await sql`COMMIT`.execute(connection);
    } catch (error) {
      await sql`ROLLBACK`.execute(connection).catch(() => {});
      throw error;
    } finally {
      wait?.sqlite.pragma(`busy_timeout = ${wait.busyTimeoutMs}`);
    }
  });
}
