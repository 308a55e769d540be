import { parseArgs } from "node:util";

/** The command's name, as `npx` runs it. */
export const COMMAND = "express-workflow-sessions";

/** Defaults of the `serve` flags. */
export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = "127.0.0.1";

/** What `serve` was asked to do, read from its arguments. */
export interface ServeArgs {
  /** A SQLite file, or a `postgres://` / `postgresql://` connection string. */
  database: string;
  /** The one flow to manage; without it, a page lists every flow of the database. */
  flow: string | undefined;
  port: number;
  host: string;
  /** Where Resume sends the visitor; without it, back to the flow's manager page. */
  workflowUrl: string | undefined;
  readonly: boolean;
}

/** The parsed command line: serve, or print the help. */
export type Command = { kind: "help" } | { kind: "version" } | ({ kind: "serve" } & ServeArgs);

/** A command line that cannot be run; its message is one line, printed with the exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The text `--help` prints: every flag, with its default. */
export const HELP = `Usage: ${COMMAND} serve <database> [options]

Opens the session manager over a cjm-workflow-state database and serves it until Ctrl-C.

  <database>            a workflow_state.db file (it must exist), or a postgres:// or
                        postgresql:// connection string

Options:
  --flow <id>           manage this flow only, at /; without it, / lists the database's
                        flows with their session counts, each linking to its manager
  --port <number>       the port to listen on (0 picks a free one)       [default: ${DEFAULT_PORT}]
  --host <address>      the address to listen on; keep the default unless every
                        machine that can reach the address may edit the sessions
                                                                         [default: ${DEFAULT_HOST}]
  --workflow-url <url>  where Resume sends the visitor once the session is active
                                                         [default: the flow's manager page]
  --readonly            show the sessions but change nothing: no New Session, Resume,
                        Rename or Delete, every POST answers 403, and a SQLite file is
                        opened read-only (visitors' sessions are then kept in memory)
  -h, --help            print this help and exit
  -v, --version         print the package version and exit

Visitors' sessions (their cookie's CSRF token and active session) are kept in the
table ews_visitor_sessions of the same database, so they survive a restart; set
EWS_SESSION_SECRET to sign their cookies with your own secret.

Exit codes: 0 after Ctrl-C (SIGINT) or SIGTERM, 1 when the server fails (the port is
taken), 2 for a bad command line or a database that cannot be opened.`;

const OPTIONS = {
  flow: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "workflow-url": { type: "string" },
  readonly: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** Reads the command line (without `node` and the script); throws {@link UsageError} with the fix. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${firstLine(error)} (run ${COMMAND} --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [command, database, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`Missing the command: ${COMMAND} serve <database> (run ${COMMAND} --help)`);
  if (command !== "serve") throw new UsageError(`Unknown command "${command}"; the only one is serve (run ${COMMAND} --help)`);
  if (database === undefined || database === "") throw new UsageError(`Missing the database: ${COMMAND} serve ./workflow_state.db (run ${COMMAND} --help)`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"; serve takes one database (run ${COMMAND} --help)`);
  const flow = values.flow;
  if (flow !== undefined && (flow === "" || flow.includes(":"))) {
    throw new UsageError(`--flow must be a flow id without ":", such as structure_decomposition; got ${JSON.stringify(flow)}`);
  }
  return {
    kind: "serve",
    database,
    flow,
    port: portOf(values.port),
    host: values.host ?? DEFAULT_HOST,
    workflowUrl: values["workflow-url"],
    readonly: values.readonly ?? false,
  };
}

/** True when the database argument is a PostgreSQL connection string rather than a file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

function portOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a number from 0 to 65535; got ${JSON.stringify(text)}`);
  return port;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}
