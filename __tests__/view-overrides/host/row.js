// A host's row: the label in a card-like cell, and its own marker class.
import { html } from "@lit-labs/ssr";

/** @param {import("../../../lib/index.js").RowViewData} data */
export default function row({ item, active, urls, csrfToken }) {
  return html`<tr class="host-row" data-session-id=${item.sessionId} data-session-label=${item.displayLabel}>
    <td colspan="99"><strong class="host-label">${item.displayLabel}</strong>${active ? html` <em>(current)</em>` : ""}
      <form method="post" action=${urls.resume}><input type="hidden" name="_csrf" value=${csrfToken} /><button name="session_id" value=${item.sessionId}>Open</button></form>
    </td>
  </tr>`;
}
