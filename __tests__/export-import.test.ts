import { execFileSync } from "node:child_process";
import type { Response } from "superagent";
import type request from "supertest";
import { InvalidInputError, SessionExistsError } from "../lib/errors.js";
import { EXPORT_FORMAT } from "../lib/service/session-file.js";
import type { ExportedSession, WorkflowStore } from "../lib/store/workflow-store.js";
import { FLOW, backends, buildApp, csrfAgent, csrfTokenIn, decoded, postgres, sqlite, visitor, type Backend } from "./helpers.js";

const PAGE = "/manage/sessions";

/** Runs Python 3 and returns what it printed. */
function python(script: string, args: readonly string[] = [], input?: string): string {
  return execFileSync("python3", ["-c", script, ...args], { encoding: "utf8", input }).trim();
}

/** A state as `cjm-workflow-state` writes it and JSON.parse cannot hold: huge integers, NaN, ±Infinity, escaped lone surrogates, NUL in a key. */
const ODD_STATE = python(`import json, os
print(json.dumps({"big": 10**20 + 1, "neg": -(2**70), "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),
  "path": os.fsdecode(b"/media/caf\\xe9.wav"), "nul\\x00key": "x", "neg0": -0.0, "tiny": 5e-324, "text": "caf\\u00e9 \\U0001f600",
  "_step_review": {"count": 10**20 + 1, "nan": float("nan")}}))`);

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The stored `state_json` of every session of the flow, by id. */
async function storedStates(store: WorkflowStore): Promise<Map<string, string | null>> {
  const rows = await store.db.selectFrom("workflow_state").select(["flow_session_key", "state_json"]).execute();
  return new Map(rows.filter((r) => r.flow_session_key.startsWith(`${FLOW}:`)).map((r) => [r.flow_session_key.slice(FLOW.length + 1), r.state_json]));
}

/** Every row of the table, to show that a refused import wrote nothing. */
async function snapshot(store: WorkflowStore): Promise<unknown[]> {
  return store.db.selectFrom("workflow_state").selectAll().orderBy("flow_session_key").execute();
}

/** A GET whose body is read as text, whatever its type (an export is Python-dialect JSON, which JSON.parse may refuse). */
async function textOf(test: request.Test): Promise<Response & { text: string }> {
  const res = await test.buffer(true).parse((stream, done) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("end", () => done(null, text));
  });
  return Object.assign(res, { text: res.body as string });
}

