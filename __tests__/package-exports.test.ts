import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./helpers.js";
import { expectedHostRun } from "./consumer/host-run.js";

const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");

describe("the built package", () => {
  it("is importable by name from plain Node, and serves a page with its built CSS", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "__tests__", "consumer", "consumer.mjs")], { cwd: ROOT, encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").pop()!);
    expect(result.exports).toEqual(expect.arrayContaining(["createSessionManager", "createWorkflowStore", "WorkflowStore", "SessionManagerError", "loadViewOverrides", "builtInViews", "VIEW_FILE_NAMES", "checkViewContract"]));
    expect(result.listed).toBe(true);
    expect(result.css).toBe(200);
  });

  it("is require()d by name from a CommonJS app, which mounts it on Express 5 and uses every action", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "__tests__", "consumer", "host.cjs")], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual(expectedHostRun(5));
  });

  it("type-checks TypeScript consumers, an ES module one and a CommonJS one (a .cts file that require()s it), including the typed req.session.activeSessionId", () => {
    expect(() => execFileSync(process.execPath, [tsc, "-p", join(ROOT, "__tests__", "consumer", "tsconfig.json")], { cwd: ROOT, encoding: "utf8" })).not.toThrow();
  }, 180_000);
});
