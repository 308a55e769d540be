import { render } from "@lit-labs/ssr";
import { collectResultSync } from "@lit-labs/ssr/lib/render-result.js";

/** Renders a view's template to an HTML string. Views are synchronous, so no promise is ever awaited here. */
export function renderView(template: unknown): string {
  return collectResultSync(render(template));
}
