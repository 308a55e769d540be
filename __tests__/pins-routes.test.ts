import request from "supertest";
import { MAX_PINS } from "../lib/store/workflow-store.js";
import { backends, buildApp, csrfAgent, decoded, FLOW } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const JSON_ACCEPT = { Accept: "application/json" };
const HOSTILE = `<img src=x onerror=alert(1)>"'&`;

/** The session ids of the Pinned section, in the order it shows them. */
const pinnedIds = (html: string) => [...html.matchAll(/data-pinned-id="([^"]+)"/g)].map((match) => match[1]!);

describe.each(backends)("pins over HTTP on $name", (backend) => {
  async function app(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}) {
    const store = await backend.openStore();
    const built = buildApp({ store, ...options });
    return { store, app: built };
  }

  describe("POST /pin and POST /unpin", () => {
    it("under htmx answers the list with a Pinned section in pin order and the notice", async () => {
      const { store, app: built } = await app();
      const [a, b] = [await store.createSession(FLOW, { label: "First" }), await store.createSession(FLOW, { label: "Second" })];
      const agent = await csrfAgent(built);
      await agent.post(`${P}/pin`).set(HTMX).type("form").send({ session_id: b }).expect(200);
      const res = await agent.post(`${P}/pin`).set(HTMX).type("form").send({ session_id: a }).expect(200);
      expect(pinnedIds(res.text)).toEqual([b, a]);
      expect(decoded(res.text)).toContain("Pinned “First”.");
      expect(res.text).toContain(`aria-label="Unpin First"`);
      const unpinned = await agent.post(`${P}/unpin`).set(HTMX).type("form").send({ session_id: b }).expect(200);
      expect(pinnedIds(unpinned.text)).toEqual([a]);
      expect(unpinned.text).toContain(`aria-label="Pin Second"`);
    });

    it("without JavaScript answers 303 back to the list as it was, and the page shows the pin and the notice", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "Kept" });
      const agent = await csrfAgent(built);
      const token = (await agent.get(P)).text.match(/name="_csrf" value="([^"]+)"/)![1]!;
      const res = await agent.post(`${P}/pin?sort=label&dir=asc`).type("form").send({ session_id: a, _csrf: token }).expect(303);
      expect(res.headers.location).toBe(`${P}?sort=label&dir=asc`);
      const page = await agent.get(res.headers.location!).expect(200);
      expect(pinnedIds(page.text)).toEqual([a]);
      expect(decoded(page.text)).toContain("Pinned “Kept”.");
    });

    it("answers JSON with the item and pinned", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "J" });
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      const pinned = await agent.post(`${P}/pin`).set("X-CSRF-Token", token).send({ session_id: a }).expect(200);
      expect(pinned.body).toMatchObject({ sessionId: a, label: "J", pinned: true });
      const unpinned = await agent.post(`${P}/unpin`).set("X-CSRF-Token", token).send({ session_id: a }).expect(200);
      expect(unpinned.body).toMatchObject({ sessionId: a, pinned: false });
      expect(await store.listPins(FLOW)).toEqual([]);
    });

    it("lists the pinned sessions in the list's JSON, in pin order, whatever the window and search", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "Alpha" });
      const b = await store.createSession(FLOW, { label: "Beta" });
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      for (const id of [b, a]) await agent.post(`${P}/pin`).set("X-CSRF-Token", token).send({ session_id: id }).expect(200);
      const list = await agent.get(`${P}/list?q=zzz-nothing`).expect(200);
      expect(list.body.items).toEqual([]);
      expect(list.body.pinned.map((item: { sessionId: string }) => item.sessionId)).toEqual([b, a]);
      expect(list.body.pinned[0]).toMatchObject({ label: "Beta", displayLabel: "Beta" });
    });

    it("refuses a request without the CSRF token (403) and pins nothing", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW);
      await request(built).post(`${P}/pin`).type("form").send({ session_id: a }).expect(403);
      expect(await store.listPins(FLOW)).toEqual([]);
    });

    it.each(["/pin", "/unpin"])("answers 400 to %s without a session_id, or with it twice", async (route) => {
      const { app: built } = await app();
      const agent = await csrfAgent(built);
      await agent.post(`${P}${route}`).type("form").send({}).expect(400);
      await agent.post(`${P}${route}`).type("form").send("session_id=a&session_id=b").expect(400);
    });

    it("is refused with readonly: true", async () => {
      const { store, app: built } = await app({ readonly: true });
      const a = await store.createSession(FLOW);
      const agent = await csrfAgent(built);
      await agent.post(`${P}/pin`).type("form").send({ session_id: a }).expect(403);
      expect(await store.listPins(FLOW)).toEqual([]);
    });
  });

  describe("with the owner option", () => {
    it.each(["/pin", "/unpin"])("answers %s of another owner's session exactly like a missing one (404), and changes nothing", async (route) => {
      const { store, app: built } = await app({ owner: (req) => req.get("X-User") });
      const bobs = await store.createSession(FLOW, { label: "bob's", owner: "bob" });
      await store.pinSession(FLOW, bobs, { owner: "bob" });
      const alice = request.agent(built).set({ ...JSON_ACCEPT, "X-User": "alice" });
      const token = (await alice.get(P).expect(200)).body.csrfToken;
      const theirs = await alice.post(`${P}${route}`).set("X-CSRF-Token", token).send({ session_id: bobs }).expect(404);
      const missing = await alice.post(`${P}${route}`).set("X-CSRF-Token", token).send({ session_id: "no-such-session" }).expect(404);
      expect(theirs.body).toEqual(missing.body);
      expect((await store.listPins(FLOW, { owner: "bob" })).map((pin) => pin.sessionId)).toEqual([bobs]);
      expect(await store.listPins(FLOW, { owner: "alice" })).toEqual([]);
    });

    it("shows each owner only their own pins", async () => {
      const { store, app: built } = await app({ owner: (req) => req.get("X-User") });
      const bobs = await store.createSession(FLOW, { label: "bob's", owner: "bob" });
      await store.pinSession(FLOW, bobs, { owner: "bob" });
      const alice = await csrfAgent(built, { headers: { "X-User": "alice" } });
      expect(pinnedIds((await alice.get(P).expect(200)).text)).toEqual([]);
      const bob = await csrfAgent(built, { headers: { "X-User": "bob" } });
      expect(pinnedIds((await bob.get(P).expect(200)).text)).toEqual([bobs]);
    });
  });

  describe(`the limit of ${MAX_PINS}`, () => {
    it("answers 409 pin_limit with a message that says what to do", async () => {
      const { store, app: built } = await app();
      const ids: string[] = [];
      for (let i = 0; i <= MAX_PINS; i++) ids.push(await store.createSession(FLOW));
      for (const id of ids.slice(0, MAX_PINS)) await store.pinSession(FLOW, id);
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      const res = await agent.post(`${P}/pin`).set("X-CSRF-Token", token).send({ session_id: ids[MAX_PINS] }).expect(409);
      expect(res.body.error.code).toBe("pin_limit");
      expect(res.body.error.message).toContain("Unpin one first");
      const htmx = await (await csrfAgent(built)).post(`${P}/pin`).set(HTMX).type("form").send({ session_id: ids[MAX_PINS] }).expect(409);
      expect(htmx.text).toContain("Unpin one first");
      expect(await store.listPins(FLOW)).toHaveLength(MAX_PINS);
    });
  });

  describe("the Pinned section", () => {
    it("escapes a hostile label", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: HOSTILE });
      await store.pinSession(FLOW, a);
      const page = await (await csrfAgent(built)).get(P).expect(200);
      const section = page.text.slice(page.text.indexOf(`data-role="pinned"`), page.text.indexOf("</section>", page.text.indexOf(`data-role="pinned"`)));
      expect(section).toContain(a);
      expect(section).not.toContain("<img");
      expect(section).toContain("&lt;img src=x onerror=alert(1)&gt;");
    });

    it("leaves a trashed pinned session out, and shows it again in its place after restore", async () => {
      const { store, app: built } = await app();
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.pinSession(FLOW, a);
      await store.pinSession(FLOW, b);
      const agent = await csrfAgent(built);
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: a }).expect(200);
      expect(pinnedIds((await agent.get(P)).text)).toEqual([b]);
      await agent.post(`${P}/restore`).set(HTMX).type("form").send({ session_id: a }).expect(200);
      expect(pinnedIds((await agent.get(P)).text)).toEqual([a, b]);
    });

    it("is absent when nothing is pinned", async () => {
      const { store, app: built } = await app();
      await store.createSession(FLOW);
      expect((await (await csrfAgent(built)).get(P).expect(200)).text).not.toContain(`data-role="pinned"`);
    });
  });
});
