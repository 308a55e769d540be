// The keyboard shortcuts. They never fire while typing in a field, while a dialog is open, or with a modifier held.
import { ACTIONS } from "../views/dom-contract.js";
import { byAction, list, listNumber, searchBox, selectedRow } from "./dom.js";
import type { Dialogs } from "./dialogs.js";
import type { ListWindow } from "./list-window.js";

function isTyping(target: Element): boolean {
  return (target instanceof HTMLElement && target.isContentEditable) || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
}

/** Starts the shortcuts over the list window and the dialogs. */
export function initKeyboard(listWindow: ListWindow, dialogs: Dialogs): void {
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
    Delete: () => dialogs.delete(selectedRow()),
    n: () => byAction(ACTIONS.create)?.click(),
    "/": () => {
      const search = searchBox();
      if (!search) return;
      search.focus();
      search.select();
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (event.key === "Escape" && target === searchBox()) {
      (target as HTMLElement).blur();
      return;
    }
    if (document.querySelector("dialog[open]") || isTyping(target)) return;
    if (event.key === "Enter" && target.closest("a, button, summary")) return;
    const action = Object.prototype.hasOwnProperty.call(keys, event.key) ? keys[event.key] : undefined;
    if (!action || !list()) return;
    event.preventDefault();
    action();
  });
}
