import { html } from "@lit-labs/ssr";
import { MAX_LABEL_LENGTH } from "../lib/session-types.js";
import { csrfFieldView } from "./csrf-field.js";
import { withListState } from "../lib/list-state.js";
import type { RenameDialogViewData } from "./view-data.js";

// The text input takes a little more than a tag's 40 characters, since the server trims and folds white space.
const MAX_TAG_INPUT = 60;
import { ACTIONS, IDS, ROLES, SELECTORS } from "./dom-contract.js";

/**
 * The rename dialog. The client script fills in the session id and current label (as values, never as HTML); without
 * JavaScript the server renders it open for `session`, and Cancel is a link back to the page. Below the label, the
 * session's tags (`data-role="tag-editor"`): the form sends `edit_tags=1` and the whole new set as `tag` fields, so
 * the rename sets them too. The client shows them as chips, each with a remove button named "Remove tag <tag>", and
 * the text input adds one on Enter or a comma, completed from the caller's tags (`<datalist>`); without JavaScript
 * each tag is a checked checkbox (uncheck to remove) and the text input adds one. The form is `data-sets-tags`, so
 * the client puts the list's tag filter in its URL rather than among its `tag` fields.
 */
export function renameDialogView({ urls, csrfToken, session, tagOptions = [] }: RenameDialogViewData) {
  return html`<dialog id=${IDS.renameDialog} class="modal" aria-labelledby="ews-rename-title" ?open=${session !== undefined}>
    <div class="modal-box">
      <h2 id="ews-rename-title" class="text-lg font-semibold">Rename session</h2>
      <form method="post" action=${withListState(urls.rename, urls.state)} hx-post=${urls.rename} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-disabled-elt="find button" class="mt-4 flex flex-col gap-4" data-sets-tags>
        <input type="hidden" name="session_id" value=${session?.sessionId ?? ""} /><input type="hidden" name="version" value=${session?.version ?? ""} />${csrfFieldView(csrfToken)}
        <div data-role=${ROLES.dialogError} aria-live="assertive"></div>
        <label class="floating-label">
          <span>Label</span>
          <input type="text" name="label" class="input w-full" maxlength=${MAX_LABEL_LENGTH} autocomplete="off" placeholder="Label" value=${session?.label ?? ""} />
        </label>
        <p class="text-sm text-base-content/80">Leave it empty to use the generated label.</p>
        <fieldset class="flex flex-col gap-2" data-role="tag-editor">
          <legend class="text-sm font-medium">Tags</legend>
          <input type="hidden" name="edit_tags" value="1" />
          <ul class="flex flex-wrap gap-1" data-role="tag-chips">${(session?.tags ?? []).map(
            (tag) => html`<li class="badge badge-outline gap-1" data-chip=${tag}><label class="flex items-center gap-1"><input type="checkbox" name="tag" value=${tag} checked class="checkbox checkbox-xs" /><span>${tag}</span></label></li>`,
          )}</ul>
          <label class="input input-sm w-full">
            <span class="sr-only">Add a tag</span>
            <input type="text" name="tag" data-role="tag-input" list="ews-tag-options" maxlength=${MAX_TAG_INPUT} autocomplete="off" placeholder="Add a tag" aria-describedby="ews-tag-hint" />
          </label>
          <datalist id="ews-tag-options">${tagOptions.map((tag) => html`<option value=${tag}></option>`)}</datalist>
          <p id="ews-tag-hint" class="text-xs text-base-content/80">Enter or a comma adds the tag; at most 20, of up to 40 characters.</p>
        </fieldset>
        <div class="modal-action mt-0">
          <a href=${withListState(urls.page, urls.state)} class="btn btn-ghost" data-action=${ACTIONS.closeDialog}>Cancel</a>
          <button type="submit" class="btn btn-primary">Save</button>
        </div>
      </form>
    </div>
    <form method="dialog" class="modal-backdrop"><button tabindex="-1">Close</button></form>
  </dialog>`;
}
