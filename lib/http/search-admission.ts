import type { Request, RequestHandler } from "express";
import { ConcurrencyLimit } from "../service/concurrency-limit.js";

/** The most search requests the manager serves at once; the others wait their turn, first come first served. */
export const CONCURRENT_SEARCH_REQUESTS = 1;

/**
 * Admits whole search requests one at a time (at most {@link CONCURRENT_SEARCH_REQUESTS} at once), from before
 * their store read until their response is written or their connection closes, error answers included. A request
 * for which `isSearch` is false never waits. The next search starts on a later turn of the event loop, so every
 * step of another visitor's list waits behind the synchronous work of at most one search instead of twenty.
 *
 * Queued searches keep their order and each one gets its turn; a search whose client went away while it waited
 * gives its turn straight back, unserved.
 *
 * @param isSearch - whether a request is a search (its list query has a non-empty `q`)
 * @param limit - the turns; one per router unless given
 */
export function searchAdmission(isSearch: (req: Request) => boolean, limit = new ConcurrencyLimit(CONCURRENT_SEARCH_REQUESTS)): RequestHandler {
  return function admitSearch(req, res, next) {
    if (!isSearch(req)) return next();
    limit.acquire().then((release) => {
      if (res.writableEnded || res.destroyed || req.socket?.destroyed) return release();
      res.once("finish", release);
      res.once("close", release);
      next();
    }, next);
  };
}
