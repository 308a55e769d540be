import type { ListQuery } from "./service/session-service.js";
import type { SessionOrderBy } from "./store/workflow-store.js";
import { CONTROL_CHARACTERS } from "./service/session-service.js";

/** The `sort` values the list accepts in its URLs, and the store order each one means. */
export const SORT_PARAMS = Object.freeze({
  updated: "updated_at",
  created: "created_at",
  label: "label",
  step: "current_step",
} as const satisfies Record<string, SessionOrderBy>);

/** A `sort` value of the list's URLs. */
export type SortParam = keyof typeof SORT_PARAMS;

/** The longest search the list accepts, in characters; longer ones are cut. */
export const MAX_SEARCH_LENGTH = 200;

/** What one list request asks for: the window, and where the keyboard cursor is (an index into the whole list). */
export interface ListParams {
  query: ListQuery;
  /** The cursor's row, 0-based over the whole list; the window's first row when the request names none. */
  cursor: number | undefined;
}

/** The `sort` value for a store order. */
export function sortParamOf(orderBy: SessionOrderBy): SortParam {
  return (Object.keys(SORT_PARAMS) as SortParam[]).find((param) => SORT_PARAMS[param] === orderBy) ?? "updated";
}

/** Times sort newest first by default; labels and steps A to Z. */
export function defaultDescending(orderBy: SessionOrderBy): boolean {
  return orderBy === "updated_at" || orderBy === "created_at";
}


/**
 * The query string that asks for a window of the list, without its defaults: `""` for the first window newest first,
 * `sort=label&dir=asc&q=lec&offset=50` otherwise. What links and forms that work without JavaScript carry. With
 * `explicitOrder`, `sort` and `dir` are always there (the list's own links, which the client completes).
 */
export function listStateQuery(
  { orderBy, descending, search, offset = 0 }: Pick<ListQuery, "orderBy" | "descending" | "search"> & { offset?: number },
  { explicitOrder = false } = {},
): string {
  const params = new URLSearchParams();
  if (explicitOrder || orderBy !== "updated_at" || !descending) {
    params.set("sort", sortParamOf(orderBy));
    params.set("dir", descending ? "desc" : "asc");
  }
  if (search !== "") params.set("q", search);
  if (offset > 0) params.set("offset", String(offset));
  return params.toString();
}

/**
 * Reads `offset`, `sort`, `dir`, `q` and `cursor` from a request's query or form. Every state of the list travels
 * this way; nothing is kept on the server. A missing, repeated or malformed value falls back to its default, so a
 * hand-edited URL never fails.
 */
export function listParamsFrom(source: Record<string, unknown>, pageSize: number): ListParams {
  const text = (name: string) => (typeof source[name] === "string" ? (source[name] as string) : undefined);
  const sort = text("sort") ?? "";
  const orderBy: SessionOrderBy = Object.hasOwn(SORT_PARAMS, sort) ? SORT_PARAMS[sort as SortParam] : "updated_at";
  const dir = text("dir");
  const cursor = nonNegativeInteger(text("cursor"));
  return {
    query: {
      offset: nonNegativeInteger(text("offset")) ?? 0,
      limit: pageSize,
      orderBy,
      descending: dir === "asc" ? false : dir === "desc" ? true : defaultDescending(orderBy),
      search: [...(text("q") ?? "").replace(CONTROL_CHARACTERS, "").trim()].slice(0, MAX_SEARCH_LENGTH).join(""),
    },
    cursor,
  };
}

function nonNegativeInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
