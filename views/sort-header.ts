import { html } from "@lit-labs/ssr";
import { defaultDescending, listUrl, SORT_PARAMS, type SortParam } from "../lib/list-state.js";
import type { SessionPage } from "../lib/session-types.js";
import type { ManagerUrls } from "./view-data.js";
import { SELECTORS } from "./dom-contract.js";

/** What a sortable column header receives. */
export interface SortHeaderViewData {
  label: string;
  sort: SortParam;
  page: SessionPage;
  urls: ManagerUrls;
  /** Classes for the header cell, e.g. to hide the column on small screens. */
  className?: string;
}

/**
 * A column header that sorts the list: a link to the same list in this column's order (reversed when it already is
 * the order), with `aria-sort` and an arrow for the current one. The search is kept; the window starts over.
 */
export function sortHeaderView({ label, sort, page, urls, className = "" }: SortHeaderViewData) {
  const orderBy = SORT_PARAMS[sort];
  const current = page.orderBy === orderBy;
  const descending = current ? !page.descending : defaultDescending(orderBy);
  const target = { orderBy, descending, search: page.search, tags: page.tags };
  // Static text, not a value, so the arrow goes out as a character reference and the list stays ASCII.
  const arrow = current ? (page.descending ? html`↓` : html`↑`) : "";
  return html`<th scope="col" class=${className} aria-sort=${current ? (page.descending ? "descending" : "ascending") : "none"}>
    <a
      class="ews-sort inline-flex items-center gap-1 hover:underline"
      href=${listUrl(urls.page, target)}
      hx-get=${listUrl(urls.list, target)}
      hx-target=${SELECTORS.list}
      hx-swap="outerHTML"
      data-sort=${sort}
      >${label}<span class="w-3 text-primary" aria-hidden="true">${arrow}</span></a
    >
  </th>`;
}
