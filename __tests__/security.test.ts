import { CHROMIUM } from "./browser-helpers.js";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import express from "express";
import { createRequire } from "node:module";
import request from "supertest";
import { CONTENT_SECURITY_POLICY } from "../lib/http/security-headers.js";
import session from "express-session";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import { verifyCsrf } from "../lib/http/csrf.js";
import { ERROR_TABLE } from "../lib/errors.js";
import { buildApp, csrfAgent, csrfTokenIn, FLOW, openStore, recordingLogger, rowIds, visitor } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
const JSON_ACCEPT = { Accept: "application/json" };

async function fixtureApp(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}) {
  const store = await openStore("workflow_state.db");
  const app = buildApp({ store, ...options });
  return { store, app };
}

/** Every row of the flow, to prove a rejected request changed nothing (and recorded nothing in the activity log). */
async function snapshot(store: Awaited<ReturnType<typeof openStore>>) {
  return [
    await store.listSessions(FLOW, {}),
    await store.listTrash(FLOW, { offset: 0, limit: 1000 }),
    await store.listPins(FLOW),
    await store.db.selectFrom("workflow_state_pins").selectAll().orderBy("flow_session_key").execute(),
    await store.db.selectFrom("workflow_state_events").selectAll().orderBy("id").execute(),
    await store.db.selectFrom("workflow_state_tags").selectAll().orderBy("flow_session_key").orderBy("tag").execute(),
  ];
}

const POSTS: Array<[route: string, body: Record<string, string>]> = [
  ["create", { label: "forged" }],
  ["rename", { session_id: NEWEST, label: "forged" }],
  ["delete", { session_id: NEWEST }],
  ["resume", { session_id: NEWEST }],
  ["restore", { all_matching: "1", q: "", view: "trash" }],
  ["purge", { all: "1", view: "trash" }],
  ["confirm", { session_id: NEWEST }],
  ["pin", { session_id: NEWEST }],
  ["unpin", { session_id: NEWEST }],
  ["tags", { session_id: NEWEST, tag: "forged" }],
  ["tags/add", { session_id: NEWEST, name: "forged" }],
  ["tags/remove", { all_matching: "1", q: "", name: "forged" }],
];

