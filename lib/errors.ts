/**
 * Every failure the session manager reports has one of these codes. The router maps each code to an HTTP status
 * and a user-facing message through {@link ERROR_TABLE}; nothing else picks a status.
 */
export type SessionManagerErrorCode =
  | "invalid_input"
  | "not_signed_in"
  | "forbidden"
  | "read_only"
  | "session_not_found"
  | "session_exists"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "corrupt_state"
  | "restore_conflict"
  | "pin_limit"
  | "store_unavailable"
  | "store_unreachable"
  | "rejected"
  | "hook_timeout"
  | "too_many_streams"
  | "version_conflict"
  | "precondition_failed"
  | "misconfigured";

/**
 * Base class of every error this package throws on purpose. `code` is stable and safe to branch on; `message`
 * carries the context a developer needs and is never shown to end users (they see the table's message, or
 * `publicMessage` when one is set).
 */
export class SessionManagerError extends Error {
  override name = "SessionManagerError";

  /**
   * @param code - the stable code, mapped to an HTTP status by {@link ERROR_TABLE}
   * @param message - a developer-facing description with context
   * @param publicMessage - a message safe to show to the end user, overriding the table's generic one
   */
  constructor(
    readonly code: SessionManagerErrorCode,
    message: string,
    readonly publicMessage?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Thrown when a request or a call carries a value the rules reject (a missing id, a label that is too long). */
export class InvalidInputError extends SessionManagerError {
  override name = "InvalidInputError";

  /** @param message - says what was wrong and how to fix it; it is shown to the user. */
  constructor(message: string) {
    super("invalid_input", message, message);
  }
}

/**
 * Thrown when a POST cannot be proven to come from the manager's own page: its CSRF token is missing or wrong, or
 * its `Origin` / `Sec-Fetch-Site` says another site sent it. Nothing is changed.
 */
export class ForbiddenRequestError extends SessionManagerError {
  override name = "ForbiddenRequestError";

  /**
   * @param message - what failed, for the log
   * @param publicMessage - what the user should do about it
   */
  constructor(message: string, publicMessage?: string) {
    super("forbidden", message, publicMessage);
  }
}

/** Thrown for every POST when the manager was set up with `readonly: true`; nothing is changed. */
export class ReadOnlyError extends SessionManagerError {
  override name = "ReadOnlyError";

  /** @param method - the method of the refused request */
  constructor(method: string) {
    super("read_only", `The session manager is read-only (readonly: true), so this ${method} was refused.`);
  }
}

/** Thrown when the `owner` option is set and it returns no owner for the request. */
export class NotSignedInError extends SessionManagerError {
  override name = "NotSignedInError";

  constructor() {
    super("not_signed_in", "The owner option returned no owner for this request.");
  }
}

/** Thrown when a route is called with a method it does not answer; `allow` lists the ones it does. */
export class MethodNotAllowedError extends SessionManagerError {
  override name = "MethodNotAllowedError";

  /**
   * @param method - the method the request used
   * @param allow - the value of the `Allow` header, e.g. `"POST"`
   */
  constructor(
    method: string,
    readonly allow: string,
  ) {
    super("method_not_allowed", `${method} is not allowed here; use ${allow}.`, `This address only answers ${allow} requests.`);
  }
}

/** Thrown when a POST body is not an urlencoded form in UTF-8 (or uses a content encoding the server cannot read). */
export class UnsupportedMediaTypeError extends SessionManagerError {
  override name = "UnsupportedMediaTypeError";

  /** @param message - what was sent; shown to the user */
  constructor(message: string) {
    super("unsupported_media_type", message, message);
  }
}

/** Thrown when a session id does not name a session of the managed flow. */
export class SessionNotFoundError extends SessionManagerError {
  override name = "SessionNotFoundError";

  /**
   * @param flowId - the flow that was searched
   * @param sessionId - the id that was not found
   */
  constructor(
    readonly flowId: string,
    readonly sessionId: string,
  ) {
    super("session_not_found", `No session "${sessionId}" in flow "${flowId}".`);
  }
}

/**
 * Thrown when an import that keeps the file's session ids (`keepIds`) meets an id the flow already has (whoever owns
 * it). Nothing of the import is written.
 */
export class SessionExistsError extends SessionManagerError {
  override name = "SessionExistsError";

  /**
   * @param flowId - the flow imported into
   * @param sessionIds - the ids of the file that are taken
   */
  constructor(
    readonly flowId: string,
    readonly sessionIds: readonly string[],
  ) {
    const shown = sessionIds.slice(0, 5).map((id) => `"${id}"`).join(", ") + (sessionIds.length > 5 ? ` and ${sessionIds.length - 5} more` : "");
    const message = `The flow already has a session with the id ${shown}, so nothing was imported. Import without keeping the ids to give the sessions new ones.`;
    super("session_exists", message, message);
  }
}

/** Thrown when a request body (an imported file) is larger than the cap that applies to it. */
export class PayloadTooLargeError extends SessionManagerError {
  override name = "PayloadTooLargeError";

  /** @param message - what was too large and the cap; shown to the user */
  constructor(message: string) {
    super("payload_too_large", message, message);
  }
}

/** Thrown when a row's `state_json` is not valid JSON, so it cannot be merged without losing data. */
export class CorruptStateError extends SessionManagerError {
  override name = "CorruptStateError";

  /**
   * @param flowId - the flow of the row
   * @param sessionId - the session whose state is not JSON
   */
  constructor(flowId: string, sessionId: string, options?: ErrorOptions) {
    super("corrupt_state", `The stored state of session "${sessionId}" in flow "${flowId}" is not valid JSON.`, undefined, options);
  }
}

/**
 * Thrown when a trashed session cannot be restored because a session with the same key exists again (the Python
 * app recreates a row when it writes state to that id). Nothing is restored.
 */
export class RestoreConflictError extends SessionManagerError {
  override name = "RestoreConflictError";

  /**
   * @param flowId - the flow of the sessions
   * @param sessionIds - the ids whose key is taken again in `workflow_state`
   */
  constructor(
    readonly flowId: string,
    readonly sessionIds: readonly string[],
  ) {
    super(
      "restore_conflict",
      `Cannot restore ${sessionIds.length === 1 ? `session "${sessionIds[0]}"` : `${sessionIds.length} sessions`} of flow "${flowId}": a session with the same id exists again.`,
    );
  }
}

/**
 * Thrown when the database cannot serve the request right now: it is locked past the busy timeout, read-only, or
 * full. {@link StoreUnreachableError}, a subclass, says that the server cannot be reached at all.
 */
export class StoreUnavailableError extends SessionManagerError {
  override name = "StoreUnavailableError";

  /**
   * @param message - what the database said, with the file or server it concerns
   * @param code - `store_unreachable` for {@link StoreUnreachableError}
   */
  constructor(message: string, options?: ErrorOptions, code: "store_unavailable" | "store_unreachable" = "store_unavailable") {
    super(code, message, undefined, options);
  }
}

/**
 * Thrown when the database server cannot be reached: the connection is refused or lost, the server is shutting down
 * or starting up, or the database named in the connection string does not exist. A {@link StoreUnavailableError},
 * so code that catches that one catches this one too.
 */
export class StoreUnreachableError extends StoreUnavailableError {
  override name = "StoreUnreachableError";

  /** @param message - what failed, with the server it concerns (never its password) */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, "store_unreachable");
  }
}

