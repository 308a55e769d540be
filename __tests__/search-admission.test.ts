import express, { type NextFunction, type Request, type Response } from "express";
import http from "node:http";
import type { AddressInfo } from "node:net";
import session from "express-session";
import { ConcurrencyLimit } from "../lib/service/concurrency-limit.js";
import { CONCURRENT_SEARCH_REQUESTS, searchAdmission } from "../lib/http/search-admission.js";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { FLOW, openStore, recordingLogger } from "./helpers.js";

/** Waits, a turn of the event loop at a time, until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** A server on a free port of loopback, closed by the returned function. */
async function listen(app: express.Express): Promise<{ port: number; close: () => Promise<void>; closedSockets: () => number }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  let closed = 0;
  server.on("connection", (socket) => socket.once("close", () => closed++));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
    closedSockets: () => closed,
  };
}

/** A GET on its own connection: its answer, and a way to hang up before it comes. */
function get(port: number, path: string) {
  const agent = new http.Agent({ keepAlive: false });
  let hangUp = () => {};
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    hangUp = () => req.destroy();
  });
  return { answer, hangUp: () => hangUp() };
}

describe("ConcurrencyLimit", () => {
  it("lets at most `max` holders in, gives turns first come first served, and counts a turn given back twice once", async () => {
    const limit = new ConcurrencyLimit(2);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    for (const name of ["a", "b", "c", "d"]) {
      void limit.acquire().then((release) => {
        order.push(name);
        releases.set(name, release);
      });
    }
    await until(() => order.length === 2);
    expect(order).toEqual(["a", "b"]);
    expect(limit.load).toEqual({ running: 2, waiting: 2 });
    releases.get("b")!();
    releases.get("b")!();
    await until(() => order.length === 3);
    expect(order).toEqual(["a", "b", "c"]);
    expect(limit.load).toEqual({ running: 2, waiting: 1 });
    releases.get("a")!();
    await until(() => order.length === 4);
    releases.get("c")!();
    releases.get("d")!();
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
  });

  it("starts the next holder on a later turn of the event loop, never in the microtasks of the one that gave its turn back", async () => {
    const limit = new ConcurrencyLimit(1);
    const release = await limit.acquire();
    let started = false;
    void limit.acquire().then(() => (started = true));
    release();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(started).toBe(false);
    await until(() => started);
  });

  it("gives the turn back when a task run through it rejects", async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(async () => Promise.reject(new Error("failed")))).rejects.toThrow("failed");
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
    await expect(limit.run(async () => "next")).resolves.toBe("next");
  });

  it("refuses a limit that is not a whole number of at least 1", () => {
    for (const max of [0, -1, 1.5, Number.NaN]) expect(() => new ConcurrencyLimit(max)).toThrow(RangeError);
  });
});

