/**
 * Lets at most `max` holders in at once; the others wait, first come first served, each for a later turn of the event
 * loop. The manager's router admits its search requests through one (see `lib/http/search-admission.ts`), so that
 * many costly searches at once queue behind each other instead of in front of every other request on the event loop.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** @param max - the most holders at once (at least 1) */
  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`A concurrency limit must be a whole number of at least 1, not ${max}`);
  }

  /** How many hold a turn now, and how many wait for one. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * Resolves once the caller holds a turn, with the function that gives it back. Calling that function more than
   * once gives the turn back only once.
   */
  async acquire(): Promise<() => void> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      // The next holder starts on a later turn of the event loop, never in this one's microtasks: with a synchronous
      // driver (better-sqlite3) a whole queue of holders would otherwise run back to back before any other request is
      // even read from its socket. The turn passes straight to it, so no newcomer can overtake the queue.
      const next = this.waiting.shift();
      if (next) setImmediate(next);
      else this.running--;
    };
  }

  /** Runs `task` once it holds a turn, gives the turn back when `task` settles, and gives `task`'s result. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
