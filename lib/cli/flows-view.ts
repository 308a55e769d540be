import { html, render } from "@lit-labs/ssr";
import { collectResultSync } from "@lit-labs/ssr/lib/render-result.js";
import type { FlowCount } from "../index.js";

/** What the flows page shows. */
export interface FlowsPageData {
  /** The database, as given on the command line (a connection string without its password). */
  database: string;
  flows: readonly FlowCount[];
  /** The manager page of a flow. */
  flowUrl: (flowId: string) => string;
  /** The stylesheet's URL. */
  stylesUrl: string;
}

/** The `serve` command's front page, without `--flow`: each flow of the database, its session count and a link to its manager. */
export function flowsPageView({ database, flows, flowUrl, stylesUrl }: FlowsPageData) {
  const total = flows.reduce((sum, flow) => sum + flow.sessions, 0);
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Flows · ${database}</title>
    <link rel="stylesheet" href=${stylesUrl} />
  </head>
  <body class="min-h-screen bg-base-200 text-base-content">
    <main class="mx-auto max-w-3xl p-4 sm:p-8">
      <h1 class="text-2xl font-semibold">Flows</h1>
      <p class="mt-1 text-sm opacity-70">${database}: ${flows.length === 1 ? "1 flow" : `${flows.length} flows`}, ${total === 1 ? "1 session" : `${total} sessions`}</p>
      ${flows.length === 0
        ? html`<p class="mt-8 text-center opacity-70" data-role="empty">This database has no sessions yet.</p>`
        : html`<div class="mt-6 overflow-x-auto rounded-box bg-base-100 shadow-sm">
            <table class="table">
              <thead><tr><th scope="col">Flow</th><th scope="col" class="text-right">Sessions</th></tr></thead>
              <tbody>
                ${flows.map(
                  (flow) => html`<tr data-flow-id=${flow.flowId}>
                    <th scope="row"><a class="link link-primary" href=${flowUrl(flow.flowId)}>${flow.flowId}</a></th>
                    <td class="text-right tabular-nums">${flow.sessions.toLocaleString("en-US")}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </main>
  </body>
</html>`;
}

/** The flows page as an HTML string. */
export function renderFlowsPage(data: FlowsPageData): string {
  return collectResultSync(render(flowsPageView(data)));
}