/**
 * Thrown when the host set the package up wrongly; the message names the fix. It is for the developer: at setup it
 * is thrown, at request time it goes to the logger, and visitors see only the table's plain message.
 */
export class ConfigurationError extends SessionManagerError {
  override name = "ConfigurationError";

  /** @param message - what is wrong and the line of code that fixes it; logged, never shown to visitors */
  constructor(message: string) {
    super("misconfigured", message);
  }
}

/** Options of {@link RejectedError}. */
export interface RejectedErrorOptions extends ErrorOptions {
  /**
   * The HTTP status of the answer, from 400 to 499.
   * @default 422
   */
  status?: number;
}

/**
 * Thrown by a host's `before*` hook to refuse an action: nothing is written, and the user sees `message`. Export it
 * from the package and throw it from a hook, e.g. `throw new RejectedError("Archived projects cannot be renamed.")`.
 */
export class RejectedError extends SessionManagerError {
  override name = "RejectedError";
  /** The HTTP status the answer carries (a 4xx), 422 unless the hook said otherwise. */
  readonly status: number;

  /**
   * @param message - why the action was refused; shown to the user as it is
   * @param options - `status`, a 4xx for the answer (422 by default), and an optional `cause`
   */
  constructor(message: string, options: RejectedErrorOptions = {}) {
    super("rejected", message, message, options);
    const { status = ERROR_TABLE.rejected.status } = options;
    this.status = Number.isInteger(status) && status >= 400 && status <= 499 ? status : ERROR_TABLE.rejected.status;
  }
}

/**
 * Thrown when a host's `before*` hook has not settled after `hookTimeoutMs`: the action is refused (503) and nothing
 * is written. The hook is left running; what it does later has no effect on the action.
 */
export class HookTimeoutError extends SessionManagerError {
  override name = "HookTimeoutError";

  /**
   * @param hook - the hook that did not settle, e.g. `"beforeDelete"`
   * @param timeoutMs - the `hookTimeoutMs` it was given
   */
  constructor(
    readonly hook: string,
    readonly timeoutMs: number,
  ) {
    super("hook_timeout", `The ${hook} hook did not settle within hookTimeoutMs (${timeoutMs} ms), so the action was refused and nothing was written.`);
  }
}

/**
 * Thrown when an action names the `version` of a session as it was shown, and the session has changed since: its
 * label, its step or its state. Nothing is changed; `message` says what changed and how to see it.
 */
