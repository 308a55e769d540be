import { html } from "@lit-labs/ssr";
import { csrfFieldView } from "./csrf-field.js";
import { withListState } from "../lib/list-state.js";
import { pinUrlsOf } from "./manager-urls.js";
import type { PinnedViewData } from "./view-data.js";

/**
 * The Pinned section above the list (`data-role="pinned"`), nothing when no session is pinned: one item per pinned
 * session in pin order, with its label (the whole text, cut by CSS, in full in its `title`), the Active badge, and Resume and Unpin buttons
 * named after the session. Its forms post like the row's Duplicate: htmx swaps the list, and without JavaScript the
 * form posts and the 303 comes back to the same list.
 */
export function pinnedView({ items, activeSessionId, urls, csrfToken }: PinnedViewData) {
  if (items.length === 0) return "";
  const { unpin } = pinUrlsOf(urls);
  return html`<section class="px-4 pt-3" data-role="pinned" aria-labelledby="ews-pinned-heading">
    <h2 id="ews-pinned-heading" class="text-sm font-semibold">Pinned</h2>
    <ul class="mt-1 flex flex-col gap-1 border-b border-base-200 pb-2">
      ${items.map(
        (item) => html`<li class="flex items-center gap-2 min-w-0" data-pinned-id=${item.sessionId}>
          <span class="min-w-0 truncate font-medium" title=${item.displayLabel}>${item.displayLabel}</span>${item.sessionId === activeSessionId
            ? html`<span class="badge badge-primary badge-sm shrink-0">Active</span>`
            : ""}${urls.readonly
            ? ""
            : html`<span class="ms-auto flex gap-1">
                <form method="post" action=${urls.resume} class="inline">${csrfFieldView(csrfToken)}<button type="submit" name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm btn-square" data-action="resume-pinned" aria-label=${`Resume ${item.displayLabel}`} title="Resume"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-play"></use></svg></button></form>
                <form method="post" action=${withListState(unpin, urls.state)} hx-post=${unpin} hx-target="#ews-list" hx-swap="outerHTML" hx-disabled-elt="find button" class="inline">${csrfFieldView(csrfToken)}<button type="submit" name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm btn-square" data-action="unpin" aria-label=${`Unpin ${item.displayLabel}`} title="Unpin"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-pin-off"></use></svg></button></form>
              </span>`}
        </li>`,
      )}
    </ul>
  </section>`;
}
