// session-views/row.js: every column of the built-in row (the selection checkbox, label, step, your columns, updated, created, size and
// the actions), in your own markup. It keeps what the client needs: the row's data-session-id, data-session-label
// and aria-rowindex, and the Resume, Rename and Delete controls marked with data-action.
import { html } from "@lit-labs/ssr";
import { withListState } from "express-workflow-sessions";

const time = (date) => (date ? html`<time datetime=${date.toISOString()}>${date.toLocaleDateString("en-GB")}</time>` : "—");

/** @param {import("express-workflow-sessions").RowViewData} data */
export default function row({ item, active, index, selected, columns, urls, csrfToken }) {
  return html`<tr class="ews-row" data-session-id=${item.sessionId} data-session-label=${item.displayLabel}
      aria-rowindex=${index + 2} aria-selected=${selected ? "true" : "false"} aria-current=${active ? "true" : "false"}>
    <td><input type="checkbox" name="session_id" value=${item.sessionId} form="ews-bulk-form" data-role="select-row" aria-label=${`Select ${item.displayLabel}`} /></td>
    <th scope="row">${item.displayLabel}${active ? html` <span class="badge badge-primary badge-sm">Active</span>` : ""}</th>
    <td class="hidden sm:table-cell">${item.stepTitle ?? "—"}</td>
    ${columns.map((column) => html`<td class=${`hidden md:table-cell ${column.className ?? ""}`}>${item.fields[column.field]}</td>`)}
    <td class="hidden sm:table-cell">${time(item.updatedAt)}</td>
    <td class="hidden lg:table-cell">${time(item.createdAt)}</td>
    <td class="hidden md:table-cell">${Math.ceil(item.stateSizeBytes / 1024)} KB</td>
    <td><div class="flex justify-end gap-1">
      <form method="post" action=${urls.resume}>
        <input type="hidden" name="_csrf" value=${csrfToken} />
        <button class="btn btn-ghost btn-sm" name="session_id" value=${item.sessionId} data-action="resume">Resume</button>
      </form>
      <a class="btn btn-ghost btn-sm" href=${withListState(urls.page, urls.state, { rename: item.sessionId })} hx-boost="false" data-action="rename">Rename</a>
      <a class="btn btn-ghost btn-sm" href=${withListState(urls.page, urls.state, { delete: item.sessionId })} hx-boost="false" data-action="delete">Delete</a>
    </div></td>
  </tr>`;
}
