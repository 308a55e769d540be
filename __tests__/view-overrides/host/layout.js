// A host's layout: its own navigation around the built-in document's body.
import { html } from "@lit-labs/ssr";

/**
 * @param {import("../../../lib/index.js").LayoutViewData} data
 * @param {import("../../../lib/index.js").ViewContext} context
 */
export default function layout(data, context) {
  return context.builtIn.layout({ ...data, content: html`<nav data-role="host-nav"><a href="/">${data.title} · Host app</a></nav>${data.content}` }, context);
}
