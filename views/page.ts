import { html } from "@lit-labs/ssr";
import { deleteDialogView } from "./delete-dialog.js";
import { icons } from "./icons.js";
import { listView } from "./list.js";
import { noticesView } from "./notice.js";
import { renameDialogView } from "./rename-dialog.js";
import type { PageViewData } from "./view-data.js";

/** The manager page body: header, notices, the list and the two dialogs. */
export function pageView(data: PageViewData) {
  return html`<div class="mx-auto flex max-w-6xl flex-col gap-6 p-4 md:p-8" hx-indicator="#ews-indicator">
    <header class="flex items-center gap-3">
      ${icons.layers("size-7 text-primary")}
      <h1 class="text-2xl font-bold">${data.title}</h1>
      <span class="htmx-indicator loading loading-spinner loading-sm ms-auto" id="ews-indicator" role="status" aria-label="Loading"></span>
      <button type="button" class="btn btn-ghost btn-sm btn-square" data-action="toggle-theme" aria-label="Switch between light and dark theme" title="Theme">
        ${icons.theme()}
      </button>
    </header>
    <main class="flex flex-col gap-4">
      ${noticesView({ notice: data.notice })}
      ${listView(data)}
    </main>
    ${renameDialogView({ urls: data.urls, csrfToken: data.csrfToken })}
    ${deleteDialogView({ urls: data.urls, csrfToken: data.csrfToken })}
  </div>`;
}
