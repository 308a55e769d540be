import { html } from "@lit-labs/ssr";
import { withListState } from "../lib/list-state.js";
import { csrfFieldView } from "./csrf-field.js";
import { formatAbsoluteTime, formatRelativeTime } from "./format.js";
import { bulkUrlsOf } from "./manager-urls.js";
import type { TrashRowViewData } from "./view-data.js";

/**
 * One row of the trash: its checkbox (in the bulk form, named "Select <label>"), label, step, when it was deleted,
 * when it will be purged, and Restore (a form posting `restore`) and Delete forever (a form asking `confirm` for
 * the purge, so it is confirmed by name). Carries `data-session-id`, `data-session-label` and `aria-rowindex`, as
 * the list's rows do.
 */
export function trashRowView({ item, index, urls, csrfToken, now }: TrashRowViewData) {
  const bulk = bulkUrlsOf(urls);
  const label = item.displayLabel;
  return html`<tr class="ews-row" data-session-id=${item.sessionId} data-session-label=${label} aria-rowindex=${index + 2} aria-selected="false">
<td class="w-0 ps-3 pe-0"><input type="checkbox" class="checkbox checkbox-sm" name="session_id" value=${item.sessionId} form="ews-bulk-form" data-role="select-row" aria-label=${`Select ${label}`} /></td>
<th scope="row" class="ews-label ps-2 font-medium"><span class="truncate" title=${label}>${label}</span></th>
<td class="hidden whitespace-nowrap sm:table-cell">${item.stepTitle ?? html`<span class="opacity-50">—</span>`}</td>
<td class="whitespace-nowrap"><time datetime=${item.deletedAt ? item.deletedAt.toISOString() : ""} title=${formatAbsoluteTime(item.deletedAt)}>${formatRelativeTime(item.deletedAt, now)}</time></td>
<td class="hidden whitespace-nowrap md:table-cell"><time datetime=${item.purgeAt ? item.purgeAt.toISOString() : ""}>${formatAbsoluteTime(item.purgeAt)}</time></td>
<td class="whitespace-nowrap">${urls.readonly ? "" : html`<div class="flex justify-end gap-1">
<form method="post" action=${withListState(bulk.restore, urls.state)} class="inline">${csrfFieldView(csrfToken)}<input type="hidden" name="view" value="trash" /><button type="submit" name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm" data-action="restore" aria-label=${`Restore ${label}`}>Restore</button></form>
<form method="post" action=${withListState(bulk.confirm, urls.state)} class="inline">${csrfFieldView(csrfToken)}<input type="hidden" name="view" value="trash" /><input type="hidden" name="intent" value="purge" /><button type="submit" name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm ews-danger" data-action="purge" aria-label=${`Delete ${label} forever`}>Delete forever</button></form>
</div>`}</td>
</tr>`;
}
