import { html } from "@lit-labs/ssr";

/** What the no-matches state receives. */
export interface NoMatchesViewData {
  search: string;
}

/** Shown instead of the table when sessions exist but none matches the search. */
export function noMatchesView({ search }: NoMatchesViewData) {
  return html`<div class="px-4 py-12 text-center text-sm opacity-70" data-role="no-matches">
    No session's label or id starts with “<span class="break-all">${search}</span>”.
  </div>`;
}
