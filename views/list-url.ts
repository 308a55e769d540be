import { sortParamOf } from "../lib/list-params.js";
import type { ListQuery } from "../lib/session-service.js";

/** The list state a URL carries; fields at their default are left out. */
export type ListUrlState = Pick<ListQuery, "orderBy" | "descending" | "search"> & { offset?: number };

/** `base` with the query string that asks for `state`, e.g. `/m/list?sort=label&dir=asc&q=lec&offset=50`. */
export function listUrl(base: string, state: ListUrlState): string {
  const params = new URLSearchParams();
  if (state.orderBy !== "updated_at" || !state.descending) {
    params.set("sort", sortParamOf(state.orderBy));
    params.set("dir", state.descending ? "desc" : "asc");
  }
  if (state.search !== "") params.set("q", state.search);
  if (state.offset) params.set("offset", String(state.offset));
  const query = params.toString();
  return query === "" ? base : `${base}?${query}`;
}
