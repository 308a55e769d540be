import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { ForbiddenRequestError } from "../errors.js";
import { resolveOrigins } from "../options.js";
import "./session-data.js";

/** The header htmx sends the token in (from the `hx-headers` attribute the page renders). */
export const CSRF_HEADER = "X-CSRF-Token";
/** The form field plain (non-htmx) forms send the token in. */
export const CSRF_FIELD = "_csrf";

const TOKEN_BYTES = 32;
const RELOAD = "This request could not be verified as coming from this page, so nothing was changed. Reload the page and try again.";
const CROSS_SITE = "Requests from other sites cannot change your sessions. Nothing was changed.";

/**
 * The CSRF token of the visitor's express-session, created on first use: 32 random bytes, base64url. It is the
 * synchronizer-token pattern: the secret lives only server-side in the session and in the pages rendered for it.
 * A host's own forms (a workflow step's POST) can carry it in a `_csrf` field and be checked with {@link verifyCsrf}.
 */
export function csrfTokenFor(req: Request): string {
  let token = req.session.workflowSessionsCsrfToken;
  if (typeof token !== "string" || token.length === 0) {
    token = randomBytes(TOKEN_BYTES).toString("base64url");
    req.session.workflowSessionsCsrfToken = token;
  }
  return token;
}

/** Options of {@link verifyCsrf}. */
export interface VerifyCsrfOptions {
  /**
   * The app's public origin(s), e.g. `["https://app.example.com"]`, as the manager's `origins` option takes them.
   * When set, the `Origin` header must be one of them, and a request without one must name one of their hosts in
   * `Host`; this defeats DNS rebinding, where a foreign page controls both `Origin` and `Host`.
   * @default none: the `Origin` header is compared with the request's `Host`
   */
  origins?: string | readonly string[] | undefined;
}

/**
 * Rejects a state-changing request that another site could have sent: first by `Sec-Fetch-Site` and `Origin` (a
 * browser sets them and a page cannot forge them; with `origins`, against that list rather than `Host`), then by
 * the session's token, sent as the `X-CSRF-Token` header or the `_csrf` form field and compared in constant time.
 * Runs after the body is parsed. A rejected request goes to `next()` as a {@link ForbiddenRequestError} (403 in
 * `ERROR_TABLE`); the manager's routes use it, and a host's routes can too. A malformed `origins` throws a
 * `ConfigurationError` at once.
 *
 * @example
 * ```ts
 * app.post("/workflow/advance", express.urlencoded({ extended: false }), verifyCsrf({ origins: ["https://app.example.com"] }), advanceStep);
 * ```
 */
export function verifyCsrf({ origins }: VerifyCsrfOptions = {}): RequestHandler {
  const allowed = resolveOrigins(origins, "verifyCsrf()");
  const allowedHosts = allowed && new Set(allowed.map((origin) => new URL(origin).host));
  return function verifyCsrfToken(req, _res, next) {
    const fetchSite = req.get("Sec-Fetch-Site");
    if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") {
      return next(new ForbiddenRequestError(`Sec-Fetch-Site is "${fetchSite}".`, CROSS_SITE));
    }
    const origin = req.get("Origin");
    const host = req.get("Host");
    if (allowed && allowedHosts) {
      if (origin !== undefined && !allowed.includes(origin.toLowerCase())) {
        return next(new ForbiddenRequestError(`Origin "${origin}" is not one of the origins option's (${allowed.join(", ")}).`, CROSS_SITE));
      }
      if (origin === undefined && (host === undefined || !allowedHosts.has(host.toLowerCase()))) {
        return next(new ForbiddenRequestError(`No Origin header, and Host "${host}" is not one of the origins option's.`, CROSS_SITE));
      }
    } else if (origin !== undefined && !sameHost(origin, host)) {
      return next(new ForbiddenRequestError(`Origin "${origin}" is not this server (${host}).`, CROSS_SITE));
    }
    const expected = req.session.workflowSessionsCsrfToken;
    const sent = tokenFrom(req);
    if (typeof expected !== "string" || expected.length === 0) {
      return next(new ForbiddenRequestError("The session has no CSRF token yet (the page was never loaded in it, or it expired).", RELOAD));
    }
    if (sent === undefined) return next(new ForbiddenRequestError(`No ${CSRF_HEADER} header or ${CSRF_FIELD} field.`, RELOAD));
    if (!equalTokens(sent, expected)) return next(new ForbiddenRequestError("The CSRF token does not match the session's.", RELOAD));
    next();
  };
}

function tokenFrom(req: Request): string | undefined {
  const header = req.headers[CSRF_HEADER.toLowerCase()];
  if (typeof header === "string" && header !== "") return header;
  const field = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  return typeof field === "string" && field !== "" ? field : undefined;
}

function equalTokens(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (origin === "null" || host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
