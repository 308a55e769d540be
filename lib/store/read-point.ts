// Read points (`SessionScope.readPoint`): opaque to hosts, each holds the change token it was built with, which only
// the store reads (tokenAt()).
import type { ReadPoint } from "../session-types.js";

export type { ReadPoint } from "../session-types.js";

const tokens = new WeakMap<ReadPoint, string | undefined>();

/** A read point for `token` (`undefined`: the database offered none, and nothing read through it is remembered). */
export function readPointOf(token: string | undefined): ReadPoint {
  const point: ReadPoint = Object.freeze({ kind: "read-point" });
  tokens.set(point, token);
  return point;
}

/** The token a read point holds; `undefined` for one that has none, or for anything that is not a read point. */
export function tokenAt(point: ReadPoint): string | undefined {
  return tokens.get(point);
}
