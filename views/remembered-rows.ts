import { keyed } from "lit-html/directives/keyed.js";
import { unsafeHTML } from "lit-html/directives/unsafe-html.js";
import { LRUCache } from "lru-cache";

/**
 * A row's render that {@link RememberedRows} asks the renderer to remember: the key of a `keyed()` around the row's
 * template. The fast renderer (`lib/render/template-renderer.ts`) gives it the HTML it rendered; @lit-labs/ssr, which
 * renders `keyed(key, value)` as its value, never does, so a view rendered there is simply not remembered.
 */
export class RowRecording {
  constructor(
    private readonly rows: RememberedRows,
    private readonly slot: string,
    private readonly inputs: readonly unknown[],
  ) {}

  /** Remembers `html`, the row's template rendered, and returns it as a {@link RememberedRow}. */
  record(html: string): RememberedRow {
    const row = new RememberedRow(html, this.inputs);
    this.rows.remember(this.slot, row);
    return row;
  }
}

/**
 * A remembered row: its HTML, the same as UTF-8 bytes, and the `keyed()` that stands for it in a view. The fast
 * renderer writes {@link html} (or, rendering to chunks, {@link bytes}, so a remembered row is never encoded again);
 * @lit-labs/ssr renders the `keyed()`'s value, the same HTML as `unsafeHTML()`. A host's own `unsafeHTML()` is still
 * left to @lit-labs/ssr, which renders custom elements in it.
 */
export class RememberedRow {
  readonly bytes: Buffer;
  /** What a view returns for this row: one object for every request that shows it. */
  readonly directive: ReturnType<typeof keyed>;

  constructor(
    readonly html: string,
    /** What the row was rendered from (see {@link RememberedRows.row}). */
    readonly inputs: readonly unknown[],
  ) {
    // Its own memory, not a slice of Node's shared 8 KB pool (where `Buffer.from()` puts a short string): a row kept
    // for long would otherwise keep the whole slab it shares with short-lived buffers.
    this.bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(html));
    this.bytes.write(html);
    this.directive = keyed(this, unsafeHTML(html));
  }
}

/**
 * The HTML of recently rendered rows, one for each slot (a session), with the inputs it was rendered from, so a row
 * asked again unchanged is one string instead of a template of about 45 bindings rendered and escaped again (most of
 * a list request's cost, docs/benchmark.md). Least recently used rows go first once their slots, HTML and bytes add
 * up to {@link maxSize} (characters and bytes counted alike). Only a view whose inputs really hold everything it
 * shows may use it: the built-in row view does (see `rowView()`).
 */
export class RememberedRows {
  private readonly rows: LRUCache<string, RememberedRow>;

  constructor(readonly maxSize: number) {
    this.rows = new LRUCache({ maxSize, sizeCalculation: (row, slot) => slot.length + row.html.length + row.bytes.length });
  }

  /**
   * The row for `slot`: the `keyed()` of the row remembered there, if it was rendered from inputs equal to `inputs`
   * one by one (`===`), which both renderers write as it is; otherwise the template `build()` gives, wrapped so that
   * the fast renderer remembers what it renders in that slot, in place of what was there.
   */
  row<T>(slot: string, inputs: readonly unknown[], build: () => T): ReturnType<typeof keyed> {
    const row = this.rows.get(slot);
    return row && sameInputs(row.inputs, inputs) ? row.directive : keyed(new RowRecording(this, slot, inputs), build());
  }

  /** Remembers a row in `slot`, forgetting the least recently used rows beyond the bound. */
  remember(slot: string, row: RememberedRow): void {
    this.rows.set(slot, row);
  }

  /** The rows remembered now. */
  get size(): number {
    return this.rows.size;
  }

  /** Forgets every row. */
  clear(): void {
    this.rows.clear();
  }
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
