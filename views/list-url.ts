import { listStateQuery } from "../lib/list-state.js";
import type { ListQuery } from "../lib/service/session-service.js";

/**
 * The list state a URL carries. The order is always explicit (the client fills in what a URL leaves out from the
 * list being shown); an empty search and offset 0 are left out.
 */
export type ListUrlState = Pick<ListQuery, "orderBy" | "descending" | "search"> & { offset?: number };

/** `base` with the query string that asks for `state`, e.g. `/m/list?sort=label&dir=asc&q=lec&offset=50`. */
export function listUrl(base: string, state: ListUrlState): string {
  return `${base}?${listStateQuery(state, { explicitOrder: true })}`;
}

/**
 * `base` with the list state `state` (a query string from `ManagerUrls.state`) and then `extra` parameters, e.g.
 * `/m?sort=label&dir=asc&rename=abc`: a link or form that comes back to the list as it was shown.
 */
export function withListState(base: string, state: string, extra: Record<string, string> = {}): string {
  // Two of these per row: plain encoding, not a URLSearchParams each time.
  let query = state;
  for (const name of Object.keys(extra)) query += `${query === "" ? "" : "&"}${encodeURIComponent(name)}=${encodeURIComponent(extra[name]!)}`;
  return query === "" ? base : `${base}?${query}`;
}
