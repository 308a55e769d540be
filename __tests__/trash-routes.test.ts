import { sql } from "kysely";
import type { SessionManagerOptions } from "../lib/options.js";
import { TrashService } from "../lib/service/trash-service.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { activeOf, backends, buildApp, csrfAgent, decoded, FLOW, rowIds, type Backend } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const JSON_ACCEPT = { Accept: "application/json" };
const HOSTILE = `<img src=x onerror=alert(1)>"'&`;

/** The hidden fields of the first form whose markup contains `marker`. */
function formFields(html: string, marker: string): Array<[string, string]> {
  const form = html.match(/<form[\s\S]*?<\/form>/g)?.find((f) => f.includes(marker));
  if (!form) throw new Error(`No form with ${marker}`);
  return [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]);
}

/** The action of the first form whose markup contains `marker`. */
function formAction(html: string, marker: string): string {
  const form = html.match(/<form[\s\S]*?<\/form>/g)?.find((f) => f.includes(marker));
  return /action="([^"]+)"/.exec(form ?? "")![1]!.replace(/&amp;/g, "&");
}

const encode = (fields: Array<[string, string]>) => fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/&amp;/g, "&"))}`).join("&");

/** Waits (without a fixed sleep) until `check` holds, or fails after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("The condition did not hold in time.");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function trashedIds(store: WorkflowStore, owner?: string): Promise<string[]> {
  return (await store.listTrash(FLOW, { offset: 0, limit: 1000 }, { owner })).sessions.map((s) => s.sessionId).sort();
}

describe.each(backends)("the trash routes on $name", (backend: Backend) => {
  async function fixtureApp(options: Partial<SessionManagerOptions> = {}) {
    const store = await backend.openStore("workflow_state.db");
    const app = buildApp({ store, ...options });
    const agent = await csrfAgent(app);
    const ids = rowIds((await agent.get(P)).text);
    return { store, app, agent, ids };
  }

  describe(`POST ${P}/delete`, () => {
    it("moves one session to the trash; without JavaScript the page then shows the notice with an Undo form once", async () => {
      const { store, agent, ids } = await fixtureApp();
      const id = ids[0]!;
      await agent.post(`${P}/delete`).type("form").send({ session_id: id }).expect(303);
      expect(await store.sessionExists(FLOW, id)).toBe(false);
      expect(await trashedIds(store)).toEqual([id]);
      const page = (await agent.get(P).expect(200)).text;
      expect(page).toMatch(/<div id="ews-alerts"[^>]*aria-live="polite"/);
      expect(page).toContain('data-timeout="10"');
      expect(formFields(page, 'data-role="undo-form"').filter(([name]) => name === "session_id")).toEqual([["session_id", id]]);
      expect(page).toMatch(/<button type="submit" class="btn btn-sm" data-action="undo">Undo<\/button>/);
      // The flash is shown once.
      expect((await agent.get(P)).text).not.toContain('data-role="undo-form"');
      // Undo, without JavaScript: post the form as it is.
      await agent.post(formAction(page, 'data-role="undo-form"')).type("form").send(encode(formFields(page, 'data-role="undo-form"'))).expect(303);
      expect(await store.sessionExists(FLOW, id)).toBe(true);
      expect(decoded((await agent.get(P)).text)).toContain("Restored “");
    });

    it("under htmx answers the list and the notice, whose Undo form restores exactly what was deleted", async () => {
      const { store, agent, ids } = await fixtureApp();
      const chosen = [ids[1]!, ids[2]!, ids[3]!];
      const res = await agent.post(`${P}/delete`).set(HTMX).type("form").send(chosen.map((id) => `session_id=${id}`).join("&")).expect(200);
      expect(rowIds(res.text)).not.toContain(chosen[0]);
      expect(decoded(res.text)).toContain("Deleted 3 sessions.");
      expect(res.text).toContain('hx-swap-oob="true"');
      const undo = formFields(res.text, 'data-role="undo-form"').filter(([name]) => name === "session_id").map(([, v]) => v);
      expect(undo.sort()).toEqual([...chosen].sort());
      await agent.post(`${P}/restore`).set(HTMX).type("form").send(encode(formFields(res.text, 'data-role="undo-form"'))).expect(200);
      for (const id of chosen) expect(await store.sessionExists(FLOW, id)).toBe(true);
      expect(await trashedIds(store)).toEqual([]);
    });

    it("deletes all matching the query, and Undo restores that delete (by its batch)", async () => {
      const { store, agent } = await fixtureApp();
      await store.createSession(FLOW, { label: "Match one" });
      await store.createSession(FLOW, { label: "match two" });
      const before = await store.countSessions(FLOW);
      const res = await agent.post(`${P}/delete`).set(HTMX).type("form").send({ all_matching: "1", q: "MATCH" }).expect(200);
      expect(decoded(res.text)).toContain("Deleted 2 sessions.");
      expect(await store.countSessions(FLOW)).toBe(before - 2);
      const fields = formFields(res.text, 'data-role="undo-form"');
      expect(fields.find(([name]) => name === "batch")?.[1]).toMatch(/^[0-9a-f-]{36}$/);
      await agent.post(`${P}/restore`).set(HTMX).type("form").send(encode(fields)).expect(200);
      expect(await store.countSessions(FLOW)).toBe(before);
    });

    it("applies the active-session rule: the most recently updated remaining session becomes active", async () => {
      const { store, agent, ids } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: ids[0] }).expect(303);
      await agent.post(`${P}/delete`).type("form").send(`session_id=${ids[0]}&session_id=${ids[1]}`).expect(303);
      expect(await activeOf(agent)).toBe(ids[2]);
      await agent.post(`${P}/delete`).type("form").send({ all_matching: "1", q: "" }).expect(303);
      const fresh = await activeOf(agent);
      expect(fresh).not.toBeNull();
      expect(await store.sessionExists(FLOW, fresh!)).toBe(true);
      expect(await store.countSessions(FLOW)).toBe(1);
    });

    it("answers 400 to more than 1,000 ids and to a malformed one, 404 when one is missing, changing nothing", async () => {
      const { store, agent, ids } = await fixtureApp();
      const many = Array.from({ length: 1001 }, (_, i) => `session_id=s-${i}`).join("&");
      const tooMany = await agent.post(`${P}/delete`).set(JSON_ACCEPT).type("form").send(many).expect(400);
      expect(tooMany.body.error.message).toContain("at most 1,000");
      await agent.post(`${P}/delete`).type("form").send(`session_id=${ids[0]}&session_id=%3Cx%3E`).expect(400);
      await agent.post(`${P}/delete`).type("form").send(`session_id=${ids[0]}&session_id=gone`).expect(404);
      await agent.post(`${P}/delete`).type("form").send({ all_matching: "yes" }).expect(400);
      expect(await store.sessionExists(FLOW, ids[0]!)).toBe(true);
      expect(await trashedIds(store)).toEqual([]);
    });

    it("with trash: false deletes for good, says so in the confirmation, and offers no Undo and no trash routes", async () => {
      const { store, agent, ids } = await fixtureApp({ trash: false });
      const page = decoded((await agent.get(`${P}?delete=${ids[0]}`)).text);
      expect(page).toContain("will be deleted permanently. This cannot be undone.");
      expect(page).not.toContain('data-action="open-trash"');
      const res = await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: ids[0] }).expect(200);
      expect(decoded(res.text)).toContain("permanently.");
      expect(res.text).not.toContain('data-role="undo-form"');
      expect(await trashedIds(store)).toEqual([]);
      const confirm = decoded((await agent.post(`${P}/confirm`).type("form").send(`session_id=${ids[1]}&session_id=${ids[2]}`).expect(200)).text);
      expect(confirm).toContain("Delete 2 sessions permanently?");
      expect(confirm).toContain("This cannot be undone.");
      await agent.get(`${P}/trash`).expect(404);
      await agent.post(`${P}/restore`).type("form").send({ session_id: ids[0] }).expect(404);
    });
  });

  describe(`POST ${P}/restore`, () => {
    it("answers 409 with a message when the key was taken again, and changes nothing", async () => {
      const { store, agent, ids } = await fixtureApp();
      await agent.post(`${P}/delete`).type("form").send({ session_id: ids[0] }).expect(303);
      await store.updateState(FLOW, ids[0]!, { recreated_by: "python" });
      const res = await agent.post(`${P}/restore`).set(JSON_ACCEPT).type("form").send({ session_id: ids[0], view: "trash" }).expect(409);
      expect(res.body.error).toEqual({ code: "restore_conflict", message: expect.stringContaining("created again") });
      expect(await store.getState(FLOW, ids[0]!)).toEqual({ recreated_by: "python" });
      expect(await trashedIds(store)).toEqual([ids[0]]);
      const htmx = await agent.post(`${P}/restore`).set(HTMX).type("form").send({ session_id: ids[0], view: "trash" }).expect(409);
      expect(htmx.text).toContain('role="alert"');
    });

    it("never changes the active session", async () => {
      const { agent, ids } = await fixtureApp();
      await agent.post(`${P}/resume`).type("form").send({ session_id: ids[1] }).expect(303);
      await agent.post(`${P}/delete`).type("form").send({ session_id: ids[0] }).expect(303);
      await agent.post(`${P}/restore`).type("form").send({ session_id: ids[0], view: "trash" }).expect(303);
      expect(await activeOf(agent)).toBe(ids[1]);
    });
  });

  describe(`GET ${P}/trash and ${P}/trash/list`, () => {
    it("lists label, step, when deleted and when purged, windowed, searchable and sortable, with hostile labels as text", async () => {
      const { store, agent } = await fixtureApp({ pageSize: 2 });
      const hostile = await store.createSession(FLOW, { label: HOSTILE });
      const plain = await store.createSession(FLOW, { label: "Plain one" });
      const third = await store.createSession(FLOW, { label: "Third" });
      await store.trashSessions(FLOW, [hostile], {}, { deletedAt: new Date("2026-11-01T10:00:00Z") });
      await store.trashSessions(FLOW, [plain], {}, { deletedAt: new Date("2026-11-02T10:00:00Z") });
      await store.trashSessions(FLOW, [third], {}, { deletedAt: new Date("2026-11-03T10:00:00Z") });
      const page = (await agent.get(`${P}/trash`).expect(200)).text;
      expect(page).not.toContain("<img src=x");
      expect(page).toContain('data-list-kind="trash"');
      expect(page).toContain("Deleted sessions are kept here for 30 days");
      expect(rowIds(page)).toEqual([third, plain]);
      expect(page).toContain('data-total="3"');
      expect(page).toContain("Dec 03, 2026 10:00 UTC");
      expect(page).toContain('role="toolbar"');
      const next = await agent.get(`${P}/trash/list?offset=2`).set(HTMX).expect(200);
      expect(rowIds(next.text)).toEqual([hostile]);
      expect(next.text).toContain("&lt;img src=x onerror=alert(1)&gt;");
      const searched = await agent.get(`${P}/trash/list?q=plain`).set(HTMX).expect(200);
      expect(rowIds(searched.text)).toEqual([plain]);
      expect(searched.headers["hx-push-url"]).toBe(`${P}/trash?q=plain`);
      const sorted = await agent.get(`${P}/trash/list?sort=label&dir=asc`).set(HTMX).expect(200);
      expect(rowIds(sorted.text)).toEqual([hostile, plain]);
    });
  });

  describe(`POST ${P}/confirm`, () => {
    it("names a single session, escaping its label, or gives the count, and posts exactly what was chosen", async () => {
      const { store, agent, ids } = await fixtureApp();
      const hostile = await store.createSession(FLOW, { label: HOSTILE });
      const one = (await agent.post(`${P}/confirm`).type("form").send({ session_id: hostile, intent: "delete" }).expect(200)).text;
      expect(one).not.toContain("<img src=x");
      expect(decoded(one)).toContain(`Move “&lt;img src=x onerror=alert(1)&gt;&quot;'&amp;” to the trash?`);
      expect(one).toMatch(/<dialog id="ews-bulk-dialog"[^>]*open/);
      const three = (await agent.post(`${P}/confirm`).type("form").send(ids.slice(0, 3).map((id) => `session_id=${id}`).join("&")).expect(200)).text;
      expect(three).toContain("Move 3 sessions to the trash?");
      expect(formFields(three, 'id="ews-bulk-dialog-form"').filter(([n]) => n === "session_id").map(([, v]) => v)).toEqual(ids.slice(0, 3));
      const all = (await agent.post(`${P}/confirm`).type("form").send({ all_matching: "1", q: "" }).expect(200)).text;
      expect(all).toContain(`Move ${await store.countSessions(FLOW)} sessions to the trash?`);
      expect(formFields(all, 'id="ews-bulk-dialog-form"')).toEqual(expect.arrayContaining([["all_matching", "1"], ["q", ""]]));
      expect(await trashedIds(store)).toEqual([]);
    });

    it("in the trash confirms Delete forever by name and Empty trash with the count", async () => {
      const { store, agent, ids } = await fixtureApp();
      await store.trashSessions(FLOW, ids.slice(0, 2));
      const one = decoded((await agent.post(`${P}/confirm`).type("form").send({ session_id: ids[0], intent: "purge", view: "trash" }).expect(200)).text);
      expect(one).toMatch(/Delete “[^”]+” forever\?/);
      const empty = decoded((await agent.post(`${P}/confirm`).type("form").send({ all: "1", intent: "purge", view: "trash" }).expect(200)).text);
      expect(empty).toContain("Empty the trash? 2 sessions will be deleted forever.");
      expect(await trashedIds(store)).toEqual(ids.slice(0, 2).sort());
    });
  });

  describe(`POST ${P}/purge`, () => {
    it("deletes one trashed session forever, or empties the trash with all=1", async () => {
      const { store, agent, ids } = await fixtureApp();
      await store.trashSessions(FLOW, ids.slice(0, 3));
      const res = await agent.post(`${P}/purge`).set(HTMX).type("form").send({ session_id: ids[0], view: "trash" }).expect(200);
      expect(res.text).toContain('data-list-kind="trash"');
      expect(decoded(res.text)).toMatch(/Deleted “[^”]+” forever\./);
      expect(await trashedIds(store)).toEqual(ids.slice(1, 3).sort());
      await agent.post(`${P}/purge`).type("form").send({ all: "1", view: "trash" }).expect(303);
      expect(await trashedIds(store)).toEqual([]);
      expect(await store.sessionExists(FLOW, ids[0]!)).toBe(false);
    });
  });

  describe("retention and idle expiry", () => {
    it("purges, lazily after a visit, only what was deleted more than keepDays ago", async () => {
      const { store, app, ids } = await fixtureApp({ trash: { keepDays: 7 } });
      await store.trashSessions(FLOW, [ids[0]!], {}, { deletedAt: new Date(Date.now() - 8 * 86_400_000) });
      await store.trashSessions(FLOW, [ids[1]!], {}, { deletedAt: new Date(Date.now() - 6 * 86_400_000) });
      // A fresh manager over the same store: its first visit starts the purge, which the answer does not wait for.
      const fresh = await csrfAgent(buildApp({ store, trash: { keepDays: 7 } }));
      await fresh.get(`${P}/trash`).expect(200);
      await until(async () => (await trashedIds(store)).length === 1);
      expect(await trashedIds(store)).toEqual([ids[1]]);
      expect(app).toBeDefined();
    });

    it("runs neither for a readonly manager, which changes nothing", async () => {
      const store = await backend.openStore("workflow_state.db");
      const [first] = await store.listSessions(FLOW, { limit: 1 });
      await store.trashSessions(FLOW, [first!.sessionId], {}, { deletedAt: new Date(Date.now() - 30 * 86_400_000) });
      const options = { store, flowId: FLOW, trashKeepDays: 7, expireIdleAfterDays: 1, stepTitle: String, logger: console };
      // maintain() settles when its run is done, so each outcome is known without waiting for a time.
      await new TrashService({ ...options, readonly: true }).maintain();
      expect(await trashedIds(store)).toEqual([first!.sessionId]);
      await new TrashService(options).maintain();
      expect(await trashedIds(store)).not.toContain(first!.sessionId);
      // Nor does its page state the rule it does not apply.
      const page = decoded((await (await csrfAgent(buildApp({ store, readonly: true, expireIdleAfterDays: 90 }))).get(P).expect(200)).text);
      expect(page).not.toContain("Sessions not updated for");
    });

    it("moves sessions idle for expireIdleAfterDays into the trash, and the page states the rule", async () => {
      const store = await backend.openStore("workflow_state.db");
      const recent = await store.createSession(FLOW, { label: "recent" });
      const old = await store.createSession(FLOW, { label: "old" });
      await sql`UPDATE workflow_state SET updated_at = '2020-01-01 00:00:00' WHERE flow_session_key = ${`${FLOW}:${old}`}`.execute(store.db);
      const agent = await csrfAgent(buildApp({ store, expireIdleAfterDays: 90 }));
      const page = decoded((await agent.get(P)).text);
      expect(page).toContain("Sessions not updated for 90 days move to the trash.");
      await until(async () => (await trashedIds(store)).includes(old));
      expect(await store.sessionExists(FLOW, recent)).toBe(true);
    });
  });

  describe("owner scoping", () => {
    async function twoUsers() {
      const store = await backend.openStore("workflow_state.db");
      const app = buildApp({ store, owner: (req) => req.get("X-User") });
      const alice = await csrfAgent(app, { headers: { "X-User": "alice" } });
      const bob = await csrfAgent(app, { headers: { "X-User": "bob" } });
      const bobs = [await store.createSession(FLOW, { label: "bob's 1", owner: "bob" }), await store.createSession(FLOW, { label: "bob's 2", owner: "bob" })];
      await bob.post(`${P}/delete`).type("form").send({ session_id: bobs[0] }).expect(303);
      return { store, alice, bob, bobs };
    }

    it.each([
      ["restore", { view: "trash" }],
      ["purge", { view: "trash" }],
      ["confirm", { view: "trash", intent: "purge" }],
      ["confirm", { intent: "delete" }],
      ["delete", {}],
    ])("answers /%s on another owner's trashed id with the same 404 as a missing one, changing nothing", async (route, extra) => {
      const { store, alice, bobs } = await twoUsers();
      const foreign = await alice.post(`${P}/${route}`).set(JSON_ACCEPT).type("form").send({ session_id: bobs[0], ...extra }).expect(404);
      const missing = await alice.post(`${P}/${route}`).set(JSON_ACCEPT).type("form").send({ session_id: "no-such-session", ...extra }).expect(404);
      expect(foreign.body).toEqual(missing.body);
      expect(await trashedIds(store)).toEqual([bobs[0]]);
    });

    it("lists, empties and acts on all matching only within the caller's own trash", async () => {
      const { store, alice, bob, bobs } = await twoUsers();
      expect(rowIds((await alice.get(`${P}/trash`)).text)).toEqual([]);
      expect(rowIds((await bob.get(`${P}/trash`)).text)).toEqual([bobs[0]]);
      await alice.post(`${P}/purge`).type("form").send({ all: "1", view: "trash" }).expect(303);
      await alice.post(`${P}/restore`).type("form").send({ all_matching: "1", q: "", view: "trash" }).expect(303);
      await alice.post(`${P}/delete`).type("form").send({ all_matching: "1", q: "" }).expect(303);
      expect(await trashedIds(store)).toEqual([bobs[0]]);
      expect(await store.sessionExists(FLOW, bobs[1]!)).toBe(true);
    });
  });
});
