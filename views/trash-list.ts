import { html } from "@lit-labs/ssr";
import { TRASH_SORT_PARAMS, trashSortParamOf, trashStateQuery, type TrashSortParam } from "../lib/list-state.js";
import type { TrashPage } from "../lib/session-types.js";
import { bulkBarView } from "./bulk-bar.js";
import { formatSessionCount } from "./format.js";
import { bulkUrlsOf } from "./manager-urls.js";
import type { TrashListViewData } from "./view-data.js";
import type { ViewContext } from "./view-types.js";

const number = (n: number) => n.toLocaleString("en-US");
const SELECTOR = "#ews-list";

/** `base` with the trash list state, e.g. `/m/trash/list?sort=label&dir=asc`. */
function trashUrl(base: string, state: Pick<TrashPage, "orderBy" | "descending" | "search"> & { offset?: number }): string {
  const query = trashStateQuery(state);
  return query === "" ? base : `${base}?${query}`;
}

/**
 * The trash's list fragment, `#ews-list` with `data-list-kind="trash"`, which htmx swaps whole: the count, the bulk
 * form and bar (Restore, Delete forever, Clear, Select all N matching), then one window of the trash (label, step,
 * when deleted, when it will be purged) between the two spacer rows, sortable by its headers, and the pages. Its
 * `data-*` attributes are those of the session list, so the client's selection and windows work on it the same way.
 * Rows come from `context.views.trashRow`, so its override applies.
 */
export function trashListView({ page, urls, csrfToken, now }: TrashListViewData, context: ViewContext) {
  const bulk = bulkUrlsOf(urls);
  const first = page.items.length === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const state = { orderBy: page.orderBy, descending: page.descending, search: page.search };
  const header = (label: string, sort: TrashSortParam, className = "") => {
    const orderBy = TRASH_SORT_PARAMS[sort];
    const current = page.orderBy === orderBy;
    const target = { ...state, orderBy, descending: current ? !page.descending : orderBy === "deleted_at" || orderBy === "updated_at" };
    return html`<th scope="col" class=${className} aria-sort=${current ? (page.descending ? "descending" : "ascending") : "none"}><a class="ews-sort inline-flex items-center gap-1 hover:underline" href=${trashUrl(bulk.trash, target)} hx-get=${trashUrl(bulk.trashList, target)} hx-target=${SELECTOR} hx-swap="outerHTML" data-sort=${sort}>${label}<span class="w-3 text-primary" aria-hidden="true">${current ? (page.descending ? html`↓` : html`↑`) : ""}</span></a></th>`;
  };
  const pageLink = (offset: number, text: string) =>
    html`<a class="join-item btn btn-sm" href=${trashUrl(bulk.trash, { ...state, offset })} hx-get=${trashUrl(bulk.trashList, { ...state, offset })} hx-target=${SELECTOR} hx-swap="outerHTML">${text}</a>`;
  return html`<section id="ews-list" class="card bg-base-100 shadow-sm" hx-sync="#ews-main:replace" aria-label="Trash"
    data-list-kind="trash"
    data-list-url=${bulk.trashList}
    data-offset=${page.offset}
    data-limit=${page.limit}
    data-total=${page.total}
    data-capped="false"
    data-count=${page.items.length}
    data-sort=${trashSortParamOf(page.orderBy)}
    data-dir=${page.descending ? "desc" : "asc"}
    data-q=${page.search}
    data-cursor=${page.offset}
  >
    <div class="flex items-center gap-2 px-4 pt-4 text-sm">
      <p class="opacity-70" data-role="count" aria-live="polite">${formatSessionCount(page.total)} in the trash${page.search === "" ? "" : html` matching “<span class="break-all">${page.search}</span>”`}</p>
    </div>
    ${page.total === 0
      ? html`<p class="p-8 text-center opacity-70" data-role="trash-empty">${page.search === "" ? "The trash is empty." : "No trashed session matches this search."}</p>`
      : html`${bulkBarView({ kind: "trash", total: page.total, capped: false, search: page.search, confirmUrl: bulk.confirm, state: urls.state, csrfToken, readonly: urls.readonly })}
          <div id="ews-viewport" class="ews-viewport max-h-[70vh] overflow-auto">
            <table class="table table-pin-rows" role="grid" aria-label="Trash" aria-rowcount=${page.total + 1}>
              <thead>
                <tr aria-rowindex="1">
                  <th scope="col" class="w-0 ps-3 pe-0"><input type="checkbox" class="checkbox checkbox-sm" data-role="select-window" aria-label="Select the sessions shown" data-needs-script hidden /></th>
                  ${header("Session", "label", "ps-2")}
                  ${header("Step", "step", "hidden sm:table-cell")}
                  ${header("Deleted", "deleted")}
                  <th scope="col" class="hidden md:table-cell">Purged on</th>
                  <th scope="col" class="text-right"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                <tr class="ews-spacer" data-rows=${page.offset} aria-hidden="true"><td class="p-0" colspan="6"></td></tr>
                ${page.items.map((item, i) => context.views.trashRow({ item, index: page.offset + i, urls, csrfToken, now }, context))}
                <tr class="ews-spacer" data-rows=${page.total - last} aria-hidden="true"><td class="p-0" colspan="6"></td></tr>
              </tbody>
            </table>
          </div>
          <footer class="flex items-center justify-between gap-3 p-4 text-sm">
            <span class="opacity-70" data-role="range">Rows ${number(first)}–${number(last)} of ${number(page.total)}</span>
            <nav class="join" aria-label="Pages">
              ${page.offset > 0 ? pageLink(Math.max(0, page.offset - page.limit), "Previous") : ""}
              ${last < page.total ? pageLink(last, "Next") : ""}
            </nav>
          </footer>`}
  </section>`;
}
