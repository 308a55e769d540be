import { html } from "@lit-labs/ssr";
import { nothing } from "lit-html";
import type { LayoutViewData } from "./view-data.js";

// The <meta name="htmx-config"> keeps htmx from injecting inline styles and from evaluating strings as code.
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false, historyCacheSize: 0 });

/**
 * The HTML document around the manager page: head, assets and body. The assets are linked by their content-hashed
 * URLs (`urls.assetUrls`), which browsers cache for a year; without them, by their plain names.
 */
export function layoutView({ title, urls, content, csrfToken }: LayoutViewData) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="htmx-config" content=${HTMX_CONFIG} />
    ${csrfToken ? html`<meta name="csrf-token" content=${csrfToken} />` : nothing}
    <title>${title}</title>
    <link rel="stylesheet" href=${urls.assetUrls?.styles ?? `${urls.assets}/app.css`} />
    <script src=${urls.assetUrls?.htmx ?? `${urls.assets}/htmx.min.js`} defer></script>
    ${urls.events ? html`<script src=${urls.assetUrls?.sse ?? `${urls.assets}/sse.min.js`} defer></script>` : nothing}
    <script src=${urls.assetUrls?.client ?? `${urls.assets}/client.js`} defer></script>
  </head>
  <body class="min-h-screen bg-base-200 text-base-content" hx-headers=${csrfToken ? JSON.stringify({ "X-CSRF-Token": csrfToken }) : nothing}>
    ${content}
  </body>
</html>`;
}
