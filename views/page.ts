import { html } from "@lit-labs/ssr";
import { iconSpriteView } from "./icon-sprite.js";
import { icons } from "./icons.js";
import { noticesView } from "./notice.js";
import type { PageViewData } from "./view-data.js";
import type { ViewContext } from "./view-types.js";
import { ACTIONS, IDS } from "./dom-contract.js";
import { bulkUrlsOf } from "./manager-urls.js";
import { bulkDialogView, closedBulkDialog } from "./bulk-dialog.js";
import { closedTagDialog, tagDialogView } from "./tag-dialog.js";

/** The keyboard legend; `changes` marks the keys that change something, which a read-only page leaves out. */
const SHORTCUTS: ReadonlyArray<[keys: string | ReturnType<typeof html>, action: string, changes?: true]> = [
  [html`↑ ↓`, "move"],
  ["PgUp PgDn", "by a window"],
  ["Home End", "first, last"],
  ["Enter", "resume", true],
  ["F2", "rename", true],
  ["Del", "delete", true],
  ["n", "new", true],
  ["/", "search"],
  ["Space", "select"],
  [html`Shift ↑ ↓`, "select a range"],
  ["Ctrl A", "select all matching"],
];

/**
 * The manager page body: header, toolbar, notices, the list, the keyboard shortcuts and the rename and delete
 * dialogs, each from `context.views`, so their overrides apply; then the bulk confirmation and (unless read-only) the
 * tag dialog of the bulk bar. The theme toggle and the shortcuts legend need the client script:
 * they are `hidden` (marked `data-needs-script`) until it runs, and the legend stays hidden on touch screens (CSS).
 * `#ews-main` is the element the list's reads sync on (`hx-sync`): it is never swapped. The header links to the
 * trash (unless delete is permanent), and with `expireIdleAfterDays` the rule is stated above the list (not on a
 * read-only page, whose manager moves nothing). With
 * `urls.readonly`, `#ews-main` carries `data-readonly` (the client's F2, Delete, n and Enter then do nothing) and
 * the legend leaves those keys out. With `urls.events`, a hidden `#ews-live` follows the live updates' stream (with
 * the client script; without it, nothing happens), and a hidden "N new sessions" button above the list waits for
 * sessions added elsewhere.
 */
export function pageView(data: PageViewData, context: ViewContext) {
  const { views } = context;
  return html`${iconSpriteView()}<div class="mx-auto flex max-w-6xl flex-col gap-4 p-4 md:p-8" hx-indicator="#ews-indicator">
    <header class="flex items-center gap-3">
      ${icons.layers("size-7 text-primary")}
      <h1 class="text-2xl font-bold">${data.title}</h1>
      ${data.trashKeepDays === false ? "" : html`<a href=${bulkUrlsOf(data.urls).trash} class="btn btn-ghost btn-sm ms-auto" data-action="open-trash">${icons.trash("size-4")} Trash</a>`}
      <span class="htmx-indicator loading loading-spinner loading-sm ms-auto" id="ews-indicator" role="status" aria-label="Loading"></span>
      <button type="button" class="btn btn-ghost btn-sm btn-square" data-action=${ACTIONS.toggleTheme} data-needs-script hidden aria-label="Switch between light and dark theme" title="Theme">
        ${icons.theme()}
      </button>
    </header>
    <main id=${IDS.main} class="flex flex-col gap-4" ?data-readonly=${data.urls.readonly === true}>
      ${views.toolbar({ page: data.page, urls: data.urls, csrfToken: data.csrfToken }, context)}
      ${data.expireIdleAfterDays && !data.urls.readonly
        ? html`<p class="text-sm opacity-80" data-role="expiry-rule">Sessions not updated for ${data.expireIdleAfterDays} ${data.expireIdleAfterDays === 1 ? "day" : "days"} move to the trash${data.trashKeepDays === false ? " and are deleted" : ""}.</p>`
        : ""}
      ${noticesView({ notice: data.notice }, context)}
      ${data.urls.events
        ? html`<div class="flex justify-center" aria-live="polite"><button type="button" class="btn btn-sm btn-primary" data-action=${ACTIONS.showNew} hidden></button></div>`
        : ""}
      ${views.list(data, context)}
      <p class="ews-shortcuts flex flex-wrap gap-x-4 gap-y-1 text-xs text-base-content/80" data-role="shortcuts" data-needs-script hidden>
        ${SHORTCUTS.filter(([, , changes]) => !(changes && data.urls.readonly)).map(([keys, action]) => html`<span><kbd class="kbd kbd-xs">${keys}</kbd> ${action}</span>`)}
      </p>
    </main>
    ${views.renameDialog({ urls: data.urls, csrfToken: data.csrfToken, session: data.dialog?.kind === "rename" ? data.dialog.session : undefined, tagOptions: (data.tagCounts ?? []).map((entry) => entry.tag) }, context)}
    ${views.deleteDialog({ urls: data.urls, csrfToken: data.csrfToken, session: data.dialog?.kind === "delete" ? data.dialog.session : undefined, trashKeepDays: data.trashKeepDays }, context)}
    ${bulkDialogView(data.bulkDialog ?? closedBulkDialog(data))}
    ${data.urls.readonly ? "" : tagDialogView(data.tagDialog ?? closedTagDialog(data))}
    ${data.urls.events ? html`<div id=${IDS.live} hidden hx-ext="sse" sse-connect=${data.urls.events} hx-trigger="sse:change"></div>` : ""}
  </div>`;
}
