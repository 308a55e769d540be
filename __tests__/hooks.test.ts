import type { Request } from "express";
import { ERROR_TABLE, RejectedError } from "../lib/errors.js";
import type { HookContext, SessionHooks, SessionManagerOptions } from "../lib/options.js";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import { SessionService } from "../lib/service/session-service.js";
import { VersionConflictError } from "../lib/errors.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { activeOf, backends, buildApp, csrfAgent, decoded, FLOW, recordingLogger, visitor, type FixtureName } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";

/** A hook call as recorded: the hook's name and what it was given, without the request. */
interface Call {
  name: string;
  path: string;
  owner: string | undefined;
  sessionIds: string[];
  labels: string[];
  label?: string | null;
  duplicateOf?: string | undefined;
}

/** Hooks that record every call, in order. */
function recordingHooks(extra: Partial<Record<keyof SessionHooks, (context: HookContext) => unknown>> = {}) {
  const calls: Call[] = [];
  const names: Array<keyof SessionHooks> = ["beforeCreate", "afterCreate", "beforeRename", "afterRename", "beforeDelete", "afterDelete", "beforeResume", "afterResume"];
  const hooks: SessionHooks = {};
  for (const name of names) {
    (hooks as Record<string, unknown>)[name] = async (context: HookContext & { label?: string | null; duplicateOf?: { sessionId: string } }) => {
      const call: Call = {
        name,
        path: (context.req as Request).path,
        owner: context.owner,
        sessionIds: context.sessionIds,
        labels: context.items.map((item) => item.displayLabel),
      };
      if ("label" in context) call.label = context.label;
      if ("duplicateOf" in context) call.duplicateOf = context.duplicateOf?.sessionId;
      calls.push(call);
      return extra[name]?.(context);
    };
  }
  return { hooks, calls };
}

