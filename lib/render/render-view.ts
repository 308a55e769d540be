import { render } from "@lit-labs/ssr";
import { collectResultSync } from "@lit-labs/ssr/lib/render-result.js";
import { assertTemplatesReadable, renderTemplateToChunks, renderTemplateToString, UnsupportedTemplateError } from "./template-renderer.js";

/**
 * Renders a view's template to an HTML string. Templates from `html` of `@lit-labs/ssr` (as every built-in view is)
 * or of `lit-html` take the fast string renderer, which gives @lit-labs/ssr's output (without the hydration comments
 * @lit-labs/ssr adds to a `lit-html` template). A template it does not handle (a directive, a custom element) is
 * rendered by @lit-labs/ssr instead; a template whose bindings the HTML parser and lit-html place differently is
 * refused, by neither. Views are synchronous, so no promise is ever awaited here.
 */
export function renderView(template: unknown): string {
  try {
    return renderTemplateToString(template);
  } catch (error) {
    if (!(error instanceof UnsupportedTemplateError)) throw error;
    assertTemplatesReadable(template);
    return collectResultSync(render(template));
  }
}

/**
 * Renders a view's template as {@link renderView} does, to its UTF-8 bytes in chunks (what a response sends), without
 * joining it into one string first: the way a page or list of many rows goes out.
 */
export function renderViewToChunks(template: unknown): Buffer[] {
  try {
    return renderTemplateToChunks(template);
  } catch (error) {
    if (!(error instanceof UnsupportedTemplateError)) throw error;
    assertTemplatesReadable(template);
    return [Buffer.from(collectResultSync(render(template)))];
  }
}
