import { createHash } from "node:crypto";

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

/** The byte lengths of a version's three parts: label, step, and content (update time and state). */
const PARTS = [4, 4, 8] as const;
const VERSION_LENGTH = 22; // 16 bytes in base64url

function digest(...values: Array<string | null>): Buffer {
  const hash = createHash("sha256");
  // Each value is prefixed with its kind, so `null` and `""` (and the boundaries between values) differ.
  for (const value of values) hash.update(value === null ? "\u0000n" : `\u0000s${value.length}:${value}`);
  return hash.digest();
}

/**
 * The version of a session: an opaque 22-character string that changes whenever its label, step or state change,
 * including writes by the Python library within the same second. It is a hash of what it stands for, so two stores
 * (or two processes) compute the same version for the same row, and nothing is stored. Use it as an `ETag`.
 */
export function sessionVersion(row: VersionedRow, stateText: string | null | undefined): string {
  const label = digest(row.label).subarray(0, PARTS[0]);
  const step = digest(row.currentStep).subarray(0, PARTS[1]);
  const content = digest(row.updatedAt ? row.updatedAt.toISOString() : null, stateText ?? null).subarray(0, PARTS[2]);
  return Buffer.concat([label, step, content]).toString("base64url");
}

/** What differs between two versions of one session, part by part; all three for a value that is not a version. */
export interface VersionDifference {
  label: boolean;
  step: boolean;
  content: boolean;
}

/** Compares a version the caller holds with the current one, to say what changed. */
export function versionDifference(expected: string, current: string): VersionDifference {
  if (typeof expected !== "string" || expected.length !== VERSION_LENGTH || !/^[A-Za-z0-9_-]+$/.test(expected)) {
    return { label: true, step: true, content: true };
  }
  const a = Buffer.from(expected, "base64url");
  const b = Buffer.from(current, "base64url");
  const differs = (start: number, length: number) => !a.subarray(start, start + length).equals(b.subarray(start, start + length));
  return { label: differs(0, PARTS[0]), step: differs(PARTS[0], PARTS[1]), content: differs(PARTS[0] + PARTS[1], PARTS[2]) };
}
