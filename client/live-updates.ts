// The live updates: htmx's SSE extension keeps the page's stream open (#ews-live, with `sse-connect`) and fires
// `sse:change` for each change of the visitor's sessions, made in another tab, by another process or on another
// instance. The list then reads its window again, in place. Refreshes never overlap a request under way (a window
// read, a search, an action): they wait for it to end, and a burst of changes costs one refresh.
import type { ListWindow } from "./list-window.js";

/** True while htmx has a request under way: it marks the request's indicator (or its element) `htmx-request`. */
function requestUnderWay(): boolean {
  return document.querySelector(".htmx-request") !== null;
}

/** Follows the live updates' stream; does nothing on a page without one. */
export function initLiveUpdates(listWindow: ListWindow): void {
  let wanted = false;
  let opened = false;

  function refreshWhenIdle(): void {
    if (!wanted || requestUnderWay()) return;
    wanted = false;
    listWindow.whenReady(() => listWindow.refresh());
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
}
