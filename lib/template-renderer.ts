import { noChange, nothing } from "lit-html";

// The scanner below is lit-html's own (`getTemplateHtml()` in lit-html 3, BSD-3-Clause, Copyright Google LLC): the
// same regular expressions and state transitions decide where each binding of a template sits, so a template means
// here exactly what it means to Lit and to @lit-labs/ssr.
const SPACE_CHAR = "[ \t\n\f\r]";
const ATTR_VALUE_CHAR = "[^ \t\n\f\r\"'`<>=]";
const NAME_CHAR = "[^\\s\"'>=/]";
const textEndRegex = /<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g;
const commentEndRegex = /-->/g;
const comment2EndRegex = />/g;
const tagEndRegex = new RegExp(`>|${SPACE_CHAR}(?:(${NAME_CHAR}+)(${SPACE_CHAR}*=${SPACE_CHAR}*(?:${ATTR_VALUE_CHAR}|("|')|))|$)`, "g");
const singleQuoteAttrEndRegex = /'/g;
const doubleQuoteAttrEndRegex = /"/g;
const rawTextElement = /^(?:script|style|textarea|title)$/i;
// Raw-text elements whose content is escaped text, as @lit-labs/ssr renders bindings in them.
const escapedRawTextElement = /^(?:textarea|title)$/i;
// Where an unquoted attribute value ends, as an HTML parser reads it.
const unquotedValue = /^[^ \t\n\f\r>]*/;

/** A binding in text: consumes one value. */
interface ChildOp {
  readonly kind: "child";
}
/** An attribute with one or more bindings in its value: consumes `strings.length - 1` values. */
interface AttributeOp {
  readonly kind: "attribute" | "boolean";
  readonly name: string;
  readonly strings: readonly string[];
}
type Op = string | ChildOp | AttributeOp;

const CHILD: ChildOp = { kind: "child" };

/** Thrown (and caught by the caller, which renders with @lit-labs/ssr instead) for what this renderer leaves out. */
export class UnsupportedTemplateError extends Error {
  override name = "UnsupportedTemplateError";
}

const compiled = new WeakMap<TemplateStringsArray, readonly Op[] | UnsupportedTemplateError>();

/**
 * Renders a server-only Lit template (`html` from `@lit-labs/ssr`) to its HTML string: the output @lit-labs/ssr
 * gives for it, at a fraction of the cost, except that characters outside ASCII in the static HTML are written as
 * character references (see {@link toAsciiReferences}), which parse to the same document. Each template's static strings are analysed once; after
 * that a render is string concatenation with escaping. Text and attribute bindings, boolean (`?name`) attributes,
 * nested server-only templates, iterables, `nothing` and `noChange` are supported. Anything else (directives,
 * hydratable `lit-html` templates, property or event bindings, bindings in comments or in `<script>`/`<style>`)
 * throws {@link UnsupportedTemplateError}, for the caller to fall back on @lit-labs/ssr.
 */
export function renderTemplateToString(template: unknown): string {
  if (!isServerOnlyTemplate(template)) throw new UnsupportedTemplateError("The top-level value is not a server-only template.");
  return renderTemplate(template);
}

interface ServerOnlyTemplate {
  _$litType$: 1;
  _$litServerRenderMode: 1;
  strings: TemplateStringsArray;
  values: readonly unknown[];
}

// Lit trusts only a real template strings array (an array with its own `raw`, as a tagged template literal makes), so
// an object that merely looks like a template, e.g. parsed from JSON, is never taken for markup; neither is it here.
function isServerOnlyTemplate(value: unknown): value is ServerOnlyTemplate {
  if (typeof value !== "object" || value === null) return false;
  const { _$litType$, _$litServerRenderMode, strings, values } = value as ServerOnlyTemplate;
  return _$litType$ === 1 && _$litServerRenderMode === 1 && Array.isArray(strings) && Object.hasOwn(strings, "raw") && Array.isArray(values);
}

function renderTemplate({ strings, values }: ServerOnlyTemplate): string {
  let ops = compiled.get(strings);
  if (ops === undefined) {
    try {
      ops = compile(strings);
    } catch (error) {
      // Remembered, so a template this renderer leaves to @lit-labs/ssr is not analysed again on every render.
      if (error instanceof UnsupportedTemplateError) compiled.set(strings, error);
      throw error;
    }
    compiled.set(strings, ops);
  }
  if (ops instanceof UnsupportedTemplateError) throw ops;
  let html = "";
  let index = 0;
  for (const op of ops) {
    if (typeof op === "string") {
      html += op;
    } else if (op.kind === "child") {
      html += renderChild(values[index++]);
    } else {
      html += (op.kind === "boolean" ? booleanAttribute(op, values[index]) : attributeValue(op, values, index)) ?? "";
      index += op.strings.length - 1;
    }
  }
  return html;
}

