import { html } from "@lit-labs/ssr";
import { nothing } from "lit-html";
import { csrfFieldView } from "./csrf-field.js";
import type { BulkDialogViewData, ManagerUrls } from "./view-data.js";

/**
 * The confirmation of an action on one session or many (`#ews-bulk-dialog`, `role="alertdialog"`): the question
 * names the session or gives the count (`data-role="bulk-question"`), and its form posts exactly what was chosen:
 * one hidden `session_id` per session, or `all_matching=1` with `q`, or `all=1`. Without JavaScript the server
 * renders it open (after `POST {prefix}/confirm`) and Cancel is a link back; the client may fill and open the
 * closed one instead.
 */
export function bulkDialogView(data: BulkDialogViewData) {
  const [first, ...others] = data.choices;
  return html`<dialog id="ews-bulk-dialog" class="modal" role="alertdialog" aria-labelledby="ews-bulk-question" aria-describedby="ews-bulk-detail" ?open=${data.open}>
    <div class="modal-box">
      <h2 id="ews-bulk-question" class="text-lg font-semibold break-words" data-role="bulk-question">${data.question}</h2>
      <p id="ews-bulk-detail" class="mt-2" data-role="bulk-detail">${data.detail}</p>
      <form id="ews-bulk-dialog-form" method="post" action=${first?.url ?? nothing} hx-disabled-elt="find button">
        ${csrfFieldView(data.csrfToken)}<input type="hidden" name="view" value=${data.view} />
        ${data.sessionIds.map((id) => html`<input type="hidden" name="session_id" value=${id} />`)}
        ${data.allMatching ? html`<input type="hidden" name="all_matching" value="1" /><input type="hidden" name="q" value=${data.search} />` : nothing}
        ${data.all ? html`<input type="hidden" name="all" value="1" />` : nothing}
        <div data-role="dialog-error" aria-live="assertive"></div>
        <div class="modal-action">
          <a href=${data.cancelUrl} class="btn btn-ghost" data-action="close-dialog">Cancel</a>
          ${others.map((choice) => html`<button type="submit" formaction=${choice.url} class=${choice.danger ? "btn btn-error" : "btn"}>${choice.label}</button>`)}
          ${first ? html`<button type="submit" class=${first.danger ? "btn btn-error" : "btn btn-primary"}>${first.label}</button>` : nothing}
        </div>
      </form>
    </div>
    <form method="dialog" class="modal-backdrop"><button tabindex="-1">Close</button></form>
  </dialog>`;
}

/** The closed, empty confirmation a page carries for the client to fill (a delete from the list by default). */
export function closedBulkDialog(data: { urls: ManagerUrls; csrfToken: string; trashKeepDays?: number | false | undefined }): BulkDialogViewData {
  const permanent = data.trashKeepDays === false;
  return {
    question: "",
    detail: "",
    choices: [{ label: permanent ? "Delete permanently" : "Move to trash", url: data.urls.delete, danger: true }],
    sessionIds: [],
    allMatching: false,
    all: false,
    search: "",
    view: "sessions",
    cancelUrl: data.urls.page,
    csrfToken: data.csrfToken,
    open: false,
  };
}

