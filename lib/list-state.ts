/**
 * The list's URL state, in one place: which window, order and search a URL or form asks for (`offset`, `sort`, `dir`,
 * `q`, `cursor`, and the keyset anchors `after` and `before`), read from a request's query and written into links. Pure functions of plain values, no `req`/`res`:
 * the routes, the views and the client all go through it.
 */
import { CONTROL_CHARACTERS, type ListAnchor, type ListQuery, type SessionOrderBy, type TrashOrderBy, type TrashQuery } from "./session-types.js";

/** The `sort` values the list accepts in its URLs, and the store order each one means. */
export const SORT_PARAMS = Object.freeze({
  updated: "updated_at",
  created: "created_at",
  label: "label",
  step: "current_step",
} as const satisfies Record<string, SessionOrderBy>);

/** A `sort` value of the list's URLs. */
export type SortParam = keyof typeof SORT_PARAMS;

/** The names of the list state's URL parameters, as links, forms and the client write them. */
export const LIST_STATE_PARAMS = Object.freeze({
  offset: "offset",
  sort: "sort",
  dir: "dir",
  search: "q",
  tag: "tag",
  cursor: "cursor",
  after: "after",
  before: "before",
} as const);

/** The longest anchor a URL may carry, in characters; a longer one is ignored (the offset serves). */
const MAX_ANCHOR_LENGTH = 1000;

/**
 * An anchor as a URL carries it: `[offset, sessionId, value]` as JSON, in base64url of its UTF-8 bytes (so the
 * session id never appears as such in the page or the URL), e.g. `WzQ5LCJhYmMiLCIyMDI2LTAyLTAxIDEwOjAwOjAwIl0`.
 * Opaque to the visitor; the server checks it still holds before seeking from it.
 */
export function anchorParam(anchor: ListAnchor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([anchor.offset ?? null, anchor.sessionId, anchor.value]));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The anchor of an {@link anchorParam} value, or `undefined` for anything malformed. */
export function anchorFromParam(text: string | undefined): ListAnchor | undefined {
  if (text === undefined || text.length > MAX_ANCHOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let parsed: unknown;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [offset, sessionId, value] = parsed as unknown[];
  if (!(offset === null || (Number.isSafeInteger(offset) && (offset as number) >= 0))) return undefined;
  if (typeof sessionId !== "string" || sessionId === "" || !(value === null || typeof value === "string")) return undefined;
  return { sessionId, value, ...(offset === null ? {} : { offset: offset as number }) };
}

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
 * The list state a URL carries: order, search and window. An empty search and offset 0 are left out of URLs, and so
 * is the default order unless it is asked for explicitly.
 */
export type ListUrlState = Pick<ListQuery, "orderBy" | "descending" | "search" | "tags" | "after" | "before"> & { offset?: number };

/**
 * The query string that asks for a window of the list, without its defaults: `""` for the first window newest first,
 * `sort=label&dir=asc&q=lec&offset=50` otherwise. What links and forms that work without JavaScript carry. With
 * `explicitOrder`, `sort` and `dir` are always there (the list's own links, which the client completes).
 */
export function listStateQuery(
  { orderBy, descending, search, tags = [], offset = 0, after, before }: ListUrlState,
  { explicitOrder = false } = {},
): string {
  const params = new URLSearchParams();
  if (explicitOrder || orderBy !== "updated_at" || !descending) {
    params.set(LIST_STATE_PARAMS.sort, sortParamOf(orderBy));
    params.set(LIST_STATE_PARAMS.dir, descending ? "desc" : "asc");
  }
  if (search !== "") params.set(LIST_STATE_PARAMS.search, search);
  for (const tag of tags) params.append(LIST_STATE_PARAMS.tag, tag);
  if (offset > 0) params.set(LIST_STATE_PARAMS.offset, String(offset));
  if (after) params.set(LIST_STATE_PARAMS.after, anchorParam(after));
  else if (before) params.set(LIST_STATE_PARAMS.before, anchorParam(before));
  return params.toString();
}

/** The most `tag` values a list URL's filter keeps: 20 (a session has at most that many tags); more are ignored. */
export const MAX_TAG_FILTERS = 20;

/**
 * The `tag` filter of a query or form (once or repeated), as the store keeps tags (NFC, trimmed, white space runs as
 * one space, lower case, at most 40 characters: the rules of `normalizeTag()`), duplicates collapsed, sorted. A value
 * no tag can have (empty, too long, a control character, not text) is left out, as any malformed state is.
 */
export function tagFilterFrom(raw: unknown): string[] {
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const tags = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string" || /[\p{Cc}\ud800-\udfff]/u.test(value)) continue;
    const tag = value.normalize("NFC").trim().replace(/\s+/gu, " ").toLowerCase();
    const length = [...tag].length;
    if (length > 0 && length <= 40) tags.add(tag);
  }
  return [...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, MAX_TAG_FILTERS);
}

