// The rename and delete dialogs. Rename, Delete and Cancel are links so that they work without JavaScript; with
// it, they open and close the dialogs in place. Labels only travel through .value and .textContent.
import { ACTIONS, ATTRS, IDS, ROLES } from "../views/dom-contract.js";
import { byAction, byRole, elementOf, rowOf, rowWithId } from "./dom.js";
import type { ListWindow } from "./list-window.js";
import type { Selection, SelectionTarget } from "./selection.js";

/** What the keyboard may ask of the dialogs. */
export interface Dialogs {
  /** Opens the rename dialog for a row; nothing without a row. */
  rename(row: HTMLElement | null): void;
  /** Opens the delete confirmation for a row; nothing without a row. */
  delete(row: HTMLElement | null): void;
  /** Opens the confirmation of a bulk action (a `data-action=bulk` button) for the selection; nothing without one. */
  bulk(button: HTMLElement): void;
}

const number = (n: number) => n.toLocaleString("en-US");

/** The bulk form of the delete confirmation, while it is open for a selection: what to undo when it closes. */
interface BulkMode {
  path: string;
  action: string;
  title: { element: HTMLElement; nodes: Node[] } | null;
  text: { element: HTMLElement; nodes: Node[] } | null;
  submit: { element: HTMLElement; nodes: Node[] } | null;
  added: HTMLInputElement[];
  disabled: HTMLInputElement[];
}

function hidden(name: string, value: string): HTMLInputElement {
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = name;
  input.value = value;
  return input;
}

function saved(element: HTMLElement | null) {
  return element ? { element, nodes: Array.from(element.childNodes) } : null;
}

/** The confirmation's title for a selection: it names a single session, or gives the count. Text only. */
export function confirmationTitle(button: HTMLElement, target: SelectionTarget): string {
  const many = button.getAttribute(ATTRS.confirmMany) ?? `${button.textContent?.trim() || "Delete"} {count} sessions?`;
  if (target.kind === "ids" && target.ids.length === 1) {
    const one = button.getAttribute(ATTRS.confirmOne) ?? `${button.textContent?.trim() || "Delete"} “{label}”?`;
    return one.split("{label}").join(target.labels[0] ?? "");
  }
  const count = target.kind === "ids" ? number(target.ids.length) : `${number(target.count)}${target.capped ? "+" : ""}`;
  return many.split("{count}").join(count);
}

function focusLabel(dialog: HTMLDialogElement): void {
  const label = dialog.querySelector<HTMLInputElement>("input[name=label]");
  if (!label) return;
  label.focus();
  label.select();
}

