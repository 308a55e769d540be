import { randomUUID } from "node:crypto";
import type { Request } from "express";

/** A request id taken as given: at most 64 letters, digits and `.`, `_`, `:`, `-` (what proxies and tracers send). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const ids = new WeakMap<Request, string>();

/**
 * The id the activity log records a request's changes with: its `X-Request-Id` header when that is short and plain
 * ({@link SAFE_REQUEST_ID}), otherwise a UUID made up once for the request (the same for every change it makes).
 */
export function requestIdOf(req: Request): string {
  let id = ids.get(req);
  if (id === undefined) {
    const given = req.get("x-request-id");
    id = given !== undefined && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    ids.set(req, id);
  }
  return id;
}
