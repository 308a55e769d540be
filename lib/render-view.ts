import { render } from "@lit-labs/ssr";
import { collectResultSync } from "@lit-labs/ssr/lib/render-result.js";
import { renderTemplateToString, UnsupportedTemplateError } from "./template-renderer.js";

/**
 * Renders a view's template to an HTML string. Server-only templates (`html` from `@lit-labs/ssr`, as every built-in
 * view is) take the fast string renderer; a template it does not handle (a directive, a hydratable `lit-html`
 * template) is rendered by @lit-labs/ssr instead, with the same output. Views are synchronous, so no promise is
 * ever awaited here.
 */
export function renderView(template: unknown): string {
  try {
    return renderTemplateToString(template);
  } catch (error) {
    if (!(error instanceof UnsupportedTemplateError)) throw error;
    return collectResultSync(render(template));
  }
}
