// Every request carries the list's order and search; actions also carry the window and the cursor, so the server
// answers the same window with the cursor in place (or on its nearest neighbour after a delete). The server keeps
// none of them.
import { list, searchBox } from "./dom.js";
import { IDS } from "../views/dom-contract.js";

// The list's tag filter, as its data-tags attribute carries it (a JSON array of texts).
function tagsOf(text: string | undefined): string[] {
  try {
    const tags: unknown = JSON.parse(text ?? "[]");
    return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
  } catch {
    return [];
  }
}

/** Adds the list's state to every htmx request. */
export function initRequestState(): void {
  document.addEventListener("htmx:configRequest", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    const element = list();
    if (!element) return;
    const parameters = detail.parameters;
    const inUrl = new URL(detail.path, location.href).searchParams;
    const search = searchBox();
    const state: Record<string, string | undefined> = { sort: element.dataset.sort, dir: element.dataset.dir, q: search ? search.value : element.dataset.q };
    // A row button's formaction carries the state the list was rendered with, for the page without JavaScript; the
    // search typed since (and not yet sent) wins, in the body, which the server reads over the query.
    const rowForm = detail.elt.id === IDS.rowForm;
    for (const [name, value] of Object.entries(state)) {
      if ((rowForm || !inUrl.has(name)) && value !== undefined) parameters[name] = value;
    }
    // The tag filter, unless the URL is a whole list state of its own (the list's links name their order) or the
    // form sets a session's tags (`data-sets-tags`, whose `tag` fields are the session's: its filter goes in the URL).
    const filter = tagsOf(element.dataset.tags);
    const url = new URL(detail.path, location.href);
    if (detail.elt.closest("[data-sets-tags]") || url.pathname.endsWith("/tags")) {
      if (!inUrl.has("tag")) for (const tag of filter) url.searchParams.append("tag", tag);
      detail.path = url.pathname + url.search;
    } else if (!inUrl.has("sort") && !inUrl.has("tag")) {
      // htmx sends an array as the field repeated; an empty one as none.
      (parameters as Record<string, unknown>).tag = filter;
    }
    const isCreate = detail.elt.closest("[hx-post$='/create']");
    if (detail.verb !== "post" || isCreate) return;
    if (!("offset" in parameters) && element.dataset.offset !== undefined) parameters.offset = element.dataset.offset;
    if (!("cursor" in parameters) && element.dataset.cursor !== undefined) parameters.cursor = element.dataset.cursor;
    // The same window again, sought from its first row by key (docs/large-lists.md); the offset serves if that row went.
    if (!("after" in parameters || "before" in parameters || inUrl.has("after") || inUrl.has("before")) && element.dataset.anchorFirst) {
      parameters.after = element.dataset.anchorFirst;
    }
  });
}
