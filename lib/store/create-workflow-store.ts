import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from "kysely";
import { LRUCache } from "lru-cache";
import { ConfigurationError, StoreUnavailableError } from "../errors.js";
import { duringStartup } from "./database-errors.js";
import { detectDialect } from "./dialects/detect-dialect.js";
import { enableWal, type SqliteLockWait } from "./sqlite-startup.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";
import { WorkflowStore } from "./workflow-store.js";
import { CHANGE_CHANNEL, type NotificationSource } from "./change-watch.js";
import { ORIGIN_SETTING } from "./migrations/notify-trigger.js";

/** Options of {@link createWorkflowStore}. Give `filename` (embedded SQLite), `connectionString` (PostgreSQL) or `db`. */
export interface WorkflowStoreOptions {
  /**
   * The SQLite file to open or create, in WAL mode. Ignored when `db` or `connectionString` is given.
   * @default "workflow_state.db"
   */
  filename?: string;
  /**
   * Any Kysely instance over SQLite or PostgreSQL, instead of `filename`. The store does not close it.
   */
  db?: Kysely<any>;
  /**
   * A PostgreSQL connection string (`postgres://user:password@host:5432/database`), instead of `filename`; ignored
   * when `db` is given. The store opens a `pg` pool for it, and closes the pool on `close()`.
   */
  connectionString?: string;
  /**
   * How long a write waits for another writer's lock before giving up, in milliseconds: SQLite's busy timeout, or
   * PostgreSQL's `lock_timeout` for a `connectionString` pool. Either way the request then answers 503.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * Fail instead of creating the file when it does not exist (SQLite only).
   * @default false
   */
  fileMustExist?: boolean;
  /**
   * Open the file read-only (SQLite only): lists still render, every write answers 503 and changes nothing. The
   * file must exist and already hold the schema, since nothing is migrated. Use it for a replica or an archive.
   * @default false
   */
  readonly?: boolean;
  /**
   * Where startup says what takes long: building the list indexes of a large table for the first time (e.g. a file
   * the Python library wrote) logs what it builds, how far it is, and that it happens once. `info` is used when the
   * logger has it, else `warn`. The manager's own `logger` option is separate, since the store is opened first.
   * @default console
   */
  logger?: StoreLogger;
}

/** A logger for the store's startup lines. */
export interface StoreLogger {
  info?(message: string): void;
  warn(message: string): void;
}

/** The default SQLite file name, the one `cjm-workflow-state` uses. */
export const DEFAULT_FILENAME = "workflow_state.db";
/** The default SQLite busy timeout, in milliseconds. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens a workflow-state store: the embedded SQLite default, a PostgreSQL server, or the database behind a Kysely
 * instance. Creates the `cjm-workflow-state` schema when it is missing and adds the `label` column to tables from
 * older releases; safe to run from several instances at once.
 *
 * @example
 * ```ts
 * const store = await createWorkflowStore({ filename: "workflow_state.db" });
 * const id = await store.createSession("structure_decomposition", { label: "lecture_01" });
 * // several app instances: await createWorkflowStore({ connectionString: process.env.DATABASE_URL })
 * ```
 */
