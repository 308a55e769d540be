import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { tokenAt, type ReadPoint } from "./read-point.js";
import type { WorkflowStateDatabase } from "./workflow-state-table.js";

/** Reads the database's change token (`SqlDialect.changeToken()`), its failures mapped as any query's are. */
export function changeTokenOf(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect): () => Promise<string | undefined> {
  return () => runQuery(() => dialect.changeToken(db));
}

/** How a {@link TokenCache} is bounded. */
export interface TokenCacheOptions<V> {
  /** The most results kept; the least recently used goes first. */
  max: number;
  /** With {@link sizeOf}: the most characters (or other units) kept in all. */
  maxSize?: number;
  /** A result's size in the units of {@link maxSize}; a result larger than `maxSize` is not kept. */
  sizeOf?: (value: V) => number;
  /**
   * False for a cache that reads the token itself only where that costs no round trip (`SqlDialect.localChangeToken`):
   * elsewhere it remembers only reads made at a {@link ReadPoint}, and any other read goes to the database.
   * @default true
   */
  readsToken?: boolean;
}

/**
 * Results of reads remembered by the change token they were read under (see `SqlDialect.changeToken()`), so that a
 * read asked again while the token has not moved costs one token read. The token is always read before the result,
 * so a result is never kept under a token newer than what it saw: a write in between only makes it miss next time.
 * Where the database offers no token, every read goes to the database and nothing is kept.
 */
export class TokenCache<V> {
  private readonly results: LRUCache<string, { token: string; value: V }>;
  private readonly readsToken: boolean;

  /**
   * @param source - the Kysely instance the token is read through: a read point from another is ignored
   * @param token - reads the change token
   * @param options - how many results are kept
   */
  constructor(
    private readonly source: object,
    private readonly token: () => Promise<string | undefined>,
    { max, maxSize, sizeOf, readsToken = true }: TokenCacheOptions<V>,
  ) {
    this.readsToken = readsToken;
    this.results = new LRUCache(maxSize !== undefined && sizeOf ? { max, maxSize, sizeCalculation: (entry) => Math.max(1, sizeOf(entry.value)) } : { max });
  }

  /**
   * The result remembered for `key` under the current token, or else `read()`'s, which is kept when `keep` (if
   * given) accepts it. `copy` gives each caller its own copy of a remembered result, to change as it likes. With
   * `at`, the token is the one read there, before this call.
   */
  async get(key: string, read: () => Promise<V>, copy: (value: V) => V, keep: (value: V) => boolean = () => true, at?: ReadPoint): Promise<V> {
    const point = tokenAt(at, this.source);
    const token = point ? point.token : this.readsToken ? await this.token() : undefined;
    const cached = this.results.get(key);
    if (token !== undefined && cached?.token === token) return copy(cached.value);
    const value = await read();
    // A result larger than maxSize is not kept, and the one it would replace is dropped (lru-cache's set()).
    if (token !== undefined && keep(value)) this.results.set(key, { token, value: copy(value) });
    return value;
  }
}
