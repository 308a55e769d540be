import { sql, type Kysely } from "kysely";
import { ConfigurationError, StoreUnavailableError } from "../../errors.js";
import { translateDatabaseError } from "../database-errors.js";
import type { WorkflowStateDatabase } from "../workflow-state-table.js";
import type { SqlDialect } from "./dialect.js";
import { postgresDialect } from "./postgres.js";
import { sqliteDialect } from "./sqlite.js";

const DIALECTS_BY_ADAPTER: Readonly<Record<string, SqlDialect>> = { SqliteAdapter: sqliteDialect, PostgresAdapter: postgresDialect };

/** The class names of an adapter and of every class it extends, e.g. `["LibsqlAdapter", "SqliteAdapter"]`. */
function classNames(adapter: object): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(adapter); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    names.push(String(proto.constructor?.name ?? ""));
  }
  return names;
}

/** Asks the database which one it is; `undefined` when it is neither SQLite nor PostgreSQL. */
async function probeDialect(db: Kysely<WorkflowStateDatabase>): Promise<SqlDialect | undefined> {
  for (const [probe, dialect, matches] of [
    [sql<{ v: string }>`SELECT sqlite_version() AS v`, sqliteDialect, () => true],
    [sql<{ v: string }>`SELECT version() AS v`, postgresDialect, (version: string) => version.startsWith("PostgreSQL")],
  ] as const) {
    try {
      const { rows } = await probe.execute(db);
      if (matches(String(rows[0]?.v ?? ""))) return dialect;
    } catch (error) {
      // A database that cannot answer cannot be told apart either: say so, rather than call it unsupported.
      if (translateDatabaseError(error) instanceof StoreUnavailableError) throw error;
    }
  }
  return undefined;
}

/**
 * Picks the statements for the database behind `db`, by the class name of its Kysely adapter (or of a class the
 * adapter extends), never by `instanceof`: the host's Kysely instance may come from another copy of kysely, such as
 * a CommonJS app's `require("kysely")` or another version. An adapter by another name is asked which database it
 * talks to. Fails with a clear message for databases it does not speak.
 */
export async function detectDialect(db: Kysely<WorkflowStateDatabase>): Promise<SqlDialect> {
  const adapter = db.getExecutor().adapter;
  const names = classNames(adapter);
  const known = names.filter((name) => Object.hasOwn(DIALECTS_BY_ADAPTER, name)).map((name) => DIALECTS_BY_ADAPTER[name]!)[0];
  const dialect = known ?? (await probeDialect(db));
  if (dialect) return dialect;
  throw new ConfigurationError(
    `createWorkflowStore() supports SQLite and PostgreSQL; the Kysely instance you passed uses ${names[0] || "an unknown adapter"}. ` +
      "Pass a Kysely instance built with SqliteDialect or PostgresDialect.",
  );
}
