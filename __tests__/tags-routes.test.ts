import request from "supertest";
import { MAX_TAGS } from "../lib/store/workflow-store.js";
import { backends, buildApp, csrfAgent, decoded, FLOW, rowIds } from "./helpers.js";

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

  describe("POST /tags/add and /tags/remove (the bulk bar's Tag…)", () => {
    it("under htmx adds the tag to the selection and removes it, answering the list with the badges and the notice", async () => {
      const { store, app: built } = await app();
      const [a, b, c] = [await store.createSession(FLOW, { label: "A" }), await store.createSession(FLOW, { label: "B" }), await store.createSession(FLOW, { label: "C" })];
      await store.setTags(FLOW, a, ["term"]);
      const agent = await csrfAgent(built);
      const added = await agent.post(`${P}/tags/add`).set(HTMX).type("form").send(`session_id=${a}&session_id=${b}&name=%20Term%20`).expect(200);
      expect([rowTags(added.text, a), rowTags(added.text, b), rowTags(added.text, c)]).toEqual([["term"], ["term"], []]);
      expect(decoded(added.text)).toContain("Added the tag “term” to 1 session.");
      const removed = await agent.post(`${P}/tags/remove`).set(HTMX).type("form").send(`session_id=${a}&session_id=${b}&session_id=${c}&name=term`).expect(200);
      expect([rowTags(removed.text, a), rowTags(removed.text, b)]).toEqual([[], []]);
      expect(decoded(removed.text)).toContain("Removed the tag “term” from 2 sessions.");
      const none = await agent.post(`${P}/tags/remove`).set(HTMX).type("form").send({ session_id: a, name: "term" }).expect(200);
      expect(decoded(none.text)).toContain("No session had the tag “term”, so nothing changed.");
      const one = await agent.post(`${P}/tags/add`).set(HTMX).type("form").send({ session_id: c, name: "solo" }).expect(200);
      expect(decoded(one.text)).toContain("Added the tag “solo” to “C”.");
    });

    it("acts on all matching the search, and answers JSON with what changed", async () => {
      const { store, app: built } = await app();
      const ids = [await store.createSession(FLOW, { label: "Lecture 1" }), await store.createSession(FLOW, { label: "Lecture 2" })];
      const other = await store.createSession(FLOW, { label: "Seminar" });
      const agent = request.agent(built).set(JSON_ACCEPT);
      const token = (await agent.get(P).expect(200)).body.csrfToken;
      const res = await agent.post(`${P}/tags/add`).set("X-CSRF-Token", token).send({ all_matching: "1", q: "lect", name: "Course" }).expect(200);
      expect(res.body).toEqual({ tag: "course", changed: 2, full: 0 });
      expect(await store.getTags(FLOW, [...ids, other])).toEqual(new Map(ids.map((id) => [id, ["course"]])));
      const gone = await agent.post(`${P}/tags/remove`).set("X-CSRF-Token", token).send({ all_matching: "1", q: "", name: "course" }).expect(200);
      expect(gone.body).toEqual({ tag: "course", changed: 2, full: 0 });
    });

    it(`says which sessions already had ${MAX_TAGS} tags`, async () => {
      const { store, app: built } = await app();
      const [a, b] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.setTags(FLOW, a, Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`));
      const res = await (await csrfAgent(built)).post(`${P}/tags/add`).set(HTMX).type("form").send(`session_id=${a}&session_id=${b}&name=more`).expect(200);
      expect(decoded(res.text)).toContain(`Added the tag “more” to 1 session. 1 session already had ${MAX_TAGS} tags, the most a session may have.`);
      const alone = await (await csrfAgent(built)).post(`${P}/tags/add`).set(HTMX).type("form").send(`session_id=${a}&name=more`).expect(200);
      expect(decoded(alone.text)).toMatch(new RegExp(`“[^”]+” already has ${MAX_TAGS} tags, the most a session may have, so “more” was not added\\.`));
    });

    it("without JavaScript: Tag… asks for the tag on the page (POST /confirm, intent=tag), whose form adds it, then 303 back", async () => {
      const { store, app: built } = await app();
      const [a, b] = [await store.createSession(FLOW, { label: "A" }), await store.createSession(FLOW, { label: "B" })];
      const agent = await csrfAgent(built);
      const token = (await agent.get(P)).text.match(/name="_csrf" value="([^"]+)"/)![1]!;
      const asked = await agent.post(`${P}/confirm?sort=label&dir=asc`).type("form").send(`session_id=${a}&session_id=${b}&intent=tag&view=sessions&q=&_csrf=${token}`).expect(200);
      const dialog = asked.text.slice(asked.text.indexOf('<dialog id="ews-tag-dialog"'), asked.text.indexOf("</dialog>", asked.text.indexOf('<dialog id="ews-tag-dialog"')));
      expect(dialog).toMatch(/<dialog id="ews-tag-dialog"[^>]* open/);
      expect(decoded(dialog)).toContain("Add or remove a tag on 2 sessions");
      expect(dialog).toContain(`action="${P}/tags/add?sort=label&amp;dir=asc"`);
      expect(dialog).toContain(`formaction="${P}/tags/remove?sort=label&amp;dir=asc"`);
      expect([...dialog.matchAll(/name="session_id" value="([^"]+)"/g)].map((m) => m[1])).toEqual([a, b]);
      const res = await agent.post(`${P}/tags/add?sort=label&dir=asc`).type("form").send(`session_id=${a}&session_id=${b}&name=x&_csrf=${token}`).expect(303);
      expect(res.headers.location).toBe(`${P}?sort=label&dir=asc`);
      const page = await agent.get(res.headers.location!).expect(200);
      expect([rowTags(page.text, a), rowTags(page.text, b)]).toEqual([["x"], ["x"]]);
      expect(decoded(page.text)).toContain("Added the tag “x” to 2 sessions.");
    });

    it("answers 400 to a missing or bad tag and 404 to another owner's session, changing nothing", async () => {
      const { store, app: built } = await app({ owner: (req) => req.get("X-User") });
      const mine = await store.createSession(FLOW, { owner: "alice" });
      const bobs = await store.createSession(FLOW, { owner: "bob" });
      const alice = request.agent(built).set({ ...JSON_ACCEPT, "X-User": "alice" });
      const token = (await alice.get(P).expect(200)).body.csrfToken;
      const post = (path: string, body: object) => alice.post(`${P}${path}`).set("X-CSRF-Token", token).send(body);
      await post("/tags/add", { session_id: mine }).expect(400);
      await post("/tags/add", { session_id: mine, name: "x".repeat(41) }).expect(400);
      await post("/tags/add", { session_id: mine, name: ["a", "b"] }).expect(400);
      await post("/tags/add", { name: "x" }).expect(400);
      const theirs = await post("/tags/add", { session_id: [mine, bobs], name: "x" }).expect(404);
      const missing = await post("/tags/add", { session_id: [mine, "no-such-session"], name: "x" }).expect(404);
      expect(theirs.body).toEqual(missing.body);
      expect((await post("/tags/add", { all_matching: "1", q: "", name: "x", tag: "filter" }).expect(200)).body).toEqual({ tag: "x", changed: 0, full: 0 });
      await post("/tags/remove", { session_id: bobs, name: "x" }).expect(404);
      expect(await store.getTags(FLOW, [mine, bobs])).toEqual(new Map());
      await request(built).post(`${P}/tags/add`).set("X-User", "alice").type("form").send({ session_id: mine, name: "x" }).expect(403);
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

describe.each(backends)("the tag filter on $name", (backend) => {
  async function app(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}) {
    const store = await backend.openStore();
    return { store, app: buildApp({ store, ...options }) };
  }

  /** The chips of the tag filter: tag, count, whether it is on, and where it leads. */
  const chips = (html: string) =>
    [...html.matchAll(/<a [^>]*?href="([^"]*)"[^>]*data-tag-filter="([^"]*)"[^>]*aria-current="(true|false)"[^>]*><span>[^<]*<\/span><span[^>]*>([^<]*)<\/span>/g)].map(
      ([, href, tag, on, count]) => ({ tag: decoded(tag!), count: count!, on: on === "true", href: decoded(href!).replace(/&amp;/g, "&") }),
    );

  async function tagged() {
    const { store, app: built } = await app();
    const a = await store.createSession(FLOW, { label: "Alpha" });
    const b = await store.createSession(FLOW, { label: "Beta" });
    const c = await store.createSession(FLOW, { label: "Gamma" });
    await store.setTags(FLOW, a, ["red", "round"]);
    await store.setTags(FLOW, b, ["red"]);
    await store.setTags(FLOW, c, ["round"]);
    return { store, built, a, b, c };
  }

  it("lists only the sessions with every ?tag= asked for, with the search, and says so in the count", async () => {
    const { built, a, b } = await tagged();
    const agent = await csrfAgent(built);
    const red = await agent.get(`${P}?tag=red`).expect(200);
    expect(rowIds(red.text).sort()).toEqual([a, b].sort());
    expect(decoded(red.text)).toMatch(/2 sessions[^<]* tagged “<span class="break-all">red<\/span>”/);
    expect(rowIds((await agent.get(`${P}/list?tag=Red&tag=ROUND`).expect(200)).text)).toEqual([a]);
    expect(rowIds((await agent.get(`${P}/list?tag=red&q=bet`).expect(200)).text)).toEqual([b]); // "bet" is no hex id prefix
    const none = await agent.get(`${P}/list?tag=blue`).expect(200);
    expect(none.text).toContain(`data-role="no-matches"`);
    expect(none.text).toContain("No session has every tag of the filter");
  });

  it("shows the owner's tags with their counts as chips that add a tag to the filter or take it out, keeping the order and search", async () => {
    const { built } = await tagged();
    const agent = await csrfAgent(built);
    expect(chips((await agent.get(P).expect(200)).text)).toEqual([
      { tag: "red", count: "2", on: false, href: `${P}?sort=updated&dir=desc&tag=red` },
      { tag: "round", count: "2", on: false, href: `${P}?sort=updated&dir=desc&tag=round` },
    ]);
    expect(chips((await agent.get(`${P}?tag=red&sort=label&q=a`).expect(200)).text)).toEqual([
      { tag: "red", count: "2", on: true, href: `${P}?sort=label&dir=asc&q=a` },
      { tag: "round", count: "2", on: false, href: `${P}?sort=label&dir=asc&q=a&tag=red&tag=round` },
    ]);
  });

  it("keeps the filter in the list's links, the search form and the answers of actions", async () => {
    const { store, built, a, b } = await tagged();
    const agent = await csrfAgent(built);
    const page = await agent.get(`${P}?tag=red`).expect(200);
    expect(page.text).toContain(`data-tags="[&quot;red&quot;]"`);
    expect(page.text).toContain(`<input type="hidden" name="tag" value="red"`);
    expect(decoded(page.text)).toContain(`href="${P}?sort=label&amp;dir=asc&amp;tag=red"`);
    const token = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const res = await agent.post(`${P}/pin?tag=red`).type("form").send({ session_id: a, _csrf: token }).expect(303);
    expect(res.headers.location).toBe(`${P}?tag=red`);
    const htmx = await agent.post(`${P}/duplicate`).set(HTMX).type("form").send(`session_id=${b}&tag=red`).expect(200);
    // The copy has no tags (a duplicate does not copy them), so the filtered list answered leaves it out.
    expect(rowIds(htmx.text).sort()).toEqual([a, b].sort());
    expect(await store.countSessions(FLOW)).toBe(4);
    // POST /tags: the body's tags are the session's; the filter comes from the query.
    const retagged = await agent.post(`${P}/tags?tag=red`).set(HTMX).type("form").send(`session_id=${a}&tag=round`).expect(200);
    expect(rowIds(retagged.text)).not.toContain(a);
    expect(retagged.text).toContain(`data-tags="[&quot;red&quot;]"`);
  });

  it("carries each row's tags in the filtered list's JSON", async () => {
    const { built, a } = await tagged();
    const list = await request(built).get(`${P}/list?tag=round&tag=red`).set(JSON_ACCEPT).expect(200);
    expect(list.body.items.map((item: { sessionId: string; tags: string[] }) => [item.sessionId, item.tags])).toEqual([[a, ["red", "round"]]]);
    expect(list.body.total).toBe(1);
  });

  it("escapes a hostile tag in the chips", async () => {
    const { store, app: built } = await app();
    const a = await store.createSession(FLOW);
    await store.setTags(FLOW, a, [HOSTILE]);
    const page = await (await csrfAgent(built)).get(`${P}?tag=${encodeURIComponent(HOSTILE)}`).expect(200);
    expect(page.text).not.toContain("<img");
    expect(rowIds(page.text)).toEqual([a]);
  });

  it("offers Select all matching while filtered by tags, and all matching is what the filter shows: to confirm, delete, tag and export", async () => {
    const { store, built, a, b, c } = await tagged();
    const agent = await csrfAgent(built);
    const page = (await agent.get(`${P}?tag=red`).expect(200)).text;
    expect(page).toMatch(/data-action="select-all-matching" data-matching="2"/);
    const token = page.match(/name="_csrf" value="([^"]+)"/)![1]!;
    // Without JavaScript the filter travels in the form's action (the list's state); the client sends it in the body.
    const asked = await agent.post(`${P}/confirm?tag=red`).type("form").send({ all_matching: "1", q: "", intent: "delete", _csrf: token }).expect(200);
    expect(decoded(asked.text)).toContain("Move 2 sessions to the trash?");
    const exported = await agent
      .post(`${P}/export`)
      .type("form")
      .send(`all_matching=1&q=&tag=round&_csrf=${token}`)
      .buffer(true)
      .parse((stream, done) => {
        let text = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => (text += chunk));
        stream.on("end", () => done(null, text));
      })
      .expect(200);
    expect(JSON.parse(exported.body as string).sessions.map((s: { sessionId: string }) => s.sessionId).sort()).toEqual([a, c].sort());
    const tagging = await agent.post(`${P}/tags/add`).set(HTMX).type("form").send("all_matching=1&q=&tag=round&name=shape").expect(200);
    expect(decoded(tagging.text)).toContain("Added the tag “shape” to 2 sessions.");
    expect(await store.getTags(FLOW, [a, b, c])).toEqual(new Map([[a, ["red", "round", "shape"]], [b, ["red"]], [c, ["round", "shape"]]]));
    await agent.post(`${P}/delete?tag=red`).type("form").send({ all_matching: "1", q: "", _csrf: token }).expect(303);
    expect((await store.listSessions(FLOW)).map((s) => s.sessionId)).toEqual([c]);
  });

  it("shows each owner only their own tags", async () => {
    const { store, app: built } = await app({ owner: (req) => req.get("X-User") });
    const bobs = await store.createSession(FLOW, { owner: "bob" });
    await store.setTags(FLOW, bobs, ["secret"], { owner: "bob" });
    const alice = await csrfAgent(built, { headers: { "X-User": "alice" } });
    const page = await alice.get(`${P}?tag=secret`).expect(200);
    expect(rowIds(page.text)).toEqual([]);
    expect(chips(page.text)).toEqual([{ tag: "secret", count: "0", on: true, href: P + "?sort=updated&dir=desc" }]);
  });

  describe("POST /rename with edit_tags=1", () => {
    it("renames and sets the tags in one form, and the list answered keeps the filter of its URL", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "Old" });
      await store.setTags(FLOW, a, ["keep", "drop"]);
      const agent = await csrfAgent(built);
      const page = await agent.get(`${P}?rename=${a}&tag=keep`).expect(200);
      // Without JavaScript the dialog lists the tags as checked checkboxes.
      expect(page.text).toMatch(/<input type="checkbox" name="tag" value="drop" checked/);
      const token = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
      const res = await agent.post(`${P}/rename?tag=keep`).type("form").send(`session_id=${a}&label=New&edit_tags=1&tag=keep&tag=Added&tag=&_csrf=${token}`).expect(303);
      expect(res.headers.location).toBe(`${P}?tag=keep`);
      expect((await store.getSessionSummary(FLOW, a))!.label).toBe("New");
      expect(await store.getTags(FLOW, [a])).toEqual(new Map([[a, ["added", "keep"]]]));
    });

    it("refuses bad tags before renaming (400), changing nothing", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW, { label: "Old" });
      const agent = await csrfAgent(built);
      await agent.post(`${P}/rename`).type("form").send({ session_id: a, label: "New", edit_tags: "1", tag: "x".repeat(41) }).expect(400);
      expect((await store.getSessionSummary(FLOW, a))!.label).toBe("Old");
    });

    it("leaves the tags alone without edit_tags", async () => {
      const { store, app: built } = await app();
      const a = await store.createSession(FLOW);
      await store.setTags(FLOW, a, ["keep"]);
      await (await csrfAgent(built)).post(`${P}/rename`).type("form").send({ session_id: a, label: "New" }).expect(303);
      expect(await store.getTags(FLOW, [a])).toEqual(new Map([[a, ["keep"]]]));
    });
  });
});
