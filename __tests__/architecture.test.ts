import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The import graph of `lib/`, `views/` and `client/`, read from the sources with TypeScript's own parser, held to the
 * layering of issue 11: imports run one way, and there are no cycles, type-only ones included.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FOLDERS = ["lib", "views", "client"];

/** One import of one of our files by another. */
interface Edge {
  from: string;
  to: string;
  /** True when the import is erased at compile time (`import type`, `export type … from`, `{ type A }` only). */
  typeOnly: boolean;
}

/** A package (not a file of ours) that a file imports. */
interface PackageImport {
  from: string;
  name: string;
  typeOnly: boolean;
}

/**
 * The layers, by path pattern, most specific first. A pattern is a file (`lib/errors.ts`) or a folder and everything
 * under it (`lib/store/**`). Every file of the graph must match one.
 */
const LAYERS: readonly { layer: string; pattern: string }[] = [
  { layer: "index", pattern: "lib/index.ts" },
  { layer: "errors", pattern: "lib/errors.ts" },
  { layer: "session-types", pattern: "lib/session-types.ts" },
  { layer: "list-state", pattern: "lib/list-state.ts" },
  { layer: "options", pattern: "lib/options.ts" },
  { layer: "options", pattern: "lib/events-options.ts" },
  { layer: "store", pattern: "lib/store/**" },
  { layer: "service", pattern: "lib/service/**" },
  { layer: "http", pattern: "lib/http/**" },
  { layer: "render", pattern: "lib/render/**" },
  { layer: "view-data", pattern: "views/view-data.ts" },
  { layer: "view-types", pattern: "views/view-types.ts" },
  { layer: "views", pattern: "views/**" },
  { layer: "client", pattern: "client/**" },
  { layer: "cli", pattern: "lib/cli/**" },
];

/**
 * What each layer may import, by path pattern; `type:` before a pattern allows type-only imports of it. Anything
 * else is a violation. (Imports inside a layer's own folder are listed explicitly.)
 */
const RULES: readonly { layer: string; rule: string; allowed: readonly string[] }[] = [
  { layer: "errors", rule: "lib/errors.ts imports nothing of ours", allowed: [] },
  { layer: "session-types", rule: "lib/session-types.ts (the domain's data types) imports nothing of ours", allowed: [] },
  { layer: "list-state", rule: "lib/list-state.ts imports only the data types", allowed: ["lib/session-types.ts"] },
  {
    layer: "store",
    rule: "lib/store/ imports only itself, lib/errors.ts and the data types (type-only)",
    allowed: ["lib/store/**", "lib/errors.ts", "type:lib/session-types.ts"],
  },
  {
    layer: "service",
    rule: "lib/service/ imports only itself, lib/store/ and the top-level modules",
    allowed: ["lib/service/**", "lib/store/**", "lib/errors.ts", "lib/session-types.ts", "lib/list-state.ts", "lib/options.ts", "lib/events-options.ts"],
  },
  { layer: "view-data", rule: "views/view-data.ts (what each view receives) imports only the domain's data types", allowed: ["type:lib/session-types.ts"] },
  { layer: "view-types", rule: "views/view-types.ts (what a view is) imports only views/view-data.ts, never a view", allowed: ["type:views/view-data.ts"] },
  {
    layer: "views",
    rule: "views/ import only each other, their data types and lib/list-state.ts",
    allowed: ["views/**", "lib/session-types.ts", "lib/list-state.ts"],
  },
  {
    layer: "render",
    rule: "lib/render/ imports only itself, views/, lib/errors.ts and the data types",
    allowed: ["lib/render/**", "views/**", "lib/errors.ts", "lib/session-types.ts"],
  },
  {
    layer: "options",
    rule: "lib/options.ts (and lib/events-options.ts, its events option) imports no render/, http/ or service/: only errors, the data types and store and view types",
    allowed: ["lib/events-options.ts", "lib/errors.ts", "lib/session-types.ts", "type:lib/store/**", "type:views/**"],
  },
  {
    layer: "http",
    rule: "lib/http/ imports only itself, lib/render/, views/, lib/service/ and the top-level modules",
    allowed: ["lib/http/**", "lib/render/**", "views/**", "lib/service/**", "lib/errors.ts", "lib/session-types.ts", "lib/list-state.ts", "lib/options.ts", "lib/events-options.ts"],
  },
  {
    layer: "client",
    rule: "client/ imports only itself, the DOM contract the views share (views/dom-contract.ts), lib/list-state.ts and the data types",
    allowed: ["client/**", "views/dom-contract.ts", "lib/list-state.ts", "lib/session-types.ts"],
  },
  {
    layer: "cli",
    rule: "lib/cli/ (the serve command) imports only itself and the package's public index, as a host would",
    allowed: ["lib/cli/**", "lib/index.ts"],
  },
  {
    layer: "index",
    rule: "lib/index.ts may re-export anything of lib/ and views/",
    allowed: ["lib/**", "views/**"],
  },
];

