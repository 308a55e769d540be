import { html } from "@lit-labs/ssr";
import { nothing } from "lit-html";
import { withListState } from "../lib/list-state.js";
import { csrfFieldView } from "./csrf-field.js";
import { ACTIONS, IDS, ROLES, SELECTORS } from "./dom-contract.js";
import { tagUrlsOf } from "./manager-urls.js";
import type { TagDialogViewData } from "./view-data.js";

// As the rename dialog's tag input: a little more than a tag's 40 characters, since the server trims and folds spaces.
const MAX_TAG_INPUT = 60;

/**
 * The dialog of the bulk bar's "Tag…" (`#ews-tag-dialog`): one text input, `name`, completed from the caller's tags,
 * and two submit buttons. Add tag (the form's own action, so Enter adds) posts to `POST {prefix}/tags/add`; Remove
 * tag, by its `formaction`, to `POST {prefix}/tags/remove`. What it acts on is hidden fields in
 * `data-role="tag-target"`: one `session_id` per session, or `all_matching=1` with `q`. Without JavaScript the server
 * renders it open (after `POST {prefix}/confirm` with `intent=tag`) and Cancel is a link back; the client fills and
 * opens the closed one.
 */
export function tagDialogView(data: TagDialogViewData) {
  const { addTag, removeTag } = tagUrlsOf(data.urls);
  const state = data.urls.state;
  return html`<dialog id=${IDS.tagDialog} class="modal" aria-labelledby="ews-tag-question" ?open=${data.open}>
    <div class="modal-box">
      <h2 id="ews-tag-question" class="text-lg font-semibold break-words" data-role=${ROLES.tagQuestion}>${data.question}</h2>
      <form method="post" action=${withListState(addTag, state)} hx-post=${addTag} hx-target=${SELECTORS.list} hx-swap="outerHTML" hx-disabled-elt="#ews-tag-dialog button" class="mt-4 flex flex-col gap-4">
        ${csrfFieldView(data.csrfToken)}
        <span data-role=${ROLES.tagTarget} hidden>${data.sessionIds.map((id) => html`<input type="hidden" name="session_id" value=${id} />`)}${data.allMatching
          ? html`<input type="hidden" name="all_matching" value="1" /><input type="hidden" name="q" value=${data.search} />`
          : nothing}</span>
        <div data-role=${ROLES.dialogError} aria-live="assertive"></div>
        <label class="floating-label">
          <span>Tag</span>
          <input type="text" name="name" class="input w-full" required maxlength=${MAX_TAG_INPUT} list="ews-tag-options" autocomplete="off" placeholder="Tag" />
        </label>
        <div class="modal-action mt-0">
          <a href=${withListState(data.urls.page, state)} class="btn btn-ghost" data-action=${ACTIONS.closeDialog}>Cancel</a>
          <button type="submit" class="btn btn-primary">Add tag</button>
          <button type="submit" class="btn" formaction=${withListState(removeTag, state)} hx-post=${removeTag} hx-validate="true">Remove tag</button>
        </div>
      </form>
    </div>
    <form method="dialog" class="modal-backdrop"><button tabindex="-1">Close</button></form>
  </dialog>`;
}

/** The closed, empty tag dialog a page carries for the client to fill. */
export function closedTagDialog(data: Pick<TagDialogViewData, "urls" | "csrfToken">): TagDialogViewData {
  return { urls: data.urls, csrfToken: data.csrfToken, question: "", sessionIds: [], allMatching: false, search: "", open: false };
}
