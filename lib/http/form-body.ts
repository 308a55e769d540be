import express, { type RequestHandler } from "express";
import { InvalidInputError, UnsupportedMediaTypeError } from "../errors.js";

/** The largest request body the routes accept, urlencoded or JSON. */
export const MAX_BODY_BYTES = "16kb";

/** The most fields an urlencoded body may have. */
export const MAX_FORM_FIELDS = 50;

/** The largest body of the bulk routes (`delete`, `restore`, `purge`, `confirm`): 1,000 ids of up to 128 characters. */
export const MAX_BULK_BODY_BYTES = "160kb";

const FORM_TYPE = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/**
 * Parses the POST body of the manager's routes: an urlencoded form (of at most {@link MAX_FORM_FIELDS} fields) or
 * a JSON object, in UTF-8, of at most {@link MAX_BODY_BYTES} either way (or the given `limit` and `parameterLimit`:
 * the bulk routes take up to 1,000 ids, see {@link MAX_BULK_BODY_BYTES}). Both give `req.body` the same shape: a
 * field is a string, a repeated form field an array. Any other content type or charset answers 415 instead of
 * reaching a route with an empty body, and a JSON body that is not an object answers 400; a request without a body
 * is let through (a create needs no fields).
 */
export function formBody({ limit = MAX_BODY_BYTES, parameterLimit = MAX_FORM_FIELDS }: { limit?: string; parameterLimit?: number } = {}): RequestHandler[] {
  const parseForm = express.urlencoded({ extended: false, limit, parameterLimit });
  // `strict` takes only objects and arrays; an array is refused below, so every route reads named fields.
  const parseJson = express.json({ limit, strict: true });
  return [
    function requireFormOrJson(req, _res, next) {
      if (req.headers["transfer-encoding"] === undefined && Number(req.headers["content-length"] ?? 0) === 0) return next();
      if (!req.is(FORM_TYPE) && !req.is(JSON_TYPE)) {
        return next(new UnsupportedMediaTypeError(`Send the form as ${FORM_TYPE} or ${JSON_TYPE}, not ${req.get("Content-Type") ?? "without a content type"}.`));
      }
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get("Content-Type") ?? "")?.[1];
      if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
        return next(new UnsupportedMediaTypeError(`Send the body in UTF-8, not ${charset}.`));
      }
      next();
    },
    parseForm,
    parseJson,
    function requireJsonObject(req, _res, next) {
      if (Array.isArray(req.body)) return next(new InvalidInputError("Send the JSON body as an object of fields, not an array."));
      next();
    },
  ];
}
