import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import type { BulkMoves } from "./bulk-moves.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { seekIndex, type IndexRow, type WalkSpec } from "./keyset-seek.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";

/** Accepted rows between two landmarks: a jump walks at most this many index entries past its landmark. */
export const LANDMARK_SPACING = 1000;
/**
 * Index entries walked before the next accepted row becomes a landmark anyway: a sparse search's landmarks are no
 * further apart than this in the index, so a jump into it walks about this many entries.
 */
export const LANDMARK_SCAN = 2000;
/** Index entries per query while landmarks are built: a few milliseconds each, the event loop free between them. */
export const LANDMARK_CHUNK = 2000;
/** The most landmark sets one store keeps (a set per flow, owner, order and search): about 1,000 rows each at 1,000,000 sessions. */
export const MAX_LANDMARK_SETS = 32;
/**
 * A filter (a search or tags) with at most this many matches keeps every match's key in its set, in order
 * ({@link LandmarkSet.keys}): a window of a sparse filter is then its keys read by key, where a walk of the order's
 * index would test about 1 / density index entries per row shown (5,000 for a window of a tag on 1 % of the flow).
 */
export const MAX_MATCH_KEYS = 20_000;
/** The most match keys all of one store's sets hold together (about 100 bytes each); landmarks are bounded by the count of sets. */
const MAX_KEPT_KEYS = 8 * MAX_MATCH_KEYS;
/** Where the database offers no change token at all, landmarks older than this are rebuilt when next used. */
const UNTOKENED_MAX_AGE_MS = 10_000;

/**
 * Keys of the order's index every {@link LANDMARK_SPACING} accepted rows, from one walk of the index: `positions[i]`
 * is the 0-based position, in ascending index order among the accepted rows, of `rows[i]`.
 */
export interface LandmarkSet {
  /** The dialect's change token when the walk began; the set is exact while it has not moved. */
  token: string | undefined;
  builtAt: number;
  /** Accepted rows when the walk ended: the exact count of a search's matches, as of the walk. */
  total: number;
  positions: number[];
  rows: IndexRow[];
  /** For a filter with at most {@link MAX_MATCH_KEYS} matches: every match's key, in ascending index order. */
  keys?: string[];
}

/**
 * Landmark keys of the list's orders, so a window at any offset seeks from the nearest landmark and walks at most
 * {@link LANDMARK_SPACING} rows, instead of walking its offset. Built in the background, by a walk in chunks of
 * {@link LANDMARK_CHUNK} index entries (the event loop runs between them), on first use; rebuilt the same way when
 * the database's change token moves, the old set serving meanwhile (and, while a move of many sessions of the flow
 * runs, until it is over: see `BulkMoves`). A set is exact while nothing changed; after changes, a position it gives
 * is off by at most the number of rows inserted, deleted or moved since its walk.
 */
export class ListLandmarks {
  private readonly sets = new LRUCache<string, LandmarkSet>({
    max: MAX_LANDMARK_SETS,
    maxSize: MAX_LANDMARK_SETS + MAX_KEPT_KEYS,
    sizeCalculation: (set) => 1 + (set.keys?.length ?? 0),
  });
  private readonly builds = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
    private readonly moves?: BulkMoves,
  ) {}

  /**
   * The landmarks of `spec` (whose filter `cacheKey` must name): fresh ones, or stale ones while a rebuild runs in
   * the background, or `undefined` while the first build runs (started by this call).
   */
  async get(spec: WalkSpec, cacheKey: string): Promise<LandmarkSet | undefined> {
    const token = await this.dialect.statsToken(this.db);
    const set = this.sets.get(cacheKey);
    const fresh = set !== undefined && (token === undefined ? Date.now() - set.builtAt < UNTOKENED_MAX_AGE_MS : set.token === token);
    // While a move of many sessions changes the flow chunk by chunk, a set it has serves until the move is over.
    const held = set !== undefined && this.moves?.active(spec.flowId) === true;
    if (!fresh && !held && !this.builds.has(cacheKey) && !this.closed) {
      const build = this.build(spec, cacheKey, token)
        .catch(() => {}) // a failed walk (the store closing, the database gone) leaves the old set; the next use tries again
        .finally(() => this.builds.delete(cacheKey));
      this.builds.set(cacheKey, build);
    }
    // A stale set still places windows (off by at most the rows changed since its walk); its keys would show the
    // matches as they were, so it serves without them.
    if (set?.keys && !fresh) {
      const { keys: _stale, ...placing } = set;
      return placing;
    }
    return set;
  }

  /**
   * As {@link get}, but when no set exists yet, waits for the build it starts (its chunks leave the event loop free)
   * instead of answering `undefined`; `undefined` only if that build failed or the store closed.
   */
  async whenBuilt(spec: WalkSpec, cacheKey: string): Promise<LandmarkSet | undefined> {
    const set = await this.get(spec, cacheKey);
    if (set) return set;
    await this.builds.get(cacheKey);
    return this.sets.get(cacheKey);
  }

  /** Resolves once the builds under way have ended (for tests and the bench, which wait for a condition). */
  async settled(): Promise<void> {
    while (this.builds.size > 0) await Promise.all([...this.builds.values()]);
  }

  /** Stops the builds under way at their next chunk. */
  close(): void {
    this.closed = true;
  }

  private async build(spec: WalkSpec, cacheKey: string, token: string | undefined): Promise<void> {
    const positions: number[] = [];
    const rows: IndexRow[] = [];
    let accepted = 0;
    let scannedSinceMark = LANDMARK_SCAN;
    let from: IndexRow | undefined;
    let keys: string[] | undefined = spec.filter ? [] : undefined;
    const builtAt = Date.now();
    for (;;) {
      if (this.closed) return;
      const chunk = await seekIndex(this.db, this.dialect, { ...spec, filter: undefined }, from, { ascending: true, take: LANDMARK_CHUNK, hit: spec.filter });
      for (const row of chunk) {
        scannedSinceMark++;
        if (spec.filter && !row.hit) continue;
        if (keys) {
          if (keys.length < MAX_MATCH_KEYS) keys.push(row.key);
          else keys = undefined;
        }
        if (accepted % LANDMARK_SPACING === 0 || scannedSinceMark >= LANDMARK_SCAN) {
          positions.push(accepted);
          rows.push({ key: row.key, value: row.value });
          scannedSinceMark = 0;
        }
        accepted++;
      }
      if (chunk.length < LANDMARK_CHUNK) break;
      from = chunk[chunk.length - 1];
      await yieldToLoop();
    }
    this.sets.set(cacheKey, { token, builtAt, total: accepted, positions, rows, ...(keys ? { keys } : {}) });
  }
}

/** The last landmark at or before `position` (ascending, among accepted rows), or the index's start. */
export function landmarkAt(set: LandmarkSet, position: number): { position: number; row: IndexRow | undefined } {
  let low = 0;
  let high = set.positions.length - 1;
  if (high < 0 || set.positions[0]! > position) return { position: 0, row: undefined };
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (set.positions[middle]! <= position) low = middle;
    else high = middle - 1;
  }
  return { position: set.positions[low]!, row: set.rows[low] };
}

/** The first landmark past `position` (in ascending order), or `undefined` when there is none. */
export function landmarkAfter(set: LandmarkSet, position: number): { position: number; row: IndexRow } | undefined {
  let low = 0;
  let high = set.positions.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (set.positions[middle]! <= position) low = middle + 1;
    else high = middle;
  }
  return low < set.positions.length ? { position: set.positions[low]!, row: set.rows[low]! } : undefined;
}
