import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
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
}

/**
 * Results of reads remembered by the change token they were read under (see `SqlDialect.changeToken()`), so that a
 * read asked again while the token has not moved costs one token read. The token is always read before the result,
 * so a result is never kept under a token newer than what it saw: a write in between only makes it miss next time.
 * Where the database offers no token, every read goes to the database and nothing is kept.
 */
export class TokenCache<V> {
  private readonly results: LRUCache<string, { token: string; value: V }>;

  /**
   * @param token - reads the change token
   * @param options - how many results are kept
   */
  constructor(
    private readonly token: () => Promise<string | undefined>,
    { max, maxSize, sizeOf }: TokenCacheOptions<V>,
  ) {
    this.results = new LRUCache(maxSize !== undefined && sizeOf ? { max, maxSize, sizeCalculation: (entry) => Math.max(1, sizeOf(entry.value)) } : { max });
  }

  /**
   * The result remembered for `key` under the current token, or else `read()`'s, which is kept when `keep` (if
   * given) accepts it. `copy` gives each caller its own copy of a remembered result, to change as it likes.
   */
  async get(key: string, read: () => Promise<V>, copy: (value: V) => V, keep: (value: V) => boolean = () => true): Promise<V> {
    const token = await this.token();
    const cached = this.results.get(key);
    if (token !== undefined && cached?.token === token) return copy(cached.value);
    const value = await read();
    // A result larger than maxSize is not kept, and the one it would replace is dropped (lru-cache's set()).
    if (token !== undefined && keep(value)) this.results.set(key, { token, value: copy(value) });
    return value;
  }
}
