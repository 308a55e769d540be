// The windowed list: a virtual scroller backed by the server. The spacer rows stand for the rows outside the
// window; scrolling past the window, or moving the cursor out of it, fetches the window around it. The window,
// order, search and cursor live in the #ews-list data-* attributes and travel in every request.
import { ATTRS, IDS, SPACER_CLASS, WINDOW_HEADER, WINDOW_SCROLL } from "../views/dom-contract.js";
import { elementOf, indexOf, list, listNumber, rowAt, rowHeight, rowOf, rowWithId, selectedRow, viewport } from "./dom.js";

/** What the other modules may ask of the list. */
export interface ListWindow {
  /** Moves the keyboard cursor; a row outside the window brings the window that holds it. */
  setCursor(index: number): void;
  /** After the next swap, put the cursor on this session's row (a rename can move it); null forgets it. */
  followSession(sessionId: string | null): void;
  /**
   * Runs `action` at once, or, while the window the cursor asked for is on its way, after that window has arrived
   * and after every action asked for before it, in order. Whatever reads or moves the cursor goes through here, so a
   * key pressed while a window loads acts exactly once, as it would have without the wait. A new list (a search, an
   * order, a page) or a failed request drops the actions still waiting.
   */
  whenReady(action: () => void): void;
  /**
   * Reads the window shown again and swaps it in place (the live updates): the same offset, order and search, the
   * scroll position and the cursor kept, as a window read by scrolling keeps them.
   */
  refresh(): void;
  /**
   * Reads the first window afresh, by its offset alone (an anchor would keep the rows shown and leave out the ones
   * added above them), and shows it from its top with the cursor on its first row: the live updates' "N new sessions".
   */
  showFirst(): void;
}

/** What the list looked like just before htmx replaced it, to keep the scroll position. */
interface BeforeSwap {
  offset: number;
  scrollTop: number;
  keep: boolean;
  /** The cursor the client held: a window's answer echoes the cursor its request carried, which may be older. */
  cursor: number;
}

const SCROLL_SETTLE_MS = 60;

function layout(): void {
  const height = rowHeight();
  document.querySelectorAll<HTMLElement>(`#${IDS.list} tr.${SPACER_CLASS}`).forEach((spacer) => {
    spacer.style.height = `${height * Number(spacer.getAttribute(ATTRS.spacerRows) || 0)}px`;
  });
}

// Brings a row into view by scrolling the list vertically only (scrollIntoView would also scroll sideways).
function scrollToRow(row: HTMLElement): void {
  const box = viewport();
  if (!box) return;
  const head = box.querySelector<HTMLElement>("thead");
  const top = row.offsetTop - (head ? head.offsetHeight : 0);
  const bottom = row.offsetTop + row.offsetHeight - box.clientHeight;
  if (box.scrollTop > top) box.scrollTop = top;
  else if (box.scrollTop < bottom) box.scrollTop = bottom;
}

function markSelected(row: HTMLElement): void {
  document.querySelectorAll(`#${IDS.list} tr[aria-selected="true"]`).forEach((other) => {
    if (other !== row) other.setAttribute("aria-selected", "false");
  });
  row.setAttribute("aria-selected", "true");
}

/**
 * The keyset anchor for the window at `offset`, from the window shown: a window after it seeks from its last row (or
 * its first, when they overlap), one before it from its first row (or its last); the server skips the rows between
 * and falls back to the offset when the anchor has moved or is too far (docs/large-lists.md).
 */
function anchorFor(offset: number): Record<string, string> {
  // The first window is read by its offset: cheap, and it holds whatever was added first in the order since (an
  // anchor would keep the rows shown before and leave those out).
  if (offset === 0) return {};
  const element = list();
  const first = element?.dataset.anchorFirst;
  const last = element?.dataset.anchorLast;
  if (!first || !last) return {};
  const shown = listNumber("offset");
  const count = listNumber("count");
  if (offset >= shown) return { after: offset >= shown + count ? last : first };
  return { before: offset + listNumber("limit") <= shown ? first : last };
}

function loadWindow(offset: number, cursor: number | null, { anchored = true } = {}): void {
  const element = list();
  const htmx = window.htmx;
  if (!element || !htmx || !element.dataset.listUrl) return;
  const values: Record<string, string> = { offset: String(offset), cursor: String(cursor === null ? listNumber("cursor") : cursor), ...(anchored ? anchorFor(offset) : {}) };
  // The list is the source, so the request syncs as its hx-sync says: the newest read of the list wins.
  // A newer read aborts this one (hx-sync replace), which rejects htmx's promise: expected, and feedback.ts reports
  // real failures from htmx's events.
  htmx.ajax("GET", element.dataset.listUrl, { source: element, target: `#${IDS.list}`, swap: "outerHTML", values, headers: { [WINDOW_HEADER]: WINDOW_SCROLL } }).catch(() => undefined);
}

/** Lays out the list as on load: spacers sized, the window's first row (or the cursor's row) in view. */
function start(): void {
  layout();
  const box = viewport();
  const height = rowHeight();
  if (box && height) box.scrollTop = listNumber("offset") * height;
  const row = selectedRow();
  if (row && listNumber("offset") > 0) scrollToRow(row);
}

