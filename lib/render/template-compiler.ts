/** How a Lit template is read: its bindings found by parsing it as HTML, once, the way @lit-labs/ssr reads it. */
import { _$LH } from "lit-html/private-ssr-support.js";
import { parse, parseFragment, serialize, type DefaultTreeAdapterMap } from "parse5";

// lit-html's own template preparation, as @lit-labs/ssr uses it: `getTemplateHtml()` turns a template's strings into
// one HTML string with a marker where each binding sits (`<?lit$…$>` in text, `name$lit$="lit$…$"` in an attribute),
// decided by lit-html's scanner. That HTML is then parsed with parse5, as @lit-labs/ssr parses it, and a binding is
// rendered only where the parse finds its marker exactly where the scanner put it.
const { getTemplateHtml, marker, markerMatch, boundAttributeSuffix, HTML_RESULT } = _$LH;

// @lit-labs/ssr 4.1's rule (render-value.js) for the server-only templates it parses as a whole document.
const PAGE_LEVEL = /^(\s|<!--[^(-->)]*-->)*(<(!doctype|html|head|body))/i;
// The elements whose text @lit-labs/ssr searches for markers in a server-only template (any namespace, as it does).
const RAW_TEXT_ELEMENTS = /^(title|textarea|script|style)$/;
// HTML elements whose text content an HTML parser does not decode character references in.
const UNDECODED_TEXT_ELEMENTS = new Set(["script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"]);
const HTML_NAMESPACE = "http://www.w3.org/1999/xhtml";
// Where an attribute name ends in the source, as the HTML tokenizer reads it (its first character may be `=`).
const ATTRIBUTE_NAME = /^.[^\t\n\f\r />=]*/s;

type Node = DefaultTreeAdapterMap["node"];
type ParentNode = DefaultTreeAdapterMap["parentNode"];
type Element = DefaultTreeAdapterMap["element"];
type Template = DefaultTreeAdapterMap["template"];

/** A binding in text: consumes one value. */
export interface ChildOp {
  readonly kind: "child";
}
/** An attribute with one or more bindings in its value: consumes `strings.length - 1` values. */
export interface AttributeOp {
  readonly kind: "attribute" | "boolean";
  /** The attribute's name as written in the template (without the `?` of a boolean attribute). */
  readonly name: string;
  /** The static text around the bindings, decoded by the parse, then escaped as @lit-labs/ssr escapes it. */
  readonly strings: readonly string[];
  /** True when the whole value is one binding (`name=${v}`), the common case, rendered without a loop. */
  readonly single: boolean;
  /** `name="`: what the attribute's output starts with, joined once here rather than on every render. */
  readonly open: string;
}
export type Op = string | ChildOp | AttributeOp;

export const CHILD: ChildOp = { kind: "child" };

/** Thrown (and caught by the caller, which renders with @lit-labs/ssr instead) for what this renderer leaves out. */
export class UnsupportedTemplateError extends Error {
  override name = "UnsupportedTemplateError";
}

/**
 * Thrown for a template that is never rendered: lit-html's scanner and the HTML parser disagree about where one of
 * its bindings sits (say `<a class="x"title="Next >" data-label=${v}>`), or @lit-labs/ssr would misplace a value.
 * @lit-labs/ssr is not asked either, since where the two readings differ its output can put a value into a tag.
 */
