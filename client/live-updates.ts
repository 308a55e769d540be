// The live updates: htmx's SSE extension keeps the page's stream open (#ews-live, with `sse-connect`) and fires
// `sse:change` for each change of the visitor's sessions, made in another tab, by another process or on another
// instance. The list then reads its window again, in place. Refreshes never overlap a request under way (a window
// read, a search, an action): they wait for it to end, and a burst of changes costs one refresh. Rows that another
// tab deleted are not dropped at once: they grey out, marked "Deleted elsewhere", until the list next changes.
// Sessions added elsewhere while the list is scrolled away from its top do not shift the rows shown: they wait behind
// "N new sessions" above the list, which shows the list from its top when clicked.
import { ACTIONS, ATTRS, IDS } from "../views/dom-contract.js";
import { byAction, elementOf, list, listNumber, rowOf, rowWithId, selectedRow, viewport } from "./dom.js";
import type { ListWindow } from "./list-window.js";
import type { Selection } from "./selection.js";

/** Where the focus was in the list before a refresh: the row and the control in it, found again in the new rows. */
interface FocusPlace {
  /** The row's session, or `null` for a control outside the rows. */
  sessionId: string | null;
  selector: string;
}

function focusPlace(): FocusPlace | null {
  const focused = elementOf(document.activeElement);
  if (!focused || !focused.closest(`#${IDS.list}`)) return null;
  const action = focused.getAttribute(ATTRS.action);
  // A control of the list outside the rows (the bulk bar's): the same control of the new list.
  if (action && focused.closest(`#${IDS.bulkBar}`)) return { sessionId: null, selector: `#${IDS.bulkBar} [${ATTRS.action}="${CSS.escape(action)}"]` };
  const row = rowOf(focused);
  const sessionId = row?.getAttribute(ATTRS.sessionId);
  if (!row || !sessionId) return null;
  const selector = action ? `[${ATTRS.action}="${CSS.escape(action)}"]` : focused.matches("input[type=checkbox]") ? "input[type=checkbox]" : "";
  return selector ? { sessionId, selector } : null;
}

/** True while htmx has a request under way: it marks the request's indicator (or its element) `htmx-request`. */
function requestUnderWay(): boolean {
  return document.querySelector(".htmx-request") !== null;
}

/** What an event says: `{ action, sessionIds }`. */
function changeOf(message: MessageEvent | undefined): { action: string; sessionIds: string[] } | null {
  try {
    const change = JSON.parse(String(message?.data)) as { action?: unknown; sessionIds?: unknown };
    return typeof change.action === "string" && Array.isArray(change.sessionIds) ? { action: change.action, sessionIds: change.sessionIds.map(String) } : null;
  } catch {
    return null;
  }
}

/**
 * Greys out the rows shown of a delete made in another tab, marked "Deleted elsewhere", their controls out of reach
 * (`inert`). True when the delete was of rows shown and nothing else is to be done; false otherwise (read the
 * window again: the rows deleted were elsewhere in the list, or this tab made the delete and shows its answer).
 */
function markDeleted(message: MessageEvent | undefined, selection: Selection): boolean {
  const change = changeOf(message);
  if (change?.action !== "delete" || change.sessionIds.length === 0) return false;
  const rows = change.sessionIds.map((id) => rowWithId(id)).filter((row): row is HTMLElement => row !== null);
  if (rows.length !== change.sessionIds.length) return false;
  for (const row of rows) {
    // A bulk action on ids is all or nothing: one that is gone must not stay selected.
    selection.forget(row.getAttribute(ATTRS.sessionId)!);
    row.setAttribute(ATTRS.deletedElsewhere, "");
    row.inert = true;
    const label = row.querySelector("th");
    if (label && !label.querySelector(`[${ATTRS.deletedElsewhere}]`)) {
      const badge = document.createElement("span");
      badge.className = "badge badge-sm shrink-0";
      badge.setAttribute(ATTRS.deletedElsewhere, "");
      badge.textContent = "Deleted elsewhere";
      (label.firstElementChild ?? label).append(badge);
    }
  }
  return true;
}

/** The actions that add sessions: elsewhere, they may land above the rows shown. */
const ADDING = new Set(["create", "duplicate", "import"]);

