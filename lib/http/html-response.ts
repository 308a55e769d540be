import type { Response } from "express";

/**
 * Sends a rendered page or fragment, never cached. The list is `no-store`, so it skips `res.send()`'s ETag: hashing
 * 100 KB of rows on every request is pure cost. The body is encoded once, with its length, rather than measured and
 * then encoded as a chunk.
 */
export function sendHtml(res: Response, body: string): void {
  const bytes = Buffer.from(body);
  res.set({ "Cache-Control": "no-store", "Content-Length": String(bytes.length) }).type("html").end(bytes);
}
