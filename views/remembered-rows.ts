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

/** How many renders of one session's row are kept side by side: a sort and back, two visitors' Active badge. */
const VERSIONS_PER_ROW = 4;

/**
 * The HTML of recently rendered rows, a few for each slot (a session) with the inputs each was rendered from, so a
 * row asked again unchanged is one string instead of a template of about 45 bindings rendered and escaped again (most
 * of a list request's cost, docs/benchmark.md). Least recently used slots go first once what they hold adds up to
 * {@link maxSize} bytes (see {@link sizeOf}). Only a view whose inputs really hold everything it shows may use it:
 * the built-in row view does (see `rowView()`).
 */
export class RememberedRows {
  private readonly rows: LRUCache<string, readonly RememberedRow[]>;

  constructor(readonly maxSize: number) {
    this.rows = new LRUCache({ maxSize, sizeCalculation: (versions, slot) => versions.reduce((sum, row) => sum + sizeOf(row), 2 * slot.length) });
  }

  /**
   * The row for `slot`: the `keyed()` of a row remembered there that was rendered from inputs equal to `inputs` one
   * by one (`===`), which both renderers write as it is; otherwise the template `build()` gives, wrapped so that the
   * fast renderer remembers what it renders in that slot, beside the {@link VERSIONS_PER_ROW} latest there.
   */
  row<T>(slot: string, inputs: readonly unknown[], build: () => T): ReturnType<typeof keyed> {
    const versions = this.rows.get(slot);
    if (versions) for (const row of versions) if (sameInputs(row.inputs, inputs)) return row.directive;
    return keyed(new RowRecording(this, slot, inputs), build());
  }

  /** Remembers a row in `slot`, first of its versions, forgetting the least recently used slots beyond the bound. */
  remember(slot: string, row: RememberedRow): void {
    const versions = this.rows.get(slot) ?? [];
    this.rows.set(slot, [row, ...versions.slice(0, VERSIONS_PER_ROW - 1)]);
  }

  /** The rows remembered now, every version counted. */
  get size(): number {
    let size = 0;
    for (const versions of this.rows.values()) size += versions.length;
    return size;
  }

  /** Forgets every row. */
  clear(): void {
    this.rows.clear();
  }
}

/**
 * About the memory a remembered row holds: its HTML (counted at two bytes a character unless its UTF-8 length shows
 * it is all ASCII), its bytes, and its inputs (8 bytes each, and the strings they keep).
 */
function sizeOf(row: RememberedRow): number {
  let size = row.bytes.length + (row.bytes.length === row.html.length ? 1 : 2) * row.html.length + 8 * row.inputs.length;
  for (const input of row.inputs) if (typeof input === "string") size += input.length;
  return size;
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