function renderChild(value: unknown): string {
  if (typeof value === "string") return escapeHtml(value);
  if (value === undefined || value === null || value === nothing || value === noChange) return "";
  if (typeof value !== "object" && typeof value !== "function") return escapeHtml(String(value));
  if (isServerOnlyTemplate(value)) return renderTemplate(value);
  if (isSpecial(value)) throw new UnsupportedTemplateError("A directive, a hydratable template or a compiled template.");
  if (typeof (value as Iterable<unknown>)[Symbol.iterator] === "function") {
    let html = "";
    for (const item of value as Iterable<unknown>) html += renderChild(item);
    return html;
  }
  return escapeHtml(String(value));
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
  if (strings.length === 2 && strings[0] === "" && strings[1] === "") {
    // The whole value is one binding, as lit-html's AttributePart commits it.
    const value = values[index];
    if (value === nothing || value === noChange) return undefined;
    refuseSpecial(value);
    const text = typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
    return `${name}="${escapeHtml(text)}"`;
  }
  // Several bindings in one value, concatenated as lit-html's AttributePart does; `nothing` in any removes it.
  let text = strings[0]!;
  for (let i = 0; i < strings.length - 1; i++) {
    let value = values[index + i];
    if (value === nothing) return undefined;
    if (value === noChange) value = "";
    refuseSpecial(value);
    text += (value ?? "") + strings[i + 1]!;
  }
  return `${name}="${escapeHtml(text)}"`;
}

function booleanAttribute(op: AttributeOp, value: unknown): string | undefined {
  refuseSpecial(value);
  return value && value !== nothing && value !== noChange ? op.name : undefined;
}

