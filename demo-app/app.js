// The demo: a small workflow (Selection → Segment & Align → Review → Verify) with the session manager mounted at
// /manage/sessions. It imports only what the package exports, as a user's app would. With DATABASE_URL set to a
// postgres:// URL it keeps workflow state and visitors' sessions in PostgreSQL, so several instances can serve it.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import connectPgSimple from "connect-pg-simple";
import express from "express";
import session from "express-session";
import pg from "pg";
import { html, render } from "@lit-labs/ssr";
import { collectResultSync } from "@lit-labs/ssr/lib/render-result.js";
import { createSessionManager, createWorkflowStore, csrfTokenFor, ERROR_TABLE, isSessionManagerError, verifyCsrf } from "express-workflow-sessions";
import { SqliteSessionStore } from "./sqlite-session-store.js";

const here = dirname(fileURLToPath(import.meta.url));
export const FLOW_ID = "structure_decomposition";
export const STEPS = [
  { id: "selection", title: "Selection" },
  { id: "segmentation", title: "Segment & Align" },
  { id: "review", title: "Review" },
  { id: "verify", title: "Verify" },
];
const FIXTURE = join(here, "..", "__tests__", "fixtures", "workflow_state.db");

/** The demo's host columns, filled by {@link enrich}. */
export const DEMO_COLUMNS = [
  { field: "sources", header: "Sources" },
  { field: "segments", header: "Segments" },
];

/** Display columns from the state, like the Python demo: how many sources and segments the session has. */
export function enrich(state) {
  const steps = state.step_states ?? {};
  const sources = steps.selection?.selected_sources;
  const segments = steps.segmentation?.segments;
  return {
    sources: Array.isArray(sources) ? String(sources.length) : "0",
    segments: Array.isArray(segments) ? String(segments.length) : "0",
  };
}

/** A label from the first source's media file name, e.g. "lecture_01". */
export function label(_summary, state) {
  const first = state.step_states?.selection?.selected_sources?.[0]?.media_path;
  if (typeof first !== "string" || first === "") return undefined;
  return first.split(/[\\/]/).pop().replace(/\.[^.]+$/, "");
}

/** The step's human title. */
export function stepTitle(stepId) {
  return STEPS.find((step) => step.id === stepId)?.title ?? stepId;
}

function secretIn(dataDir) {
  if (process.env.SESSION_SECRET) return process.env.SESSION_SECRET;
  const file = join(dataDir, "session-secret");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  return readFileSync(file, "utf8");
}

async function seed(store) {
  const sources = ["/data/audio/lecture_01.mp3", "/data/audio/podcast-ep42.wav", "/data/video/keynote 2026.mp4"];
  for (const [index, media_path] of sources.entries()) {
    const id = await store.createSession(FLOW_ID);
    await store.updateState(FLOW_ID, id, {
      step_states: { selection: { selected_sources: [{ media_path }] }, segmentation: { segments: [] } },
    });
    await store.setCurrentStep(FLOW_ID, id, STEPS[index].id);
  }
}

/** Copies the fixture's rows, as cjm-workflow-state wrote them, into an empty PostgreSQL table. */
async function copyFixtureRows(store) {
  const file = new Database(FIXTURE, { readonly: true });
  const rows = file.prepare("SELECT flow_session_key, current_step, state_json, created_at, updated_at, label FROM workflow_state").all();
  file.close();
  // Instances that start together may both copy; the rows are identical, so the second copy changes nothing.
  await store.db.insertInto("workflow_state").values(rows).onConflict((oc) => oc.column("flow_session_key").doNothing()).execute();
}

/** The workflow store and the express-session store: both in PostgreSQL, or both in files under dataDir. */
async function openStores(dataDir, databaseUrl) {
  if (databaseUrl) {
    const store = await createWorkflowStore({ connectionString: databaseUrl });
    if ((await store.countSessions(FLOW_ID)) === 0) {
      if (existsSync(FIXTURE)) await copyFixtureRows(store);
      else await seed(store);
    }
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
    pool.on("error", () => {});
    const PgSession = connectPgSimple(session);
    const sessionStore = new PgSession({ pool, createTableIfMissing: true });
    return { store, sessionStore, closeSessions: async () => (await sessionStore.close(), await pool.end()) };
  }
  const dbFile = join(dataDir, "workflow_state.db");
  const fresh = !existsSync(dbFile);
  if (fresh && existsSync(FIXTURE)) copyFileSync(FIXTURE, dbFile);
  const store = await createWorkflowStore({ filename: dbFile });
  if (fresh && !existsSync(FIXTURE)) await seed(store);
  const sessionDb = new Database(join(dataDir, "sessions.db"));
  const sessionStore = new SqliteSessionStore(sessionDb);
  return { store, sessionStore, closeSessions: async () => (sessionStore.close(), sessionDb.close()) };
}

const page = (title, body) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <link rel="stylesheet" href="/manage/sessions/assets/app.css" />
  </head>
  <body class="min-h-screen bg-base-200">
    <main class="mx-auto flex max-w-2xl flex-col gap-4 p-8">${body}</main>
  </body>
