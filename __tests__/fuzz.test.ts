import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { buildApp, copyFixture, csrfTokenIn, FLOW, recordingLogger } from "./helpers.js";

const P = "/manage/sessions";
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, chance, bytes };
}

interface Shot {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

function send(port: number, agent: http.Agent, shot: Shot): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, agent, method: shot.method, path: shot.path, headers: shot.headers }, (res) => {
      const chunks: Buffer[] = [];
      // The live updates' stream stays open: its first bytes are its answer, then the client leaves.
      if (res.statusCode === 200 && String(res.headers["content-type"]).startsWith("text/event-stream") && shot.method === "GET") {
        res.once("data", (chunk: Buffer) => {
          resolve({ status: 200, body: chunk.toString("utf8") });
          req.destroy();
        });
        return;
      }
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer within 5 s to ${shot.method} ${shot.path}`)));
    req.end(shot.body);
  });
}

describe("fuzzing every route", () => {
  it(`answers ${REQUESTS} random and malformed requests without a 5xx, and rejected ones change nothing (seed ${SEED})`, async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    const logger = recordingLogger();
    const failures: unknown[] = [];
    logger.error = (message: string, ...details: unknown[]) => void failures.push(message, ...details);
    const app = buildApp({ store, logger });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: false });
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare("SELECT * FROM workflow_state ORDER BY flow_session_key");
    const trashed = raw.prepare("SELECT * FROM workflow_state_trash ORDER BY flow_session_key");
    const pins = raw.prepare("SELECT * FROM workflow_state_pins ORDER BY flow_session_key, owner");
    const events = raw.prepare("SELECT * FROM workflow_state_events ORDER BY id");
    const tags = raw.prepare("SELECT * FROM workflow_state_tags ORDER BY flow_session_key, tag");
    const snapshot = () => createHash("sha256").update(JSON.stringify([rows.all(), trashed.all(), pins.all(), events.all(), tags.all()])).digest("hex");
    const trashedIds = () =>
      (raw.prepare("SELECT substr(flow_session_key, length(?) + 2) AS id FROM workflow_state_trash WHERE flow_session_key > ? AND flow_session_key < ?").all(FLOW, `${FLOW}:`, `${FLOW};`) as { id: string }[]).map((r) => r.id);
    const ids = () =>
      (raw.prepare("SELECT substr(flow_session_key, length(?) + 2) AS id FROM workflow_state WHERE flow_session_key > ? AND flow_session_key < ?").all(FLOW, `${FLOW}:`, `${FLOW};`) as { id: string }[]).map((r) => r.id);

    const page = await send(port, agent, { method: "GET", path: P, headers: {} });
    const first = await new Promise<string>((resolve) => {
      http.get({ host: "127.0.0.1", port, path: P }, (res) => {
        resolve(String(res.headers["set-cookie"]![0]!.split(";")[0]));
        res.resume();
      });
    });
    const cookiePage = await send(port, agent, { method: "GET", path: P, headers: { cookie: first } });
    const token = csrfTokenIn(cookiePage.body);
    expect(page.status).toBe(200);

    const r = prng(SEED);
    const ROUTES = [
      "", "/list", "/create", "/rename", "/delete", "/resume", "/assets/client.js", "/assets/nope.js", "/create/", "/%zz", "/list/extra",
      "/restore", "/purge", "/confirm", "/trash", "/trash/list", "/delete", "/restore", "/pin", "/unpin", "/activity", "/activity/", "/events", "/tags", "/tags/add", "/tags/remove",
    ];
    const METHODS = ["GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND"];
    const QUERIES = ["", "?offset=-5", "?offset=1e999&sort=constructor&dir=up", "?sort=__proto__", "?offset[]=1&offset=2", "?sort=label&dir=asc&sort=created", "?%zz=1", `?offset=${"9".repeat(400)}`, "?session_id=%3Cx%3E&cursor=2026-01-01T00:00:00_1", "?cursor=2026-13-99T99:99:99_999999999999999", "?cursor=x&cursor=y", `?session_id=${"a".repeat(300)}`];
    const TYPES = [
      "application/x-www-form-urlencoded",
      "application/x-www-form-urlencoded",
      "application/x-www-form-urlencoded; charset=utf-8",
      "application/x-www-form-urlencoded; charset=iso-8859-1",
      "application/x-www-form-urlencoded; charset=bogus",
      "application/json",
      "multipart/form-data; boundary=zz",
      "text/plain",
      "application/octet-stream",
      ";;;",
    ];
    const sessionIdValue = () =>
      r.pick([
        () => r.pick(ids().length > 0 ? ids() : ["none"]),
        () => r.pick(trashedIds().length > 0 ? trashedIds() : ["none"]),
        () => "does-not-exist",
        () => "<script>alert(1)</script>",
        () => "a".repeat(r.int(300)),
        () => "../../etc/passwd",
        () => "\u0000\u202e",
        () => r.bytes(12).toString("latin1"),
        () => "",
        () => `${FLOW}:x`,
      ])();
    const labelValue = () =>
      r.pick([
        () => "fuzzed",
        () => "x".repeat(r.int(400)),
        () => "\u0007\u0000bell\u2028",
        () => "😀".repeat(r.int(250)),
        () => r.bytes(r.int(64)).toString("latin1"),
        () => "%zz%",
      ])();
    const tokenValue = () => r.pick([token, token, `${token.slice(0, -2)}zz`, "", "forged", token.toUpperCase(), r.bytes(32).toString("base64url")]);

    function formBody(): Buffer {
      const fields: Array<[string, string]> = [];
      if (r.chance(0.7)) fields.push(["session_id", sessionIdValue()]);
      if (r.chance(0.15)) fields.push(["session_id", sessionIdValue()]);
      if (r.chance(0.6)) fields.push(["label", labelValue()]);
      for (let i = r.chance(0.2) ? r.int(25) : 0; i > 0; i--) fields.push(["tag", labelValue()]);
      if (r.chance(0.1)) fields.push(["label", labelValue()]);
      if (r.chance(0.5)) fields.push(["_csrf", tokenValue()]);
      if (r.chance(0.1)) fields.push(["_csrf", tokenValue()]);
      if (r.chance(0.3)) fields.push([r.pick(["owner", "offset", "sort", "__proto__", "constructor", "x[y]"]), labelValue()]);
      // The bulk routes' fields: all matching a query, the whole trash, the action to confirm, which list answers.
      if (r.chance(0.08)) fields.push(["all_matching", r.pick(["1", "1", "0", "true", ""])]);
      if (r.chance(0.1)) fields.push(["q", r.pick(["", "s", "<x>", "%", labelValue()])]);
      if (r.chance(0.05)) fields.push(["all", r.pick(["1", "yes"])]);
      if (r.chance(0.15)) fields.push(["intent", r.pick(["delete", "restore", "purge", "nope"])]);
      if (r.chance(0.3)) fields.push(["view", r.pick(["trash", "sessions", "<x>"])]);
      if (r.chance(0.05)) fields.push(["batch", r.pick(["00000000-0000-0000-0000-000000000000", "x", labelValue()])]);
      if (r.chance(0.05)) for (let n = r.int(40); n > 0; n--) fields.push(["session_id", sessionIdValue()]);
      const encoded = new URLSearchParams(fields).toString();
      return Buffer.from(r.chance(0.1) ? encoded.replace(/%[0-9A-F]{2}/, "%G") : encoded);
    }

    function body(): Buffer | undefined {
      return r.pick([
        () => undefined,
        formBody,
        formBody,
        formBody,
        () => Buffer.from(`session_id=${ids()[0]}&label=${"y".repeat(20_000 + r.int(50_000))}`),
        () => r.bytes(r.int(2048)),
        () => Buffer.from(JSON.stringify({ session_id: ids()[0], label: "json", _csrf: token })),
        () => Buffer.from(Array.from({ length: 80 }, (_, i) => `f${i}=${i}`).join("&")),
      ])();
    }

    const timings: Array<[number, string]> = [];
    let before = snapshot();
    try {
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const shot: Shot = { method: r.pick(METHODS), path: `${P}${r.pick(ROUTES)}${r.pick(QUERIES)}`, headers: {} };
      if (r.chance(0.9)) shot.headers.cookie = r.chance(0.95) ? first : "connect.sid=s%3Aforged.sig";
      if (r.chance(0.6)) shot.headers["x-csrf-token"] = r.chance(0.1) ? [tokenValue(), tokenValue()] : tokenValue();
      if (r.chance(0.3)) shot.headers["hx-request"] = "true";
      if (r.chance(0.3)) shot.headers.accept = r.pick(["application/json", "text/html", "*/*", "application/json;q=0"]);
      if (r.chance(0.15)) shot.headers.origin = r.pick([`http://127.0.0.1:${port}`, "https://evil.example", "null", "not a url"]);
      if (r.chance(0.15)) shot.headers["sec-fetch-site"] = r.pick(["same-origin", "cross-site", "same-site", "none", "garbage"]);
      if (shot.method !== "GET" && shot.method !== "HEAD") {
        shot.body = body();
        if (shot.body !== undefined && r.chance(0.9)) shot.headers["content-type"] = r.pick(TYPES);
        if (shot.body !== undefined && r.chance(0.05)) shot.headers["content-encoding"] = r.pick(["gzip", "deflate", "br", "compress", "identity"]);
      }
      const t0 = Date.now();
      const res = await send(port, agent, shot).catch((error: Error) => {
        throw new Error(`request #${i} (FUZZ_SEED=${SEED}) ${shot.method} ${shot.path} ${JSON.stringify(shot.headers)} body ${shot.body?.length}: ${error.message}`);
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (process.env.FUZZ_TRACE) timings.push([Date.now() - t0, `${shot.method} ${shot.path} ${res.status} ${shot.body?.length}`]);
      const replay = `request #${i} (FUZZ_SEED=${SEED}): ${shot.method} ${shot.path} → ${res.status} ${res.body.slice(0, 200)}`;
      if (res.status >= 500) throw new Error(`5xx for ${replay}\n${failures.map(String).join("\n")}\nbody: ${shot.body?.toString("latin1").slice(0, 300)} ${JSON.stringify(shot.headers)}`);
      const after = snapshot();
      if (res.status >= 400 && after !== before) throw new Error(`the database changed after a rejected ${replay}`);
      before = after;
    }

    if (process.env.FUZZ_TRACE) console.log(timings.sort((a, b) => b[0] - a[0]).slice(0, 15));
    expect((await send(port, agent, { method: "GET", path: P, headers: {} })).status).toBe(200);
    expect(failures).toEqual([]);
    // The run exercised both sides: accepted writes and each kind of rejection.
    for (const status of [200, 303, 400, 403, 404, 405, 413, 415]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
    } finally {
      agent.destroy();
      raw.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    }
  }, 300_000); // 2,400 requests: about 7 s on a quiet machine, over 30 s at a load average of 17
});
