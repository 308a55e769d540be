// Builds a workflow-state SQLite file with `count` sessions of one flow (plus a tenth as many in another flow, so
// the flow filter has work to do), each with about 2 KB of state like the demo's, then opens it with the store so
// it gains the list indexes. An existing file with the right number of sessions (and today's labels) is reused.
// Labels: a third of the sessions have none; of the rest, three in four are `Lecture <i>` and one in four
// `Seminar <i>`, so the search `lecture` matches exactly half of the flow (i % 3 !== 0 and i % 4 !== 0).
// Tags: `rare` on 1 % of the bench flow (i % 100 === 7), `half` on 50 % (i % 2 === 0), added to a reused file too.
import { existsSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { createWorkflowStore } from "../lib/index.js";

export const BENCH_FLOW = "structure_decomposition";
const OTHER_FLOW = "transcription";
const STEPS = ["selection", "segmentation", "review", "verify", null];
const START = Date.parse("2025-01-01T00:00:00Z");

function timestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** About 2 KB of state: sources and segments under step_states, as the demo's enricher reads them. */
export function benchState(i: number): string {
  const sources = Array.from({ length: 10 }, (_, j) => ({ media_path: `/data/audio/lecture_${i}_${j}.mp3`, duration_s: 600 + j * 61.5 }));
  const segments = Array.from({ length: 18 }, (_, j) => ({ start: j * 30, end: j * 30 + 29.5, text: `Segment ${j} of lecture ${i}, aligned.` }));
  return JSON.stringify({ step_states: { selection: { selected_sources: sources }, segmentation: { segments } }, _step_review: { seen: i % 2 === 0 } });
}

// A deterministic shuffle of ids, so key order and time order are unrelated, as in real use.
function sessionId(i: number): string {
  const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, "0");
  return `${hex}-${String(i).padStart(4, "0").slice(-4)}-4000-8000-${String(i).padStart(12, "0")}`;
}

/** The stored label of session `i`: `null`, `Lecture <i>` or `Seminar <i>` (see the file's header). */
export function benchLabel(i: number): string | null {
  return i % 3 === 0 ? null : i % 4 === 0 ? `Seminar ${i}` : `Lecture ${i}`;
}

/** The search that matches half of the bench flow, as a broad search by a visitor would. */
export const BROAD_SEARCH = "lecture";

/** The tag on 1 % of the bench flow's sessions, and the one on half of them (see the file's header). */
export const BENCH_TAGS = { rare: 0.01, half: 0.5 } as const;

/** The bench tags of session `i`. */
export function benchTags(i: number): string[] {
  return [...(i % 100 === 7 ? ["rare"] : []), ...(i % 2 === 0 ? ["half"] : [])];
}

// Tags the bench flow's sessions as benchTags() says, unless the file has them already.
function addTags(file: string, count: number): void {
  const db = new Database(file);
  const has = db.prepare("SELECT 1 FROM workflow_state_tags WHERE flow_id = ? LIMIT 1").get(BENCH_FLOW);
  if (!has) {
    const insert = db.prepare("INSERT INTO workflow_state_tags (flow_session_key, flow_id, owner, tag) VALUES (?, ?, '', ?)");
    db.transaction(() => {
      for (let i = 0; i < count; i++) for (const tag of benchTags(i)) insert.run(`${BENCH_FLOW}:${sessionId(i)}`, BENCH_FLOW, tag);
    })();
  }
  db.close();
}

/** Creates (or reuses) the file with `count` sessions in the bench flow. */
export async function buildDatabase(file: string, count: number): Promise<void> {
  if (existsSync(file)) {
    const db = new Database(file, { readonly: true });
    const row = db.prepare("SELECT count(*) AS n FROM workflow_state WHERE flow_session_key >= ? AND flow_session_key < ?").get(`${BENCH_FLOW}:`, `${BENCH_FLOW};`) as { n: number };
    const sample = count > 4 ? (db.prepare("SELECT label FROM workflow_state WHERE flow_session_key = ?").get(`${BENCH_FLOW}:${sessionId(4)}`) as { label: string | null } | undefined) : undefined;
    db.close();
    if (row.n === count && (count <= 4 || sample?.label === benchLabel(4))) {
      await (await createWorkflowStore({ filename: file })).close(); // today's indexes, as a user's file gets them on open
      addTags(file, count);
      return;
    }
    rmSync(file, { force: true });
  }
  const store = await createWorkflowStore({ filename: file }); // the schema and its indexes, as a user's file gets them
  await store.close();
  const db = new Database(file);
  const insert = db.prepare("INSERT INTO workflow_state (flow_session_key, current_step, state_json, created_at, updated_at, label) VALUES (?, ?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const created = START + i * 60_000;
      const updated = created + ((i * 7919) % 86_400) * 1000;
      const label = benchLabel(i);
      insert.run(`${BENCH_FLOW}:${sessionId(i)}`, STEPS[i % STEPS.length], benchState(i), timestamp(created), timestamp(updated), label);
    }
    for (let i = 0; i < Math.ceil(count / 10); i++) {
      insert.run(`${OTHER_FLOW}:${sessionId(i)}`, "selection", "{}", timestamp(START), timestamp(START), null);
    }
  })();
  db.close();
  addTags(file, count);
}
