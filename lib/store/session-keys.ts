import { InvalidInputError } from "../errors.js";
import { LIST_SORT_COLUMNS } from "./dialects/dialect.js";

/**
 * True when `text` has a UTF-8 form, i.e. holds no lone surrogate (as `os.fsdecode` makes of a file name that is
 * not UTF-8). Such a string would reach the database as invalid UTF-8, after which Python's sqlite3 refuses to read
 * the row, and every list of its flow.
 */
export function isWellFormedText(text: string): boolean {
  return !/[\ud800-\udfff]/u.test(text);
}

/** Throws {@link InvalidInputError} for a string that {@link isWellFormedText} rejects; `what` names it. */
export function checkText(text: string, what: string): string {
  if (typeof text === "string" && !isWellFormedText(text)) {
    throw new InvalidInputError(`${what} must be valid Unicode text; ${JSON.stringify(text)} holds a lone surrogate.`);
  }
  return text;
}

/** Throws {@link InvalidInputError} unless `flowId` is a non-empty string without `:`, in valid Unicode. */
export function checkFlowId(flowId: string): void {
  if (typeof flowId !== "string" || flowId.length === 0 || flowId.includes(":")) {
    throw new InvalidInputError(`A flow id must be a non-empty string without ":"; got ${JSON.stringify(flowId)}.`);
  }
  checkText(flowId, "A flow id");
}

/** The row's primary key, `"<flowId>:<sessionId>"`, after checking both parts. */
export function sessionKey(flowId: string, sessionId: string): string {
  checkFlowId(flowId);
  if (typeof sessionId !== "string" || sessionId.length === 0) {
    throw new InvalidInputError(`A session id must be a non-empty string; got ${JSON.stringify(sessionId)}.`);
  }
  checkText(sessionId, "A session id");
  return `${flowId}:${sessionId}`;
}

/** The scope's owner, `undefined` for every owner; throws for an owner that is not a non-empty string. */
export function checkedOwner(owner: unknown): string | undefined {
  if (owner === undefined) return undefined;
  if (typeof owner !== "string" || owner.length === 0) {
    throw new InvalidInputError(`An owner must be a non-empty string; got ${JSON.stringify(owner)}.`);
  }
  return checkText(owner, "An owner");
}

/** Adds `owner = ?` when the scope names an owner; the builder is any select, update or delete on the table. */
export function whereOwner<Q extends { where(column: "owner", op: "=", value: string): Q }>(query: Q, scope: { owner?: string | undefined }): Q {
  const owner = checkedOwner(scope.owner);
  return owner === undefined ? query : query.where("owner", "=", owner);
}

/** Throws {@link InvalidInputError} unless the list can sort by `orderBy`. */
export function checkOrder(orderBy: string): void {
  if (!(LIST_SORT_COLUMNS as readonly string[]).includes(orderBy)) throw new InvalidInputError(`Sessions cannot be sorted by ${JSON.stringify(orderBy)}.`);
}
