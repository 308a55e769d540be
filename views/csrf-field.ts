import { html } from "@lit-labs/ssr";

/** The hidden `_csrf` field every POST form carries, so forms work without htmx too. */
export function csrfFieldView(csrfToken: string) {
  return html`<input type="hidden" name="_csrf" value=${csrfToken} />`;
}