describe("security", () => {
  describe("CSRF", () => {
    it('puts the token in <meta name="csrf-token">, in hx-headers on <body>, and in every POST form as _csrf, the rows\' buttons in the one row form', async () => {
      const { app } = await fixtureApp();
      const res = await visitor(app).get(P).expect(200);
      const token = csrfTokenIn(res.text);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.text).toContain(`hx-headers="{&quot;X-CSRF-Token&quot;:&quot;${token}&quot;}"`);
      const forms = res.text.match(/<form (id="[\w-]+" )?method="post"[\s\S]*?<\/form>/g)!;
      expect(forms.length).toBeGreaterThanOrEqual(4);
      for (const form of forms) expect(form).toContain(`<input type="hidden" name="_csrf" value="${token}"`);
      // Every row's Resume, Duplicate and Pin posts through #ews-row-form, which carries the token once.
      expect(res.text).toContain('<form id="ews-row-form" method="post"');
      expect(res.text.match(/<button type="submit" form="ews-row-form" /g)!.length).toBeGreaterThanOrEqual(24 * 3);
    });

    it("gives each visitor its own token", async () => {
      const { app } = await fixtureApp();
      const a = csrfTokenIn((await visitor(app).get(P)).text);
      const b = csrfTokenIn((await visitor(app).get(P)).text);
      expect(a).not.toBe(b);
    });

    describe.each(POSTS)("POST /%s", (route, body) => {
      it("answers 403 with a readable message and changes nothing without a token", async () => {
        const { app, store } = await fixtureApp();
        const agent = visitor(app);
        await agent.get(P);
        await agent.post(`${P}/resume`).type("form"); // no-op: makes sure the session exists server-side
        const before = await snapshot(store);
        const res = await agent.post(`${P}/${route}`).type("form").send(body).expect(403);
        expect(res.text).toContain("could not be verified as coming from this page");
        expect(await snapshot(store)).toEqual(before);
      });

      it("answers 403 to a wrong token, and to another visitor's token", async () => {
        const { app, store } = await fixtureApp();
        const agent = visitor(app);
        const own = csrfTokenIn((await agent.get(P)).text);
        const other = csrfTokenIn((await visitor(app).get(P)).text);
        const before = await snapshot(store);
        await agent.post(`${P}/${route}`).set("X-CSRF-Token", `${own.slice(0, -1)}${own.endsWith("A") ? "B" : "A"}`).type("form").send(body).expect(403);
        await agent.post(`${P}/${route}`).set("X-CSRF-Token", other).type("form").send(body).expect(403);
        await agent.post(`${P}/${route}`).type("form").send({ ...body, _csrf: other }).expect(403);
        await request(app).post(`${P}/${route}`).set("X-CSRF-Token", own).type("form").send(body).expect(403);
        expect(await snapshot(store)).toEqual(before);
      });

      it("accepts the token as the _csrf field of a plain form", async () => {
        const { app } = await fixtureApp();
        const agent = visitor(app);
        const token = csrfTokenIn((await agent.get(P)).text);
        // confirm only renders the confirmation (200); the actions answer 303.
        await agent.post(`${P}/${route}`).type("form").send({ ...body, _csrf: token }).expect(route === "confirm" ? 200 : 303);
      });

      it.each([
        ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site" }],
        ["Sec-Fetch-Site: same-site", { "Sec-Fetch-Site": "same-site" }],
        ["a foreign Origin", { Origin: "https://evil.example" }],
        ["Origin: null", { Origin: "null" }],
      ])("answers 403 to %s even with the right token", async (_name, headers) => {
        const { app, store } = await fixtureApp();
        const agent = await csrfAgent(app);
        const before = await snapshot(store);
        const res = await agent.post(`${P}/${route}`).set(headers).set(JSON_ACCEPT).type("form").send(body).expect(403);
        expect(res.body).toEqual({ error: { code: "forbidden", message: expect.stringContaining("other sites") } });
        expect(await snapshot(store)).toEqual(before);
      });
    });

    it("accepts a same-origin request as a browser sends it", async () => {
      const { app } = await fixtureApp();
      const agent = await csrfAgent(app);
      await agent.post(`${P}/resume`).set({ Host: "app.example:8080", Origin: "https://app.example:8080", "Sec-Fetch-Site": "same-origin" }).type("form").send({ session_id: NEWEST }).expect(303);
    });

    describe("the origins option (DNS rebinding)", () => {
      const PUBLIC = "https://app.example.com";
      const REBOUND = { Host: "rebound.example", Origin: "http://rebound.example" };

      it.each(POSTS)("answers POST /%s 403 when Host and Origin both name a foreign host, and changes nothing", async (route, body) => {
        const { app, store } = await fixtureApp({ origins: [PUBLIC] });
        const agent = await csrfAgent(app, { headers: { Host: "app.example.com" } });
        const before = await snapshot(store);
        const res = await agent.post(`${P}/${route}`).set(REBOUND).set(JSON_ACCEPT).type("form").send(body).expect(403);
        expect(res.body.error.code).toBe("forbidden");
        // Without an Origin header, the Host is checked against the list.
        await agent.post(`${P}/${route}`).set("Host", "rebound.example").type("form").send(body).expect(403);
        expect(await snapshot(store)).toEqual(before);
      });

      it("is what makes the difference: without it, the same rebound request passes the Origin check", async () => {
        const { app } = await fixtureApp();
        const agent = await csrfAgent(app);
        await agent.post(`${P}/resume`).set(REBOUND).type("form").send({ session_id: NEWEST }).expect(303);
      });

      it("accepts a listed Origin, and a listed Host when there is no Origin", async () => {
        const { app } = await fixtureApp({ origins: ["http://localhost:3000", PUBLIC] });
        const agent = await csrfAgent(app);
        await agent.post(`${P}/resume`).set({ Host: "app.example.com", Origin: PUBLIC }).type("form").send({ session_id: NEWEST }).expect(303);
        await agent.post(`${P}/resume`).set({ Host: "internal:8080", Origin: PUBLIC }).type("form").send({ session_id: NEWEST }).expect(303);
        await agent.post(`${P}/resume`).set({ Host: "localhost:3000" }).type("form").send({ session_id: NEWEST }).expect(303);
        await agent.post(`${P}/resume`).set({ Host: "app.example.com", Origin: "https://app.example.com:8443" }).type("form").send({ session_id: NEWEST }).expect(403);
      });

      it("is taken by verifyCsrf() for the host's own routes", async () => {
        const store = await openStore();
        const app = express();
        app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
        app.use(createSessionManager({ store, flowId: FLOW, logger: recordingLogger() }));
        app.post("/workflow/advance", express.urlencoded({ extended: false }), verifyCsrf({ origins: PUBLIC }), (_req, res) => void res.send("advanced"));
        app.use(((error, _req, res, _next) => void res.status(error.status ?? ERROR_TABLE[error.code as keyof typeof ERROR_TABLE]?.status ?? 500).send(error.code)) as express.ErrorRequestHandler);
        const agent = await csrfAgent(app);
        await agent.post("/workflow/advance").set(REBOUND).expect(403, "forbidden");
        await agent.post("/workflow/advance").set({ Host: "app.example.com", Origin: PUBLIC }).expect(200, "advanced");
      });

      it.each([
        [[], "non-empty array"],
        ["app.example.com", "scheme, host and optional port"],
        ["https://app.example.com/path", "with no path"],
        ["https://user@app.example.com", "credentials"],
        ["ftp://app.example.com", "scheme, host"],
        [[42], "got 42"],
      ])("fails fast at setup on origins: %j", async (origins, message) => {
        const store = await openStore();
        expect(() => createSessionManager({ store, flowId: FLOW, origins: origins as never })).toThrow(message);
        expect(() => verifyCsrf({ origins: origins as never })).toThrow(message);
      });
    });

    it("answers an alert fragment under htmx", async () => {
      const { app } = await fixtureApp();
      const res = await visitor(app).post(`${P}/create`).set(HTMX).type("form").send({}).expect(403);
      expect(res.text).toMatch(/^<div class="alert alert-error/);
    });
  });

  describe("the owner option", () => {
    const ALICE = { "X-User": "alice" };
    const BOB = { "X-User": "bob" };

    /** Two signed-in users of one app; alice owns one session, bob two, and the fixture's 24 rows have no owner. */
    async function twoUsers() {
      const store = await openStore("workflow_state.db");
      const app = buildApp({ store, owner: (req) => req.get("X-User") });
      const alice = await csrfAgent(app, { headers: ALICE });
      const bob = await csrfAgent(app, { headers: BOB });
      const alices = await store.createSession(FLOW, { label: "alice's", owner: "alice" });
      const bobs = [await store.createSession(FLOW, { label: "bob's 1", owner: "bob" }), await store.createSession(FLOW, { label: "bob's 2", owner: "bob" })];
      return { store, app, alice, bob, alices, bobs };
    }

    it("lists and counts only the caller's sessions", async () => {
      const { alice, bob, alices, bobs } = await twoUsers();
      const page = await alice.get(P).expect(200);
      expect(rowIds(page.text)).toEqual([alices]);
      expect(page.text).toContain(">1 session<");
      const list = await bob.get(`${P}/list`).expect(200);
      expect(rowIds(list.text).sort()).toEqual([...bobs].sort());
      expect(list.text).toContain(">2 sessions<");
    });

    it("stamps new sessions with the caller's owner", async () => {
      const { store, alice } = await twoUsers();
      await alice.post(`${P}/create`).type("form").send({ label: "new" }).expect(303);
      const row = await store.db.selectFrom("workflow_state").select(["owner", "label"]).where("label", "=", "new").executeTakeFirstOrThrow();
      expect(row.owner).toBe("alice");
    });

    it.each([
      ["rename", { label: "stolen" }],
      ["delete", {}],
      ["resume", {}],
      ["pin", {}],
      ["unpin", {}],
      ["tags", { tag: "stolen" }],
      ["tags/add", { name: "stolen" }],
      ["tags/remove", { name: "bob's" }],
    ])("answers /%s on another user's session with the same 404 as a missing one, changing nothing", async (route, extra) => {
      const { store, alice, bobs } = await twoUsers();
      await store.pinSession(FLOW, bobs[0]!, { owner: "bob" });
      await store.setTags(FLOW, bobs[0]!, ["bob's"], { owner: "bob" });
      const before = await snapshot(store);
      const foreign = await alice.post(`${P}/${route}`).set(JSON_ACCEPT).type("form").send({ session_id: bobs[0], ...extra }).expect(404);
      const missing = await alice.post(`${P}/${route}`).set(JSON_ACCEPT).type("form").send({ session_id: "no-such-session", ...extra }).expect(404);
      expect(foreign.body).toEqual(missing.body);
      expect(await snapshot(store)).toEqual(before);
    });

    it("shows in GET /activity only the caller's own events, for the whole log and for another user's session id alike", async () => {
      const { app, alice, bob, alices, bobs } = await twoUsers();
      await alice.post(`${P}/rename`).set(JSON_ACCEPT).type("form").send({ session_id: alices, label: "alice renamed" }).expect(200);
      await bob.post(`${P}/rename`).set(JSON_ACCEPT).type("form").send({ session_id: bobs[0], label: "bob's secret" }).expect(200);
      const mine = await alice.get(`${P}/activity`).set(JSON_ACCEPT).expect(200);
      expect(mine.body.events.map((event: { session_id: string }) => event.session_id)).toEqual([alices]);
      const foreign = await alice.get(`${P}/activity?session_id=${bobs[0]}`).set(JSON_ACCEPT).expect(200);
      const missing = await alice.get(`${P}/activity?session_id=no-such-session`).set(JSON_ACCEPT).expect(200);
      expect(foreign.body).toEqual(missing.body);
      expect(foreign.body.events).toEqual([]);
      for (const res of [await alice.get(`${P}/activity`).expect(200), await alice.get(`${P}/activity?session_id=${bobs[0]}`).set(HTMX).expect(200)]) {
        expect(res.text).not.toContain("bob's");
        expect(res.text).not.toContain(bobs[0]);
      }
      expect((await bob.get(`${P}/activity`).set(JSON_ACCEPT).expect(200)).body.events.map((event: { after: string }) => event.after)).toEqual(["bob's secret"]);
      await request(app).get(`${P}/activity`).set(JSON_ACCEPT).expect(401);
    });

    it("answers 404 for an unowned session from before owners were turned on", async () => {
      const { alice } = await twoUsers();
      await alice.post(`${P}/resume`).type("form").send({ session_id: NEWEST }).expect(404);
    });

    it("picks the next active session among the caller's own when the active one is deleted", async () => {
      const { store, bob, bobs } = await twoUsers();
      await bob.post(`${P}/resume`).type("form").send({ session_id: bobs[0] }).expect(303);
      await bob.post(`${P}/delete`).type("form").send({ session_id: bobs[0] }).expect(303);
      expect((await bob.get("/whoami")).body.activeSessionId).toBe(bobs[1]);
      await bob.post(`${P}/delete`).type("form").send({ session_id: bobs[1] }).expect(303);
      const fresh = (await bob.get("/whoami")).body.activeSessionId;
      expect(await store.sessionExists(FLOW, fresh, { owner: "bob" })).toBe(true);
    });

    it("answers 401 and changes nothing when there is no owner for the request", async () => {
      const { app, store } = await twoUsers();
      const res = await request(app).get(P).set(JSON_ACCEPT).expect(401);
      expect(res.body.error.code).toBe("not_signed_in");
      await request(app).get(`${P}/list`).expect(401);
    });

    it.each(POSTS)("answers POST /%s 401 when the owner signed out, even with a valid CSRF token, and changes nothing", async (route, body) => {
      const { app, store } = await twoUsers();
      // Alice loads the page, so her express-session holds a token; then her sign-in ends but the cookie stays.
      const browser = visitor(app);
      const token = csrfTokenIn((await browser.get(P).set(ALICE).expect(200)).text);
      const before = await snapshot(store);
      const res = await browser.post(`${P}/${route}`).set("X-CSRF-Token", token).set(JSON_ACCEPT).type("form").send(body).expect(401);
      expect(res.body.error.code).toBe("not_signed_in");
      expect(await snapshot(store)).toEqual(before);
      // The same request with the owner passes both checks, so the 401 above came from the owner rule.
      await browser.post(`${P}/resume`).set(ALICE).set("X-CSRF-Token", token).type("form").send({ session_id: "no-such-session" }).expect(404);
    });

    describe("the active session after another sign-in on the same express-session", () => {
      /** One browser (one express-session cookie) where alice signs in, resumes her session, and then bob signs in. */
      async function sharedBrowser() {
        const store = await openStore("workflow_state.db");
        const user: { id?: string } = {};
        const app = express();
        app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
        const manager = createSessionManager({ store, flowId: FLOW, workflowUrl: "/workflow", owner: () => user.id, logger: recordingLogger() });
        app.use(manager);
        app.get("/workflow", async (req, res) => void res.json({ active: (await manager.activeSessionOf(req)) ?? null, raw: req.session.activeSessionId ?? null }));
        const alices = await store.createSession(FLOW, { label: "alice's", owner: "alice" });
        const bobs = [await store.createSession(FLOW, { label: "bob's 1", owner: "bob" }), await store.createSession(FLOW, { label: "bob's 2", owner: "bob" })];
        const browser = visitor(app);
        user.id = "alice";
        const token = csrfTokenIn((await browser.get(P).expect(200)).text);
        browser.set("X-CSRF-Token", token);
        await browser.post(`${P}/resume`).type("form").send({ session_id: alices }).expect(303);
        expect((await browser.get("/workflow")).body).toEqual({ active: alices, raw: alices });
        user.id = "bob";
        return { store, user, browser, manager, alices, bobs };
      }

      it("activeSessionOf() gives bob nothing, although req.session still names alice's session", async () => {
        const { browser, alices } = await sharedBrowser();
        expect((await browser.get("/workflow")).body).toEqual({ active: null, raw: alices });
      });

      it("marks none of bob's rows Active", async () => {
        const { browser } = await sharedBrowser();
        const page = await browser.get(P).expect(200);
        expect(page.text).not.toContain(">Active</span>");
        expect(page.text).not.toContain('aria-current="true"');
      });

      it("does not keep alice's session active when bob deletes one of his, and then falls back only to bob's own", async () => {
        const { store, browser, alices, bobs } = await sharedBrowser();
        await browser.post(`${P}/delete`).type("form").send({ session_id: bobs[0] }).expect(303);
        expect((await browser.get("/workflow")).body).toEqual({ active: null, raw: null });
        await browser.post(`${P}/resume`).type("form").send({ session_id: bobs[1] }).expect(303);
        await browser.post(`${P}/delete`).type("form").send({ session_id: bobs[1] }).expect(303);
        const { active } = (await browser.get("/workflow")).body;
        expect(active).not.toBe(alices);
        expect(await store.sessionExists(FLOW, active, { owner: "bob" })).toBe(true);
        expect(await store.sessionExists(FLOW, alices, { owner: "alice" })).toBe(true);
      });

      it("cannot resume alice's session as bob", async () => {
        const { browser, alices } = await sharedBrowser();
        await browser.post(`${P}/resume`).type("form").send({ session_id: alices }).expect(404);
      });

      it("activeSessionOf() gives nothing to a signed-out request, and nothing for a session deleted meanwhile", async () => {
        const { store, user, browser, alices } = await sharedBrowser();
        user.id = undefined;
        expect((await browser.get("/workflow")).body.active).toBeNull();
        user.id = "alice";
        expect((await browser.get("/workflow")).body.active).toBe(alices);
        await store.deleteSession(FLOW, alices);
        expect((await browser.get("/workflow")).body.active).toBeNull();
      });

      it("activeSessionOf() rejects with a ConfigurationError without express-session", async () => {
        const { manager } = await sharedBrowser();
        await expect(manager.activeSessionOf({} as express.Request)).rejects.toThrow("activeSessionOf(req) needs express-session");
      });
    });

    it("fails fast when owner is not a function", async () => {
      const store = await openStore();
      expect(() => buildApp({ store, owner: "alice" as never })).toThrow("`owner` option must be a function");
    });
  });

  describe("headers", () => {
    it.each([P, `${P}/list`, `${P}/assets/client.js`])("GET %s carries the CSP, nosniff, Referrer-Policy and frame-ancestors", async (path) => {
      const { app } = await fixtureApp();
      const res = await visitor(app).get(path).expect(200);
      expect(res.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
      expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
      expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
      expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["referrer-policy"]).toBe("same-origin");
      expect(res.headers["x-frame-options"]).toBe("DENY");
    });

    it("are on error answers too", async () => {
      const { app } = await fixtureApp();
      const res = await visitor(app).post(`${P}/delete`).type("form").send({}).expect(403);
      expect(res.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    });

    it.each(["", "/"])("stay on the manager's own answers with prefix %j, and off every host route", async (prefix) => {
      const store = await openStore("workflow_state.db");
      const app = express();
      app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
      app.use(createSessionManager({ store, flowId: FLOW, prefix, logger: recordingLogger() }));
      app.get("/host-page", (_req, res) => void res.send("host"));
      app.get("/", (_req, res) => void res.send("never reached: the manager page is /")); // shadowed, as a host would expect
      app.use((_req, res) => void res.status(404).send("the host's own 404")); // express's default 404 sets a CSP of its own
      const agent = visitor(app);
      for (const path of ["/", "/list", "/assets/app.css"]) {
        expect((await agent.get(path).expect(200)).headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
      }
      expect((await agent.post("/create").type("form").send({}).expect(403)).headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
      for (const path of ["/host-page", "/nowhere", "/assets/nothing.css"]) {
        const res = await agent.get(path);
        expect(res.headers["content-security-policy"]).toBeUndefined();
        expect(res.headers["x-frame-options"]).toBeUndefined();
        expect(res.headers["cross-origin-resource-policy"]).toBeUndefined();
      }
      expect((await agent.get("/host-page").expect(200)).text).toBe("host");
    });

    it("leave a host route alone even without express-session, with prefix \"\"", async () => {
      const store = await openStore();
      const app = express();
      app.use(createSessionManager({ store, flowId: FLOW, prefix: "", logger: recordingLogger() }));
      app.get("/health", (_req, res) => void res.send("ok"));
      const res = await request(app).get("/health").expect(200, "ok");
      expect(res.headers["content-security-policy"]).toBeUndefined();
    });

    it("leave the host's other routes alone", async () => {
      const { app } = await fixtureApp();
      const res = await visitor(app).get("/whoami").expect(200);
      expect(res.headers["content-security-policy"]).toBeUndefined();
      expect(res.headers["referrer-policy"]).toBeUndefined();
    });

    it("are met by the page: no inline script, no inline style, no event-handler attributes", async () => {
      const store = await openStore("workflow_state.db");
      await store.createSession(FLOW, { label: `"><script>alert(1)</script><b style="x" onclick="y">` });
      const res = await visitor(buildApp({ store })).get(P).expect(200);
      const scripts = res.text.match(/<script\b[^>]*>/g)!;
      // htmx, its SSE extension (the live updates) and the client script.
      expect(scripts.length).toBe(3);
      for (const tag of scripts) expect(tag).toMatch(/ src="/);
      // Attribute values and text are escaped, so only the tags themselves can carry inline code or style.
      const tags = res.text.replace(/="[^"]*"/g, '=""').match(/<[a-z][^>]*>/gi)!;
      expect(tags.length).toBeGreaterThan(100);
      for (const tag of tags) expect(tag).not.toMatch(/^<style\b|\sstyle=|\son[a-z]+=/i);
      expect(res.text).toContain("&quot;includeIndicatorStyles&quot;:false");
      expect(res.text).toContain("&quot;allowEval&quot;:false");
    });

    it("are met in a real browser: Chromium loads the page, htmx and the client script with no CSP report", async () => {
      const store = await openStore("workflow_state.db");
      const reports: string[] = [];
      const host = express();
      host.post("/csp-report", express.text({ type: "*/*" }), (req, res) => {
        reports.push(String(req.body));
        res.end();
      });
      host.use(function reportCspViolations(_req, res, next) {
        const setHeader = res.setHeader.bind(res);
        res.setHeader = (name, value) => setHeader(name, /^content-security-policy$/i.test(name) ? `${value}; report-uri /csp-report` : value);
        next();
      });
      host.use(buildApp({ store }));
      host.get("/control", (_req, res) => void res.set("Content-Security-Policy", "script-src 'self'; report-uri /csp-report").type("html").send("<script>1</script>"));
      const server = host.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const browse = (url: string) =>
        new Promise<void>((resolve) =>
          execFile(CHROMIUM, ["--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", "--dump-dom", url], { timeout: 20_000 }, () => resolve()),
        );
      try {
        expect((await fetch(`${base}${P}`)).status).toBe(200);
        await browse(`${base}${P}`);
        await browse(`${base}/control`); // proves reports arrive: the control page has an inline script
        for (let i = 0; i < 20 && reports.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(reports.length).toBeGreaterThan(0);
        expect(reports.filter((report) => !report.includes("/control"))).toEqual([]);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }, 60_000);

    it("are met by htmx 2: every Function() it builds goes through maybeEval, which allowEval:false turns off", () => {
      const source = readFileSync(createRequire(import.meta.url).resolve("htmx.org/dist/htmx.js"), "utf8").split("\n");
      const uses = source.flatMap((line, index) => (/\b(Function|eval)\(/.test(line) ? [index] : []));
      expect(uses.length).toBeGreaterThan(0);
      for (const index of uses) expect(source.slice(Math.max(0, index - 8), index).some((line) => line.includes("maybeEval("))).toBe(true);
    });
  });

  describe("asset names", () => {
    it.each(["%", "%E0%A4%A", "%zz", "app.css%", "..%2fpackage.json", "%2e%2e", "app%2Ecss"])("answers GET assets/%s 404 without a cookie, and logs nothing", async (name) => {
      const store = await openStore();
      const logger = recordingLogger();
      const app = buildApp({ store, logger });
      const res = await request(app).get(`${P}/assets/${name}`);
      expect([400, 404]).toContain(res.status);
      expect(res.text).not.toMatch(/URIError|at .*\.js/);
      expect(logger.errors).toEqual([]);
      expect(logger.warnings).toEqual([]);
    });

    it("answers malformed escapes under the prefix with 404 and no log, wherever they are", async () => {
      const store = await openStore();
      const logger = recordingLogger();
      const app = buildApp({ store, logger });
      for (const path of [`${P}/%`, `${P}/list%`, `${P}/assets/%/x`, `${P}%`]) expect([400, 404]).toContain((await request(app).get(path)).status);
      expect(logger.errors).toEqual([]);
    });
  });

  describe("full-page errors", () => {
    const ALICE = { "X-User": "alice" };
    const PAGES: Array<[status: number, send: (agent: request.Agent, base: string) => Promise<request.Response>]> = [
      [401, (agent, base) => agent.get(base).expect(401)],
      [403, (agent, base) => agent.post(`${base}/create`).set(ALICE).set("X-CSRF-Token", "forged").type("form").send({}).expect(403)],
      [404, (agent, base) => agent.post(`${base}/resume`).set(ALICE).type("form").send({ session_id: "no-such-session" }).expect(404)],
    ];

    describe.each(["", "/admin"])("with the app mounted at %j", (mount) => {
      it.each(PAGES)("link their assets and their way back once, so every href and src of the %i page resolves", async (_status, send) => {
        const store = await openStore("workflow_state.db");
        const app = buildApp({ store, owner: (req) => req.get("X-User") }, mount || undefined);
        const agent = visitor(app);
        agent.set("X-CSRF-Token", csrfTokenIn((await agent.get(`${mount}${P}`).set(ALICE).expect(200)).text));
        const res = await send(agent, `${mount}${P}`);
        const links = [...res.text.matchAll(/\s(?:href|src)="([^"]+)"/g)].map((match) => match[1]!);
        // The assets are linked by their content-hashed names (`app.<hash>.css`), which are cached for a year.
        const unhashed = links.map((link) => link.replace(/\/assets\/(.+)\.[0-9a-f]{10}(\.css|\.js)$/, "/assets/$1$2"));
        expect(unhashed.filter((link, i) => link === links[i])).toEqual([`${mount}${P}`]);
        expect(unhashed.sort()).toEqual([`${mount}${P}`, ...["app.css", "client.js", "htmx.min.js"].map((file) => `${mount}${P}/assets/${file}`)].sort());
        // Each link as the signed-in visitor follows it (the 401 page's way back leads to the sign-in-guarded list).
        for (const link of links) await agent.get(link).set(ALICE).expect(200);
      });
    });
  });

  describe("validation", () => {
    it.each(["create", "rename", "delete", "resume"])("answers 405 with Allow: POST to GET /%s", async (route) => {
      const { app } = await fixtureApp();
      const res = await visitor(app).get(`${P}/${route}`).set(JSON_ACCEPT).expect(405).expect("Allow", "POST");
      expect(res.body.error.code).toBe("method_not_allowed");
    });

    it.each(["", "/list"])("answers 405 with Allow: GET, HEAD to POST %s", async (path) => {
      const { app } = await fixtureApp();
      const agent = await csrfAgent(app);
      await agent.post(`${P}${path}`).type("form").send({}).expect(405).expect("Allow", "GET, HEAD");
      await agent.delete(`${P}${path}`).expect(405);
    });

    it.each([
      ["XML", "application/xml", "<label>x</label>"],
      ["multipart", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nx\r\n--x--\r\n"],
      ["text", "text/plain", "label=x"],
      ["a form in latin1", "application/x-www-form-urlencoded; charset=iso-8859-1", "label=caf%E9"],
      ["a form in UTF-16", "application/x-www-form-urlencoded; charset=utf-16", "label=x"],
    ])("answers 415 to %s and creates nothing", async (_name, type, body) => {
      const { app, store } = await fixtureApp();
      const agent = await csrfAgent(app);
      const res = await agent.post(`${P}/create`).set("Content-Type", type).set(JSON_ACCEPT).send(body).expect(415);
      expect(res.body.error.code).toBe("unsupported_media_type");
      expect(await store.countSessions(FLOW)).toBe(24);
    });

    it.each([
      ["gzip", 400],
      ["deflate", 400],
      ["compress", 415],
    ])("answers a body that claims Content-Encoding: %s but is not, with %i instead of a 500", async (encoding, status) => {
      const { app, store } = await fixtureApp();
      const agent = await csrfAgent(app);
      await agent.post(`${P}/create`).set("Content-Encoding", encoding).type("form").send("label=x").expect(status);
      expect(await store.countSessions(FLOW)).toBe(24);
    });

    it("ignores unknown fields", async () => {
      const { app, store } = await fixtureApp();
      const agent = await csrfAgent(app);
      await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "ok", owner: "mallory", is_admin: "1" }).expect(303);
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("ok");
    });

    it("treats sort=constructor and other inherited names as no sort", async () => {
      const { app } = await fixtureApp();
      for (const sort of ["constructor", "__proto__", "toString", "hasOwnProperty"]) await visitor(app).get(`${P}/list?sort=${sort}`).expect(200);
    });

    it("strips control characters from labels", async () => {
      const { app, store } = await fixtureApp();
      const agent = await csrfAgent(app);
      await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "a\u0000b\u202e\u0007c\u2028d" }).expect(303);
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("ab\u202ecd");
    });
  });
});
