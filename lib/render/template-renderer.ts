import { noChange, nothing } from "lit-html";
import { keyed } from "lit-html/directives/keyed.js";
import { RememberedRow, RowRecording } from "../../views/remembered-rows.js";
import { compile, escapeHtml, UnreadableTemplateError, UnsupportedTemplateError, type AttributeOp, type Op } from "./template-compiler.js";

export { UnreadableTemplateError, UnsupportedTemplateError } from "./template-compiler.js";

interface LitTemplate {
  _$litType$: 1;
  _$litServerRenderMode?: number;
  strings: TemplateStringsArray;
  values: readonly unknown[];
}

// Compiled templates by their strings: one cache per mode, since @lit-labs/ssr reads a template differently in each.
const serverOnlyOps = new WeakMap<TemplateStringsArray, readonly Op[] | Error>();
const hydratableOps = new WeakMap<TemplateStringsArray, readonly Op[] | Error>();

/**
 * Renders a Lit template (`html` from `@lit-labs/ssr` or from `lit-html`) to its HTML string: the output
 * @lit-labs/ssr gives for it, without the hydration comments it adds to a `lit-html` template, at a fraction of the
 * cost. Each template is parsed once, as @lit-labs/ssr parses it; after that a render is string concatenation with
 * escaping. Characters outside ASCII in static text and attribute values go out as character references (`–` as
 * `&#8211;`), where the parse shows an HTML parser decodes them back. Text and attribute bindings, boolean (`?name`)
 * attributes, nested templates, iterables, `nothing` and `noChange` are supported, as is the `keyed()` with which
 * the built-in row view has its HTML remembered and reused (`views/remembered-rows.ts`); anything else (other
 * directives, property or event bindings, custom elements, bindings in `<script>`/`<style>`) throws
 * {@link UnsupportedTemplateError}, for the caller to fall back on @lit-labs/ssr. A template whose bindings the
 * parser and lit-html's scanner place differently throws {@link UnreadableTemplateError}.
 */
export function renderTemplateToString(template: unknown): string {
  if (!isLitTemplate(template)) throw new UnsupportedTemplateError("The top-level value is not a Lit html template.");
  const out = new TextOutput();
  renderTemplate(template, out);
  return out.text;
}

/**
 * Renders a Lit template as {@link renderTemplateToString} does, straight to UTF-8 bytes, in chunks of about
 * {@link CHUNK_CHARS} characters: the same bytes as `Buffer.from(renderTemplateToString(template))`, without ever
 * joining the page into one string. A window of 50 rows is thousands of pieces; joined, V8 must flatten them into
 * one 200 KB string before encoding it, which cost more than the rest of the encoding (docs/benchmark.md).
 * Throws as {@link renderTemplateToString} does, having returned nothing.
 */
export function renderTemplateToChunks(template: unknown): Buffer[] {
  if (!isLitTemplate(template)) throw new UnsupportedTemplateError("The top-level value is not a Lit html template.");
  const out = new ChunkOutput();
  renderTemplate(template, out);
  return out.finish();
}

/** Where the renderer writes: one string, or UTF-8 chunks. */
interface Output {
  add(text: string): void;
  /** A remembered row: its HTML, or its bytes as they are. */
  addRow(row: RememberedRow): void;
}

class TextOutput implements Output {
  text = "";
  add(text: string): void {
    this.text += text;
  }
  addRow(row: RememberedRow): void {
    this.text += row.html;
  }
}

/** The characters a chunk of {@link renderTemplateToChunks} collects before it is encoded: small enough to stay young. */
const CHUNK_CHARS = 8_192;

class ChunkOutput implements Output {
  private readonly chunks: Buffer[] = [];
  private text = "";
  add(text: string): void {
    this.text += text;
    if (this.text.length >= CHUNK_CHARS) {
      // A high surrogate at the end waits for its pair, so no character is cut in two.
      // Read from the piece just added, not from `this.text`: reading a character of the joined text would make V8
      // flatten it first, which cost a tenth of a list request once rows came whole from `views/remembered-rows.ts`.
      const last = text.charCodeAt(text.length - 1);
      const keep = last >= 0xd800 && last <= 0xdbff ? 1 : 0;
      this.chunks.push(Buffer.from(keep ? this.text.slice(0, -1) : this.text));
      this.text = keep ? this.text.slice(-1) : "";
    }
  }
  addRow(row: RememberedRow): void {
    // The text before the row is encoded first. A row's HTML begins with markup, so a high surrogate at the end of that
    // text has no pair in it to wait for: the bytes are those of the text and the row encoded as one.
    if (this.text !== "") this.chunks.push(Buffer.from(this.text));
    this.text = "";
    this.chunks.push(row.bytes);
  }
  finish(): Buffer[] {
    if (this.text !== "") this.chunks.push(Buffer.from(this.text));
    return this.chunks;
  }
}

/**
 * Throws {@link UnreadableTemplateError} if a template reachable from `value` (through template values and arrays,
 * not through directives) is one this renderer refuses to read. Called before a value goes to @lit-labs/ssr, which
 * would render such a template with a value out of place.
 */
export function assertTemplatesReadable(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) assertTemplatesReadable(item);
  } else if (isLitTemplate(value)) {
    const ops = compiled(value.strings, isHydratable(value));
    if (ops instanceof UnreadableTemplateError) throw ops;
    for (const item of value.values) assertTemplatesReadable(item);
  }
}

