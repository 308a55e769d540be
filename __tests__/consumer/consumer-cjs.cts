// Compiled by the package-exports test as a CommonJS TypeScript app would be (a .cts file under module nodenext):
// TypeScript must accept the require() of the package and type what it gives.
import express = require("express");
import session = require("express-session");
import workflowSessions = require("express-workflow-sessions");

export async function build(): Promise<express.Express> {
  const store: workflowSessions.WorkflowStore = await workflowSessions.createWorkflowStore({ filename: ":memory:" });
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use(workflowSessions.createSessionManager({ store, flowId: "structure_decomposition", workflowUrl: "/workflow" }));
  app.get("/workflow", async (req, res) => {
    const id: string | undefined = req.session.activeSessionId;
    res.json(id ? await store.getState("structure_decomposition", id) : {});
  });
  return app;
}
