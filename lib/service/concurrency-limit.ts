/**
 * Runs at most `max` tasks at once; the others wait, first come first served, each for a later turn of the event
 * loop. The session service runs list
 * windows with a search through one, so that many costly searches at once queue behind each other instead of in
 * front of every other request on the event loop.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** @param max - the most tasks that run at once (at least 1) */
  constructor(private readonly max: number) {}

  /** Runs `task` once fewer than `max` tasks are running, and gives its result. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // The next task starts on a later turn of the event loop, never in this one's microtasks: with a synchronous
      // driver (better-sqlite3) a whole queue of tasks would otherwise run back to back before any other request is
      // even read from its socket.
      const next = this.waiting.shift();
      if (next) setImmediate(next);
      else this.running--;
    }
  }
}
