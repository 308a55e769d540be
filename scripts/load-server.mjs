// The server `npm run load` drives: the session manager over one SQLite file, in its own process so that the load
// script can SIGKILL it. Each virtual user is an owner (X-Load-User) with its own express-session; GET /active tells
// a user which session is active after a create or a delete. Prints {"port":…} once it listens.
import express from "express";
import session from "express-session";
import { createSessionManager, createWorkflowStore } from "express-workflow-sessions";

const [file] = process.argv.slice(2);
const store = await createWorkflowStore({ filename: file, fileMustExist: false });
const app = express();
app.use(session({ secret: "load test", resave: false, saveUninitialized: false }));
app.use(
  createSessionManager({
    store,
    flowId: "load_flow",
    workflowUrl: "/workflow",
    owner: (req) => req.get("X-Load-User"),
    logger: { warn: () => {}, error: (message, error) => console.error(message, error) },
  }),
);
app.get("/active", (req, res) => res.json({ activeSessionId: req.session.activeSessionId ?? null }));
const server = app.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
server.keepAliveTimeout = 60_000;
process.on("SIGTERM", () => server.close(() => store.close().then(() => process.exit(0))));
