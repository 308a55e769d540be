import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./helpers.js";

describe("the built package", () => {
  it("is importable by name from plain Node, and serves a page with its built CSS", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "__tests__", "consumer", "consumer.mjs")], { cwd: ROOT, encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").pop()!);
    expect(result.exports).toEqual(expect.arrayContaining(["createSessionManager", "createWorkflowStore", "WorkflowStore", "SessionManagerError", "loadViewOverrides", "builtInViews", "VIEW_FILE_NAMES"]));
    expect(result.listed).toBe(true);
    expect(result.css).toBe(200);
  });

  it("type-checks a TypeScript consumer, including the typed req.session.activeSessionId", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    expect(() =>
      execFileSync(process.execPath, [tsc, "-p", join(ROOT, "__tests__", "consumer", "tsconfig.json")], { cwd: ROOT, encoding: "utf8" }),
    ).not.toThrow();
  });
});