/** Packages only some layers may import: `req`/`res` stay in lib/http/. */
const PACKAGE_RULES: readonly { name: string; rule: string; allowed: readonly string[] }[] = [
  {
    name: "express",
    rule: "only lib/http/ and the serve command (lib/cli/) import express (lib/options.ts only its types)",
    allowed: ["lib/http/**", "lib/cli/**", "type:lib/options.ts"],
  },
];

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
    }
  };
  for (const folder of FOLDERS) if (existsSync(join(ROOT, folder))) walk(folder);
  return files.sort();
}

/** Every module specifier of a file, with whether the import is type-only. */
function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (`./x.js` is the source `./x.ts`), or `undefined` when there is none. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [target, target.replace(/\.js$/, ".ts"), target.replace(/\.mjs$/, ".mts"), `${target}.ts`, `${target}/index.ts`];
  return candidates.find((candidate) => existsSync(join(ROOT, candidate)) && !candidate.endsWith("/"));
}

function buildGraph() {
  const files = sourceFiles();
  const edges: Edge[] = [];
  const packages: PackageImport[] = [];
  const unresolved: string[] = [];
  const missed: string[] = [];
  for (const file of files) {
    const found = importsOf(file);
    // Cross-check with the compiler's own pre-processor, so that no import form escapes the walk above.
    const preprocessed = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true).importedFiles.map((ref) => ref.fileName);
    for (const specifier of preprocessed) if (!found.some((f) => f.specifier === specifier)) missed.push(`${file}: ${specifier}`);
    for (const { specifier, typeOnly } of found) {
      if (specifier.startsWith(".")) {
        const to = resolveSpecifier(file, specifier);
        if (to === undefined) unresolved.push(`${file} → ${specifier}`);
        else if (to !== file) edges.push({ from: file, to, typeOnly });
      } else if (!specifier.startsWith("node:")) {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        packages.push({ from: file, name, typeOnly });
      }
    }
  }
  return { files, edges, packages, unresolved, missed };
}

function matches(pattern: string, file: string): boolean {
  return pattern.endsWith("/**") ? file.startsWith(pattern.slice(0, -2)) : file === pattern;
}

function layerOf(file: string): string | undefined {
  return LAYERS.find(({ pattern }) => matches(pattern, file))?.layer;
}

/** True when `allowed` lets an import of `to` through (type-only ones also pass `type:` patterns). */
function isAllowed(allowed: readonly string[], to: string, typeOnly: boolean): boolean {
  return allowed.some((pattern) => (pattern.startsWith("type:") ? typeOnly && matches(pattern.slice(5), to) : matches(pattern, to)));
}

