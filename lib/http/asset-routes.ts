import type { RequestHandler } from "express";
import type { AssetCatalog } from "./assets.js";

/**
 * Serves the manager's own assets (loaded by `loadAssets()`) under `{prefix}/assets/`, with `headers` (the security
 * headers) set. The asset name is compared as sent, never decoded: `%` or any malformed escape is simply no asset,
 * and an unknown name (an old content hash included) or a method other than GET and HEAD falls through (to a 404 or
 * the host's routes). A content-hashed name is served immutable for a year, a plain name `no-cache`.
 */
export function assetRoute(assets: AssetCatalog, headers: RequestHandler): RequestHandler {
  return function serveAsset(req, res, next) {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const asset = assets.byName.get(req.path.slice(1));
    if (!asset) return next();
    headers(req, res, () => res.set("Cache-Control", asset.cacheControl).type(asset.contentType).send(asset.body));
  };
}
