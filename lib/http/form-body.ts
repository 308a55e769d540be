import express, { type RequestHandler } from "express";
import { UnsupportedMediaTypeError } from "../errors.js";

/** The largest urlencoded body the routes accept. */
export const MAX_BODY_BYTES = "16kb";

/** The largest body of the bulk routes (`delete`, `restore`, `purge`, `confirm`): 1,000 ids of up to 128 characters. */
export const MAX_BULK_BODY_BYTES = "160kb";

const FORM_TYPE = "application/x-www-form-urlencoded";

/**
 * Parses the POST body of the manager's forms: urlencoded UTF-8 of at most {@link MAX_BODY_BYTES} and 50 fields (or
 * the given `limit` and `parameterLimit`: the bulk routes take up to 1,000 ids, see {@link MAX_BULK_BODY_BYTES}).
 * Any other content type or charset answers 415 instead of reaching a route with an empty body; a request without a
 * body is let through (a create needs no fields).
 */
export function formBody({ limit = MAX_BODY_BYTES, parameterLimit = 50 }: { limit?: string; parameterLimit?: number } = {}): RequestHandler[] {
  const parse = express.urlencoded({ extended: false, limit, parameterLimit });
  return [
    function requireUrlencodedForm(req, _res, next) {
      if (req.headers["transfer-encoding"] === undefined && Number(req.headers["content-length"] ?? 0) === 0) return next();
      if (!req.is(FORM_TYPE)) {
        return next(new UnsupportedMediaTypeError(`Send the form as ${FORM_TYPE}, not ${req.get("Content-Type") ?? "without a content type"}.`));
      }
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get("Content-Type") ?? "")?.[1];
      if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
        return next(new UnsupportedMediaTypeError(`Send the form in UTF-8, not ${charset}.`));
      }
      next();
    },
    parse,
  ];
}
