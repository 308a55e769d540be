import { html } from "@lit-labs/ssr";
import { csrfFieldView } from "./csrf-field.js";
import { withListState } from "../lib/list-state.js";
import type { DeleteDialogViewData } from "./view-data.js";
import { ACTIONS, IDS, ROLES, SELECTORS } from "./dom-contract.js";

/**
 * The delete confirmation, which names the session and says whether it goes to the trash or is deleted for good. The client script puts the label into it as text; without
 * JavaScript the server renders it open for `session`, and Cancel is a link back to the page.
 */
export function deleteDialogView({ urls, csrfToken, session, trashKeepDays = 30 }: DeleteDialogViewData) {
  return html`<dialog id=${IDS.deleteDialog} class="modal" role="alertdialog" aria-labelledby="ews-delete-title" aria-describedby="ews-delete-description" ?open=${session !== undefined}>
    <div class="modal-box">
      <h2 id="ews-delete-title" class="text-lg font-semibold">Delete session?</h2>
      <p id="ews-delete-description" class="mt-2">
        ${trashKeepDays === false
          ? html`“<strong data-role=${ROLES.deleteName} class="break-all">${session?.label ?? ""}</strong>” and all its progress will be deleted permanently. This cannot be undone.`
          : html`“<strong data-role=${ROLES.deleteName} class="break-all">${session?.label ?? ""}</strong>” will be moved to the trash, where it is kept for ${trashKeepDays} ${trashKeepDays === 1 ? "day" : "days"}.`}
      </p>
      <form method="post" action=${withListState(urls.delete, urls.state)} hx-post=${urls.delete} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-disabled-elt="find button">
        <input type="hidden" name="session_id" value=${session?.sessionId ?? ""} />${csrfFieldView(csrfToken)}
        <div data-role=${ROLES.dialogError} aria-live="assertive"></div>
        <div class="modal-action">
          <a href=${withListState(urls.page, urls.state)} class="btn btn-ghost" data-action=${ACTIONS.closeDialog}>Cancel</a>
          <button type="submit" class="btn btn-error">Delete</button>
        </div>
      </form>
    </div>
    <form method="dialog" class="modal-backdrop"><button tabindex="-1">Close</button></form>
  </dialog>`;
}
