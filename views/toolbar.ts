import { html } from "@lit-labs/ssr";
import { MAX_SEARCH_LENGTH, sortParamOf } from "../lib/list-state.js";
import { csrfFieldView } from "./csrf-field.js";
import { icons } from "./icons.js";
import type { ToolbarViewData } from "./view-data.js";
import { ACTIONS, ROLES, SELECTORS } from "./dom-contract.js";

/**
 * The bar above the list: the search box and the New Session button. It sits outside `#ews-list`, so typing is
 * never interrupted by the list being swapped. Without JavaScript the search is a plain GET form. The search matches
 * the start of stored labels and ids, not the labels a `label` callback generates, and its placeholder says so.
 */
export function toolbarView({ page, urls, csrfToken }: ToolbarViewData) {
  return html`<div class="flex flex-wrap items-center justify-between gap-3">
    <form role="search" method="get" action=${urls.page} class="min-w-0 grow" hx-get=${urls.list} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-sync=${`${SELECTORS.main}:replace`}>
      <input type="hidden" name="sort" value=${sortParamOf(page.orderBy)} />
      <input type="hidden" name="dir" value=${page.descending ? "desc" : "asc"} />
      ${(page.tags ?? []).map((tag) => html`<input type="hidden" name="tag" value=${tag} />`)}
      <label class="input input-sm w-full max-w-md">
        <span class="sr-only">Search stored labels and ids (by their start)</span>
        ${icons.search("size-4 opacity-50")}
        <input
          type="search"
          name="q"
          value=${page.search}
          maxlength=${MAX_SEARCH_LENGTH}
          autocomplete="off"
          spellcheck="false"
          placeholder="Search stored labels and ids"
          data-role=${ROLES.search}
          hx-get=${urls.list}
          hx-trigger="input changed delay:250ms, search"
          hx-target=${SELECTORS.list}
          hx-swap="outerHTML"
        />
        <kbd class="ews-shortcuts kbd kbd-sm" aria-hidden="true">/</kbd>
      </label>
    </form>
    ${urls.import && !urls.readonly ? importForm(urls.import, csrfToken) : ""}
    ${urls.readonly ? "" : html`<form method="post" action=${urls.create} hx-post=${urls.create} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-disabled-elt="find button">
      ${csrfFieldView(csrfToken)}
      <button type="submit" class="btn btn-primary btn-sm" data-action=${ACTIONS.create} aria-keyshortcuts="n">${icons.plus()} New Session</button>
    </form>`}
  </div>`;
}

/**
 * Import: a plain multipart form (no htmx), so it works without JavaScript; the page comes back with a notice. The
 * file input is the button: choosing a file and pressing Import sends it.
 */
function importForm(importUrl: string, csrfToken: string) {
  return html`<form method="post" action=${importUrl} enctype="multipart/form-data" hx-boost="false" class="flex items-center gap-2" data-role="import-form">
      ${csrfFieldView(csrfToken)}
      <label class="sr-only" for="ews-import-file">Export file to import</label>
      <input id="ews-import-file" type="file" name="file" accept=".json,application/json" required class="file-input file-input-sm max-w-56" />
      <button type="submit" class="btn btn-sm" data-action="import">${icons.upload()} Import</button>
    </form>`;
}
