import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import session from "express-session";
import { createWorkflowStore, type WorkflowStore } from "../index.js";
import { createServeApp } from "./serve-app.js";
import { COMMAND, HELP, isPostgresUrl, parseCommandLine, UsageError, type ServeArgs } from "./serve-args.js";
import { DatabaseSessionStore } from "./visitor-session-store.js";

/** Where the command writes: the process's streams, or a test's. */
export interface CommandOutput {
  out(line: string): void;
  error(line: string): void;
}

const PROCESS_OUTPUT: CommandOutput = {
  out: (line) => void process.stdout.write(`${line}\n`),
  error: (line) => void process.stderr.write(`${line}\n`),
};

/** A database that cannot be served; reported in one line with exit code 2. */
class OpenError extends Error {
  override name = "OpenError";
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves with the exit code: 0 after `--help`, or
 * once SIGINT or SIGTERM has closed the server and the database; 2 for a bad command line or a database that cannot
 * be opened; 1 when the server fails to listen.
 */
export async function runCommand(argv: readonly string[], output: CommandOutput = PROCESS_OUTPUT): Promise<number> {
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      output.error(`${COMMAND}: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    output.out(HELP);
    return 0;
  }
  if (command.kind === "version") {
    output.out(packageVersion());
    return 0;
  }
  let store: WorkflowStore;
  try {
    store = await openDatabase(command);
  } catch (error) {
    output.error(`${COMMAND}: ${oneLine(error)}`);
    return 2;
  }
  return serve(store, command, output);
}

async function openDatabase(args: ServeArgs): Promise<WorkflowStore> {
  if (isPostgresUrl(args.database)) return createWorkflowStore({ connectionString: args.database });
  const file = args.database;
  if (!existsSync(file)) throw new OpenError(`${file} does not exist; give the path of a cjm-workflow-state database (workflow_state.db).`);
  if (!statSync(file).isFile()) throw new OpenError(`${file} is not a file; give the path of a cjm-workflow-state database (workflow_state.db).`);
  if (statSync(file).size === 0) throw new OpenError(`${file} is empty, not a cjm-workflow-state database.`);
  // Checked before the store opens it, which would add the workflow_state table to any SQLite file.
  let hasTable: boolean;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workflow_state'").get() !== undefined;
    } finally {
      db.close();
    }
  } catch (error) {
    throw new OpenError(`${file} is not a SQLite database (${oneLine(error)}).`);
  }
  if (!hasTable) throw new OpenError(`${file} is a SQLite database without a workflow_state table, so not a cjm-workflow-state database.`);
  return createWorkflowStore({ filename: file, fileMustExist: true, readonly: args.readonly });
}

async function serve(store: WorkflowStore, args: ServeArgs, output: CommandOutput): Promise<number> {
  let server: Server;
  try {
    // With --readonly nothing is written to the database, so visitors' sessions live in memory for this run.
    const persistent = args.readonly ? undefined : await DatabaseSessionStore.open(store.db);
    const sessionStore = persistent ?? new session.MemoryStore();
    const secret = process.env.EWS_SESSION_SECRET || (persistent ? await persistent.secret() : randomBytes(32).toString("base64url"));
    const app = createServeApp({
      store,
      args,
      databaseName: displayName(args.database),
      sessionStore,
      secret,
      cookieName: cookieNameFor(args.database),
      logger: { warn: (message) => output.error(message), error: (message, ...details) => output.error([message, ...details.map(String)].join(" ")) },
    });
    server = await listen(app, args);
  } catch (error) {
    output.error(`${COMMAND}: ${oneLine(error)}`);
    await store.close();
    return 1;
  }
  const { port } = server.address() as AddressInfo;
  const host = args.host.includes(":") ? `[${args.host}]` : args.host;
  output.out(`Serving ${displayName(args.database)}${args.readonly ? " (read-only)" : ""} at http://${host}:${port}/`);
  output.out("Press Ctrl-C to stop.");

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  output.out(`${signal}: stopping…`);
  // In-flight requests finish; idle keep-alive connections close now, any left after 5 s are cut.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), 5000);
  cut.unref();
  await closed;
  clearTimeout(cut);
  await store.close();
  output.out("Stopped; the database is closed.");
  return 0;
}

function listen(app: ReturnType<typeof createServeApp>, args: ServeArgs): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(args.port, args.host);
    server.once("listening", () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new Error(`port ${args.port} on ${args.host} is already in use; pick another with --port.`) : error);
    });
  });
}

/** `ews.<hash>`: one name per database (a file by its absolute path), the same across restarts. */
function cookieNameFor(database: string): string {
  const identity = isPostgresUrl(database) ? database : resolve(database);
  return `ews.${createHash("sha256").update(identity).digest("base64url").slice(0, 10)}`;
}

/** The database as printed: a connection string without its password. */
function displayName(database: string): string {
  if (!isPostgresUrl(database)) return database;
  try {
    const url = new URL(database);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "the PostgreSQL database";
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

function oneLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).replace(/\s*\n\s*/g, " ");
}
