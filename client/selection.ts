// The selection: which sessions the bulk bar acts on. It lives in this closure, not on the server, as a set of ids
// (with their labels, for the confirmation) or as "all that match the list's search". It survives the windows the
// list swaps in while scrolling (each new window's checkboxes are set from it) and a new order; a new search clears it.
import { ACTIONS, ATTRS, IDS, ROLES } from "../views/dom-contract.js";
import { byAction, byRole, elementOf, indexOf, list, listNumber, rowAt, rowOf, ROW_SELECTOR, selectedRow } from "./dom.js";

/** What the bulk bar acts on: explicit ids, or every session matching `query`. */
export type SelectionTarget =
  | { kind: "ids"; ids: string[]; labels: string[] }
  | { kind: "all-matching"; query: string; count: number; capped: boolean };

/** What the keyboard and the dialogs may ask of the selection. */
export interface Selection {
  /** Checks or unchecks one row (by its place in the whole list) and makes it the anchor of a range. */
  toggle(index: number): void;
  /** Checks the rows of the window between the anchor and `index` (inclusive); the anchor stays. */
  extendTo(index: number): void;
  /** Selects every session that matches the list's search. */
  selectAllMatching(): void;
  /** Empties the selection. */
  clear(): void;
  /** Takes one session out of the selection (it has been deleted on its own). */
  forget(sessionId: string): void;
  /** What is selected now, or null when nothing is. */
  target(): SelectionTarget | null;
}

/** The attribute the client sets on each row that is in the selection (for styles and tests). */
export const CHECKED = "data-checked";

const number = (n: number) => n.toLocaleString("en-US");

function boxOf(row: Element): HTMLInputElement | null {
  return row.querySelector<HTMLInputElement>(`input[${ATTRS.role}="${ROLES.selectRow}"]`);
}

function idOf(row: HTMLElement): string {
  return row.dataset.sessionId ?? "";
}

/** Starts the selection over the rows' checkboxes, the header checkbox and the bulk bar. */
export function initSelection(): Selection {
  // id → label, in the order they were selected.
  const chosen = new Map<string, string>();
  let allMatching = false;
  let query = list()?.dataset.q ?? "";
  let anchor: number | null = null;

  const windowRows = () => Array.from(document.querySelectorAll<HTMLElement>(`#${IDS.list} ${ROW_SELECTOR}`));
  const isCapped = () => list()?.dataset.capped === "true";

  function count(): number {
    return allMatching ? listNumber("total") : chosen.size;
  }

  function render(): void {
    const rows = windowRows();
    let checkedRows = 0;
    for (const row of rows) {
      const checked = allMatching || chosen.has(idOf(row));
      const box = boxOf(row);
      if (box) box.checked = checked;
      row.toggleAttribute(CHECKED, checked);
      if (checked) checkedRows++;
    }
    const header = byRole(ROLES.selectWindow) as HTMLInputElement | null;
    if (header) {
      header.checked = rows.length > 0 && checkedRows === rows.length;
      header.indeterminate = checkedRows > 0 && checkedRows < rows.length;
    }
    const bar = document.getElementById(IDS.bulkBar);
    if (!bar) return;
    const selected = count();
    bar.hidden = selected === 0;
    const counter = byRole(ROLES.selectedCount, bar);
    if (counter) {
      counter.textContent = allMatching
        ? `All ${number(selected)}${isCapped() ? "+" : ""} matching selected`
        : `${number(selected)} selected`;
    }
    const all = byAction(ACTIONS.selectAllMatching);
    if (all) {
      const total = listNumber("total");
      // Offered once the whole window is selected and more sessions match than the window shows.
      all.hidden = allMatching || rows.length === 0 || checkedRows < rows.length || total <= rows.length;
      all.textContent = `Select all ${number(total)}${isCapped() ? "+" : ""} matching`;
    }
  }

  // Leaving "all matching" by unchecking one row keeps the window's rows, less that one.
  function leaveAllMatching(): void {
    if (!allMatching) return;
    allMatching = false;
    for (const row of windowRows()) chosen.set(idOf(row), row.dataset.sessionLabel ?? "");
  }

  function set(row: HTMLElement, checked: boolean): void {
    if (checked) chosen.set(idOf(row), row.dataset.sessionLabel ?? "");
    else {
      leaveAllMatching();
      chosen.delete(idOf(row));
    }
  }

  function toggle(index: number): void {
    const row = rowAt(index);
    if (!row) return;
    set(row, !(allMatching || chosen.has(idOf(row))));
    anchor = index;
    render();
  }

  function extendTo(index: number): void {
    if (anchor === null) anchor = listNumber("cursor");
    const [from, to] = anchor <= index ? [anchor, index] : [index, anchor];
    for (const row of windowRows()) {
      const at = indexOf(row);
      if (at >= from && at <= to) set(row, true);
    }
    render();
  }

  function clear(): void {
    chosen.clear();
    allMatching = false;
    anchor = null;
    render();
  }

  function selectAllMatching(): void {
    if (listNumber("total") === 0) return;
    allMatching = true;
    chosen.clear();
    render();
  }

  document.addEventListener("click", (event) => {
    const target = elementOf(event.target);
    if (!target) return;
    const action = target.closest<HTMLElement>(`[${ATTRS.action}]`)?.dataset.action;
    if (action === ACTIONS.selectAllMatching || action === ACTIONS.clearSelection) {
      event.preventDefault();
      if (action === ACTIONS.selectAllMatching) selectAllMatching();
      else {
        clear();
        // The bar hides with nothing selected: focus goes to the cursor's row rather than to the page.
        const row = selectedRow();
        (row && boxOf(row))?.focus();
      }
      return;
    }
    if (target.matches(`input[${ATTRS.role}="${ROLES.selectWindow}"]`)) {
      const checked = (target as HTMLInputElement).checked;
      for (const row of windowRows()) set(row, checked);
      render();
      return;
    }
    const row = rowOf(target);
    if (!row) return;
    const index = indexOf(row);
    const box = boxOf(row);
    if (target === box) {
      // The click has already flipped the box.
      if (event.shiftKey && anchor !== null) extendTo(index);
      else {
        set(row, box.checked);
        anchor = index;
        render();
      }
    } else if (event.shiftKey && !target.closest("a, button, input, label")) {
      extendTo(index);
    }
  });
  // A Shift-click on a row would select its text as well.
  document.addEventListener("mousedown", (event) => {
    const target = elementOf(event.target);
    if (event.shiftKey && target && rowOf(target) && !target.closest("a, button, input, label")) event.preventDefault();
  });
  // A new window, order or search arrived: a new search empties the selection, any other list keeps it.
  document.addEventListener("htmx:afterSwap", () => {
    const element = list();
    if (!element) return;
    const q = element.dataset.q ?? "";
    if (q !== query) {
      query = q;
      clear();
      return;
    }
    render();
  });
  document.addEventListener("htmx:historyRestore", () => {
    query = list()?.dataset.q ?? "";
    clear();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
  // A checkbox the browser restored (Back, a reload) is not what this page's selection holds.
  window.addEventListener("pageshow", render);

  return {
    toggle,
    extendTo,
    selectAllMatching,
    clear,
    forget(sessionId) {
      if (!chosen.delete(sessionId)) return;
      render();
    },
    target() {
      if (allMatching) return { kind: "all-matching", query, count: listNumber("total"), capped: isCapped() };
      if (chosen.size === 0) return null;
      return { kind: "ids", ids: Array.from(chosen.keys()), labels: Array.from(chosen.values()) };
    },
  };
}
