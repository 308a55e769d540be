import { ConfigurationError } from "./errors.js";

/** The `events` option of `createSessionManager()`: the live updates' stream, `GET {prefix}/events`. */
export interface EventsOptions {
  /**
   * The most streams this manager keeps open at once (each is one open HTTP response); one more answers 503 with
   * `Retry-After`, and its page reconnects later.
   * @default 1000
   */
  maxConnections?: number;
}

/** The `events` option resolved: the bound on open streams. */
export interface ResolvedEventsOptions {
  readonly maxConnections: number;
}

/** Default of {@link EventsOptions.maxConnections}. */
export const DEFAULT_MAX_EVENT_CONNECTIONS = 1000;

/** Validates the `events` option: `false` turns the stream off (404), `undefined` is the defaults. */
export function resolveEventsOption(events: false | EventsOptions | undefined): ResolvedEventsOptions | false {
  if (events === false) return false;
  if (events === undefined) return Object.freeze({ maxConnections: DEFAULT_MAX_EVENT_CONNECTIONS });
  if (typeof events !== "object" || events === null) {
    throw new ConfigurationError(`The \`events\` option must be false or { maxConnections }, e.g. events: { maxConnections: 1000 }; got ${JSON.stringify(events)}.`);
  }
  const maxConnections = events.maxConnections ?? DEFAULT_MAX_EVENT_CONNECTIONS;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    throw new ConfigurationError(`The \`events.maxConnections\` option must be a whole number, at least 1; got ${JSON.stringify(maxConnections)}. Use events: false to turn the live updates off.`);
  }
  return Object.freeze({ maxConnections });
}