export class VersionConflictError extends SessionManagerError {
  override name = "VersionConflictError";

  /**
   * @param sessionId - the session that changed
   * @param currentVersion - its version now
   * @param changes - what changed, e.g. `["renamed to “Draft 2”", "moved to step “Review”"]`
   */
  constructor(
    readonly sessionId: string,
    readonly currentVersion: string,
    readonly changes: readonly string[],
  ) {
    const what = changes.length > 0 ? changes.join(" and ") : "changed";
    const message = `This session was ${what} since the list was shown, so nothing was done. Reload the list to see it, then try again.`;
    super("version_conflict", message, message);
  }
}

/**
 * A {@link VersionConflictError} of a request that named the version in `If-Match` (the JSON API's way), which
 * HTTP answers with 412 rather than 409. Nothing is changed; `currentVersion` is the session's version now.
 */
export class PreconditionFailedError extends SessionManagerError {
  override name = "PreconditionFailedError";
  readonly sessionId: string;
  readonly currentVersion: string;

  /** @param conflict - the conflict the service found, whose message says what changed */
  constructor(conflict: VersionConflictError) {
    super("precondition_failed", conflict.message, conflict.publicMessage, { cause: conflict });
    this.sessionId = conflict.sessionId;
    this.currentVersion = conflict.currentVersion;
  }
}

/** Thrown when an owner who has pinned the most sessions allowed in a flow pins one more. Nothing is pinned. */
export class PinLimitError extends SessionManagerError {
  override name = "PinLimitError";

  /**
   * @param flowId - the flow pinned in
   * @param limit - the most pins an owner may have in one flow
   */
  constructor(
    readonly flowId: string,
    readonly limit: number,
  ) {
    super("pin_limit", `At most ${limit} sessions can be pinned in flow "${flowId}".`);
  }
}

/**
 * Thrown when a manager already has `events.maxConnections` live-update streams open: the new one answers 503 with
 * `Retry-After`, and the page's stream tries again then.
 */
export class StreamLimitError extends SessionManagerError {
  override name = "StreamLimitError";

  /**
   * @param limit - the `events.maxConnections` reached
   * @param retryAfterSeconds - when to try again, sent as `Retry-After`
   */
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super("too_many_streams", `${limit} live-update streams (events.maxConnections) are open already; this one was refused.`);
  }
}

/** One row of {@link ERROR_TABLE}. */
export interface ErrorResponse {
  /** The HTTP status sent for this code. */
  status: number;
  /** The message shown to the user when the error has no `publicMessage` of its own. */
  message: string;
}

/** The one place that maps error codes to HTTP statuses and user-facing messages. */
export const ERROR_TABLE: Readonly<Record<SessionManagerErrorCode, ErrorResponse>> = Object.freeze({
  invalid_input: { status: 400, message: "The request was not valid." },
  not_signed_in: { status: 401, message: "Sign in to manage your sessions." },
  forbidden: { status: 403, message: "This request could not be verified as coming from this page, so nothing was changed. Reload the page and try again." },
  read_only: { status: 403, message: "These sessions are read-only here, so nothing was changed." },
  session_not_found: { status: 404, message: "That session does not exist. It may have been deleted." },
  session_exists: { status: 409, message: "A session with that id already exists, so nothing was imported." },
  method_not_allowed: { status: 405, message: "This address does not answer that kind of request." },
  payload_too_large: { status: 413, message: "The request was too large." },
  unsupported_media_type: { status: 415, message: "Send the body as application/x-www-form-urlencoded or application/json, in UTF-8." },
  corrupt_state: { status: 409, message: "That session's saved state is damaged, so it was left untouched." },
  restore_conflict: {
    status: 409,
    message: "A session with the same id has been created again since it was deleted, so nothing was restored. Delete or rename the new one first.",
  },
  pin_limit: { status: 409, message: "You have pinned 50 sessions, the most allowed, so this one was not pinned. Unpin one first." },
  store_unavailable: { status: 503, message: "The session database is busy or read-only right now. Nothing was changed; please try again." },
  store_unreachable: { status: 503, message: "The session database cannot be reached right now. Please try again in a moment." },
  rejected: { status: 422, message: "The action was refused." },
  hook_timeout: { status: 503, message: "The server took too long to check this action, so nothing was changed. Please try again." },
  too_many_streams: { status: 503, message: "Too many pages are following their lists live right now. This one will try again shortly." },
  version_conflict: { status: 409, message: "The session changed since the list was shown, so nothing was done. Reload the list and try again." },
  precondition_failed: { status: 412, message: "The session changed since its ETag was read, so nothing was done. Read it again and retry." },
  misconfigured: { status: 500, message: "The session manager is misconfigured; the server log has details." },
});

/** True when `error` is one of this package's errors. */
export function isSessionManagerError(error: unknown): error is SessionManagerError {
  return error instanceof SessionManagerError;
}
