import { html } from "@lit-labs/ssr";
export default () => html`<tr></tr>`;
