/**
 * A change to `workflow_state` that the database reported, made by any connection: another process (the Python
 * app, another Node process or instance) or, on PostgreSQL, this one. `flowPrefix` and `owner` are there when the
 * database said whose sessions changed (PostgreSQL's notifications); without them, something changed somewhere.
 */
export interface StoreChange {
  /** The changed sessions' flow, as their keys begin: `"<flowId>:"`. */
  flowPrefix?: string;
  /** The changed sessions' owner (`null`: sessions without one); absent when not known (then any owner's). */
  owner?: string | null;
}

/** Called for each {@link StoreChange}. */
export type StoreChangeListener = (change: StoreChange) => void;

/** A subscription to the store's changes. */
export interface ChangeSubscription {
  /** Resolves once changes are being watched (the first poll done, or `LISTEN` issued); never rejects. */
  ready: Promise<void>;
  /** Ends the subscription; the last one to end stops the watch. Idempotent. */
  unsubscribe(): void;
}

/** An open notification connection, from a {@link NotificationSource}. */
export interface NotificationConnection {
  /** The schema of the table it watches: notifications of another schema's table are not this store's. */
  schema: string;
  /** The origin the store's own connections write with: their notifications are left out. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Opens one dedicated connection that listens for the change notifications of the table (PostgreSQL's `LISTEN`),
 * calling `onPayload` for each and `onLost` once when the connection breaks.
 */
export type NotificationSource = (onPayload: (payload: string) => void, onLost: () => void) => Promise<NotificationConnection>;

/** The channel the table's trigger notifies on PostgreSQL, with one payload per statement and flow and owner. */
export const CHANGE_CHANNEL = "express_workflow_sessions_changes";

/** How often the change token is read (and a lost notification connection reopened) while someone watches. */
export const CHANGE_POLL_MS = 1000;

/**
 * Watches the database for changes while at least one subscriber is there, and not otherwise: through a dedicated
 * notification connection when the store has a {@link NotificationSource}, else by reading `pollToken` (SQLite's
 * `PRAGMA data_version`) at most once every {@link CHANGE_POLL_MS}. Holds no connection between polls, and its
 * timers never keep the process alive.
 */
export class ChangeWatch {
  private readonly listeners = new Set<StoreChangeListener>();
  // Announced changes held back while their flow and owner are quiet, one timer each (see announce()).
  private readonly quiet = new Map<string, { timer: NodeJS.Timeout; again: boolean }>();
  private running: Promise<void> | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private connection: NotificationConnection | undefined;
  private lastToken: string | undefined;

  /**
   * @param heard - called with each change before the listeners, so what the store remembers by a token that may lag
   *   (PostgreSQL's statistics) is forgotten before a page reads again on hearing of it
   */
  constructor(
    private readonly pollToken: () => Promise<string | undefined>,
    private readonly notifications: NotificationSource | undefined,
    private readonly heard: () => void = () => {},
  ) {}

  /** Subscribes `listener`; the first subscriber starts the watch. */
  subscribe(listener: StoreChangeListener): ChangeSubscription {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.running = this.start(++this.generation);
    let subscribed = true;
    return {
      ready: this.running ?? Promise.resolve(),
      unsubscribe: () => {
        if (!subscribed) return;
        subscribed = false;
        this.listeners.delete(listener);
        if (this.listeners.size === 0) void this.stop();
      },
    };
  }

  /**
   * Tells the listeners, if any, of a write the store made for its host (a workflow's state or step): the watch
   * cannot see it, since SQLite's `data_version` leaves out the store's own connection (and on PostgreSQL the
   * store's own pool is left out of its notifications). At most one a {@link CHANGE_POLL_MS} per flow and owner,
   * as the poll: the first at once, and one more at the end of that time if others came meanwhile (a workflow that
   * saves its state many times a second costs the open pages one refresh a second, not one a write).
   */
  announce(change: StoreChange): void {
    if (!this.watching) return;
    const key = JSON.stringify([change.flowPrefix ?? null, change.owner ?? null]);
    const held = this.quiet.get(key);
    if (held) {
      held.again = true;
      return;
    }
    this.emit(change);
    const entry = {
      again: false,
      timer: setTimeout(() => {
        this.quiet.delete(key);
        if (entry.again && this.watching) this.announce(change);
      }, CHANGE_POLL_MS),
    };
    entry.timer.unref();
    this.quiet.set(key, entry);
  }

  /** Stops watching, whoever is subscribed (the store is closing). */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop();
  }

  private get watching(): boolean {
    return this.listeners.size > 0;
  }

  private emit(change: StoreChange): void {
    this.heard();
    for (const listener of [...this.listeners]) listener(change);
  }

  private async start(generation: number): Promise<void> {
    if (this.notifications) await this.connect(generation);
    else await this.poll(generation, true);
  }

  private async stop(): Promise<void> {
    this.generation++;
    for (const { timer } of this.quiet.values()) clearTimeout(timer);
    this.quiet.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastToken = undefined;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  private later(generation: number, step: () => Promise<void>): void {
    if (generation !== this.generation || !this.watching) return;
    this.timer = setTimeout(() => void step(), CHANGE_POLL_MS);
    this.timer.unref();
  }

  /** Reads the token; a moved token is a change. A failed read (database busy, closed) waits for the next poll. */
  private async poll(generation: number, first = false): Promise<void> {
    const token = await this.pollToken().catch(() => undefined);
    if (generation !== this.generation) return;
    if (!first && token !== undefined && this.lastToken !== undefined && token !== this.lastToken) this.emit({});
    if (token !== undefined) this.lastToken = token;
    this.later(generation, () => this.poll(generation));
  }

  /** Opens the notification connection; one that fails or breaks is reopened a poll later, with a change then. */
  private async connect(generation: number, reopened = false): Promise<void> {
    let lost = false;
    const onLost = () => {
      if (lost || generation !== this.generation) return;
      lost = true;
      this.connection = undefined;
      this.later(generation, () => this.connect(generation, true));
    };
    try {
      let own: NotificationConnection | undefined;
      const connection = await this.notifications!((payload) => {
        const change = generation === this.generation && own !== undefined ? parsePayload(payload, own) : undefined;
        if (change) this.emit(change);
      }, onLost);
      own = connection;
      if (generation !== this.generation) {
        await connection.close().catch(() => undefined);
        return;
      }
      this.connection = connection;
      // Whatever changed while there was no connection is missed: say that something did.
      if (reopened) this.emit({});
    } catch {
      onLost();
    }
  }
}

/**
 * The trigger's payload, `{"s": schema, "f": "<flow>:", "o": owner, "w": origin}`: `undefined` for another schema's
 * table or the store's own write; anything else (`{}` for a payload too long) is "something changed".
 */
function parsePayload(payload: string, { schema, origin }: NotificationConnection): StoreChange | undefined {
  try {
    const parsed = JSON.parse(payload) as { s?: unknown; f?: unknown; o?: unknown; w?: unknown };
    if ((typeof parsed.s === "string" && parsed.s !== schema) || parsed.w === origin) return undefined;
    if (typeof parsed.f === "string" && (typeof parsed.o === "string" || parsed.o === null)) return { flowPrefix: parsed.f, owner: parsed.o };
  } catch {
    // Not ours, or cut: treated as a change of unknown sessions.
  }
  return {};
}
