import { InvalidInputError } from "../errors.js";
import { scanDocument, scanObject, type Member, type ObjectSpan } from "./state-json.js";

// Writing the dialect of state-json.ts: values as Python's json.dumps writes them, and merges that edit the stored text.

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
