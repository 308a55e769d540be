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
    private readonly key: string,
  ) {}

  /** Remembers `html`, the row's template rendered. */
  record(html: string): void {
    this.rows.remember(this.key, html);
  }
}

/**
 * A remembered row's HTML, as the key of the `keyed()` that {@link RememberedRows} returns for it: the fast renderer
 * writes {@link html} as it is; @lit-labs/ssr renders the `keyed()`'s value, the same HTML as `unsafeHTML()`. A host's
 * own `unsafeHTML()` is still left to @lit-labs/ssr, which renders custom elements in it.
 */
export class RememberedRow {
  constructor(readonly html: string) {}
}

/**
 * The HTML of recently rendered rows, by a key that holds everything a row shows, so a row asked again unchanged is
 * one string instead of a template of about 45 bindings rendered and escaped again (most of a list request's cost,
 * docs/benchmark.md). Least recently used rows go first once the rows hold {@link maxChars} characters in all.
 * Only a view whose key really holds every input may use it: the built-in row view does (see `rowView()`).
 */
export class RememberedRows {
  private readonly rows: LRUCache<string, string>;

  constructor(readonly maxChars: number) {
    this.rows = new LRUCache({ maxSize: maxChars, sizeCalculation: (html, key) => key.length + html.length });
  }

  /**
   * The row for `key`: its remembered HTML (a {@link RememberedRow}, which both renderers write as it is), or the
   * template `build()` gives, wrapped so that the fast renderer remembers what it renders.
   */
  row<T>(key: string, build: () => T): ReturnType<typeof keyed> {
    const html = this.rows.get(key);
    return html === undefined ? keyed(new RowRecording(this, key), build()) : keyed(new RememberedRow(html), unsafeHTML(html));
  }

  /** Remembers a row's HTML, forgetting the least recently used rows beyond the bound. */
  remember(key: string, html: string): void {
    this.rows.set(key, html);
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
