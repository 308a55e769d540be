// The rename and delete dialogs. Rename, Delete and Cancel are links so that they work without JavaScript; with
// it, they open and close the dialogs in place. Labels only travel through .value and .textContent.
import { ACTIONS, ATTRS, IDS, ROLES } from "../views/dom-contract.js";
import { byAction, byRole, elementOf, list, rowOf, rowWithId, selectedRow } from "./dom.js";
import type { ListWindow } from "./list-window.js";
import type { Selection, SelectionTarget } from "./selection.js";
import { fillTags } from "./tag-editor.js";

/** What the keyboard may ask of the dialogs. */
export interface Dialogs {
  /** Opens the rename dialog for a row; nothing without a row. */
  rename(row: HTMLElement | null): void;
  /** Opens the delete confirmation for a row; nothing without a row. */
  delete(row: HTMLElement | null): void;
  /** Opens the confirmation of a bulk bar button (Delete, Restore, Delete forever) for the selection; nothing without one. */
  bulk(button: HTMLElement): void;
}

const number = (n: number) => n.toLocaleString("en-US");

/** The bulk actions: the `intent` each bulk bar button carries, and the route it posts to under the prefix. */
export type BulkIntent = "delete" | "restore" | "purge";

const INTENTS: Record<string, BulkIntent> = {
  [ACTIONS.bulkDelete]: "delete",
  [ACTIONS.bulkRestore]: "restore",
  [ACTIONS.bulkPurge]: "purge",
};

/** The bulk bar's buttons, in their order. */
export function bulkButtons(): HTMLElement[] {
  const selector = Object.keys(INTENTS).map((action) => `#${IDS.bulkBar} [${ATTRS.action}="${action}"]`).join(", ");
  return Array.from(document.querySelectorAll<HTMLElement>(selector));
}

/** The delete confirmation, while it is open for a selection: what to put back when it closes. */
interface BulkMode {
  path: string;
  action: string | null;
  parts: { element: HTMLElement; nodes: Node[]; hidden: boolean }[];
  added: HTMLInputElement[];
  disabled: HTMLInputElement[];
}

function hiddenField(name: string, value: string): HTMLInputElement {
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = name;
  input.value = value;
  return input;
}

/** What a confirmation asks, as text: the question, the line under it and its submit button. */
export interface Confirmation {
  question: string;
  detail: string;
  submit: string;
}

/**
 * The confirmation for a selection, in the server's words (`POST {prefix}/confirm` asks the same without
 * JavaScript): it names a single session, or gives the count ("Move 12,345 sessions to the trash?"). `permanent` is
 * true when delete skips the trash (`trash: false`). Labels stay text: the caller sets `textContent`.
 */
export function confirmationOf(intent: BulkIntent, target: SelectionTarget, permanent: boolean): Confirmation {
  const count = target.kind === "ids" ? target.ids.length : target.count;
  const one = target.kind === "ids" && count === 1;
  const what = one
    ? `“${target.labels[0] ?? ""}”`
    : `${number(count)}${target.kind === "all-matching" && target.capped ? "+" : ""} ${count === 1 ? "session" : "sessions"}`;
  const single = count === 1;
  if (intent === "restore") {
    return { question: `Restore ${what}?`, detail: `${single ? "It goes" : "They go"} back to the list as ${single ? "it was" : "they were"}.`, submit: "Restore" };
  }
  if (intent === "purge") return { question: `Delete ${what} forever?`, detail: "This cannot be undone.", submit: "Delete forever" };
  if (permanent) return { question: `Delete ${what} permanently?`, detail: "This cannot be undone.", submit: "Delete permanently" };
  return { question: `Move ${what} to the trash?`, detail: `You can restore ${single ? "it" : "them"} from the trash.`, submit: "Move to trash" };
}

// The route of a bulk action: the bulk form posts to `{prefix}/confirm` (the page without JavaScript), the actions
// live beside it (`{prefix}/delete`, `/restore`, `/purge`).
function routeOf(intent: BulkIntent): string | null {
  const form = document.getElementById(IDS.bulkForm);
  const action = form?.getAttribute("action");
  if (!action) return null;
  const url = new URL(action, location.href);
  url.pathname = url.pathname.replace(/\/[^/]*$/, `/${intent}`);
  url.search = "";
  return url.pathname;
}

function focusLabel(dialog: HTMLDialogElement): void {
  const label = dialog.querySelector<HTMLInputElement>("input[name=label], input[name=name]");
  if (!label) return;
  label.focus();
  label.select();
}

