import { ConfigurationError, SessionManagerError, StoreUnavailableError, StoreUnreachableError } from "../errors.js";
import { PG_MISSING_DATABASE_CODE, PG_UNAVAILABLE_CODES, PG_UNAVAILABLE_MESSAGES, PG_UNREACHABLE_CODES, PG_UNREACHABLE_MESSAGES } from "./dialects/postgres.js";
import { SQLITE_UNAVAILABLE_CODES } from "./dialects/sqlite.js";
import { isSqliteBusy } from "./sqlite-startup.js";

const UNREACHABLE_NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/;

/**
 * Turns a driver error into a {@link StoreUnreachableError} when the database server cannot be reached (connection
 * refused or lost, a server shutting down or starting up, a missing database), or into a
 * {@link StoreUnavailableError} when it is there but cannot serve right now (locked, read-only, disk full, too many
 * connections, a lock timeout); returns any other error unchanged. Classifies by `code`, never by `instanceof`:
 * driver and socket errors may come from another realm.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (typeof error !== "object" || error === null || error instanceof SessionManagerError) return error;
  const code = String((error as { code?: unknown }).code ?? "");
  const message = String((error as { message?: unknown }).message ?? "");
  const detail = `(${code || "no code"}): ${message}`;
  if (PG_UNREACHABLE_CODES.test(code) || UNREACHABLE_NETWORK_CODES.test(code) || (code === "" && PG_UNREACHABLE_MESSAGES.test(message))) {
    return new StoreUnreachableError(`The workflow-state database cannot be reached ${detail}`, { cause: error });
  }
  if (SQLITE_UNAVAILABLE_CODES.test(code) || PG_UNAVAILABLE_CODES.test(code) || (code === "" && PG_UNAVAILABLE_MESSAGES.test(message))) {
    return new StoreUnavailableError(`The workflow-state database is unavailable ${detail}`, { cause: error });
  }
  return error;
}

/** Runs one database call, turning driver errors into the store's own (see {@link translateDatabaseError}). */
export async function runQuery<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

/**
 * Runs a step of opening a store (detection, migration), turning its errors into setup errors whose message names the
 * database (`what`) and the fix: a file that is not SQLite, a read-only file without the schema, a missing PostgreSQL
 * database, a lock held past `busyTimeoutMs`, a server out of reach.
 */
export async function duringStartup<T>(run: () => Promise<T>, what: string, busyTimeoutMs?: number): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = (error as Error).message;
    const code = String((error as { code?: unknown }).code ?? "");
    if (/not a database|malformed|file is encrypted/i.test(message)) {
      throw new ConfigurationError(`The workflow-state database ${what} is not a valid SQLite file (${message}). Restore it from a backup or point to another file.`);
    }
    if (/no such table/i.test(message)) {
      throw new ConfigurationError(`The workflow-state database ${what} has no workflow_state table, and a read-only file cannot get one. Open it writable once, or point to another file.`);
    }
    if (/readonly|read-only/i.test(message)) {
      throw new StoreUnavailableError(`The workflow-state database ${what} is read-only and lacks the workflow_state schema: ${message}`, { cause: error });
    }
    if (code === PG_MISSING_DATABASE_CODE) {
      const name = /database "(.*)" does not exist/.exec(message)?.[1] ?? "(named in the connection string)";
      throw new StoreUnreachableError(
        `The PostgreSQL database "${name}" does not exist on the server ${what}. Create it (createdb ${JSON.stringify(name)}) or fix the database name in the connection string.`,
        { cause: error },
      );
    }
    if (isSqliteBusy(error)) {
      throw new StoreUnavailableError(
        `The workflow-state database ${what} stayed locked by another connection for longer than busyTimeoutMs (${busyTimeoutMs} ms) while it was being opened: ${message}. ` +
          "Try again once the other writer is done, or raise busyTimeoutMs.",
        { cause: error },
      );
    }
    const translated = translateDatabaseError(error);
    if (translated instanceof StoreUnreachableError) {
      throw new StoreUnreachableError(`Could not reach the workflow-state database ${what}: ${message}`, { cause: error });
    }
    if (translated instanceof StoreUnavailableError) {
      throw new StoreUnavailableError(`The workflow-state database ${what} cannot be used right now: ${message}`, { cause: error });
    }
    throw error;
  }
}
