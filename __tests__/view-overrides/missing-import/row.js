import { html } from "./no-such-helper.js";
export default () => html`<tr></tr>`;
