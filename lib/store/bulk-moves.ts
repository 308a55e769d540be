import type { WalCheckpointer } from "./wal-checkpointer.js";

/**
 * The moves of many sessions under way in one store (a delete, restore or purge of all matching, chunk by chunk),
 * by flow. While one runs, the list's landmarks are not rebuilt after each chunk (the set they had serves, off by at
 * most the rows moved since it was built), since a rebuild walks the whole index and a move changes the table every
 * few milliseconds; they are rebuilt once, at the next use after the move. On SQLite, the WAL checkpoints move to a
 * worker thread for as long as any move runs (see {@link WalCheckpointer}).
 */
export class BulkMoves {
  private readonly running = new Map<string, number>();
  private moves = 0;

  /** @param checkpointer - SQLite's: takes the WAL checkpoints off the event loop while moves run */
  constructor(private readonly checkpointer?: WalCheckpointer) {}

  /** Runs `work` as a move of many sessions of the flow: {@link active} is true for the flow until it settles. */
  async run<T>(flowId: string, work: () => Promise<T>): Promise<T> {
    this.running.set(flowId, (this.running.get(flowId) ?? 0) + 1);
    try {
      if (this.moves++ === 0) await this.checkpointer?.begin();
      return await work();
    } finally {
      const left = this.running.get(flowId)! - 1;
      if (left === 0) this.running.delete(flowId);
      else this.running.set(flowId, left);
      if (--this.moves === 0) await this.checkpointer?.end();
    }
  }

  /** Called after each chunk of a move commits: asks for a WAL checkpoint off the event loop. */
  chunkCommitted(): void {
    this.checkpointer?.nudge();
  }

  /** True while a move of many sessions of the flow runs in this store. */
  active(flowId: string): boolean {
    return this.running.has(flowId);
  }
}
