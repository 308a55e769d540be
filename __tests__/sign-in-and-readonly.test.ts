import request from "supertest";
import { ERROR_TABLE } from "../lib/errors.js";
import { withReturnTo } from "../lib/http/sign-in.js";
import { backends, buildApp, csrfAgent, csrfTokenIn, FLOW, rowIds, visitor } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };

describe.each(backends)("createSessionManager() on $name", (backend) => {
  describe("signIn option", () => {
    const signedOutApp = async (signIn?: Parameters<typeof buildApp>[0]["signIn"]) => {
      const store = await backend.openStore("workflow_state.db");
      // Signed in when the request carries the X-User header the test sets.
      const app = buildApp({ store, signIn, owner: (req) => req.get("X-User") });
      return { app, store };
    };

    describe("when it is a URL", () => {
      it("redirects a signed-out page request (303) to it with the page's path and query as return_to", async () => {
        const { app } = await signedOutApp("/login");
        const res = await visitor(app).get(`${P}?q=lec&sort=label`).expect(303);
        expect(res.headers.location).toBe(`/login?return_to=${encodeURIComponent(`${P}?q=lec&sort=label`)}`);
        expect(res.headers["cache-control"]).toBe("no-store");
      });

      it("adds return_to to a URL that already has a query, before its fragment", async () => {
        const { app } = await signedOutApp("https://id.example.com/sign-in?app=7#top");
        const res = await visitor(app).get(P).expect(303);
        expect(res.headers.location).toBe(`https://id.example.com/sign-in?app=7&return_to=${encodeURIComponent(P)}#top`);
      });

      it("answers an htmx request with HX-Redirect to it, returning to the page the browser shows", async () => {
        const { app } = await signedOutApp("/login");
        const res = await visitor(app)
          .get(`${P}/list?offset=50`)
          .set(HTMX)
          .set("HX-Current-URL", "http://127.0.0.1/manage/sessions?offset=50")
          .set("Host", "127.0.0.1")
          .expect(401);
        expect(res.headers["hx-redirect"]).toBe(`/login?return_to=${encodeURIComponent(`${P}?offset=50`)}`);
      });

      it("never returns an htmx request to another host's page: it falls back to the manager page", async () => {
        const { app } = await signedOutApp("/login");
        const res = await visitor(app).get(`${P}/list`).set(HTMX).set("HX-Current-URL", "https://evil.example/steal").expect(401);
        expect(res.headers["hx-redirect"]).toBe(`/login?return_to=${encodeURIComponent(P)}`);
      });

      it("sends a POST without JavaScript from a page whose visitor has since signed out to sign in, returning to the page, and changes nothing", async () => {
        const { app, store } = await signedOutApp("/login");
        const before = await store.countSessions(FLOW);
        // The page was loaded signed in; the form is sent after signing out (no X-User any more).
        const agent = visitor(app);
        const token = csrfTokenIn((await agent.get(P).set("X-User", "ada").expect(200)).text);
        const res = await agent.post(`${P}/create`).type("form").send({ label: "x", _csrf: token }).expect(303);
        expect(res.headers.location).toBe(`/login?return_to=${encodeURIComponent(P)}`);
        expect(await store.countSessions(FLOW)).toBe(before);
      });

      it("still answers JSON requests with 401 and the error's code", async () => {
        const { app } = await signedOutApp("/login");
        const res = await visitor(app).get(P).set("Accept", "application/json").expect(401);
        expect(res.body).toEqual({ error: { code: "not_signed_in", message: ERROR_TABLE.not_signed_in.message } });
      });

      it("leaves signed-in visitors alone", async () => {
        const { app } = await signedOutApp("/login");
        await request(app).get(P).set("X-User", "ada").expect(200);
      });
    });

    describe("when it is a function", () => {
      it("is called with (req, res, returnTo) and answers the request", async () => {
        const seen: string[] = [];
        const { app } = await signedOutApp((req, res, returnTo) => {
          seen.push(`${req.method} ${returnTo}`);
          res.redirect(302, `/auth?next=${encodeURIComponent(returnTo)}`);
        });
        const res = await visitor(app).get(`${P}?offset=50`).expect(302);
        expect(res.headers.location).toBe(`/auth?next=${encodeURIComponent(`${P}?offset=50`)}`);
        expect(seen).toEqual([`GET ${P}?offset=50`]);
      });
    });

    describe("when it is not set", () => {
      it("keeps the 401 page", async () => {
        const { app } = await signedOutApp(undefined);
        const res = await visitor(app).get(P).expect(401);
        expect(res.text).toContain(ERROR_TABLE.not_signed_in.message);
      });
    });

    it("is checked at setup", async () => {
      const store = await backend.openStore();
      expect(() => buildApp({ store, signIn: "" })).toThrow(/`signIn` option must be the sign-in page's URL/);
      expect(() => buildApp({ store, signIn: 42 as never })).toThrow(/`signIn` option/);
    });
  });

  describe("readonly option", () => {
    const readonlyApp = async () => {
      const store = await backend.openStore("workflow_state.db");
      return { store, app: buildApp({ store, readonly: true }) };
    };

    it("lists the sessions without New Session, Resume, Rename or Delete", async () => {
      const { app, store } = await readonlyApp();
      const res = await visitor(app).get(P).expect(200);
      expect(rowIds(res.text).length).toBe(Math.min(50, await store.countSessions(FLOW)));
      expect(res.text).not.toMatch(/data-action="(create|resume|rename|delete|duplicate|import|bulk-delete)"/);
      expect(res.text).not.toContain(`action="${P}/create"`);
      // The bulk bar keeps what reads: Export of the selection, and Clear.
      expect(res.text).toMatch(/data-action="bulk-export"/);
    });

    it("shows the trash without Restore or Delete forever", async () => {
      const { app, store } = await readonlyApp();
      const [first] = await store.listSessions(FLOW, { limit: 1 });
      await store.trashSessions(FLOW, [first!.sessionId]);
      const res = await visitor(app).get(`${P}/trash`).expect(200);
      expect(res.text).toContain(`data-session-id="${first!.sessionId}"`);
      expect(res.text).not.toMatch(/data-action="(restore|purge|bulk-restore|bulk-purge|empty-trash)"/);
    });

    it("opens no rename or delete dialog for ?rename= and ?delete= (the page without JavaScript)", async () => {
      const { app, store } = await readonlyApp();
      const [first] = await store.listSessions(FLOW, { limit: 1 });
      for (const kind of ["rename", "delete"]) {
        const res = await visitor(app).get(`${P}?${kind}=${first!.sessionId}`).expect(200);
        expect(res.text).not.toMatch(/<dialog[^>]*\sopen/);
      }
      // Without readonly, the same address opens the dialog.
      const open = await visitor(buildApp({ store })).get(`${P}?rename=${first!.sessionId}`).expect(200);
      expect(open.text).toMatch(/<dialog[^>]*\sopen/);
    });

    it.each(["create", "rename", "delete", "resume"])("answers POST /%s with 403 read_only and changes nothing", async (route) => {
      const { app, store } = await readonlyApp();
      const before = await store.listSessions(FLOW, {});
      const [first] = before;
      const agent = await csrfAgent(app);
      const res = await agent.post(`${P}/${route}`).type("form").send({ session_id: first!.sessionId, label: "changed" }).set(HTMX).expect(403);
      expect(res.text).toContain(ERROR_TABLE.read_only.message);
      const json = await agent.post(`${P}/${route}`).set("Accept", "application/json").type("form").send({ session_id: first!.sessionId }).expect(403);
      expect(json.body.error.code).toBe("read_only");
      expect(await store.listSessions(FLOW, {})).toEqual(before);
    });

    it("is checked at setup", async () => {
      const store = await backend.openStore();
      expect(() => buildApp({ store, readonly: "yes" as never })).toThrow(/`readonly` option must be true or false/);
    });

    it("shows the controls again without it", async () => {
      const store = await backend.openStore("workflow_state.db");
      const res = await visitor(buildApp({ store })).get(P).expect(200);
      expect(res.text).toMatch(/data-action="rename"/);
    });
  });
});

describe("withReturnTo()", () => {
  it.each([
    ["/login", "/p?q=1", "/login?return_to=%2Fp%3Fq%3D1"],
    ["/login?", "/p", "/login?return_to=%2Fp"],
    ["/login?a=1&", "/p", "/login?a=1&return_to=%2Fp"],
    ["/login#x", "/p", "/login?return_to=%2Fp#x"],
  ])("adds return_to to %s", (url, returnTo, expected) => {
    expect(withReturnTo(url, returnTo)).toBe(expected);
  });
});
