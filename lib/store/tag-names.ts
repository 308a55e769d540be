import { InvalidInputError } from "../errors.js";
import { checkText } from "./session-keys.js";

/** The most tags one session may carry: 20. */
export const MAX_TAGS = 20;

/** The most characters (code points) one tag may have, after trimming: 40. */
export const MAX_TAG_LENGTH = 40;

/**
 * One tag as it is stored and compared: NFC, trimmed, each run of white space as one space, in lower case (so
 * "Draft" and "draft " are one tag). Throws {@link InvalidInputError} for a tag that is empty, longer than
 * {@link MAX_TAG_LENGTH}, or holds a control character or a lone surrogate.
 */
export function normalizeTag(raw: unknown): string {
  if (typeof raw !== "string") throw new InvalidInputError(`A tag must be text; got ${raw === null ? "null" : typeof raw}.`);
  checkText(raw, "A tag");
  if (/\p{Cc}/u.test(raw)) throw new InvalidInputError(`A tag cannot hold control characters; got ${JSON.stringify(raw)}.`);
  const tag = raw.normalize("NFC").trim().replace(/\s+/gu, " ").toLowerCase();
  const length = [...tag].length;
  if (length === 0) throw new InvalidInputError("A tag cannot be empty.");
  if (length > MAX_TAG_LENGTH) throw new InvalidInputError(`A tag can have at most ${MAX_TAG_LENGTH} characters; ${JSON.stringify(tag)} has ${length}.`);
  return tag;
}

/**
 * A session's tags as they are stored: each through {@link normalizeTag}, duplicates (after normalising) collapsed,
 * sorted by code point. Throws {@link InvalidInputError} for more than {@link MAX_TAGS} distinct tags.
 */
export function normalizeTags(raw: readonly unknown[]): string[] {
  if (!Array.isArray(raw)) throw new InvalidInputError("Tags must be a list of texts.");
  const tags = [...new Set(raw.map(normalizeTag))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (tags.length > MAX_TAGS) throw new InvalidInputError(`A session can have at most ${MAX_TAGS} tags; got ${tags.length}.`);
  return tags;
}