export class UnreadableTemplateError extends Error {
  override name = "UnreadableTemplateError";
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapable = /[&<>"']/;

/** Escapes `&<>"'` as @lit-labs/ssr does, for text and attribute values alike. */
export function escapeHtml(text: string): string {
  return escapable.test(text) ? text.replace(/[&<>"']/g, (char) => ESCAPES[char]!) : text;
}

// A character a numeric reference stands for exactly: outside ASCII, but not U+0080–U+009F (which a parser maps to
// windows-1252, `&#128;` to `€`) nor half of a surrogate pair.
const referable = /[\u00a0-\ud7ff\ue000-\uffff]|[\ud800-\udbff][\udc00-\udfff]/g;

/**
 * Writes characters outside ASCII as numeric character references (`–` as `&#8211;`). Applied only where a parser
 * decodes references, it leaves the document unchanged, and a page whose data is ASCII is then one ASCII string: V8
 * keeps it one byte per character and encodes it for the socket several times faster.
 */
function toAsciiReferences(text: string): string {
  return /[^\0-\x7f]/.test(text) ? text.replace(referable, (char) => `&#${char.codePointAt(0)};`) : text;
}

/**
 * The same ASCII text as a string of its own: a slice of a template literal that has a non-ASCII character anywhere
 * is stored two bytes per character by V8, and one such piece would make the whole page two-byte.
 */
function oneByte(text: string): string {
  return /^[\0-\x7f]*$/.test(text) ? Buffer.from(text, "latin1").toString("latin1") : text;
}

/** A range of the template's HTML that a part replaces, and how many markers (values) must lie in it. */
interface Cut {
  readonly start: number;
  readonly end: number;
  readonly markers: number;
  readonly op: ChildOp | AttributeOp | UnsupportedTemplateError;
}

/**
 * Compiles a template the way @lit-labs/ssr 4.1 does (`getTemplateOpcodes()` in render-value.js): lit-html's
 * `getTemplateHtml()` marks the bindings, parse5 parses the result with source locations, and a walk of the tree
 * finds each part by its marker. The static HTML between the parts is the template's own text. On top of what
 * @lit-labs/ssr checks, every marker must be found by the parse, in order, exactly where the scanner put it.
 */
export function compile(strings: TemplateStringsArray, hydratable: boolean): Op[] {
  const source = () => strings.join("${…}");
  const [trusted, attrNames] = getTemplateHtml(strings, HTML_RESULT as 1);
  const html = String(trusted);
  const markerOffsets: number[] = [];
  for (let at = html.indexOf(marker); at !== -1; at = html.indexOf(marker, at + marker.length)) markerOffsets.push(at);
  // Where the scanner saw text, it wrote `<?marker>`, a comment; elsewhere (a tag, a raw-text element), the bare marker.
  const nodeMarker = `<${markerMatch}>`;
  const inText = (at: number) => html.startsWith(nodeMarker, at - 2);
  if (markerOffsets.length !== strings.length - 1) throw new UnreadableTemplateError(`The template holds lit-html's marker text: ${source()}`);

  const parser = !hydratable && PAGE_LEVEL.test(html) ? parse : parseFragment;
  // The HTML is parsed with a comment after it, which the parse finds as a comment right there only if the template
  // ends in text. One that ends inside a tag, a comment or a raw-text element would take in the markup and values
  // that follow it on the page (its parent template's), where @lit-labs/ssr's reading of it no longer holds.
  const probe = `${marker}end`;
  let endsInText = false;
  const document = parser(`${html}<!--${probe}-->`, { sourceCodeLocationInfo: true });
  const cuts: Cut[] = [];
  const decoded: Array<[number, number]> = [];
  let unsupported: UnsupportedTemplateError | undefined;
  let attrIndex = 0;
  const unreadable = (why: string) => new UnreadableTemplateError(`${why} (the HTML parser and lit-html read this template differently): ${source()}`);

  const visit = (node: Node, parent: ParentNode) => {
    if (node.nodeName === "#comment") {
      const { data, sourceCodeLocation: at } = node as DefaultTreeAdapterMap["commentNode"];
      if (data === probe && at?.startOffset === html.length) endsInText = true;
      if (data !== markerMatch) return;
      // `<!--?${v}-->` parses to the same comment as a binding in text; @lit-labs/ssr would take it for one.
      if (!at || html.slice(at.startOffset, at.endOffset) !== nodeMarker) throw unreadable("A binding in a comment");
      cuts.push({ start: at.startOffset, end: at.endOffset, markers: 1, op: CHILD });
      return;
    }
    if (node.nodeName === "#text") {
      const { sourceCodeLocation: at } = node as DefaultTreeAdapterMap["textNode"];
      const element = parent as Element;
      const decodes = !(element.namespaceURI === HTML_NAMESPACE && UNDECODED_TEXT_ELEMENTS.has(element.tagName));
      if (at && decodes && !html.slice(at.startOffset, at.endOffset).includes("<![CDATA[")) decoded.push([at.startOffset, at.endOffset]);
      return;
    }
    if (!("tagName" in node)) return;
    const element = node as Element;
    const { tagName } = element;
    const location = element.sourceCodeLocation;
    if (tagName.includes("-")) {
      // @lit-labs/ssr renders a registered custom element itself (its shadow root, its attributes).
      const registry = (globalThis as { customElements?: { get(name: string): unknown } }).customElements;
      if (registry?.get(tagName) !== undefined) unsupported ??= new UnsupportedTemplateError(`The registered custom element <${tagName}>.`);
    } else if (tagName === "slot") {
      unsupported ??= new UnsupportedTemplateError("A <slot>, which @lit-labs/ssr renders only in a custom element.");
    }
    for (const attr of element.attrs) {
      const at = location?.attrs?.[attr.name];
      const isAttrBinding = attr.name.endsWith(boundAttributeSuffix);
      if (!isAttrBinding && !attr.name.startsWith(marker)) {
        if (at) decoded.push([at.startOffset + ATTRIBUTE_NAME.exec(html.slice(at.startOffset, at.endOffset))![0].length, at.endOffset]);
        continue;
      }
      if (!at) throw unreadable("A bound attribute without a place in the source");
      if (!isAttrBinding) {
        cuts.push({ start: at.startOffset, end: at.endOffset, markers: 1, op: new UnsupportedTemplateError("An element binding.") });
        continue;
      }
      const written = attrNames[attrIndex++];
      // The parser must see the attribute the scanner saw, starting where it starts: `name$lit$` then the value.
      const nameInSource = ATTRIBUTE_NAME.exec(html.slice(at.startOffset, at.endOffset))![0];
      if (written === undefined || nameInSource !== written + boundAttributeSuffix) throw unreadable(`The attribute ${JSON.stringify(attr.name)}`);
      const parts = attr.value.split(marker);
      const prefix = written[0];
      let op: AttributeOp | UnsupportedTemplateError;
      if (prefix === "." || prefix === "@") {
        op = new UnsupportedTemplateError("A property or event binding.");
      } else if (prefix === "?" && (parts.length !== 2 || parts[0] !== "" || parts[1] !== "")) {
        op = new UnsupportedTemplateError("A boolean attribute with text or several bindings in its value.");
      } else {
        const strings = parts.map((part) => oneByte(toAsciiReferences(escapeHtml(part))));
        const name = prefix === "?" ? written.slice(1) : written;
        const single = strings.length === 2 && strings[0] === "" && strings[1] === "";
        op = { kind: prefix === "?" ? "boolean" : "attribute", name, strings, single, open: oneByte(`${name}="`) };
      }
      cuts.push({ start: at.startOffset, end: at.endOffset, markers: parts.length - 1, op });
    }
    if (!hydratable && RAW_TEXT_ELEMENTS.test(tagName)) {
      // A marker in a raw-text element is text: @lit-labs/ssr finds it in the text's (decoded) value, and takes its
      // index there for its place in the source. Both must agree, or its output would cut the text in the wrong place.
      const dangerous = tagName === "script" || tagName === "style";
      for (const child of element.childNodes) {
        const at = child.sourceCodeLocation;
        if (child.nodeName !== "#text" || !at) throw unreadable(`An element inside <${tagName}>`);
        const value = (child as DefaultTreeAdapterMap["textNode"]).value;
        const inSource = html.slice(at.startOffset, at.endOffset);
        for (let i = value.indexOf(marker); i !== -1; i = value.indexOf(marker, i + marker.length)) {
          if (inSource.indexOf(marker, i) !== i) throw unreadable(`A binding after a character reference or a newline in <${tagName}>`);
          if (inText(at.startOffset + i)) throw unreadable(`A binding in <${tagName}>, which lit-html took for text`);
          const op = dangerous ? new UnsupportedTemplateError(`A binding inside <${tagName}>.`) : CHILD;
          cuts.push({ start: at.startOffset + i, end: at.startOffset + i + marker.length, markers: 1, op });
        }
      }
    } else if (!hydratable && tagName === "template") {
      // Server-only templates look inside <template>, as @lit-labs/ssr does.
      const { content } = element as Template;
      for (const child of content.childNodes) visit(child, content);
    }
    for (const child of element.childNodes) visit(child, element);
  };
  for (const child of document.childNodes) visit(child, document);
  if (!endsInText) throw new UnreadableTemplateError(`The template ends inside a tag, a comment or a raw-text element: ${source()}`);

  // Every marker, in order, in exactly one part, in the parts' order: what @lit-labs/ssr assumes when it gives the
  // values to the parts in the order it walks the tree.
  let next = 0;
  let last = 0;
  for (const cut of cuts) {
    if (cut.start < last) throw unreadable("A binding the parser moves before an earlier one");
    if (next < markerOffsets.length && markerOffsets[next]! < cut.start) throw unreadable("A binding in no attribute value nor text");
    let found = 0;
    for (; next < markerOffsets.length && markerOffsets[next]! < cut.end; next++, found++) {
      if (cut.op !== CHILD && inText(markerOffsets[next]!)) throw unreadable("A binding in an attribute value, which lit-html took for text");
    }
    if (found !== cut.markers) throw unreadable("An attribute whose value the parser reads differently");
    last = cut.end;
  }
  if (next !== markerOffsets.length) throw unreadable("A binding in no attribute value nor text");
  if (unsupported) throw unsupported;
  for (const cut of cuts) if (cut.op instanceof UnsupportedTemplateError) throw cut.op;

  const ascii = asciiWhereDecoded(html, decoded, parser);
  const ops: Op[] = [];
  let offset = 0;
  for (const cut of cuts) {
    if (cut.start > offset) ops.push(ascii(offset, cut.start));
    ops.push(cut.op as ChildOp | AttributeOp);
    offset = cut.end;
  }
  if (offset < html.length) ops.push(ascii(offset, html.length));
  return ops;
}

/**
 * A function giving the text of `html` between two offsets, with non-ASCII characters written as references in the
 * `decoded` ranges (text and attribute values the parse showed are decoded). The rewrite is checked once: the whole
 * rewritten HTML must parse to the same tree as the original; if it does not, the text is given as it is.
 */
function asciiWhereDecoded(
  html: string,
  decoded: Array<[number, number]>,
  parser: (html: string) => ParentNode,
): (from: number, to: number) => string {
  const asIs = (from: number, to: number) => oneByte(html.slice(from, to));
  if (!/[^\0-\x7f]/.test(html)) return asIs;
  const ranges = decoded.filter(([start, end]) => /[^\0-\x7f]/.test(html.slice(start, end))).sort((a, b) => a[0] - b[0]);
  const rewrite = (from: number, to: number) => {
    let text = "";
    let at = from;
    for (const [start, end] of ranges) {
      if (end <= at || start >= to) continue;
      text += html.slice(at, Math.max(start, at)) + toAsciiReferences(html.slice(Math.max(start, at), Math.min(end, to)));
      at = Math.min(end, to);
    }
    return oneByte(text + html.slice(at, to));
  };
  const rewritten = rewrite(0, html.length);
  if (rewritten === html) return asIs;
  const same = serialize(parser(rewritten)) === serialize(parser(html));
  return same ? rewrite : asIs;
}
