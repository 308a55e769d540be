import express from "express";
import request from "supertest";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import type { SessionManagerOptions } from "../lib/options.js";
import { activeOf, backends, buildApp, csrfAgent, FLOW, recordingLogger, rowIds, visitor, type FixtureName, decoded } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";

describe.each(backends)("createSessionManager() on $name", (backend) => {
  const openStore = (fixture?: FixtureName) => backend.openStore(fixture);

  async function fixtureApp(options: Partial<SessionManagerOptions> = {}) {
    const store = await openStore("workflow_state.db");
    const app = buildApp({ store, ...options });
    return { store, app, agent: await csrfAgent(app) };
  }

  describe("setup", () => {
    it("fails fast without a store, naming the fix", async () => {
      expect(() => createSessionManager({ flowId: FLOW } as unknown as SessionManagerOptions)).toThrow(
        "createSessionManager() needs a `store`: pass `store: await createWorkflowStore(",
      );
    });

    it("fails fast without a flowId, naming the fix", async () => {
      const store = await openStore();
      expect(() => createSessionManager({ store } as unknown as SessionManagerOptions)).toThrow("needs a `flowId`");
      expect(() => createSessionManager({ store, flowId: "a:b" })).toThrow('without ":"');
    });

    it("explains app.use(createSessionManager) without the call", async () => {
      const app = express();
      app.use(createSessionManager as unknown as express.RequestHandler);
      const res = await request(app).get("/");
      expect(res.status).toBe(500);
      expect(res.text).toContain("It appears you have done app.use(createSessionManager), but it should be app.use(createSessionManager({ store, flowId }))");
    });

    it("tells the developer when express-session is not mounted, in the log; visitors get a plain message", async () => {
      const store = await openStore();
      const app = express();
      const logger = recordingLogger();
      app.use(createSessionManager({ store, flowId: FLOW, logger }));
      const res = await request(app).get(P);
      expect(res.status).toBe(500);
      expect(res.text).toContain("The session manager is misconfigured; the server log has details.");
      expect(res.text).not.toContain("express-session");
      const json = await request(app).get(`${P}/list`).set("Accept", "application/json").expect(500);
      expect(json.body).toEqual({ error: { code: "misconfigured", message: "The session manager is misconfigured; the server log has details." } });
      const htmx = await request(app).post(`${P}/create`).set("HX-Request", "true").expect(500);
      expect(htmx.text).not.toContain("app.use(");
      expect(logger.errors).toHaveLength(3);
      for (const line of logger.errors) expect(line).toContain("express-session is not mounted: add app.use(session(");
    });

    it("rejects options of the wrong type", async () => {
      const store = await openStore();
      expect(() => createSessionManager({ store, flowId: FLOW, enrich: "nope" as never })).toThrow("`enrich` option must be a function");
      expect(() => createSessionManager({ store, flowId: FLOW, columns: [{ field: 1 } as never] })).toThrow("`columns`");
      expect(() => createSessionManager({ store, flowId: FLOW, prefix: "no-slash" })).toThrow("must start with");
      expect(() => createSessionManager({ store, flowId: FLOW, enrichCacheSize: -1 })).toThrow("`enrichCacheSize` option must be a whole number");
    });
  });

  describe(`GET ${P}`, () => {
    it("renders the full page with a header, the count, the table and both dialogs", async () => {
      const { agent } = await fixtureApp({ title: "Workflow Sessions" });
      const res = await agent.get(P).expect(200).expect("Content-Type", /html/);
      expect(res.text).toMatch(/^<!doctype html>/);
      expect(res.text).toContain("<h1 class=\"text-2xl font-bold\">Workflow Sessions</h1>");
      expect(res.text).toContain("24 sessions");
      expect(rowIds(res.text)).toHaveLength(24);
      expect(rowIds(res.text)[0]).toBe(NEWEST);
      expect(res.text).toContain('id="ews-rename-dialog"');
      expect(res.text).toContain('id="ews-delete-dialog"');
      expect(res.text).toMatch(new RegExp(`src="${P}/assets/htmx\\.min\\.[0-9a-f]{10}\\.js"`));
    });

    it("shows each column: label, step title, host columns, relative time with the absolute one on hover, and size", async () => {
      const { agent } = await fixtureApp({
        columns: [{ field: "sources", header: "Sources" }],
        enrich: () => ({ sources: "7" }),
        stepTitle: (step) => ({ selection: "Selection" })[step] ?? step,
      });
      const res = await agent.get(P).expect(200);
      const row = res.text.slice(res.text.indexOf(`data-session-id="${NEWEST}"`), res.text.indexOf("</tr>", res.text.indexOf(NEWEST)));
      expect(row).toContain("Lecture batch 0");
      expect(row).toContain(">Selection<");
      expect(row).toContain('data-field="sources">7</td>');
      expect(row).toMatch(/<time datetime="2026-11-24T05:12:10.000Z" title="Nov 24, 2026 05:12 UTC">(?:[^<]+ago|just now)<\/time>/);
      expect(row).toContain("986 B");
    });

    it("marks the active session with a badge", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: NEWEST }).expect(303);
      const res = await agent.get(P);
      const activeRow = res.text.slice(res.text.indexOf(`data-session-id="${NEWEST}"`));
      expect(activeRow.slice(0, activeRow.indexOf("</tr>"))).toContain(">Active</span>");
      expect(res.text.match(/>Active<\/span>/g)).toHaveLength(1);
    });

    it("shows the empty state when the flow has no sessions", async () => {
      const store = await openStore();
      const res = await request(buildApp({ store })).get(P).expect(200);
      expect(res.text).toContain("0 sessions");
      expect(res.text).toContain("No sessions yet");
      expect(res.text).not.toContain("<table");
    });

    it("says 1 session for one", async () => {
      const store = await openStore();
      await store.createSession(FLOW);
      const res = await request(buildApp({ store })).get(P);
      expect(res.text).toContain(">1 session<");
    });

    it("builds every link from where the router is mounted", async () => {
      const store = await openStore("workflow_state.db");
      const res = await request(buildApp({ store }, "/admin")).get(`/admin${P}`).expect(200);
      expect(res.text).toContain(`hx-post="/admin${P}/create"`);
      expect(res.text).toContain(`action="/admin${P}/resume"`);
      const css = /href="(\/admin[^"]*\/assets\/app\.[0-9a-f]{10}\.css)"/.exec(res.text)?.[1];
      expect(css).toMatch(new RegExp(`^/admin${P}/assets/`));
      await request(buildApp({ store }, "/admin")).get(css!).expect(200).expect("Content-Type", /css/);
    });

    it("pages through the sessions with offset", async () => {
      const { agent } = await fixtureApp({ pageSize: 10 });
      const first = await agent.get(P);
      const third = await agent.get(`${P}?offset=20`);
      expect(rowIds(first.text)).toHaveLength(10);
      expect(rowIds(third.text)).toHaveLength(4);
      expect(decoded(third.text)).toContain("Rows 21–24 of 24");
    });
  });

  describe(`GET ${P}/list`, () => {
    it("answers only the list fragment", async () => {
      const { agent } = await fixtureApp();
      const res = await agent.get(`${P}/list`).set(HTMX).expect(200);
      expect(res.text).toMatch(/^<section id="ews-list"/);
      expect(rowIds(res.text)).toHaveLength(24);
    });

    it.each([
      ["label", "asc"],
      ["created", "desc"],
    ])("sorts by %s %s", async (sort, dir) => {
      const { agent, store } = await fixtureApp();
      const res = await agent.get(`${P}/list?sort=${sort}&dir=${dir}`).expect(200);
      const expected = await store.listSessions(FLOW, { orderBy: sort === "label" ? "label" : "created_at", descending: dir === "desc" });
      expect(rowIds(res.text)).toEqual(expected.map((s) => s.sessionId));
    });
  });

  describe(`GET ${P}/assets/*`, () => {
    it.each([
      ["app.css", /text\/css/],
      ["htmx.min.js", /javascript/],
      ["client.js", /javascript/],
    ])("serves %s from the package, with no CDN", async (file, type) => {
      const { agent } = await fixtureApp();
      const res = await agent.get(`${P}/assets/${file}`).expect(200).expect("Content-Type", type);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    });

    it("links each asset from the page by a content-hashed name, served immutable for a year", async () => {
      const { agent } = await fixtureApp();
      const page = await agent.get(P).expect(200);
      const links = [...page.text.matchAll(/\s(?:href|src)="([^"]*\/assets\/[^"]+)"/g)].map((match) => match[1]!);
      expect(links.map((link) => link.replace(/\.[0-9a-f]{10}\./, ".<hash>.")).sort()).toEqual(
        ["app.<hash>.css", "client.<hash>.js", "htmx.min.<hash>.js", "sse.min.<hash>.js"].map((file) => `${P}/assets/${file}`),
      );
      for (const link of links) {
        const hashed = await agent.get(link).expect(200).expect("Cache-Control", "public, max-age=31536000, immutable");
        const plain = await agent.get(link.replace(/\.[0-9a-f]{10}\./, ".")).expect(200).expect("Cache-Control", "no-cache");
        expect(hashed.text).toBe(plain.text);
        expect(hashed.headers["content-type"]).toBe(plain.headers["content-type"]);
      }
    });

    it("404s an old or unknown hash, so a stale page never gets another version under the name it asked for", async () => {
      const { agent } = await fixtureApp();
      await agent.get(`${P}/assets/app.0000000000.css`).expect(404);
      await agent.get(`${P}/assets/client.ffffffffff.js`).expect(404);
    });

    it("404s other files", async () => {
      const { agent } = await fixtureApp();
      await agent.get(`${P}/assets/..%2Fpackage.json`).expect(404);
      await agent.get(`${P}/assets/secret.js`).expect(404);
    });
  });

  describe(`POST ${P}/create`, () => {
    it("creates a session, makes it active, and answers the refreshed list under htmx", async () => {
      const { agent, store } = await fixtureApp();
      const res = await agent.post(`${P}/create`).set(HTMX).type("form").send({}).expect(200);
      expect(await store.countSessions(FLOW)).toBe(25);
      const active = await activeOf(agent);
      expect(rowIds(res.text)[0]).toBe(active);
      expect(res.text).toContain("25 sessions");
      expect(res.text).toContain('hx-swap-oob="true"');
      expect(res.text).toContain("Created “Session ");
    });

    it("answers 303 back to the page without htmx", async () => {
      const { agent, store } = await fixtureApp();
      await agent.post(`${P}/create`).type("form").send({ label: " Named " }).expect(303).expect("Location", P);
      const active = await activeOf(agent);
      expect((await store.getSessionSummary(FLOW, active!))?.label).toBe("Named");
    });
  });

  describe(`POST ${P}/rename`, () => {
    it("trims the label and answers the refreshed list with a notice", async () => {
      const { agent, store } = await fixtureApp();
      const res = await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "  Fresh name  " }).expect(200);
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("Fresh name");
      expect(res.text).toContain("Renamed to “Fresh name”.");
    });

    it("without htmx, redirects to the list as the form's action names it (order, search, window)", async () => {
      const { agent } = await fixtureApp();
      const page = await agent.get(`${P}?sort=label&dir=asc&q=lec&rename=${NEWEST}`).expect(200);
      const action = /<form method="post" action="([^"]+)" hx-post="\/manage\/sessions\/rename"/.exec(page.text)![1]!.replaceAll("&amp;", "&");
      expect(action).toBe(`${P}/rename?sort=label&dir=asc&q=lec`);
      await agent.post(action).type("form").send({ session_id: NEWEST, label: "x" }).expect(303).expect("Location", `${P}?sort=label&dir=asc&q=lec`);
    });

    it("clears the label when it is empty", async () => {
      const { agent, store } = await fixtureApp({ label: () => "generated" });
      await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "" }).expect(303);
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBeNull();
    });

    it("rejects a label over 200 characters with 400 and a readable message, changing nothing", async () => {
      const { agent, store } = await fixtureApp();
      const res = await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "x".repeat(201) }).expect(400);
      expect(res.text).toContain("The label is too long: use at most 200 characters");
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("Lecture batch 0");
    });

    it("answers an alert fragment under htmx and JSON when asked", async () => {
      const { agent } = await fixtureApp();
      const htmx = await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "x".repeat(300) }).expect(400);
      expect(htmx.text).toMatch(/^<div class="alert alert-error/);
      const json = await agent
        .post(`${P}/rename`)
        .set("Accept", "application/json")
        .type("form")
        .send({ session_id: NEWEST, label: "x".repeat(300) })
        .expect(400);
      expect(json.body).toEqual({ error: { code: "invalid_input", message: expect.stringContaining("at most 200") } });
    });

    it("404s an unknown session", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/rename`).type("form").send({ session_id: "does-not-exist", label: "x" }).expect(404);
    });
  });

  describe(`POST ${P}/delete`, () => {
    it("deletes the session and answers the refreshed list", async () => {
      const { agent, store } = await fixtureApp();
      const victim = "1e51dc53-d7c0-47f0-bd9a-8e1a820e5bc0";
      const res = await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: victim }).expect(200);
      expect(await store.sessionExists(FLOW, victim)).toBe(false);
      expect(rowIds(res.text)).not.toContain(victim);
      expect(res.text).toContain("Deleted “Session 2026-11-23 16:47”.");
    });

    it("makes the most recently updated remaining session active when the active one is deleted", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: NEWEST });
      await agent.post(`${P}/delete`).type("form").send({ session_id: NEWEST }).expect(303);
      expect(await activeOf(agent)).toBe("a12c9948-76a9-4cf9-878b-93e298d58571");
    });

    it("creates a fresh active session when the last one is deleted", async () => {
      const store = await openStore();
      const only = await store.createSession(FLOW);
      const agent = await csrfAgent(buildApp({ store }));
      await agent.post(`${P}/resume`).type("form").send({ session_id: only });
      await agent.post(`${P}/delete`).type("form").send({ session_id: only }).expect(303);
      const active = await activeOf(agent);
      expect(active).not.toBe(only);
      expect(await store.sessionExists(FLOW, active!)).toBe(true);
    });

    it("404s a session that is already gone", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/delete`).type("form").send({ session_id: "gone" }).expect(404);
    });
  });

  describe(`POST ${P}/resume`, () => {
    it("sets the active session and answers 204 with HX-Redirect under htmx", async () => {
      const { agent } = await fixtureApp();
      const res = await agent.post(`${P}/resume`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(204);
      expect(res.headers["hx-redirect"]).toBe("/workflow");
      expect(await activeOf(agent)).toBe(NEWEST);
    });

    it("answers 303 to the workflow without htmx", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: NEWEST }).expect(303).expect("Location", "/workflow");
    });

    it("404s an unknown id and leaves the active session unchanged", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: NEWEST });
      const res = await agent.post(`${P}/resume`).type("form").send({ session_id: "nope" }).expect(404);
      expect(res.text).toContain("That session does not exist");
      expect(await activeOf(agent)).toBe(NEWEST);
    });

    it("404s a session of another flow", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: "56f40fa7-d147-42ed-a9e4-3c2d0d6b8a91" }).expect(404);
    });
  });

  describe("every POST route", () => {
    it.each(["rename", "delete", "resume"])("answers 400 to /%s without session_id", async (route) => {
      const { agent, store } = await fixtureApp();
      const res = await agent.post(`${P}/${route}`).type("form").send({ label: "x" }).expect(400);
      expect(res.text).toContain("The field session_id is required.");
      expect(await store.countSessions(FLOW)).toBe(24);
    });

    it.each(["rename", "delete", "resume"])("answers 400 to /%s with a malformed session_id", async (route) => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/${route}`).type("form").send("session_id=%3Cscript%3E").expect(400);
    });

    // /delete takes session_id repeated (a bulk delete, see trash-routes.test.ts); the single-session routes do not.
    it.each(["rename", "resume"])("answers 400 to /%s with a duplicated session_id", async (route) => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/${route}`).type("form").send(`session_id=${NEWEST}&session_id=${NEWEST}`).expect(400);
    });

    it("answers 413 to a body over the limit", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/rename`).type("form").send(`session_id=${NEWEST}&label=${"x".repeat(20_000)}`).expect(413);
    });
  });

  describe("visitors", () => {
    it("never share an active session", async () => {
      const { app } = await fixtureApp();
      const alice = await csrfAgent(app);
      const bob = await csrfAgent(app);
      await alice.post(`${P}/resume`).type("form").send({ session_id: NEWEST });
      await bob.post(`${P}/resume`).type("form").send({ session_id: "a12c9948-76a9-4cf9-878b-93e298d58571" });
      expect(await activeOf(alice)).toBe(NEWEST);
      expect(await activeOf(bob)).toBe("a12c9948-76a9-4cf9-878b-93e298d58571");
      const bobsPage = await bob.get(P);
      const badgeRow = bobsPage.text.slice(bobsPage.text.lastIndexOf("<tr", bobsPage.text.indexOf(">Active</span>")));
      expect(badgeRow).toContain('data-session-id="a12c9948-76a9-4cf9-878b-93e298d58571"');
    });
  });

  describe("faults", () => {
    it("still renders the page when the enricher throws", async () => {
      const logger = recordingLogger();
      const { agent } = await fixtureApp({
        logger,
        columns: [{ field: "x", header: "X" }],
        enrich: () => {
          throw new Error("boom");
        },
      });
      logger.warnings.length = 0;
      const res = await agent.get(P).expect(200);
      expect(rowIds(res.text)).toHaveLength(24);
      expect(res.text).toContain('data-field="x">—</td>');
      expect(logger.warnings).toHaveLength(1);
    });

    it("answers 503 with a message, not a crash, when another writer holds the database past the busy timeout", async () => {
      const database = await backend.database("workflow_state.db");
      const store = await database.open({ busyTimeoutMs: 50 });
      const seen: string[] = [];
      const agent = await csrfAgent(buildApp({ store, logger: { warn: (m: string) => void seen.push(m), error: (m: string) => void seen.push(m) } }));
      const release = await backend.holdWriteLock(database);
      try {
        const res = await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "blocked" });
        expect({ status: res.status, logged: seen }).toEqual({ status: 503, logged: [expect.stringContaining("database is unavailable")] });
        expect(res.text).toContain("busy or read-only right now. Nothing was changed");
        await agent.get(P).expect(200);
      } finally {
        await release();
      }
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("Lecture batch 0");
    });
  });
});