/**
 * Reads `offset`, `sort`, `dir`, `q`, `tag`, `cursor`, `after` and `before` from a request's query or form. Every state of the list travels
 * this way; nothing is kept on the server. A missing, repeated or malformed value falls back to its default, so a
 * hand-edited URL never fails.
 */
export function listParamsFrom(source: Record<string, unknown>, pageSize: number): ListParams {
  const text = (name: string) => (typeof source[name] === "string" ? (source[name] as string) : undefined);
  const sort = text(LIST_STATE_PARAMS.sort) ?? "";
  const orderBy: SessionOrderBy = Object.hasOwn(SORT_PARAMS, sort) ? SORT_PARAMS[sort as SortParam] : "updated_at";
  const dir = text(LIST_STATE_PARAMS.dir);
  const cursor = nonNegativeInteger(text(LIST_STATE_PARAMS.cursor));
  return {
    query: {
      offset: nonNegativeInteger(text(LIST_STATE_PARAMS.offset)) ?? 0,
      limit: pageSize,
      orderBy,
      descending: dir === "asc" ? false : dir === "desc" ? true : defaultDescending(orderBy),
      search: [...(text(LIST_STATE_PARAMS.search) ?? "").replace(CONTROL_CHARACTERS, "").trim()].slice(0, MAX_SEARCH_LENGTH).join(""),
      ...tagsOf(tagFilterFrom(source[LIST_STATE_PARAMS.tag])),
      ...anchors(text(LIST_STATE_PARAMS.after), text(LIST_STATE_PARAMS.before)),
    },
    cursor,
  };
}

/** `base` with the query string that asks for `state`, order always explicit, e.g. `/m/list?sort=label&dir=asc&q=lec&offset=50`. */
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

// Present only when there is a filter, so a query without one keeps its shape.
function tagsOf(tags: string[]): Pick<ListQuery, "tags"> {
  return tags.length > 0 ? { tags } : {};
}

function anchors(after: string | undefined, before: string | undefined): Pick<ListQuery, "after" | "before"> {
  const anchor = anchorFromParam(after);
  if (anchor) return { after: anchor };
  const earlier = anchorFromParam(before);
  return earlier ? { before: earlier } : {};
}

function nonNegativeInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The `sort` values the trash's list accepts in its URLs, and the order each one means. */
export const TRASH_SORT_PARAMS = Object.freeze({
  deleted: "deleted_at",
  label: "label",
  step: "current_step",
  updated: "updated_at",
} as const satisfies Record<string, TrashOrderBy>);

/** A `sort` value of the trash's URLs. */
export type TrashSortParam = keyof typeof TRASH_SORT_PARAMS;

/** The `sort` value for a trash order. */
export function trashSortParamOf(orderBy: TrashOrderBy): TrashSortParam {
  return (Object.keys(TRASH_SORT_PARAMS) as TrashSortParam[]).find((param) => TRASH_SORT_PARAMS[param] === orderBy) ?? "deleted";
}

/**
 * Reads the trash list's `offset`, `sort` (`deleted`, `label`, `step`, `updated`), `dir` and `q`, as
 * {@link listParamsFrom} reads the list's: a missing or malformed value falls back to its default (newest deletion
 * first).
 */
export function trashParamsFrom(source: Record<string, unknown>, pageSize: number): TrashQuery {
  const text = (name: string) => (typeof source[name] === "string" ? (source[name] as string) : undefined);
  const sort = text(LIST_STATE_PARAMS.sort) ?? "";
  const orderBy: TrashOrderBy = Object.hasOwn(TRASH_SORT_PARAMS, sort) ? TRASH_SORT_PARAMS[sort as TrashSortParam] : "deleted_at";
  const dir = text(LIST_STATE_PARAMS.dir);
  return {
    offset: nonNegativeInteger(text(LIST_STATE_PARAMS.offset)) ?? 0,
    limit: pageSize,
    orderBy,
    descending: dir === "asc" ? false : dir === "desc" ? true : orderBy === "deleted_at" || orderBy === "updated_at",
    search: searchFrom(text(LIST_STATE_PARAMS.search)),
  };
}

/** The query string of a trash list state, without defaults (`""` for the first window, newest deletion first). */
export function trashStateQuery({ orderBy, descending, search, offset = 0 }: Pick<TrashQuery, "orderBy" | "descending" | "search"> & { offset?: number }): string {
  const params = new URLSearchParams();
  if (orderBy !== "deleted_at" || !descending) {
    params.set(LIST_STATE_PARAMS.sort, trashSortParamOf(orderBy));
    params.set(LIST_STATE_PARAMS.dir, descending ? "desc" : "asc");
  }
  if (search !== "") params.set(LIST_STATE_PARAMS.search, search);
  if (offset > 0) params.set(LIST_STATE_PARAMS.offset, String(offset));
  return params.toString();
}

/** A search as typed, cleaned as the list cleans it: control characters dropped, trimmed, cut at {@link MAX_SEARCH_LENGTH}. */
export function searchFrom(value: string | undefined): string {
  return [...(value ?? "").replace(CONTROL_CHARACTERS, "").trim()].slice(0, MAX_SEARCH_LENGTH).join("");
}
