import { html } from "@lit-labs/ssr";
import { formatCount, formatSessionCount } from "./format.js";
import { anchorParam, listUrl, sortParamOf, type ListUrlState } from "../lib/list-state.js";
import { sortHeaderView } from "./sort-header.js";
import type { ListViewData } from "./view-data.js";
import type { ViewContext } from "./view-types.js";
import { IDS, SELECTORS, SPACER_CLASS } from "./dom-contract.js";
import { bulkBarView } from "./bulk-bar.js";
import { bulkUrlsOf } from "./manager-urls.js";
import { csrfFieldView } from "./csrf-field.js";
import { tagFilterView } from "./tag-filter.js";

const number = (n: number) => n.toLocaleString("en-US");

/**
 * The list fragment, `#ews-list`, which htmx swaps whole: the count, then one window of the table between two
 * spacer rows that stand for the rows before and after it (the client sizes them, so the scroll bar spans the whole
 * list), and the footer. Its `data-*` attributes carry the window, order, search and cursor into the next request.
 * Rows, the empty state and the no-matches state come from `context.views`, so their overrides apply. Its reads
 * (sort, pages, the windows the client fetches) sync on `#ews-main` with `replace`, as the search does, so the
 * newest read wins and a late window never overwrites a newer search. A search whose count stopped at the cap
 * says `1,000+` and lists (and scrolls through) the first 1,000 matches. Above the table, the bulk form and its bar
 * (`bulkBarView()`); each row's checkbox belongs to that form. Between the count and the table, the Pinned section
 * (`context.views.pinned`), in pin order, after the tag filter's chips (`tagFilterView()`). Beside it, the rows'
 * action form (`rowFormView()`).
 */
