// A CommonJS host app, run by the package tests with plain Node: it require()s the built package by name (Node
// 20.19+ loads its ES modules synchronously), mounts it on the host's own Express (4 or 5, whichever the folder it
// runs from resolves), and goes through the page, each action, an htmx fragment and a refused request. Prints one
// JSON line of what it saw.
"use strict";
const express = require("express");
const session = require("express-session");
const { createSessionManager, createWorkflowStore } = require("express-workflow-sessions");

async function main() {
  const store = await createWorkflowStore({ filename: ":memory:" });
  const manager = createSessionManager({ store, flowId: "flow", workflowUrl: "/workflow" });
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use(manager);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${server.address().port}/manage/sessions`;
  try {
    const page = await fetch(base);
    const html = await page.text();
    const cookie = page.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "";
    const post = (path, fields) =>
      fetch(`${base}/${path}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: token, ...fields }).toString(),
      });
    const created = await post("create", { label: "From a CommonJS host" });
    const [summary] = await store.listSessions("flow");
    const listed = await (await fetch(base, { headers: { cookie } })).text();
    const sessionId = summary?.sessionId ?? "";
    const resumed = await post("resume", { session_id: sessionId });
    const renamed = await post("rename", { session_id: sessionId, label: "Renamed" });
    const fragment = await fetch(`${base}/list`, { headers: { cookie, "hx-request": "true" } });
    const fragmentHtml = await fragment.text();
    const forged = await post("delete", { session_id: sessionId, _csrf: "forged" });
    const deleted = await post("delete", { session_id: sessionId });
    // A handler that rejects (no such session any more) must reach the error handler on Express 4 too.
    const vanished = await post("resume", { session_id: sessionId });
    const htmx = await fetch(`${base}/assets/htmx.min.js`);
    console.log(
      JSON.stringify({
        express: require("express/package.json").version,
        // The manager's router is one of the host's Express: no second copy inside the package.
        hostRouter: manager.handle === express.Router().handle,
        page: page.status,
        created: created.status,
        listed: listed.includes("From a CommonJS host"),
        resumed: [resumed.status, resumed.headers.get("location")],
        renamed: renamed.status,
        fragment: [fragment.status, fragmentHtml.includes("Renamed") && !fragmentHtml.includes("<html")],
        forged: forged.status,
        deleted: [deleted.status, (await store.sessionExists("flow", sessionId))],
        vanished: vanished.status,
        htmx: htmx.status,
      }),
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
