import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import express from "express";
import session from "express-session";
import request from "supertest";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import { ConfigurationError } from "../lib/errors.js";
import { loadViewOverrides } from "../lib/render/view-overrides.js";
import { html } from "@lit-labs/ssr";
import { buildApp, csrfAgent, csrfTokenIn, FLOW, openStore, recordingLogger, ROOT, rowIds, tempDir, visitor, decoded } from "./helpers.js";

const FOLDERS = join(ROOT, "__tests__", "view-overrides");
const HOST = join(FOLDERS, "host");
const HOSTILE = `<script>alert("x")</script>"><img src=x onerror=alert(1)>`;

describe("the views option", () => {
  describe("given a folder with row.js and layout.js", () => {
    it("renders the host's rows inside the page's list", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { label: "Lecture 1" });
      const res = await visitor(buildApp({ store, views: HOST })).get("/manage/sessions").expect(200);
      expect(res.text).toContain(`<tr class="host-row" data-session-id="${id}"`);
      expect(res.text).toContain(`<strong class="host-label">Lecture 1</strong>`);
      expect(res.text).not.toContain('class="ews-row"');
    });

    it("renders the host's rows in the list fragment, including the one htmx gets back after an action", async () => {
      const store = await openStore();
      await store.createSession(FLOW, { label: "Lecture 1" });
      const app = buildApp({ store, views: HOST });
      const agent = await csrfAgent(app);
      const list = await agent.get("/manage/sessions/list").expect(200);
      expect(list.text).toContain('<tr class="host-row"');
      const created = await agent.post("/manage/sessions/create").set("HX-Request", "true").type("form").send({ label: "Lecture 2" }).expect(200);
      expect(created.text.match(/class="host-row"/g)).toHaveLength(2);
      expect(created.text).toContain("Lecture 2</strong> <em>(current)</em>");
    });

    it("wraps the page in the host's layout, which keeps the built-in document around its navigation", async () => {
      const store = await openStore();
      const res = await visitor(buildApp({ store, views: HOST, title: "My sessions" })).get("/manage/sessions").expect(200);
      expect(res.text).toMatch(/^<!doctype html>/);
      expect(decoded(res.text)).toContain('<nav data-role="host-nav"><a href="/">My sessions · Host app</a></nav>');
      expect(res.text.indexOf('data-role="host-nav"')).toBeLessThan(res.text.indexOf('id="ews-list"'));
      expect(csrfTokenIn(res.text)).not.toBe("");
    });

    it("wraps the error page in the host's layout too", async () => {
      const store = await openStore();
      const res = await visitor(buildApp({ store, views: HOST })).delete("/manage/sessions").expect(405);
      expect(res.text).toContain('data-role="host-nav"');
      expect(res.text).toContain("Back to sessions");
    });

    it("keeps the built-in views it does not override", async () => {
      const store = await openStore();
      const res = await visitor(buildApp({ store, views: HOST })).get("/manage/sessions").expect(200);
      expect(res.text).toContain('data-action="create"');
      expect(res.text).toContain('id="ews-rename-dialog"');
      expect(res.text).toContain("No sessions yet");
    });

    it("escapes stored labels inside an override that uses html", async () => {
      const store = await openStore();
      await store.createSession(FLOW, { label: HOSTILE });
      const res = await visitor(buildApp({ store, views: HOST })).get("/manage/sessions").expect(200);
      expect(res.text).not.toContain("<script>alert");
      expect(res.text).not.toContain("<img src=x");
      expect(res.text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</strong>");
    });

    it("accepts the folder as a file: URL", async () => {
      const store = await openStore();
      await store.createSession(FLOW);
      const res = await visitor(buildApp({ store, views: pathToFileURL(`${HOST}/`) })).get("/manage/sessions/list").expect(200);
      expect(res.text).toContain('class="host-row"');
    });
  });

  describe("given the result of loadViewOverrides()", () => {
    it("loads the files named after views, and ignores sub-folders and other extensions", async () => {
      const overrides = await loadViewOverrides(HOST);
      expect(Object.keys(overrides).sort()).toEqual(["layout", "row"]);
    });

    it("renders with them from the first request", async () => {
      const store = await openStore();
      await store.createSession(FLOW);
      const res = await visitor(buildApp({ store, views: await loadViewOverrides(HOST) })).get("/manage/sessions").expect(200);
      expect(res.text).toContain('class="host-row"');
      expect(res.text).toContain('data-role="host-nav"');
    });
  });

  describe("given an object of functions", () => {
    it("renders with them, and an override can call the built-in view", async () => {
      const store = await openStore();
      const app = buildApp({
        store,
        views: { empty: () => "Nothing <here> yet", layout: (data, { builtIn }) => builtIn.layout({ ...data, title: `${data.title} (custom)` }, { views: builtIn, builtIn }) },
      });
      const res = await visitor(app).get("/manage/sessions").expect(200);
      expect(res.text).toContain("<title>Sessions (custom)</title>");
      expect(res.text).toContain("Nothing &lt;here&gt; yet");
    });

    it("renders the trash page, its list and its rows with trashPage, trashList and trashRow, each wrapping the built-in", async () => {
      const store = await openStore("workflow_state.db");
      const [trashed] = await store.listSessions(FLOW, { limit: 1 });
      await store.trashSessions(FLOW, [trashed!.sessionId]);
      const app = buildApp({
        store,
        views: {
          trashPage: (data, context) => html`<p data-host="trash-page">${data.title}</p>${context.builtIn.trashPage(data, context)}`,
          trashList: (data, context) => html`<div data-host="trash-list">${data.page.total}</div>${context.builtIn.trashList(data, context)}`,
          trashRow: (data, context) => html`<!-- host row -->${context.builtIn.trashRow({ ...data, item: { ...data.item, displayLabel: `Host ${data.item.sessionId}` } }, context)}`,
        },
      });
      const agent = visitor(app);
      const page = (await agent.get("/manage/sessions/trash").expect(200)).text;
      expect(page).toContain('<p data-host="trash-page">Sessions</p>');
      expect(page).toContain('<div data-host="trash-list">1</div>');
      expect(page).toContain(`data-session-label="Host ${trashed!.sessionId}"`);
      const fragment = (await agent.get("/manage/sessions/trash/list").expect(200)).text;
      expect(fragment).toContain('<div data-host="trash-list">1</div>');
      expect(fragment).toContain(`data-session-label="Host ${trashed!.sessionId}"`);
    });

    it("loads trash-page.js, trash-list.js and trash-row.js from a views folder", async () => {
      const folder = tempDir();
      for (const file of ["trash-page", "trash-list", "trash-row"]) writeFileSync(join(folder, `${file}.js`), `export default () => "${file}";\n`);
      expect(Object.keys(await loadViewOverrides(folder)).sort()).toEqual(["trashList", "trashPage", "trashRow"]);
    });

    it("renders the Pinned section with an overridden pinned view, in pin order, and loads pinned.js from a folder", async () => {
      const store = await openStore("workflow_state.db");
      const [a, b] = await store.listSessions(FLOW, { limit: 2 });
      await store.pinSession(FLOW, b!.sessionId);
      await store.pinSession(FLOW, a!.sessionId);
      const app = buildApp({ store, views: { pinned: ({ items }) => html`<ol data-host="pinned">${items.map((item) => html`<li>${item.sessionId}</li>`)}</ol>` } });
      const list = (await visitor(app).get("/manage/sessions/list").expect(200)).text;
      expect(list).toContain(`<ol data-host="pinned"><li>${b!.sessionId}</li><li>${a!.sessionId}</li></ol>`);
      expect(list).not.toContain('data-role="pinned"');
      const folder = tempDir();
      writeFileSync(join(folder, "pinned.js"), 'export default () => "pinned";\n');
      expect(Object.keys(await loadViewOverrides(folder))).toEqual(["pinned"]);
    });

    it("uses an overridden notice for the toast after an action and for the alert of an htmx error", async () => {
      const store = await openStore();
      const agent = await csrfAgent(buildApp({ store, views: { notice: ({ kind, message }) => `${kind.toUpperCase()}: ${message}` } }));
      const created = await agent.post("/manage/sessions/create").set("HX-Request", "true").type("form").send({ label: "<b>x</b>" }).expect(200);
      expect(created.text).toContain("SUCCESS: Created “&lt;b&gt;x&lt;/b&gt;”.");
      const failed = await agent.post("/manage/sessions/rename").set("HX-Request", "true").type("form").send({ session_id: "missing", label: "y" }).expect(404);
      expect(failed.text).toContain("ERROR: That session does not exist.");
    });

    it.each([
      [{ rows: () => "" }, /no view named "rows"\. The views are: layout, page, toolbar, list, row, empty, noMatches, notice, renameDialog, deleteDialog, errorPage/],
      [{ row: "<tr></tr>" }, /The `views` option's "row" must export default a function .*; it is a string/],
      [{ row: async () => "" }, /The `views` option's "row" is an async function; views render synchronously/],
      ["", /The `views` option is an empty string/],
      [42, /must be a folder path or the result of await loadViewOverrides\(folder\); got a number/],
    ])("fails at setup for %p", async (views, message) => {
      const store = await openStore();
      expect(() => createSessionManager({ store, flowId: FLOW, views: views as never })).toThrow(message);
      expect(() => createSessionManager({ store, flowId: FLOW, views: views as never })).toThrow(ConfigurationError);
    });
  });

  describe("when an override is broken", () => {
    it.each([
      ["unknown-name", "rows.js", /rows\.js does not name a view\. Rename it to one of: layout\.js, page\.js, toolbar\.js, list\.js, row\.js, empty\.js, no-matches\.js, notice\.js, rename-dialog\.js, delete-dialog\.js, error-page\.js/],
      ["not-a-function", "toolbar.js", /toolbar\.js must export default a function of the view's data returning html`…`; its default export is a string/],
      ["syntax-error", "empty.js", /empty\.js failed to load: /],
      ["missing-import", "row.js", /row\.js failed to load: /],
    ])("loadViewOverrides() rejects the %s folder, naming %s", async (folder, file, message) => {
      const load = loadViewOverrides(join(FOLDERS, folder));
      await expect(load).rejects.toThrow(ConfigurationError);
      await expect(load).rejects.toThrow(join(FOLDERS, folder, file));
      await expect(load).rejects.toThrow(message);
    });

    it("loadViewOverrides() rejects a folder that does not exist, naming it", async () => {
      await expect(loadViewOverrides(join(FOLDERS, "nowhere"))).rejects.toThrow(`The views folder ${join(FOLDERS, "nowhere")} cannot be read`);
    });

    it("as the views option, logs the error once loading fails and answers every manager request 500 misconfigured, naming the file in the log only", async () => {
      const store = await openStore();
      const logger = recordingLogger();
      const app = buildApp({ store, logger, views: join(FOLDERS, "not-a-function") });
      const file = join(FOLDERS, "not-a-function", "toolbar.js");
      const json = await visitor(app).get("/manage/sessions").set("Accept", "application/json").expect(500);
      // The file is named to the developer in the log, never to visitors.
      expect(json.body.error).toEqual({ code: "misconfigured", message: "The session manager is misconfigured; the server log has details." });
      expect(logger.errors[0]).toBe(`express-workflow-sessions: The view override ${file} must export default a function of the view's data returning html\`…\`; its default export is a string.`);
      const page = await visitor(app).get("/manage/sessions/list").expect(500);
      expect(page.text).not.toContain(FOLDERS);
      const htmx = await visitor(app).post("/manage/sessions/create").set("HX-Request", "true").expect(500);
      expect(htmx.text).not.toContain(FOLDERS);
      expect(logger.errors.slice(1).every((line) => line.includes(`${file} must export default a function`))).toBe(true);
      await visitor(app).get("/manage/sessions/assets/app.css").expect(200);
    });
  });
});

describe("renderList()", () => {
  async function hostApp(views?: string) {
    const store = await openStore();
    const alice = await store.createSession(FLOW, { label: "Alice's", owner: "alice" });
    const bob = await store.createSession(FLOW, { label: "Bob's", owner: "bob" });
    const app = express();
    app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
    const manager = createSessionManager({ store, flowId: FLOW, owner: (req) => req.get("X-User"), logger: recordingLogger(), ...(views ? { views } : {}) });
    app.use("/admin", manager);
    app.get("/dashboard", function dashboard(req, res, next) {
      manager.renderList(req, { mountPath: "/admin" }).then((list) => res.type("html").send(`<main><h1>Dashboard</h1>${list}</main>`), next);
    });
    app.use(function hostErrors(error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) {
      res.status(418).send(error.name);
    });
    return { app, alice, bob };
  }

  it("renders the owner's list in the host's page, with links and forms that reach the mounted manager", async () => {
    const { app, alice, bob } = await hostApp();
    const res = await request.agent(app).get("/dashboard").set("X-User", "alice").expect(200);
    expect(res.text).toMatch(/^<main><h1>Dashboard<\/h1><section id="ews-list"/);
    expect(rowIds(res.text)).toEqual([alice]);
    expect(res.text).not.toContain(bob);
    expect(res.text).toContain('action="/admin/manage/sessions/resume"');
    expect(res.text).toContain('data-list-url="/admin/manage/sessions/list"');
  });

  it("puts the visitor's real CSRF token in its forms, so they post to the manager", async () => {
    const { app, alice } = await hostApp();
    const agent = request.agent(app);
    const res = await agent.get("/dashboard").set("X-User", "alice").expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
    expect(token).toBeDefined();
    await agent.post("/admin/manage/sessions/resume").set("X-User", "alice").type("form").send({ _csrf: token, session_id: alice }).expect(303);
    await agent.post("/admin/manage/sessions/resume").set("X-User", "alice").type("form").send({ _csrf: "forged", session_id: alice }).expect(403);
  });

  it("applies the view overrides", async () => {
    const { app, alice } = await hostApp(HOST);
    const res = await request.agent(app).get("/dashboard").set("X-User", "alice").expect(200);
    expect(res.text).toContain(`<tr class="host-row" data-session-id="${alice}"`);
  });

  it("rejects with NotSignedInError when the owner option finds no owner", async () => {
    const { app } = await hostApp();
    const res = await request.agent(app).get("/dashboard").expect(418);
    expect(res.text).toBe("NotSignedInError");
  });

  it("rejects with ConfigurationError when express-session is not mounted", async () => {
    const store = await openStore();
    const manager = createSessionManager({ store, flowId: FLOW });
    await expect(manager.renderList({} as express.Request)).rejects.toThrow(/renderList\(req\) needs express-session/);
  });
});
