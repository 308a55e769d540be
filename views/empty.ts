import { html } from "@lit-labs/ssr";
import { csrfFieldView } from "./csrf-field.js";
import { icons } from "./icons.js";
import type { EmptyViewData } from "./view-data.js";
import { SELECTORS } from "./dom-contract.js";

/** Shown instead of the table when the flow has no sessions. */
export function emptyView({ urls, csrfToken }: EmptyViewData) {
  return html`<div class="flex flex-col items-center gap-3 px-4 py-16 text-center" data-role="empty">
    ${icons.inbox("size-10 opacity-40")}
    <h2 class="text-lg font-semibold">No sessions yet</h2>
    <p class="max-w-sm text-sm opacity-70">A session keeps the progress of one run through the workflow. ${urls.readonly ? "" : "Start one to begin."}</p>
    ${urls.readonly ? "" : html`<form method="post" action=${urls.create} hx-post=${urls.create} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-sync="this:drop" hx-disabled-elt="find button">
      ${csrfFieldView(csrfToken)}
      <button type="submit" class="btn btn-primary">${icons.plus()} New Session</button>
    </form>`}
  </div>`;
}
