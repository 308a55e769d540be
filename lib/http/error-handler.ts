import type { ErrorRequestHandler, Request } from "express";
import type { ManagerUrls } from "../../views/view-data.js";
import { BUILT_IN_CONTEXT } from "../../views/view-set.js";
import type { ViewContext } from "../../views/view-types.js";
import { ERROR_TABLE, isSessionManagerError, MethodNotAllowedError, RejectedError, StreamLimitError, type SessionManagerErrorCode } from "../errors.js";
import { translateDatabaseError } from "../service/database-failures.js";
import type { ResolvedOptions } from "../options.js";
import { renderView } from "../render/render-view.js";
import { asPreconditionFailure } from "./conditional-requests.js";
import { setSecurityHeaders } from "./security-headers.js";
import { redirectToSignIn } from "./sign-in.js";

/** An error as the client sees it. */
export interface ErrorReply {
  code: SessionManagerErrorCode | "internal";
  status: number;
  message: string;
}

const INTERNAL: ErrorReply = { code: "internal", status: 500, message: "Something went wrong on the server. Nothing was changed." };

/** Maps any thrown value to the status and message the client gets, through {@link ERROR_TABLE}. */
export function toErrorReply(thrown: unknown): ErrorReply {
  const error = translateDatabaseError(thrown);
  if (isSessionManagerError(error)) {
    const row = ERROR_TABLE[error.code];
    // A hook's refusal carries the status the hook chose (a 4xx, 422 by default).
    const status = error instanceof RejectedError ? error.status : row.status;
    return { code: error.code, status, message: error.publicMessage ?? row.message };
  }
  // Errors from express's body parser (http-errors) carry a 4xx status and `expose: true`; some have no `type`. The
  // router's own 400 for a path parameter that is not valid percent-encoding is a URIError.
  const parserError = error as { status?: unknown; type?: unknown; expose?: unknown; name?: unknown };
  if (
    typeof parserError.status === "number" &&
    parserError.status >= 400 &&
    parserError.status < 500 &&
    (parserError.expose === true || typeof parserError.type === "string" || parserError.name === "URIError")
  ) {
    const code: SessionManagerErrorCode =
      parserError.status === 413 ? "payload_too_large" : parserError.status === 415 ? "unsupported_media_type" : "invalid_input";
    // A body that does not parse (malformed JSON) says so, rather than the table's generic "not valid".
    const message = parserError.type === "entity.parse.failed" && code === "invalid_input" ? "The request body is not valid for its Content-Type (malformed JSON?)." : ERROR_TABLE[code].message;
    return { code, status: ERROR_TABLE[code].status, message };
  }
  return INTERNAL;
}

/** True for requests made by htmx. */
export function isHtmx(req: Request): boolean {
  return req.get("HX-Request") === "true";
}

/**
 * True when the client prefers JSON to HTML by its `Accept` header (`application/json`, or e.g. axios's
 * `application/json, text/plain, *\/*`) and is not htmx: the JSON API's requests. `*\/*` alone, or a browser's
 * `Accept`, means HTML; so does `application/json;q=0`.
 */
export function wantsJson(req: Request): boolean {
  return !isHtmx(req) && req.get("Accept") !== undefined && req.accepts(["text/html", "application/json"]) === "application/json";
}

/**
 * The manager's one error handler: answers JSON `{ error: { code, message } }`, an alert fragment under htmx, or a
 * full error page, with the views of `contextFor()`; if an overridden view throws, with the built-in ones (and the
 * failure is logged). Unexpected errors and misconfigurations are logged with their detail; the user sees only the
 * message of {@link ERROR_TABLE} (or an error's own `publicMessage`), never a stack trace, a path or a file name.
 */
export function createErrorHandler(
  options: ResolvedOptions,
  urlsFor: (req: Request) => ManagerUrls,
  contextFor: () => ViewContext = () => BUILT_IN_CONTEXT,
): ErrorRequestHandler {
  return function sessionManagerErrorHandler(error, req, res, next) {
    if (res.headersSent) return next(error);
    const reply = toErrorReply(asPreconditionFailure(error, req));
    if (reply.code === "not_signed_in" && options.signIn !== undefined) {
      setSecurityHeaders(res);
      if (redirectToSignIn(options, req, res, urlsFor(req).page, wantsJson(req))) return;
    }
    if (reply.code === "store_unavailable" || reply.code === "store_unreachable") options.logger.warn(`express-workflow-sessions: ${req.method} ${req.originalUrl}: ${String(error?.message ?? error)}`);
    else if (reply.code === "misconfigured") options.logger.error(`express-workflow-sessions: ${req.method} ${req.originalUrl}: ${String(error?.message ?? error)}`, error);
    // The hook runner has already logged a timeout, naming the hook.
    else if (reply.status >= 500 && reply.code !== "hook_timeout") options.logger.error(`express-workflow-sessions: ${req.method} ${req.originalUrl} failed`, error);
    res.status(reply.status);
    setSecurityHeaders(res);
    res.set("Cache-Control", "no-store");
    if (error instanceof MethodNotAllowedError) res.set("Allow", error.allow);
    if (error instanceof StreamLimitError) res.set("Retry-After", String(error.retryAfterSeconds));
    if (wantsJson(req)) {
      res.json({ error: { code: reply.code, message: reply.message } });
    } else if (isHtmx(req)) {
      res.type("html").send(renderWithFallback((context) => context.views.notice({ kind: "error", message: reply.message }, context)));
    } else {
      // An error page follows no live updates: it loads no stream nor the SSE extension.
      const urls = { ...urlsFor(req), events: undefined };
      res.type("html").send(
        renderWithFallback((context) =>
          context.views.layout(
            { title: `Error · ${options.title}`, urls, content: context.views.errorPage({ status: reply.status, message: reply.message, backUrl: urls.page }, context) },
            context,
          ),
        ),
      );
    }
  };

  function renderWithFallback(render: (context: ViewContext) => unknown): string {
    const context = contextFor();
    if (context === BUILT_IN_CONTEXT) return renderView(render(context));
    try {
      return renderView(render(context));
    } catch (error) {
      options.logger.error("express-workflow-sessions: an overridden view failed while rendering an error; rendered it with the built-in views", error);
      return renderView(render(BUILT_IN_CONTEXT));
    }
  }
}