/** An export file's text with these sessions (the states raw). */
function fileOf(sessions: Array<Partial<Record<keyof ExportedSession, unknown>> & { state?: string }>, top: Record<string, unknown> = {}): string {
  const rows = sessions.map(({ state = "{}", ...rest }) => `{${Object.entries({ sessionId: "s-1", ...rest }).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")},"state":${state}}`);
  const head = Object.entries({ format: EXPORT_FORMAT, exportedAt: "2026-12-01T00:00:00.000Z", flowId: FLOW, ...top }).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${head.join(",")},"sessions":[${rows.join(",")}]}`;
}

describe.each(backends)("export and import on $name", (backend: Backend) => {
  describe("WorkflowStore.exportSessions()", () => {
    it("reads every session of the flow in key order, in batches, with each state's stored text unchanged", async () => {
      const store = await backend.openStore();
      const sessions = Array.from({ length: 450 }, (_, i) => ({ sessionId: `s-${String(i).padStart(4, "0")}`, label: `L ${i}`, state: i === 7 ? ODD_STATE : `{"i": ${i}}` }));
      await store.importSessions(FLOW, sessions, { keepIds: true });
      await store.createSession("other_flow", { sessionId: "s-0000" });
      const exported = await all(store.exportSessions(FLOW));
      expect(exported.map((s) => s.sessionId)).toEqual(sessions.map((s) => s.sessionId));
      expect(exported[7]!.state).toBe(ODD_STATE);
      expect(exported[3]).toMatchObject({ label: "L 3", currentStep: null, state: '{"i": 3}' });
    });

    it("reads only the sessions that match a search, or the ids given, of the scope's owner only", async () => {
      const store = await backend.openStore();
      await store.importSessions(FLOW, [{ sessionId: "a-1", label: "Lecture one", state: "{}" }, { sessionId: "b-1", label: "Seminar", state: "{}" }], { keepIds: true }, { owner: "ann" });
      await store.importSessions(FLOW, [{ sessionId: "c-1", label: "lecture two", state: "{}" }], { keepIds: true }, { owner: "bob" });
      expect((await all(store.exportSessions(FLOW, { search: "LECT" }))).map((s) => s.sessionId)).toEqual(["a-1", "c-1"]);
      expect((await all(store.exportSessions(FLOW, { search: "b-" }))).map((s) => s.sessionId)).toEqual(["b-1"]);
      expect((await all(store.exportSessions(FLOW, { search: "lect" }, { owner: "ann" }))).map((s) => s.sessionId)).toEqual(["a-1"]);
      expect((await all(store.exportSessions(FLOW, { sessionIds: ["c-1", "a-1", "missing"] }, { owner: "ann" }))).map((s) => s.sessionId)).toEqual(["a-1"]);
    });
  });

  describe("WorkflowStore.importSessions()", () => {
    it("gives new ids, stamps the caller's owner and keeps the state text byte for byte", async () => {
      const store = await backend.openStore();
      const made = await store.importSessions(FLOW, [{ sessionId: "x-1", label: "A", currentStep: "review", state: ODD_STATE, createdAt: new Date("2025-01-02T03:04:05Z") }], {}, { owner: "ann" });
      expect(made).toHaveLength(1);
      expect(made[0]!.sessionId).not.toBe("x-1");
      expect(made[0]).toMatchObject({ label: "A", currentStep: "review", createdAt: new Date("2025-01-02T03:04:05Z") });
      expect((await storedStates(store)).get(made[0]!.sessionId)).toBe(ODD_STATE);
      expect(await store.sessionExists(FLOW, made[0]!.sessionId, { owner: "ann" })).toBe(true);
      expect(await store.sessionExists(FLOW, made[0]!.sessionId, { owner: "bob" })).toBe(false);
    });

    it("with keepIds, fails as a whole when an id is taken, even by another owner, writing nothing", async () => {
      const store = await backend.openStore();
      await store.createSession(FLOW, { sessionId: "taken", owner: "bob" });
      const before = await snapshot(store);
      const sessions = [...Array.from({ length: 600 }, (_, i) => ({ sessionId: `n-${i}`, state: "{}" })), { sessionId: "taken", state: "{}" }];
      const error = await store.importSessions(FLOW, sessions, { keepIds: true }, { owner: "ann" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionExistsError);
      expect((error as SessionExistsError).sessionIds).toEqual(["taken"]);
      expect(await snapshot(store)).toEqual(before);
    });

    it.each([
      ["a repeated id", [{ sessionId: "d", state: "{}" }, { sessionId: "d", state: "{}" }]],
      ["a state that is not an object", [{ sessionId: "d", state: "[1]" }]],
      ["a state that is not JSON", [{ sessionId: "d", state: "{'a': 1}" }]],
    ])("refuses %s, writing nothing", async (_, sessions) => {
      const store = await backend.openStore();
      await expect(store.importSessions(FLOW, sessions)).rejects.toBeInstanceOf(InvalidInputError);
      expect(await snapshot(store)).toEqual([]);
    });
  });

  describe("GET /export", () => {
    it("downloads one session as an attachment named after its label, which Python's json reads", async () => {
      const store = await backend.openStore();
      const [made] = await store.importSessions(FLOW, [{ sessionId: "one", label: "Café “notes” / draft", currentStep: "review", state: ODD_STATE }], { keepIds: true });
      const agent = visitor(buildApp({ store }));
      const res = await textOf(agent.get(`${PAGE}/export?session_id=one`).expect(200));
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["content-disposition"]).toMatch(/^attachment; filename="Caf\? \?notes\? draft\.json"; filename\*=UTF-8''Caf%C3%A9%20%E2%80%9Cnotes%E2%80%9D%20draft\.json$/);
      const file = JSON.parse(python(`import json, sys\nd = json.loads(sys.stdin.read())\nprint(json.dumps({k: v for k, v in d.items() if k != "sessions"} | {"n": len(d["sessions"]), "s": {k: v for k, v in d["sessions"][0].items() if k != "state"}}))`, [], res.text));
      expect(file).toMatchObject({ format: EXPORT_FORMAT, flowId: FLOW, n: 1, s: { sessionId: "one", label: "Café “notes” / draft", currentStep: "review", createdAt: made!.createdAt!.toISOString() } });
      expect(res.text).toContain(`"state":${ODD_STATE}}`);
    });

    it("downloads every session that matches the search with all_matching=1, named after the flow", async () => {
      const store = await backend.openStore();
      await store.importSessions(FLOW, [{ sessionId: "a", label: "Lecture", state: '{"a":1}' }, { sessionId: "b", label: "Other", state: "{}" }], { keepIds: true });
      const agent = visitor(buildApp({ store }));
      const res = await textOf(agent.get(`${PAGE}/export?all_matching=1&q=lec`).expect(200));
      expect(res.headers["content-disposition"]).toContain(`filename="${FLOW} lec sessions.json"`);
      expect(JSON.parse(res.text).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(["a"]);
      const everything = await textOf(agent.get(`${PAGE}/export?all_matching=1`).expect(200));
      expect(JSON.parse(everything.text).sessions).toHaveLength(2);
    });

    it("takes the selection as a form by POST too, with the CSRF token, so that a form can name many ids", async () => {
      const store = await backend.openStore();
      const ids = Array.from({ length: 300 }, (_, i) => `id-${String(i).padStart(3, "0")}-${"x".repeat(100)}`);
      await store.importSessions(FLOW, ids.map((sessionId) => ({ sessionId, state: "{}" })), { keepIds: true });
      const app = buildApp({ store });
      const form = ids.map((id) => `session_id=${id}`).join("&");
      await visitor(app).post(`${PAGE}/export`).type("form").send(form).expect(403);
      const agent = await csrfAgent(app);
      const res = await textOf(agent.post(`${PAGE}/export`).type("form").send(form).expect(200));
      expect(res.headers["content-disposition"]).toContain(`filename="${FLOW} 300 sessions.json"`);
      expect(JSON.parse(res.text).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(ids);
      await agent.put(`${PAGE}/export`).expect(405);
    });

    it("is an action of the bulk bar: its Export button posts the bulk form's checked ids to /export", async () => {
      const store = await backend.openStore();
      await store.importSessions(FLOW, [{ sessionId: "a", state: "{}" }, { sessionId: "b", state: "{}" }, { sessionId: "c", state: "{}" }], { keepIds: true });
      const agent = visitor(buildApp({ store }));
      const page = (await agent.get(PAGE).expect(200)).text;
      const button = /<button type="submit" formaction="([^"]+)" formmethod="post"[^>]*data-action="bulk-export"/.exec(page);
      expect(button?.[1]).toBe(`${PAGE}/export`);
      expect(page.slice(page.indexOf('id="ews-bulk-form"') - 200, page.indexOf("bulk-export"))).toContain("<form");
      // What the browser sends: the form's own fields and the rows' checked boxes (form="ews-bulk-form").
      const form = `_csrf=${csrfTokenIn(page)}&q=&view=sessions&session_id=c&session_id=a`;
      const res = await textOf(agent.post(button![1]!).type("form").send(form).expect(200));
      expect(JSON.parse(res.text).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(["a", "c"]);
    });

    it("answers 404 for another owner's session exactly as for a missing one, and 400 without a selection", async () => {
      const store = await backend.openStore();
      await store.createSession(FLOW, { sessionId: "bobs", owner: "bob" });
      const app = buildApp({ store, owner: (req) => String(req.get("X-User") ?? "") || undefined });
      const agent = visitor(app).set("X-User", "ann");
      const other = await agent.get(`${PAGE}/export?session_id=bobs`).set("Accept", "application/json").expect(404);
      const missing = await agent.get(`${PAGE}/export?session_id=nope`).set("Accept", "application/json").expect(404);
      expect(other.body).toEqual(missing.body);
      expect(other.headers["content-disposition"]).toBeUndefined();
      await agent.get(`${PAGE}/export`).expect(400);
      await agent.get(`${PAGE}/export?session_id=${encodeURIComponent("../x")}`).expect(400);
      const mine = await textOf(visitor(app).set("X-User", "bob").get(`${PAGE}/export?all_matching=1`).expect(200));
      expect(JSON.parse(mine.text).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(["bobs"]);
      expect(JSON.parse((await textOf(agent.get(`${PAGE}/export?all_matching=1`).expect(200))).text).sessions).toEqual([]);
    });
  });

  describe("POST /import", () => {
    it("takes a JSON body with X-CSRF-Token and answers 201 with the sessions made, stamped with the caller", async () => {
      const store = await backend.openStore();
      const app = buildApp({ store, owner: () => "ann" });
      const agent = await csrfAgent(app);
      const res = await agent
        .post(`${PAGE}/import`)
        .set("Content-Type", "application/json")
        .set("Accept", "application/json")
        .send(fileOf([{ sessionId: "s-1", label: "First", currentStep: "review", state: ODD_STATE }, { sessionId: "s-2", label: null }]))
        .expect(201);
      expect(res.body.items.map((i: { label: string }) => i.label)).toEqual(["First", null]);
      expect(res.body.items[0]).toMatchObject({ displayLabel: "First", currentStep: "review" });
      const id = res.body.items[0].sessionId as string;
      expect(id).not.toBe("s-1");
      expect((await storedStates(store)).get(id)).toBe(ODD_STATE);
      expect(await store.sessionExists(FLOW, id, { owner: "ann" })).toBe(true);
    });

    it("takes the page's multipart form without JavaScript: the token as a field, then a 303 to the list with a notice", async () => {
      const store = await backend.openStore();
      const app = buildApp({ store });
      const agent = visitor(app);
      const page = await agent.get(PAGE).expect(200);
      expect(page.text).toMatch(/<form method="post" action="\/manage\/sessions\/import" enctype="multipart\/form-data"/);
      const res = await agent
        .post(`${PAGE}/import`)
        .field("_csrf", csrfTokenIn(page.text))
        .field("keep_ids", "1")
        .attach("file", Buffer.from(fileOf([{ sessionId: "kept-1", label: "Kept" }])), { filename: "export.json", contentType: "application/json" })
        .expect(303);
      expect(res.headers.location).toBe(PAGE);
      const after = decoded((await agent.get(PAGE).expect(200)).text);
      expect(after).toContain("Imported “Kept”.");
      expect(after).toContain('data-session-id="kept-1"');
      expect(after).toContain(`href="${PAGE}/export?session_id=kept-1"`);
    });

    it("answers 409 for a kept id that is taken, writing nothing", async () => {
      const store = await backend.openStore();
      await store.createSession(FLOW, { sessionId: "dup" });
      const before = await snapshot(store);
      const agent = await csrfAgent(buildApp({ store }));
      const res = await agent.post(`${PAGE}/import?keep_ids=1`).set("Content-Type", "application/json").set("Accept", "application/json").send(fileOf([{ sessionId: "new" }, { sessionId: "dup" }])).expect(409);
      expect(res.body.error.message).toContain('"dup"');
      expect(await snapshot(store)).toEqual(before);
    });

    it("refuses a request without the CSRF token, multipart too", async () => {
      const store = await backend.openStore();
      const agent = visitor(buildApp({ store }));
      await agent.get(PAGE).expect(200);
      await agent.post(`${PAGE}/import`).attach("file", Buffer.from(fileOf([{}])), "export.json").expect(403);
      await agent.post(`${PAGE}/import`).set("Content-Type", "application/json").send(fileOf([{}])).expect(403);
      expect(await snapshot(store)).toEqual([]);
    });

    const hostile: Array<[string, string | Buffer, RegExp]> = [
      ["not JSON", "{ nope", /not one JSON object/],
      ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), /not UTF-8/],
      ["another format", fileOf([{}], { format: "something-else/2" }), /only "express-workflow-sessions\/1"/],
      ["no format", `{"sessions": []}`, /no "format"/],
      ["no sessions", fileOf([]).replace(`{"sessionId":"s-1","state":{}}`, ""), /no sessions/],
      ["a bad session id", fileOf([{ sessionId: "../../etc" }]), /not a valid session id/],
      ["a numeric session id", fileOf([{ sessionId: 7 }]), /no "sessionId" text/],
      ["a state that is an array", fileOf([{ state: "[1, 2]" }]), /state is not a JSON object/],
      ["a state that is a number", fileOf([{ state: "NaN" }]), /state is not a JSON object/],
      ["a state string that is not an object", fileOf([{ state: JSON.stringify("[]") }]), /state is not a JSON object/],
      ["duplicate ids in the file", fileOf([{ sessionId: "twin" }, { sessionId: "twin" }]), /repeats the session id "twin"/],
      ["a label that is too long", fileOf([{ label: "x".repeat(201) }]), /label cannot be used/],
      ["a label that is not text", fileOf([{ label: 5 }]), /label must be text/],
      ["an impossible time", fileOf([{ createdAt: "2026-02-30T00:00:00Z" }]), /createdAt must be an ISO 8601 time/],
      ["a time that is not one", fileOf([{ updatedAt: "yesterday" }]), /updatedAt must be an ISO 8601 time/],
      ["a __proto__ field on the file", fileOf([{}]).replace("{", `{"__proto__":{"polluted":1},`), /field "__proto__"/],
      ["a __proto__ field on a session", fileOf([{}]).replace(`{"sessionId"`, `{"__proto__":{"polluted":1},"sessionId"`), /field "__proto__"/],
      ["a constructor field on a session", fileOf([{ ["constructor" as string]: { prototype: { polluted: 1 } } }]), /field "constructor"/],
      ["a field given twice", fileOf([{}]).replace(`"sessionId":"s-1"`, `"sessionId":"s-1","sessionId":"s-2"`), /"sessionId" twice/],
      ["more after the object", `${fileOf([{}])} {}`, /more after the object/],
    ];

    it.each(hostile)("answers 400 for %s, saying what is wrong and writing nothing", async (_, body, message) => {
      const store = await backend.openStore();
      await store.createSession(FLOW, { sessionId: "existing", label: "Keep me" });
      const before = await snapshot(store);
      const agent = await csrfAgent(buildApp({ store }));
      const post = agent.post(`${PAGE}/import`).set("Accept", "application/json");
      // Bytes go as an upload, text as a JSON body: both paths read the file the same way.
      const res = await (typeof body === "string" ? post.set("Content-Type", "application/json").send(body) : post.attach("file", body, "export.json")).expect(400);
      expect(res.body.error.message).toMatch(message);
      expect(await snapshot(store)).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("stores __proto__ keys inside a state as text, polluting nothing", async () => {
      const store = await backend.openStore();
      const state = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}';
      const agent = await csrfAgent(buildApp({ store }));
      const res = await agent.post(`${PAGE}/import`).set("Content-Type", "application/json").set("Accept", "application/json").send(fileOf([{ state }])).expect(201);
      expect((await storedStates(store)).get(res.body.items[0].sessionId)).toBe(state);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("answers 413 past importMaxBytes, as an upload or a JSON body, writing nothing", async () => {
      const store = await backend.openStore();
      const agent = await csrfAgent(buildApp({ store, importMaxBytes: 1000 }));
      const big = fileOf([{ state: `{"pad": "${"x".repeat(2000)}"}` }]);
      const json = await agent.post(`${PAGE}/import`).set("Content-Type", "application/json").set("Accept", "application/json").send(big).expect(413);
      expect(json.body.error.message).toMatch(/larger than 1000 bytes/);
      await agent.post(`${PAGE}/import`).set("Accept", "application/json").attach("file", Buffer.from(big), "export.json").expect(413);
      await agent.post(`${PAGE}/import`).set("Content-Type", "text/plain").send("hello").expect(415);
      expect(await snapshot(store)).toEqual([]);
    });
  });
});

describe("round trip across databases", () => {
  it("keeps every state byte for byte, SQLite → PostgreSQL → SQLite, through the routes", async () => {
    const first = await sqlite.database();
    const source = await first.open();
    // Written by Python's own sqlite3, as cjm-workflow-state writes it.
    python(
      `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO workflow_state (flow_session_key, current_step, state_json, label) VALUES (?, 'review', ?, 'From Python')", (sys.argv[2], sys.stdin.read()))
c.commit()`,
      [first.location, `${FLOW}:py-1`],
      ODD_STATE,
    );
    await source.importSessions(FLOW, [{ sessionId: "js-1", label: "Plain", state: '{"a": [1, 2.50, "\\u00e9"], "b": {}}' }], { keepIds: true });
    const middle = await postgres.openStore();
    const last = await sqlite.openStore();
    let text = "";
    for (const [from, to] of [
      [source, middle],
      [middle, last],
    ] as const) {
      text = (await textOf(visitor(buildApp({ store: from })).get(`${PAGE}/export?all_matching=1`).expect(200))).text;
      const agent = await csrfAgent(buildApp({ store: to }));
      await agent.post(`${PAGE}/import?keep_ids=1`).set("Content-Type", "application/json").set("Accept", "application/json").send(text).expect(201);
    }
    expect(await storedStates(last)).toEqual(await storedStates(source));
    expect((await storedStates(last)).get("py-1")).toBe(ODD_STATE);
    const [py] = await all(last.exportSessions(FLOW, { sessionIds: ["py-1"] }));
    expect(py).toMatchObject({ label: "From Python", currentStep: "review" });
  });
});
