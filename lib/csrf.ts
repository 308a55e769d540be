import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { ForbiddenRequestError } from "./errors.js";
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

/**
 * Rejects a state-changing request that another site could have sent: first by `Sec-Fetch-Site` and `Origin` (a
 * browser sets them and a page cannot forge them), then by the session's token, sent as the `X-CSRF-Token` header
 * or the `_csrf` form field and compared in constant time. Runs after the body is parsed. A rejected request goes
 * to `next()` as a {@link ForbiddenRequestError} (403 in `ERROR_TABLE`); the manager's routes use it, and a host's
 * routes can too.
 *
 * @example
 * ```ts
 * app.post("/workflow/advance", express.urlencoded({ extended: false }), verifyCsrf(), advanceStep);
 * ```
 */
export function verifyCsrf(): RequestHandler {
  return function verifyCsrfToken(req, _res, next) {
    const fetchSite = req.get("Sec-Fetch-Site");
    if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") {
      return next(new ForbiddenRequestError(`Sec-Fetch-Site is "${fetchSite}".`, CROSS_SITE));
    }
    const origin = req.get("Origin");
    if (origin !== undefined && !sameHost(origin, req.get("Host"))) {
      return next(new ForbiddenRequestError(`Origin "${origin}" is not this server (${req.get("Host")}).`, CROSS_SITE));
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
