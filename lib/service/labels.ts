import { InvalidInputError } from "../errors.js";
import { CONTROL_CHARACTERS, MAX_LABEL_LENGTH } from "../session-types.js";

export { CONTROL_CHARACTERS } from "../session-types.js";
import { isWellFormedText } from "../store/workflow-store.js";

/** The last-resort label. */
export const UNTITLED_LABEL = "Untitled Session";


/** The label used when a session has none stored and the generator gives none: `Session YYYY-MM-DD HH:MM` (UTC). */
export function defaultLabel(createdAt: Date | null): string {
  if (!createdAt) return UNTITLED_LABEL;
  return `Session ${createdAt.toISOString().slice(0, 16).replace("T", " ")}`;
}

/**
 * The label a row shows: the stored one, else the one the host's `label` callback generated, else
 * {@link defaultLabel}.
 */
export function displayLabelOf(stored: string | null, generated: string | undefined, createdAt: Date | null): string {
  return stored || generated || defaultLabel(createdAt);
}

/**
 * Cleans a label typed by a user: control characters are stripped, whitespace is trimmed, and an empty result means
 * "no label" (`null`). Throws {@link InvalidInputError} when it is longer than {@link MAX_LABEL_LENGTH}, or holds a
 * lone surrogate, which has no UTF-8 form to store.
 */
export function normalizeLabel(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== "string") throw new InvalidInputError("The label must be text.");
  if (!isWellFormedText(input)) throw new InvalidInputError("The label holds a character that cannot be stored (a lone surrogate). Type it again.");
  const label = input.replace(/[\t\n\r]/g, " ").replace(CONTROL_CHARACTERS, "").trim();
  if ([...label].length > MAX_LABEL_LENGTH) {
    throw new InvalidInputError(`The label is too long: use at most ${MAX_LABEL_LENGTH} characters (it has ${[...label].length}).`);
  }
  return label === "" ? null : label;
}
