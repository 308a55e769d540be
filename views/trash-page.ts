import { html } from "@lit-labs/ssr";
import { MAX_SEARCH_LENGTH, trashSortParamOf } from "../lib/list-state.js";
import { bulkDialogView, closedBulkDialog } from "./bulk-dialog.js";
import { csrfFieldView } from "./csrf-field.js";
import { iconSpriteView } from "./icon-sprite.js";
import { icons } from "./icons.js";
import { bulkUrlsOf } from "./manager-urls.js";
import { noticesView } from "./notice.js";
import type { TrashPageViewData } from "./view-data.js";
import type { ViewContext } from "./view-types.js";

/**
 * The trash page body: a link back to the sessions, the retention rule, the search, Empty trash (a form that asks
 * `confirm` first), the notices and the trash's list, and the confirmation (open when the page answers
 * `POST {prefix}/confirm`; closed otherwise, for the client to fill). `#ews-main` and `#ews-alerts` are those of the
 * manager page. The list comes from `context.views.trashList`, so its override applies.
 */
export function trashPageView(data: TrashPageViewData, context: ViewContext) {
  const { urls, page, csrfToken } = data;
  const bulk = bulkUrlsOf(urls);
  return html`${iconSpriteView()}<div class="mx-auto flex max-w-6xl flex-col gap-4 p-4 md:p-8" hx-indicator="#ews-indicator">
    <header class="flex flex-wrap items-center gap-3">
      ${icons.trash("size-7 text-primary")}
      <h1 class="text-2xl font-bold">Trash</h1>
      <a href=${urls.page} class="btn btn-ghost btn-sm ms-auto">Back to ${data.title}</a>
      <span class="htmx-indicator loading loading-spinner loading-sm" id="ews-indicator" role="status" aria-label="Loading"></span>
    </header>
    <main id="ews-main" class="flex flex-col gap-4" ?data-readonly=${urls.readonly === true}>
      <p class="text-sm opacity-80" data-role="retention-rule">Deleted sessions are kept here for ${data.keepDays} ${data.keepDays === 1 ? "day" : "days"}, then deleted forever.</p>
      <div class="flex flex-wrap items-center justify-between gap-3">
        <form role="search" method="get" action=${bulk.trash} class="min-w-0 grow" hx-get=${bulk.trashList} hx-target="#ews-list" hx-swap="outerHTML" hx-sync="#ews-main:replace">
          <input type="hidden" name="sort" value=${trashSortParamOf(page.orderBy)} />
          <input type="hidden" name="dir" value=${page.descending ? "desc" : "asc"} />
          <label class="input input-sm w-full max-w-md">
            <span class="sr-only">Search the trash by stored label or id (by their start)</span>
            ${icons.search("size-4 opacity-50")}
            <input type="search" name="q" value=${page.search} maxlength=${MAX_SEARCH_LENGTH} autocomplete="off" spellcheck="false" placeholder="Search the trash" data-role="search"
              hx-get=${bulk.trashList} hx-trigger="input changed delay:250ms, search" hx-target="#ews-list" hx-swap="outerHTML" />
          </label>
        </form>
        ${urls.readonly ? "" : html`<form method="post" action=${bulk.confirm}>
          ${csrfFieldView(csrfToken)}<input type="hidden" name="view" value="trash" /><input type="hidden" name="intent" value="purge" /><input type="hidden" name="all" value="1" />
          <button type="submit" class="btn btn-ghost btn-sm ews-danger" data-action="empty-trash" ?disabled=${page.total === 0 && page.search === ""}>Empty trash</button>
        </form>`}
      </div>
      ${noticesView({ notice: data.notice }, context)}
      ${context.views.trashList(data, context)}
    </main>
    ${bulkDialogView(data.dialog ?? { ...closedBulkDialog({ urls, csrfToken }), view: "trash", cancelUrl: bulk.trash })}
  </div>`;
}
