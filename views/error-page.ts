import { html } from "@lit-labs/ssr";
import { icons } from "./icons.js";
import type { ErrorPageViewData } from "./view-data.js";

/** The body shown for an error outside htmx: the message and a way back. */
export function errorPageView({ status, message, backUrl }: ErrorPageViewData) {
  return html`<main class="mx-auto flex max-w-xl flex-col gap-4 p-8">
    <div class="alert alert-error" role="alert">${icons.alert("size-5")}<span>${message}</span></div>
    <p class="text-sm opacity-70">Error ${status}.</p>
    <a class="btn btn-primary self-start" href=${backUrl}>Back to sessions</a>
  </main>`;
}
