// Run by the package-exports test with plain Node: imports the built package by name, as a user's app would.
import express from "express";
import session from "express-session";
import * as pkg from "express-workflow-sessions";

const store = await pkg.createWorkflowStore({ filename: ":memory:" });
const id = await store.createSession("flow", { label: "from consumer" });
const app = express();
app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
app.use(pkg.createSessionManager({ store, flowId: "flow" }));
const server = app.listen(0, "127.0.0.1", async () => {
  const { port } = server.address();
  const html = await (await fetch(`http://127.0.0.1:${port}/manage/sessions`)).text();
  const css = await fetch(`http://127.0.0.1:${port}/manage/sessions/assets/app.css`);
  console.log(JSON.stringify({ exports: Object.keys(pkg).sort(), listed: html.includes(id) && html.includes("from consumer"), css: css.status }));
  server.close();
  await store.close();
});
