/**
 * The most keys one statement puts in `flow_session_key IN (…)`: 500. A caller's list of ids (a bulk action takes
 * up to 1,000) is read or written in statements of at most this many keys, so no request comes near SQLite's or
 * PostgreSQL's limit on bound parameters, nor builds one huge statement to parse and plan.
 */
export const KEYS_PER_STATEMENT = 500;

/** `keys` in consecutive slices of at most `size` (default {@link KEYS_PER_STATEMENT}), in their order. */
export function keyChunks<T>(keys: readonly T[], size: number = KEYS_PER_STATEMENT): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < keys.length; i += size) chunks.push(keys.slice(i, i + size));
  return chunks;
}