// Elements whose content an HTML parser does not decode character references in, and CDATA sections.
const rawText = /<(?:script|style|xmp|iframe|noembed|noframes|noscript|plaintext)\b|<!\[CDATA\[/i;
// A tag or attribute name with a character outside ASCII (never decoded there), or what could be one: such a
// template's static text is left as it is.
const nonAsciiName = /<\/?[A-Za-z][^\s>]*[^\0-\x7f]|[^\0-\x7f][^\s"'>\/=]*[ \t\n\f\r]*=/;

/**
 * Writes every character outside ASCII as a numeric character reference (`–` as `&#8211;`), which an HTML parser
 * turns back into the same character in text and attribute values. The static HTML of a template goes out this way
 * (unless it has elements where references are not decoded, see `rawText`), so a page whose data is ASCII is one
 * ASCII string: V8 then keeps it one byte per character and encodes it for the socket several times faster.
 */
export function toAsciiReferences(html: string): string {
  return /[^\0-\x7f]/.test(html) ? html.replace(/[^\0-\x7f]/gu, (char) => `&#${char.codePointAt(0)};`) : html;
}

/**
 * The same ASCII text as a string of its own: a slice of a template literal that has a non-ASCII character anywhere
 * is stored two bytes per character by V8, and one such piece would make the whole page two-byte.
 */
function oneByte(ascii: string): string {
  return Buffer.from(ascii, "latin1").toString("latin1");
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapable = /[&<>"']/;

/** Escapes `&<>"'` as @lit-labs/ssr does, for text and attribute values alike. */
export function escapeHtml(text: string): string {
  return escapable.test(text) ? text.replace(/[&<>"']/g, (char) => ESCAPES[char]!) : text;
}

/**
 * Splits a template's static strings into static HTML and the parts its values go in, with lit-html's scanner.
 * The static HTML is the template's own text; an attribute with bindings is cut out (from its name to the end of its
 * value) and rendered as `name="value"`, which is what @lit-labs/ssr emits.
 */
function compile(strings: TemplateStringsArray): Op[] {
  const ops: Op[] = [];
  let pending = "";
  const emit = (op: ChildOp | AttributeOp) => {
    if (pending !== "") ops.push(pending);
    pending = "";
    ops.push(op);
  };
  let regex = textEndRegex;
  let rawTextEndRegex: RegExp | undefined;
  let rawTextName = "";
  // The attribute whose value is still open at the end of the previous string.
  let open: { name: string; kind: AttributeOp["kind"]; quote: string; strings: string[] } | undefined;

  const last = strings.length - 1;
  for (let i = 0; i <= last; i++) {
    const s = strings[i]!;
    // Where the static HTML of `s` starts: after the end of an attribute value the previous string left open.
    let start = 0;
    if (open) {
      let end: number;
      if (open.quote !== "") {
        end = s.indexOf(open.quote);
        start = end + 1;
      } else if (s.startsWith("/>")) {
        // lit-html separates an unquoted value from a self-closing `/>` with a space, and so does the output.
        end = start = 0;
      } else {
        end = start = unquotedValue.exec(s)![0].length;
      }
      if (end === -1) {
        // The value goes on past this string: it is the text between two bindings of the same attribute.
        if (i === last) throw new UnsupportedTemplateError("An attribute value that never ends.");
        open.strings.push(s);
        start = s.length;
      } else {
        open.strings.push(s.slice(0, end));
        const { kind, name, strings: parts } = open;
        if (kind === "boolean" && (parts.length !== 2 || parts[0] !== "" || parts[1] !== "")) {
          throw new UnsupportedTemplateError("A boolean attribute with text or several bindings in its value.");
        }
        // An HTML parser decodes character references (and normalises CR and NUL) in an attribute's value before
        // @lit-labs/ssr escapes it again; rather than re-implement that, such rare values are left to it.
        if (parts.some((part) => /[&\r\0]/.test(part))) throw new UnsupportedTemplateError("A character reference around a binding in an attribute value.");
        emit({ kind, name, strings: parts });
        open = undefined;
        if (s.startsWith("/>") && end === 0 && start === 0) pending = " ";
      }
    }
    if (i === last) {
      // lit-html ends a template whose last string is empty with `<?>` (a bogus comment); so does the output.
      pending += s === "" ? "<?>" : s.slice(start);
      break;
    }

    let attrNameEndIndex = -1;
    let attrName = "";
    let quote = "";
    let valueStart = 0;
    let lastIndex = 0;
    let match: RegExpExecArray | null;
    while (lastIndex < s.length) {
      regex.lastIndex = lastIndex;
      match = regex.exec(s);
      if (match === null) break;
      lastIndex = regex.lastIndex;
      if (regex === textEndRegex) {
        if (match[1] === "!--") {
          regex = commentEndRegex;
        } else if (match[1] !== undefined) {
          regex = comment2EndRegex;
        } else if (match[2] !== undefined) {
          // @lit-labs/ssr renders a registered custom element itself (its shadow root, its attributes).
          const registry = (globalThis as { customElements?: { get(name: string): unknown } }).customElements;
          if (match[2].includes("-") && registry?.get(match[2].toLowerCase()) !== undefined) {
            throw new UnsupportedTemplateError(`The registered custom element <${match[2]}>.`);
          }
          if (rawTextElement.test(match[2])) {
            rawTextEndRegex = new RegExp(`</${match[2]}`, "g");
            rawTextName = match[2];
          }
          regex = tagEndRegex;
        } else if (match[3] !== undefined) {
          throw new UnsupportedTemplateError("A binding in a tag name.");
        }
      } else if (regex === tagEndRegex) {
        if (match[0] === ">") {
          regex = rawTextEndRegex ?? textEndRegex;
          attrNameEndIndex = -1;
        } else if (match[1] === undefined) {
          attrNameEndIndex = -2;
        } else {
          attrNameEndIndex = lastIndex - match[2]!.length;
          attrName = match[1];
          quote = match[3] ?? "";
          // The value starts after the opening quote, or (unquoted) at the value character the match took, if any.
          valueStart = quote !== "" || /[ \t\n\f\r=]$/.test(match[2]!) ? lastIndex : lastIndex - 1;
          regex = quote === "" ? tagEndRegex : quote === '"' ? doubleQuoteAttrEndRegex : singleQuoteAttrEndRegex;
        }
      } else if (regex === doubleQuoteAttrEndRegex || regex === singleQuoteAttrEndRegex) {
        regex = tagEndRegex;
      } else if (regex === commentEndRegex || regex === comment2EndRegex) {
        regex = textEndRegex;
      } else {
        regex = tagEndRegex;
        rawTextEndRegex = undefined;
      }
    }

    if (open) {
      // Still inside the value of the attribute the previous binding opened: this binding is its next one.
      if (attrNameEndIndex !== -1) throw new UnsupportedTemplateError("An attribute binding in an unsupported place.");
    } else if (regex === textEndRegex) {
      pending += s.slice(start);
      emit(CHILD);
    } else if (regex === rawTextEndRegex) {
      if (!escapedRawTextElement.test(rawTextName)) throw new UnsupportedTemplateError(`A binding inside <${rawTextName}>.`);
      pending += s.slice(start);
      emit(CHILD);
    } else if (attrNameEndIndex >= 0) {
      // The binding must sit in the value of the last attribute the scanner saw, and that value must still be open:
      // in `class="row" data-${k}="1"` or `title=x data-${k}=1` it is not, and lit-html would misread the template.
      const valueOpen =
        quote === ""
          ? unquotedValue.exec(s.slice(valueStart))![0].length === s.length - valueStart
          : regex === doubleQuoteAttrEndRegex || regex === singleQuoteAttrEndRegex;
      if (!valueOpen) throw new UnsupportedTemplateError("A binding in an attribute name.");
      const prefix = attrName[0];
      if (prefix === "." || prefix === "@") throw new UnsupportedTemplateError("A property or event binding in a server-only template.");
      const nameStart = attrNameEndIndex - attrName.length;
      if (nameStart < start) throw new UnsupportedTemplateError("An attribute binding in an unsupported place.");
      pending += s.slice(start, nameStart);
      open = { name: prefix === "?" ? attrName.slice(1) : attrName, kind: prefix === "?" ? "boolean" : "attribute", quote, strings: [s.slice(valueStart)] };
    } else {
      throw new UnsupportedTemplateError("A binding in a comment, in attribute-name position, or twice in an unquoted value.");
    }
  }
  if (pending !== "") ops.push(pending);
  return strings.some((s) => rawText.test(s) || nonAsciiName.test(s)) ? ops : ops.map((op) => (typeof op === "string" ? oneByte(toAsciiReferences(op)) : op));
}
