import type { Request, Response } from "express";
import { StreamLimitError } from "../errors.js";
import type { ResolvedEventsOptions } from "../events-options.js";
import { changeFeedOf, type SessionChange } from "../service/change-feed.js";
import type { RouteContext } from "./route-context.js";

/** How often an idle stream sends a comment, so that proxies and browsers keep it open (and a closed one is noticed). */
export const HEARTBEAT_MS = 25_000;
/** The reconnection delay the stream asks the browser for (`retry:`), in milliseconds. */
export const RECONNECT_MS = 3_000;
/** The `Retry-After` of a stream refused over `events.maxConnections`, in seconds. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/** The event every change is sent as: `event: change`, its data `{"action": …, "sessionIds": […]}`. */
export const CHANGE_EVENT = "change";

/** The live updates' route. */
export interface EventRoutes {
  /** `GET {prefix}/events`: the server-sent-events stream of the visitor's owner's changes in this flow. */
  streamEvents(req: Request, res: Response): Promise<void>;
  /** How many streams this manager has open now. */
  readonly openStreams: number;
}

/**
 * The stream of one manager, at most `maxConnections` open at once. A stream subscribes to the store's
 * {@link changeFeedOf change feed} for its flow and its visitor's owner, so it carries only that owner's changes
 * (and the "something changed" of another process, which names no session). It holds no database connection: the
 * feed watches the database once for every stream of the process. Closing the response (the browser leaving, the
 * host's server closing it) ends the subscription and the heartbeat; no timer of it keeps the process alive.
 */
export function eventRoutes(context: RouteContext, options: ResolvedEventsOptions): EventRoutes {
  const { store, flowId } = context.config;
  const feed = changeFeedOf(store);
  let open = 0;

  async function streamEvents(req: Request, res: Response): Promise<void> {
    // Signed out answers 401 (or the sign-in redirect) before anything is sent, like every route.
    const { owner } = context.scopeOf(req);
    if (open >= options.maxConnections) throw new StreamLimitError(options.maxConnections, STREAM_RETRY_AFTER_SECONDS);
    res.status(200).set({ "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    open++;
    let ended = false;
    const write = (text: string) => {
      if (ended) return;
      res.write(text);
      // A host's compression middleware buffers until flushed.
      (res as Response & { flush?: () => void }).flush?.();
    };
    const subscription = feed.subscribe({ flowId, owner }, (change: SessionChange) => {
      write(`event: ${CHANGE_EVENT}\ndata: ${JSON.stringify({ action: change.action, sessionIds: change.sessionIds })}\n\n`);
    });
    const heartbeat = setInterval(() => {
      // A server that stopped listening (server.close()) waits for open responses: end this one for it.
      if ((req.socket as { server?: { listening?: boolean } }).server?.listening === false) finish();
      else write(": heartbeat\n\n");
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const cleanUp = () => {
      if (ended) return;
      ended = true;
      open--;
      clearInterval(heartbeat);
      subscription.unsubscribe();
    };
    const finish = () => {
      cleanUp();
      res.end();
    };
    res.on("close", cleanUp);
    req.socket.setNoDelay(true);
    await subscription.ready;
    // The first bytes go once the database is watched, so a change made after them is never missed.
    if (!ended) res.flushHeaders();
    write(`retry: ${RECONNECT_MS}\n: open\n\n`);
  }

  return {
    streamEvents,
    get openStreams() {
      return open;
    },
  };
}
