import { html } from "@lit-labs/ssr";
import { ACTIONS } from "./dom-contract.js";
import { formatAbsoluteTime, formatBytes, formatRelativeTime } from "./format.js";
import { csrfFieldView } from "./csrf-field.js";
import { withListState } from "../lib/list-state.js";
import type { RowViewData } from "./view-data.js";

/**
 * One session row: label with the Active badge, step, host columns, updated and created times, size and the
 * actions. `aria-selected` marks the keyboard cursor; `aria-rowindex` is the row's place in the whole list, plus 2
 * (the header is row 1); `aria-current` marks the active session (styled in CSS). The resume form is sent by htmx
 * through the `hx-boost` of the table body, with the id as its button's value. Lit SSR pays for every attribute
 * binding and a window renders 50 rows per request, so this is one flat template with as few bindings as the row
 * needs, and the icons are `<use>` references (see `iconSpriteView()`). A long label is cut with an ellipsis by CSS
 * only (`.ews-label`): the whole text stays in the DOM, so it is in the buttons' names and in the `title` on hover.
 * The `data-action` values are bound to `ACTIONS` of `dom-contract.ts`, as the client reads them: in the string
 * renderer a binding costs one escape test and one concatenation, three per row are within the noise of a 50-row
 * window (an earlier note put them at 50 %; interleaved runs in one process do not show it, see docs/benchmark.md).
 */
export function rowView({ item, active, index, selected, columns, urls, csrfToken, now }: RowViewData) {
  const { updatedAt, createdAt } = item;
  return html`<tr class="ews-row" data-session-id=${item.sessionId} data-session-label=${item.displayLabel} aria-rowindex=${index + 2} aria-selected=${selected ? "true" : "false"} aria-current=${active ? "true" : "false"}>
<th scope="row" class="ews-label font-medium"><div class="flex items-center gap-2 min-w-0"><span class="truncate" title=${item.displayLabel}>${item.displayLabel}</span>${active ? html`<span class="badge badge-primary badge-sm shrink-0">Active</span>` : ""}</div></th>
<td class="hidden whitespace-nowrap sm:table-cell">${item.stepTitle ?? html`<span class="opacity-50">—</span>`}</td>
${columns.map((column) =>
  column.className
    ? html`<td class=${`hidden md:table-cell ${column.className}`} data-field=${column.field}>${item.fields[column.field]}</td>`
    : html`<td class="hidden md:table-cell" data-field=${column.field}>${item.fields[column.field]}</td>`,
)}
<td class="hidden whitespace-nowrap sm:table-cell"><time datetime=${updatedAt ? updatedAt.toISOString() : ""} title=${formatAbsoluteTime(updatedAt)}>${formatRelativeTime(updatedAt, now)}</time></td>
<td class="hidden whitespace-nowrap lg:table-cell"><time datetime=${createdAt ? createdAt.toISOString() : ""} title=${formatAbsoluteTime(createdAt)}>${formatRelativeTime(createdAt, now)}</time></td>
<td class="hidden whitespace-nowrap tabular-nums md:table-cell">${formatBytes(item.stateSizeBytes)}</td>
<td class="whitespace-nowrap"><div class="flex justify-end gap-1">
<form method="post" action=${urls.resume} hx-disabled-elt="find button" class="inline">${csrfFieldView(csrfToken)}<button type="submit" name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm" data-action=${ACTIONS.resume} aria-label=${`Resume ${item.displayLabel}`} title="Resume"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-play"></use></svg><span class="hidden md:inline">Resume</span></button></form>
<a href=${withListState(urls.page, urls.state, { rename: item.sessionId })} hx-boost="false" class="btn btn-ghost btn-sm" data-action=${ACTIONS.rename} aria-label=${`Rename ${item.displayLabel}`} title="Rename"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-pencil"></use></svg></a>
<a href=${withListState(urls.page, urls.state, { delete: item.sessionId })} hx-boost="false" class="btn btn-ghost btn-sm ews-danger" data-action=${ACTIONS.delete} aria-label=${`Delete ${item.displayLabel}`} title="Delete"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-trash"></use></svg></a>
</div></td>
</tr>`;
}
