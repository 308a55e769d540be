import { html } from "@lit-labs/ssr";
import { formatAbsoluteTime, formatBytes, formatRelativeTime } from "../lib/format.js";
import { icons } from "./icons.js";
import type { RowViewData } from "./view-data.js";

const timeCell = (date: Date | null, now: Date) =>
  html`<td class="whitespace-nowrap">
    <time datetime=${date ? date.toISOString() : ""} title=${formatAbsoluteTime(date)}>${formatRelativeTime(date, now)}</time>
  </td>`;

/**
 * One session row: label with the Active badge, step, host columns, updated and created times, size and the
 * actions. `aria-selected` marks the keyboard cursor; `data-index` is the row's place in the whole list.
 */
export function rowView({ item, active, index, selected, columns, urls, now }: RowViewData) {
  return html`<tr
    class=${active ? "ews-row bg-primary/5" : "ews-row"}
    id=${`ews-row-${item.sessionId}`}
    data-session-id=${item.sessionId}
    data-session-label=${item.displayLabel}
    data-index=${index}
    aria-rowindex=${index + 2}
    aria-selected=${selected ? "true" : "false"}
    aria-current=${active ? "true" : "false"}
  >
    <th scope="row" class="max-w-xs font-medium">
      <div class="flex items-center gap-2 min-w-0">
        <span class="truncate" title=${item.displayLabel}>${item.displayLabel}</span>
        ${active ? html`<span class="badge badge-primary badge-sm shrink-0">Active</span>` : ""}
      </div>
    </th>
    <td class="whitespace-nowrap">${item.stepTitle ?? html`<span class="opacity-50">—</span>`}</td>
    ${columns.map((column) => html`<td class=${column.className ?? ""} data-field=${column.field}>${item.fields[column.field]}</td>`)}
    ${timeCell(item.updatedAt, now)} ${timeCell(item.createdAt, now)}
    <td class="whitespace-nowrap tabular-nums">${formatBytes(item.stateSizeBytes)}</td>
    <td>
      <div class="flex justify-end gap-1">
        <form method="post" action=${urls.resume} hx-post=${urls.resume} hx-disabled-elt="find button" class="inline">
          <input type="hidden" name="session_id" value=${item.sessionId} />
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
