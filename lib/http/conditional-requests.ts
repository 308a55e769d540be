import type { Request } from "express";
import { InvalidInputError, PreconditionFailedError, VersionConflictError } from "../errors.js";

/**
 * Conflict-safe edits over HTTP: a session's `version` travels as a strong `ETag`, and comes back in `If-Match`.
 * `If-Match: *` asks only that the session exist, which every action checks anyway, so it is no version.
 */

/** The `ETag` of a session at `version`: the version, quoted (versions are base64url, so never hold a quote). */
export function etagOf(version: string): string {
  return `"${version}"`;
}

/**
 * The version a request's `If-Match` names, or `undefined` without one (or with `*`). A weak tag (`W/"…"`) never
 * matches under If-Match's strong comparison, so it is returned as it is and fails the check. More than one tag
 * answers 400: an action acts on one version.
 */
export function ifMatchVersion(req: Request): string | undefined {
  const header = req.get("If-Match")?.trim();
  if (header === undefined || header === "" || header === "*") return undefined;
  const tags = header.match(/(?:W\/)?"[^"]*"/g) ?? [];
  if (tags.length !== 1 || tags[0] !== header) {
    throw new InvalidInputError('Send one entity tag in If-Match, as the ETag header gave it: If-Match: "<version>".');
  }
  return header.startsWith("W/") ? header : header.slice(1, -1);
}

/**
 * What a thrown error means for `req`: a {@link VersionConflictError} of a request that sent `If-Match` becomes a
 * {@link PreconditionFailedError} (412, HTTP's answer to a failed precondition) rather than the form's 409; any
 * other error stays as it is. The error handler applies it to every error.
 */
export function asPreconditionFailure(error: unknown, req: Request): unknown {
  const ifMatch = req.get("If-Match")?.trim();
  if (error instanceof VersionConflictError && ifMatch !== undefined && ifMatch !== "" && ifMatch !== "*") return new PreconditionFailedError(error);
  return error;
}
