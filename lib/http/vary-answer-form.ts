import type { RequestHandler } from "express";

/** The request headers that choose between an answer's forms: a page or a redirect, an htmx fragment, JSON. */
export const ANSWER_FORM_HEADERS = "Accept, HX-Request";

/**
 * Adds `Vary: Accept, HX-Request` to every answer of a manager route (pages, fragments, JSON, redirects and errors
 * alike), so that a cache (the browser's back-forward cache, a proxy) keeps the forms of one URL apart. Keeps whatever
 * `Vary` the answer already has. The assets and the OpenAPI description, the same in every form, do not use it.
 */
export const varyOnAnswerForm: RequestHandler = function varyOnAnswerForm(_req, res, next) {
  res.vary(ANSWER_FORM_HEADERS);
  next();
};