export function listView(data: ListViewData, context: ViewContext) {
  const { page, urls, columns } = data;
  const { views } = context;
  const first = page.items.length === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const previous = Math.max(0, page.offset - page.limit);
  const state = { orderBy: page.orderBy, descending: page.descending, search: page.search, tags: page.tags };
  const tags = page.tags ?? [];
  const columnCount = columns.length + 7;
  const pinned = data.pinned ?? [];
  const pinnedIds = new Set(pinned.map((item) => item.sessionId));
  // Next and Previous seek by key from the window's last or first row (docs/large-lists.md).
  const pageLink = (target: ListUrlState, text: string) =>
    html`<a class="join-item btn btn-sm" href=${listUrl(urls.page, { ...state, ...target })} hx-get=${listUrl(urls.list, { ...state, ...target })} hx-target=${SELECTORS.list} hx-swap="outerHTML">${text}</a>`;
  return html`<section id=${IDS.list}
    class="card bg-base-100 shadow-sm"
    hx-sync=${`${SELECTORS.main}:replace`}
    aria-label="Sessions"
    data-list-url=${urls.list}
    data-offset=${page.offset}
    data-limit=${page.limit}
    data-total=${page.total}
    data-capped=${page.capped ? "true" : "false"}
    data-count=${page.items.length}
    data-sort=${sortParamOf(page.orderBy)}
    data-dir=${page.descending ? "desc" : "asc"}
    data-q=${page.search}
    data-tags=${JSON.stringify(tags)}
    data-cursor=${data.cursor}
    data-list-kind="sessions"
    data-anchor-first=${page.anchors ? anchorParam(page.anchors.first) : ""}
    data-anchor-last=${page.anchors ? anchorParam(page.anchors.last) : ""}
  >
    <div class="flex items-center gap-2 px-4 pt-4 text-sm">
      <p class="opacity-70" data-role="count" aria-live="polite">${formatSessionCount(page.total, page.capped === true)}${page.search === ""
          ? ""
          : html` matching “<span class="break-all">${page.search}</span>”`}${tags.length === 0
          ? ""
          : html` tagged ${tags.map((tag, i) => html`${i === 0 ? "" : " and "}“<span class="break-all">${tag}</span>”`)}`}</p>
    </div>
    ${tagFilterView({ tagCounts: data.tagCounts ?? [], page, urls })}
    ${views.pinned({ items: pinned, activeSessionId: data.activeSessionId, urls, csrfToken: data.csrfToken }, context)}
    ${page.total === 0
      ? page.search === "" && tags.length === 0
        ? views.empty({ urls, csrfToken: data.csrfToken }, context)
        : views.noMatches({ search: page.search, tags }, context)
      : html`${bulkBarView({ kind: "sessions", total: page.total, capped: page.capped === true, search: page.search, confirmUrl: bulkUrlsOf(urls).confirm, exportUrl: urls.export, state: urls.state, csrfToken: data.csrfToken, readonly: urls.readonly })}
          ${urls.readonly ? "" : rowFormView(urls.resume, data.csrfToken)}
          <div id=${IDS.viewport} class="ews-viewport max-h-[70vh] overflow-auto">
            <table class="table table-pin-rows" role="grid" aria-label="Sessions" aria-rowcount=${page.capped ? -1 : page.total + 1}>
              <thead>
                <tr aria-rowindex="1">
                  <th scope="col" class="w-0 ps-3 pe-0"><input type="checkbox" class="checkbox checkbox-sm" data-role="select-window" aria-label="Select the sessions shown" data-needs-script hidden /></th>
                  ${sortHeaderView({ label: "Session", sort: "label", page, urls, className: "ps-2" })}
                  ${sortHeaderView({ label: "Step", sort: "step", page, urls, className: "hidden sm:table-cell" })}
                  ${columns.map((column) => html`<th scope="col" class=${`hidden md:table-cell ${column.className ?? ""}`}>${column.header}</th>`)}
                  ${sortHeaderView({ label: "Updated", sort: "updated", page, urls, className: "hidden sm:table-cell" })}
                  ${sortHeaderView({ label: "Created", sort: "created", page, urls, className: "hidden lg:table-cell" })}
                  <th scope="col" class="hidden xl:table-cell">Size</th>
                  <th scope="col" class="text-right"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody hx-boost="true" hx-sync="this:drop">
                <tr class=${SPACER_CLASS} data-rows=${page.offset} aria-hidden="true"><td class="p-0" colspan=${columnCount}></td></tr>
                ${page.items.map((item, i) =>
                  views.row({
                    item,
                    index: page.offset + i,
                    selected: page.offset + i === data.cursor,
                    active: item.sessionId === data.activeSessionId,
                    columns,
                    urls,
                    csrfToken: data.csrfToken,
                    now: data.now,
                    pinned: pinnedIds.has(item.sessionId),
                  }, context),
                )}
                <tr class=${SPACER_CLASS} data-rows=${page.total - last} aria-hidden="true"><td class="p-0" colspan=${columnCount}></td></tr>
              </tbody>
            </table>
          </div>
          <footer class="flex items-center justify-between gap-3 p-4 text-sm">
            <span class="opacity-70" data-role="range">Rows ${number(first)}–${number(last)} of ${formatCount(page.total, page.capped === true)}${page.capped && last === page.total
                ? html`<span data-role="capped">: only the first ${number(page.total)} matches are listed; a longer search narrows them</span>`
                : ""}</span>
            <nav class="join" aria-label="Pages">
              ${page.offset > 0 ? pageLink({ ...state, offset: previous, before: page.anchors?.first }, "Previous") : ""}
              ${last < page.total ? pageLink({ ...state, offset: last, after: page.anchors?.last }, "Next") : ""}
            </nav>
          </footer>`}
  </section>`;
}

/**
 * The rows' one action form, `#ews-row-form`: hidden, it holds only the CSRF field. Resume, Duplicate and Pin of
 * every row are its buttons (`form="ews-row-form"`), each with its route in `formaction`, so the browser posts the
 * button's `session_id` and the token there, and htmx (which reads the button's `formaction`) swaps the list with the
 * answer or follows a resume's `HX-Redirect`. `hx-sync="this:drop"` ignores a second click while one is on its way.
 */
export function rowFormView(action: string, csrfToken: string) {
  return html`<form id=${IDS.rowForm} method="post" action=${action} hx-post=${action} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-sync="this:drop" hidden>${csrfFieldView(csrfToken)}</form>`;
}
