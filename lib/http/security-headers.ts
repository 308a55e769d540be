import type { RequestHandler, Response } from "express";

/**
 * The manager's Content-Security-Policy: scripts, styles and requests only from this origin, no inline script, no
 * eval (htmx runs with `allowEval: false`), no inline styles (htmx's indicator styles are off), forms only to this
 * origin, and no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
});

/** Sets the security headers on one of the manager's own responses (its routes' answers and its errors). */
export function setSecurityHeaders(res: Response): void {
  res.set(HEADERS);
}

/** Sets the security headers on the manager's own responses; it is mounted per route, so the host's routes are untouched. */
export function securityHeaders(): RequestHandler {
  return function setSecurityHeadersOfRoute(_req, res, next) {
    setSecurityHeaders(res);
    next();
  };
}
