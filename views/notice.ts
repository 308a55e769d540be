import { html } from "@lit-labs/ssr";
import { nothing } from "lit-html";
import { icons } from "./icons.js";
import type { Notice } from "./view-data.js";
import type { ViewContext } from "./view-types.js";
import { IDS } from "./dom-contract.js";

const ALERT_CLASS: Record<Notice["kind"], string> = {
  success: "alert alert-success",
  error: "alert alert-error",
  info: "alert alert-info",
};

/**
 * One dismissible message, as a DaisyUI alert. Errors are announced assertively, the rest politely. A notice with an
 * `action` offers it as a real form button (e.g. Resume after a duplicate), which works without JavaScript.
 */
export function noticeView({ kind, message, action }: Notice) {
  return html`<div class=${`${ALERT_CLASS[kind]} ews-notice shadow-sm`} role=${kind === "error" ? "alert" : "status"} data-kind=${kind}>
    ${kind === "error" ? icons.alert("size-5") : icons.check("size-5")}
    <span>${message}</span>
    ${action
      ? html`<form method="post" action=${action.url} class="inline">${Object.entries(action.fields).map(([name, value]) => html`<input type="hidden" name=${name} value=${value} />`)}<button type="submit" class="btn btn-sm" data-action="notice-action">${action.label}</button></form>`
      : ""}
  </div>`;
}

/**
 * The notices area, `#ews-alerts`; with `oob` it replaces the page's one out of band during an htmx swap. The notice
 * inside comes from `context.views.notice`.
 */
export function noticesView({ notice, oob = false }: { notice?: Notice | undefined; oob?: boolean }, context: ViewContext) {
  return html`<div id=${IDS.alerts} class="toast toast-end z-50" aria-live="polite" hx-swap-oob=${oob ? "true" : nothing}>
    ${notice ? context.views.notice(notice, context) : ""}
  </div>`;
}
