// Run by postgres-restart.test.ts: the package as a host uses it (built, imported by name) over a PostgreSQL
// connection string, serving the manager on 127.0.0.1. Prints `{"port":…}` once it listens; on a line "exit" on stdin
// closes the server and the store and exits 0. Any unhandled 'error' event would end the process early, which is
// what the test watches for.
import express from "express";
import session from "express-session";
import { createSessionManager, createWorkflowStore } from "express-workflow-sessions";

const [connectionString] = process.argv.slice(2);
const store = await createWorkflowStore({ connectionString });
const app = express();
app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
app.use(createSessionManager({ store, flowId: "structure_decomposition", logger: { warn() {}, error: console.error } }));
const server = app.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.setEncoding("utf8");
process.stdin.on("data", async (line) => {
  if (!line.includes("exit")) return;
  server.closeAllConnections();
  server.close();
  await store.close();
  process.exit(0);
});
