// Run by `npm test` before the build: the suite needs three system programs that npm cannot install.
//   - Chromium for the browser tests: $CHROMIUM_PATH, or Debian's /usr/bin/chromium (__tests__/browser-helpers.ts);
//   - PostgreSQL's server binaries for the throwaway test cluster: $EWS_TEST_POSTGRES_URL (a server you run), or
//     initdb in $PG_BIN, the newest /usr/lib/postgresql/<version>/bin, or `pg_config --bindir`
//     (__tests__/postgres-cluster.ts);
//   - python3 with its sqlite3 module, which proves the files still read in the Python library.
// When some are missing and this runs as root with apt-get, it installs them (apt-get update, then a
// non-interactive apt-get install); otherwise it exits 1 with one message naming the command to run.
// EWS_SYSTEM_ROOT (for this script's own tests) is prefixed to the fixed paths /usr/bin/chromium and /usr/lib/postgresql.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The Debian package that provides each requirement. */
export const PACKAGES = Object.freeze({ chromium: "chromium", postgresql: "postgresql", python3: "python3" });

function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on the PATH of `env`. */
function onPath(name, env) {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function run(command, args, env) {
  return spawnSync(command, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function checkChromium(env, root) {
  if (env.CHROMIUM_PATH) {
    return isExecutableFile(env.CHROMIUM_PATH) ? { ok: true } : { ok: false, variable: "CHROMIUM_PATH", reason: `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file` };
  }
  return isExecutableFile(join(root, "/usr/bin/chromium")) ? { ok: true } : { ok: false, reason: "no /usr/bin/chromium" };
}

function checkPostgres(env, root) {
  if (env.EWS_TEST_POSTGRES_URL) return { ok: true };
  if (env.PG_BIN) {
    return isExecutableFile(join(env.PG_BIN, "initdb")) ? { ok: true } : { ok: false, variable: "PG_BIN", reason: `PG_BIN=${env.PG_BIN} holds no initdb` };
  }
  const versions = join(root, "/usr/lib/postgresql");
  if (existsSync(versions) && readdirSync(versions).some((version) => isExecutableFile(join(versions, version, "bin", "initdb")))) return { ok: true };
  const pgConfig = onPath("pg_config", env);
  if (pgConfig) {
    const bindir = run(pgConfig, ["--bindir"], env).stdout?.trim();
    if (bindir && isExecutableFile(join(bindir, "initdb"))) return { ok: true };
  }
  return { ok: false, reason: "no initdb under /usr/lib/postgresql/*/bin" };
}

function checkPython(env) {
  if (!onPath("python3", env)) return { ok: false, reason: "no python3 on the PATH" };
  return run("python3", ["-c", "import sqlite3"], env).status === 0 ? { ok: true } : { ok: false, reason: "python3 has no sqlite3 module" };
}

/**
 * What is missing, as `{ name, reason, variable? }` per unmet requirement. `variable` names the environment variable
 * that points at nothing: installing a package would not help then.
 */
export function findProblems(env = process.env) {
  const root = env.EWS_SYSTEM_ROOT ?? "";
  const checks = { chromium: checkChromium(env, root), postgresql: checkPostgres(env, root), python3: checkPython(env) };
  return Object.entries(checks)
    .filter(([, result]) => !result.ok)
    .map(([name, { reason, variable }]) => ({ name, reason, variable }));
}

/** The Debian packages that would meet these problems. */
export function packagesFor(problems) {
  return problems.filter((problem) => !problem.variable).map((problem) => PACKAGES[problem.name]);
}

/** The one message printed when the requirements cannot be met here. */
export function problemMessage(problems) {
  const packages = packagesFor(problems);
  const lines = [`npm test needs programs that this machine lacks: ${problems.map(({ name, reason }) => `${name} (${reason})`).join(", ")}.`];
  if (packages.length > 0) {
    lines.push(`Install them with:  sudo apt-get install ${packages.join(" ")}`);
    lines.push(
      "or point the tests elsewhere: CHROMIUM_PATH=<a Chromium or Chrome binary>, PG_BIN=<the folder with initdb and pg_ctl>, " +
        "or EWS_TEST_POSTGRES_URL=<a superuser URL of a PostgreSQL server you run>.",
    );
  }
  for (const { variable } of problems) if (variable) lines.push(`Correct or unset ${variable}.`);
  return lines.join("\n");
}

function install(packages, env) {
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  console.log(`ensure-system-packages: installing ${packages.join(" ")} with apt-get`);
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...packages]]) {
    const result = spawnSync("apt-get", args, { env: aptEnv, stdio: ["ignore", "inherit", "inherit"] });
    if (result.status !== 0) return `apt-get ${args[0]} failed${result.error ? `: ${result.error.message}` : ` (exit ${result.status})`}`;
  }
  return undefined;
}

/** Checks, installs what it can, checks again; returns the exit code. */
export function main(env = process.env) {
  let problems = findProblems(env);
  if (problems.length === 0) return 0;
  const packages = packagesFor(problems);
  const canInstall = process.getuid?.() === 0 && onPath("apt-get", env) !== undefined;
  // Installing is pointless while a variable points at nothing: the tests would still use that path.
  if (canInstall && problems.every((problem) => !problem.variable)) {
    const failure = install(packages, env);
    problems = findProblems(env);
    if (problems.length === 0) return 0;
    if (failure) console.error(`ensure-system-packages: ${failure}.`);
  }
  console.error(problemMessage(problems));
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
