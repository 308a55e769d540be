import { html } from "@lit-labs/ssr";
import { emptyView } from "./empty.js";
import { rowView } from "./row.js";
import { toolbarView } from "./toolbar.js";
import type { ListViewData } from "./view-data.js";

/** The list fragment, `#ews-list`: toolbar, then the table (or the empty state) and the footer. htmx swaps it whole. */
export function listView(data: ListViewData) {
  const { page, urls, columns } = data;
  const first = page.items.length === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const previous = Math.max(0, page.offset - page.limit);
  return html`<section id="ews-list" class="card bg-base-100 shadow-sm" aria-label="Sessions" data-list-url=${urls.list} data-offset=${page.offset}>
    ${toolbarView({ total: page.total, urls, csrfToken: data.csrfToken })}
    ${page.total === 0
      ? emptyView({ urls, csrfToken: data.csrfToken })
      : html`<div class="overflow-x-auto">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">Step</th>
                  ${columns.map((column) => html`<th scope="col" class=${column.className ?? ""}>${column.header}</th>`)}
                  <th scope="col">Updated</th>
                  <th scope="col">Size</th>
                  <th scope="col" class="text-right"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${page.items.map((item) =>
                  rowView({ item, active: item.sessionId === data.activeSessionId, columns, urls, csrfToken: data.csrfToken, now: data.now }),
                )}
              </tbody>
            </table>
          </div>
          <footer class="flex items-center justify-between gap-3 p-4 text-sm">
            <span class="opacity-70" data-role="range">Rows ${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} of ${page.total.toLocaleString("en-US")}</span>
            <nav class="join" aria-label="Pages">
              ${page.offset > 0
                ? html`<a class="join-item btn btn-sm" href=${`${urls.page}?offset=${previous}`} hx-get=${`${urls.list}?offset=${previous}`} hx-target="#ews-list" hx-swap="outerHTML">Previous</a>`
                : ""}
              ${last < page.total
                ? html`<a class="join-item btn btn-sm" href=${`${urls.page}?offset=${last}`} hx-get=${`${urls.list}?offset=${last}`} hx-target="#ews-list" hx-swap="outerHTML">Next</a>`
                : ""}
            </nav>
          </footer>`}
  </section>`;
}
