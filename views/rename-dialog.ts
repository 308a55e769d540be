import { html } from "@lit-labs/ssr";
import { MAX_LABEL_LENGTH } from "../lib/options.js";
import { csrfFieldView } from "./csrf-field.js";
import type { ManagerUrls } from "./view-data.js";

/** What the rename dialog receives. */
export interface RenameDialogViewData {
  urls: ManagerUrls;
  csrfToken: string;
}

/** The rename dialog. The client script fills in the session id and current label (as values, never as HTML). */
export function renameDialogView({ urls, csrfToken }: RenameDialogViewData) {
  return html`<dialog id="ews-rename-dialog" class="modal" aria-labelledby="ews-rename-title">
    <div class="modal-box">
      <h2 id="ews-rename-title" class="text-lg font-semibold">Rename session</h2>
      <form method="post" action=${urls.rename} hx-post=${urls.rename} hx-target="#ews-list" hx-swap="outerHTML" hx-disabled-elt="find button" class="mt-4 flex flex-col gap-4">
        <input type="hidden" name="session_id" value="" />${csrfFieldView(csrfToken)}
        <div data-role="dialog-error" aria-live="assertive"></div>
        <label class="floating-label">
          <span>Label</span>
          <input type="text" name="label" class="input w-full" maxlength=${MAX_LABEL_LENGTH} autocomplete="off" placeholder="Label" />
        </label>
        <p class="text-sm text-base-content/80">Leave it empty to use the generated label.</p>
        <div class="modal-action mt-0">
          <button type="button" class="btn btn-ghost" data-action="close-dialog">Cancel</button>
          <button type="submit" class="btn btn-primary">Save</button>
        </div>
      </form>
    </div>
    <form method="dialog" class="modal-backdrop"><button tabindex="-1">Close</button></form>
  </dialog>`;
}
