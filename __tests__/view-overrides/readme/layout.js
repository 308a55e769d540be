// session-views/layout.js: your navigation around the built-in document, which keeps the assets, the CSRF meta
// and htmx's headers.
import { html } from "@lit-labs/ssr";

/**
 * @param {import("express-workflow-sessions").LayoutViewData} data
 * @param {import("express-workflow-sessions").ViewContext} context
 */
export default function layout(data, context) {
  return context.builtIn.layout({ ...data, content: html`<nav class="navbar bg-base-100"><a class="btn btn-ghost" href="/">My app</a></nav>${data.content}` }, context);
}
