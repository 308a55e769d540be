import { html } from "@lit-labs/ssr";
export default function empty( {
  return html`<p>nothing</p>`;
}