/** Starts the dialogs; what opened the last one lives in this closure. */
export function initDialogs(listWindow: ListWindow, selection: Selection): Dialogs {
  let lastTrigger: Element | null = null;
  let lastSessionId: string | null = null;
  let bulkMode: BulkMode | null = null;

  // The delete confirmation, turned into the confirmation of a bulk action: the selection goes in as hidden fields
  // (the ids, or all_matching=1 with the query), the request to the button's formaction, the texts as text.
  function openBulk(button: HTMLElement): void {
    const dialog = document.getElementById(IDS.deleteDialog);
    const target = selection.target();
    const form = dialog?.querySelector<HTMLFormElement>("form[method=post]");
    if (!(dialog instanceof HTMLDialogElement) || !target || !form) return;
    leaveBulk();
    lastTrigger = button;
    lastSessionId = null;
    byRole(ROLES.dialogError, dialog)?.replaceChildren();
    const titleElement = byRole(ROLES.deleteTitle, dialog) ?? dialog.querySelector<HTMLElement>("h2");
    const textElement = byRole(ROLES.deleteText, dialog) ?? dialog.querySelector<HTMLElement>("p");
    const submitElement = form.querySelector<HTMLElement>("button[type=submit]");
    const mode: BulkMode = {
      path: button.getAttribute("formaction") ?? form.getAttribute("hx-post") ?? form.action,
      action: form.getAttribute("action") ?? "",
      title: saved(titleElement),
      text: saved(textElement),
      submit: saved(submitElement),
      added: [],
      disabled: [],
    };
    bulkMode = mode;
    form.setAttribute("action", mode.path);
    for (const field of Array.from(form.querySelectorAll<HTMLInputElement>("input[name=session_id], input[name=all_matching], input[name=q]"))) {
      if (field.disabled) continue;
      field.disabled = true;
      mode.disabled.push(field);
    }
    const fields = target.kind === "ids"
      ? target.ids.map((id) => hidden("session_id", id))
      : [hidden("all_matching", "1"), hidden("q", target.query)];
    mode.added = fields;
    form.prepend(...fields);
    if (titleElement) titleElement.textContent = confirmationTitle(button, target);
    if (textElement) {
      const text = button.getAttribute(ATTRS.confirmText);
      if (text !== null) textElement.textContent = text;
      else textElement.hidden = true;
    }
    if (submitElement) submitElement.textContent = button.getAttribute(ATTRS.confirmButton) ?? button.textContent?.trim() ?? "Delete";
    dialog.showModal();
    submitElement?.focus();
  }

  function leaveBulk(): void {
    const mode = bulkMode;
    if (!mode) return;
    bulkMode = null;
    mode.added.forEach((field) => field.remove());
    mode.disabled.forEach((field) => {
      field.disabled = false;
    });
    for (const part of [mode.title, mode.text, mode.submit]) {
      if (!part) continue;
      part.element.replaceChildren(...part.nodes);
      part.element.hidden = false;
    }
    const form = document.getElementById(IDS.deleteDialog)?.querySelector("form[method=post]");
    if (form && mode.action) form.setAttribute("action", mode.action);
  }

  function open(id: string, row: HTMLElement | null): void {
    const dialog = document.getElementById(id);
    if (!(dialog instanceof HTMLDialogElement) || !row) return;
    leaveBulk();
    const sessionId = row.dataset.sessionId ?? "";
    const label = row.dataset.sessionLabel ?? "";
    lastTrigger = document.activeElement;
    lastSessionId = sessionId;
    byRole(ROLES.dialogError, dialog)?.replaceChildren();
    const form = dialog.querySelector("form[method=post]");
    const idField = form?.querySelector<HTMLInputElement>("input[name=session_id]");
    if (idField) idField.value = sessionId;
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
    if (!button || (action !== ACTIONS.rename && action !== ACTIONS.delete && action !== ACTIONS.closeDialog && action !== ACTIONS.bulk)) return;
    event.preventDefault();
    if (action === ACTIONS.bulk) openBulk(button);
    else if (action === ACTIONS.rename) open(IDS.renameDialog, rowOf(button));
    else if (action === ACTIONS.delete) open(IDS.deleteDialog, rowOf(button));
    else button.closest("dialog")?.close();
  });
  document.addEventListener("close", (event) => {
    if (!elementOf(event.target)?.matches("dialog.modal")) return;
    leaveBulk();
    restoreFocus();
  }, true);
  // The bulk form of the confirmation posts to the bulk action's route (htmx read hx-post once, when it processed it).
  document.addEventListener("htmx:configRequest", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    if (bulkMode && detail.elt.closest(`#${IDS.deleteDialog}`)) detail.path = bulkMode.path;
  });
  // A request from a dialog that succeeded closes it.
  document.addEventListener("htmx:afterRequest", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    const dialog = detail.elt.closest("dialog");
    const status = detail.xhr ? detail.xhr.status : 0;
    if (!dialog || status < 200 || status >= 400) return;
    // What was selected has been acted on (a deleted row cannot stay selected).
    if (dialog.id === IDS.deleteDialog) selection.clear();
    dialog.close();
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
    bulk: openBulk,
  };
}
