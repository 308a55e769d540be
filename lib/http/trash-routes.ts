import type { Request, Response } from "express";
import { bulkDialogView } from "../../views/bulk-dialog.js";
import { MAX_BULK_IDS } from "../../views/dom-contract.js";
import { tagUrlsOf } from "../../views/manager-urls.js";
import { noticesView } from "../../views/notice.js";
import type { BulkDialogChoice, BulkDialogViewData, ManagerUrls, Notice, TrashListViewData } from "../../views/view-data.js";
import { InvalidInputError, SessionNotFoundError } from "../errors.js";
import { listParamsFrom, listStateQuery, searchFrom, tagFilterFrom, trashParamsFrom, trashStateQuery, withListState } from "../list-state.js";
import { renderViewToChunks } from "../render/render-view.js";
import type { SessionTarget, TrashService, TrashTarget } from "../service/trash-service.js";
import { csrfTokenFor } from "./csrf.js";
import { ifMatchVersion } from "./conditional-requests.js";
import { isHtmx, wantsJson } from "./error-handler.js";
import { sendJson, trashListJson } from "./json-replies.js";
import { sendHtml } from "./html-response.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";
import { saveSession, SESSION_ID_PATTERN } from "./session-data.js";

/** The handlers of the trash and of the actions on many sessions; the POSTs run after the form body and the CSRF check. */
export interface TrashRoutes {
  /**
   * `POST {prefix}/delete`: `session_id` once or repeated (at most 1,000), or `all_matching=1` with `q`: moves them
   * to the trash (or deletes them for good with `trash: false`); the notice offers Undo.
   */
  deleteSessions(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/restore`: the same forms, or `batch` (the Undo of a delete of all matching), on the trash. */
  restoreSessions(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/purge`: the same forms on the trash, or `all=1` to empty it. */
  purgeSessions(req: Request, res: Response): Promise<void>;
  /**
   * `POST {prefix}/confirm`: the page (or the trash page, with `view=trash`) with the confirmation of `intent`
   * (`delete`, `restore`, `purge`) open for the posted ids or query. Changes nothing: it is how the bulk form asks
   * without JavaScript.
   */
  confirmAction(req: Request, res: Response): Promise<void>;
  /** `GET {prefix}/trash`: the trash page, with the one-time notice. */
  showTrash(req: Request, res: Response): Promise<void>;
  /** `GET {prefix}/trash/list`: the trash's list fragment. */
  showTrashList(req: Request, res: Response): Promise<void>;
}

const number = (n: number) => n.toLocaleString("en-US");
const sessions = (n: number) => `${number(n)} ${n === 1 ? "session" : "sessions"}`;
const BATCH_PATTERN = /^[0-9a-f-]{36}$/;

/** Builds the trash's handlers over one manager's {@link RouteContext}, its list routes and the trash service. */
export function trashRoutes(context: RouteContext, list: ListRoutes, trash: TrashService): TrashRoutes {
  const { config, service, views, urlsFor, scopeOf, activeSessionOf } = context;

  const trashData = async (req: Request, source: Record<string, unknown>): Promise<TrashListViewData> => {
    const page = await trash.listTrash(trashParamsFrom(source, config.pageSize), scopeOf(req));
    return { page, urls: { ...urlsFor(req), state: trashStateQuery(page) }, csrfToken: csrfTokenFor(req), now: new Date() };
  };

  const sendTrashJson = async (req: Request, res: Response): Promise<void> => {
    const { page, csrfToken } = await trashData(req, req.query);
    sendJson(res, 200, trashListJson(page, csrfToken));
  };

  const sendTrashList = async (req: Request, res: Response, notice?: Notice): Promise<void> => {
    const data = await trashData(req, { ...req.query, ...req.body });
    const viewContext = views.context();
    const list = renderViewToChunks(viewContext.views.trashList(data, viewContext));
    sendHtml(res, notice ? [...list, ...renderViewToChunks(noticesView({ notice, oob: true }, viewContext))] : list);
  };

  const sendTrashPage = async (req: Request, res: Response, source: Record<string, unknown>, extra: { notice?: Notice | undefined; dialog?: BulkDialogViewData | undefined }) => {
    const data = await trashData(req, source);
    const viewContext = views.context();
    const keepDays = config.trashKeepDays === false ? 0 : config.trashKeepDays;
    const content = viewContext.views.trashPage({ ...data, title: config.title, keepDays, ...extra }, viewContext);
    sendHtml(res, renderViewToChunks(viewContext.views.layout({ title: `Trash · ${config.title}`, urls: data.urls, content, csrfToken: data.csrfToken }, viewContext)));
  };

  // Under htmx the answer is the list the form came from (`view`), with the notice; without JavaScript a 303 back to
  // that list as it was, the notice waiting in the session (with its Undo form).
  // With Accept: application/json, an action answers `json` instead (see lib/http/api-description.ts).
  const finish = async (req: Request, res: Response, notice: Notice, json: Record<string, unknown>) => {
    if (wantsJson(req)) {
      await saveSession(req);
      return sendJson(res, 200, json);
    }
    const view = viewOf(req);
    if (!isHtmx(req)) req.session.workflowSessionsFlash = notice;
    await saveSession(req);
    if (isHtmx(req)) {
      if (view === "trash") await sendTrashList(req, res, notice);
      else await list.sendList(req, res, notice);
      return;
    }
    const urls = urlsFor(req);
    res.redirect(
      303,
      view === "trash"
        ? withListState(urls.trash!, trashStateQuery(trashParamsFrom(req.query, config.pageSize)))
        : withListState(urls.page, listStateQuery(listParamsFrom(req.query, config.pageSize).query)),
    );
  };

  // The label a message or a confirmation names, for one session of the list or of the trash (404 when it is not).
  const labelOf = async (req: Request, sessionId: string, view: "sessions" | "trash"): Promise<string> => {
    const scope = scopeOf(req);
    if (view === "sessions") return (await service.getItem(sessionId, scope)).displayLabel;
    const item = await trash.getTrashed(sessionId, scope);
    if (!item) throw new SessionNotFoundError(config.flowId, sessionId);
    return item.displayLabel;
  };

  const singleLabel = async (req: Request, target: TrashTarget, view: "sessions" | "trash") =>
    "ids" in target && target.ids.length === 1 ? labelOf(req, target.ids[0]!, view) : undefined;

  const countOf = async (req: Request, target: TrashTarget, view: "sessions" | "trash"): Promise<number> => {
    if ("ids" in target) return target.ids.length;
    const search = "search" in target ? target.search : "";
    if (view === "trash") return (await trash.listTrash({ offset: 0, limit: 1, orderBy: "deleted_at", descending: true, search }, scopeOf(req))).total;
    return config.store.countSessions(config.flowId, { search, owner: scopeOf(req).owner, tags: "tags" in target ? target.tags : undefined });
  };

  // The page with the tag dialog open for the posted selection (the bulk bar's "Tag…" without JavaScript).
  const sendTagDialog = async (req: Request, res: Response, target: SessionTarget, label: string | undefined) => {
    const count = await countOf(req, target, "sessions");
    const what = label === undefined ? sessions(count) : `“${label}”`;
    const tagDialog = {
      urls: { ...urlsFor(req), state: listStateQuery(listParamsFrom(req.query, config.pageSize).query) },
      csrfToken: csrfTokenFor(req),
      question: `Add or remove a tag on ${what}`,
      sessionIds: "ids" in target ? target.ids : [],
      allMatching: "search" in target,
      search: "search" in target ? target.search : "",
      open: true,
    };
    if (wantsJson(req)) {
      const { addTag, removeTag } = tagUrlsOf(tagDialog.urls);
      // With the list's state (its tag filter among it), as the page's forms post them.
      const at = (url: string) => withListState(url, tagDialog.urls.state);
      const choices = [{ label: "Add tag", url: at(addTag), danger: false }, { label: "Remove tag", url: at(removeTag), danger: false }];
      return sendJson(res, 200, { question: tagDialog.question, detail: "Post the tag as the field name, with the same sessions.", count, choices });
    }
    await list.sendPage(req, res, { tagDialog });
  };

  return {
    async deleteSessions(req, res) {
      const scope = scopeOf(req);
      const target = sessionTargetFrom(req.body, req.query);
      const label = await singleLabel(req, target, "sessions");
      // Another owner's (or a vanished) active session is not kept, and the next active one is the caller's own.
      const result = await trash.delete(target, await activeSessionOf(req), scope, actionOptions(req, target));
      if (result.nextActive === undefined) delete req.session.activeSessionId;
      else req.session.activeSessionId = result.nextActive;
      const what = label === undefined ? sessions(result.count) : `“${label}”`;
      const deleted = {
        ...("ids" in target && result.count > 0 ? { deleted: target.ids } : {}),
        count: result.count,
        permanent: result.permanent,
        batch: result.permanent || result.count === 0 ? null : result.batch,
        activeSessionId: result.nextActive ?? null,
      };
      if (result.count === 0) return finish(req, res, { kind: "info", message: "No session matched, so nothing was deleted." }, deleted);
      const undo =
        result.permanent ? undefined : { url: urlsFor(req).restore!, sessionIds: "ids" in target ? target.ids : [], batch: "ids" in target ? undefined : result.batch, csrfToken: csrfTokenFor(req) };
      await finish(req, res, { kind: "success", message: result.permanent ? `Deleted ${what} permanently.` : `Deleted ${what}.`, undo }, deleted);
    },

    async restoreSessions(req, res) {
      const target = trashTargetFrom(req.body, { batch: true });
      const label = await singleLabel(req, target, "trash");
      const count = await trash.restore(target, scopeOf(req), { request: req });
      if (count === 0) return finish(req, res, { kind: "info", message: "Nothing matched in the trash, so nothing was restored." }, { restored: 0 });
      await finish(req, res, { kind: "success", message: `Restored ${label === undefined ? sessions(count) : `“${label}”`}.` }, { restored: count });
    },

    async purgeSessions(req, res) {
      const target = trashTargetFrom(req.body, { all: true });
      const label = await singleLabel(req, target, "trash");
      const count = await trash.purge(target, scopeOf(req), { request: req });
      const emptied = flag(req.body, "all");
      const message = emptied
        ? `Emptied the trash: ${sessions(count)} deleted forever.`
        : `Deleted ${label === undefined ? sessions(count) : `“${label}”`} forever.`;
      await finish(req, res, { kind: "success", message }, { purged: count });
    },

    async confirmAction(req, res) {
      const view = viewOf(req);
      const intent = intentOf(req.body, view, trash.enabled);
      const target = view === "trash" ? trashTargetFrom(req.body, { all: true }) : sessionTargetFrom(req.body, req.query);
      const label = await singleLabel(req, target, view);
      if (intent === "tag") return sendTagDialog(req, res, target as SessionTarget, label);
      const count = await countOf(req, target, view);
      const urls = urlsFor(req);
      const dialog = confirmation({ urls, intent, view, target, label, count, all: view === "trash" && flag(req.body, "all"), req, trashKeepDays: config.trashKeepDays });
      if (wantsJson(req)) return sendJson(res, 200, { question: dialog.question, detail: dialog.detail, count, choices: dialog.choices });
      if (view === "trash") return sendTrashPage(req, res, req.query, { dialog });
      await list.sendPage(req, res, { bulkDialog: dialog });
    },

    async showTrash(req, res) {
      const notice = req.session.workflowSessionsFlash;
      if (notice) {
        delete req.session.workflowSessionsFlash;
        await saveSession(req);
      }
      if (wantsJson(req)) return sendTrashJson(req, res);
      await sendTrashPage(req, res, req.query, { notice });
    },

    async showTrashList(req, res) {
      if (isHtmx(req)) {
        const query = trashParamsFrom(req.query, config.pageSize);
        res.set(req.get("EWS-Window") === "scroll" ? "HX-Replace-Url" : "HX-Push-Url", withListState(urlsFor(req).trash!, trashStateQuery(query)));
      }
      if (wantsJson(req)) return sendTrashJson(req, res);
      await sendTrashList(req, res);
    },
  };
}

type Intent = "delete" | "restore" | "purge" | "choose" | "tag";

function confirmation({
  urls,
  intent,
  view,
  target,
  label,
  count,
  all,
  req,
  trashKeepDays,
}: {
  urls: ManagerUrls;
  intent: Intent;
  view: "sessions" | "trash";
  target: TrashTarget;
  label: string | undefined;
  count: number;
  all: boolean;
  req: Request;
  trashKeepDays: number | false;
}): BulkDialogViewData {
  const what = label === undefined ? sessions(count) : `“${label}”`;
  const state = view === "trash" ? trashStateQuery(trashParamsFrom(req.query, 50)) : listStateQuery(listParamsFrom(req.query, 50).query);
  const at = (url: string | undefined) => withListState(url!, state);
  const restore: BulkDialogChoice = { label: "Restore", url: at(urls.restore), danger: false };
  const purge: BulkDialogChoice = { label: "Delete forever", url: at(urls.purge), danger: true };
  let question: string;
  let detail: string;
  let choices: BulkDialogChoice[];
  if (intent === "delete") {
    question = trashKeepDays === false ? `Delete ${what} permanently?` : `Move ${what} to the trash?`;
    detail = trashKeepDays === false ? "This cannot be undone." : `You can restore ${count === 1 ? "it" : "them"} from the trash for ${trashKeepDays} ${trashKeepDays === 1 ? "day" : "days"}.`;
    choices = [{ label: trashKeepDays === false ? "Delete permanently" : "Move to trash", url: at(urls.delete), danger: true }];
  } else if (intent === "restore") {
    question = `Restore ${what}?`;
    detail = `${count === 1 ? "It goes" : "They go"} back to the list as ${count === 1 ? "it was" : "they were"}.`;
    choices = [restore];
  } else if (intent === "purge") {
    question = all ? `Empty the trash? ${sessions(count)} will be deleted forever.` : `Delete ${what} forever?`;
    detail = "This cannot be undone.";
    choices = [purge];
  } else {
    question = `Restore ${what}, or delete ${count === 1 ? "it" : "them"} forever?`;
    detail = "Deleting forever cannot be undone.";
    choices = [restore, purge];
  }
  return {
    question,
    detail,
    choices,
    sessionIds: "ids" in target ? target.ids : [],
    allMatching: "search" in target && !all,
    all,
    search: "search" in target ? target.search : "",
    view,
    cancelUrl: view === "trash" ? at(urls.trash) : at(urls.page),
    csrfToken: csrfTokenFor(req),
    open: true,
  };
}

/** The request for the hooks and, for a delete of one id, the `version` its form was rendered with. */
function actionOptions(req: Request, target: TrashTarget): { request: Request; expectedVersion: string | undefined } {
  // A JSON client's If-Match (the item's ETag) stands for the form's version field.
  const version = ifMatchVersion(req) ?? field(req.body, "version")?.trim();
  const single = "ids" in target && target.ids.length === 1;
  return { request: req, expectedVersion: single && version ? version : undefined };
}

function viewOf(req: Request): "sessions" | "trash" {
  return field(req.body, "view") === "trash" ? "trash" : "sessions";
}

function intentOf(body: unknown, view: "sessions" | "trash", trashEnabled: boolean): Intent {
  const intent = field(body, "intent");
  if (intent === undefined) return view === "trash" ? "choose" : "delete";
  const allowed = view === "trash" ? ["restore", "purge"] : ["delete", "tag"];
  if (!allowed.includes(intent) || (view === "trash" && !trashEnabled)) {
    throw new InvalidInputError(`The field intent must be ${allowed.join(" or ")} here.`);
  }
  return intent as Intent;
}

function field(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InvalidInputError(`Send the field "${name}" once, as text.`);
  return value;
}

function flag(body: unknown, name: string): boolean {
  const value = field(body, name);
  if (value === undefined) return false;
  if (value !== "1") throw new InvalidInputError(`The field ${name} must be 1 when it is sent.`);
  return true;
}

/**
 * The sessions a form names: `all_matching=1` with `q` and the list's tag filter (`tag`, repeated, from the body as
 * the client sends it, else from the query as the form's action carries the list's state), or `session_id` once or
 * repeated (at most 1,000).
 */
export function sessionTargetFrom(body: unknown, query?: unknown): SessionTarget {
  if (flag(body, "all_matching")) {
    const inBody = (body as Record<string, unknown> | undefined)?.tag;
    const tags = tagFilterFrom(inBody !== undefined ? inBody : (query as Record<string, unknown> | undefined)?.tag);
    return { search: searchFrom(field(body, "q")), ...(tags.length > 0 ? { tags } : {}) };
  }
  const raw = (body as Record<string, unknown> | undefined)?.session_id;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (values.length > MAX_BULK_IDS) {
    throw new InvalidInputError(`Send at most ${number(MAX_BULK_IDS)} session_id fields at once; for more, send all_matching=1 with the search q.`);
  }
  const ids = values.map((value) => {
    if (typeof value !== "string") throw new InvalidInputError("Send each session_id as text.");
    const id = value.trim();
    if (!id) throw new InvalidInputError("The field session_id is required.");
    if (!SESSION_ID_PATTERN.test(id)) throw new InvalidInputError("The field session_id is not a valid session id.");
    return id;
  });
  if (ids.length === 0) throw new InvalidInputError("The field session_id is required.");
  return { ids: [...new Set(ids)] };
}

/** The trashed sessions a form names: as {@link sessionTargetFrom}, or `batch` (with `batch`), or `all=1` (with `all`). */
export function trashTargetFrom(body: unknown, { batch = false, all = false }: { batch?: boolean; all?: boolean } = {}): TrashTarget {
  if (all && flag(body, "all")) return { search: "" };
  const id = batch ? field(body, "batch") : undefined;
  if (id !== undefined) {
    if (!BATCH_PATTERN.test(id)) throw new InvalidInputError("The field batch is not the id of a delete.");
    return { batch: id };
  }
  // The trash has no tag filter: every trashed match of the search.
  const target = sessionTargetFrom(body);
  return "search" in target ? { search: target.search } : target;
}
