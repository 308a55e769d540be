// Compiled by the package-exports test as a TypeScript user's app would be: only the package's public entry point.
import express from "express";
import session from "express-session";
import { html } from "@lit-labs/ssr";
import {
  createSessionManager,
  createWorkflowStore,
  loadViewOverrides,
  type RowViewData,
  type SessionManagerOptions,
  type View,
  type ViewOverrides,
} from "express-workflow-sessions";

// A typed override, as a host's views/row.ts would default-export it.
const row: View<RowViewData> = ({ item }) => html`<tr data-session-id=${item.sessionId}><td>${item.displayLabel}</td></tr>`;

/** Loads a host's folder of overrides before the server starts, so a broken file stops the start. */
export function hostViews(): Promise<ViewOverrides> {
  return loadViewOverrides(new URL("./session-views/", import.meta.url));
}

export async function build(): Promise<express.Express> {
  const store = await createWorkflowStore({ filename: ":memory:" });
  const options: SessionManagerOptions = {
    store,
    flowId: "structure_decomposition",
    workflowUrl: "/workflow",
    columns: [{ field: "sources", header: "Sources" }],
    enrich: (state) => ({ sources: String(Object.keys(state).length) }),
    label: (summary) => summary.sessionId.slice(0, 8),
    stepTitle: (stepId) => stepId.toUpperCase(),
    views: { row, layout: (data, context) => context.builtIn.layout({ ...data, content: html`<nav>Host</nav>${data.content}` }, context) },
  };
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  const manager = createSessionManager(options);
  app.use("/admin", manager);
  app.get("/dashboard", async (req, res, next) => {
    try {
      res.type("html").send(`<main>${await manager.renderList(req, { mountPath: "/admin" })}</main>`);
    } catch (error) {
      next(error);
    }
  });
  app.get("/workflow", async (req, res) => {
    const id: string | undefined = req.session.activeSessionId;
    res.json(id ? await store.getState("structure_decomposition", id) : {});
  });
  return app;
}
