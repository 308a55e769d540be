import { html } from "@lit-labs/ssr";
import { nothing } from "lit-html";
import { icons } from "./icons.js";
import type { Notice } from "./view-data.js";
import type { ViewContext } from "./view-types.js";
import { IDS } from "./dom-contract.js";
import { csrfFieldView } from "./csrf-field.js";

const ALERT_CLASS: Record<Notice["kind"], string> = {
  success: "alert alert-success",
  error: "alert alert-error",
  info: "alert alert-info",
};

/**
 * One dismissible message, as a DaisyUI alert. Errors are announced assertively, the rest politely. After a delete
 * into the trash it carries the Undo form: a real submit button in a form that posts `restore` with the exact ids
 * (or the delete's `batch`), so it works from the keyboard and without JavaScript; such a notice says
 * `data-timeout="10"`, the seconds the client keeps it (paused while it has hover or focus).
 */
export function noticeView({ kind, message, undo }: Notice) {
  return html`<div class=${`${ALERT_CLASS[kind]} ews-notice shadow-sm`} role=${kind === "error" ? "alert" : "status"} data-kind=${kind} data-timeout=${undo ? "10" : nothing}>
    ${kind === "error" ? icons.alert("size-5") : icons.check("size-5")}
    <span>${message}</span>
    ${undo
      ? html`<form method="post" action=${undo.url} data-role="undo-form" hx-post=${undo.url} hx-target="#ews-list" hx-swap="outerHTML" hx-disabled-elt="find button">
          ${csrfFieldView(undo.csrfToken)}${undo.sessionIds.map((id) => html`<input type="hidden" name="session_id" value=${id} />`)}${undo.batch
            ? html`<input type="hidden" name="batch" value=${undo.batch} />`
            : nothing}
          <button type="submit" class="btn btn-sm" data-action="undo">Undo</button>
        </form>`
      : nothing}
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
