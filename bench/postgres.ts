// PostgreSQL for the bench: the throwaway cluster the tests use (__tests__/postgres-cluster.ts), and one database per
// size holding the same rows as that size's SQLite file, with the schema and indexes the store creates.
import Database from "better-sqlite3";
import pg from "pg";
import { createWorkflowStore } from "../lib/index.js";
import { BASELINE_PG_SQL } from "./baseline-query.js";
import { BENCH_FLOW } from "./build-database.js";

export { startPostgresCluster, type PostgresCluster } from "../__tests__/postgres-cluster.js";

const COLUMNS = ["flow_session_key", "current_step", "state_json", "created_at", "updated_at", "label", "owner"] as const;
/** Rows per INSERT: one statement of 2,000 × 2 KB is about 4 MB of parameters. */
const BATCH = 2000;

/** `url` with another database name. */
function withDatabase(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

/**
 * Creates database `bench_<size>` on the server at `serverUrl` (a superuser URL), lets the store create its table and
 * indexes, copies every row of the SQLite `file` into it with multi-row INSERTs (one `unnest` of text arrays per
 * batch) and its tags in one INSERT of `unnest`ed arrays, then runs VACUUM ANALYZE, as a database that has been in use would have statistics and a visibility map.
 * Returns the database's URL.
 */
export async function loadPostgres(serverUrl: string, file: string, size: number): Promise<string> {
  const database = `bench_${size}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, database);
  const store = await createWorkflowStore({ connectionString: url }); // the schema and its indexes, as a user's database gets them
  await store.close();

  const source = new Database(file, { readonly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const insert = `INSERT INTO workflow_state (${COLUMNS.join(", ")}) SELECT * FROM unnest(${COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(", ")})`;
    const rows = source.prepare(`SELECT ${COLUMNS.join(", ")} FROM workflow_state`).raw().iterate() as IterableIterator<Array<string | null>>;
    let batch: Array<Array<string | null>> = COLUMNS.map(() => []);
    let pending = 0;
    const flush = async () => {
      if (pending === 0) return;
      await client.query(insert, batch);
      batch = COLUMNS.map(() => []);
      pending = 0;
    };
    await client.query("BEGIN");
    for (const row of rows) {
      row.forEach((value, i) => batch[i]!.push(value));
      if (++pending === BATCH) await flush();
    }
    await flush();
    const tags = source.prepare("SELECT flow_session_key, flow_id, owner, tag FROM workflow_state_tags").raw().all() as string[][];
    await client.query("INSERT INTO workflow_state_tags (flow_session_key, flow_id, owner, tag) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])", [0, 1, 2, 3].map((i) => tags.map((row) => row[i])));
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE workflow_state");
    await client.query("VACUUM ANALYZE workflow_state_tags");
  } finally {
    source.close();
    await client.end();
  }
  return url;
}

/** The PostgreSQL baseline query's plan; throws when it sorts the whole flow instead of walking an index. */
export async function postgresBaselinePlan(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${BASELINE_PG_SQL}`, [`${BENCH_FLOW}:`]);
    const nodes = rows.map((row) => row["QUERY PLAN"].trim().replace(/\s+\(cost=.*\)$/, ""));
    const plan = nodes.join("; ");
    // Where nearly every row is in the flow the planner may walk the plain updated_at index with a filter and an
    // incremental sort of equal timestamps: still no sort of the whole flow. A full Sort node is what must not appear.
    if (nodes.some((node) => /^(->\s+)?Sort$/.test(node)) || !/Index/.test(plan)) {
      throw new Error(`The PostgreSQL baseline query sorts instead of walking an index: ${plan}`);
    }
    return plan;
  } finally {
    await client.end();
  }
}

/** The server's version, e.g. `15.14`. */
export async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version.split(" ")[0]!;
  } finally {
    await client.end();
  }
}
