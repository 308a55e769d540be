// Read points (`SessionScope.readPoint`): opaque to hosts, each holds the change token it was built with and the
// Kysely instance it was read from, which only the store reads (tokenAt()).
import type { ReadPoint } from "../session-types.js";

export type { ReadPoint } from "../session-types.js";

const tokens = new WeakMap<ReadPoint, { source: object; token: string | undefined }>();

/**
 * A read point for `token`, read through `source` (the store's Kysely instance); `undefined`: the database offered
 * none, and nothing read through it is remembered.
 */
export function readPointOf(source: object, token: string | undefined): ReadPoint {
  const point: ReadPoint = Object.freeze({ kind: "read-point" });
  tokens.set(point, { source, token });
  return point;
}

/**
 * What a read given `point` reads through `source` checks its remembered results against: `{ token }` for a point
 * read through that same source, `undefined` for none, for another store's point, or for an object that merely looks
 * like one (the read then goes as without a point).
 */
export function tokenAt(point: ReadPoint | undefined, source: object): { token: string | undefined } | undefined {
  const entry = point === undefined ? undefined : tokens.get(point);
  return entry?.source === source ? { token: entry.token } : undefined;
}
