#!/usr/bin/env node
// The live updates' memory spot check: one server (SQLite, in this process) with N open event streams (default 200),
// each from its own visitor. Reports the server process's RSS and heap before the streams, with them open, and after
// one change has reached every stream; then closes them and checks that none is left open.
//
//   npm run build && node scripts/stream-memory.mjs [--streams=200]
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import session from "express-session";
import { createSessionManager, createWorkflowStore } from "../dist/lib/index.js";

const P = "/manage/sessions";
const FLOW = "memory_flow";
const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=")));
const STREAMS = Number(args.streams ?? 200);

const dir = mkdtempSync(join(tmpdir(), "ews-streams-"));
const store = await createWorkflowStore({ filename: join(dir, "workflow_state.db") });
const app = express();
app.use(session({ secret: "memory check", resave: false, saveUninitialized: false }));
app.use(createSessionManager({ store, flowId: FLOW, events: { maxConnections: STREAMS } }));
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const { port } = server.address();
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
function measure(label) {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  console.log(`${label.padEnd(36)} rss ${megabytes(rss).padStart(9)}  heap ${megabytes(heapUsed).padStart(9)}`);
  return rss;
}

/** Opens one stream; resolves with it once its first bytes (retry:) have come. */
function open() {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: `${P}/events`, agent }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      res.setEncoding("utf8");
      const stream = { req, changes: 0, waiting: undefined };
      res.on("data", (chunk) => {
        if (chunk.includes("event: change")) {
          stream.changes++;
          stream.waiting?.();
        }
        resolve(stream);
      });
    });
    req.on("error", reject);
  });
}

const before = measure("before (server, no stream)");
const streams = [];
for (let i = 0; i < STREAMS; i++) streams.push(await open());
const opened = measure(`${STREAMS} streams open`);
await store.createSession(FLOW, { label: "seen by nobody: a store write publishes nothing" });
// A change through the manager's own route reaches every stream (no owner option: all see the flow).
const page = await fetch(`http://127.0.0.1:${port}${P}`);
const cookie = page.headers.getSetCookie()[0].split(";")[0];
const token = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())[1];
const reached = Promise.all(streams.map((stream) => (stream.changes > 0 ? undefined : new Promise((resolve) => (stream.waiting = resolve)))));
await fetch(`http://127.0.0.1:${port}${P}/create`, { method: "POST", headers: { cookie, "X-CSRF-Token": token, "HX-Request": "true", Origin: `http://127.0.0.1:${port}` } });
await reached;
const delivered = measure("after one change reached every stream");
for (const stream of streams) stream.req.destroy();
console.log(`per stream: ~${((opened - before) / STREAMS / 1024).toFixed(1)} KB of RSS (server and client sockets in one process)`);
console.log(`change delivered to ${streams.filter((stream) => stream.changes > 0).length} of ${STREAMS} streams; rss after delivery ${megabytes(delivered)}`);
server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await store.close();
rmSync(dir, { recursive: true, force: true });
