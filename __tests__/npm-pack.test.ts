import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { ROOT, tempDir } from "./helpers.js";
import { expectedHostRun } from "./consumer/host-run.js";

interface Packed {
  /** The files of the tarball, as `npm pack --json` lists them. */
  files: string[];
  /** The tarball, unpacked. */
  dir: string;
  manifest: {
    dependencies: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
}

/** The repository as a fresh clone has it: the files git tracks or would track, without dist/ or node_modules/. */
function freshClone(): string {
  const dir = tempDir();
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** `npm pack` in a fresh clone, as a release would run it (its lifecycle scripts included). */
function pack(): Packed {
  const clone = freshClone();
  const out = tempDir();
  // Lifecycle scripts print to stdout too: the JSON report is the part that starts with "[" on a line of its own.
  const stdout = execFileSync("npm", ["pack", "--json", "--pack-destination", out], { cwd: clone, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [report] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const dir = tempDir();
  execFileSync("tar", ["-xzf", join(out, report!.filename), "-C", dir]);
  const unpacked = join(dir, "package");
  return { files: report!.files.map((file) => file.path), dir: unpacked, manifest: JSON.parse(readFileSync(join(unpacked, "package.json"), "utf8")) };
}

/**
 * A CommonJS host app that installed the tarball next to Express 4: its node_modules holds the unpacked package, the
 * host's own `express` (4.x, the `express4` dev dependency) and express-session, and the package's dependencies.
 */
function express4Host(packed: Packed): string {
  const host = tempDir();
  const modules = join(host, "node_modules");
  mkdirSync(modules);
  writeFileSync(join(host, "package.json"), JSON.stringify({ name: "express4-host", private: true }));
  copyFileSync(join(ROOT, "__tests__", "consumer", "host.cjs"), join(host, "host.cjs"));
  renameSync(packed.dir, join(modules, "express-workflow-sessions"));
  const link = (name: string, target = name) => {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", target), join(modules, name));
  };
  link("express", "express4");
  link("express-session");
  for (const name of Object.keys(packed.manifest.dependencies)) link(name);
  return host;
}

let packed: Packed;

beforeAll(() => {
  packed = pack();
}, 300_000);

describe("npm pack on a fresh clone", () => {
  it("builds first (prepack), so the tarball holds the compiled entry point and its types", () => {
    expect(packed.files).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/lib/index.js", "dist/lib/index.d.ts"]));
  });

  it("holds every view, the built CSS and the client script", () => {
    const views = readdirSync(join(ROOT, "views")).filter((file) => file.endsWith(".ts")).map((file) => file.replace(/\.ts$/, ""));
    expect(views.length).toBeGreaterThan(0);
    expect(packed.files).toEqual(expect.arrayContaining(views.flatMap((view) => [`dist/views/${view}.js`, `dist/views/${view}.d.ts`])));
    expect(packed.files).toEqual(expect.arrayContaining(["dist/public/app.css", "dist/public/client.js"]));
  });

  it("holds no tests, fixtures, demo or benchmark", () => {
    expect(packed.files.filter((file) => /^(__tests__|demo-app|bench|scripts|\.ci)\//.test(file))).toEqual([]);
  });

  it("ships the sources its source maps point at, and the maps its scripts point at", () => {
    const maps = packed.files.filter((file) => file.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = "" } = JSON.parse(readFileSync(join(packed.dir, map), "utf8")) as { sources: string[]; sourceRoot?: string };
      for (const source of sources) {
        const path = normalize(join(dirname(map), sourceRoot, source));
        if (!packed.files.includes(path)) missing.push(`${map} -> ${path}`);
      }
    }
    for (const script of packed.files.filter((file) => file.endsWith(".js"))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(packed.dir, script), "utf8"))?.[1];
      if (url && !packed.files.includes(normalize(join(dirname(script), url)))) missing.push(`${script} -> ${url}`);
    }
    expect(missing).toEqual([]);
  });

  it("leaves Express and express-session to the host: peer dependencies, not dependencies", () => {
    expect(packed.manifest.dependencies).not.toHaveProperty("express");
    expect(packed.manifest.dependencies).not.toHaveProperty("express-session");
    expect(packed.manifest.peerDependencies).toEqual({ express: expect.stringMatching(/\^4\.\S+ \|\| \^5\./), "express-session": expect.any(String) });
  });
});

describe("the tarball installed in a CommonJS app on Express 4", () => {
  let host: string | undefined;
  // The tarball is unpacked into one host, shared by this block's tests.
  const installed = () => (host ??= express4Host(packed));

  it("has the serve command as its bin, compiled, which prints its help and serves a file on the host's Express 4", async () => {
    const bin = (packed.manifest as { bin?: Record<string, string> }).bin?.["express-workflow-sessions"];
    expect(bin).toBe("dist/lib/cli/main.js");
    expect(packed.files).toContain(bin);
    const script = join(installed(), "node_modules", "express-workflow-sessions", bin!);
    expect(readFileSync(script, "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(execFileSync(process.execPath, [script, "--help"], { cwd: installed(), encoding: "utf8" })).toMatch(/^Usage: express-workflow-sessions serve <database>/);
    const file = join(tempDir(), "workflow_state.db");
    copyFileSync(join(ROOT, "__tests__", "fixtures", "workflow_state.db"), file);
    const child = spawn(process.execPath, [script, "serve", file, "--port", "0"], { cwd: installed(), stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = / at (http:\/\/\S+)\/\n/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on("exit", (code) => reject(new Error(`serve exited (${code}) before printing its URL: ${out}`)));
      });
      const page = await fetch(`${url}/flows/structure_decomposition`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('data-session-id="');
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);

  it("is required by name, mounts on the host's Express 4, and lists, creates, resumes, renames and deletes, and an action that fails (a vanished session) answers its error", () => {
    const out = execFileSync(process.execPath, [join(installed(), "host.cjs")], { cwd: installed(), encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").pop()!);
    expect(result).toEqual(expectedHostRun(4));
  });
});
