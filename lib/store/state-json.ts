/**
 * The text of `state_json`, in the JSON dialect of Python's `json` module, which `cjm-workflow-state` writes with
 * `json.dumps`: standard JSON plus the constants `NaN`, `Infinity` and `-Infinity`. Merges edit that text instead of
 * re-encoding it, so every value a write does not touch keeps its exact bytes: integers beyond 2^53 or 64 bits,
 * escaped lone surrogates (`"\udce9"`), keys holding `\u0000`, and the constants above.
 */

/** One `"key": value` member of an object in the text: where it starts, where its value starts, where it ends. */
export interface Member {
  key: string;
  start: number;
  keyEnd: number;
  valueStart: number;
  end: number;
}

/** An object in the text: `start` is its `{`, `end` the index after its `}`. */
export interface ObjectSpan {
  start: number;
  end: number;
  members: Member[];
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const SIMPLE_ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const CONSTANTS: ReadonlyArray<readonly [string, unknown]> = [
  ["true", true],
  ["false", false],
  ["null", null],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
];

class DialectSyntaxError extends SyntaxError {
  constructor(at: number) {
    super(`Not JSON (in the dialect of Python's json module) at position ${at}.`);
  }
}

function skipWhitespace(text: string, pos: number): number {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return pos;
    pos++;
  }
}

/** The index after the string literal that starts at `pos`; as strict as Python's `json.loads` (no raw control characters). */
function skipString(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== 0x22) throw new DialectSyntaxError(pos);
  let i = pos + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const escape = text[i + 1];
      if (escape === "u") {
        HEX4.lastIndex = i + 2;
        if (!HEX4.test(text)) throw new DialectSyntaxError(i);
        i += 6;
      } else if (escape !== undefined && SIMPLE_ESCAPES.has(escape)) {
        i += 2;
      } else {
        throw new DialectSyntaxError(i);
      }
    } else if (c < 0x20 || Number.isNaN(c)) {
      throw new DialectSyntaxError(i);
    } else {
      i++;
    }
  }
}

/** The scalar (string, number or constant) at `pos`, and the index after it. */
function readScalar(text: string, pos: number, build: boolean): [unknown, number] {
  const c = text[pos];
  if (c === '"') {
    const end = skipString(text, pos);
    return [build ? JSON.parse(text.slice(pos, end)) : undefined, end];
  }
  for (const [word, value] of CONSTANTS) {
    if (text.startsWith(word, pos)) return [value, pos + word.length];
  }
  NUMBER.lastIndex = pos;
  const match = NUMBER.exec(text);
  if (!match) throw new DialectSyntaxError(pos);
  return [build ? Number(match[0]) : undefined, pos + match[0].length];
}

interface Frame {
  array: boolean;
  container: unknown[] | Record<string, unknown> | undefined;
  key: string;
}

/** Reads the key of an object member at `pos` (after whitespace) and its `:`; returns the index of the value. */
function readKey(text: string, pos: number, frame: Frame, build: boolean): number {
  const end = skipString(text, pos);
  if (build) frame.key = JSON.parse(text.slice(pos, end));
  const colon = skipWhitespace(text, end);
  if (text[colon] !== ":") throw new DialectSyntaxError(colon);
  return colon + 1;
}

/**
 * Reads one value at `pos` (leading whitespace allowed) and returns the index after it, with the value itself when
 * `build`. Iterative, so nesting depth is bounded by memory, not by the call stack.
 */
function readValue(text: string, pos: number, build: boolean): { value: unknown; end: number } {
  const stack: Frame[] = [];
  let value: unknown;
  for (;;) {
    pos = skipWhitespace(text, pos);
    const c = text[pos];
    if (c === "{" || c === "[") {
      const array = c === "[";
      const container = build ? (array ? [] : {}) : undefined;
      pos = skipWhitespace(text, pos + 1);
      if (text[pos] !== (array ? "]" : "}")) {
        const frame: Frame = { array, container, key: "" };
        stack.push(frame);
        if (!array) pos = readKey(text, pos, frame, build);
        continue;
      }
      value = container;
      pos++;
    } else {
      [value, pos] = readScalar(text, pos, build);
    }
    // A value is complete: hand it to the containers it closes, until one expects another value.
    for (;;) {
      const frame = stack.at(-1);
      if (frame === undefined) return { value, end: pos };
      if (build) {
        if (frame.array) (frame.container as unknown[]).push(value);
        // As JSON.parse: an own property even for "__proto__"; the last of duplicate keys wins.
        else Object.defineProperty(frame.container, frame.key, { value, writable: true, enumerable: true, configurable: true });
      }
      pos = skipWhitespace(text, pos);
      if (text[pos] === ",") {
        pos++;
        if (!frame.array) pos = readKey(text, skipWhitespace(text, pos), frame, build);
        break;
      }
      if (text[pos] !== (frame.array ? "]" : "}")) throw new DialectSyntaxError(pos);
      pos++;
      stack.pop();
      value = frame.container;
    }
  }
}

/** The object whose `{` is at `start`, with the span of each member. Throws a SyntaxError when it is not one. */
export function scanObject(text: string, start: number): ObjectSpan {
  if (text[start] !== "{") throw new DialectSyntaxError(start);
  const members: Member[] = [];
  let pos = skipWhitespace(text, start + 1);
  if (text[pos] === "}") return { start, end: pos + 1, members };
  for (;;) {
    const keyEnd = skipString(text, pos);
    const colon = skipWhitespace(text, keyEnd);
    if (text[colon] !== ":") throw new DialectSyntaxError(colon);
    const valueStart = skipWhitespace(text, colon + 1);
    const { end } = readValue(text, valueStart, false);
    members.push({ key: JSON.parse(text.slice(pos, keyEnd)), start: pos, keyEnd, valueStart, end });
    pos = skipWhitespace(text, end);
    if (text[pos] === "}") return { start, end: pos + 1, members };
    if (text[pos] !== ",") throw new DialectSyntaxError(pos);
    pos = skipWhitespace(text, pos + 1);
  }
}

/** The top-level object of a whole text (whitespace around it allowed), or `undefined` when the text is not one. */
export function scanDocument(text: string): ObjectSpan | undefined {
  try {
    const object = scanObject(text, skipWhitespace(text, 0));
    return skipWhitespace(text, object.end) === text.length ? object : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/**
 * Parses a whole text of the dialect. Standard JSON takes `JSON.parse`'s fast path; `NaN`, `Infinity` and
 * `-Infinity` become those numbers. Integers beyond 2^53 read as the nearest JavaScript number (the text keeps
 * them exact). Throws a `SyntaxError` when the text is not one value of the dialect.
 */
export function parseStateJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  const { value, end } = readValue(text, 0, true);
  if (skipWhitespace(text, end) !== text.length) throw new DialectSyntaxError(end);
  return value;
}

/** The index after the one value of the dialect that starts at `pos` (leading whitespace allowed); throws a SyntaxError when there is none. */
export function valueEnd(text: string, pos: number): number {
  return readValue(text, pos, false).end;
}

/** The index of the first character at or after `pos` that is not JSON whitespace. */
export function skipJsonWhitespace(text: string, pos: number): number {
  return skipWhitespace(text, pos);
}

/** True when `text` is one object of the dialect (whitespace around it allowed), as `state_json` must be. */
export function isStateObjectText(text: string): boolean {
  const start = skipWhitespace(text, 0);
  if (text[start] !== "{") return false;
  try {
    return skipWhitespace(text, readValue(text, start, false).end) === text.length;
  } catch (error) {
    if (error instanceof SyntaxError) return false;
    throw error;
  }
}
