// Run by faults.test.ts as an unprivileged user, so that the file's permissions are what make it read-only: opens the
// store as a host would (no readonly option), then lists, renames and creates over HTTP and prints the answers.
import express from "express";
import session from "express-session";
import { createSessionManager, createWorkflowStore } from "express-workflow-sessions";

const [file, sessionId] = process.argv.slice(2);
const store = await createWorkflowStore({ filename: file });
const app = express();
app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
app.use(createSessionManager({ store, flowId: "structure_decomposition", logger: { warn() {}, error() {} } }));
const server = app.listen(0, "127.0.0.1", async () => {
  const base = `http://127.0.0.1:${server.address().port}/manage/sessions`;
  const page = await fetch(base);
  const cookie = page.headers.get("set-cookie").split(";")[0];
  const html = await page.text();
  const token = /<meta name="csrf-token" content="([^"]+)"/.exec(html)[1];
  const post = (route, body) =>
    fetch(`${base}/${route}`, {
      method: "POST",
      headers: { cookie, "X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(body),
      redirect: "manual",
    });
  const rename = await post("rename", { session_id: sessionId, label: "changed" });
  const create = await post("create", {});
  console.log(
    JSON.stringify({
      list: page.status,
      rows: html.match(/<tr\s[^>]*data-session-id=/g)?.length ?? 0,
      rename: rename.status,
      renameBody: await rename.json(),
      create: create.status,
    }),
  );
  server.close();
  await store.close();
});
