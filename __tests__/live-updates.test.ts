import { execFileSync } from "node:child_process";
import { get, type IncomingMessage } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import type express from "express";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { ERROR_TABLE } from "../lib/errors.js";
import { changeFeedOf } from "../lib/service/change-feed.js";
import { adminQuery, backends, buildApp, csrfAgent, FLOW, sqlite } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };

/** One server-sent event as a browser's EventSource would hand it over. */
interface StreamEvent {
  event: string;
  data: string;
}

/**
 * A stream opened the way a browser's EventSource opens it, collecting its events. `opened` resolves with the
 * response once the stream's first bytes (`retry:`) have arrived: from then on, no change is missed.
 */
class EventStream {
  readonly events: StreamEvent[] = [];
  private buffer = "";
  private waiters: Array<() => void> = [];
  response!: IncomingMessage;
  body = "";

  private constructor(private readonly closeRequest: () => void) {}

  static open(origin: string, headers: Record<string, string> = {}): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      let stream: EventStream;
      const req = get(`${origin}${P}/events`, { headers: { Accept: "text/event-stream", ...headers } }, (res) => {
        stream.response = res;
        res.setEncoding("utf8");
        if (res.statusCode !== 200) {
          res.on("data", (chunk: string) => (stream.body += chunk));
          res.on("end", () => resolve(stream));
          return;
        }
        res.on("data", (chunk: string) => {
          const first = stream.body === "";
          stream.body += chunk;
          stream.take(chunk);
          if (first) resolve(stream);
        });
      });
      stream = new EventStream(() => req.destroy());
      req.on("error", reject);
    });
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7);
      const data = lines.filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
      if (event) this.events.push({ event, data });
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The first event (after `from`) that `matches`, once it has arrived. */
  async next(matches: (data: { action: string; sessionIds: string[] }) => boolean, from = 0): Promise<{ action: string; sessionIds: string[]; index: number }> {
    for (;;) {
      const index = this.events.findIndex((event, i) => i >= from && matches(JSON.parse(event.data)));
      if (index >= 0) return { ...JSON.parse(this.events[index]!.data), index };
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.closeRequest();
  }
}

async function listen(app: express.Express): Promise<{ server: Server; origin: string }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const servers: Server[] = [];
const streams: EventStream[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  // server.close() completes once the streams' connections have ended: it is what proves they clean up.
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A manager over `store` with the owner taken from an `X-User` header, served on a free loopback port. */
async function serve(store: WorkflowStore, options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}) {
  const app = buildApp({ store, owner: (req) => req.get("X-User"), ...options });
  const { server, origin } = await listen(app);
  servers.push(server);
  const open = async (user?: string) => {
    const stream = await EventStream.open(origin, user ? { "X-User": user } : {});
    streams.push(stream);
    return stream;
  };
  return { app, origin, open };
}

