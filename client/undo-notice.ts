// Notices that say how long they stay (`data-timeout`, the Undo notice: 10 s): each stays until it is dismissed or
// its time has passed, and the countdown pauses while the notice has hover or focus (WCAG 2.2.1, timing
// adjustable), so nobody loses the Undo while reaching for it. The client adds the Dismiss button (Escape inside
// the notice does the same); the Undo form itself is the server's.
import { ATTRS } from "../views/dom-contract.js";

/** How long a notice stays when its `data-timeout` is not a number of seconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The class of the Dismiss button the client adds to each such notice. */
export const DISMISS_CLASS = "ews-dismiss";

const armed = new WeakSet<HTMLElement>();

// Takes the notice away; focus inside it goes to the list's cursor row's first button, or nowhere.
function dismiss(notice: HTMLElement): void {
  const hadFocus = notice.contains(document.activeElement);
  notice.remove();
  if (!hadFocus) return;
  document.querySelector<HTMLElement>('#ews-list tr[aria-selected="true"] button')?.focus();
}

function arm(notice: HTMLElement): void {
  if (armed.has(notice)) return;
  armed.add(notice);
  const seconds = Number(notice.getAttribute(ATTRS.noticeTimeout));
  let remaining = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_TIMEOUT_MS;
  let startedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let hovered = notice.matches(":hover");
  let focused = notice.contains(document.activeElement);
  const run = () => {
    if (hovered || focused || timer !== undefined || !notice.isConnected) return;
    startedAt = Date.now();
    timer = setTimeout(() => dismiss(notice), remaining);
  };
  const pause = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    remaining = Math.max(0, remaining - (Date.now() - startedAt));
  };
  notice.addEventListener("mouseenter", () => {
    hovered = true;
    pause();
  });
  notice.addEventListener("mouseleave", () => {
    hovered = false;
    run();
  });
  notice.addEventListener("focusin", () => {
    focused = true;
    pause();
  });
  notice.addEventListener("focusout", (event) => {
    if (event.relatedTarget instanceof Node && notice.contains(event.relatedTarget)) return;
    focused = false;
    run();
  });
  notice.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    dismiss(notice);
  });
  if (!notice.querySelector(`.${DISMISS_CLASS}`)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `btn btn-ghost btn-sm ${DISMISS_CLASS}`;
    button.textContent = "Dismiss";
    button.addEventListener("click", () => dismiss(notice));
    notice.append(button);
  }
  run();
}

function armAll(): void {
  document.querySelectorAll<HTMLElement>(`.ews-notice[${ATTRS.noticeTimeout}]`).forEach(arm);
}

/** Starts the countdown of every notice with a `data-timeout`, on load and after each swap. */
export function initUndoNotices(): void {
  document.addEventListener("htmx:afterSettle", armAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", armAll);
  else armAll();
}