describe.each(backends)("lifecycle hooks, duplicate and versions on $name", (backend) => {
  async function fixtureApp(options: Partial<SessionManagerOptions> = {}, fixture: FixtureName = "workflow_state.db") {
    const store = await backend.openStore(fixture);
    const logger = recordingLogger();
    const app = buildApp({ store, logger, ...options });
    return { store, app, logger, agent: await csrfAgent(app) };
  }

  const labelOf = async (store: WorkflowStore, id: string) => (await store.getSessionSummary(FLOW, id))?.label;
  const versionOf = async (store: WorkflowStore, id: string) => (await store.getSessionRecord(FLOW, id))!.version;

  describe("the hooks option", () => {
    it("fails fast on an unknown hook or one that is not a function, naming the hooks", async () => {
      const store = await backend.openStore();
      expect(() => createSessionManager({ store, flowId: FLOW, hooks: { afterDeleet: async () => {} } as never })).toThrow(
        'The `hooks` option has no hook "afterDeleet"; the hooks are beforeCreate, afterCreate',
      );
      expect(() => createSessionManager({ store, flowId: FLOW, hooks: { afterDelete: "x" } as never })).toThrow("The hook `afterDelete` must be a function");
      expect(() => createSessionManager({ store, flowId: FLOW, hookTimeoutMs: -1 })).toThrow("`hookTimeoutMs` option must be a number");
    });
  });

  describe("every hook on every route", () => {
    it("POST /create runs beforeCreate then afterCreate with the new id, the label and the request", async () => {
      const { hooks, calls } = recordingHooks();
      const { agent } = await fixtureApp({ hooks });
      await agent.post(`${P}/create`).set(HTMX).type("form").send({ label: "Fresh" }).expect(200);
      expect(calls.map((c) => c.name)).toEqual(["beforeCreate", "afterCreate"]);
      expect(calls[0]).toMatchObject({ path: `${P}/create`, owner: undefined, labels: [], label: "Fresh", duplicateOf: undefined });
      expect(calls[1]).toMatchObject({ labels: ["Fresh"], label: "Fresh", sessionIds: calls[0]!.sessionIds });
      expect(await activeOf(agent)).toBe(calls[0]!.sessionIds[0]);
    });

    it("POST /rename runs beforeRename with the label about to be written, afterRename with the item renamed", async () => {
      const { hooks, calls } = recordingHooks();
      const { agent } = await fixtureApp({ hooks });
      await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "New name" }).expect(200);
      expect(calls).toEqual([
        expect.objectContaining({ name: "beforeRename", path: `${P}/rename`, sessionIds: [NEWEST], label: "New name" }),
        expect.objectContaining({ name: "afterRename", sessionIds: [NEWEST], labels: ["New name"], label: "New name" }),
      ]);
      expect(calls[0]!.labels).not.toEqual(["New name"]);
    });

    it("POST /delete runs beforeDelete and afterDelete with the session as it was", async () => {
      const { hooks, calls } = recordingHooks();
      const { agent, store } = await fixtureApp({ hooks });
      const { displayLabel } = (await store.getSessionSummary(FLOW, NEWEST))!.label ? { displayLabel: (await labelOf(store, NEWEST))! } : { displayLabel: "" };
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(200);
      expect(calls.map((c) => [c.name, c.sessionIds])).toEqual([["beforeDelete", [NEWEST]], ["afterDelete", [NEWEST]]]);
      if (displayLabel) expect(calls[1]!.labels).toEqual([displayLabel]);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(false);
    });

    it("POST /resume runs beforeResume and afterResume around making the session active", async () => {
      const seenActive: Array<string | undefined> = [];
      const { hooks, calls } = recordingHooks({
        beforeResume: (context) => void seenActive.push((context.req as Request).session.activeSessionId),
        afterResume: (context) => void seenActive.push((context.req as Request).session.activeSessionId),
      });
      const { agent } = await fixtureApp({ hooks });
      await agent.post(`${P}/resume`).type("form").send({ session_id: NEWEST }).expect(303).expect("Location", "/workflow");
      expect(calls.map((c) => [c.name, c.sessionIds])).toEqual([["beforeResume", [NEWEST]], ["afterResume", [NEWEST]]]);
      expect(seenActive).toEqual([undefined, NEWEST]);
    });

    it("POST /duplicate runs beforeCreate and afterCreate with duplicateOf", async () => {
      const { hooks, calls } = recordingHooks();
      const { agent } = await fixtureApp({ hooks });
      await agent.post(`${P}/duplicate`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(200);
      expect(calls.map((c) => [c.name, c.duplicateOf])).toEqual([["beforeCreate", NEWEST], ["afterCreate", NEWEST]]);
      expect(calls[0]!.sessionIds[0]).not.toBe(NEWEST);
      expect(calls[1]!.labels[0]).toMatch(/^Copy of /);
    });

    it("gives each hook the caller's owner, with the owner option", async () => {
      const { hooks, calls } = recordingHooks();
      const { agent } = await fixtureApp({ hooks, owner: () => "alice" });
      await agent.post(`${P}/create`).set(HTMX).type("form").send({ label: "Mine" }).expect(200);
      const [id] = calls[0]!.sessionIds;
      await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: id, label: "Still mine" }).expect(200);
      await agent.post(`${P}/duplicate`).set(HTMX).type("form").send({ session_id: id }).expect(200);
      await agent.post(`${P}/resume`).type("form").send({ session_id: id }).expect(303);
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: id }).expect(200);
      expect(calls.map((c) => c.owner)).toEqual(Array(calls.length).fill("alice"));
      expect(calls).toHaveLength(10);
      // Another owner's session is not found, and no hook hears of it.
      await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "x" }).expect(404);
      expect(calls).toHaveLength(10);
    });
  });

  /** Each `before*` hook with a route that runs it, and a body for that route. */
  const BEFORE_HOOK_ROUTES = [
    ["beforeCreate", "create", { label: "Nope" }],
    ["beforeRename", "rename", { session_id: NEWEST, label: "Nope" }],
    ["beforeDelete", "delete", { session_id: NEWEST }],
    ["beforeResume", "resume", { session_id: NEWEST }],
    ["beforeCreate", "duplicate", { session_id: NEWEST }],
  ] as const;

  describe("a before* hook that throws RejectedError", () => {
    const veto = () => {
      throw new RejectedError("Not today.");
    };

    it.each(BEFORE_HOOK_ROUTES)("%s refuses POST /%s with 422 and its message, writing nothing", async (hook, route, body) => {
      const { agent, store } = await fixtureApp({ hooks: { [hook]: veto } });
      const before = await store.countSessions(FLOW);
      const label = await labelOf(store, NEWEST);
      const res = await agent.post(`${P}/${route}`).set(HTMX).type("form").send(body).expect(422);
      expect(decoded(res.text)).toContain("Not today.");
      expect(await store.countSessions(FLOW)).toBe(before);
      expect(await labelOf(store, NEWEST)).toBe(label);
      expect(await activeOf(agent)).toBeNull();
      const json = await agent.post(`${P}/${route}`).set("Accept", "application/json").type("form").send(body).expect(422);
      expect(json.body).toEqual({ error: { code: "rejected", message: "Not today." } });
    });

    it("answers the status the hook gave", async () => {
      const hooks: SessionHooks = {
        beforeRename() {
          throw new RejectedError("Archived sessions keep their names.", { status: 403 });
        },
      };
      const { agent } = await fixtureApp({ hooks });
      const res = await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "x" }).expect(403);
      expect(decoded(res.text)).toContain("Archived sessions keep their names.");
    });

    it("answers 500 for any other error, writing nothing and logging it", async () => {
      const { agent, store, logger } = await fixtureApp({ hooks: { beforeDelete: () => Promise.reject(new Error("disk on fire")) } });
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(500);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(true);
      expect(logger.errors).toHaveLength(1);
    });
  });

  describe("a before* hook that never settles", () => {
    const never = () => new Promise<void>(() => {});

    it.each(BEFORE_HOOK_ROUTES)("%s refuses POST /%s after hookTimeoutMs with 503 hook_timeout, writing nothing", async (hook, route, body) => {
      const { agent, store, logger } = await fixtureApp({ hookTimeoutMs: 20, hooks: { [hook]: never } });
      const before = await store.countSessions(FLOW);
      const label = await labelOf(store, NEWEST);
      const res = await agent.post(`${P}/${route}`).set(HTMX).type("form").send(body).expect(503);
      expect(decoded(res.text)).toContain(ERROR_TABLE.hook_timeout.message);
      const json = await agent.post(`${P}/${route}`).set("Accept", "application/json").type("form").send(body).expect(503);
      expect(json.body).toEqual({ error: { code: "hook_timeout", message: ERROR_TABLE.hook_timeout.message } });
      expect(await store.countSessions(FLOW)).toBe(before);
      expect(await labelOf(store, NEWEST)).toBe(label);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(true);
      expect(await activeOf(agent)).toBeNull();
      expect(logger.warnings.filter((line) => line.includes(`${hook} hook`) && line.includes("still running after 20 ms"))).toHaveLength(2);
      expect(logger.errors).toEqual([]);
    });

    it("beforeRestore refuses POST /restore with 503 hook_timeout, leaving the session in the trash", async () => {
      const { agent, store } = await fixtureApp({ hookTimeoutMs: 20, hooks: { beforeRestore: never } });
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(200);
      const res = await agent.post(`${P}/restore`).set("Accept", "application/json").type("form").send({ session_id: NEWEST }).expect(503);
      expect(res.body.error.code).toBe("hook_timeout");
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(false);
    });

    it("beforeDelete refuses a delete of several ids, moving none of them", async () => {
      const { agent, store } = await fixtureApp({ hookTimeoutMs: 20, hooks: { beforeDelete: never } });
      const ids = (await store.listSessions(FLOW, { limit: 3 })).map((s) => s.sessionId);
      await agent.post(`${P}/delete`).set("Accept", "application/json").type("form").send(`session_id=${ids.join("&session_id=")}`).expect(503);
      for (const id of ids) expect(await store.sessionExists(FLOW, id)).toBe(true);
    });

    it("a hook that answers within hookTimeoutMs is waited for as before", async () => {
      const { agent, store } = await fixtureApp({ hookTimeoutMs: 60_000, hooks: { beforeRename: () => Promise.resolve() } });
      await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "In time" }).expect(200);
      expect(await labelOf(store, NEWEST)).toBe("In time");
    });
  });

  describe("beforeCreate's seed", () => {
    it("is written with the new session: label, step and state", async () => {
      const hooks: SessionHooks = { beforeCreate: async ({ label }) => ({ label: `${label} (seeded)`, currentStep: "intake", state: { seeded: true, big: 12345678901234567890n } as never }) };
      const { agent, store } = await fixtureApp({ hooks });
      await agent.post(`${P}/create`).set(HTMX).type("form").send({ label: "Plan" }).expect(200);
      const id = (await activeOf(agent))!;
      expect(await store.getSessionSummary(FLOW, id)).toMatchObject({ label: "Plan (seeded)", currentStep: "intake" });
      expect((await store.getRawStates(FLOW, [id])).get(id)).toBe('{"seeded":true,"big":12345678901234567890}');
    });

    it("that is malformed answers 500 misconfigured and writes nothing", async () => {
      const { agent, store, logger } = await fixtureApp({ hooks: { beforeCreate: async () => ({ state: [1, 2] }) as never } });
      const before = await store.countSessions(FLOW);
      await agent.post(`${P}/create`).set(HTMX).type("form").send({}).expect(500);
      expect(await store.countSessions(FLOW)).toBe(before);
      expect(logger.errors[0]).toContain("beforeCreate must return nothing or { label?, currentStep?, state? }");
    });
  });

  describe("an after* hook", () => {
    it("that throws is logged once, and the action stays done", async () => {
      const { agent, store, logger } = await fixtureApp({
        hooks: {
          afterRename: async () => {
            throw new Error("webhook down");
          },
        },
      });
      const res = await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "Kept" }).expect(200);
      expect(res.text).toContain("Renamed to “Kept”.");
      expect(await labelOf(store, NEWEST)).toBe("Kept");
      expect(logger.errors).toHaveLength(1);
      expect(logger.errors[0]).toContain("the afterRename hook");
    });

    it("that never settles holds the answer no longer than hookTimeoutMs", async () => {
      const { agent, store, logger } = await fixtureApp({ hookTimeoutMs: 20, hooks: { afterDelete: () => new Promise<void>(() => {}) } });
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(200);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(false);
      expect(logger.warnings.some((line) => line.includes("afterDelete hook") && line.includes("still running after 20 ms"))).toBe(true);
    });

    it("can read the store: beforeDelete still finds the session, afterDelete no longer does", async () => {
      const seen: boolean[] = [];
      const holder: { store?: WorkflowStore } = {};
      const exists = async ({ sessionIds }: HookContext) => void seen.push(await holder.store!.sessionExists(FLOW, sessionIds[0]!));
      const { agent, store } = await fixtureApp({ hooks: { beforeDelete: exists, afterDelete: exists } });
      holder.store = store;
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(200);
      expect(seen).toEqual([true, false]);
    });

    it("afterRename reads the label it was told about", async () => {
      const labels: Array<string | null | undefined> = [];
      const holder: { store?: WorkflowStore } = {};
      const { agent, store } = await fixtureApp({ hooks: { afterRename: async ({ sessionIds }) => void labels.push(await labelOf(holder.store!, sessionIds[0]!)) } });
      holder.store = store;
      await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, label: "Read back" }).expect(200);
      expect(labels).toEqual(["Read back"]);
    });
  });

  describe("POST /duplicate", () => {
    it("makes a copy with the same step and state bytes, a new id and times, labelled Copy of …, owner stamped", async () => {
      const { agent, store } = await fixtureApp({ owner: () => "alice" });
      const source = await store.createSession(FLOW, { owner: "alice", label: "Draft", currentStep: "review", state: '{"n": 1e400, "x":[1,2] }' });
      const res = await agent.post(`${P}/duplicate`).set(HTMX).type("form").send({ session_id: source }).expect(200);
      expect(decoded(res.text)).toContain("Created “Copy of Draft”.");
      const listed = await store.listSessions(FLOW, { owner: "alice" });
      const copy = listed.find((s) => s.sessionId !== source)!;
      expect(copy).toMatchObject({ label: "Copy of Draft", currentStep: "review" });
      expect((await store.getRawStates(FLOW, [copy.sessionId])).get(copy.sessionId)).toBe('{"n": 1e400, "x":[1,2] }');
      // The notice offers Resume as a real form: it posts the copy's id and the token, and makes the copy active.
      const form = /<form method="post" action="\/manage\/sessions\/resume" class="inline">(.*?)<\/form>/s.exec(res.text)![1]!;
      const fields = Object.fromEntries([...form.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      expect(fields.session_id).toBe(copy.sessionId);
      await agent.post(`${P}/resume`).type("form").send(fields).expect(303).expect("Location", "/workflow");
      expect(await activeOf(agent)).toBe(copy.sessionId);
    });

    it("without JavaScript, redirects back with the notice and its Resume button on the page", async () => {
      const { agent } = await fixtureApp();
      await agent.post(`${P}/duplicate`).type("form").send({ session_id: NEWEST }).expect(303).expect("Location", P);
      const page = await agent.get(P).expect(200);
      expect(decoded(page.text)).toMatch(/Created “Copy of [^”]+”\./);
      expect(page.text).toMatch(/<button type="submit" class="btn btn-sm" data-action="notice-action">Resume<\/button>/);
    });

    it("is a row action, keyboard reachable as a real button", async () => {
      const { agent } = await fixtureApp();
      const page = await agent.get(P).expect(200);
      expect(page.text).toMatch(new RegExp(`<button type="submit" form="ews-row-form" formaction="/manage/sessions/duplicate\\?version=[A-Za-z0-9_-]+" name="session_id" value="${NEWEST}" class="btn btn-ghost btn-sm btn-square" data-action="duplicate" aria-label="Duplicate `));
    });

    it("answers 404 for another owner's session, like a missing one", async () => {
      const { agent, store } = await fixtureApp({ owner: () => "bob" });
      const before = await store.countSessions(FLOW);
      await agent.post(`${P}/duplicate`).set(HTMX).type("form").send({ session_id: NEWEST }).expect(404);
      await agent.post(`${P}/duplicate`).set(HTMX).type("form").send({ session_id: "no-such-session" }).expect(404);
      expect(await store.countSessions(FLOW)).toBe(before);
    });
  });

  describe("versions", () => {
    it("every row carries one, and it changes with the label, the step, and the state even within one second", async () => {
      const { store, agent } = await fixtureApp();
      const seen = new Set<string>();
      const page = await agent.get(P).expect(200);
      const shown = new RegExp(`data-session-id="${NEWEST}"[^>]*data-session-version="([^"]+)"`).exec(page.text)![1]!;
      expect(shown).toBe(await versionOf(store, NEWEST));
      seen.add(shown);
      await store.setSessionLabel(FLOW, NEWEST, "one");
      seen.add(await versionOf(store, NEWEST));
      await store.setCurrentStep(FLOW, NEWEST, "elsewhere");
      seen.add(await versionOf(store, NEWEST));
      await store.updateState(FLOW, NEWEST, { a: 1 });
      seen.add(await versionOf(store, NEWEST));
      await store.updateState(FLOW, NEWEST, { a: 2 });
      seen.add(await versionOf(store, NEWEST));
      expect(seen.size).toBe(5);
      // An unchanged row keeps its version, and the list item's is the record's.
      expect(await versionOf(store, NEWEST)).toBe(await versionOf(store, NEWEST));
    });

    it.each([
      ["rename", { label: "Mine" }],
      ["delete", {}],
      ["duplicate", {}],
      ["resume", {}],
    ] as const)("POST /%s with the version shown goes ahead", async (route, body) => {
      const { store, agent } = await fixtureApp();
      const version = await versionOf(store, NEWEST);
      const res = await agent.post(`${P}/${route}`).set(HTMX).type("form").send({ session_id: NEWEST, version, ...body });
      expect(res.status).toBeLessThan(300);
    });

    it.each([
      ["rename", { label: "Mine" }],
      ["delete", {}],
      ["duplicate", {}],
      ["resume", {}],
    ] as const)("POST /%s with a stale version answers 409 saying what changed, and changes nothing", async (route, body) => {
      const { store, agent } = await fixtureApp();
      const version = await versionOf(store, NEWEST);
      await store.setSessionLabel(FLOW, NEWEST, "Renamed elsewhere");
      const count = await store.countSessions(FLOW);
      const res = await agent.post(`${P}/${route}`).set(HTMX).type("form").send({ session_id: NEWEST, version, ...body }).expect(409);
      expect(decoded(res.text)).toContain("This session was renamed to “Renamed elsewhere” since the list was shown, so nothing was done. Reload the list to see it");
      expect(await labelOf(store, NEWEST)).toBe("Renamed elsewhere");
      expect(await store.countSessions(FLOW)).toBe(count);
      expect(await activeOf(agent)).toBeNull();
    });

    it("says when the session moved to another step, by the step's title", async () => {
      const { store, agent } = await fixtureApp({ stepTitle: (id) => id.toUpperCase() });
      const version = await versionOf(store, NEWEST);
      await store.setCurrentStep(FLOW, NEWEST, "review");
      const res = await agent.post(`${P}/rename`).set("Accept", "application/json").type("form").send({ session_id: NEWEST, version, label: "x" }).expect(409);
      expect(res.body.error.code).toBe("version_conflict");
      expect(res.body.error.message).toContain("moved to step “REVIEW”");
    });

    it("a version that is not one answers 409 without guessing what changed", async () => {
      const { store, agent } = await fixtureApp();
      const label = await labelOf(store, NEWEST);
      const res = await agent.post(`${P}/rename`).set("Accept", "application/json").type("form").send({ session_id: NEWEST, version: "W/\"nonsense\"", label: "x" }).expect(409);
      expect(res.body.error.message).toBe("This session was changed since the list was shown, so nothing was done. Reload the list to see it, then try again.");
      expect(await labelOf(store, NEWEST)).toBe(label);
    });

    it("says only what changed: a new state alone reads as progress saved", async () => {
      const { store, agent } = await fixtureApp();
      const version = await versionOf(store, NEWEST);
      await store.updateState(FLOW, NEWEST, { progress: 1 });
      const res = await agent.post(`${P}/delete`).set("Accept", "application/json").type("form").send({ session_id: NEWEST, version }).expect(409);
      expect(res.body.error.message).toMatch(/^This session was updated \(its progress was saved\) since/);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(true);
    });

    it("without a version, the action goes ahead as before", async () => {
      const { store, agent } = await fixtureApp();
      await store.setSessionLabel(FLOW, NEWEST, "Renamed elsewhere");
      await agent.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, version: "", label: "Mine" }).expect(200);
      expect(await labelOf(store, NEWEST)).toBe("Mine");
    });

    it("a write guarded by a snapshot finds any change made after the read, so check and write are atomic", async () => {
      const { store } = await fixtureApp();
      const record = (await store.getSessionRecord(FLOW, NEWEST))!;
      await store.updateState(FLOW, NEWEST, { between: true });
      expect(await store.setSessionLabel(FLOW, NEWEST, "lost update", {}, record.snapshot)).toBe(false);
      expect(await store.deleteSession(FLOW, NEWEST, {}, record.snapshot)).toBe(false);
      expect(await labelOf(store, NEWEST)).not.toBe("lost update");
      const fresh = (await store.getSessionRecord(FLOW, NEWEST))!;
      expect(await store.setSessionLabel(FLOW, NEWEST, "applied", {}, fresh.snapshot)).toBe(true);
    });

    it("of two renames sent with the same version, exactly one is applied", async () => {
      const { store, app } = await fixtureApp();
      const [a, b] = [await csrfAgent(app), await csrfAgent(app)];
      const version = await versionOf(store, NEWEST);
      const results = await Promise.all([
        a.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, version, label: "From A" }),
        b.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: NEWEST, version, label: "From B" }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results[0]!.status === 200 ? "From A" : "From B";
      expect(await labelOf(store, NEWEST)).toBe(winner);
    });
  });

  describe("SessionService, without HTTP", () => {
    it("hands an opaque request to the hooks and takes expectedVersion, throwing VersionConflictError with the current version", async () => {
      const store = await backend.openStore("workflow_state.db");
      const seen: unknown[] = [];
      const service = new SessionService({
        store,
        flowId: FLOW,
        columns: [],
        enrich: undefined,
        label: undefined,
        enrichCacheSize: 0,
        stepTitle: (id) => id,
        logger: recordingLogger(),
        hooks: { beforeRename: async ({ req }) => void seen.push(req) },
      });
      const request = { any: "value" };
      const { version } = await service.getItem(NEWEST);
      const renamed = await service.rename(NEWEST, "Via service", {}, { request, expectedVersion: version });
      expect(seen).toEqual([request]);
      expect(renamed.version).not.toBe(version);
      const error = await service.rename(NEWEST, "Stale", {}, { expectedVersion: version }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VersionConflictError);
      expect(error).toMatchObject({ sessionId: NEWEST, currentVersion: renamed.version, changes: ["renamed to “Via service”"] });
    });
  });

  describe("the trash's routes", () => {
    it("a delete of several ids runs beforeDelete and afterDelete once, with all their items", async () => {
      const calls: Array<[string, string[], number]> = [];
      const record = (name: string) => async ({ sessionIds, items }: HookContext) => void calls.push([name, sessionIds, items.length]);
      const { agent, store } = await fixtureApp({ hooks: { beforeDelete: record("beforeDelete"), afterDelete: record("afterDelete") } });
      const ids = (await store.listSessions(FLOW, { limit: 3 })).map((s) => s.sessionId);
      await agent.post(`${P}/delete`).set(HTMX).type("form").send(ids.map((id) => `session_id=${id}`).join("&")).expect(200);
      expect(calls).toEqual([["beforeDelete", ids, 3], ["afterDelete", ids, 3]]);
    });

    it("beforeDelete vetoes a delete of all matching, moving nothing", async () => {
      const { agent, store } = await fixtureApp({ hooks: { beforeDelete: () => Promise.reject(new RejectedError("Keep them.")) } });
      const before = await store.countSessions(FLOW);
      const res = await agent.post(`${P}/delete`).set(HTMX).type("form").send({ all_matching: "1", q: "" }).expect(422);
      expect(decoded(res.text)).toContain("Keep them.");
      expect(await store.countSessions(FLOW)).toBe(before);
    });

    it("restore runs beforeRestore (which may veto) and afterRestore with the restored items; purge runs afterPurge", async () => {
      const calls: Array<[string, string[], string[]]> = [];
      let veto = true;
      const hooks: SessionHooks = {
        beforeRestore: async ({ sessionIds }) => {
          calls.push(["beforeRestore", sessionIds, []]);
          if (veto) throw new RejectedError("Not yet.", { status: 409 });
        },
        afterRestore: async ({ sessionIds, items }) => void calls.push(["afterRestore", sessionIds, items.map((i) => i.sessionId)]),
        afterPurge: async ({ sessionIds }) => void calls.push(["afterPurge", sessionIds, []]),
      };
      const { agent, store } = await fixtureApp({ hooks });
      const [a, b] = (await store.listSessions(FLOW, { limit: 2 })).map((s) => s.sessionId);
      await agent.post(`${P}/delete`).set(HTMX).type("form").send(`session_id=${a}&session_id=${b}`).expect(200);
      await agent.post(`${P}/restore`).set(HTMX).type("form").send({ session_id: a, view: "trash" }).expect(409);
      expect(await store.sessionExists(FLOW, a!)).toBe(false);
      veto = false;
      await agent.post(`${P}/restore`).set(HTMX).type("form").send({ session_id: a, view: "trash" }).expect(200);
      expect(await store.sessionExists(FLOW, a!)).toBe(true);
      await agent.post(`${P}/purge`).set(HTMX).type("form").send({ session_id: b, view: "trash" }).expect(200);
      expect(calls).toEqual([
        ["beforeRestore", [a], []],
        ["beforeRestore", [a], []],
        ["afterRestore", [a], [a]],
        ["afterPurge", [b], []],
      ]);
    });

    it("an Undo (a restore by batch) gives afterRestore every id restored, and Empty trash gives afterPurge every id purged", async () => {
      const restored: Array<[string[], string[]]> = [];
      const purged: string[][] = [];
      const { agent, store } = await fixtureApp({
        hooks: {
          afterRestore: async ({ sessionIds, items }) => void restored.push([[...sessionIds].sort(), items.map((i) => i.sessionId).sort()]),
          afterPurge: async ({ sessionIds }) => void purged.push([...sessionIds].sort()),
        },
      });
      const ids = (await store.listSessions(FLOW, { limit: 4 })).map((s) => s.sessionId).sort();
      const deleted = await agent.post(`${P}/delete`).set("Accept", "application/json").type("form").send(ids.map((id) => `session_id=${id}`).join("&")).expect(200);
      const { batch } = deleted.body as { batch: string };
      await agent.post(`${P}/restore`).set(HTMX).type("form").send({ batch }).expect(200);
      expect(restored).toEqual([[ids, ids]]);
      await agent.post(`${P}/delete`).set(HTMX).type("form").send(ids.map((id) => `session_id=${id}`).join("&")).expect(200);
      await agent.post(`${P}/purge`).set(HTMX).type("form").send({ all: "1", view: "trash" }).expect(200);
      expect(purged).toEqual([ids]);
      for (const id of ids) expect(await store.sessionExists(FLOW, id)).toBe(false);
    });

    it("the lazy purge gives afterPurge the ids it purged, with the request of the visit that started it and no owner", async () => {
      let seen: (value: { sessionIds: string[]; owner: string | undefined; path: unknown }) => void;
      const called = new Promise<{ sessionIds: string[]; owner: string | undefined; path: unknown }>((resolve) => (seen = resolve));
      const store = await backend.openStore("workflow_state.db");
      const [old, recent] = (await store.listSessions(FLOW, { limit: 2 })).map((s) => s.sessionId);
      await store.trashSessions(FLOW, [old!], {}, { deletedAt: new Date(Date.now() - 2 * 86_400_000) });
      await store.trashSessions(FLOW, [recent!]);
      const app = buildApp({
        store,
        trash: { keepDays: 1 },
        hooks: { afterPurge: async ({ sessionIds, owner, req }) => seen({ sessionIds: [...sessionIds].sort(), owner, path: (req as { path?: unknown }).path }) },
      });
      // The first visit starts the lazy purge (it runs at most once a minute), without waiting for it.
      await visitor(app).get(P).expect(200);
      expect(await called).toEqual({ sessionIds: [old], owner: undefined, path: P });
      expect(await store.getTrashed(FLOW, recent!)).toBeDefined();
    });

    it("a delete of one id with a stale version answers 409 and moves nothing to the trash", async () => {
      const { agent, store } = await fixtureApp();
      const stale = (await store.getSessionRecord(FLOW, NEWEST))!;
      await store.updateState(FLOW, NEWEST, { elsewhere: true });
      await agent.post(`${P}/delete`).set(HTMX).type("form").send({ session_id: NEWEST, version: stale.version }).expect(409);
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(true);
      await expect(store.trashSessions(FLOW, [NEWEST], {}, { unchanged: stale.snapshot })).rejects.toThrow("No session");
      await expect(store.deleteSessions(FLOW, [NEWEST], {}, { unchanged: stale.snapshot })).rejects.toThrow("No session");
      expect(await store.sessionExists(FLOW, NEWEST)).toBe(true);
      expect(await store.trashSessions(FLOW, [NEWEST], {}, { unchanged: (await store.getSessionRecord(FLOW, NEWEST))!.snapshot })).toBe(1);
    });
  });
});
