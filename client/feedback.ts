// Feedback from requests: error answers are alert fragments, shown in the open dialog that sent the request (the
// rest of the page is inert behind a modal) or else in the notices area, never in place of the list; a request that
// cannot reach the server says so; notices fade out after a few seconds, errors stay until the next action.
import { ATTRS, IDS, ROLES } from "../views/dom-contract.js";
import { byRole } from "./dom.js";

const NOTICE_LIFETIME_MS = 4000;
const UNREACHABLE = "The server could not be reached. Check your connection and try again.";

/** Starts the feedback: htmx's response handling sends error answers to the notices area, dialogs take their own. */
export function initFeedback(): void {
  const htmx = window.htmx;
  // Without a notices area htmx would fail to retarget: then error answers keep htmx's default (not swapped).
  if (htmx && document.getElementById(IDS.alerts)) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: false, target: `#${IDS.alerts}`, swapOverride: "innerHTML" },
    ];
  }
  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = (event as CustomEvent<HtmxEventDetail>).detail;
    if (!detail.xhr || detail.xhr.status < 400) return;
    const dialog = detail.requestConfig?.elt.closest("dialog[open]");
    const target = dialog ? byRole(ROLES.dialogError, dialog) : null;
    if (!target) return;
    detail.shouldSwap = true;
    detail.isError = false;
    detail.target = target;
    detail.swapOverride = "innerHTML";
  });
  document.addEventListener("htmx:sendError", () => {
    const alerts = document.getElementById(IDS.alerts);
    if (!alerts) return;
    const box = document.createElement("div");
    box.className = "alert alert-error ews-notice";
    box.setAttribute("role", "alert");
    box.textContent = UNREACHABLE;
    alerts.replaceChildren(box);
  });
  document.addEventListener("htmx:afterSettle", () => {
    // A notice that offers Undo keeps its own countdown (undo-notice.ts).
    const undo = `:not([${ATTRS.noticeTimeout}])`;
    document.querySelectorAll(`.ews-notice[data-kind=success]${undo}, .ews-notice[data-kind=info]${undo}`).forEach((notice) => {
      setTimeout(() => notice.remove(), NOTICE_LIFETIME_MS);
    });
  });
}
