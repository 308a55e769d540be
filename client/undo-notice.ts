// The Undo notice: it stays until it is dismissed or UNDO_LIFETIME_MS have passed, and the countdown pauses while the
// notice has hover or focus (WCAG 2.2.1, timing adjustable), so nobody loses the Undo while reaching for it.
import { ACTIONS, ATTRS, ROLES } from "../views/dom-contract.js";
import { elementOf } from "./dom.js";

/** How long an Undo notice stays when nobody hovers or focuses it. */
export const UNDO_LIFETIME_MS = 10_000;

const armed = new WeakSet<HTMLElement>();

function arm(notice: HTMLElement): void {
  if (armed.has(notice)) return;
  armed.add(notice);
  let remaining = UNDO_LIFETIME_MS;
  let startedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let hovered = false;
  let focused = notice.contains(document.activeElement);
  const run = () => {
    if (hovered || focused || timer !== undefined) return;
    startedAt = Date.now();
    timer = setTimeout(() => notice.remove(), remaining);
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
  run();
}

function armAll(): void {
  document.querySelectorAll<HTMLElement>(`[${ATTRS.role}="${ROLES.undoNotice}"]`).forEach(arm);
}

/** Starts the countdown of every Undo notice the page shows, on load and after each swap. */
export function initUndoNotices(): void {
  document.addEventListener("click", (event) => {
    const button = elementOf(event.target)?.closest<HTMLElement>(`[${ATTRS.action}="${ACTIONS.dismiss}"]`);
    const notice = button?.closest<HTMLElement>(`[${ATTRS.role}="${ROLES.undoNotice}"]`);
    if (!button || !notice) return;
    event.preventDefault();
    notice.remove();
  });
  document.addEventListener("htmx:afterSettle", armAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", armAll);
  else armAll();
}
