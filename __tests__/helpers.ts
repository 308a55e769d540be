import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import session from "express-session";
import request from "supertest";
import { createSessionManager } from "../lib/create-session-manager.js";
import type { SessionManagerOptions } from "../lib/options.js";
import { createWorkflowStore } from "../lib/create-workflow-store.js";
import type { WorkflowStore } from "../lib/workflow-store.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const ROOT = join(here, "..");

/** The real files written by cjm-workflow-state, shared read-only between projects. */
export const FIXTURES = join(ROOT, "..", "shared", "fixtures");

const made: string[] = [];

/** A fresh temporary folder, removed after all tests of the file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ews-test-"));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A writable copy of a fixture database. */
export function copyFixture(name: "workflow_state.db" | "workflow_state_legacy.db"): string {
  const file = join(tempDir(), name);
  copyFileSync(join(FIXTURES, name), file);
  return file;
}

/** A store over a fresh SQLite file, or over a copy of a fixture. */
export async function openStore(fixture?: "workflow_state.db" | "workflow_state_legacy.db"): Promise<WorkflowStore> {
  const filename = fixture ? copyFixture(fixture) : join(tempDir(), "workflow_state.db");
  return createWorkflowStore({ filename });
}

/** The flow of most sessions in the fixture. */
export const FLOW = "structure_decomposition";

/** Collects what the manager logs. */
export function recordingLogger() {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (message: string) => void warnings.push(message),
    error: (message: string) => void errors.push(message),
  };
}

/** A real Express app with express-session and the manager mounted; `mount` puts the app under another path. */
export function buildApp(options: Partial<SessionManagerOptions> & { store: WorkflowStore }, mount?: string) {
  const app = express();
  app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
  const manager = createSessionManager({ flowId: FLOW, workflowUrl: "/workflow", logger: recordingLogger(), ...options });
  if (mount) app.use(mount, manager);
  else app.use(manager);
  app.get("/whoami", (req, res) => {
    res.json({ activeSessionId: req.session.activeSessionId ?? null });
  });
  return app;
}

/** A supertest agent that keeps its cookie, like one browser. */
export function visitor(app: express.Express) {
  return request.agent(app);
}

/** The CSRF token a page carries in its `<meta name="csrf-token">`. */
export function csrfTokenIn(html: string): string {
  const token = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("The page has no csrf-token meta tag.");
  return token;
}

/**
 * A visitor that has loaded the manager page once, as a browser would, and sends its CSRF token as the
 * `X-CSRF-Token` header on every later request (the way htmx does from the page's `hx-headers`).
 */
export async function csrfAgent(app: express.Express, { page = "/manage/sessions", headers = {} }: { page?: string; headers?: Record<string, string> } = {}) {
  const agent = request.agent(app);
  agent.set(headers);
  const res = await agent.get(page).expect(200);
  agent.set("X-CSRF-Token", csrfTokenIn(res.text));
  return agent;
}

/** Session ids in the order the page shows them. */
export function rowIds(html: string): string[] {
  return [...html.matchAll(/<tr\s[^>]*data-session-id="([^"]+)"/g)].map((match) => match[1]!);
}

/** Reads the active session id of an agent's session. */
export async function activeOf(agent: ReturnType<typeof visitor>): Promise<string | null> {
  const res = await agent.get("/whoami");
  return res.body.activeSessionId;
}
