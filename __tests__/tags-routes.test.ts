import request from "supertest";
import { MAX_TAGS } from "../lib/store/workflow-store.js";
import { backends, buildApp, csrfAgent, decoded, FLOW } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const JSON_ACCEPT = { Accept: "application/json" };
const HOSTILE = `<img src=x onerror=alert(1)>"'&`;

/** The tags of the row of `sessionId`, in the order its badges show them. */
const rowTags = (html: string, sessionId: string) => {
  const start = html.indexOf(`data-session-id="${sessionId}"`);
  const row = html.slice(start, html.indexOf("</tr>", start));
  return [...row.matchAll(/data-tag="([^"]*)"/g)].map((match) => decoded(match[1]!));
};

describe.each(backends)("tags over HTTP on $name", (backend) => {
  async function app(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}) {
    const store = await backend.openStore();
    return { store, app: buildApp({ store, ...options }) };
  }

  describe("POST /tags", () => {
    it("under htmx answers the list with the row's new tags as badges, and the notice", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "First" });
      const agent = await csrfAgent(built);
      const res = await agent.post(`${P}/tags`).set(HTMX).type("form").send("session_id=" + a + "&tag=Urgent&tag=draft&tag=").expect(200);
      expect(rowTags(res.text, a)).toEqual(["draft", "urgent"]);
      expect(decoded(res.text)).toContain("Tagged “First”: draft, urgent.");
      const cleared = await agent.post(`${P}/tags`).set(HTMX).type("form").send({ session_id: a }).expect(200);
      expect(rowTags(cleared.text, a)).toEqual([]);
      expect(decoded(cleared.text)).toContain("Cleared the tags of “First”.");
    });

    it("without JavaScript answers 303 back to the list as it was, and the page shows the tags", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "Kept" });
      const agent = await csrfAgent(built);
      const token = (await agent.get(P)).text.match(/name="_csrf" value="([^"]+)"/)![1]!;
      const res = await agent.post(`${P}/tags?sort=label&dir=asc`).type("form").send({ session_id: a, tag: "x", _csrf: token }).expect(303);
      expect(res.headers.location).toBe(`${P}?sort=label&dir=asc`);
      expect(rowTags((await agent.get(res.headers.location!).expect(200)).text, a)).toEqual(["x"]);
    });

    it("answers JSON with the item and its tags as stored, and the list's JSON carries each row's tags", async () => {
      const { store, app: built } = await app();
      const [a, b] = [await store.createSession(FLOW, { label: "J" }), await store.createSession(FLOW)];
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      const res = await agent.post(`${P}/tags`).set("X-CSRF-Token", token).send({ session_id: a, tag: [" B ", "a", "b"] }).expect(200);
      expect(res.body).toMatchObject({ sessionId: a, label: "J", tags: ["a", "b"] });
      expect(res.headers.etag).toBeDefined();
      const one = await agent.post(`${P}/tags`).set("X-CSRF-Token", token).send({ session_id: b, tag: "solo" }).expect(200);
      expect(one.body.tags).toEqual(["solo"]);
      const list = await agent.get(`${P}/list`).expect(200);
      const byId = Object.fromEntries(list.body.items.map((item: { sessionId: string; tags: string[] }) => [item.sessionId, item.tags]));
      expect(byId).toEqual({ [a]: ["a", "b"], [b]: ["solo"] });
    });

    it.each([
      ["more than the limit", Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`), `at most ${MAX_TAGS} tags`],
      ["a tag that is too long", ["x".repeat(41)], "at most 40 characters"],
      ["a control character", ["a\u0001"], "control characters"],
    ])("answers 400 with a message for %s, and changes nothing", async (_, tags, message) => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW);
      await store.setTags(FLOW, a, ["kept"]);
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      const res = await agent.post(`${P}/tags`).set("X-CSRF-Token", token).send({ session_id: a, tag: tags }).expect(400);
      expect(res.body.error.message).toContain(message);
      expect(await store.getTags(FLOW, [a])).toEqual(new Map([[a, ["kept"]]]));
    });

    it("answers 400 to a tag that is not text, to a missing session_id and to one sent twice", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW);
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      await agent.post(`${P}/tags`).set("X-CSRF-Token", token).send({ session_id: a, tag: [{ x: 1 }] }).expect(400);
      const form = await csrfAgent(built);
      await form.post(`${P}/tags`).type("form").send({ tag: "x" }).expect(400);
      await form.post(`${P}/tags`).type("form").send("session_id=a&session_id=b&tag=x").expect(400);
    });

    it("answers 404 to an unknown session", async () => {
      const { app: built } = await app();
      await (await csrfAgent(built)).post(`${P}/tags`).type("form").send({ session_id: "no-such-session", tag: "x" }).expect(404);
    });

    it("refuses a request without the CSRF token (403) and tags nothing", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW);
      await request(built).post(`${P}/tags`).type("form").send({ session_id: a, tag: "x" }).expect(403);
      expect(await store.getTags(FLOW, [a])).toEqual(new Map());
    });

    it("is refused with readonly: true", async () => {
      const { store, app: built } = await app({ readonly: true });
      const a = await store.createSession(FLOW);
      await (await csrfAgent(built)).post(`${P}/tags`).type("form").send({ session_id: a, tag: "x" }).expect(403);
      expect(await store.getTags(FLOW, [a])).toEqual(new Map());
    });

    it("escapes a hostile tag in the row's badges", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW);
      await store.setTags(FLOW, a, [HOSTILE]);
      const page = await (await csrfAgent(built)).get(P).expect(200);
      expect(page.text).not.toContain("<img");
      expect(rowTags(page.text, a)).toEqual(["&lt;img src=x onerror=alert(1)&gt;&quot;'&amp;"]);
    });
  });

  describe("with the owner option", () => {
    it("answers another owner's session exactly like a missing one (404), and changes nothing", async () => {
      const { store, app: built } = await app({ owner: (req) => req.get("X-User") });
      const bobs = await store.createSession(FLOW, { label: "bob's", owner: "bob" });
      await store.setTags(FLOW, bobs, ["bob"], { owner: "bob" });
      const alice = request.agent(built).set({ ...JSON_ACCEPT, "X-User": "alice" });
      const token = (await alice.get(P).expect(200)).body.csrfToken;
      const theirs = await alice.post(`${P}/tags`).set("X-CSRF-Token", token).send({ session_id: bobs, tag: "mine" }).expect(404);
      const missing = await alice.post(`${P}/tags`).set("X-CSRF-Token", token).send({ session_id: "no-such-session", tag: "mine" }).expect(404);
      expect(theirs.body).toEqual(missing.body);
      expect(await store.getTags(FLOW, [bobs])).toEqual(new Map([[bobs, ["bob"]]]));
    });
  });
});
