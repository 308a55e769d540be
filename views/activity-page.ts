import { html } from "@lit-labs/ssr";
import type { ActivityPageViewData } from "./view-data.js";
import type { ViewContext } from "./view-types.js";

/**
 * The activity log's page body: a heading (the session's label for one session's history), a link back to the
 * sessions and, for one session, to the whole log, then the list from `context.views.activityList`, so its override
 * applies. `#ews-main` is that of the manager page.
 */
export function activityPageView(data: ActivityPageViewData, context: ViewContext) {
  const { urls, sessionId, events } = data;
  // The newest event's label: for a rename, the label it gave.
  const newest = events[0];
  const label = newest && (newest.action === "rename" ? newest.after : newest.label);
  return html`<div class="mx-auto flex max-w-6xl flex-col gap-4 p-4 md:p-8">
    <header class="flex flex-wrap items-center gap-3">
      <h1 class="text-2xl font-bold">${sessionId === undefined ? "Activity" : html`History of <span class="break-all">${label ?? sessionId}</span>`}</h1>
      <nav class="ms-auto flex gap-2" aria-label="Activity">
        ${sessionId === undefined ? "" : html`<a href=${urls.activity} class="btn btn-ghost btn-sm">All activity</a>`}
        <a href=${urls.page} class="btn btn-ghost btn-sm">Back to ${data.title}</a>
      </nav>
    </header>
    <main id="ews-main" class="flex flex-col gap-4">${context.views.activityList(data, context)}</main>
  </div>`;
}
