import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tempDir } from "./helpers.js";

const SCRIPT = join(ROOT, "scripts", "ensure-system-packages.mjs");
const asRoot = process.getuid?.() === 0;

function executable(path: string, body = "exit 0") {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/**
 * A machine of its own: EWS_SYSTEM_ROOT stands for `/` (where /usr/bin/chromium and /usr/lib/postgresql are looked
 * for), and PATH holds only the programs a case puts there. Nothing is ever installed for real.
 */
function machine() {
  const root = tempDir();
  const bin = join(root, "bin");
  mkdirSync(bin);
  const aptLog = join(root, "apt-get.log");
  return {
    root,
    aptLog,
    withPython: () => executable(join(bin, "python3"), '[ "$1 $2" = "-c import sqlite3" ] && exit 0; exit 1'),
    withPythonLackingSqlite: () => executable(join(bin, "python3"), "exit 1"),
    withChromium: () => executable(join(root, "usr", "bin", "chromium")),
    withPostgres: () => executable(join(root, "usr", "lib", "postgresql", "16", "bin", "initdb")),
    /** An apt-get that logs its calls and, on install, puts the packages' programs where Debian's would go. */
    withAptGet: ({ installs = true } = {}) =>
      executable(
        join(bin, "apt-get"),
        [
          `echo "$DEBIAN_FRONTEND $*" >> ${aptLog}`,
          "PATH=/usr/bin:/bin",
          `[ "$1" = install ] || exit 0`,
          installs ? "" : "exit 100",
          `for p in "$@"; do case "$p" in`,
          `  chromium) mkdir -p ${root}/usr/bin && printf '#!/bin/sh\\n' > ${root}/usr/bin/chromium && chmod +x ${root}/usr/bin/chromium;;`,
          `  postgresql) mkdir -p ${root}/usr/lib/postgresql/16/bin && printf '#!/bin/sh\\n' > ${root}/usr/lib/postgresql/16/bin/initdb && chmod +x ${root}/usr/lib/postgresql/16/bin/initdb;;`,
          `  python3) printf '#!/bin/sh\\nexit 0\\n' > ${bin}/python3 && chmod +x ${bin}/python3;;`,
          `esac; done`,
        ].join("\n"),
      ),
    run(env: Record<string, string> = {}) {
      const result = spawnSync(process.execPath, [SCRIPT], { env: { PATH: bin, EWS_SYSTEM_ROOT: root, ...env }, encoding: "utf8" });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, aptCalls: existsSync(aptLog) ? readFileSync(aptLog, "utf8").trim().split("\n") : [] };
    },
  };
}

describe("scripts/ensure-system-packages.mjs (npm test's first step)", () => {
  it("is what npm test runs first, before the build", () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(scripts.pretest).toMatch(/^node scripts\/ensure-system-packages\.mjs && npm run build$/);
  });

  describe("when Chromium, PostgreSQL and python3 with sqlite3 are all there", () => {
    it("exits 0 without calling apt-get", () => {
      const m = machine();
      m.withChromium();
      m.withPostgres();
      m.withPython();
      m.withAptGet();
      expect(m.run()).toMatchObject({ status: 0, stderr: "", aptCalls: [] });
    });
  });

  describe("when nothing is there and apt-get is not available", () => {
    it("exits 1 with one message that names what is missing and the command to run", () => {
      const m = machine();
      const { status, stderr } = m.run();
      expect(status).toBe(1);
      expect(stderr).toContain("chromium (no /usr/bin/chromium)");
      expect(stderr).toContain("postgresql (no initdb under /usr/lib/postgresql/*/bin)");
      expect(stderr).toContain("python3 (no python3 on the PATH)");
      expect(stderr).toContain("sudo apt-get install chromium postgresql python3");
      expect(stderr).toMatch(/CHROMIUM_PATH=.*PG_BIN=.*EWS_TEST_POSTGRES_URL=/);
      expect(stderr).not.toMatch(/\n\s+at /);
    });

    it("names only the packages that are missing", () => {
      const m = machine();
      m.withChromium();
      m.withPythonLackingSqlite();
      const { status, stderr } = m.run();
      expect(status).toBe(1);
      expect(stderr).toContain("python3 (python3 has no sqlite3 module)");
      expect(stderr).toContain("sudo apt-get install postgresql python3\n");
    });
  });

  describe("the variables that point the tests elsewhere", () => {
    it("accepts CHROMIUM_PATH, PG_BIN and EWS_TEST_POSTGRES_URL instead of the Debian paths", () => {
      const m = machine();
      m.withPython();
      executable(join(m.root, "opt", "chrome"));
      executable(join(m.root, "opt", "pg", "initdb"));
      expect(m.run({ CHROMIUM_PATH: join(m.root, "opt", "chrome"), PG_BIN: join(m.root, "opt", "pg") }).status).toBe(0);
      expect(m.run({ CHROMIUM_PATH: join(m.root, "opt", "chrome"), EWS_TEST_POSTGRES_URL: "postgres://postgres@127.0.0.1:1/postgres" }).status).toBe(0);
    });

    it("says to correct a variable that points at nothing, and installs nothing for it", () => {
      const m = machine();
      m.withPython();
      m.withPostgres();
      m.withAptGet();
      const { status, stderr, aptCalls } = m.run({ CHROMIUM_PATH: "/nowhere/chromium" });
      expect(status).toBe(1);
      expect(stderr).toContain("chromium (CHROMIUM_PATH=/nowhere/chromium is not an executable file)");
      expect(stderr).toContain("Correct or unset CHROMIUM_PATH.");
      expect(stderr).not.toContain("apt-get install");
      expect(aptCalls).toEqual([]);
    });
  });

  (asRoot ? describe : describe.skip)("as root, with apt-get", () => {
    it("runs apt-get update, then a non-interactive install of exactly the missing packages, and exits 0", () => {
      const m = machine();
      m.withPython();
      m.withAptGet();
      const { status, aptCalls } = m.run();
      expect(aptCalls).toEqual(["noninteractive update -qq", "noninteractive install -y -qq chromium postgresql"]);
      expect(status).toBe(0);
    });

    it("exits 1 with the message when the install fails", () => {
      const m = machine();
      m.withAptGet({ installs: false });
      const { status, stderr, aptCalls } = m.run();
      expect(aptCalls).toHaveLength(2);
      expect(status).toBe(1);
      expect(stderr).toContain("apt-get install failed (exit 100)");
      expect(stderr).toContain("sudo apt-get install chromium postgresql python3");
    });
  });

  (asRoot ? describe.skip : describe)("as another user, with apt-get", () => {
    it("installs nothing and exits 1 with the sudo command", () => {
      const m = machine();
      m.withAptGet();
      const { status, stderr, aptCalls } = m.run();
      expect(aptCalls).toEqual([]);
      expect(status).toBe(1);
      expect(stderr).toContain("sudo apt-get install chromium postgresql python3");
    });
  });
});
