import type { Request } from "express";
import { sql } from "kysely";
import request from "supertest";
import { checkViewContract } from "../lib/render/check-view-contract.js";
import { TrashService } from "../lib/service/trash-service.js";
import { EXPORT_FORMAT } from "../lib/service/session-file.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { backends, buildApp, csrfAgent, decoded, FLOW, recordingLogger } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const JSON_ACCEPT = { Accept: "application/json" };
const userOf = (req: Request) => req.get("x-user") || undefined;

const eventRows = async (store: WorkflowStore) =>
  (await sql<{ session_id: string; owner: string; action: string; request_id: string; after_value: string | null }>`SELECT session_id, owner, action, request_id, after_value FROM workflow_state_events ORDER BY id`.execute(store.db)).rows;

describe.each(backends)("the activity log over HTTP on $name", (backend) => {
  async function setup(options: Record<string, unknown> = {}) {
    const store = await backend.openStore();
    return { store, app: buildApp({ store, owner: userOf, ...options }) };
  }

  describe("every action records one event, with the caller as owner and the request's id", () => {
    it("create, rename, duplicate, resume, pin, unpin, delete, restore, purge and import", async () => {
      const { store, app } = await setup();
      const agent = await csrfAgent(app, { headers: { "x-user": "ann" } });
      const json = { ...JSON_ACCEPT, "X-Request-Id": "req-42" };
      const created = (await agent.post(`${P}/create`).set(json).send({ label: "First" }).expect(201)).body.sessionId as string;
      await agent.post(`${P}/rename`).set(json).send({ session_id: created, label: "Renamed" }).expect(200);
      const copy = (await agent.post(`${P}/duplicate`).set(json).send({ session_id: created }).expect(201)).body.sessionId as string;
      await agent.post(`${P}/resume`).set(json).send({ session_id: created }).expect(200);
      await agent.post(`${P}/pin`).set(json).send({ session_id: created }).expect(200);
      await agent.post(`${P}/unpin`).set(json).send({ session_id: created }).expect(200);
      const deleted = (await agent.post(`${P}/delete`).set(json).send({ session_id: copy }).expect(200)).body;
      await agent.post(`${P}/restore`).set(json).send({ session_id: copy }).expect(200);
      await agent.post(`${P}/delete`).set(json).send({ session_id: copy }).expect(200);
      await agent.post(`${P}/purge`).set(json).send({ session_id: copy }).expect(200);
      const file = `{"format":${JSON.stringify(EXPORT_FORMAT)},"exportedAt":"2026-12-01T00:00:00.000Z","flowId":"${FLOW}","sessions":[{"sessionId":"s-1","label":"In","state":{}}]}`;
      const imported = (await agent.post(`${P}/import`).set(json).set("Content-Type", "application/json").send(file).expect(201)).body.items[0].sessionId as string;
      expect(deleted).toBeDefined();
      const rows = await eventRows(store);
      expect(rows.map((row) => `${row.action} ${row.session_id}`)).toEqual([
        `create ${created}`,
        `rename ${created}`,
        `duplicate ${copy}`,
        `resume ${created}`,
        `pin ${created}`,
        `unpin ${created}`,
        `delete ${copy}`,
        `restore ${copy}`,
        `delete ${copy}`,
        `purge ${copy}`,
        `import ${imported}`,
      ]);
      expect(new Set(rows.map((row) => `${row.owner} ${row.request_id}`))).toEqual(new Set(["ann req-42"]));
      expect(rows[1]!.after_value).toBe("Renamed");
    });

    it("makes up a request id when X-Request-Id is missing or not short and plain, one for all of a request's events", async () => {
      const { store, app } = await setup({ owner: undefined });
      const agent = await csrfAgent(app);
      for (const id of [undefined, "x".repeat(65), "<script>", "a b"]) {
        await agent.post(`${P}/create`).set({ ...JSON_ACCEPT, ...(id === undefined ? {} : { "X-Request-Id": id }) }).send({}).expect(201);
      }
      const ids = (await eventRows(store)).map((row) => row.request_id);
      expect(ids).toHaveLength(4);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(ids).size).toBe(4);
      const sessions = (await store.listSessions(FLOW)).map((s) => s.sessionId);
      await agent.post(`${P}/delete`).set(JSON_ACCEPT).send({ session_id: sessions }).expect(200);
      const deletes = (await eventRows(store)).filter((row) => row.action === "delete");
      expect(deletes).toHaveLength(4);
      expect(new Set(deletes.map((row) => row.request_id)).size).toBe(1);
    });

    it("records a delete of all matching, one event per session", async () => {
      const { store, app } = await setup({ owner: undefined });
      await store.importSessions(FLOW, Array.from({ length: 120 }, (_, i) => ({ sessionId: `s-${i}`, state: "{}" })), { keepIds: true });
      const agent = await csrfAgent(app);
      const res = await agent.post(`${P}/delete`).set(JSON_ACCEPT).send({ all_matching: "1", q: "" }).expect(200);
      expect(res.body.count).toBe(120);
      expect((await eventRows(store)).filter((row) => row.action === "delete")).toHaveLength(120);
    });
  });

  describe(`GET ${P}/activity`, () => {
    it("shows the caller's events newest first, each session linked to its history, in a page, a fragment and JSON", async () => {
      const { store, app } = await setup();
      const agent = await csrfAgent(app, { headers: { "x-user": "ann" } });
      const id = (await agent.post(`${P}/create`).set(JSON_ACCEPT).send({ label: "Lecture <b>" }).expect(201)).body.sessionId as string;
      await agent.post(`${P}/rename`).set(JSON_ACCEPT).send({ session_id: id, label: "Talk" }).expect(200);
      const page = await agent.get(`${P}/activity`).expect(200).expect("Content-Type", /html/);
      const text = decoded(page.text);
      expect(text).toContain("<h1 class=\"text-2xl font-bold\">Activity</h1>");
      expect(text.indexOf("Renamed from")).toBeLessThan(text.indexOf("Created"));
      expect(text).toContain("Renamed from “<span class=\"break-all\">Lecture &lt;b&gt;</span>” to “<span class=\"break-all\">Talk</span>”");
      expect(page.text).toContain(`href="${P}/activity?session_id=${id}"`);
      const fragment = await agent.get(`${P}/activity`).set(HTMX).expect(200);
      expect(fragment.text).toMatch(/^<section id="ews-activity"/);
      const body = (await agent.get(`${P}/activity`).set(JSON_ACCEPT).expect(200)).body;
      expect(body.next).toBeNull();
      expect(body.events.map((event: { action: string }) => event.action)).toEqual(["rename", "create"]);
      expect(body.events[0]).toMatchObject({ session_id: id, label: "Lecture <b>", before: "Lecture <b>", after: "Talk", at: expect.stringMatching(/Z$/), request_id: expect.any(String) });
    });

    it("links each row of the list to its session's history, and shows one session's history alone", async () => {
      const { store, app } = await setup();
      const agent = await csrfAgent(app, { headers: { "x-user": "ann" } });
      const a = (await agent.post(`${P}/create`).set(JSON_ACCEPT).send({ label: "A" }).expect(201)).body.sessionId as string;
      await agent.post(`${P}/create`).set(JSON_ACCEPT).send({ label: "B" }).expect(201);
      const list = await agent.get(P).expect(200);
      expect(list.text).toMatch(new RegExp(`<a href="${P}/activity\\?session_id=${a}"[^>]*data-action="history"`));
      expect(checkViewContract(list.text)).toEqual([]);
      const history = await agent.get(`${P}/activity?session_id=${a}`).set(JSON_ACCEPT).expect(200);
      expect(history.body.events.map((event: { session_id: string }) => event.session_id)).toEqual([a]);
      const page = decoded((await agent.get(`${P}/activity?session_id=${a}`).expect(200)).text);
      expect(page).toContain("History of <span class=\"break-all\">A</span>");
      expect(await store.countSessions(FLOW)).toBe(2);
    });

    it("comes in windows of pageSize, by a cursor that goes on to older events without repeating any", async () => {
      const { app } = await setup({ pageSize: 2 });
      const agent = await csrfAgent(app, { headers: { "x-user": "ann" } });
      for (let i = 0; i < 5; i++) await agent.post(`${P}/create`).set(JSON_ACCEPT).send({ label: `S${i}` }).expect(201);
      const labels: string[] = [];
      let next: string | null = null;
      let windows = 0;
      do {
        const res: request.Response = await agent.get(`${P}/activity`).query(next ? { cursor: next } : {}).set(JSON_ACCEPT).expect(200);
        labels.push(...res.body.events.map((event: { label: string }) => event.label));
        next = res.body.next;
        windows++;
      } while (next);
      expect(labels).toEqual(["S4", "S3", "S2", "S1", "S0"]);
      expect(windows).toBe(3);
      const first = await agent.get(`${P}/activity`).expect(200);
      const older = /href="([^"]+)" data-role="older"/.exec(first.text)![1]!.replace(/&amp;/g, "&");
      expect(decoded((await agent.get(older).expect(200)).text)).toContain("S2");
    });

    it("answers 400, never 500, to a bad cursor or session id", async () => {
      const { app } = await setup();
      const agent = request.agent(app).set("x-user", "ann");
      for (const query of ["cursor=yesterday", "cursor=2026-12-03T13:50:00_x", "cursor=1&cursor=2", "session_id=a%20b", "session_id=a&session_id=b"]) {
        await agent.get(`${P}/activity?${query}`).set(JSON_ACCEPT).expect(400);
      }
    });

    it("shows an owner none of another owner's events, even asked for that owner's session", async () => {
      const { app } = await setup();
      const bob = await csrfAgent(app, { headers: { "x-user": "bob" } });
      const theirs = (await bob.post(`${P}/create`).set(JSON_ACCEPT).send({ label: "Secret" }).expect(201)).body.sessionId as string;
      const ann = request.agent(app).set("x-user", "ann");
      expect((await ann.get(`${P}/activity`).set(JSON_ACCEPT).expect(200)).body.events).toEqual([]);
      expect((await ann.get(`${P}/activity?session_id=${theirs}`).set(JSON_ACCEPT).expect(200)).body.events).toEqual([]);
      expect((await ann.get(`${P}/activity?session_id=${theirs}`).expect(200)).text).not.toContain("Secret");
      await request(app).get(`${P}/activity`).set(JSON_ACCEPT).expect(401);
    });
  });

  describe("activity: false", () => {
    it("records nothing, has no page (404) and no history links", async () => {
      const { store, app } = await setup({ activity: false });
      const agent = await csrfAgent(app, { headers: { "x-user": "ann" } });
      const id = (await agent.post(`${P}/create`).set(JSON_ACCEPT).send({ label: "A" }).expect(201)).body.sessionId as string;
      await agent.post(`${P}/rename`).set(JSON_ACCEPT).send({ session_id: id, label: "B" }).expect(200);
      await agent.post(`${P}/delete`).set(JSON_ACCEPT).send({ session_id: id }).expect(200);
      expect(await eventRows(store)).toEqual([]);
      await agent.get(`${P}/activity`).expect(404);
      expect((await agent.get(P).expect(200)).text).not.toContain("/activity");
    });
  });

  describe("retention", () => {
    it("the lazy maintenance purges events older than activity.keepDays, every owner's, and keeps the rest", async () => {
      const { store } = await setup();
      for (const owner of ["ann", "bob"]) await store.createSession(FLOW, { owner, activity: { requestId: "r" } });
      await sql`UPDATE workflow_state_events SET at = '2026-01-01 00:00:00'`.execute(store.db);
      await store.createSession(FLOW, { owner: "ann", activity: { requestId: "r" } });
      const trash = new TrashService({ store, flowId: FLOW, trashKeepDays: 30, expireIdleAfterDays: undefined, activityKeepDays: 90, stepTitle: (s) => s, logger: recordingLogger() });
      await trash.maintain(new Date("2026-06-01T00:00:00Z"));
      expect(await eventRows(store)).toHaveLength(1);
    });
  });
});
