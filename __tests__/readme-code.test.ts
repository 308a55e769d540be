import { execFileSync } from "node:child_process";
import ts from "typescript";
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

/** The block of `file` whose first line is `firstLine`. */
function blockStartingWith(file: string, firstLine: string): string {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const fence = lines.findIndex((line, i) => /^```(ts|js)\s*$/.test(line) && lines[i + 1] === firstLine);
  if (fence < 0) throw new Error(`${file} has no block starting with ${firstLine}`);
  const end = lines.findIndex((line, i) => i > fence && /^```\s*$/.test(line));
  return lines.slice(fence + 1, end).join("\n");
}

// Renders the page with the built-in views and with the docs' overrides, over the built package, in a child
// process (as a host would run them), and reports each row's cells and actions next to the header's.
const RENDER_PAGE = `
import express from "express";
import session from "express-session";
import { checkViewContract, createSessionManager, createWorkflowStore } from "express-workflow-sessions";
import row from "./row.mjs";
import layout from "./layout.mjs";

const breakpoint = (cell) => /\\b(sm|md|lg):table-cell\\b/.exec(cell)?.[1] ?? "always";
async function render(views) {
  const store = await createWorkflowStore({ filename: ":memory:" });
  await store.createSession("flow", { label: "Lecture 1" });
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use(createSessionManager({ store, flowId: "flow", columns: [{ field: "sources", header: "Sources" }], enrich: () => ({ sources: "3" }), views }));
  const server = await new Promise((resolve) => { const s = app.listen(0, "127.0.0.1", () => resolve(s)); });
  const response = await fetch(\`http://127.0.0.1:\${server.address().port}/manage/sessions\`);
  const html = await response.text();
  server.close();
  await store.close();
  const head = /<thead[\\s\\S]*?<\\/thead>/.exec(html)?.[0] ?? "";
  const tr = /<tr class="ews-row"[\\s\\S]*?<\\/tr>/.exec(html)?.[0] ?? "";
  return {
    status: response.status,
    problems: checkViewContract(html).map((problem) => problem.message),
    nav: html.includes('<nav class="navbar">'),
    header: (head.match(/<th\\b[^>]*>/g) ?? []).map(breakpoint),
    cells: (tr.match(/<t[hd]\\b[^>]*>/g) ?? []).map(breakpoint),
    actions: [...tr.matchAll(/data-action="([a-z]+)"/g)].map((match) => match[1]),
    rowAttributes: ["data-session-id", "data-session-label", "aria-selected", "aria-rowindex"].filter((name) => tr.includes(\`\${name}=\`)),
  };
}
console.log(JSON.stringify({ builtIn: await render(undefined), overridden: await render({ row, layout }) }));
`;

describe("the view overrides in docs/customising-views.md", () => {
  it("render as the built-in row does: every cell under its header, the same actions, the attributes the client reads, and no DOM-contract problem", () => {
    const parent = join(ROOT, "__tests__", ".tmp");
    mkdirSync(parent, { recursive: true });
    const dir = mkdtempSync(join(parent, "docs-views-"));
    try {
      const row = ts.transpileModule(blockStartingWith("docs/customising-views.md", "// session-views/row.ts, compiled to session-views/row.js"), {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      }).outputText;
      writeFileSync(join(dir, "row.mjs"), row);
      writeFileSync(join(dir, "layout.mjs"), blockStartingWith("docs/customising-views.md", "// session-views/layout.js"));
      writeFileSync(join(dir, "render-page.mjs"), RENDER_PAGE);
      const out = execFileSync(process.execPath, [join(dir, "render-page.mjs")], { cwd: ROOT, encoding: "utf8" });
      const { builtIn, overridden } = JSON.parse(out.trim().split("\n").pop()!);
      expect(builtIn.cells).toEqual(builtIn.header);
      expect(builtIn.problems).toEqual([]);
      expect(overridden.problems).toEqual([]);
      expect(overridden.status).toBe(200);
      expect(overridden.nav).toBe(true);
      expect(overridden.header).toEqual(builtIn.header);
      expect(overridden.cells).toEqual(builtIn.cells);
      expect(overridden.actions).toEqual(builtIn.actions);
      expect(overridden.rowAttributes).toEqual(builtIn.rowAttributes);
      expect(builtIn.actions).toEqual(["history", "resume", "rename", "duplicate", "pin", "export", "delete"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the bulk limits in docs/hooks.md", () => {
  const docs = readFileSync(join(ROOT, "docs", "hooks.md"), "utf8");
  const section = docs.slice(docs.indexOf("### Bulk limits"), docs.indexOf("### `before*` hooks"));
  const number = (n: number) => n.toLocaleString("en-US");

  it("state the limits the code enforces", async () => {
    const { MAX_BULK_IDS } = await import("../views/dom-contract.js");
    const { KEYS_PER_STATEMENT } = await import("../lib/store/key-chunks.js");
    const { TRASH_CHUNK, CHUNK_TARGET_MS } = await import("../lib/store/trash-repository.js");
    const { MAINTENANCE_BATCH, MAINTENANCE_INTERVAL_MS } = await import("../lib/service/trash-service.js");
    const { MAX_EXPORT_IDS } = await import("../lib/http/transfer-routes.js");
    const { EXPORT_BATCH_ROWS } = await import("../lib/store/session-transfer.js");
    const { MAX_BULK_BODY_BYTES } = await import("../lib/http/form-body.js");
    expect(section).toContain(`at most ${number(MAX_BULK_IDS)} ids`);
    expect(section).toContain(`at most ${KEYS_PER_STATEMENT} keys (\`KEYS_PER_STATEMENT\`)`);
    expect(section).toContain(`chunks of 10 to ${TRASH_CHUNK} rows (\`TRASH_CHUNK\`)`);
    expect(section).toContain(`about ${CHUNK_TARGET_MS} ms`);
    expect(section).toContain(`batches of ${MAINTENANCE_BATCH} rows (\`MAINTENANCE_BATCH\`)`);
    expect(MAINTENANCE_INTERVAL_MS).toBe(60_000);
    expect(section).toContain("at most once a minute");
    expect(section).toContain(`at most ${number(MAX_EXPORT_IDS)} ids (\`MAX_EXPORT_IDS\`)`);
    expect(section).toContain(`batches of ${EXPORT_BATCH_ROWS} rows (\`EXPORT_BATCH_ROWS\`)`);
    expect(section).toContain(`capped at ${MAX_BULK_BODY_BYTES.replace("kb", " KB")}`);
  });
});
