import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./helpers.js";

const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** A marker on the line before a fence that keeps the block out of the typecheck, with the reason after the colon. */
const SKIP_MARKER = /^<!--\s*not typechecked:.*-->$/;

interface CodeBlock {
  /** Where the block is, as `README.md:57`: the line of its opening fence. */
  where: string;
  code: string;
}

/** Every ```ts block of a Markdown file, with the line of its opening fence. */
function tsBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (start > 0 && SKIP_MARKER.test(lines[start - 1]!.trim())) continue;
    blocks.push({ where: `${relative(ROOT, file)}:${start + 1}`, code: body.join("\n") });
  }
  return blocks;
}

const markdownFiles = [
  join(ROOT, "README.md"),
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(ROOT, "docs", name)),
];

describe("the TypeScript in README.md and docs/", () => {
  const blocks = markdownFiles.flatMap(tsBlocks);

  it("has blocks to check, the README's among them", () => {
    expect(blocks.some((block) => block.where.startsWith("README.md:"))).toBe(true);
  });

  it("typechecks, every block as a module of its own, against the built package imported by name", () => {
    // Inside the package folder, so `express-workflow-sessions` resolves to this package through its `exports`.
    const parent = join(ROOT, "__tests__", ".tmp");
    mkdirSync(parent, { recursive: true });
    const dir = mkdtempSync(join(parent, "readme-code-"));
    try {
      const files = blocks.map((block, index) => {
        const name = `block-${String(index).padStart(2, "0")}.ts`;
        // `export {}` makes a block without imports a module too, so blocks never share top-level names.
        writeFileSync(join(dir, name), `${block.code}\nexport {};\n`);
        return name;
      });
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ["node"],
          },
          files,
        }),
      );
      let output = "";
      try {
        execFileSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json"), "--pretty", "false"], { cwd: dir, encoding: "utf8" });
      } catch (error) {
        output = String((error as { stdout?: string }).stdout ?? error);
      }
      // Name each error by its block's place in the Markdown, not by the temporary file.
      const named = output.replace(/block-(\d+)\.ts\((\d+),(\d+)\)/g, (_match, index: string, line: string) => {
        const block = blocks[Number(index)]!;
        return `${block.where} (line ${line} of the block)`;
      });
      expect(named).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
