import { get, type ClientRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import express from "express";
import request from "supertest";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import { API_ROUTES } from "../lib/http/api-description.js";
import { RejectedError, StoreUnavailableError } from "../lib/errors.js";
import { MAX_PINS, type WorkflowStore } from "../lib/store/workflow-store.js";
import { backends, buildApp, csrfTokenIn, FLOW, recordingLogger } from "./helpers.js";

const P = "/manage/sessions";
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
const JSON_ACCEPT = { Accept: "application/json" };
const HTMX = { "HX-Request": "true" };
const HOOKS = ["beforeCreate", "beforeRename", "beforeDelete", "beforeResume"] as const;
const refuse = async () => {
  throw new RejectedError("The host refuses.");
};
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (ajv: Ajv2020) => Ajv2020;

type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>> };
type DocumentedResponse = { headers?: Record<string, { required?: boolean }>; content?: Record<string, { schema: Record<string, unknown> }> };

/** The document as served, checked by a maintained OpenAPI validator, with its `$ref`s resolved for ajv. */
async function validatedDocument(app: express.Express): Promise<OpenApiDocument> {
  const res = await request(app).get(`${P}/openapi.json`).expect(200).expect("Content-Type", /json/);
  const validator = new Validator();
  const result = await validator.validate(res.body);
  expect(result.errors).toBeUndefined();
  expect(result.valid).toBe(true);
  expect(validator.version).toBe("3.1");
  return validator.resolveRefs() as OpenApiDocument;
}

describe("GET {prefix}/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document, with the paths as the request reaches them", async () => {
    const store = await backends[0]!.openStore("workflow_state.db");
    const app = express();
    app.use("/admin", createSessionManager({ store, flowId: FLOW, logger: recordingLogger() }));
    const res = await request(app).get(`/admin${P}/openapi.json`).expect(200);
    expect(Object.keys(res.body.paths)).toEqual(API_ROUTES.map((route) => `/admin${P}${route.path}`).filter((path, i, all) => all.indexOf(path) === i));
    const validator = new Validator();
    expect((await validator.validate(res.body)).valid).toBe(true);
  });

  it("needs no express-session, and describes every route the router answers", async () => {
    const store = await backends[0]!.openStore();
    const app = express();
    app.use(createSessionManager({ store, flowId: FLOW, logger: recordingLogger() }));
    const doc = await validatedDocument(app);
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        `GET ${P}`,
        `GET ${P}/list`,
        `GET ${P}/events`,
        `POST ${P}/create`,
        `POST ${P}/rename`,
        `POST ${P}/delete`,
        `POST ${P}/resume`,
        `POST ${P}/duplicate`,
        `POST ${P}/pin`,
        `POST ${P}/unpin`,
        `POST ${P}/tags`,
        `POST ${P}/tags/add`,
        `POST ${P}/tags/remove`,
        `POST ${P}/restore`,
        `POST ${P}/purge`,
        `POST ${P}/confirm`,
        `GET ${P}/trash`,
        `GET ${P}/trash/list`,
        `GET ${P}/activity`,
        `GET ${P}/export`,
        `POST ${P}/export`,
        `POST ${P}/import`,
        `GET ${P}/openapi.json`,
        `GET ${P}/assets/{file}`,
      ].sort(),
    );
  });

  it("answers 405 to POST", async () => {
    const store = await backends[0]!.openStore();
    const app = express();
    app.use(createSessionManager({ store, flowId: FLOW, logger: recordingLogger() }));
    const res = await request(app).post(`${P}/openapi.json`).set(JSON_ACCEPT).expect(405).expect("Allow", "GET, HEAD");
    expect(res.body.error.code).toBe("method_not_allowed");
  });
});

