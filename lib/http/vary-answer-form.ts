import type { Response } from "express";

/** The request headers that choose between an answer's forms: a page or a redirect, an htmx fragment, JSON. */
export const ANSWER_FORM_HEADERS = "Accept, HX-Request";

/**
 * Adds `Vary: Accept, HX-Request` to an answer whose form depends on those headers, so that a cache (the browser's
 * back-forward cache, a proxy) keeps the HTML page, the htmx fragment and the JSON answer of one URL apart. Keeps
 * whatever `Vary` the answer already has.
 */
export function varyOnAnswerForm(res: Response): Response {
  return res.vary(ANSWER_FORM_HEADERS);
}