// Lit trusts only a real template strings array (an array with its own `raw`, as a tagged template literal makes), so
// an object that merely looks like a template, e.g. parsed from JSON, is never taken for markup; neither is it here.
function isLitTemplate(value: unknown): value is LitTemplate {
  if (typeof value !== "object" || value === null) return false;
  const { _$litType$, strings, values } = value as LitTemplate;
  return _$litType$ === 1 && Array.isArray(strings) && Object.hasOwn(strings, "raw") && Array.isArray(values);
}

const isHydratable = (template: LitTemplate) => template._$litServerRenderMode !== 1;

function compiled(strings: TemplateStringsArray, hydratable: boolean): readonly Op[] | Error {
  const cache = hydratable ? hydratableOps : serverOnlyOps;
  let ops = cache.get(strings);
  if (ops === undefined) {
    try {
      ops = compile(strings, hydratable);
    } catch (error) {
      // Remembered, so a template left to @lit-labs/ssr or refused is not parsed again on every render.
      if (!(error instanceof UnsupportedTemplateError || error instanceof UnreadableTemplateError)) throw error;
      ops = error;
    }
    cache.set(strings, ops);
  }
  return ops;
}

function renderTemplate(template: LitTemplate, out: Output): void {
  const hydratable = isHydratable(template);
  const ops = compiled(template.strings, hydratable);
  if (ops instanceof Error) throw ops;
  const { values } = template;
  let index = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (typeof op === "string") {
      out.add(op);
    } else if (op.kind === "child") {
      const value = values[index++];
      // Text, the most common value, without a call.
      if (typeof value === "string") out.add(escapeHtml(value));
      else renderChild(value, hydratable, out);
    } else {
      const attribute = op.kind === "boolean" ? booleanAttribute(op, values[index]) : attributeValue(op, values, index);
      if (attribute !== undefined) out.add(attribute);
      index += op.strings.length - 1;
    }
  }
}

function renderChild(value: unknown, inHydratable: boolean, out: Output): void {
  if (typeof value === "string") return out.add(escapeHtml(value));
  if (value === undefined || value === null || value === nothing || value === noChange) return;
  if (typeof value !== "object" && typeof value !== "function") return out.add(escapeHtml(String(value)));
  if (isLitTemplate(value)) {
    // @lit-labs/ssr refuses a server-only template inside a hydratable one; it says so itself.
    if (inHydratable && !isHydratable(value)) throw new UnsupportedTemplateError("A server-only template inside a lit-html one.");
    return renderTemplate(value, out);
  }
  if (isSpecial(value)) return renderDirective(value as DirectiveResult, inHydratable, out);
  if (Array.isArray(value)) {
    // An array (a view's `items.map(...)`) by index, without an iterator object.
    for (let i = 0; i < value.length; i++) renderChild(value[i], inHydratable, out);
    return;
  }
  if (typeof (value as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const item of value as Iterable<unknown>) renderChild(item, inHydratable, out);
    return;
  }
  out.add(escapeHtml(String(value)));
}

interface DirectiveResult {
  _$litDirective$?: unknown;
  values?: readonly unknown[];
}

// `keyed()`'s class, which lit-html does not export.
const KEYED = (keyed(null, null) as DirectiveResult)._$litDirective$;

/**
 * The one directive rendered here: the `keyed()` of a row the views remember (`views/remembered-rows.ts`), as
 * @lit-labs/ssr renders it. With a {@link RememberedRow} key it is that row's HTML (or bytes), written as it is; with a
 * {@link RowRecording} key, its template is rendered and handed to the recording. Anything else is left to
 * @lit-labs/ssr.
 */
function renderDirective(value: DirectiveResult, inHydratable: boolean, out: Output): void {
  const [key, template] = value._$litDirective$ === KEYED && Array.isArray(value.values) ? value.values : [];
  if (key instanceof RememberedRow) return out.addRow(key);
  if (key instanceof RowRecording && isLitTemplate(template)) {
    if (inHydratable && !isHydratable(template)) throw new UnsupportedTemplateError("A server-only template inside a lit-html one.");
    const text = new TextOutput();
    renderTemplate(template, text);
    return out.addRow(key.record(text.text));
  }
  throw new UnsupportedTemplateError("A directive, an SVG or compiled template, or a look-alike template.");
}

function isSpecial(value: object): boolean {
  return "_$litType$" in value || "_$litDirective$" in value;
}

/** Leaves an attribute whose value is a directive (or a template) to @lit-labs/ssr. */
function refuseSpecial(value: unknown): void {
  if (typeof value === "object" && value !== null && isSpecial(value)) throw new UnsupportedTemplateError("A directive in an attribute.");
}

function attributeValue(op: AttributeOp, values: readonly unknown[], index: number): string | undefined {
  const { strings, name } = op;
  if (op.single) {
    // The whole value is one binding, as lit-html's AttributePart commits it.
    const value = values[index];
    if (typeof value === "string") return op.open + escapeHtml(value) + '"';
    if (value === nothing || value === noChange) return undefined;
    refuseSpecial(value);
    return op.open + escapeHtml(value === null || value === undefined ? "" : String(value)) + '"';
  }
  // Several bindings in one value, concatenated as lit-html's AttributePart does; `nothing` in any removes it.
  let text = strings[0]!;
  for (let i = 0; i < strings.length - 1; i++) {
    let value = values[index + i];
    if (value === nothing) return undefined;
    if (value === noChange) value = "";
    refuseSpecial(value);
    text += escapeHtml(((value ?? "") as string) + "") + strings[i + 1]!;
  }
  return `${name}="${text}"`;
}

function booleanAttribute(op: AttributeOp, value: unknown): string | undefined {
  refuseSpecial(value);
  return value && value !== nothing && value !== noChange ? op.name : undefined;
}