describe.each(backends)("every documented response, against a live answer, on $name", (backend) => {
  let doc: OpenApiDocument;
  let ajv: Ajv2020;
  const compiled = new Map<string, ValidateFunction>();
  const seen = new Set<string>();

  beforeAll(async () => {
    const store = await backend.openStore();
    doc = await validatedDocument(buildApp({ store }));
    ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  });

  /** Checks a live answer against the operation's documented response for its status, and records that it was seen. */
  function check(method: string, path: string, res: request.Response): void {
    const documented = doc.paths[`${P}${path}`]?.[method]?.responses[String(res.status)];
    if (!documented) throw new Error(`${method.toUpperCase()} ${P}${path} answered ${res.status}, which the description does not list: ${res.text.slice(0, 200)}`);
    seen.add(`${method} ${path} ${res.status}`);
    const type = (res.get("Content-Type") ?? "").split(";")[0]!;
    // A required header is on every answer of the status; the others on its JSON answers.
    for (const [header, { required }] of Object.entries(documented.headers ?? {})) {
      if (required || type === "application/json") expect([`${method} ${path} ${res.status}`, header, res.get(header)]).toEqual([expect.any(String), header, expect.any(String)]);
    }
    // A redirect's or a 204's body is nobody's to read.
    if (!documented.content) return;
    const media = documented.content[type] ?? documented.content["*/*"];
    if (!media) throw new Error(`${method.toUpperCase()} ${P}${path} ${res.status} answered ${type}, which the description does not list`);
    if (type !== "application/json") return;
    const key = `${method} ${path} ${res.status}`;
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = ajv.compile(media.schema)));
    if (!validate(res.body)) throw new Error(`${method.toUpperCase()} ${P}${path} ${res.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(res.body).slice(0, 400)}`);
  }

  async function agentOf(app: express.Express, headers: Record<string, string> = {}) {
    const agent = request.agent(app);
    agent.set(headers);
    const res = await agent.get(P).set(JSON_ACCEPT).expect(200);
    return { agent, token: res.body.csrfToken as string };
  }

  it("answers each success as documented, in JSON, HTML, under htmx and as plain forms", async () => {
    const store = await backend.openStore("workflow_state.db");
    const app = buildApp({ store });
    const { agent, token } = await agentOf(app);
    const json = { ...JSON_ACCEPT, "X-CSRF-Token": token };
    for (const path of ["", "/list"]) {
      check("get", path, await agent.get(`${P}${path}?sort=label&dir=asc&offset=3`).set(JSON_ACCEPT));
      check("get", path, await agent.get(`${P}${path}`));
    }
    // The stream's headers, by HEAD (a GET would stay open); one stream open, the next over the bound answers 503.
    check("get", "/events", await agent.head(`${P}/events`));
    const limited = buildApp({ store, events: { maxConnections: 1 } });
    const server = limited.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${P}/events`;
    const open = await new Promise<ClientRequest>((resolve) => {
      const req = get(url, (res) => res.once("data", () => resolve(req)));
    });
    check("get", "/events", await request(server).get(`${P}/events`).set(JSON_ACCEPT));
    open.destroy();
    await new Promise((resolve) => server.close(resolve));
    const created = await agent.post(`${P}/create`).set(json).send({ label: "From the API" });
    check("post", "/create", created);
    check("post", "/create", await agent.post(`${P}/create`).set(HTMX).set("X-CSRF-Token", token));
    check("post", "/create", await agent.post(`${P}/create`).type("form").send({ _csrf: token }));
    const id = created.body.sessionId as string;
    for (const route of ["/duplicate", "/pin", "/unpin"]) {
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: id }));
      check("post", route, await agent.post(`${P}${route}`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: id }));
      check("post", route, await agent.post(`${P}${route}`).type("form").send({ session_id: id, _csrf: token }));
    }
    check("post", "/tags", await agent.post(`${P}/tags`).set(json).send({ session_id: id, tag: ["Alpha", "beta"] }));
    check("post", "/tags", await agent.post(`${P}/tags`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: id, tag: "x" }));
    check("post", "/tags", await agent.post(`${P}/tags`).type("form").send({ session_id: id, _csrf: token }));
    check("post", "/tags", await agent.post(`${P}/tags`).set(json).send({ session_id: id, tag: ["x".repeat(41)] })); // 400
    for (const route of ["/tags/add", "/tags/remove"]) {
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: id, name: "bulk" }));
      check("post", route, await agent.post(`${P}${route}`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: id, name: "bulk" }));
      check("post", route, await agent.post(`${P}${route}`).type("form").send({ session_id: id, name: "bulk", _csrf: token }));
    }
    for (const route of ["/rename", "/resume"]) {
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: id, label: "Renamed" }));
      check("post", route, await agent.post(`${P}${route}`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: id }));
      check("post", route, await agent.post(`${P}${route}`).type("form").send({ session_id: id, _csrf: token }));
    }
    const ids = (await store.listSessions(FLOW, { limit: 3 })).map((s) => s.sessionId);
    check("post", "/delete", await agent.post(`${P}/delete`).set(json).send({ session_id: ids[0] }));
    check("post", "/delete", await agent.post(`${P}/delete`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: ids[1] }));
    check("post", "/delete", await agent.post(`${P}/delete`).type("form").send({ session_id: ids[2], _csrf: token }));
    for (const path of ["/trash", "/trash/list", "/activity"]) {
      check("get", path, await agent.get(`${P}${path}`).set(JSON_ACCEPT));
      check("get", path, await agent.get(`${P}${path}`));
    }
    check("get", "/activity", await agent.get(`${P}/activity?cursor=yesterday`).set(JSON_ACCEPT)); // 400
    check("post", "/confirm", await agent.post(`${P}/confirm`).set(json).send({ session_id: [ids[0], ids[1]], intent: "restore", view: "trash" }));
    check("post", "/confirm", await agent.post(`${P}/confirm`).type("form").send({ session_id: ids[0], _csrf: token }));
    check("post", "/confirm", await agent.post(`${P}/confirm`).set(json).send({ all_matching: "1", q: "", intent: "tag" }));
    check("post", "/restore", await agent.post(`${P}/restore`).set(json).send({ session_id: ids[0] }));
    check("post", "/restore", await agent.post(`${P}/restore`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: ids[1] }));
    check("post", "/restore", await agent.post(`${P}/restore`).type("form").send({ session_id: ids[2], _csrf: token }));
    await agent.post(`${P}/delete`).set(json).send({ session_id: ids }).expect(200);
    check("post", "/purge", await agent.post(`${P}/purge`).set(json).send({ session_id: ids[0] }));
    check("post", "/purge", await agent.post(`${P}/purge`).set(HTMX).set("X-CSRF-Token", token).type("form").send({ session_id: ids[1] }));
    check("post", "/purge", await agent.post(`${P}/purge`).type("form").send({ session_id: ids[2], _csrf: token }));
    const exported = await agent.get(`${P}/export?session_id=${NEWEST}`).buffer(true);
    check("get", "/export", exported);
    const file = exported.body as object;
    check("post", "/export", await agent.post(`${P}/export`).set(json).send({ session_id: [NEWEST] }).buffer(true));
    check("post", "/import", await agent.post(`${P}/import`).set(json).send(file));
    check("post", "/import", await agent.post(`${P}/import`).set(HTMX).set("X-CSRF-Token", token).attach("file", Buffer.from(JSON.stringify(file)), "export.json"));
    check("post", "/import", await agent.post(`${P}/import`).field("_csrf", token).attach("file", Buffer.from(JSON.stringify(file)), "export.json"));
    check("get", "/openapi.json", await agent.get(`${P}/openapi.json`));
    const page = await agent.get(P);
    const css = /href="\/manage\/sessions\/assets\/([^"]+\.css)"/.exec(page.text)![1]!;
    check("get", "/assets/{file}", await agent.get(`${P}/assets/${css}`));
  });

  it("answers each error as documented", async () => {
    const store = await backend.openStore("workflow_state.db");
    const app = buildApp({ store, importMaxBytes: 4096 });
    const { agent, token } = await agentOf(app);
    const json = { ...JSON_ACCEPT, "X-CSRF-Token": token };
    for (const route of ["/rename", "/delete", "/resume", "/duplicate"]) {
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: NEWEST, version: "stale" })); // 409
      check("post", route, await agent.post(`${P}${route}`).set(json).set("If-Match", '"stale"').send({ session_id: NEWEST })); // 412
    }
    check("get", "/export", await agent.get(`${P}/export`).set(JSON_ACCEPT)); // 400: which sessions?
    check("post", "/export", await agent.post(`${P}/export`).set(JSON_ACCEPT).send({ session_id: NEWEST })); // 403
    check("post", "/export", await agent.post(`${P}/export`).set(json).send({ session_id: "bad id!" })); // 400
    check("post", "/export", await agent.post(`${P}/export`).set(json).send({ session_id: "no-such-session" })); // 404
    check("post", "/export", await agent.post(`${P}/export`).set(json).send({ label: "x".repeat(200_000) })); // 413
    check("post", "/export", await agent.post(`${P}/export`).set(json).set("Content-Type", "text/plain").send("x")); // 415
    check("get", "/export", await agent.get(`${P}/export?session_id=no-such-session`).set(JSON_ACCEPT)); // 404
    const file = (await agent.get(`${P}/export?session_id=${NEWEST}`).buffer(true)).body as object;
    check("post", "/import", await agent.post(`${P}/import?keep_ids=1`).set(json).send(file)); // 409: the id is taken
    check("post", "/import", await agent.post(`${P}/import`).set(json).send({ format: "something else" })); // 400
    check("post", "/import", await agent.post(`${P}/import`).set(JSON_ACCEPT).send(file)); // 403
    check("post", "/import", await agent.post(`${P}/import`).set(json).send({ ...file, padding: "x".repeat(5000) })); // 413
    check("post", "/import", await agent.post(`${P}/import`).set(json).set("Content-Type", "text/plain").send("x")); // 415
    const pinned = await Promise.all(Array.from({ length: MAX_PINS + 1 }, () => store.createSession(FLOW)));
    for (const sessionId of pinned.slice(0, MAX_PINS)) await store.pinSession(FLOW, sessionId);
    check("post", "/pin", await agent.post(`${P}/pin`).set(json).send({ session_id: pinned[MAX_PINS] })); // 409: the limit
    await store.deleteSessions(FLOW, pinned);
    const refusing = buildApp({ store, hooks: Object.fromEntries(HOOKS.map((name) => [name, refuse])) });
    const refused = await agentOf(refusing);
    for (const route of ["/create", "/rename", "/delete", "/resume", "/duplicate"]) {
      check("post", route, await refused.agent.post(`${P}${route}`).set({ ...JSON_ACCEPT, "X-CSRF-Token": refused.token }).send({ session_id: NEWEST })); // 422
    }
    const refusingRestore = await agentOf(buildApp({ store, hooks: { beforeRestore: refuse } }));
    const trashedId = await store.createSession(FLOW, { label: "Restore refused" });
    await store.trashSessions(FLOW, [trashedId]);
    check("post", "/restore", await refusingRestore.agent.post(`${P}/restore`).set({ ...JSON_ACCEPT, "X-CSRF-Token": refusingRestore.token }).send({ session_id: trashedId })); // 422
    await store.purgeTrash(FLOW, { ids: [trashedId] });
    check("post", "/delete", await agent.post(`${P}/delete`).set(json).send({ session_id: "bad id!" })); // 400
    for (const route of ["/restore", "/purge", "/confirm"]) {
      check("post", route, await agent.post(`${P}${route}`).set(JSON_ACCEPT).send({ session_id: NEWEST })); // 403: no token
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: "bad id!" })); // 400
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ label: "x".repeat(200_000) })); // 413
      check("post", route, await agent.post(`${P}${route}`).set(json).set("Content-Type", "text/plain").send("x")); // 415
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: "no-such-session", view: "trash" })); // 404
    }
    const victim = (await store.listSessions(FLOW, { limit: 30 })).map((summary) => summary.sessionId).find((id) => id !== NEWEST)!;
    await agent.post(`${P}/delete`).set(json).send({ session_id: victim }).expect(200);
    await store.createSession(FLOW, { sessionId: victim });
    check("post", "/restore", await agent.post(`${P}/restore`).set(json).send({ session_id: victim })); // 409: the id is taken again
    for (const route of ["/create", "/rename", "/delete", "/resume", "/duplicate", "/pin", "/unpin", "/tags", "/tags/add", "/tags/remove"]) {
      const bulk = route === "/delete" || route.startsWith("/tags/");
      check("post", route, await agent.post(`${P}${route}`).set(JSON_ACCEPT).send({ session_id: NEWEST })); // 403: no token
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: ["a", "b"], label: ["x", "y"] })); // 400
      check("post", route, await agent.post(`${P}${route}`).set(json).send({ label: "x".repeat(bulk ? 200_000 : 20_000) })); // 413
      check("post", route, await agent.post(`${P}${route}`).set(json).set("Content-Type", "text/plain").send("label=x")); // 415
      // Without Accept: application/json, errors are HTML pages.
      check("post", route, await agent.post(`${P}${route}`).set("X-CSRF-Token", token).set("Content-Type", "text/plain").send("x"));
      if (route !== "/create") check("post", route, await agent.post(`${P}${route}`).set(json).send({ session_id: "no-such-session", name: "x" })); // 404
    }
  });

  it("answers 401, 503 and 500 as documented", async () => {
    const store = await backend.openStore("workflow_state.db");
    const signedOut = buildApp({ store, owner: (req) => req.get("X-User") });
    const agent = request.agent(signedOut);
    const token = (await agent.get(P).set({ ...JSON_ACCEPT, "X-User": "alice" }).expect(200)).body.csrfToken as string;
    // Then without X-User: the owner option gives no owner, so every route of the visitor's data answers 401.
    for (const path of ["", "/list", "/events"]) check("get", path, await agent.get(`${P}${path}`).set(JSON_ACCEPT));
    for (const route of ["/create", "/rename", "/delete", "/resume", "/duplicate", "/pin", "/unpin", "/tags", "/tags/add", "/tags/remove", "/import", "/restore", "/purge", "/confirm", "/export"]) {
      check("post", route, await agent.post(`${P}${route}`).set({ ...JSON_ACCEPT, "X-CSRF-Token": token }).send({ session_id: NEWEST, name: "x" }));
    }
    for (const path of ["/trash", "/trash/list", "/activity"]) check("get", path, await agent.get(`${P}${path}`).set(JSON_ACCEPT));
    check("get", "/export", await agent.get(`${P}/export?session_id=${NEWEST}`).set(JSON_ACCEPT));

    const failing = failingStore(store);
    const busy = buildApp({ store: failing.store });
    const visitor = await agentOf(busy);
    const file = (await visitor.agent.get(`${P}/export?session_id=${NEWEST}`).buffer(true)).body as object;
    failing.fail();
    for (const path of ["", "/list"]) check("get", path, await visitor.agent.get(`${P}${path}`).set(JSON_ACCEPT));
    check("get", "/export", await visitor.agent.get(`${P}/export?session_id=${NEWEST}`).set(JSON_ACCEPT));
    check("post", "/import", await visitor.agent.post(`${P}/import`).set({ ...JSON_ACCEPT, "X-CSRF-Token": visitor.token }).send(file));
    for (const path of ["/trash", "/trash/list", "/activity"]) check("get", path, await visitor.agent.get(`${P}${path}`).set(JSON_ACCEPT));
    for (const route of ["/create", "/rename", "/delete", "/resume", "/duplicate", "/pin", "/unpin", "/tags", "/tags/add", "/tags/remove", "/restore", "/purge", "/confirm", "/export"]) {
      check("post", route, await visitor.agent.post(`${P}${route}`).set({ ...JSON_ACCEPT, "X-CSRF-Token": visitor.token }).send({ session_id: NEWEST, name: "x" }));
    }

    const misconfigured = express();
    misconfigured.use(createSessionManager({ store, flowId: FLOW, logger: recordingLogger() }));
    for (const path of ["", "/list", "/events"]) check("get", path, await request(misconfigured).get(`${P}${path}`).set(JSON_ACCEPT));
    check("get", "/export", await request(misconfigured).get(`${P}/export?session_id=${NEWEST}`).set(JSON_ACCEPT));
    for (const path of ["/trash", "/trash/list", "/activity"]) check("get", path, await request(misconfigured).get(`${P}${path}`).set(JSON_ACCEPT));
    for (const route of ["/create", "/rename", "/delete", "/resume", "/duplicate", "/pin", "/unpin", "/tags", "/tags/add", "/tags/remove", "/import", "/restore", "/purge", "/confirm", "/export"]) check("post", route, await request(misconfigured).post(`${P}${route}`).set(JSON_ACCEPT));
  });

  it("has seen every documented response", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, { responses }]) => Object.keys(responses).map((status) => `${method} ${path.slice(P.length)} ${status}`)),
    );
    expect([...seen].sort()).toEqual(documented.sort());
  });
});

/** The store, with every read and write it is asked for failing as a busy database does, once `fail()` is called. */
function failingStore(store: WorkflowStore) {
  let failing = false;
  const methods = ["listWindow", "getSessionSummary", "createSession", "sessionExists", "setSessionLabel", "deleteSession", "getSessionRecord", "importSessions", "listTrash", "getTrashed", "restoreSessions", "purgeTrash", "trashSessions", "countSessions", "pinSession", "unpinSession", "listPins", "listActivity", "setTags", "getTags", "tagCounts"] as const;
  const wrapped = Object.create(store) as WorkflowStore;
  for (const name of methods) {
    const original = (store[name] as (...args: unknown[]) => unknown).bind(store);
    Object.defineProperty(wrapped, name, {
      value: (...args: unknown[]) => (failing ? Promise.reject(new StoreUnavailableError("The test's store is busy.")) : original(...args)),
    });
  }
  return { store: wrapped, fail: () => void (failing = true) };
}

// The token in the page's meta tag is the one the JSON list gives.
describe("the list's csrfToken", () => {
  it("is the token of the page's meta tag", async () => {
    const store = await backends[0]!.openStore("workflow_state.db");
    const agent = request.agent(buildApp({ store }));
    const json = await agent.get(P).set(JSON_ACCEPT).expect(200);
    const html = await agent.get(P).expect(200);
    expect(csrfTokenIn(html.text)).toBe(json.body.csrfToken);
  });
});