/** Starts the list window; its state lives in this closure. */
export function initListWindow(): ListWindow {
  let before: BeforeSwap | null = null;
  // Where the cursor should land once the window that holds it arrives, by index and (after a rename) by session.
  let pendingCursor: number | null = null;
  let pendingSessionId: string | null = null;
  // Actions that wait for the cursor's window (whenReady), in the order they were asked for.
  const waiting: Array<() => void> = [];
  let scrollTimer: ReturnType<typeof setTimeout> | undefined;

  function whenReady(action: () => void): void {
    if (pendingCursor === null && waiting.length === 0) action();
    else waiting.push(action);
  }

  // Runs the waiting actions until one sends the cursor out of the window again. What a running action asks for
  // itself (the end of a Shift+↓ once its row is there) goes before the actions asked for after it.
  function runWaiting(): void {
    while (pendingCursor === null && waiting.length > 0) {
      const action = waiting.shift()!;
      const later = waiting.splice(0);
      try {
        action();
      } finally {
        waiting.push(...later);
      }
    }
  }

  function dropWaiting(): void {
    pendingCursor = null;
    waiting.length = 0;
  }

  function setCursor(wanted: number): void {
    const element = list();
    const total = listNumber("total");
    if (!element || total === 0) return;
    const index = Math.max(0, Math.min(total - 1, wanted));
    element.dataset.cursor = String(index);
    const row = rowAt(index);
    if (!row) {
      const limit = listNumber("limit");
      pendingCursor = index;
      loadWindow(Math.max(0, Math.min(total - limit, index - Math.floor(limit / 2))), index);
      return;
    }
    markSelected(row);
    scrollToRow(row);
  }

  // Where the window should start to hold the rows in view, or null while the window shown holds them all.
  function windowForView(): number | null {
    const box = viewport();
    const height = rowHeight();
    if (!box || !height) return null;
    const total = listNumber("total");
    const offset = listNumber("offset");
    const limit = listNumber("limit");
    const first = Math.min(total - 1, Math.floor(box.scrollTop / height));
    const visible = Math.ceil(box.clientHeight / height);
    const last = Math.min(total, first + visible);
    if (first >= offset && last <= offset + listNumber("count")) return null;
    const startAt = Math.max(0, Math.min(total - limit, first - Math.floor((limit - visible) / 2)));
    return startAt === offset ? null : startAt;
  }

  function onScroll(): void {
    if (windowForView() === null) return;
    clearTimeout(scrollTimer);
    // Asked again once the scrolling settles: a window that arrived meanwhile, or a scroll back, may hold the rows.
    scrollTimer = setTimeout(() => {
      const startAt = windowForView();
      if (startAt !== null) loadWindow(startAt, null);
    }, SCROLL_SETTLE_MS);
  }

  // A new window arrived: size the spacers, then keep the scroll position, or bring the cursor's row into view.
  function afterSwap(): void {
    const element = list();
    if (!before || !element) return;
    const previous = before;
    before = null;
    layout();
    const box = viewport();
    const height = rowHeight();
    // A window fetched by scrolling or by the cursor keeps the scroll position (the spacers put it in place); a
    // refresh of the same window too; any other window (Next, a new order, a search) shows its first row.
    if (box && height) box.scrollTop = previous.keep || previous.offset === listNumber("offset") ? previous.scrollTop : listNumber("offset") * height;
    if (pendingSessionId) {
      const renamed = rowWithId(pendingSessionId);
      if (renamed) element.dataset.cursor = String(indexOf(renamed));
      pendingSessionId = null;
    }
    // Only a window read continues what the cursor was doing; another list is a new start.
    if (!previous.keep) dropWaiting();
    const hadPending = pendingCursor !== null;
    const cursor = pendingCursor ?? (previous.keep ? previous.cursor : listNumber("cursor"));
    pendingCursor = null;
    element.dataset.cursor = String(cursor);
    const row = rowAt(cursor);
    if (row) {
      if (hadPending) setCursor(cursor);
      else markSelected(row);
    }
    // After every afterSwap listener (the selection sets the new rows' checkboxes in its own), whatever their order.
    if (waiting.length > 0) queueMicrotask(runWaiting);
  }

  document.addEventListener("scroll", (event) => {
    if (event.target === viewport()) onScroll();
  }, true);
  document.addEventListener("click", (event) => {
    const target = elementOf(event.target);
    const row = target && rowOf(target);
    if (row) setCursor(indexOf(row));
  });
  // Before the list is replaced, remember its window and scroll position.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    if (!detail.xhr || detail.xhr.status >= 400 || !detail.target || detail.target.id !== IDS.list) return;
    const box = viewport();
    const headers = detail.requestConfig?.headers ?? {};
    before = { offset: listNumber("offset"), scrollTop: box ? box.scrollTop : 0, keep: headers[WINDOW_HEADER] === WINDOW_SCROLL, cursor: listNumber("cursor") };
  });
  document.addEventListener("htmx:afterSwap", afterSwap);
  // A request that fails ends the wait (feedback.ts shows why): the keys go on working on the window shown. A
  // request replaced by a newer read (hx-sync) is aborted, not failed: the newer one brings the window.
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = (event as CustomEvent<HtmxEventDetail>).detail.xhr;
    if (xhr && xhr.status >= 400) dropWaiting();
  });
  document.addEventListener("htmx:sendError", dropWaiting);
  document.addEventListener("htmx:timeout", dropWaiting);
  window.addEventListener("resize", layout);
  // Back and Forward bring the page from the server again (htmx keeps no history cache): lay it out as on load.
  document.addEventListener("htmx:historyRestore", () => {
    dropWaiting();
    start();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  return {
    setCursor,
    followSession(sessionId) {
      pendingSessionId = sessionId;
    },
    whenReady,
    refresh() {
      if (list()) loadWindow(listNumber("offset"), null);
    },
    showFirst() {
      if (!list()) return;
      const box = viewport();
      if (box) box.scrollTop = 0;
      clearTimeout(scrollTimer);
      dropWaiting();
      pendingCursor = 0;
      loadWindow(0, 0, { anchored: false });
    },
  };
}
