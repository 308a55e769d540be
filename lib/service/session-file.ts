import { InvalidInputError } from "../errors.js";
import { MAX_LABEL_LENGTH, SESSION_ID_PATTERN } from "../session-types.js";
import { isStateObjectText, parseStateJson, scanDocument, scanObject, skipJsonWhitespace, valueEnd } from "../store/state-json.js";
import { isWellFormedText, type ExportedSession, type ImportedSession } from "../store/workflow-store.js";
import { normalizeLabel } from "./labels.js";

/** The `format` of an export file; an import accepts only this one. */
export const EXPORT_FORMAT = "express-workflow-sessions/1";

/** The most characters of a step id an imported session may carry. */
export const MAX_STEP_ID_LENGTH = 1000;

/** Text is handed to the response in pieces of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

const TOP_FIELDS = new Set(["format", "exportedAt", "flowId", "sessions"]);
const SESSION_FIELDS = new Set(["sessionId", "label", "currentStep", "createdAt", "updatedAt", "state"]);
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * The text of an export file, in pieces: `{ format, exportedAt, flowId, sessions: [...] }`, one session per line,
 * each `state` the stored text written as it is (so it is JSON in the dialect of Python's `json` module, where
 * `NaN` and integers of any size are values). A stored state that is not one JSON object is written as a JSON
 * string of its text instead, so the file stays readable and nothing is lost (an import refuses it). Reads
 * `sessions` only as fast as the pieces are taken.
 */
export async function* exportFileText(flowId: string, exportedAt: Date, sessions: AsyncIterable<ExportedSession>): AsyncGenerator<string, void, undefined> {
  let text = `{"format":${JSON.stringify(EXPORT_FORMAT)},"exportedAt":${JSON.stringify(exportedAt.toISOString())},"flowId":${JSON.stringify(flowId)},"sessions":[`;
  let first = true;
  for await (const session of sessions) {
    const state = session.state === "" ? "{}" : session.state;
    text +=
      `${first ? "" : ","}\n{"sessionId":${JSON.stringify(session.sessionId)},"label":${JSON.stringify(session.label)},` +
      `"currentStep":${JSON.stringify(session.currentStep)},"createdAt":${JSON.stringify(session.createdAt?.toISOString() ?? null)},` +
      `"updatedAt":${JSON.stringify(session.updatedAt?.toISOString() ?? null)},"state":${isStateObjectText(state) ? state : JSON.stringify(state)}}`;
    first = false;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = "";
    }
  }
  yield `${text}${first ? "" : "\n"}]}\n`;
}

/**
 * Reads an export file (see {@link exportFileText}) strictly: UTF-8, one JSON object of the dialect of Python's
 * `json` module, the {@link EXPORT_FORMAT}, no unknown or repeated field, and every session's fields checked: the
 * id by `SESSION_ID_PATTERN`, the label by the label rules, times as ISO 8601, the state one JSON object (or a
 * string holding one). Returns the sessions with each state's text exactly as in the file; throws
 * {@link InvalidInputError} saying what is wrong, and where, otherwise.
 */
export function parseExportFile(bytes: Uint8Array): ImportedSession[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InvalidInputError("The file is not UTF-8 text: export the sessions again, or check that the right file was chosen.");
  }
  if (text.trim() === "") throw new InvalidInputError("The file is empty.");
  const top = scanDocument(text);
  if (top === undefined) {
    throw new InvalidInputError(`The file is not an export of sessions: it is not one JSON object${syntaxHint(text)}.`);
  }
  const fields = membersOf(text, top.members, TOP_FIELDS, "The file");
  const format = fields.get("format");
  if (format === undefined) throw new InvalidInputError(`The file has no "format" field: it is not an export of sessions (one says "format": "${EXPORT_FORMAT}").`);
  if (scalarOf(text, format) !== EXPORT_FORMAT) {
    throw new InvalidInputError(`The file's format is ${text.slice(format.start, Math.min(format.end, format.start + 60))}; only "${EXPORT_FORMAT}" can be imported.`);
  }
  const flowId = fields.get("flowId");
  if (flowId !== undefined && typeof scalarOf(text, flowId) !== "string") throw new InvalidInputError(`The file's "flowId" must be text.`);
  const exportedAt = fields.get("exportedAt");
  if (exportedAt !== undefined) timestampOf(scalarOf(text, exportedAt), `The file's "exportedAt"`);
  const list = fields.get("sessions");
  if (list === undefined || text[list.start] !== "[") throw new InvalidInputError(`The file has no "sessions" list.`);
  const sessions: ImportedSession[] = [];
  const ids = new Set<string>();
  let pos = skipJsonWhitespace(text, list.start + 1);
  if (text[pos] === "]") throw new InvalidInputError("The file holds no sessions.");
  for (;;) {
    const where = `Session ${sessions.length + 1} of the file`;
    if (text[pos] !== "{") throw new InvalidInputError(`${where} is not an object.`);
    const object = scanObject(text, pos);
    const session = sessionOf(text, membersOf(text, object.members, SESSION_FIELDS, where), where);
    if (ids.has(session.sessionId)) throw new InvalidInputError(`${where} repeats the session id "${session.sessionId}": each id may appear once.`);
    ids.add(session.sessionId);
    sessions.push(session);
    pos = skipJsonWhitespace(text, object.end);
    if (text[pos] === "]") return sessions;
    pos = skipJsonWhitespace(text, pos + 1); // the "," (the document scanned as valid)
  }
}

