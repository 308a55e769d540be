import { execFile } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import request from "supertest";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { activeOf, backends, buildApp, FLOW, ROOT, tempDir, type FixtureName } from "./helpers.js";

const run = promisify(execFile);

const P = "/manage/sessions";
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
const JSON_ACCEPT = { Accept: "application/json" };
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(backends)("the JSON API on $name", (backend) => {
  /** An app over a fixture, and a script's agent that has read the list once and keeps its cookie and token. */
  async function scriptClient(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}, fixture: FixtureName = "workflow_state.db") {
    const store = await backend.openStore(fixture);
    const app = buildApp({ store, ...options });
    const agent = request.agent(app);
    agent.set(JSON_ACCEPT);
    const list = await agent.get(P).expect(200).expect("Content-Type", /application\/json/);
    const token = list.body.csrfToken as string;
    return { store, app, agent, token, list: list.body, post: (route: string, body?: object) => agent.post(`${P}${route}`).set("X-CSRF-Token", token).send(body) };
  }

  async function snapshot(store: WorkflowStore) {
    return JSON.stringify(await store.listSessions(FLOW, { limit: 1000 }));
  }

  describe(`GET ${P} and ${P}/list`, () => {
    it("answers { items, total, offset, limit, orderBy, descending, search, pinned } and the CSRF token", async () => {
      const { list } = await scriptClient();
      expect(list).toEqual({
        items: expect.any(Array),
        total: 24,
        capped: false,
        offset: 0,
        limit: 50,
        orderBy: "updated_at",
        descending: true,
        search: "",
        pinned: [],
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(list.items).toHaveLength(24);
      expect(list.items[0]).toEqual({
        sessionId: NEWEST,
        label: "Lecture batch 0",
        displayLabel: "Lecture batch 0",
        currentStep: expect.any(String),
        stepTitle: expect.any(String),
        fields: {},
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        stateSizeBytes: expect.any(Number),
        version: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        tags: [],
        active: false,
      });
    });

    it("gives each session's state size in UTF-8 bytes, as stored", async () => {
      const { store, list } = await scriptClient();
      const ids = list.items.map((item: { sessionId: string }) => item.sessionId);
      const raw = await store.getRawStates(FLOW, ids);
      for (const item of list.items) expect([item.sessionId, item.stateSizeBytes]).toEqual([item.sessionId, Buffer.byteLength(raw.get(item.sessionId) ?? "")]);
    });

    it("reads state blobs only for the rows shown (for their versions), never for the sizes of others", async () => {
      const store = await backend.openStore("workflow_state.db");
      const read = new Set<string>();
      const spied = Object.create(store) as WorkflowStore;
      Object.defineProperty(spied, "getRawStates", {
        value: (flowId: string, ids: string[], scope: object) => (ids.forEach((id) => read.add(id)), store.getRawStates(flowId, ids, scope)),
      });
      Object.defineProperty(spied, "listWindow", {
        value: async (flowId: string, options: { withStates?: boolean }) => {
          const window = await store.listWindow(flowId, options as never);
          for (const id of window.states?.keys() ?? []) read.add(id);
          return window;
        },
      });
      const res = await request(buildApp({ store: spied, pageSize: 5 })).get(`${P}/list?offset=5`).set(JSON_ACCEPT).expect(200);
      const shown = res.body.items.map((item: { sessionId: string }) => item.sessionId);
      expect(shown).toHaveLength(5);
      expect(res.body.items.every((item: { stateSizeBytes: number }) => item.stateSizeBytes > 0)).toBe(true);
      expect([...read].sort()).toEqual([...shown].sort());
    });

    it("takes the list's query: order, direction, search and offset", async () => {
      const { agent } = await scriptClient({ pageSize: 5 });
      const window = await agent.get(`${P}/list?sort=label&dir=asc&offset=5`).expect(200);
      expect(window.body).toMatchObject({ offset: 5, limit: 5, orderBy: "label", descending: false, search: "", total: 24 });
      const res = await agent.get(`${P}/list?sort=label&dir=asc&q=lecture`).expect(200);
      expect(res.body).toMatchObject({ offset: 0, limit: 5, orderBy: "label", descending: false, search: "lecture" });
      expect(res.body.items.length).toBeLessThanOrEqual(5);
      const labels = res.body.items.map((item: { label: string }) => item.label);
      expect(labels).toEqual([...labels].sort((a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase())));
      for (const label of labels) expect(label.toLowerCase()).toContain("lecture");
    });

    it("marks the active session", async () => {
      const { agent, post } = await scriptClient();
      await post("/resume", { session_id: NEWEST }).expect(200);
      const res = await agent.get(P).expect(200);
      expect(res.body.items.filter((item: { active: boolean }) => item.active).map((item: { sessionId: string }) => item.sessionId)).toEqual([NEWEST]);
    });

    it("leaves a plain form's notice waiting for the page", async () => {
      const { agent, token } = await scriptClient();
      await agent.post(`${P}/create`).set("Accept", "text/html").type("form").send({ label: "Flash", _csrf: token }).expect(303);
      await agent.get(P).expect(200);
      const page = await agent.get(P).set("Accept", "text/html").expect(200);
      expect(page.text).toContain("Flash");
      expect(page.text).toMatch(/Created &#8220;Flash&#8221;\.|Created “Flash”\./);
    });
  });

  describe(`POST ${P}/create`, () => {
    it("answers 201 with the new session, active, and a Location that lists exactly it", async () => {
      const { agent, post } = await scriptClient();
      const res = await post("/create", { label: "  From a script  " }).expect(201);
      expect(res.body).toMatchObject({ label: "From a script", displayLabel: "From a script", active: true, createdAt: expect.stringMatching(ISO) });
      expect(await activeOf(agent)).toBe(res.body.sessionId);
      const location = res.get("Location")!;
      expect(location.startsWith(`${P}?`)).toBe(true);
      const there = await agent.get(location).expect(200);
      expect(there.body.items.map((item: { sessionId: string }) => item.sessionId)).toEqual([res.body.sessionId]);
    });

    it("takes the same fields as JSON or as a form, and no body at all", async () => {
      const { store, agent, token, post } = await scriptClient();
      const json = await post("/create", { label: "same" }).expect(201);
      const form = await agent.post(`${P}/create`).set("X-CSRF-Token", token).type("form").send({ label: "same" }).expect(201);
      const none = await post("/create").expect(201);
      expect([json.body.label, form.body.label, none.body.label]).toEqual(["same", "same", null]);
      expect(await store.countSessions(FLOW)).toBe(27);
    });
  });

  describe(`POST ${P}/rename`, () => {
    it("answers the session renamed; an empty label clears it", async () => {
      const { post } = await scriptClient();
      const renamed = await post("/rename", { session_id: NEWEST, label: "Renamed by API" }).expect(200);
      expect(renamed.body).toMatchObject({ sessionId: NEWEST, label: "Renamed by API", displayLabel: "Renamed by API" });
      const cleared = await post("/rename", { session_id: NEWEST, label: "" }).expect(200);
      expect(cleared.body.label).toBeNull();
      expect(cleared.body.displayLabel).not.toBe("");
    });
  });

  describe(`POST ${P}/delete`, () => {
    it("answers the ids deleted, and the active session after it", async () => {
      const { store, agent, post } = await scriptClient();
      await post("/resume", { session_id: NEWEST }).expect(200);
      const res = await post("/delete", { session_id: NEWEST }).expect(200);
      expect(res.body).toEqual({ deleted: [NEWEST], count: 1, permanent: false, batch: expect.any(String), activeSessionId: expect.any(String) });
      expect(res.body.activeSessionId).not.toBe(NEWEST);
      expect(await activeOf(agent)).toBe(res.body.activeSessionId);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(false);
    });

    it("answers activeSessionId null when the visitor had none", async () => {
      const { post } = await scriptClient();
      expect((await post("/delete", { session_id: NEWEST }).expect(200)).body).toMatchObject({ deleted: [NEWEST], count: 1, activeSessionId: null });
    });

    it("deletes many ids, or all matching a search, and Undo restores them by the batch", async () => {
      const { store, list, post } = await scriptClient();
      const ids = list.items.slice(0, 3).map((item: { sessionId: string }) => item.sessionId);
      const many = await post("/delete", { session_id: ids }).expect(200);
      expect(many.body).toMatchObject({ deleted: ids, count: 3, permanent: false });
      const all = await post("/delete", { all_matching: "1", q: "lecture" }).expect(200);
      expect(all.body.deleted).toBeUndefined();
      expect(all.body.count).toBeGreaterThan(0);
      const trash = await post("/restore", { batch: all.body.batch }).expect(200);
      expect(trash.body).toEqual({ restored: all.body.count });
      expect(await store.countSessions(FLOW)).toBe(21);
    });
  });

  describe(`POST ${P}/duplicate`, () => {
    it("answers 201 with the copy, its ETag and a Location that lists exactly it", async () => {
      const { agent, post, store } = await scriptClient();
      const res = await post("/duplicate", { session_id: NEWEST }).expect(201);
      expect(res.body).toMatchObject({ label: "Copy of Lecture batch 0", active: false });
      expect(res.body.sessionId).not.toBe(NEWEST);
      expect(res.get("ETag")).toBe(`"${res.body.version}"`);
      const there = await agent.get(res.get("Location")!).expect(200);
      expect(there.body.items.map((item: { sessionId: string }) => item.sessionId)).toEqual([res.body.sessionId]);
      const raw = await store.getRawStates(FLOW, [NEWEST, res.body.sessionId]);
      expect(raw.get(res.body.sessionId)).toBe(raw.get(NEWEST));
    });
  });

  describe("versions: ETag and If-Match", () => {
    it("gives each item answer the item's version as its ETag", async () => {
      const { post } = await scriptClient();
      const created = await post("/create", { label: "v" }).expect(201);
      expect(created.get("ETag")).toBe(`"${created.body.version}"`);
      const renamed = await post("/rename", { session_id: created.body.sessionId, label: "w" }).expect(200);
      expect(renamed.get("ETag")).toBe(`"${renamed.body.version}"`);
      expect(renamed.body.version).not.toBe(created.body.version);
    });

    it.each(["/rename", "/resume", "/duplicate"])("does %s with If-Match at the current version", async (route) => {
      const { list, post } = await scriptClient();
      const { version } = list.items[0];
      await post(route, { session_id: NEWEST, label: "x" }).set("If-Match", `"${version}"`).expect(route === "/duplicate" ? 201 : 200);
    });

    it.each(["/rename", "/delete", "/resume", "/duplicate"])("answers %s with a stale If-Match 412, saying what changed, and changes nothing", async (route) => {
      const { store, list, post } = await scriptClient();
      const { version } = list.items[0];
      await post("/rename", { session_id: NEWEST, label: "Changed elsewhere" }).expect(200);
      const before = await snapshot(store);
      const res = await post(route, { session_id: NEWEST, label: "mine" }).set("If-Match", `"${version}"`).expect(412);
      expect(res.body.error).toEqual({ code: "precondition_failed", message: expect.stringContaining("renamed to") });
      expect(await snapshot(store)).toBe(before);
    });

    it("answers a weak or a list of entity tags as no match, or 400; If-Match: * as no version", async () => {
      const { list, post } = await scriptClient();
      const { version } = list.items[0];
      await post("/rename", { session_id: NEWEST, label: "a" }).set("If-Match", `W/"${version}"`).expect(412);
      const two = await post("/rename", { session_id: NEWEST, label: "a" }).set("If-Match", `"${version}", "other"`).expect(400);
      expect(two.body.error.message).toContain("one entity tag");
      await post("/rename", { session_id: NEWEST, label: "b" }).set("If-Match", "*").expect(200);
    });

    it("still answers a stale version field 409, as a form's", async () => {
      const { post } = await scriptClient();
      const res = await post("/rename", { session_id: NEWEST, label: "x", version: "AAAAAAAAAAAAAAAAAAAAAA" }).expect(409);
      expect(res.body.error.code).toBe("version_conflict");
    });
  });

  describe(`POST ${P}/resume`, () => {
    it("answers { activeSessionId, redirect } instead of redirecting", async () => {
      const { agent, post } = await scriptClient();
      const res = await post("/resume", { session_id: NEWEST }).expect(200);
      expect(res.body).toEqual({ activeSessionId: NEWEST, redirect: "/workflow" });
      expect(await activeOf(agent)).toBe(NEWEST);
    });
  });

  describe("CSRF", () => {
    it("takes the list's token as X-CSRF-Token, or as _csrf in a JSON body", async () => {
      const { agent, token } = await scriptClient();
      await agent.post(`${P}/create`).set("X-CSRF-Token", token).send({ label: "header" }).expect(201);
      await agent.post(`${P}/create`).send({ label: "field", _csrf: token }).expect(201);
    });

    it.each([
      ["no token", {}],
      ["a wrong token", { "X-CSRF-Token": "forged" }],
    ])("answers 403 JSON to a POST with %s, and changes nothing", async (_name, headers) => {
      const { store, agent } = await scriptClient();
      const before = await snapshot(store);
      const res = await agent.post(`${P}/rename`).set(headers).send({ session_id: NEWEST, label: "x" }).expect(403);
      expect(res.body).toEqual({ error: { code: "forbidden", message: expect.stringContaining("nothing was changed") } });
      expect(await snapshot(store)).toBe(before);
    });

    it("answers 403 to another site's request even with the right token", async () => {
      const { store, post } = await scriptClient();
      const before = await snapshot(store);
      await post("/rename", { session_id: NEWEST, label: "x" }).set("Origin", "https://evil.example").expect(403);
      expect(await snapshot(store)).toBe(before);
    });

    it("gives the token to a script that has never loaded the page, with the cookie that goes with it", async () => {
      const store = await backend.openStore("workflow_state.db");
      const app = buildApp({ store });
      const first = await request(app).get(`${P}/list`).set(JSON_ACCEPT).expect(200);
      const cookie = first.get("Set-Cookie")!.map((line) => line.split(";")[0]).join("; ");
      await request(app).post(`${P}/create`).set(JSON_ACCEPT).set("Cookie", cookie).set("X-CSRF-Token", first.body.csrfToken).send({ label: "curl" }).expect(201);
    });

    it("sends no CORS header: a preflight gets none, and neither does a cross-origin read", async () => {
      const { agent } = await scriptClient();
      const preflight = await agent
        .options(`${P}/create`)
        .set({ Origin: "https://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-csrf-token, content-type" });
      expect(preflight.status).toBeGreaterThanOrEqual(400);
      const read = await agent.get(P).set("Origin", "https://evil.example").expect(200);
      for (const res of [preflight, read]) expect(Object.keys(res.headers).filter((name) => name.startsWith("access-control-"))).toEqual([]);
    });
  });

  describe("JSON bodies", () => {
    it.each([
      ["malformed JSON", 400, "invalid_input", "application/json", '{"label": '],
      ["a JSON array", 400, "invalid_input", "application/json", '["label"]'],
      ["a JSON string", 400, "invalid_input", "application/json", '"label"'],
      ["a label that is a number", 400, "invalid_input", "application/json", '{"label": 5}'],
      ["a label that is an object", 400, "invalid_input", "application/json", '{"label": {"toString": "x"}}'],
      ["JSON over 16 KB", 413, "payload_too_large", "application/json", JSON.stringify({ label: "x".repeat(17_000) })],
      ["JSON in latin1", 415, "unsupported_media_type", "application/json; charset=iso-8859-1", '{"label":"x"}'],
      ["XML", 415, "unsupported_media_type", "application/xml", "<label>x</label>"],
    ])("answers %s with %i (%s) and a readable message, and writes nothing", async (_name, status, code, type, body) => {
      const { store, agent, token } = await scriptClient();
      const before = await snapshot(store);
      const res = await agent.post(`${P}/create`).set("X-CSRF-Token", token).set("Content-Type", type).send(body).expect(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(10);
      expect(await snapshot(store)).toBe(before);
    });

    it("says what was wrong with malformed JSON", async () => {
      const { post } = await scriptClient();
      const res = await post("/create").set("Content-Type", "application/json").send("{nope").expect(400);
      expect(res.body.error.message).toContain("not valid");
    });

    it("ignores __proto__ and unknown fields", async () => {
      const { post, store } = await scriptClient();
      const res = await post("/rename").set("Content-Type", "application/json").send('{"session_id":"' + NEWEST + '","label":"ok","__proto__":{"label":"polluted"},"owner":"mallory"}').expect(200);
      expect(res.body.label).toBe("ok");
      expect(({} as Record<string, unknown>).label).toBeUndefined();
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("ok");
    });
  });

  describe("the owner option", () => {
    it("answers another owner's session exactly like a missing one", async () => {
      const store = await backend.openStore();
      const app = buildApp({ store, owner: (req) => req.get("X-User") });
      const bobs = await store.createSession(FLOW, { label: "bob's", owner: "bob" });
      const alice = request.agent(app).set({ ...JSON_ACCEPT, "X-User": "alice" });
      const token = (await alice.get(P).expect(200)).body.csrfToken;
      for (const route of ["/rename", "/delete", "/resume"]) {
        const theirs = await alice.post(`${P}${route}`).set("X-CSRF-Token", token).send({ session_id: bobs, label: "x" }).expect(404);
        const missing = await alice.post(`${P}${route}`).set("X-CSRF-Token", token).send({ session_id: "no-such-session", label: "x" }).expect(404);
        expect(theirs.body).toEqual(missing.body);
      }
      const list = await alice.get(P).expect(200);
      expect(list.body.total).toBe(0);
      expect((await store.getSessionSummary(FLOW, bobs))?.label).toBe("bob's");
    });
  });
});

describe("the curl calls of README.md and docs/api.md", () => {
  /** The ```sh block that follows `heading` in `file`. */
  function shellBlockAfter(file: string, heading: string): string {
    const text = readFileSync(join(ROOT, file), "utf8");
    const block = /```sh\n([\s\S]*?)```/.exec(text.slice(text.indexOf(heading)))?.[1];
    if (!block) throw new Error(`${file} has no sh block after ${heading}`);
    return block;
  }

  it.each([
    ["README.md", "### JSON API"],
    ["docs/api.md", "## The cookie and the token"],
  ])("%s (%s) creates a session with the cookie and token of the list", async (file, heading) => {
    const store = await backends[0]!.openStore();
    const server = buildApp({ store }).listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const script = shellBlockAfter(file, heading).replaceAll("http://localhost:3000", `http://127.0.0.1:${port}`);
      const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], { cwd: tempDir() });
      expect(JSON.parse(stdout)).toMatchObject({ label: "From curl", active: true });
      expect((await store.listSessions(FLOW)).map((summary) => summary.label)).toEqual(["From curl"]);
    } finally {
      server.close();
    }
  });
});

describe("which requests get JSON", () => {
  it.each([
    ["application/json", true],
    ["application/json, text/plain, */*", true],
    ["application/json;q=0.9, text/html;q=0.1", true],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false],
    ["*/*", false],
    ["application/json;q=0", false],
    ["text/html, application/json", false],
  ])("Accept: %s gets JSON: %s", async (accept, json) => {
    const store = await backends[0]!.openStore("workflow_state.db");
    const res = await request(buildApp({ store })).get(`${P}/list`).set("Accept", accept).expect(200);
    expect(res.type).toBe(json ? "application/json" : "text/html");
  });

  it("htmx gets HTML even when it asks for JSON", async () => {
    const store = await backends[0]!.openStore("workflow_state.db");
    const res = await request(buildApp({ store })).get(`${P}/list`).set({ Accept: "application/json", "HX-Request": "true" }).expect(200);
    expect(res.type).toBe("text/html");
  });
});
