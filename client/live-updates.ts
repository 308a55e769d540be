// The live updates: htmx's SSE extension keeps the page's stream open (#ews-live, with `sse-connect`) and fires
// `sse:change` for each change of the visitor's sessions, made in another tab, by another process or on another
// instance. The list then reads its window again, in place. Refreshes never overlap a request under way (a window
// read, a search, an action): they wait for it to end, and a burst of changes costs one refresh.
import { ATTRS, IDS } from "../views/dom-contract.js";
import { elementOf, rowOf, rowWithId } from "./dom.js";
import type { ListWindow } from "./list-window.js";

/** Where the focus was in the list before a refresh: the row and the control in it, found again in the new rows. */
interface FocusPlace {
  sessionId: string;
  selector: string;
}

function focusPlace(): FocusPlace | null {
  const focused = elementOf(document.activeElement);
  if (!focused || !focused.closest(`#${IDS.list}`)) return null;
  const row = rowOf(focused);
  const sessionId = row?.getAttribute(ATTRS.sessionId);
  if (!row || !sessionId) return null;
  const action = focused.getAttribute(ATTRS.action);
  const selector = action ? `[${ATTRS.action}="${CSS.escape(action)}"]` : focused.matches("input[type=checkbox]") ? "input[type=checkbox]" : "";
  return selector ? { sessionId, selector } : null;
}

/** True while htmx has a request under way: it marks the request's indicator (or its element) `htmx-request`. */
function requestUnderWay(): boolean {
  return document.querySelector(".htmx-request") !== null;
}

/** Follows the live updates' stream; does nothing on a page without one. */
export function initLiveUpdates(listWindow: ListWindow): void {
  let wanted = false;
  let opened = false;
  // The focus the refresh under way found in the list: the swap removes the focused control, so it goes back to
  // the same control of the same row (if the row is still there and nothing else took the focus).
  let refocus: FocusPlace | null = null;

  function refreshWhenIdle(): void {
    if (!wanted || requestUnderWay()) return;
    wanted = false;
    listWindow.whenReady(() => {
      refocus = focusPlace();
      listWindow.refresh();
    });
  }

  function changed(): void {
    wanted = true;
    refreshWhenIdle();
  }

  document.addEventListener("sse:change", changed);
  // A stream that reconnects may have missed changes while it was away.
  document.addEventListener("htmx:sseOpen", () => {
    if (opened) changed();
    opened = true;
  });
  // htmx clears the indicator before it fires afterRequest, so a waiting refresh can go once the last request ends.
  document.addEventListener("htmx:afterRequest", () => queueMicrotask(refreshWhenIdle));
  document.addEventListener("htmx:afterSwap", () => {
    const place = refocus;
    refocus = null;
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (place && lost) rowWithId(place.sessionId)?.querySelector<HTMLElement>(place.selector)?.focus({ preventScroll: true });
  });
}