interface Span {
  start: number;
  end: number;
}

/** The members of an object by key; an unknown or repeated key throws. */
function membersOf(text: string, members: ReturnType<typeof scanObject>["members"], known: ReadonlySet<string>, where: string): Map<string, Span> {
  const found = new Map<string, Span>();
  for (const member of members) {
    if (!known.has(member.key)) {
      throw new InvalidInputError(`${where} has a field ${JSON.stringify(member.key).slice(0, 80)} that an export does not have; it has only ${[...known].join(", ")}.`);
    }
    if (found.has(member.key)) throw new InvalidInputError(`${where} has the field "${member.key}" twice.`);
    found.set(member.key, { start: member.valueStart, end: valueEnd(text, member.valueStart) });
  }
  return found;
}

/** The scalar value of a span; `undefined` for an object or an array. */
function scalarOf(text: string, span: Span): unknown {
  if (text[span.start] === "{" || text[span.start] === "[") return undefined;
  return parseStateJson(text.slice(span.start, span.end));
}

function sessionOf(text: string, fields: Map<string, Span>, where: string): ImportedSession {
  const idSpan = fields.get("sessionId");
  const sessionId = idSpan && scalarOf(text, idSpan);
  if (typeof sessionId !== "string") throw new InvalidInputError(`${where} has no "sessionId" text.`);
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    throw new InvalidInputError(`${where} has the session id ${JSON.stringify(sessionId).slice(0, 140)}, which is not a valid session id (letters, digits and . _ ~ -, at most 128).`);
  }
  const what = `${where} ("${sessionId}")`;
  const label = optionalText(text, fields.get("label"), `${what}'s label`);
  let normalized: string | null;
  try {
    normalized = normalizeLabel(label);
  } catch (error) {
    throw new InvalidInputError(`${what}'s label cannot be used: ${(error as Error).message}`);
  }
  if (label !== null && [...label].length > MAX_LABEL_LENGTH) throw new InvalidInputError(`${what}'s label is longer than ${MAX_LABEL_LENGTH} characters.`);
  const currentStep = optionalText(text, fields.get("currentStep"), `${what}'s currentStep`);
  if (currentStep !== null && (currentStep === "" || currentStep.length > MAX_STEP_ID_LENGTH)) {
    throw new InvalidInputError(`${what}'s currentStep must be null or from 1 to ${MAX_STEP_ID_LENGTH} characters.`);
  }
  const createdAt = timestampOf(fields.has("createdAt") ? scalarOf(text, fields.get("createdAt")!) : null, `${what}'s createdAt`);
  const updatedAt = timestampOf(fields.has("updatedAt") ? scalarOf(text, fields.get("updatedAt")!) : null, `${what}'s updatedAt`);
  const stateSpan = fields.get("state");
  if (stateSpan === undefined) throw new InvalidInputError(`${what} has no "state".`);
  let state = text.slice(stateSpan.start, stateSpan.end);
  if (text[stateSpan.start] === '"') {
    // A state sent as the text of its JSON (as a script may write it): it must hold one object too.
    state = parseStateJson(state) as string;
    if (!isWellFormedText(state)) throw new InvalidInputError(`${what}'s state holds a lone surrogate, which cannot be stored.`);
  }
  if (!isStateObjectText(state)) {
    throw new InvalidInputError(`${what}'s state is not a JSON object: a session's state is always one object, such as {"_step_intake": {...}}.`);
  }
  return { sessionId, label: normalized, currentStep, createdAt, updatedAt, state };
}

function optionalText(text: string, span: Span | undefined, what: string): string | null {
  if (span === undefined) return null;
  const value = scalarOf(text, span);
  if (value === null) return null;
  if (typeof value !== "string") throw new InvalidInputError(`${what} must be text or null.`);
  if (!isWellFormedText(value)) throw new InvalidInputError(`${what} holds a lone surrogate, which cannot be stored.`);
  return value;
}

/** An ISO 8601 time (or SQLite's `YYYY-MM-DD HH:MM:SS`, read as UTC) that names a real instant; `null` stays `null`. */
function timestampOf(value: unknown, what: string): Date | null {
  if (value === null) return null;
  const match = typeof value === "string" ? TIMESTAMP.exec(value) : null;
  const [, year, month, day, hour, minute, second] = (match ?? []).map(Number);
  const date = match ? new Date(match[8] === undefined ? `${value as string}Z`.replace(" ", "T") : (value as string).replace(" ", "T")) : undefined;
  const valid =
    date !== undefined &&
    !Number.isNaN(date.getTime()) &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate() &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59;
  if (!valid) throw new InvalidInputError(`${what} must be an ISO 8601 time such as "2026-12-01T09:30:00Z", or null; got ${JSON.stringify(value)?.slice(0, 60)}.`);
  return date;
}

/** Where the text stops being JSON, for the message. */
function syntaxHint(text: string): string {
  const start = skipJsonWhitespace(text, 0);
  if (text[start] !== "{") return ` (it starts with ${JSON.stringify(text.slice(start, start + 20))})`;
  try {
    const end = valueEnd(text, start);
    return ` (there is more after the object, at character ${end})`;
  } catch (error) {
    return ` (${(error as Error).message.replace(/\.$/, "")})`;
  }
}
