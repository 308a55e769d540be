import type { Request } from "express";
import type { ManagerUrls } from "../../views/view-data.js";
import type { ViewContext } from "../../views/view-set.js";
import { NotSignedInError } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import type { PinService } from "../service/pin-service.js";
import type { TagService } from "../service/tag-service.js";
import type { SessionService } from "../service/session-service.js";
import type { SessionScope } from "../session-types.js";
import { SESSION_ID_PATTERN } from "./session-data.js";
import { requestIdOf } from "./request-id.js";
import type { AssetCatalog } from "./assets.js";

/** The views the routes render with, once a folder of overrides has loaded (see `createSessionManager()`). */
export interface ViewLoader {
  /** Resolves once the views are ready; rejects with the `ConfigurationError` the folder failed with. */
  loaded(): Promise<void>;
  /** The views to render with now: the built-in ones until (or unless) the overrides have loaded. */
  context(): ViewContext;
}

/** What every route module of one manager shares: its options, its service and views, and who a request acts for. */
export interface RouteContext {
  readonly config: ResolvedOptions;
  readonly service: SessionService;
  /** Pins and the Pinned section. */
  readonly pins: PinService;
  /** Tags: a session's, and the owner's with counts. */
  readonly tags: TagService;
  readonly views: ViewLoader;
  /** The manager's URLs as seen from a router mounted at `mountPath`. */
  urlsAt(mountPath: string): ManagerUrls;
  /** The manager's URLs for `req`, from the path the router is mounted at. */
  urlsFor(req: Request): ManagerUrls;
  /** The sessions `req` may see: all, or with the `owner` option only its owner's; throws `NotSignedInError` without one. */
  scopeOf(req: Request): SessionScope;
  /** `req.session`'s active session when it is still one of the caller's own sessions of this flow. */
  activeSessionOf(req: Request): Promise<string | undefined>;
}

/** Builds the {@link RouteContext} of one manager. */
export function createRouteContext(config: ResolvedOptions, service: SessionService, pins: PinService, tags: TagService, views: ViewLoader, assets: AssetCatalog): RouteContext {
  const { prefix } = config;
  const urlsAt = (mountPath: string): ManagerUrls => {
    const base = `${mountPath}${prefix}`;
    return {
      page: base || "/",
      list: `${base}/list`,
      create: `${base}/create`,
      rename: `${base}/rename`,
      delete: `${base}/delete`,
      resume: `${base}/resume`,
      duplicate: `${base}/duplicate`,
      pin: `${base}/pin`,
      unpin: `${base}/unpin`,
      tags: `${base}/tags`,
      addTag: `${base}/tags/add`,
      removeTag: `${base}/tags/remove`,
      export: `${base}/export`,
      import: `${base}/import`,
      trash: `${base}/trash`,
      activity: config.activityKeepDays === false ? undefined : `${base}/activity`,
      trashList: `${base}/trash/list`,
      restore: `${base}/restore`,
      purge: `${base}/purge`,
      confirm: `${base}/confirm`,
      events: config.events ? `${base}/events` : undefined,
      assets: `${base}/assets`,
      assetUrls: assets.urlsAt(`${base}/assets`),
      state: "",
      readonly: config.readonly,
    };
  };
  const ownerOf = (req: Request): string | undefined => {
    const owner = config.owner?.(req);
    return typeof owner === "string" && owner !== "" ? owner : undefined;
  };
  // While the activity log is on, every change a request makes is recorded with its request id.
  const stamped = (req: Request, scope: SessionScope): SessionScope =>
    config.activityKeepDays === false ? scope : { ...scope, activity: { requestId: requestIdOf(req) } };
  const scopeOf = (req: Request): SessionScope => {
    if (!config.owner) return stamped(req, {});
    const owner = ownerOf(req);
    if (owner === undefined) throw new NotSignedInError();
    return stamped(req, { owner });
  };
  return {
    config,
    service,
    pins,
    tags,
    views,
    urlsAt,
    urlsFor: (req) => urlsAt(req.baseUrl),
    scopeOf,
    // req.session.activeSessionId is only a pointer the visitor's cookie carries: it may name a deleted session, or
    // another owner's after a second sign-in on the same express-session. Only the caller's own counts.
    async activeSessionOf(req) {
      const id = req.session.activeSessionId;
      if (typeof id !== "string" || !SESSION_ID_PATTERN.test(id)) return undefined;
      if (config.owner && ownerOf(req) === undefined) return undefined;
      return (await config.store.sessionExists(config.flowId, id, scopeOf(req))) ? id : undefined;
    },
  };
}
