import { existsSync } from "node:fs";
import { join } from "node:path";
import request from "supertest";
import { createDemoApp } from "../demo-app/app.js";
import { createPostgresSchema, csrfAgent, rowIds, tempDir } from "./helpers.js";

const P = "/manage/sessions";

describe("demo-app", () => {
  it("redirects / to the manager, which lists the fixture's 24 sessions with the demo's columns and labels", async () => {
    const { app, close } = await createDemoApp({ dataDir: tempDir() });
    const agent = request.agent(app);
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
    const { app, store, close } = await createDemoApp({ dataDir: tempDir() });
    const agent = await csrfAgent(app);
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
    const { app, store, close } = await createDemoApp({ dataDir: tempDir() });
    const agent = await csrfAgent(app);
    const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
    await agent.post(`${P}/resume`).type("form").send({ session_id: id }).expect(303);
    const res = await agent.post("/workflow/advance").set("X-CSRF-Token", "").type("form").send({ _csrf: "forged" }).expect(403);
    expect(res.text).toContain("could not be verified");
    expect(await store.getCurrentStep("structure_decomposition", id)).toBe("selection");
    await close();
  });

  it("keeps visitors' sessions in a persistent store across app restarts", async () => {
    const dataDir = tempDir();
    const first = await createDemoApp({ dataDir });
    const agent = await csrfAgent(first.app);
    await agent.post(`${P}/create`).type("form").send({ label: "survives" }).expect(303);
    await first.close();
    const second = await createDemoApp({ dataDir });
    const again = request.agent(second.app);
    // Reuse the first agent's cookie jar against the second app.
    (again as unknown as { jar: unknown }).jar = (agent as unknown as { jar: unknown }).jar;
    const page = await again.get("/workflow").expect(200);
    expect(page.text).toContain('data-testid="active-label">survives<');
    await second.close();
  });

  describe("with DATABASE_URL", () => {
    it("copies the fixture's rows into an empty PostgreSQL table once, and keeps visitors' sessions there too", async () => {
      const databaseUrl = await createPostgresSchema();
      const dataDir = tempDir();
      const first = await createDemoApp({ dataDir, databaseUrl });
      const agent = await csrfAgent(first.app);
      expect(rowIds((await agent.get(P).expect(200)).text)).toHaveLength(24);
      await agent.post(`${P}/create`).type("form").send({ label: "in postgres" }).expect(303);
      await first.close();
      expect(existsSync(join(dataDir, "workflow_state.db"))).toBe(false);
      expect(existsSync(join(dataDir, "sessions.db"))).toBe(false);

      const second = await createDemoApp({ dataDir, databaseUrl });
      expect(await second.store.countSessions("structure_decomposition")).toBe(25);
      const again = request.agent(second.app);
      (again as unknown as { jar: unknown }).jar = (agent as unknown as { jar: unknown }).jar;
      expect((await again.get("/workflow").expect(200)).text).toContain('data-testid="active-label">in postgres<');
      await second.close();
    });
  });
});
