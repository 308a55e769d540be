import busboy from "busboy";
import express, { type Request, type RequestHandler, type Response } from "express";
import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors.js";

/** The form field of the import form that holds the file. */
export const IMPORT_FILE_FIELD = "file";

/** Bytes a multipart body may carry beyond the file: its other fields and the part headers. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** The file a request to `/import` carried, once {@link importBody} has read it. */
export function importedFileOf(res: Response): Buffer | undefined {
  return (res.locals as { workflowSessionsImport?: Buffer }).workflowSessionsImport;
}

/** A size in words, for messages: `10 MB`, `512 KB`, `100 bytes`. */
export function formatByteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * Reads the body of `POST {prefix}/import`: a `multipart/form-data` upload (the page's form: the file in the field
 * {@link IMPORT_FILE_FIELD}, with `_csrf` and `keep_ids` as fields), parsed by busboy, or the file itself as an
 * `application/json` body. Either way the file is held as bytes, never parsed as JSON here (a state may hold `NaN`
 * or integers too large for a number), and at most `maxBytes` of it are read: past them the answer is 413. Form
 * fields go to `req.body` (so the CSRF check finds `_csrf`), the file to {@link importedFileOf}.
 */
export function importBody(maxBytes: number): RequestHandler[] {
  const tooLarge = () => new PayloadTooLargeError(`The file is larger than ${formatByteSize(maxBytes)}, the most an import takes. Nothing was imported.`);
  const json = express.raw({ type: () => true, limit: maxBytes });
  return [
    function readImportBody(req, res, next) {
      if (req.is("multipart/form-data")) return readMultipart(req, res, maxBytes, tooLarge).then(() => next(), next);
      if (req.is("application/json")) {
        const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get("Content-Type") ?? "")?.[1];
        if (charset !== undefined && charset.toLowerCase() !== "utf-8") return next(new UnsupportedMediaTypeError(`Send the file in UTF-8, not ${charset}.`));
        return json(req, res, (error?: unknown) => {
          if (error) return next((error as { status?: number }).status === 413 ? tooLarge() : error);
          (res.locals as { workflowSessionsImport?: Buffer }).workflowSessionsImport = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          req.body = {};
          next();
        });
      }
      next(
        new UnsupportedMediaTypeError(
          `Send the file as a multipart/form-data upload (field "${IMPORT_FILE_FIELD}") or as an application/json body, not ${req.get("Content-Type") ?? "without a content type"}.`,
        ),
      );
    },
  ];
}

function readMultipart(req: Request, res: Response, maxBytes: number, tooLarge: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBytes + MULTIPART_OVERHEAD_BYTES) {
      req.resume();
      return reject(tooLarge());
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, defParamCharset: "utf8", limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 4096, parts: 22 } });
    } catch (error) {
      return reject(new InvalidInputError(`The upload could not be read: ${(error as Error).message}.`));
    }
    const fields: Record<string, string> = Object.create(null);
    let file: Buffer | undefined;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) return fail(new InvalidInputError(`The form field "${name.slice(0, 40)}" is too long.`));
      if (name in fields) return fail(new InvalidInputError(`Send the form field "${name.slice(0, 40)}" once.`));
      fields[name] = value;
    });
    parser.on("file", (name, stream) => {
      if (name !== IMPORT_FILE_FIELD) {
        stream.resume();
        return fail(new InvalidInputError(`Send the file in the form field "${IMPORT_FILE_FIELD}".`));
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => fail(tooLarge()));
      stream.on("end", () => {
        if (!failed) file = Buffer.concat(chunks);
      });
    });
    parser.on("filesLimit", () => fail(new InvalidInputError("Send one file at a time.")));
    parser.on("fieldsLimit", () => fail(new InvalidInputError("The upload has too many form fields.")));
    parser.on("partsLimit", () => fail(new InvalidInputError("The upload has too many parts.")));
    parser.on("error", (error: Error) => fail(new InvalidInputError(`The upload could not be read: ${error.message}.`)));
    parser.on("close", () => {
      if (failed) return;
      req.body = fields;
      if (file !== undefined) (res.locals as { workflowSessionsImport?: Buffer }).workflowSessionsImport = file;
      resolve();
    });
    req.on("error", fail);
    req.pipe(parser);
  });
}
