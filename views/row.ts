import { html } from "@lit-labs/ssr";
import { formatAbsoluteTime, formatBytes, formatRelativeTime } from "../lib/format.js";
import { csrfFieldView } from "./csrf-field.js";
import { icons } from "./icons.js";
import type { RowViewData } from "./view-data.js";

/** One session row: label with the Active badge, step, host columns, updated time, size and the actions. */
export function rowView({ item, active, columns, urls, csrfToken, now }: RowViewData) {
  const updated = item.updatedAt;
  return html`<tr
    class=${active ? "ews-row bg-primary/5" : "ews-row"}
    data-session-id=${item.sessionId}
    data-session-label=${item.displayLabel}
    aria-current=${active ? "true" : "false"}
  >
    <th scope="row" class="max-w-xs font-medium">
      <div class="flex items-center gap-2 min-w-0">
        <span class="truncate" title=${item.displayLabel}>${item.displayLabel}</span>
        ${active ? html`<span class="badge badge-primary badge-sm shrink-0">Active</span>` : ""}
      </div>
    </th>
    <td>${item.stepTitle ?? html`<span class="opacity-50">—</span>`}</td>
    ${columns.map((column) => html`<td class=${column.className ?? ""} data-field=${column.field}>${item.fields[column.field]}</td>`)}
    <td class="whitespace-nowrap">
      <time datetime=${updated ? updated.toISOString() : ""} title=${formatAbsoluteTime(updated)}>${formatRelativeTime(updated, now)}</time>
    </td>
    <td class="whitespace-nowrap tabular-nums">${formatBytes(item.stateSizeBytes)}</td>
    <td>
      <div class="flex justify-end gap-1">
        <form method="post" action=${urls.resume} hx-post=${urls.resume} hx-disabled-elt="find button" class="inline">
          <input type="hidden" name="session_id" value=${item.sessionId} />${csrfFieldView(csrfToken)}
          <button type="submit" class="btn btn-ghost btn-sm" data-action="resume" aria-label=${`Resume ${item.displayLabel}`} title="Resume">
            ${icons.play()}<span class="hidden md:inline">Resume</span>
          </button>
        </form>
        <button type="button" class="btn btn-ghost btn-sm" data-action="rename" aria-label=${`Rename ${item.displayLabel}`} title="Rename">
          ${icons.pencil()}
        </button>
        <button type="button" class="btn btn-ghost btn-sm text-error" data-action="delete" aria-label=${`Delete ${item.displayLabel}`} title="Delete">
          ${icons.trash()}
        </button>
      </div>
    </td>
  </tr>`;
}
