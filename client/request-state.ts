// Every request carries the list's order and search; actions also carry the window and the cursor, so the server
// answers the same window with the cursor in place (or on its nearest neighbour after a delete). The server keeps
// none of them.
import { list, searchBox } from "./dom.js";
import { IDS } from "../views/dom-contract.js";

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
