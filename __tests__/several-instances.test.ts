import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./postgres-cluster.js";
import { createPostgresSchema, ROOT, rowIds, tempDir } from "./helpers.js";

const P = "/manage/sessions";
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";

/** One demo-app process, as `DATABASE_URL=… npm start` runs it, listening on its own port. */
interface Instance {
  url: string;
  process: ChildProcess;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "demo-app", "server.js")], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The instance on port ${port} did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`:${port}${P}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The instance on port ${port} exited with ${code}:\n${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, process: child };
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.process.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.process.once("exit", resolve));
  instance.process.kill("SIGTERM");
  await exited;
}

/** A browser: one cookie, sent to whichever instance the load balancer picks. */
/** A cookie jar and CSRF token, like one browser that can talk to either instance. */
function browser() {
  let cookie = "";
  let token: Promise<string> | undefined;
  async function send(url: string, init: RequestInit = {}) {
    const res = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) } });
    const set = res.headers.getSetCookie().find((line) => line.startsWith("connect.sid="));
    if (set) cookie = set.split(";")[0]!;
    return res;
  }
  function csrfToken(url: string): Promise<string> {
    token ??= send(`${new URL(url).origin}${P}`)
      .then((res) => res.text())
      .then((page) => /<meta name="csrf-token" content="([^"]+)"/.exec(page)![1]!);
    return token;
  }
  return {
    get: (url: string) => send(url),
    post: async (url: string, form: Record<string, string>) =>
      send(url, {
        method: "POST",
        body: new URLSearchParams({ ...form, _csrf: await csrfToken(url) }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
  };
}

describe("several app instances on one PostgreSQL database", () => {
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    // Nothing is shared but the database and the secret: each instance has its own data folder, as on its own machine.
    const env = { DATABASE_URL: await createPostgresSchema(), SESSION_SECRET: "shared by every instance" };
    a = await startInstance({ ...env, DATA_DIR: tempDir() });
    b = await startInstance({ ...env, DATA_DIR: tempDir() });
  });

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map(stopInstance));
  });

  it("lists on B a session created through A", async () => {
    const visitor = browser();
    expect((await visitor.post(`${a.url}${P}/create`, { label: "Created on A" })).status).toBe(303);
    const page = await (await visitor.get(`${b.url}${P}`)).text();
    expect(page).toContain("Created on A");
    expect(page).toContain("25 sessions");
  });

  it("shows on B the active session chosen on A, for the same cookie", async () => {
    const visitor = browser();
    const resumed = await visitor.post(`${a.url}${P}/resume`, { session_id: NEWEST });
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toBe("/workflow");
    expect(await (await visitor.get(`${b.url}/workflow`)).text()).toContain('data-testid="active-label">Lecture batch 0<');
    const page = await (await visitor.get(`${b.url}${P}`)).text();
    const badge = page.lastIndexOf("<tr", page.indexOf(">Active</span>"));
    expect(page.slice(badge)).toMatch(new RegExp(`^<tr[^>]*data-session-id="${NEWEST}"`));
    expect(await (await browser().get(`${b.url}/workflow`)).text()).toContain("No session is active.");
  });

  it("lands every one of many concurrent renames sent through A and B", async () => {
    const visitor = browser();
    const ids = rowIds(await (await visitor.get(`${a.url}${P}`)).text()).slice(0, 20);
    expect(ids).toHaveLength(20);
    const statuses = await Promise.all(
      ids.map(async (id, i) => (await visitor.post(`${(i % 2 ? a : b).url}${P}/rename`, { session_id: id, label: `Renamed ${i}` })).status),
    );
    expect(statuses).toEqual(ids.map(() => 303));
    const pageOnA = await (await visitor.get(`${a.url}${P}`)).text();
    const pageOnB = await (await visitor.get(`${b.url}${P}`)).text();
    for (const [i] of ids.entries()) {
      expect(pageOnA).toContain(`>Renamed ${i}<`);
      expect(pageOnB).toContain(`>Renamed ${i}<`);
    }
  });

  it("merges concurrent renames of one session from both instances into one final label, without errors", async () => {
    const visitor = browser();
    const labels = Array.from({ length: 10 }, (_, i) => `Contended ${i}`);
    const statuses = await Promise.all(
      labels.map(async (label, i) => (await visitor.post(`${(i % 2 ? a : b).url}${P}/rename`, { session_id: NEWEST, label })).status),
    );
    expect(statuses).toEqual(labels.map(() => 303));
    const onA = await (await visitor.get(`${a.url}${P}`)).text();
    const onB = await (await visitor.get(`${b.url}${P}`)).text();
    const final = labels.filter((label) => onA.includes(`>${label}<`));
    expect(final).toHaveLength(1);
    expect(onB).toContain(`>${final[0]}<`);
  });
});
