import { html } from "@lit-labs/ssr";
import { MAX_LABEL_LENGTH } from "../lib/session-types.js";
import { csrfFieldView } from "./csrf-field.js";
import { withListState } from "../lib/list-state.js";
import type { RenameDialogViewData } from "./view-data.js";
import { ACTIONS, IDS, ROLES, SELECTORS } from "./dom-contract.js";

/**
 * The rename dialog. The client script fills in the session id and current label (as values, never as HTML); without
 * JavaScript the server renders it open for `session`, and Cancel is a link back to the page.
 */
export function renameDialogView({ urls, csrfToken, session }: RenameDialogViewData) {
  return html`<dialog id=${IDS.renameDialog} class="modal" aria-labelledby="ews-rename-title" ?open=${session !== undefined}>
    <div class="modal-box">
      <h2 id="ews-rename-title" class="text-lg font-semibold">Rename session</h2>
      <form method="post" action=${withListState(urls.rename, urls.state)} hx-post=${urls.rename} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-disabled-elt="find button" class="mt-4 flex flex-col gap-4">
        <input type="hidden" name="session_id" value=${session?.sessionId ?? ""} /><input type="hidden" name="version" value=${session?.version ?? ""} />${csrfFieldView(csrfToken)}
        <div data-role=${ROLES.dialogError} aria-live="assertive"></div>
        <label class="floating-label">
          <span>Label</span>
          <input type="text" name="label" class="input w-full" maxlength=${MAX_LABEL_LENGTH} autocomplete="off" placeholder="Label" value=${session?.label ?? ""} />
        </label>
        <p class="text-sm text-base-content/80">Leave it empty to use the generated label.</p>
        <div class="modal-action mt-0">
          <a href=${withListState(urls.page, urls.state)} class="btn btn-ghost" data-action=${ACTIONS.closeDialog}>Cancel</a>
          <button type="submit" class="btn btn-primary">Save</button>
        </div>
      </form>
    </div>
    <form method="dialog" class="modal-backdrop"><button tabindex="-1">Close</button></form>
  </dialog>`;
}