</html>`;

/**
 * The demo's public origins: `PUBLIC_ORIGIN` (one, or several separated by commas), or else the loopback addresses
 * on `PORT` (3000 by default).
 */
export function demoOrigins(env = process.env) {
  if (env.PUBLIC_ORIGIN) return env.PUBLIC_ORIGIN.split(",").map((origin) => origin.trim()).filter(Boolean);
  const port = env.PORT ?? "3000";
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

/** What a visitor sees for an error on the demo's own routes: a status and a plain sentence, never a stack. */
function errorReply(error) {
  if (isSessionManagerError(error)) {
    const row = ERROR_TABLE[error.code];
    return { status: row.status, message: error.publicMessage ?? row.message };
  }
  const status = Number(error?.status ?? error?.statusCode);
  if (status === 413) return { status, message: ERROR_TABLE.payload_too_large.message };
  if (status >= 400 && status < 500 && error?.expose) return { status, message: ERROR_TABLE.invalid_input.message };
  return { status: 500, message: "Something went wrong on the server." };
}

/**
 * Builds the demo app over a working copy of the fixture database (or a seeded one when the fixture is absent), or
 * over PostgreSQL when `databaseUrl` is given (its empty table gets the fixture's rows). Only requests whose `Host`
 * is one of `origins`' hosts are served (421 otherwise), and the manager and the workflow's form accept POSTs only
 * from those origins, so a DNS-rebinding page reaches nothing.
 * @param {{ dataDir?: string, databaseUrl?: string, origins?: string[], logger?: { warn: Function, error: Function } }} [options]
 */
export async function createDemoApp({
  dataDir = process.env.DATA_DIR ?? join(here, "data"),
  databaseUrl = process.env.DATABASE_URL,
  origins = demoOrigins(),
  logger = console,
} = {}) {
  mkdirSync(dataDir, { recursive: true });
  const hosts = new Set(origins.map((origin) => new URL(origin).host));
  const { store, sessionStore, closeSessions } = await openStores(dataDir, databaseUrl);
  const app = express();
  app.disable("x-powered-by");
  // Express's own final handler then answers without a stack trace.
  app.set("env", "production");
  app.use(function refuseForeignHost(req, res, next) {
    if (hosts.has(String(req.get("Host")).toLowerCase())) return next();
    res.status(421).type("text").send("This server does not answer for that host name.");
  });
  app.use(
    session({
      store: sessionStore,
      secret: secretIn(dataDir),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: "lax", maxAge: 30 * 24 * 3600 * 1000 },
    }),
  );
  const manager = createSessionManager({
    store,
    flowId: FLOW_ID,
    workflowUrl: "/workflow",
    columns: DEMO_COLUMNS,
    enrich,
    label,
    stepTitle,
    title: "Workflow Sessions",
    origins,
    logger,
  });
  app.use(manager);

  app.get("/", (_req, res) => res.redirect("/manage/sessions"));

  app.get("/workflow", async (req, res, next) => {
    try {
      const id = await manager.activeSessionOf(req);
      const summary = id ? await store.getSessionSummary(FLOW_ID, id) : undefined;
      if (!summary) {
        res.send(collectResultSync(render(page("Workflow", html`
          <h1 class="text-2xl font-bold">Workflow</h1>
          <p>No session is active.</p>
          <a class="btn btn-primary self-start" href="/manage/sessions">Choose a session</a>`))));
        return;
      }
      const state = await store.getState(FLOW_ID, summary.sessionId);
      const name = summary.label || label(summary, state) || "Untitled Session";
      const stepIndex = STEPS.findIndex((step) => step.id === summary.currentStep);
      const next = STEPS[stepIndex + 1];
      res.send(collectResultSync(render(page(`Workflow · ${name}`, html`
        <h1 class="text-2xl font-bold">Workflow</h1>
        <div class="card bg-base-100 shadow-sm"><div class="card-body">
          <p>Active session: <strong data-testid="active-label">${name}</strong></p>
          <p>Step: <strong data-testid="active-step">${summary.currentStep ? stepTitle(summary.currentStep) : "Not started"}</strong></p>
          <ul class="steps">${STEPS.map((step, index) => html`<li class=${index <= stepIndex ? "step step-primary" : "step"}>${step.title}</li>`)}</ul>
          <form method="post" action="/workflow/advance">
            <input type="hidden" name="_csrf" value=${csrfTokenFor(req)} />
            <button class="btn btn-primary" ?disabled=${!next}>${next ? `Advance to ${next.title}` : "Finished"}</button>
          </form>
        </div></div>
        <a class="link" href="/manage/sessions">All sessions</a>`))));
    } catch (error) {
      next(error);
    }
  });

  // The workflow's own POST carries the manager's CSRF token, checked the same way as the manager's.
  app.post("/workflow/advance", express.urlencoded({ extended: false, limit: "1kb" }), verifyCsrf({ origins }), async (req, res, next) => {
    try {
      const id = await manager.activeSessionOf(req);
      if (id) {
        const current = await store.getCurrentStep(FLOW_ID, id);
        const next = STEPS[STEPS.findIndex((step) => step.id === current) + 1];
        if (next) await store.setCurrentStep(FLOW_ID, id, next.id);
      }
      res.redirect(303, "/workflow");
    } catch (error) {
      next(error);
    }
  });

  app.use(function notFound(_req, res) {
    res.status(404).type("text").send("There is nothing at this address.");
  });

  // The demo's own routes answer errors (a failed CSRF check, a body over 1 KB, a bug) with a status and a plain
  // sentence; the log gets the detail of anything unexpected.
  app.use(function demoErrorHandler(error, req, res, next) {
    if (res.headersSent) return next(error);
    const { status, message } = errorReply(error);
    if (status >= 500) logger.error(`demo: ${req.method} ${req.originalUrl} failed`, error);
    res.status(status).set("Cache-Control", "no-store").type("text").send(message);
  });

  const close = async () => {
    await store.close();
    await closeSessions();
  };
  return { app, store, close };
}
