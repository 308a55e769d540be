import { html } from "@lit-labs/ssr";
import { formatSessionCount } from "../lib/format.js";
import { csrfFieldView } from "./csrf-field.js";
import { icons } from "./icons.js";
import type { ManagerUrls } from "./view-data.js";

/** What the toolbar receives. */
export interface ToolbarViewData {
  total: number;
  urls: ManagerUrls;
  csrfToken: string;
}

/** The bar above the table: the session count and the New Session button. */
export function toolbarView({ total, urls, csrfToken }: ToolbarViewData) {
  return html`<div class="flex flex-wrap items-center justify-between gap-3 p-4">
    <p class="text-sm opacity-70" data-role="count" aria-live="polite">${formatSessionCount(total)}</p>
    <form method="post" action=${urls.create} hx-post=${urls.create} hx-target="#ews-list" hx-swap="outerHTML" hx-disabled-elt="find button">
      ${csrfFieldView(csrfToken)}
      <button type="submit" class="btn btn-primary btn-sm" data-action="create">${icons.plus()} New Session</button>
    </form>
  </div>`;
}
