import { existsSync } from "node:fs";
import { join } from "node:path";
import request from "supertest";
import { createDemoApp, demoOrigins } from "../demo-app/app.js";
import { createPostgresSchema, csrfAgent, recordingLogger, rowIds, tempDir } from "./helpers.js";

const P = "/manage/sessions";
/** The demo's public origin in these tests: every request names its host, as a browser at that address would. */
const ORIGIN = "http://demo.test";
const HOST = { Host: "demo.test" };

/** Every `href` and `src` of a page, in order. */
function linksIn(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)="([^"]+)"/g)].map((match) => match[1]!.replace(/&amp;/g, "&"));
}

function demoApp(options: Parameters<typeof createDemoApp>[0] = {}) {
  return createDemoApp({ dataDir: tempDir(), origins: [ORIGIN], logger: recordingLogger(), ...options });
}

/** A browser at the demo's public origin. */
function browserAt(app: Parameters<typeof request.agent>[0]) {
  return request.agent(app).set(HOST);
}

/** A browser at the demo's public origin that has loaded the manager page, and sends its CSRF token. */
function signedAgent(app: Parameters<typeof csrfAgent>[0]) {
  return csrfAgent(app, { headers: HOST });
}

describe("demo-app", () => {
  it("redirects / to the manager, which lists the fixture's 24 sessions with the demo's columns and labels", async () => {
    const { app, close } = await demoApp();
    const agent = browserAt(app);
    await agent.get("/").expect(302).expect("Location", P);
    const res = await agent.get(P).expect(200);
    expect(rowIds(res.text)).toHaveLength(24);
    expect(res.text).toContain(">Sources</th>");
    expect(res.text).toContain(">Segments</th>");
    expect(res.text).toContain(">Segment &amp; Align<");
    // An unlabeled fixture row whose first source is /data/audio/lecture_01.mp3 shows "lecture_01".
    expect(res.text).toContain(">lecture_01</span>");
    await close();
  });

  it("resumes a session onto /workflow, which shows its label and advances its step through the store", async () => {
    const { app, store, close } = await demoApp();
    const agent = await signedAgent(app);
    const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
    await agent.post(`${P}/resume`).type("form").send({ session_id: id }).expect(303).expect("Location", "/workflow");
    const page = await agent.get("/workflow").expect(200);
    expect(page.text).toContain('data-testid="active-label">Lecture batch 0<');
    expect(page.text).toContain('data-testid="active-step">Selection<');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    // The form's own field, as a browser without JavaScript sends it (not the agent's header).
    await agent.post("/workflow/advance").set("X-CSRF-Token", "").type("form").send({ _csrf: token }).expect(303);
    expect(await store.getCurrentStep("structure_decomposition", id)).toBe("segmentation");
    await close();
  });

  it("refuses a workflow POST without the visitor's CSRF token, and changes nothing", async () => {
    const { app, store, close } = await demoApp();
    const agent = await signedAgent(app);
    const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
    await agent.post(`${P}/resume`).type("form").send({ session_id: id }).expect(303);
    const res = await agent.post("/workflow/advance").set("X-CSRF-Token", "").type("form").send({ _csrf: "forged" }).expect(403);
    expect(res.text).toContain("could not be verified");
    expect(await store.getCurrentStep("structure_decomposition", id)).toBe("selection");
    await close();
  });

  it("keeps visitors' sessions in a persistent store across app restarts", async () => {
    const dataDir = tempDir();
    const first = await demoApp({ dataDir });
    const agent = await signedAgent(first.app);
    await agent.post(`${P}/create`).type("form").send({ label: "survives" }).expect(303);
    await first.close();
    const second = await demoApp({ dataDir });
    const again = browserAt(second.app);
    // Reuse the first agent's cookie jar against the second app.
    (again as unknown as { jar: unknown }).jar = (agent as unknown as { jar: unknown }).jar;
    const page = await again.get("/workflow").expect(200);
    expect(page.text).toContain('data-testid="active-label">survives<');
    await second.close();
  });

  describe("public origins", () => {
    it.each(["/", P, `${P}/list`, `${P}/assets/app.css`, "/workflow", "/nowhere"])("refuses GET %s with a foreign Host header (421)", async (path) => {
      const { app, close } = await demoApp();
      const res = await request(app).get(path).set("Host", "rebound.example").expect(421);
      expect(res.headers["set-cookie"]).toBeUndefined();
      await close();
    });

    it("refuses a DNS-rebinding page, whose Host and Origin both name its own host, and changes nothing", async () => {
      const { app, store, close } = await demoApp();
      const agent = await signedAgent(app);
      const before = await store.listSessions("structure_decomposition", {});
      const foreign = { Host: "rebound.example:3000", Origin: "http://rebound.example:3000" };
      await agent.get(P).set(foreign).expect(421);
      await agent.post(`${P}/delete`).set(foreign).type("form").send({ session_id: "9094a0bf-9157-456c-aabd-e5c7cc690a73" }).expect(421);
      expect(await store.listSessions("structure_decomposition", {})).toEqual(before);
      await close();
    });

    it("defaults to the loopback addresses on PORT, or takes PUBLIC_ORIGIN", () => {
      expect(demoOrigins({ PORT: "4100" })).toEqual(["http://127.0.0.1:4100", "http://localhost:4100"]);
      expect(demoOrigins({})).toEqual(["http://127.0.0.1:3000", "http://localhost:3000"]);
      expect(demoOrigins({ PUBLIC_ORIGIN: "https://app.example.com, https://www.app.example.com" })).toEqual(["https://app.example.com", "https://www.app.example.com"]);
    });
  });

  describe("errors on the demo's own routes", () => {
    it("answers a 3 KB POST to /workflow/advance with a plain 413: no stack trace, no server path", async () => {
      const { app, store, close } = await demoApp();
      const agent = await signedAgent(app);
      const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
      await agent.post(`${P}/resume`).type("form").send({ session_id: id }).expect(303);
      const res = await agent.post("/workflow/advance").type("form").send({ _csrf: "x", filler: "a".repeat(3000) }).expect(413);
      expect(res.text).toBe("The request was too large.");
      expect(await store.getCurrentStep("structure_decomposition", id)).toBe("selection");
      await close();
    });

    it("answers an unexpected failure with a plain 500 and logs the detail", async () => {
      const logger = recordingLogger();
      const { app, store, close } = await demoApp({ logger });
      const agent = await signedAgent(app);
      await agent.post(`${P}/resume`).type("form").send({ session_id: "9094a0bf-9157-456c-aabd-e5c7cc690a73" }).expect(303);
      await store.close(); // every later query of the workflow store fails
      const res = await agent.get("/workflow").expect(500);
      expect(res.text).toBe("Something went wrong on the server.");
      expect(logger.errors).toEqual(["demo: GET /workflow failed"]);
      await close().catch(() => undefined);
    });

    it.each([
      ["an unknown address", "/nowhere"],
      ["a malformed escape", "/workflow/%"],
    ])("answers %s with a plain 404", async (_name, path) => {
      const { app, close } = await demoApp();
      const res = await browserAt(app).get(path).expect(404);
      expect(res.text).toBe("There is nothing at this address.");
      await close();
    });

    it.each([
      ["403", (agent: request.Agent) => agent.post(`${P}/create`).set("X-CSRF-Token", "forged").type("form").send({}).expect(403)],
      ["404", (agent: request.Agent) => agent.post(`${P}/resume`).type("form").send({ session_id: "no-such-session" }).expect(404)],
    ])("renders the manager's %s page with links and assets that all resolve", async (_status, send) => {
      const { app, close } = await demoApp();
      const agent = await signedAgent(app);
      const res = await send(agent);
      const links = linksIn(res.text);
      expect(links).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${P}/assets/app\\.[0-9a-f]{10}\\.css$`)), P]));
      for (const link of links) await agent.get(link).expect(200);
      await close();
    });
  });

  it("shows no active session on /workflow once the active one is deleted by another tab", async () => {
    const { app, store, close } = await demoApp();
    const agent = await signedAgent(app);
    const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
    await agent.post(`${P}/resume`).type("form").send({ session_id: id }).expect(303);
    await store.deleteSession("structure_decomposition", id);
    expect((await agent.get("/workflow").expect(200)).text).toContain("No session is active.");
    await close();
  });

  describe("with DATABASE_URL", () => {
    it("copies the fixture's rows into an empty PostgreSQL table once, and keeps visitors' sessions there too", async () => {
      const databaseUrl = await createPostgresSchema();
      const dataDir = tempDir();
      const first = await demoApp({ dataDir, databaseUrl });
      const agent = await signedAgent(first.app);
      expect(rowIds((await agent.get(P).expect(200)).text)).toHaveLength(24);
      await agent.post(`${P}/create`).type("form").send({ label: "in postgres" }).expect(303);
      await first.close();
      expect(existsSync(join(dataDir, "workflow_state.db"))).toBe(false);
      expect(existsSync(join(dataDir, "sessions.db"))).toBe(false);

      const second = await demoApp({ dataDir, databaseUrl });
      expect(await second.store.countSessions("structure_decomposition")).toBe(25);
      const again = browserAt(second.app);
      (again as unknown as { jar: unknown }).jar = (agent as unknown as { jar: unknown }).jar;
      expect((await again.get("/workflow").expect(200)).text).toContain('data-testid="active-label">in postgres<');
      await second.close();
    });
  });
});
