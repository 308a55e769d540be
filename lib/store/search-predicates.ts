import type { Expression, ExpressionBuilder, RawBuilder, SqlBool } from "kysely";
import type { SqlDialect } from "./dialects/dialect.js";
import { checkFlowId } from "./session-keys.js";
import type { WORKFLOW_STATE_TABLE, WorkflowStateDatabase } from "./workflow-state-table.js";

type TableExpressions = ExpressionBuilder<WorkflowStateDatabase, typeof WORKFLOW_STATE_TABLE>;

/** A WHERE condition on the table. */
export type SearchPredicate = (eb: TableExpressions) => Expression<SqlBool>;

/** How many sessions match a search by id and by label, each counted up to a limit. */
export interface BranchCounts {
  ids: number;
  labels: number;
}

/**
 * The search's two sets of matches, each as index ranges (`ranges`: the key ranges, the flow's part of the label
 * index) and as a filter for a walk of the flow's part of another index (`walk`: the first characters of the key
 * or of the label, without the flow, which the caller adds once for both, so the walk stays one index walk).
 * Never LIKE, so every character matches only itself; the label ignores ASCII case.
 */
export function searchPredicates(dialect: SqlDialect, flowId: string, search: string): Record<"ids" | "labels", Record<"ranges" | "walk", SearchPredicate>> {
  checkFlowId(flowId);
  const ids = [...new Set([search, foldAsciiCase(search)])].map((prefix) => `${flowId}:${prefix}`);
  const label = foldAsciiCase(search);
  const key = dialect.keyColumn();
  const lowerLabel = dialect.listSort("label");
  const flow = `${flowId}:`;
  return {
    ids: {
      ranges: (eb) => eb.or(ids.map((id) => eb.and(prefixRange(eb, key, id)))),
      walk: (eb) => eb.or(ids.map((id) => dialect.startsWith(key, id))),
    },
    labels: {
      ranges: (eb) => eb.and([eb(dialect.flowPrefix(), "=", flow), ...prefixRange(eb, lowerLabel, label)]),
      walk: () => dialect.startsWith(lowerLabel, label),
    },
  };
}

/** `column` ≥ `prefix` and < the next prefix: the index range of the values that start with `prefix`. */
function prefixRange(eb: TableExpressions, column: RawBuilder<string>, prefix: string): Expression<SqlBool>[] {
  const upper = prefixUpperBound(prefix);
  return upper === undefined ? [eb(column, ">=", prefix)] : [eb(column, ">=", prefix), eb(column, "<", upper)];
}

// SQLite's lower() folds ASCII letters only; the search text is folded the same way so both sides agree.
function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point (UTF-8 byte) order: the
 * prefix with its last code point incremented. `undefined` when there is none (every code point is the largest).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return chars.join("") + String.fromCodePoint(next);
    }
  }
  return undefined;
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Orders text as the list's ORDER BY does: `null` first, then by code point (SQLite's BINARY collation on UTF-8,
 * PostgreSQL's "C"), which JavaScript's `<` on UTF-16 gives only outside the surrogate range.
 */
export function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
}
