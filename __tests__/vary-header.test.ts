import type { SessionManagerOptions } from "../lib/options.js";
import express from "express";
import { backends, buildApp, csrfAgent, visitor, type Backend } from "./helpers.js";

const P = "/manage/sessions";
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
const MISSING = "00000000-0000-4000-8000-000000000000";

/** The three forms of an answer, by the request headers that choose them. */
const FORMS = [
  ["a page or a redirect", {}],
  ["an htmx fragment", { "HX-Request": "true" }],
  ["JSON", { Accept: "application/json" }],
] as const;

/** The fields of a `Vary` header, lower-cased. */
const varyOf = (header: string | undefined) => (header ?? "").split(",").map((field) => field.trim().toLowerCase()).filter(Boolean);

describe.each(backends)("Vary: Accept, HX-Request on $name", (backend: Backend) => {
  async function fixtureApp(options: Partial<SessionManagerOptions> = {}) {
    const store = await backend.openStore("workflow_state.db");
    return csrfAgent(buildApp({ store, ...options }));
  }

  describe.each(FORMS)("as %s", (_form, headers) => {
    it.each([
      ["GET", ""],
      ["GET", "/list"],
      ["GET", "/trash"],
      ["GET", "/trash/list"],
    ] as const)("%s {prefix}%s varies on both headers", async (_method, path) => {
      const agent = await fixtureApp();
      const res = await agent.get(`${P}${path}`).set(headers).expect(200);
      expect(varyOf(res.headers.vary)).toEqual(expect.arrayContaining(["accept", "hx-request"]));
    });

    it.each([
      ["create", { label: "Cached?" }],
      ["rename", { session_id: NEWEST, label: "Cached?" }],
      ["duplicate", { session_id: NEWEST }],
      ["resume", { session_id: NEWEST }],
      ["delete", { session_id: NEWEST }],
    ] as const)("POST {prefix}/%s varies on both headers", async (route, body) => {
      const agent = await fixtureApp();
      const res = await agent.post(`${P}/${route}`).set(headers).type("form").send(body);
      expect(res.status).toBeLessThan(400);
      expect(varyOf(res.headers.vary)).toEqual(expect.arrayContaining(["accept", "hx-request"]));
    });

    it("POST {prefix}/restore varies on both headers", async () => {
      const agent = await fixtureApp();
      await agent.post(`${P}/delete`).type("form").send({ session_id: NEWEST }).expect(303);
      const res = await agent.post(`${P}/restore`).set(headers).type("form").send({ session_id: NEWEST });
      expect(res.status).toBeLessThan(400);
      expect(varyOf(res.headers.vary)).toEqual(expect.arrayContaining(["accept", "hx-request"]));
    });

    it("an error answer varies on both headers", async () => {
      const agent = await fixtureApp();
      const res = await agent.post(`${P}/rename`).set(headers).type("form").send({ session_id: MISSING, label: "x" }).expect(404);
      expect(varyOf(res.headers.vary)).toEqual(expect.arrayContaining(["accept", "hx-request"]));
    });

    it("keeps a Vary the host set before the manager, naming each header once", async () => {
      const store = await backend.openStore("workflow_state.db");
      const app = express();
      app.use((_req, res, next) => void (res.vary("Accept-Encoding"), next()));
      app.use(buildApp({ store }));
      const res = await (await csrfAgent(app)).get(`${P}/list`).set(headers).expect(200);
      expect(varyOf(res.headers.vary).sort()).toEqual(["accept", "accept-encoding", "hx-request"]);
    });
  });

  it("a signed-out visitor sent to the sign-in page gets an answer that varies on both headers", async () => {
    const agent = visitor(buildApp({ store: await backend.openStore("workflow_state.db"), owner: () => undefined, signIn: "/login" }));
    const page = await agent.get(P).expect(303);
    const htmx = await agent.get(`${P}/list`).set("HX-Request", "true").expect(401);
    for (const res of [page, htmx]) expect(varyOf(res.headers.vary)).toEqual(expect.arrayContaining(["accept", "hx-request"]));
  });

  it("the assets, the same in every form, do not vary on them", async () => {
    const agent = await fixtureApp();
    const res = await agent.get(`${P}/assets/app.css`).expect(200);
    expect(varyOf(res.headers.vary)).not.toContain("hx-request");
  });
});
