import { hash } from "node:crypto";

/**
 * The parts of a row that a version stands for: the label, the step, the update time and the stored state text.
 * The state text is in it because SQLite's times have one-second resolution: two writes within a second (ours, or
 * the Python library's) leave `updated_at` as it was, but not the state.
 */
export interface VersionedRow {
  label: string | null;
  currentStep: string | null;
  updatedAt: Date | null;
}

/** 16 bytes in base64url. */
const VERSION_LENGTH = 22;
const NULL_TEXT = "\u0000";

/**
 * FNV-1a over the string's UTF-16 code units, 32 bits: a cheap tag of the label and of the step, only to say which
 * of them changed. What a version guards is its SHA-1 part, over every field.
 */
function tag(text: string | null, into: Buffer, at: number): void {
  let h = 0x811c9dc5;
  if (text === null) h ^= 0xffff;
  else for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  into.writeUInt32BE(h >>> 0, at);
}

/**
 * The version of a session: an opaque 22-character string that changes whenever its label, step or state change,
 * including writes by the Python library within the same second. It is computed from the row, not stored, so every
 * store (and every process) computes the same version for the same row. Use it as an `ETag`. Its last 8 bytes are
 * a SHA-1 of every field; the first two 4-byte tags of the label and the step say which of them changed.
 */
export function sessionVersion(row: VersionedRow, stateText: string | null | undefined): string {
  const state = stateText ?? null;
  // Each field with its length, so that no two different rows give the same text to hash.
  const fields = [row.label, row.currentStep, row.updatedAt ? row.updatedAt.toISOString() : null, state]
    .map((value) => (value === null ? NULL_TEXT : `${value.length}:${value}`))
    .join(NULL_TEXT);
  const version = Buffer.allocUnsafe(16);
  tag(row.label, version, 0);
  tag(row.currentStep, version, 4);
  hash("sha1", fields, "buffer").copy(version, 8, 0, 8);
  return version.toString("base64url");
}

/** Which parts differ between two versions of one session; none for a value that is not a version at all. */
export interface VersionDifference {
  label: boolean;
  step: boolean;
  /** True whenever anything differs: the state or update time, or the label or step. */
  content: boolean;
}

/** Compares a version the caller holds with the current one, to say what changed. */
export function versionDifference(expected: string, current: string): VersionDifference {
  if (typeof expected !== "string" || expected.length !== VERSION_LENGTH || !/^[A-Za-z0-9_-]+$/.test(expected)) {
    return { label: false, step: false, content: false };
  }
  const a = Buffer.from(expected, "base64url");
  const b = Buffer.from(current, "base64url");
  const differs = (start: number, end: number) => !a.subarray(start, end).equals(b.subarray(start, end));
  return { label: differs(0, 4), step: differs(4, 8), content: differs(8, 16) };
}
