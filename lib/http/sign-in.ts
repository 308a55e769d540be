import type { Request, Response } from "express";
import type { ResolvedOptions } from "../options.js";

/** The query parameter that carries the path to come back to, added to a `signIn` URL. */
export const RETURN_TO_PARAM = "return_to";

/**
 * Sends a signed-out visitor to the host's sign-in when the `signIn` option is set, and says whether it did. A page
 * request gets a 303 to the sign-in URL (with `return_to`), an htmx request an `HX-Redirect` to it (so the whole
 * page goes, not a fragment), the function form answers however it likes; JSON requests are left to the 401.
 */
export function redirectToSignIn(config: ResolvedOptions, req: Request, res: Response, pageUrl: string, wantsJson: boolean): boolean {
  const { signIn } = config;
  if (signIn === undefined || wantsJson) return false;
  const returnTo = returnPathOf(req, pageUrl);
  if (typeof signIn === "function") {
    signIn(req, res, returnTo);
    return true;
  }
  const location = withReturnTo(signIn, returnTo);
  res.set("Cache-Control", "no-store");
  if (req.get("HX-Request") === "true") res.set("HX-Redirect", location).status(401).end();
  else res.redirect(303, location);
  return true;
}

/**
 * The path to come back to after signing in: the page itself for a GET of a page, the page the browser shows for an
 * htmx request (its `HX-Current-URL`, when it is on this host), else the manager page (a POST cannot be repeated by
 * a redirect). Always a path on this server.
 */
export function returnPathOf(req: Request, pageUrl: string): string {
  const isHtmx = req.get("HX-Request") === "true";
  if (!isHtmx && (req.method === "GET" || req.method === "HEAD")) return req.originalUrl;
  const current = req.get("HX-Current-URL");
  if (isHtmx && current) {
    try {
      const url = new URL(current);
      if (url.host === req.get("Host")) return `${url.pathname}${url.search}`;
    } catch {
      // Not a URL: fall back to the page.
    }
  }
  return pageUrl;
}

/** `signInUrl` with `return_to=<returnTo>` added to its query (before any `#fragment`). */
export function withReturnTo(signInUrl: string, returnTo: string): string {
  const hash = signInUrl.indexOf("#");
  const base = hash === -1 ? signInUrl : signInUrl.slice(0, hash);
  const fragment = hash === -1 ? "" : signInUrl.slice(hash);
  const separator = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
  return `${base}${separator}${RETURN_TO_PARAM}=${encodeURIComponent(returnTo)}${fragment}`;
}
