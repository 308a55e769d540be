// The keyboard shortcuts. They never fire while typing in a field or while a dialog is open; of the modified keys,
// only Shift+↑/↓ and Ctrl/Cmd+A are theirs.
import { ACTIONS } from "../views/dom-contract.js";
import { byAction, isReadonly, list, listNumber, searchBox, selectedRow } from "./dom.js";
import { bulkButtons, type Dialogs } from "./dialogs.js";
import type { ListWindow } from "./list-window.js";
import { CHECKED, type Selection } from "./selection.js";

// A checkbox takes no typing: the shortcuts go on working after a row's checkbox is clicked (Space stays its own).
// Nor does Import's file input, which Tab reaches right after the search box (Enter and Space open its picker).
function isTyping(target: Element): boolean {
  if (target instanceof HTMLInputElement) return !/^(checkbox|radio|button|submit|reset|file)$/.test(target.type);
  return (target instanceof HTMLElement && target.isContentEditable) || /^(TEXTAREA|SELECT)$/.test(target.tagName);
}

// The keys that change something: on a read-only page (the server refuses every change) they do nothing.
const CHANGES = new Set(["Enter", "F2", "Delete", "n"]);

/**
 * Starts the shortcuts over the list window, the dialogs and the selection: Space toggles the cursor's row,
 * Shift+↑/↓ move the cursor and extend the selection, Ctrl/Cmd+A selects all matching, Escape empties it.
 */
export function initKeyboard(listWindow: ListWindow, dialogs: Dialogs, selection: Selection): void {
  const extend = (step: number) => {
    const cursor = listNumber("cursor");
    const next = Math.max(0, Math.min(listNumber("total") - 1, cursor + step));
    if (selection.target() === null || !selectedRow()?.hasAttribute(CHECKED)) selection.toggle(cursor);
    listWindow.setCursor(next);
    // Once the row is there: at once inside the window, after the next window has arrived past its edge.
    listWindow.whenReady(() => selection.extendTo(next));
  };
  const shifted: Record<string, () => void> = {
    ArrowDown: () => extend(1),
    ArrowUp: () => extend(-1),
  };
  const move = (to: () => number) => () => listWindow.setCursor(to());
  const keys: Record<string, () => void> = {
    ArrowDown: move(() => listNumber("cursor") + 1),
    ArrowUp: move(() => listNumber("cursor") - 1),
    PageDown: move(() => listNumber("cursor") + listNumber("limit")),
    PageUp: move(() => listNumber("cursor") - listNumber("limit")),
    Home: move(() => 0),
    End: move(() => listNumber("total") - 1),
    Enter: () => {
      const row = selectedRow();
      if (row) byAction(ACTIONS.resume, row)?.click();
    },
    F2: () => dialogs.rename(selectedRow()),
    // With a selection, Delete is the bulk bar's last action (Delete, or Delete forever in the trash).
    Delete: () => {
      const bulk = bulkButtons().pop();
      if (selection.target() && bulk) dialogs.bulk(bulk);
      else dialogs.delete(selectedRow());
    },
    n: () => byAction(ACTIONS.create)?.click(),
    " ": () => selection.toggle(listNumber("cursor")),
    Escape: () => selection.clear(),
    "/": () => {
      const search = searchBox();
      if (!search) return;
      search.focus();
      search.select();
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.isComposing) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (event.ctrlKey || event.metaKey) {
      if (event.key.toLowerCase() !== "a" || event.shiftKey || document.querySelector("dialog[open]") || isTyping(target) || !list()) return;
      event.preventDefault();
      listWindow.whenReady(() => selection.selectAllMatching());
      return;
    }
    if (event.key === "Escape" && target === searchBox()) {
      (target as HTMLElement).blur();
      return;
    }
    if (document.querySelector("dialog[open]") || isTyping(target)) return;
    // Enter on a control and Space on a control or a checkbox do what the control does.
    if (event.key === "Enter" && target.closest("a, button, summary, input[type=file]")) return;
    if (event.key === " " && target.closest("a, button, summary, input")) return;
    const own = (table: Record<string, () => void>) => Object.prototype.hasOwnProperty.call(table, event.key);
    const action = event.shiftKey && own(shifted) ? shifted[event.key] : own(keys) ? keys[event.key] : undefined;
    if (!action || !list() || (CHANGES.has(event.key) && isReadonly())) return;
    event.preventDefault();
    // "/" and n do not touch the cursor and act at once (typing goes on in the search box); every other key waits
    // for the window the cursor asked for, and acts unless a dialog has opened meanwhile.
    if (event.key === "/" || event.key === "n") action();
    else listWindow.whenReady(() => {
      if (!document.querySelector("dialog[open]") && list()) action();
    });
  });
}