/** Starts the dialogs; what opened the last one lives in this closure. */
export function initDialogs(listWindow: ListWindow, selection: Selection): Dialogs {
  let lastTrigger: Element | null = null;
  let lastSessionId: string | null = null;
  let bulkMode: BulkMode | null = null;

  // The confirmation of a bulk action: the bulk dialog when the page has one, else the delete confirmation. The
  // selection goes in as hidden fields (the ids, or all_matching=1 with the query), the request to the intent's
  // route, the question as text; closing the dialog puts everything back.
  function openBulk(button: HTMLElement): void {
    const intent = INTENTS[button.dataset.action ?? ""];
    const dialog = document.getElementById(IDS.bulkDialog) ?? document.getElementById(IDS.deleteDialog);
    const target = selection.target();
    const form = dialog?.querySelector<HTMLFormElement>("form[method=post]");
    const path = intent && routeOf(intent);
    if (!(dialog instanceof HTMLDialogElement) || !intent || !target || !form || !path) return;
    leaveBulk();
    lastTrigger = button;
    lastSessionId = null;
    const permanent = intent === "delete" && !document.querySelector(`[${ATTRS.action}="${ACTIONS.openTrash}"]`);
    byRole(ROLES.dialogError, dialog)?.replaceChildren();
    const mode: BulkMode = { path, action: form.getAttribute("action"), parts: [], added: [], disabled: [] };
    bulkMode = mode;
    const rewrite = (element: HTMLElement | null, text: string | null) => {
      if (!element) return;
      mode.parts.push({ element, nodes: Array.from(element.childNodes), hidden: element.hidden });
      if (text === null) element.hidden = true;
      else element.textContent = text;
    };
    const asked = confirmationOf(intent, target, permanent);
    if (dialog.id === IDS.bulkDialog) {
      rewrite(byRole(ROLES.bulkQuestion, dialog), asked.question);
      rewrite(byRole(ROLES.bulkDetail, dialog), asked.detail);
    } else {
      rewrite(dialog.querySelector<HTMLElement>("h2"), asked.question);
      rewrite(dialog.querySelector<HTMLElement>("p"), asked.detail);
    }
    // One submit button, the last (the dialog's main choice), says what happens; any other choice steps aside.
    const submits = Array.from(form.querySelectorAll<HTMLElement>("button[type=submit], .modal-action button:not([type])"));
    const submit = submits.pop() ?? null;
    for (const other of submits) rewrite(other, null);
    rewrite(submit, asked.submit);
    form.setAttribute("action", path);
    for (const field of Array.from(form.querySelectorAll<HTMLInputElement>("input[name=session_id], input[name=all_matching], input[name=q], input[name=all], input[name=intent], input[name=view], input[name=batch]"))) {
      if (field.disabled) continue;
      field.disabled = true;
      mode.disabled.push(field);
    }
    // The answer is the list the selection was made in: the sessions, or the trash.
    const view = list()?.getAttribute(ATTRS.listKind) === "trash" ? "trash" : "sessions";
    mode.added = target.kind === "ids"
      ? target.ids.map((id) => hiddenField("session_id", id))
      : [hiddenField("all_matching", "1"), hiddenField("q", target.query)];
    mode.added.push(hiddenField("view", view));
    form.prepend(...mode.added);
    dialog.showModal();
    submit?.focus();
  }

  // The bulk bar's "Tag…": the tag dialog for the selection, its hidden fields what it acts on, its input empty.
  function openTagDialog(button: HTMLElement): void {
    const dialog = document.getElementById(IDS.tagDialog);
    const target = selection.target();
    const fields = dialog && byRole(ROLES.tagTarget, dialog);
    const input = dialog?.querySelector<HTMLInputElement>("input[name=name]");
    if (!(dialog instanceof HTMLDialogElement) || !target || !fields || !input) return;
    leaveBulk();
    lastTrigger = button;
    lastSessionId = null;
    byRole(ROLES.dialogError, dialog)?.replaceChildren();
    fields.replaceChildren(
      ...(target.kind === "ids" ? target.ids.map((id) => hiddenField("session_id", id)) : [hiddenField("all_matching", "1"), hiddenField("q", target.query)]),
    );
    const what =
      target.kind === "ids" && target.ids.length === 1
        ? `“${target.labels[0] ?? ""}”`
        : `${number(target.kind === "ids" ? target.ids.length : target.count)}${target.kind === "all-matching" && target.capped ? "+" : ""} ${target.kind === "all-matching" && target.count === 1 ? "session" : "sessions"}`;
    const question = byRole(ROLES.tagQuestion, dialog);
    if (question) question.textContent = `Add or remove a tag on ${what}`;
    input.value = "";
    dialog.showModal();
    input.focus();
  }

  function leaveBulk(): void {
    const mode = bulkMode;
    if (!mode) return;
    bulkMode = null;
    mode.added.forEach((field) => field.remove());
    mode.disabled.forEach((field) => {
      field.disabled = false;
    });
    for (const part of mode.parts) {
      part.element.replaceChildren(...part.nodes);
      part.element.hidden = part.hidden;
    }
    const form = (document.getElementById(IDS.bulkDialog) ?? document.getElementById(IDS.deleteDialog))?.querySelector("form[method=post]");
    if (form && mode.action !== null) form.setAttribute("action", mode.action);
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
    // The version the row was rendered with: a session changed since answers 409 instead of being overwritten.
    const versionField = form?.querySelector<HTMLInputElement>("input[name=version]");
    if (versionField) versionField.value = row.dataset.sessionVersion ?? "";
    const labelField = form?.querySelector<HTMLInputElement>("input[name=label]");
    if (labelField) labelField.value = label;
    const name = byRole(ROLES.deleteName, dialog);
    if (name) name.textContent = label;
    if (id === IDS.renameDialog) {
      listWindow.followSession(sessionId);
      // The row's tags, from its badges.
      fillTags(dialog, Array.from(row.querySelectorAll<HTMLElement>("[data-tag]")).map((badge) => badge.dataset.tag ?? ""));
    }
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
    // A bulk bar button whose bar came back with the selection kept (Tag…): the same button of the new bar.
    const bar = document.getElementById(IDS.bulkBar);
    const inBar = !row && action && bar ? byAction(action, bar) : null;
    const shown = (element: HTMLElement) => (typeof element.checkVisibility === "function" ? element.checkVisibility() : !element.closest("[hidden]"));
    const target = row ? ((action ? byAction(action, row) : null) ?? row.querySelector("button")) : inBar && shown(inBar) ? inBar : null;
    if (target) target.focus();
    // After a bulk action the bar that opened it has been swapped away: focus goes to the cursor's row.
    else selectedRow()?.querySelector<HTMLElement>("input, button")?.focus();
  }

  document.addEventListener("click", (event) => {
    const button = elementOf(event.target)?.closest<HTMLElement>(`[${ATTRS.action}]`);
    const action = button?.dataset.action;
    if (action === ACTIONS.bulkExport && button instanceof HTMLButtonElement) return exportSelection(button, selection.target());
    if (action === ACTIONS.bulkTag && button) {
      event.preventDefault();
      return openTagDialog(button);
    }
    const bulk = action !== undefined && Object.prototype.hasOwnProperty.call(INTENTS, action);
    if (!button || (action !== ACTIONS.rename && action !== ACTIONS.delete && action !== ACTIONS.closeDialog && !bulk)) return;
    event.preventDefault();
    if (bulk) openBulk(button);
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
    if (bulkMode && detail.elt.closest("dialog[open]")) detail.path = bulkMode.path;
  });
  // A bulk dialog whose form htmx does not send (no hx-post) still posts in place, through htmx.
  document.addEventListener("submit", (event) => {
    const form = elementOf(event.target);
    const mode = bulkMode;
    const htmx = window.htmx;
    if (!mode || !htmx || !(form instanceof HTMLFormElement) || !form.closest("dialog[open]") || form.hasAttribute("hx-post")) return;
    event.preventDefault();
    // Failures reach the dialog through htmx's events (feedback.ts), not through this promise.
    htmx.ajax("POST", mode.path, { source: form, target: `#${IDS.list}`, swap: "outerHTML" }).catch(() => undefined);
  });
  // A request from a dialog that succeeded closes it.
  document.addEventListener("htmx:afterRequest", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    const dialog = detail.elt.closest("dialog");
    const status = detail.xhr ? detail.xhr.status : 0;
    if (!dialog || status < 200 || status >= 400) return;
    // What was selected has been acted on (a deleted row cannot stay selected).
    if (bulkMode) selection.clear();
    else if (dialog.id === IDS.deleteDialog && lastSessionId) selection.forget(lastSessionId);
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

/**
 * The bulk bar's Export submits the bulk form itself (a download, not an htmx swap), but the form holds only the
 * checkboxes of the window on screen. For the click's submission, the whole selection goes as hidden fields instead:
 * every selected id (from windows scrolled away too), or `all_matching=1` with the search; the checkboxes step aside
 * and everything is put back once the submission has been built.
 */
function exportSelection(button: HTMLButtonElement, target: SelectionTarget | null): void {
  const form = button.form;
  if (!form || !target) return;
  // All matching is what the list shows: its search and its tag filter (the list's data-tags, a JSON array).
  let tags: unknown = [];
  try {
    tags = JSON.parse(list()?.dataset.tags ?? "[]");
  } catch {
    tags = [];
  }
  const filter = Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
  const fields: [string, string][] =
    target.kind === "all-matching" ? [["all_matching", "1"], ["q", target.query], ...filter.map((tag): [string, string] => ["tag", tag])] : target.ids.map((id) => ["session_id", id]);
  const boxes = Array.from(document.querySelectorAll<HTMLInputElement>(`input[form="${form.id}"][name="session_id"]:not([disabled])`));
  for (const box of boxes) box.disabled = true;
  const added = fields.map(([name, value]) => {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
    return input;
  });
  // The browser builds the form's data when the click's default action runs, after this listener.
  setTimeout(() => {
    for (const input of added) input.remove();
    for (const box of boxes) box.disabled = false;
  });
}