/** The cycles of the graph, each as a path `a → b → … → a` (one per strongly connected component). */
function cyclesOf(files: readonly string[], edges: readonly Edge[]): string[] {
  const next = new Map<string, string[]>(files.map((file) => [file, []]));
  for (const { from, to } of edges) next.get(from)?.push(to);
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (file: string) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file)!, index.get(to)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) components.push(component);
    }
  };
  for (const file of files) if (!index.has(file)) connect(file);
  // Name one concrete cycle through each component: a shortest path back to its first file.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...members].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    let end: string | undefined;
    while (queue.length > 0 && end === undefined) {
      const file = queue.shift()!;
      for (const to of next.get(file) ?? []) {
        if (!members.has(to)) continue;
        if (to === start) {
          end = file;
          break;
        }
        if (!previous.has(to)) {
          previous.set(to, file);
          queue.push(to);
        }
      }
    }
    const path = [start];
    for (let file = end; file !== undefined && file !== start; file = previous.get(file)) path.splice(1, 0, file);
    return `${[...path, start].join(" → ")} (${component.length} files in the circle)`;
  });
}

const graph = buildGraph();

describe("the import graph of lib/, views/ and client/", () => {
  it("is read whole: every import form the compiler sees is counted, and every relative import names a file", () => {
    expect(graph.files.length).toBeGreaterThan(20);
    expect(graph.missed).toEqual([]);
    expect(graph.unresolved).toEqual([]);
  });

  it("has no cycles, type-only imports included", () => {
    expect(cyclesOf(graph.files, graph.edges)).toEqual([]);
  });

  it("puts every file in a layer of the table (add a new top-level module to LAYERS and RULES)", () => {
    expect(graph.files.filter((file) => layerOf(file) === undefined)).toEqual([]);
  });

  it("has a rule for every layer", () => {
    expect(LAYERS.filter(({ layer }) => !RULES.some((rule) => rule.layer === layer)).map(({ layer }) => layer)).toEqual([]);
  });

  it.each(RULES)("$rule", ({ layer, allowed }) => {
    const violations = graph.edges
      .filter(({ from, to, typeOnly }) => layerOf(from) === layer && !isAllowed(allowed, to, typeOnly))
      .map(({ from, to, typeOnly }) => `${from} → ${to}${typeOnly ? " (type-only)" : ""}`);
    expect(violations).toEqual([]);
  });

  it.each(PACKAGE_RULES)("$rule", ({ name, allowed }) => {
    const violations = graph.packages
      .filter((imported) => imported.name === name && !isAllowed(allowed, imported.from, imported.typeOnly))
      .map(({ from, typeOnly }) => `${from} → ${name}${typeOnly ? " (type-only)" : ""}`);
    expect(violations).toEqual([]);
  });
});

describe("the checker itself", () => {
  it("names a cycle's files in order", () => {
    const edges: Edge[] = [
      { from: "a.ts", to: "b.ts", typeOnly: true },
      { from: "b.ts", to: "c.ts", typeOnly: false },
      { from: "c.ts", to: "a.ts", typeOnly: false },
      { from: "c.ts", to: "d.ts", typeOnly: false },
    ];
    expect(cyclesOf(["a.ts", "b.ts", "c.ts", "d.ts"], edges)).toEqual(["a.ts → b.ts → c.ts → a.ts (3 files in the circle)"]);
  });

  it("matches folder patterns by prefix and `type:` patterns only for type-only imports", () => {
    expect(isAllowed(["lib/store/**"], "lib/store/dialects/sqlite.ts", false)).toBe(true);
    expect(isAllowed(["lib/store/**"], "lib/storefront.ts", false)).toBe(false);
    expect(isAllowed(["type:lib/session-types.ts"], "lib/session-types.ts", true)).toBe(true);
    expect(isAllowed(["type:lib/session-types.ts"], "lib/session-types.ts", false)).toBe(false);
  });

  it("tells type-only imports from runtime ones", () => {
    const edges = graph.edges.filter(({ from }) => from === "lib/index.ts");
    expect(edges.some(({ typeOnly }) => typeOnly)).toBe(true);
    expect(edges.some(({ typeOnly }) => !typeOnly)).toBe(true);
  });
});
