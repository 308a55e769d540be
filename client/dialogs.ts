// The rename and delete dialogs. Rename, Delete and Cancel are links so that they work without JavaScript; with
// it, they open and close the dialogs in place. Labels only travel through .value and .textContent.
import { ACTIONS, ATTRS, IDS, ROLES } from "../views/dom-contract.js";
import { byAction, byRole, elementOf, rowOf, rowWithId } from "./dom.js";
import type { ListWindow } from "./list-window.js";

/** What the keyboard may ask of the dialogs. */
export interface Dialogs {
  /** Opens the rename dialog for a row; nothing without a row. */
  rename(row: HTMLElement | null): void;
  /** Opens the delete confirmation for a row; nothing without a row. */
  delete(row: HTMLElement | null): void;
}

function focusLabel(dialog: HTMLDialogElement): void {
  const label = dialog.querySelector<HTMLInputElement>("input[name=label]");
  if (!label) return;
  label.focus();
  label.select();
}

/** Starts the dialogs; what opened the last one lives in this closure. */
export function initDialogs(listWindow: ListWindow): Dialogs {
  let lastTrigger: Element | null = null;
  let lastSessionId: string | null = null;

  function open(id: string, row: HTMLElement | null): void {
    const dialog = document.getElementById(id);
    if (!(dialog instanceof HTMLDialogElement) || !row) return;
    const sessionId = row.dataset.sessionId ?? "";
    const label = row.dataset.sessionLabel ?? "";
    lastTrigger = document.activeElement;
    lastSessionId = sessionId;
    byRole(ROLES.dialogError, dialog)?.replaceChildren();
    const form = dialog.querySelector("form[method=post]");
    const idField = form?.querySelector<HTMLInputElement>("input[name=session_id]");
    if (idField) idField.value = sessionId;
    // The version the row was rendered with: a session changed since answers 409 instead of being overwritten.
    const versionField = form?.querySelector<HTMLInputElement>("input[name=version]");
    if (versionField) versionField.value = row.dataset.sessionVersion ?? "";
    const labelField = form?.querySelector<HTMLInputElement>("input[name=label]");
    if (labelField) labelField.value = label;
    const name = byRole(ROLES.deleteName, dialog);
    if (name) name.textContent = label;
    if (id === IDS.renameDialog) listWindow.followSession(sessionId);
    dialog.showModal();
    focusLabel(dialog);
  }

  // After a dialog closes, focus goes back to the button that opened it, or to the same button in the refreshed row.
  function restoreFocus(): void {
    // A successful rename has moved the cursor by now (htmx swaps before it fires afterRequest, which closes the
    // dialog); a cancelled one must not move it on some later swap.
    listWindow.followSession(null);
    const trigger = lastTrigger;
    if (!trigger) return;
    if (document.contains(trigger) && trigger !== document.body && trigger instanceof HTMLElement) {
      trigger.focus();
      return;
    }
    // Opened from the keyboard: leave no focus behind in the closed dialog, so the shortcuts work again.
    const focused = document.activeElement;
    if (focused instanceof HTMLElement && focused.closest("dialog:not([open])")) focused.blur();
    const row = lastSessionId ? rowWithId(lastSessionId) : null;
    const action = trigger instanceof HTMLElement ? trigger.dataset.action : undefined;
    const target = row && ((action ? byAction(action, row) : null) ?? row.querySelector("button"));
    if (target) target.focus();
  }

  document.addEventListener("click", (event) => {
    const button = elementOf(event.target)?.closest<HTMLElement>(`[${ATTRS.action}]`);
    const action = button?.dataset.action;
    if (!button || (action !== ACTIONS.rename && action !== ACTIONS.delete && action !== ACTIONS.closeDialog)) return;
    event.preventDefault();
    if (action === ACTIONS.rename) open(IDS.renameDialog, rowOf(button));
    else if (action === ACTIONS.delete) open(IDS.deleteDialog, rowOf(button));
    else button.closest("dialog")?.close();
  });
  document.addEventListener("close", (event) => {
    if (elementOf(event.target)?.matches("dialog.modal")) restoreFocus();
  }, true);
  // A request from a dialog that succeeded closes it.
  document.addEventListener("htmx:afterRequest", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    const dialog = detail.elt.closest("dialog");
    const status = detail.xhr ? detail.xhr.status : 0;
    if (dialog && status >= 200 && status < 400) dialog.close();
  });

  // A dialog the server rendered open (the page was asked for with ?rename= or ?delete=) becomes a real modal.
  document.querySelectorAll<HTMLDialogElement>("dialog.modal[open]").forEach((dialog) => {
    dialog.close();
    lastTrigger = null;
    lastSessionId = dialog.querySelector<HTMLInputElement>("input[name=session_id]")?.value ?? null;
    dialog.showModal();
    focusLabel(dialog);
    const url = new URL(location.href);
    url.searchParams.delete("rename");
    url.searchParams.delete("delete");
    history.replaceState(null, "", url.pathname + url.search);
  });

  return {
    rename: (row) => open(IDS.renameDialog, row),
    delete: (row) => open(IDS.deleteDialog, row),
  };
}
