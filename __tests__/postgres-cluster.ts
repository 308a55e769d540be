// Jest's globalSetup: a throwaway PostgreSQL cluster for the test run (initdb in a temp dir, pg_ctl on a free
// 127.0.0.1 port), stopped and removed by global-teardown.ts. PostgreSQL refuses to run as root, so as root the
// cluster belongs to the `postgres` user. When EWS_TEST_POSTGRES_URL already names a server (a superuser URL), the
// tests use it instead and create their own databases there. This file imports nothing local: Jest loads it
// without the test config's module mapping.
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** Where a leftover cluster of an earlier, killed run is recognised. */
const CLUSTER_PREFIX = "ews-pg-";
/** Names the test process that owns a cluster, so a concurrent run's cluster is never touched. */
const OWNER_FILE = "ews-owner.pid";

/** A running cluster. */
export interface PostgresCluster {
  /** A superuser URL of the `postgres` database, e.g. `postgres://postgres@127.0.0.1:54321/postgres`. */
  url: string;
  /** Stops the server and removes its files. */
  stop(): void;
  /** Stops the server as a crash would (`pg_ctl stop -m immediate`), keeping its files. */
  kill(): Promise<void>;
  /** Starts the server again, on the same port and data folder, and resolves once it accepts connections. */
  restart(): Promise<void>;
}

/** Options of {@link startPostgresCluster}. */
export interface PostgresClusterOptions {
  /**
   * Server settings added to (or replacing) the test defaults, e.g. `{ synchronous_commit: "on" }` for a cluster that
   * must keep every acknowledged commit across `kill()`.
   */
  settings?: Record<string, string>;
}

/** The folder with initdb and pg_ctl: `$PG_BIN`, the newest `/usr/lib/postgresql/<version>/bin`, or `pg_config --bindir`. */
export function findPostgresBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => existsSync(join(root, name, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (existsSync(join(dir, "initdb"))) return dir;
  } catch {
    // no pg_config on the PATH
  }
  return undefined;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// A UTF-8 locale whose collation is not byte order, as on most servers, so the tests prove that flow scoping does not
// depend on the database's default collation.
function clusterLocale(): string {
  try {
    const locales = execFileSync("locale", ["-a"], { encoding: "utf8" }).split("\n");
    return ["en_US.utf8", "C.utf8"].find((name) => locales.includes(name)) ?? "C";
  } catch {
    return "C";
  }
}

/**
 * A natural-language default collation (ICU's en-US, where "a" < "B" and punctuation is ignored at first), as many
 * production clusters have, so a query that forgets the byte order the list relies on fails here too. PostgreSQL 15
 * and later; older servers keep the libc locale.
 */
function icuCollation(bin: string): string[] {
  try {
    const version = /(\d+)/.exec(execFileSync(join(bin, "initdb"), ["--version"], { encoding: "utf8" }))?.[1];
    return Number(version) >= 15 ? ["--locale-provider=icu", "--icu-locale=en-US"] : [];
  } catch {
    return [];
  }
}

const asRoot = () => process.getuid?.() === 0;

function pgCommand(bin: string, tool: string, args: string[]): [string, string[]] {
  return asRoot() ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] : [join(bin, tool), args];
}

function runPg(bin: string, tool: string, args: string[]): void {
  const [command, argv] = pgCommand(bin, tool, args);
  execFileSync(command, argv, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
}

/** As runPg, without blocking the event loop (requests keep running while the server stops or starts). */
async function runPgAsync(bin: string, tool: string, args: string[]): Promise<void> {
  const [command, argv] = pgCommand(bin, tool, args);
  await promisify(execFile)(command, argv, { encoding: "utf8" });
}

function stopAndRemove(bin: string, dir: string): void {
  if (existsSync(join(dir, "data", "postmaster.pid"))) {
    try {
      runPg(bin, "pg_ctl", ["stop", "-D", join(dir, "data"), "-m", "immediate", "-w"]);
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Stops and removes clusters left behind by test runs that were killed before their teardown. */
function removeLeftovers(bin: string): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(CLUSTER_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), "utf8"));
    } catch {
      // no owner file: a run that died during initdb
    }
    if (Number.isInteger(owner) && isAlive(owner)) continue;
    try {
      stopAndRemove(bin, dir);
    } catch {
      // another user's leftover: not ours to remove
    }
  }
}

/**
 * Starts a fresh cluster on 127.0.0.1 with trust authentication for the `postgres` superuser, tuned for tests
 * (no fsync). Throws a message naming the fix when PostgreSQL is not installed.
 */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (!bin) {
    throw new Error(
      "The tests need PostgreSQL's server binaries (initdb, pg_ctl) and found none under /usr/lib/postgresql/*/bin or via pg_config. " +
        "Install them (Debian: apt-get install -y postgresql), set PG_BIN to their folder, or set EWS_TEST_POSTGRES_URL to a server you run.",
    );
  }
  removeLeftovers(bin);
  const dir = mkdtempSync(join(tmpdir(), CLUSTER_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const data = join(dir, "data");
  if (asRoot()) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  try {
    runPg(bin, "initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", `--locale=${clusterLocale()}`, ...icuCollation(bin), "--no-sync"]);
    const port = await freePort();
    const server = {
      listen_addresses: "127.0.0.1",
      max_connections: "300",
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      ...options.settings,
    };
    const settings = [`-p ${port}`, `-k ${dir}`, ...Object.entries(server).map(([name, value]) => `-c ${name}=${value}`)].join(" ");
    const start = ["start", "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "-o", settings];
    runPg(bin, "pg_ctl", start);
    let stopped = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: () => {
        if (!stopped) stopAndRemove(bin, dir);
        stopped = true;
      },
      kill: () => runPgAsync(bin, "pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]),
      restart: () => runPgAsync(bin, "pg_ctl", start),
    };
  } catch (error) {
    const log = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8") : "";
    stopAndRemove(bin, dir);
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`Could not start the test PostgreSQL cluster: ${(error as Error).message}\n${stderr}\n${log}`);
  }
}

declare global {
  // Shared with global-teardown.ts, which Jest runs in the same process.
  var ewsPostgresCluster: PostgresCluster | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.EWS_TEST_POSTGRES_URL) return;
  const cluster = await startPostgresCluster();
  globalThis.ewsPostgresCluster = cluster;
  // Also on Ctrl-C or process.exit, where Jest skips globalTeardown (stop() is synchronous and idempotent).
  process.once("exit", () => cluster.stop());
  process.env.EWS_TEST_POSTGRES_URL = cluster.url;
}
