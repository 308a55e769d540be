// Compiled by the package-exports test as a TypeScript user's app would be: only the package's public entry point.
import express from "express";
import session from "express-session";
import { createSessionManager, createWorkflowStore, type SessionManagerOptions } from "express-workflow-sessions";

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
  };
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use(createSessionManager(options));
  app.get("/workflow", async (req, res) => {
    const id: string | undefined = req.session.activeSessionId;
    res.json(id ? await store.getState("structure_decomposition", id) : {});
  });
  return app;
}