export async function createWorkflowStore(options: WorkflowStoreOptions = {}): Promise<WorkflowStore> {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const logger = options.logger ?? console;
  const progress = (message: string) => (logger.info ?? logger.warn).call(logger, `express-workflow-sessions: ${message}`);
  if (options.db) {
    const db = options.db as Kysely<WorkflowStateDatabase>;
    const dialect = await duringStartup(() => detectDialect(db), "the database behind the Kysely instance you passed");
    await duringStartup(() => dialect.migrate(db, undefined, progress), `the ${dialect.name} database`);
    return new WorkflowStore(db, dialect);
  }

  if (options.connectionString) return openPostgres(options.connectionString, busyTimeoutMs, progress);

  const filename = options.filename ?? DEFAULT_FILENAME;
  if (options.fileMustExist && filename !== ":memory:" && !existsSync(filename)) {
    throw new ConfigurationError(`The workflow-state database "${filename}" does not exist. Check the path, or drop fileMustExist to create it.`);
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(filename, options.readonly ? { readonly: true, fileMustExist: true } : {});
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  } catch (error) {
    throw new StoreUnavailableError(`Could not open the workflow-state database "${filename}": ${(error as Error).message}`, { cause: error });
  }
  const db = new Kysely<WorkflowStateDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const dialect = await detectDialect(db);
  try {
    await duringStartup(async () => {
      if (options.readonly) return readSchema(db);
      // Another process may be writing the file right now: every step below waits for its locks, all of them
      // together at most busyTimeoutMs, without blocking the event loop.
      const wait: SqliteLockWait = { sqlite, deadline: Date.now() + busyTimeoutMs, busyTimeoutMs };
      sqlite.pragma("busy_timeout = 0");
      try {
        await enableWal(sqlite, wait.deadline);
        await dialect.migrate(db, wait, progress);
      } catch (error) {
        // A file this process may only read keeps its schema as it is: serve it read-only when the table is there.
        if (!/readonly|read-only/i.test(String((error as Error).message))) throw error;
        sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
        await readSchema(db).catch(() => Promise.reject(error));
      } finally {
        sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    }, `"${filename}"`, busyTimeoutMs);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new WorkflowStore(db, dialect, () => db.destroy());
}

async function openPostgres(connectionString: string, lockTimeoutMs: number, progress: (message: string) => void): Promise<WorkflowStore> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString, lock_timeout: lockTimeoutMs });
  // A connection that breaks (server restart, network) emits 'error', which would crash the process without a
  // listener: the pool's own for idle connections, each client's while a query holds it. The broken connection is
  // then dropped (the query that had it fails, and answers 503); the next query connects anew, or answers 503 while
  // the server is down.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  // Each connection names this store, so its listener can leave out the notifications of its own writes.
  const origin = randomUUID();
  const onCreateConnection = async (connection: { executeQuery(query: CompiledQuery): Promise<unknown> }) => {
    await connection.executeQuery(CompiledQuery.raw(`SELECT set_config('${ORIGIN_SETTING}', '${origin}', false)`));
  };
  const db = new Kysely<WorkflowStateDatabase>({ dialect: new PostgresDialect({ pool, onCreateConnection }) });
  const dialect = await detectDialect(db);
  try {
    await duringStartup(() => dialect.migrate(db, undefined, progress), `at ${redact(connectionString)}`);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new WorkflowStore(db, dialect, () => db.destroy(), notificationSource(pg.Client, connectionString, origin));
}

/**
 * One `pg` client of its own that `LISTEN`s on the change channel, outside the pool, so that it never takes a pool
 * connection from the queries. Its socket does not keep the process alive.
 */
function notificationSource(Client: typeof import("pg").Client, connectionString: string, origin: string): NotificationSource {
  return async (onPayload, onLost) => {
    const client = new Client({ connectionString });
    client.on("error", onLost);
    client.on("end", onLost);
    client.on("notification", (message) => {
      if (message.channel === CHANGE_CHANNEL) onPayload(message.payload ?? "");
    });
    try {
      await client.connect();
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      const { rows } = await client.query<{ schema: string }>(`SELECT n.nspname AS schema FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('workflow_state')`);
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      return { schema: rows[0]!.schema, origin, close: () => client.end() };
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
}

/** The connection string without its password, for messages. */
function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(the PostgreSQL connection string)";
  }
}

async function readSchema(db: Kysely<WorkflowStateDatabase>): Promise<void> {
  await db.selectFrom("workflow_state").select("flow_session_key").limit(1).execute();
}

/** The most prepared statements kept per SQLite connection: 100, the least recently used dropped first. */
const CACHED_STATEMENTS = 100;

// Kysely prepares every query anew; the list asks the same few queries on every request, so keep them prepared.
// Safe because Kysely runs one query at a time on this connection.
function withStatementCache(sqlite: Database.Database): Database.Database {
  const statements = new LRUCache<string, Database.Statement>({ max: CACHED_STATEMENTS });
  return new Proxy(sqlite, {
    get(target, property) {
      if (property !== "prepare") {
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (source: string) => {
        let statement = statements.get(source);
        if (!statement) {
          statement = target.prepare(source);
          statements.set(source, statement);
        }
        return statement;
      };
    },
  });
}
