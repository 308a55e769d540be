import type { Request, Response } from "express";
import { InvalidInputError } from "../errors.js";
import { MAX_TAGS, type TagService } from "../service/tag-service.js";
import { actionAnswer, sessionIdFrom, singleField } from "./action-answer.js";
import { sessionTargetFrom } from "./trash-routes.js";
import { etagOf } from "./conditional-requests.js";
import { sessionJson } from "./json-replies.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";

/** The handlers of tagging; each runs after the body is parsed and the CSRF check passed. */
export interface TagRoutes {
  /**
   * `POST {prefix}/tags`: replaces the tags of `session_id` with the `tag` fields (repeated; none clears them; blank
   * ones are ignored). 400 for more than 20 or a bad tag; 404 for a session that is not the caller's. JSON: the item
   * with its `tags` as stored.
   */
  setTags(req: Request, res: Response): Promise<void>;
  /**
   * `POST {prefix}/tags/add`: adds the tag `name` to the sessions the form names, as a bulk delete names them
   * (`session_id` repeated, at most 1,000, or `all_matching=1` with `q`), where they lack it; a session with 20 tags
   * already is left as it is. 400 for a bad tag; 404 when an id is not the caller's (nothing changes). JSON:
   * `{ tag, changed, full }`.
   */
  addTag(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/tags/remove`: removes the tag `name` from the sessions the form names, as `addTag` adds it. */
  removeTag(req: Request, res: Response): Promise<void>;
}

const count = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "session" : "sessions"}`;

/** The body's `tag` fields, once or repeated, as text; blank ones (an empty chip input) left out. */
export function tagFields(body: unknown): string[] {
  const raw = (body as Record<string, unknown> | undefined)?.tag;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  // The body's size bounds the fields; duplicates collapse, so the store counts the tags (at most MAX_TAGS).
  return values.map((value) => {
    if (typeof value !== "string") throw new InvalidInputError("Send each tag as text.");
    return value;
  }).filter((value) => value.trim() !== "");
}

/** Builds the tag handlers over one manager's {@link RouteContext}; they answer as the other actions do. */
export function tagRoutes(context: RouteContext, list: ListRoutes, tags: TagService): TagRoutes {
  const finish = actionAnswer(context, list);

  const changeTag = async (req: Request, res: Response, op: "add" | "remove") => {
    const scope = context.scopeOf(req);
    const target = sessionTargetFrom(req.body, req.query);
    const name = singleField(req.body, "name") ?? "";
    if (name.trim() === "") throw new InvalidInputError("Name the tag to add or remove (the field name).");
    const one = "ids" in target && target.ids.length === 1 ? (await context.service.getItem(target.ids[0]!, scope)).displayLabel : undefined;
    const change = op === "add" ? await tags.addTag(target, name, scope) : await tags.removeTag(target, name, scope);
    const what = (n: number) => (one === undefined ? count(n) : `“${one}”`);
    const tag = `“${change.tag}”`;
    let message: string;
    if (op === "remove") message = change.changed === 0 ? `No session had the tag ${tag}, so nothing changed.` : `Removed the tag ${tag} from ${what(change.changed)}.`;
    else if (change.changed === 0 && change.full === 0) message = one === undefined ? `Every session already had the tag ${tag}.` : `${what(1)} already had the tag ${tag}.`;
    else if (change.changed === 0 && one !== undefined) message = `${what(1)} already has ${MAX_TAGS} tags, the most a session may have, so ${tag} was not added.`;
    else {
      message = change.changed === 0 ? `Added the tag ${tag} to no session.` : `Added the tag ${tag} to ${what(change.changed)}.`;
      if (change.full > 0) message += ` ${one === undefined ? `${count(change.full)} already had` : "It already has"} ${MAX_TAGS} tags, the most a session may have.`;
    }
    await finish(req, res, { kind: change.changed === 0 ? "info" : "success", message }, () => ({ status: 200, body: change }));
  };

  return {
    addTag: (req, res) => changeTag(req, res, "add"),
    removeTag: (req, res) => changeTag(req, res, "remove"),

    async setTags(req, res) {
      const scope = context.scopeOf(req);
      const sessionId = sessionIdFrom(req);
      const item = await tags.setTags(sessionId, tagFields(req.body), scope);
      // The body's `tag` fields were the session's; the list answered comes back with the filter of the query.
      delete (req.body as Record<string, unknown>).tag;
      const message = item.tags!.length === 0 ? `Cleared the tags of “${item.displayLabel}”.` : `Tagged “${item.displayLabel}”: ${item.tags!.join(", ")}.`;
      await finish(req, res, { kind: "success", message }, () => ({
        status: 200,
        body: { ...sessionJson(item, req.session.activeSessionId), tags: item.tags },
        headers: { ETag: etagOf(item.version) },
      }));
    },
  };
}