/** True when the list shows its first rows from the top, where sessions added first in its order appear anyway. */
function atTop(): boolean {
  return listNumber("offset") === 0 && (viewport()?.scrollTop ?? 0) === 0;
}

/**
 * True when sessions added now come first in the list's order (newest first, by updated or created time) and the
 * list shows every session (no search, no tag filter, which a new session may not match).
 */
function newestFirst(): boolean {
  const element = list();
  const unfiltered = (element?.dataset.q ?? "") === "" && (element?.dataset.tags ?? "[]") === "[]";
  return unfiltered && element?.dataset.dir === "desc" && (element.dataset.sort === "updated" || element.dataset.sort === "created");
}

/** Follows the live updates' stream; does nothing on a page without one. */
export function initLiveUpdates(listWindow: ListWindow, selection: Selection): void {
  let wanted = false;
  let opened = false;
  // Where the focus was in the list as a swap began: the swap removes the focused control, so it goes back to the
  // same control of the same row (if the row is still there and nothing else took the focus). Read as the swap
  // begins, not as the refresh is asked for: focus may move into the list meanwhile (a closing dialog gives it back
  // to the row it was opened from).
  let refocus: FocusPlace | null = null;

  function refreshWhenIdle(): void {
    if (!wanted || requestUnderWay()) return;
    wanted = false;
    listWindow.whenReady(() => listWindow.refresh());
  }

  function changed(): void {
    wanted = true;
    refreshWhenIdle();
  }

  // Sessions added elsewhere, waiting behind the "N new sessions" button (not shown as rows of this list).
  const fresh = new Set<string>();
  function showFresh(): void {
    const button = byAction(ACTIONS.showNew);
    if (!button) return;
    for (const id of fresh) if (rowWithId(id)) fresh.delete(id);
    button.hidden = fresh.size === 0;
    button.textContent = fresh.size === 0 ? "" : `${fresh.size.toLocaleString("en-US")} new ${fresh.size === 1 ? "session" : "sessions"}`;
  }

  // True when the change only adds sessions while the list is away from its top: they wait behind the button.
  function heldBack(message: MessageEvent | undefined): boolean {
    const change = changeOf(message);
    if (!change || !ADDING.has(change.action) || change.sessionIds.length === 0 || !newestFirst() || atTop() || !byAction(ACTIONS.showNew)) return false;
    const added = change.sessionIds.filter((id) => !rowWithId(id));
    if (added.length < change.sessionIds.length) return false;
    for (const id of added) fresh.add(id);
    showFresh();
    return true;
  }

  document.addEventListener("sse:change", (event) => {
    const message = (event as CustomEvent<MessageEvent>).detail;
    // A held session deleted elsewhere is no longer new.
    const change = changeOf(message);
    if (change && (change.action === "delete" || change.action === "purge") && change.sessionIds.some((id) => fresh.delete(id))) showFresh();
    if (!markDeleted(message, selection) && !heldBack(message)) changed();
  });
  document.addEventListener("click", (event) => {
    if (!elementOf(event.target)?.closest(`[${ATTRS.action}="${ACTIONS.showNew}"]`)) return;
    // The button stays (and keeps the focus) until the first window arrives, which takes in the new sessions.
    fresh.clear();
    listWindow.showFirst();
    // The button is gone: focus goes to the first row, where the new sessions now are.
    listWindow.whenReady(() => selectedRow()?.querySelector<HTMLElement>("input, button")?.focus({ preventScroll: true }));
  });
  // A stream that reconnects may have missed changes while it was away.
  document.addEventListener("htmx:sseOpen", () => {
    if (opened) changed();
    opened = true;
  });
  // htmx clears the indicator before it fires afterRequest, so a waiting refresh can go once the last request ends.
  document.addEventListener("htmx:afterRequest", () => queueMicrotask(refreshWhenIdle));
  document.addEventListener("htmx:beforeSwap", () => {
    refocus = focusPlace();
  });
  document.addEventListener("htmx:afterSwap", () => {
    // The ids a window brings in among its rows are no longer waiting.
    showFresh();
    const place = refocus;
    refocus = null;
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (!place || !lost) return;
    const within = place.sessionId === null ? document : rowWithId(place.sessionId);
    within?.querySelector<HTMLElement>(place.selector)?.focus({ preventScroll: true });
  });
}
