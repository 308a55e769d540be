import { readdir } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ViewName, ViewOverrides } from "../../views/view-types.js";
import { ConfigurationError } from "../errors.js";

export type { ViewOverrides } from "../../views/view-types.js";

/** The file (without extension) that overrides each view in a views folder: kebab-case, like the built-ins' files. */
export const VIEW_FILE_NAMES: Readonly<Record<ViewName, string>> = Object.freeze({
  layout: "layout",
  page: "page",
  toolbar: "toolbar",
  list: "list",
  row: "row",
  empty: "empty",
  noMatches: "no-matches",
  notice: "notice",
  renameDialog: "rename-dialog",
  deleteDialog: "delete-dialog",
  errorPage: "error-page",
  trashPage: "trash-page",
  trashList: "trash-list",
  trashRow: "trash-row",
  pinned: "pinned",
  activityPage: "activity-page",
  activityList: "activity-list",
});

const NAME_OF_FILE: ReadonlyMap<string, ViewName> = new Map(
  (Object.entries(VIEW_FILE_NAMES) as [ViewName, string][]).map(([name, file]) => [file, name]),
);
const FILE_LIST = Object.values(VIEW_FILE_NAMES).map((file) => `${file}.js`).join(", ");
const MODULE_EXTENSIONS = new Set([".js", ".mjs"]);

/**
 * Loads the view overrides of a folder: each `.js` or `.mjs` file named after a built-in view (`row.js`,
 * `layout.js`, `no-matches.js`, …) replaces that view with its **default export**, a synchronous function of the
 * view's data. Sub-folders and files with other extensions (`.map`, `.d.ts`, `.md`) are ignored, so helpers can
 * live in a sub-folder. Fails with a {@link ConfigurationError} naming the file when a file has an unknown name,
 * cannot be imported (a syntax error, a missing import) or does not default-export a function; naming the folder
 * when it cannot be read.
 *
 * @param folder - a path (relative ones resolve from the current directory) or a `file:` URL
 * @example
 * ```ts
 * const views = await loadViewOverrides(new URL("./session-views/", import.meta.url));
 * app.use(createSessionManager({ store, flowId: "my_flow", views }));
 * ```
 */
export async function loadViewOverrides(folder: string | URL): Promise<ViewOverrides> {
  const dir = folderPath(folder);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new ConfigurationError(`The views folder ${dir} cannot be read (${(error as Error).message}); set \`views\` to a folder of view overrides such as row.js.`);
  }
  const files = new Map<ViewName, string>();
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || entry.name.startsWith(".") || !MODULE_EXTENSIONS.has(extname(entry.name))) continue;
    const file = join(dir, entry.name);
    const name = NAME_OF_FILE.get(basename(entry.name, extname(entry.name)));
    if (name === undefined) {
      throw new ConfigurationError(`The view override ${file} does not name a view. Rename it to one of: ${FILE_LIST}; or move a helper module into a sub-folder.`);
    }
    const other = files.get(name);
    if (other !== undefined) throw new ConfigurationError(`The view overrides ${other} and ${file} both replace the ${name} view; keep one.`);
    files.set(name, file);
  }
  const overrides: Partial<Record<ViewName, unknown>> = {};
  for (const [name, file] of files) {
    let module: { default?: unknown };
    try {
      module = await import(pathToFileURL(file).href);
    } catch (error) {
      throw new ConfigurationError(`The view override ${file} failed to load: ${(error as Error)?.message ?? String(error)}`);
    }
    overrides[name] = module.default;
    checkView(module.default, `The view override ${file}`, "its default export");
  }
  return Object.freeze(overrides) as ViewOverrides;
}

/**
 * Checks that every entry of `overrides` names a view and is a synchronous function, and returns them frozen.
 * Throws a {@link ConfigurationError} that names the offending entry.
 */
export function validateViewOverrides(overrides: unknown): ViewOverrides {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new ConfigurationError(`The \`views\` option must be a folder path or the result of await loadViewOverrides(folder); got ${describe(overrides)}.`);
  }
  for (const [name, view] of Object.entries(overrides)) {
    if (!Object.hasOwn(VIEW_FILE_NAMES, name)) {
      throw new ConfigurationError(`The \`views\` option has no view named "${name}". The views are: ${Object.keys(VIEW_FILE_NAMES).join(", ")}.`);
    }
    checkView(view, `The \`views\` option's "${name}"`, "it");
  }
  return Object.freeze({ ...(overrides as ViewOverrides) });
}

function checkView(view: unknown, subject: string, what: string): void {
  if (typeof view !== "function") {
    throw new ConfigurationError(`${subject} must export default a function of the view's data returning html\`…\`; ${what} is ${describe(view)}.`);
  }
  if (view.constructor?.name === "AsyncFunction" || view.constructor?.name === "AsyncGeneratorFunction") {
    throw new ConfigurationError(`${subject} is an async function; views render synchronously, so make it return the template itself, not a promise.`);
  }
}

/** The absolute path of a views folder given as a path (relative to the current directory) or a `file:` URL. */
export function folderPath(folder: string | URL): string {
  if (folder instanceof URL || folder.startsWith("file:")) return fileURLToPath(folder);
  return resolve(folder);
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined (is there an `export default`?)";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
