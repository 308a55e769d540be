import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigurationError } from "../errors.js";

/** A static file the router serves under `{prefix}/assets/`. */
export interface Asset {
  contentType: string;
  body: Buffer;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "express-workflow-sessions") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new ConfigurationError("express-workflow-sessions could not find its own package.json to load its assets.");
    dir = parent;
  }
}

/** Reads the CSS, htmx and the client script once, at setup. Fails with the fix when the CSS has not been built. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  const files: Array<[name: string, path: string, contentType: string]> = [
    ["app.css", join(root, "dist", "public", "app.css"), "text/css; charset=utf-8"],
    ["client.js", join(root, "public", "client.js"), "text/javascript; charset=utf-8"],
    ["htmx.min.js", require.resolve("htmx.org/dist/htmx.min.js"), "text/javascript; charset=utf-8"],
  ];
  return new Map(
    files.map(([name, path, contentType]) => {
      if (!existsSync(path)) {
        throw new ConfigurationError(`The session manager's asset ${name} is missing at ${path}. Run \`npm run build\` in express-workflow-sessions.`);
      }
      return [name, { contentType, body: readFileSync(path) }];
    }),
  );
}
