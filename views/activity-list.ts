import { html } from "@lit-labs/ssr";
import type { ActivityAction } from "../lib/session-types.js";
import { formatAbsoluteTime, formatRelativeTime } from "./format.js";
import type { ActivityListViewData } from "./view-data.js";

/** What each action says in the log. */
const ACTION_TEXT: Readonly<Record<ActivityAction, string>> = {
  create: "Created",
  duplicate: "Duplicated",
  import: "Imported",
  rename: "Renamed",
  delete: "Deleted",
  restore: "Restored",
  purge: "Deleted forever",
  resume: "Resumed",
  pin: "Pinned",
  unpin: "Unpinned",
  tag: "Tagged",
};

// A tag event's set after it, as stored ("a, b"), or that it cleared them.
const tagsText = (value: string | null) => (value ? html`<span class="break-all">${value}</span>` : html`<span class="opacity-60">no tags</span>`);

const quoted = (value: string | null) => (value === null ? html`<span class="opacity-60">no label</span>` : html`“<span class="break-all">${value}</span>”`);

/**
 * The activity log's list, `#ews-activity`: one window of events, newest first (when, what, which session, with
 * the label then; a rename's before and after), each session a link to its own history, and "Older" to the next
 * window (a plain link, by keyset, so it works without JavaScript).
 */
export function activityListView({ events, sessionId, next, continued, urls, now }: ActivityListViewData) {
  const base = urls.activity ?? "";
  const history = (id: string) => `${base}?session_id=${encodeURIComponent(id)}`;
  const olderUrl = next === undefined ? undefined : `${base}?${sessionId === undefined ? "" : `session_id=${encodeURIComponent(sessionId)}&`}cursor=${encodeURIComponent(next)}`;
  return html`<section id="ews-activity" class="card bg-base-100 shadow-sm" aria-label="Activity" data-count=${events.length}>
    ${events.length === 0
      ? html`<p class="p-8 text-center opacity-70" data-role="activity-empty">${continued ? "No older activity." : "No activity yet."}</p>`
      : html`<table class="table">
          <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Session</th></tr></thead>
          <tbody>
            ${events.map(
              (event) => html`<tr data-event-id=${event.id} data-action-name=${event.action}>
                <td class="whitespace-nowrap"><time datetime=${event.at ? event.at.toISOString() : ""} title=${formatAbsoluteTime(event.at)}>${formatRelativeTime(event.at, now)}</time></td>
                <td>${ACTION_TEXT[event.action] ?? event.action}${event.action === "rename" ? html` from ${quoted(event.before)} to ${quoted(event.after)}` : event.action === "tag" ? html`: ${tagsText(event.after)}` : ""}</td>
                <td class="min-w-0">${sessionId === undefined
                  ? html`<a class="link break-all" href=${history(event.sessionId)}>${event.label ?? event.sessionId}</a>`
                  : html`<span class="break-all">${event.label ?? event.sessionId}</span>`}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
    ${olderUrl === undefined ? "" : html`<footer class="p-4 text-sm"><a class="btn btn-sm" href=${olderUrl} data-role="older">Older</a></footer>`}
  </section>`;
}
