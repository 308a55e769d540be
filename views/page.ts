import { html } from "@lit-labs/ssr";
import { deleteDialogView } from "./delete-dialog.js";
import { iconSpriteView } from "./icon-sprite.js";
import { icons } from "./icons.js";
import { listView } from "./list.js";
import { noticesView } from "./notice.js";
import { renameDialogView } from "./rename-dialog.js";
import { toolbarView } from "./toolbar.js";
import type { PageViewData } from "./view-data.js";

const SHORTCUTS: ReadonlyArray<[keys: string, action: string]> = [
  ["↑ ↓", "move"],
  ["PgUp PgDn", "by a window"],
  ["Home End", "first, last"],
  ["Enter", "resume"],
  ["F2", "rename"],
  ["Del", "delete"],
  ["n", "new"],
  ["/", "search"],
];

/** The manager page body: header, toolbar, notices, the list, the keyboard shortcuts and the two dialogs. */
export function pageView(data: PageViewData) {
  return html`${iconSpriteView()}<div class="mx-auto flex max-w-6xl flex-col gap-4 p-4 md:p-8" hx-indicator="#ews-indicator">
    <header class="flex items-center gap-3">
      ${icons.layers("size-7 text-primary")}
      <h1 class="text-2xl font-bold">${data.title}</h1>
      <span class="htmx-indicator loading loading-spinner loading-sm ms-auto" id="ews-indicator" role="status" aria-label="Loading"></span>
      <button type="button" class="btn btn-ghost btn-sm btn-square" data-action="toggle-theme" aria-label="Switch between light and dark theme" title="Theme">
        ${icons.theme()}
      </button>
    </header>
    <main class="flex flex-col gap-4">
      ${toolbarView({ page: data.page, urls: data.urls, csrfToken: data.csrfToken })}
      ${noticesView({ notice: data.notice })}
      ${listView(data)}
      <p class="flex flex-wrap gap-x-4 gap-y-1 text-xs text-base-content/80" data-role="shortcuts">
        ${SHORTCUTS.map(([keys, action]) => html`<span><kbd class="kbd kbd-xs">${keys}</kbd> ${action}</span>`)}
      </p>
    </main>
    ${renameDialogView({ urls: data.urls, csrfToken: data.csrfToken, session: data.dialog?.kind === "rename" ? data.dialog.session : undefined })}
    ${deleteDialogView({ urls: data.urls, csrfToken: data.csrfToken, session: data.dialog?.kind === "delete" ? data.dialog.session : undefined })}
  </div>`;
}