describe("searchAdmission()", () => {
  // A route whose searches each wait until the test opens their gate by name; `fail…` searches then fail.
  let limit: ConcurrencyLimit;
  let served: string[];
  let gates: Map<string, () => void>;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeEach(async () => {
    limit = new ConcurrencyLimit(1);
    served = [];
    gates = new Map();
    const app = express();
    const isSearch = (req: Request) => typeof req.query.q === "string" && req.query.q !== "";
    app.get("/list", searchAdmission(isSearch, limit), async (req: Request, res: Response, next: NextFunction) => {
      const q = req.query.q as string | undefined;
      if (!q) return void res.send("list");
      served.push(q);
      await new Promise<void>((resolve) => gates.set(q, resolve));
      if (q.startsWith("fail")) return next(new Error(q));
      res.send(q);
    });
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => void res.status(400).send(`refused ${error.message}`));
    server = await listen(app);
  });
  afterEach(() => server.close());

  const open = (q: string) => gates.get(q)!();

  it(`admits ${CONCURRENT_SEARCH_REQUESTS} search at a time by default, in the order they arrived, and answers every one`, async () => {
    const a = get(server.port, "/list?q=a");
    await until(() => served.length === 1);
    const b = get(server.port, "/list?q=b");
    await until(() => limit.load.waiting === 1);
    const c = get(server.port, "/list?q=c");
    await until(() => limit.load.waiting === 2);
    open("a");
    await until(() => served.length === 2);
    // A search that arrives after others waits behind them: none is overtaken, so none waits forever.
    const d = get(server.port, "/list?q=d");
    await until(() => limit.load.waiting === 2);
    for (const q of ["b", "c", "d"]) {
      open(q);
      await until(() => served.length === Math.min(4, served.indexOf(q) + 2));
    }
    expect(served).toEqual(["a", "b", "c", "d"]);
    expect(await Promise.all([a, b, c, d].map((r) => r.answer))).toEqual(["a", "b", "c", "d"].map((body) => ({ status: 200, body })));
    await until(() => limit.load.running === 0);
  });

  it("never makes a request that is not a search wait behind searches", async () => {
    const a = get(server.port, "/list?q=a");
    await until(() => served.length === 1);
    const b = get(server.port, "/list?q=b");
    await until(() => limit.load.waiting === 1);
    for (const path of ["/list", "/list?q=", "/list?sort=label"]) {
      expect(await get(server.port, path).answer).toEqual({ status: 200, body: "list" });
    }
    expect(limit.load).toEqual({ running: 1, waiting: 1 });
    open("a");
    await until(() => served.length === 2);
    open("b");
    expect((await b.answer).body).toBe("b");
    expect((await a.answer).body).toBe("a");
  });

  it("gives the turn back when a search answers with an error", async () => {
    const failing = get(server.port, "/list?q=fail-1");
    await until(() => served.length === 1);
    const next = get(server.port, "/list?q=b");
    await until(() => limit.load.waiting === 1);
    open("fail-1");
    expect(await failing.answer).toEqual({ status: 400, body: "refused fail-1" });
    await until(() => served.length === 2);
    open("b");
    expect(await next.answer).toEqual({ status: 200, body: "b" });
    await until(() => limit.load.running === 0);
  });

  it("gives the turn back when the client hangs up during its search", async () => {
    const leaving = get(server.port, "/list?q=a");
    leaving.answer.catch(() => {});
    await until(() => served.length === 1);
    const next = get(server.port, "/list?q=b");
    await until(() => limit.load.waiting === 1);
    leaving.hangUp();
    await until(() => served.length === 2);
    open("b");
    expect(await next.answer).toEqual({ status: 200, body: "b" });
    open("a"); // its answer goes nowhere
    await until(() => limit.load.running === 0);
  });

  it("skips, unserved, a search whose client hung up while it waited", async () => {
    const a = get(server.port, "/list?q=a");
    await until(() => served.length === 1);
    const leaving = get(server.port, "/list?q=gone");
    leaving.answer.catch(() => {});
    await until(() => limit.load.waiting === 1);
    const closedBefore = server.closedSockets();
    leaving.hangUp();
    await until(() => server.closedSockets() === closedBefore + 1);
    const c = get(server.port, "/list?q=c");
    await until(() => limit.load.waiting === 2);
    open("a");
    await until(() => served.length === 2);
    expect(served).toEqual(["a", "c"]);
    open("c");
    expect((await c.answer).body).toBe("c");
    expect((await a.answer).body).toBe("a");
    await until(() => limit.load.running === 0);
  });
});

describe("the manager's routes", () => {
  let store: WorkflowStore;
  beforeAll(async () => {
    store = await openStore("workflow_state.db");
  });
  afterAll(() => store.close());

  it("read one search's window at a time, page and list alike, while a list without a search goes ahead", async () => {
    const listWindow = store.listWindow.bind(store);
    const held: Array<() => void> = [];
    let reading = 0;
    let most = 0;
    store.listWindow = async (flowId, options) => {
      if (!options.search) return listWindow(flowId, options);
      reading++;
      most = Math.max(most, reading);
      try {
        await new Promise<void>((resolve) => held.push(resolve));
        return await listWindow(flowId, options);
      } finally {
        reading--;
      }
    };
    let arrived = 0;
    const app = express();
    app.use((_req, _res, next) => {
      arrived++;
      next();
    });
    app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
    app.use(createSessionManager({ store, flowId: FLOW, workflowUrl: "/workflow", logger: recordingLogger() }));
    const server = await listen(app);
    try {
      const searches = ["/manage/sessions/list?q=a", "/manage/sessions?q=e", "/manage/sessions/list?q=s&offset=10", "/manage/sessions/list?q=zzz"].map((path) => get(server.port, path));
      await until(() => arrived === searches.length && held.length === 1);
      const plain = await get(server.port, "/manage/sessions/list").answer;
      expect(plain.status).toBe(200);
      let answered = 0;
      for (const search of searches) void search.answer.then(() => answered++);
      while (answered < searches.length) {
        held.shift()?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const search of searches) expect((await search.answer).status).toBe(200);
      expect(most).toBe(1);
    } finally {
      store.listWindow = listWindow;
      await server.close();
    }
  });
});
