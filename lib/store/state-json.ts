import { InvalidInputError } from "../errors.js";

/**
 * The text of `state_json`, in the JSON dialect of Python's `json` module, which `cjm-workflow-state` writes with
 * `json.dumps`: standard JSON plus the constants `NaN`, `Infinity` and `-Infinity`. Merges edit that text instead of
 * re-encoding it, so every value a write does not touch keeps its exact bytes: integers beyond 2^53 or 64 bits,
 * escaped lone surrogates (`"\udce9"`), keys holding `\u0000`, and the constants above.
 */

/** One `"key": value` member of an object in the text: where it starts, where its value starts, where it ends. */
interface Member {
  key: string;
  start: number;
  keyEnd: number;
  valueStart: number;
  end: number;
}

/** An object in the text: `start` is its `{`, `end` the index after its `}`. */
interface ObjectSpan {
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
function scanObject(text: string, start: number): ObjectSpan {
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
function scanDocument(text: string): ObjectSpan | undefined {
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

/**
 * Serialises a value as `JSON.stringify` does (`toJSON`, skipped `undefined` and functions, escaped lone
 * surrogates), except where Python's `json.dumps` writes more: `NaN`, `Infinity` and `-Infinity` as those
 * constants, and a `BigInt` as its exact digits. `undefined` when the value itself serialises to nothing.
 */
export function stringifyStateJson(value: unknown): string | undefined {
  const ancestors = new Set<object>();
  const write = (value: unknown, key: string): string | undefined => {
    if (((typeof value === "object" && value !== null) || typeof value === "bigint") && typeof (value as { toJSON?: unknown }).toJSON === "function") {
      value = (value as { toJSON(key: string): unknown }).toJSON(key);
    }
    if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt) value = value.valueOf();
    switch (typeof value) {
      case "string":
        return JSON.stringify(value);
      case "number":
        if (Number.isFinite(value)) return JSON.stringify(value);
        return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
      case "bigint":
        return value.toString();
      case "boolean":
        return value ? "true" : "false";
      case "object": {
        if (value === null) return "null";
        if (ancestors.has(value)) throw new TypeError("Converting circular structure to JSON");
        ancestors.add(value);
        try {
          if (Array.isArray(value)) return `[${value.map((item, index) => write(item, String(index)) ?? "null").join(",")}]`;
          const members: string[] = [];
          for (const name of Object.keys(value)) {
            const text = write((value as Record<string, unknown>)[name], name);
            if (text !== undefined) members.push(`${JSON.stringify(name)}:${text}`);
          }
          return `{${members.join(",")}}`;
        } finally {
          ancestors.delete(value);
        }
      }
      default:
        return undefined;
    }
  };
  return write(value, "");
}

/** The object the caller asked to merge, serialised and scanned; throws {@link InvalidInputError} for anything else. */
function patchOf(updates: unknown): { text: string; object: ObjectSpan } {
  const text = typeof updates === "object" && updates !== null && !Array.isArray(updates) ? stringifyStateJson(updates) : undefined;
  const object = text === undefined ? undefined : scanDocument(text);
  if (text === undefined || object === undefined) {
    throw new InvalidInputError(`State updates must be a plain object of keys to merge; got ${Array.isArray(updates) ? "an array" : typeof updates}.`);
  }
  return { text, object };
}

interface Rewrite {
  /** New value text for members of the object. */
  replace?: Map<Member, string>;
  /** Members to remove. */
  drop?: Set<Member>;
  /** Members to add at the end: the key's text and the value's text. */
  append?: Array<readonly [string, string]>;
}

/**
 * The text of `object` (a span of `text`) with the rewrite applied. Everything else is kept byte for byte: the other
 * members, and the spacing around them. Added members copy the object's own spacing (`", "` and `": "` in a row
 * Python wrote), or are compact.
 */
function rewriteObject(text: string, object: ObjectSpan, { replace, drop, append = [] }: Rewrite): string {
  const { members } = object;
  const first = members[0];
  const last = members.at(-1);
  const comma = members.length > 1 ? text.slice(members[0]!.end, members[1]!.start) : ",";
  const colon = first ? text.slice(first.keyEnd, first.valueStart) : ":";
  let out = first ? text.slice(object.start, first.start) : "{";
  let written = 0;
  members.forEach((member, index) => {
    if (drop?.has(member)) return;
    if (written++ > 0) out += index > 0 ? text.slice(members[index - 1]!.end, member.start) : comma;
    const value = replace?.get(member);
    out += value === undefined ? text.slice(member.start, member.end) : text.slice(member.start, member.valueStart) + value;
  });
  for (const [key, value] of append) {
    if (written++ > 0) out += comma;
    out += key + colon + value;
  }
  return out + (last ? text.slice(last.end, object.end) : text.slice(object.start + 1, object.end));
}

/** `object` with the members of `patch` (a span of `patchText`) replacing the members of the same key, or added. */
function mergeInto(text: string, object: ObjectSpan, patchText: string, patch: ObjectSpan): string {
  const byKey = new Map(object.members.map((member) => [member.key, member]));
  const replace = new Map<Member, string>();
  const append: Array<readonly [string, string]> = [];
  for (const member of patch.members) {
    const value = patchText.slice(member.valueStart, member.end);
    const current = byKey.get(member.key);
    if (current) replace.set(current, value);
    else append.push([patchText.slice(member.start, member.keyEnd), value]);
  }
  return rewriteObject(text, object, { replace, append });
}

/** The document `text` (`null` or empty reads as `{}`) with the rewrite of its top-level object applied. */
function edit(text: string | null, change: (text: string, object: ObjectSpan) => string): string | undefined {
  const source = text === null || text === "" ? "{}" : text;
  const object = scanDocument(source);
  if (object === undefined) return undefined;
  return source.slice(0, object.start) + change(source, object) + source.slice(object.end);
}

/**
 * `state` with `updates`' top-level keys replacing or adding to its own, as `cjm-workflow-state`'s `update_state`
 * does; every other byte is kept. For a duplicated key (which both JSON readers resolve to its last occurrence),
 * the last occurrence is replaced. `undefined` when `state` is not a JSON object.
 */
export function mergeStateText(state: string | null, updates: unknown): string | undefined {
  const patch = patchOf(updates);
  return edit(state, (text, object) => mergeInto(text, object, patch.text, patch.object));
}

/**
 * `state` with `updates` merged into the object under `key` (which becomes `updates` when it is missing or not an
 * object); every other byte is kept. `undefined` when `state` is not a JSON object.
 */
export function mergeNestedStateText(state: string | null, key: string, updates: unknown): string | undefined {
  const patch = patchOf(updates);
  return edit(state, (text, object) => {
    const target = object.members.filter((member) => member.key === key).at(-1);
    if (target === undefined) return rewriteObject(text, object, { append: [[JSON.stringify(key), patch.text]] });
    const value = text[target.valueStart] === "{" ? mergeInto(text, scanObject(text, target.valueStart), patch.text, patch.object) : patch.text;
    return rewriteObject(text, object, { replace: new Map([[target, value]]) });
  });
}

/** `state` without the top-level `key` (every occurrence of it); every other byte is kept. `undefined` when it is not a JSON object. */
export function removeStateKey(state: string | null, key: string): string | undefined {
  return edit(state, (text, object) => rewriteObject(text, object, { drop: new Set(object.members.filter((member) => member.key === key)) }));
}
