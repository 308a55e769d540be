import type { Request, Response } from "express";
import type { Notice } from "../../views/view-data.js";
import { InvalidInputError } from "../errors.js";
import { listParamsFrom, listStateQuery, tagFilterFrom, withListState } from "../list-state.js";
import { SESSION_ID_PATTERN } from "../session-types.js";
import type { ExportSelection, SessionTransfer } from "../service/session-transfer.js";
import { isHtmx, wantsJson } from "./error-handler.js";
import { sendJson, sessionJson } from "./json-replies.js";
import { importedFileOf } from "./import-body.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";
import { saveSession } from "./session-data.js";

/** The most `session_id`s one export names; past it, export `all_matching=1` with a search instead. */
export const MAX_EXPORT_IDS = 1000;

/** The handlers of export and import. */
export interface TransferRoutes {
  /**
   * `GET {prefix}/export?session_id=…` (repeatable) or `?all_matching=1&q=…`: the sessions as a JSON download,
   * streamed as it is read. `POST {prefix}/export` takes the same fields as a form (with the CSRF token), for a form
   * such as the bulk bar's, which may name up to 1,000 ids.
   */
  exportSessions(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/import`: the sessions of an uploaded export file, all or nothing; `keep_ids=1` keeps their ids. */
  importSessions(req: Request, res: Response): Promise<void>;
}

/** Builds the export and import handlers over one manager's {@link RouteContext}. */
export function transferRoutes({ config, service, urlsFor, scopeOf }: RouteContext, list: ListRoutes, transfer: SessionTransfer): TransferRoutes {
  return {
    async exportSessions(req, res) {
      const scope = scopeOf(req);
      // GET reads the query; POST (the bulk bar's form, whose ids would make a long URL) reads the form body.
      const params = req.method === "POST" ? formParams(req.body) : new URLSearchParams(req.originalUrl.split("?")[1] ?? "");
      let selection: ExportSelection;
      let name: string;
      if (params.get("all_matching") === "1") {
        const search = listParamsFrom({ q: params.get("q") ?? "" }, config.pageSize).query.search;
        // The list's tag filter too (`tag`, repeated): all matching is what the list shows.
        const tags = tagFilterFrom(params.getAll("tag"));
        selection = tags.length > 0 ? { search, tags } : { search };
        name = `${config.flowId}${search === "" ? "" : ` ${search}`} sessions`;
      } else {
        const ids = [...new Set(params.getAll("session_id").map((id) => id.trim()))];
        if (ids.length === 0) throw new InvalidInputError("Say which sessions to export: session_id=… (once per session), or all_matching=1 with the search q=….");
        if (ids.length > MAX_EXPORT_IDS) throw new InvalidInputError(`Export at most ${MAX_EXPORT_IDS} sessions by id; for more, use all_matching=1.`);
        if (!ids.every((id) => SESSION_ID_PATTERN.test(id))) throw new InvalidInputError("A session_id is not a valid session id.");
        // Every id must be one of the caller's sessions; another owner's answers 404 exactly like a missing one.
        const first = await service.getItem(ids[0]!, scope);
        await service.requireSessions(ids.slice(1), scope);
        selection = { sessionIds: ids };
        name = ids.length === 1 ? first.displayLabel : `${config.flowId} ${ids.length} sessions`;
      }
      res.status(200).set("Cache-Control", "no-store").attachment(`${safeFileName(name)}.json`).type("application/json; charset=utf-8");
      await streamText(res, transfer.exportText(selection, scope));
    },

    async importSessions(req, res) {
      const scope = scopeOf(req);
      const file = importedFileOf(res);
      if (file === undefined || file.length === 0) throw new InvalidInputError("Choose an export file (.json) to import.");
      const keep = field(req.body, "keep_ids") ?? (typeof req.query.keep_ids === "string" ? req.query.keep_ids : undefined);
      const items = await transfer.importFile(file, { keepIds: keep === "1" || keep === "true" || keep === "on" }, scope);
      const notice: Notice = {
        kind: "success",
        message: items.length === 1 ? `Imported “${items[0]!.displayLabel}”.` : `Imported ${items.length.toLocaleString("en-US")} sessions.`,
      };
      if (wantsJson(req)) {
        sendJson(res, 201, { items: items.map((item) => sessionJson(item, req.session.activeSessionId)) });
        return;
      }
      if (isHtmx(req)) return list.sendList(req, res, notice);
      req.session.workflowSessionsFlash = notice;
      await saveSession(req);
      res.redirect(303, withListState(urlsFor(req).page, listStateQuery(listParamsFrom(req.query, config.pageSize).query)));
    },
  };
}

/**
 * Writes the pieces of `text` to the response, each after the last has drained (so a slow client slows the reads,
 * and memory stays flat), and ends it. A client that goes away stops the export. A failure after the first byte can
 * no longer become an error page: the connection is cut, so the download is visibly incomplete.
 */
async function streamText(res: Response, text: AsyncGenerator<string, void, undefined>): Promise<void> {
  let gone = false;
  const onClose = () => {
    gone = true;
  };
  res.on("close", onClose);
  try {
    for (;;) {
      const next = await text.next().catch((error: unknown) => {
        if (!res.headersSent) {
          res.removeHeader("Content-Disposition");
          throw error;
        }
        res.destroy(error as Error);
        return { done: true as const, value: undefined };
      });
      if (next.done || gone || res.destroyed) break;
      if (!res.write(next.value)) await drained(res);
    }
    if (!gone && !res.destroyed) res.end();
  } finally {
    res.off("close", onClose);
    await text.return(undefined);
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** A file name without path separators, quotes or control characters, of at most 100 characters. */
function safeFileName(name: string): string {
  const cleaned = [...name.replace(/[\u0000-\u001f\u007f-\u009f"\\/:*?<>|]+/g, " ").replace(/\s+/g, " ").trim()].slice(0, 100).join("").trim();
  return cleaned.replace(/^\.+/, "") || "sessions";
}

/** The fields of a parsed urlencoded form (a repeated one is an array) as search parameters. */
function formParams(body: unknown): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) if (typeof item === "string") params.append(name, item);
  }
  return params;
}

function field(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InvalidInputError(`Send the field "${name}" once, as text.`);
  return value;
}
