import { CHROMIUM } from "./browser-helpers.js";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import express from "express";
import { createRequire } from "node:module";
import request from "supertest";
import { CONTENT_SECURITY_POLICY } from "../lib/security-headers.js";
import { buildApp, csrfAgent, csrfTokenIn, FLOW, openStore, rowIds, visitor } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
const JSON_ACCEPT = { Accept: "application/json" };

async function fixtureApp(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}) {
  const store = await openStore("workflow_state.db");
  const app = buildApp({ store, ...options });
  return { store, app };
}

/** Every row of the flow, to prove a rejected request changed nothing. */
async function snapshot(store: Awaited<ReturnType<typeof openStore>>) {
  return store.listSessions(FLOW, {});
}

const POSTS: Array<[route: string, body: Record<string, string>]> = [
  ["create", { label: "forged" }],
  ["rename", { session_id: NEWEST, label: "forged" }],
  ["delete", { session_id: NEWEST }],
  ["resume", { session_id: NEWEST }],
];

describe("security", () => {
  describe("CSRF", () => {
    it('puts the token in <meta name="csrf-token">, in hx-headers on <body>, and in every POST form as _csrf', async () => {
      const { app } = await fixtureApp();
      const res = await visitor(app).get(P).expect(200);
      const token = csrfTokenIn(res.text);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.text).toContain(`hx-headers="{&quot;X-CSRF-Token&quot;:&quot;${token}&quot;}"`);
      const forms = res.text.match(/<form method="post"[\s\S]*?<\/form>/g)!;
      expect(forms.length).toBeGreaterThanOrEqual(24 + 3);
      for (const form of forms) expect(form).toContain(`<input type="hidden" name="_csrf" value="${token}"`);
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
        await agent.post(`${P}/${route}`).type("form").send({ ...body, _csrf: token }).expect(303);
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
    ])("answers /%s on another user's session with the same 404 as a missing one, changing nothing", async (route, extra) => {
      const { store, alice, bobs } = await twoUsers();
      const before = await snapshot(store);
      const foreign = await alice.post(`${P}/${route}`).set(JSON_ACCEPT).type("form").send({ session_id: bobs[0], ...extra }).expect(404);
      const missing = await alice.post(`${P}/${route}`).set(JSON_ACCEPT).type("form").send({ session_id: "no-such-session", ...extra }).expect(404);
      expect(foreign.body).toEqual(missing.body);
      expect(await snapshot(store)).toEqual(before);
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
      const before = await snapshot(store);
      await request(app).post(`${P}/create`).type("form").send({}).expect(403);
      expect(await snapshot(store)).toEqual(before);
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
      expect(scripts.length).toBe(2);
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
      ["JSON", "application/json", JSON.stringify({ label: "x" })],
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
