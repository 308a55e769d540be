import type { ManagerUrls } from "./view-data.js";

/** The trash and bulk URLs of {@link ManagerUrls}, with their defaults under `urls.page` when a host's object lacks them. */
export interface BulkUrls {
  trash: string;
  trashList: string;
  restore: string;
  purge: string;
  confirm: string;
}

/** The trash and bulk URLs of `urls`, each defaulting to its name under `urls.page`. */
export function bulkUrlsOf(urls: ManagerUrls): BulkUrls {
  const base = urls.page === "/" ? "" : urls.page;
  return {
    trash: urls.trash ?? `${base}/trash`,
    trashList: urls.trashList ?? `${base}/trash/list`,
    restore: urls.restore ?? `${base}/restore`,
    purge: urls.purge ?? `${base}/purge`,
    confirm: urls.confirm ?? `${base}/confirm`,
  };
}

/** The URLs that add or remove one tag on many sessions, each defaulting under `urls.page`. */
export function tagUrlsOf(urls: ManagerUrls): { addTag: string; removeTag: string } {
  const base = urls.page === "/" ? "" : urls.page;
  return { addTag: urls.addTag ?? `${base}/tags/add`, removeTag: urls.removeTag ?? `${base}/tags/remove` };
}

/** The pin URLs of `urls`, each defaulting to its name under `urls.page` when a host's object lacks them. */
export function pinUrlsOf(urls: ManagerUrls): { pin: string; unpin: string } {
  const base = urls.page === "/" ? "" : urls.page;
  return { pin: urls.pin ?? `${base}/pin`, unpin: urls.unpin ?? `${base}/unpin` };
}
