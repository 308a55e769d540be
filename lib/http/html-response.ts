import type { Response } from "express";

/**
 * Sends a rendered page or fragment, never cached: a string, or the UTF-8 chunks `renderViewToChunks()` gives. The
 * list is `no-store`, so it skips `res.send()`'s ETag: hashing 100 KB of rows on every request is pure cost. The
 * body goes out as it was encoded, with its length, in one write of all its chunks (the socket is corked).
 */
export function sendHtml(res: Response, body: string | readonly Buffer[]): void {
  const chunks = typeof body === "string" ? [Buffer.from(body)] : body;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  res.set({ "Cache-Control": "no-store", "Content-Length": String(length) }).type("html");
  if (chunks.length === 1) return void res.end(chunks[0]);
  res.cork();
  for (const chunk of chunks) res.write(chunk);
  res.end();
  res.uncork();
}