describe.each(backends)("GET /events on $name", (backend) => {
  it("is a server-sent-events stream: text/event-stream, no-cache, a reconnect delay, the security headers", async () => {
    const { open } = await serve(await backend.openStore());
    const stream = await open("alice");
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(stream.response.headers["cache-control"]).toBe("no-cache");
    expect(stream.response.headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(stream.body).toMatch(/^retry: \d+\n/);
  });

  it("sends the visitor's own change from another tab: a rename names its session", async () => {
    const store = await backend.openStore();
    const { app, open } = await serve(store);
    const id = await store.createSession(FLOW, { label: "Before", owner: "alice" });
    const stream = await open("alice");
    const tab = await csrfAgent(app, { headers: { "X-User": "alice" } });
    await tab.post(`${P}/rename`).set(HTMX).type("form").send({ session_id: id, label: "After" }).expect(200);
    expect(await stream.next((change) => change.action === "rename")).toMatchObject({ action: "rename", sessionIds: [id] });
  });

  it("sends a change of tags, of one session or of many", async () => {
    const store = await backend.openStore();
    const { app, open } = await serve(store);
    const [a, b] = [await store.createSession(FLOW, { owner: "alice" }), await store.createSession(FLOW, { owner: "alice" })];
    const stream = await open("alice");
    const tab = await csrfAgent(app, { headers: { "X-User": "alice" } });
    await tab.post(`${P}/tags`).set(HTMX).type("form").send({ session_id: a, tag: "x" }).expect(200);
    expect(await stream.next((change) => change.action === "tag")).toMatchObject({ action: "tag", sessionIds: [a] });
    await tab.post(`${P}/tags/add`).set(HTMX).type("form").send(`session_id=${a}&session_id=${b}&name=y`).expect(200);
    expect(await stream.next((change) => change.action === "tag" && change.sessionIds.length === 2)).toMatchObject({ sessionIds: [a, b] });
  });

  it("sends the host's own writes of a session's state or step through the store (its workflow routes): scoped, to that owner only", async () => {
    const store = await backend.openStore();
    const { open } = await serve(store);
    const id = await store.createSession(FLOW, { owner: "alice" });
    const alice = await open("alice");
    const bob = await open("bob");
    await store.setCurrentStep(FLOW, id, "review", { owner: "alice" });
    const first = await alice.next((change) => change.action === "external");
    expect(first).toMatchObject({ action: "external", sessionIds: [] });
    await store.updateState(FLOW, id, { done: true }, { owner: "alice" });
    await alice.next((change) => change.action === "external", first.index + 1);
    // Without a scope the write names no owner: every stream hears "something changed", with no id.
    await store.updateStepState(FLOW, id, "review", { x: 1 });
    expect(await bob.next((change) => change.action === "external")).toMatchObject({ action: "external", sessionIds: [], index: 0 });
  });

  it("never sends another owner's change", async () => {
    const store = await backend.openStore();
    const { app, open } = await serve(store);
    const alices = await open("alice");
    const bob = await csrfAgent(app, { headers: { "X-User": "bob" } });
    const alice = await csrfAgent(app, { headers: { "X-User": "alice" } });
    await bob.post(`${P}/create`).set(HTMX).type("form").send({ label: "Bob's" }).expect(200);
    await alice.post(`${P}/create`).set(HTMX).type("form").send({ label: "Alice's" }).expect(200);
    // Alice's create comes after Bob's; by the time it is on her stream, Bob's would have been too.
    const created = await alices.next((change) => change.action === "create");
    const [mine] = await store.listSessions(FLOW, { owner: "alice" });
    expect(created.sessionIds).toEqual([mine!.sessionId]);
    const [bobs] = await store.listSessions(FLOW, { owner: "bob" });
    expect(alices.body).not.toContain(bobs!.sessionId);
    expect(alices.events.slice(0, created.index + 1).every((event) => !JSON.parse(event.data).sessionIds.includes(bobs!.sessionId))).toBe(true);
  });

  it("refuses a stream over events.maxConnections with 503 and Retry-After, and takes one again once a stream closed", async () => {
    const { origin, open } = await serve(await backend.openStore(), { events: { maxConnections: 1 } });
    const first = await open("alice");
    const refused = await open("bob");
    expect(refused.response.statusCode).toBe(503);
    expect(refused.response.headers["retry-after"]).toMatch(/^\d+$/);
    expect(refused.body).toContain(ERROR_TABLE.too_many_streams.message);
    first.close();
    // The server notices the close on its own time: try until it has.
    for (;;) {
      const again = await EventStream.open(origin, { "X-User": "bob" });
      streams.push(again);
      if (again.response.statusCode === 200) break;
      expect(again.response.statusCode).toBe(503);
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  it("is not there with events: false (404), and answers 401 to a signed-out visitor", async () => {
    const store = await backend.openStore();
    await request(buildApp({ store, events: false })).get(`${P}/events`).expect(404);
    const { open } = await serve(store);
    const signedOut = await open();
    expect(signedOut.response.statusCode).toBe(401);
  });

  it("watches the database only while a stream is open: the last one closing stops the poll or the LISTEN connection", async () => {
    const database = await backend.database();
    const store = await database.open();
    const { open } = await serve(store);
    const watch = (store as unknown as { changes: { listeners: Set<unknown>; timer?: NodeJS.Timeout; connection?: unknown } }).changes;
    const listening = async () => {
      if (backend.name !== "postgres") return 0;
      const schema = new URL(database.location).searchParams.get("application_name");
      const { rows } = await adminQuery<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", [schema]);
      return Number(rows[0]!.n);
    };
    expect(watch.listeners.size).toBe(0);
    expect(await listening()).toBe(0);
    const [first, second] = [await open("alice"), await open("bob")];
    expect(watch.listeners.size).toBe(1);
    expect(watch.timer !== undefined || watch.connection !== undefined).toBe(true);
    if (backend.name === "postgres") expect(await listening()).toBe(1);
    first.close();
    second.close();
    while (changeFeedOf(store).size > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(watch.listeners.size).toBe(0);
    expect(watch.timer).toBeUndefined();
    expect(watch.connection).toBeUndefined();
    while ((await listening()) > 0) await new Promise((resolve) => setImmediate(resolve));
  });

  it("rejects a bad events option at setup", async () => {
    const store = await backend.openStore();
    expect(() => buildApp({ store, events: { maxConnections: 0 } })).toThrow(/events\.maxConnections/);
    expect(() => buildApp({ store, events: "on" as never })).toThrow(/`events` option/);
  });
});

describe("GET /events on sqlite, with another process writing", () => {
  it("sends a change when python3 writes the file (PRAGMA data_version)", async () => {
    const database = await sqlite.database("workflow_state.db");
    const store = await database.open();
    const { open } = await serve(store, { owner: undefined });
    const stream = await open();
    const [first] = await store.listSessions(FLOW, { limit: 1 });
    const rename = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('UPDATE workflow_state SET label = ? WHERE flow_session_key = ?', ('From Python', sys.argv[2]))\nc.commit()";
    execFileSync("python3", ["-c", rename, database.location, `${FLOW}:${first!.sessionId}`]);
    expect(await stream.next((change) => change.action === "external")).toMatchObject({ action: "external", sessionIds: [] });
  });
});

describe("GET /events on postgres, with two instances", () => {
  it("sends instance A's write to a stream on instance B (LISTEN/NOTIFY), for its owner only", async () => {
    const database = await backends[1]!.database();
    const a = await database.open();
    const b = await createWorkflowStore({ connectionString: database.location });
    try {
      const { open } = await serve(b);
      const alices = await open("alice");
      await a.createSession(FLOW, { label: "Bob's, on A", owner: "bob" });
      await a.createSession(FLOW, { label: "Alice's, on A", owner: "alice" });
      expect(await alices.next((change) => change.action === "external")).toMatchObject({ action: "external", sessionIds: [] });
      expect(alices.events).toHaveLength(1);
    } finally {
      for (const stream of streams.splice(0)) stream.close();
      await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
      await b.close();
    }
  });

  it("creates its notify triggers idempotently: a second migration leaves one set", async () => {
    const database = await backends[1]!.database();
    await (await database.open()).close();
    await (await database.open()).close();
    const { rows } = await adminQuery<{ n: string }>(
      "SELECT count(*) AS n FROM pg_trigger WHERE tgname LIKE 'workflow_state_notify_%' AND tgrelid = to_regclass($1)",
      [`${new URL(database.location).searchParams.get("options")?.match(/search_path=(\S+)/)?.[1] ?? "public"}.workflow_state`],
    );
    expect(Number(rows[0]!.n)).toBe(3);
  });
});
