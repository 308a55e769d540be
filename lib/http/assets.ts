import { createHash } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigurationError } from "../errors.js";
import type { AssetUrls } from "../../views/view-data.js";

/** A static file the router serves under `{prefix}/assets/`. */
export interface Asset {
  contentType: string;
  body: Buffer;
  /** `Cache-Control` for this name: immutable for the content-hashed name, `no-cache` for the plain one. */
  cacheControl: string;
}

/** The manager's assets, by the names they are served under, and their content-hashed names. */
export interface AssetCatalog {
  /** Every servable name: `app.3f2a9c1b0d.css` (immutable) and `app.css` (revalidated), and so on. */
  byName: ReadonlyMap<string, Asset>;
  /** The content-hashed URLs of the assets under `base` (the `assets` folder URL). */
  urlsAt(base: string): AssetUrls;
}

/** A year, the longest `max-age` caches honour: a hashed name never changes content. */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";
/** The plain names stay servable for overrides that link `${urls.assets}/app.css`; caches revalidate them. */
export const PLAIN_CACHE_CONTROL = "no-cache";
const HASH_LENGTH = 10;

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

/** `app.css` with content hash `h` is served as `app.h.css`. */
export function hashedName(name: string, body: Buffer): string {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, HASH_LENGTH);
  const dot = name.lastIndexOf(".");
  return `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
}

/** Reads the CSS, htmx, its SSE extension and the client script once, at setup. Fails with the fix when they have not been built. */
export function loadAssets(): AssetCatalog {
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  const files: Array<[key: keyof AssetUrls, name: string, path: string, contentType: string]> = [
    ["styles", "app.css", join(root, "dist", "public", "app.css"), "text/css; charset=utf-8"],
    ["client", "client.js", join(root, "dist", "public", "client.js"), "text/javascript; charset=utf-8"],
    ["htmx", "htmx.min.js", require.resolve("htmx.org/dist/htmx.min.js"), "text/javascript; charset=utf-8"],
    ["sse", "sse.min.js", require.resolve("htmx-ext-sse/dist/sse.min.js"), "text/javascript; charset=utf-8"],
  ];
  const byName = new Map<string, Asset>();
  const hashed = {} as Record<keyof AssetUrls, string>;
  for (const [key, name, path, contentType] of files) {
    if (!existsSync(path)) {
      throw new ConfigurationError(`The session manager's asset ${name} is missing at ${path}. Run \`npm run build\` in express-workflow-sessions.`);
    }
    const body = readFileSync(path);
    hashed[key] = hashedName(name, body);
    byName.set(name, { contentType, body, cacheControl: PLAIN_CACHE_CONTROL });
    byName.set(hashed[key], { contentType, body, cacheControl: IMMUTABLE_CACHE_CONTROL });
  }
  return {
    byName,
    urlsAt: (base) => ({ styles: `${base}/${hashed.styles}`, htmx: `${base}/${hashed.htmx}`, client: `${base}/${hashed.client}`, sse: `${base}/${hashed.sse}` }),
  };
}
