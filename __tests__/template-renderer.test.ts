import { html } from "@lit-labs/ssr";
import { html as litHtml, noChange, nothing } from "lit-html";
import { classMap } from "lit-html/directives/class-map.js";
import { guard } from "lit-html/directives/guard.js";
import { keyed } from "lit-html/directives/keyed.js";
import { unsafeHTML } from "lit-html/directives/unsafe-html.js";
import { customElements, HTMLElement } from "@lit-labs/ssr-dom-shim";
import { renderView } from "../lib/render/render-view.js";
import type { SessionListItem } from "../lib/service/enrichment.js";
import type { SessionPage } from "../lib/service/list-page.js";
import { renderTemplateToChunks, renderTemplateToString, UnreadableTemplateError, UnsupportedTemplateError } from "../lib/render/template-renderer.js";
import type { ListViewData, ManagerUrls } from "../views/view-data.js";
import { BUILT_IN_CONTEXT, builtInViews } from "../views/view-set.js";
import { litSsr, normalise, templateStrings } from "./lit-ssr-oracle.js";

/**
 * Asserts the fast renderer gives the document @lit-labs/ssr gives, both parsed as HTML; and, for a server-only
 * template whose static text is ASCII (where the renderer writes no character reference), the same bytes.
 */
function expectSameAsLitSsr(template: unknown): string {
  const fast = renderTemplateToString(template);
  const raw = litSsr(template);
  expect(normalise(fast)).toBe(normalise(raw));
  if (!/[^\0-\x7f]/.test(JSON.stringify(staticStrings(template))) && !/<!--lit-part/.test(raw)) expect(fast).toBe(raw);
  return fast;
}

/** Every static string of a template and of the templates nested in it. */
function staticStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(staticStrings);
  if (typeof value !== "object" || value === null || !("strings" in value)) return [];
  const { strings, values } = value as { strings: string[]; values: unknown[] };
  return [...strings, ...values.flatMap(staticStrings)];
}

const HOSTILE = `<script>alert("x")</script> & 'quoted' "double" \${x} —`;

describe("renderTemplateToString()", () => {
  describe("gives @lit-labs/ssr's output for", () => {
    const cases: Array<[string, () => unknown]> = [
      ["static HTML", () => html`<div class="a">static &amp; text</div>`],
      ["text bindings, escaped", () => html`<p>${HOSTILE}</p><p>${42}</p><p>${0}</p><p>${false}</p><p>${true}</p>`],
      ["empty values in text", () => html`<p>${""}|${null}|${undefined}|${nothing}|${noChange}</p>`],
      ["an unquoted attribute", () => html`<a href=${HOSTILE} class="x">link</a>`],
      ["a double-quoted attribute", () => html`<a href="${HOSTILE}" class="x">link</a>`],
      ["a single-quoted attribute", () => html`<a href='${HOSTILE}' class="x">link</a>`],
      ["text around a binding in a value", () => html`<a class="btn ${"primary"} big" title='a ${"b"} c'>x</a>`],
      ["several bindings in one value", () => html`<a class="${"a"} ${"b"}-${3}" data-x="${null}${undefined}">x</a>`],
      ["`nothing` removing an attribute", () => html`<a href=${nothing} class="one ${nothing}" title="${nothing}">x</a>`],
      ["`noChange`, null and undefined in attributes", () => html`<a href=${noChange} title=${null} data-a=${undefined} data-b="x${noChange}">x</a>`],
      ["numbers and booleans in attributes", () => html`<td aria-rowindex=${3} data-on=${true} data-off=${false}></td>`],
      ["an unquoted value with text around the binding", () => html`<a data-x=pre${"mid"}post data-y=${"v"}>x</a>`],
      ["boolean attributes", () => html`<input ?disabled=${true} ?readonly=${false} ?required=${nothing} ?checked=${"yes"} ?hidden=${0} />`],
      ["a value right before a self-closing end", () => html`<input value=${"v"}/><input value=${"w"} />`],
      ["bindings across lines and spaces", () => html`<input
        type="text"
        name = ${"n"}
        value =  "${"v"}"
      />`],
      ["nested templates", () => html`<ul>${html`<li class=${"c"}>${"one"}</li>`}${[1, 2].map((n) => html`<li>${n}</li>`)}</ul>`],
      ["iterables", () => html`<p>${["a", HOSTILE, 3, null, [html`<b>${"deep"}</b>`]]}${new Set(["s"])}</p>`],
      ["objects as text", () => html`<p>${{ toString: () => "<obj>" }}</p><p title=${{ toString: () => "t\"" }}>x</p>`],
      ["a binding in <title> and <textarea>", () => html`<title>${HOSTILE}</title><textarea name="t">${HOSTILE}</textarea>`],
      ["static comments and markup after them", () => html`<!-- a comment with "quotes" and <tags> --><p a=${"b"}>${"c"}</p>`],
      ["a whole document", () => html`<!DOCTYPE html><html lang="en"><head><meta name="x" content=${"y"} /></head><body class=${"b"}>${"t"}</body></html>`],
      ["a character reference next to a binding in an attribute value", () => html`<a title="a &amp; ${"b"} &lt;" data-x='&quot;${HOSTILE}'>x</a>`],
      ["bindings inside <template>", () => html`<template><p class=${"c"}>${HOSTILE}</p></template>`],
      ["a binding in an SVG <title>", () => html`<svg><title>${HOSTILE}</title></svg>`],
      ["SVG markup", () => html`<svg class=${"size-4"} viewBox="0 0 24 24">${html`<path d="M5 12h14" />`}<use href=${"#i"}></use></svg>`],
      ["a binding at the very start and end", () => html`${"start"}<p>${"mid"}</p>${"end"}`],
      ["attributes of a raw-text element", () => html`<textarea class=${"c"} rows="3">${"text"}</textarea><script type="module" src=${"/a.js"}></script>`],
      ["adjacent attribute bindings", () => html`<a href=${"h"} title=${"t"} data-a="${"x"}" data-b='${"y"}'>x</a>`],
    ];
    it.each(cases)("%s", (_name, template) => {
      expectSameAsLitSsr(template());
    });

    it.each(cases)("%s, in chunks: the same bytes as the string's", (_name, template) => {
      expect(Buffer.concat(renderTemplateToChunks(template())).equals(Buffer.from(renderTemplateToString(template())))).toBe(true);
    });
  });

  describe("renderTemplateToChunks()", () => {
    it("cuts a long output into several chunks, never between the two halves of a character outside the BMP", () => {
      // 😀 is two UTF-16 units; here two adjacent values carry one each, the first ending past the chunk edge.
      const template = html`<ul>${Array.from({ length: 10 }, () => html`<li>${`${"x".repeat(8_200)}\ud83d`}${"\ude00 y"}</li>`)}</ul>`;
      const chunks = renderTemplateToChunks(template);
      expect(chunks.length).toBeGreaterThanOrEqual(10);
      expect(renderTemplateToString(template)).toContain("x😀 y");
      expect(Buffer.concat(chunks).equals(Buffer.from(renderTemplateToString(template)))).toBe(true);
      for (const chunk of chunks) expect(chunk.toString("utf8")).not.toContain("\uFFFD");
    });
  });

  describe("writes characters outside ASCII", () => {
    it("in static text and attributes as character references, which parse to the same characters", () => {
      expect(renderTemplateToString(html`<p title="–">Rows ${1}–${2} ↓ 😀</p>`)).toBe(`<p title="&#8211;">Rows 1&#8211;2 &#8595; &#128512;</p>`);
    });

    it("in values as they are", () => {
      expect(renderTemplateToString(html`<p title=${"–"}>${"“x” 😀"}</p>`)).toBe(`<p title="–">“x” 😀</p>`);
    });

    it("in the static text of a bound attribute's value as character references too", () => {
      expect(renderTemplateToString(html`<p title="– ${"x"} ↓">y</p>`)).toBe(`<p title="&#8211; x &#8595;">y</p>`);
    });

    it("as they are in tag and attribute names, where references would not be decoded, and as references beside them", () => {
      expect(renderTemplateToString(html`<p data-ü="ü">${"x"}–</p>`)).toBe(`<p data-ü="&#252;">x&#8211;</p>`);
    });

    it("as they are in comments, <script>, <style> and CDATA, where references would not be decoded", () => {
      const template = html`<!-- – --><style>.a::after { content: "–" }</style><script type="text/x-demo">"–"</script><svg><![CDATA[–]]></svg><noscript>–</noscript><p>${"x"}–</p>`;
      expect(renderTemplateToString(template)).toBe(`<!-- – --><style>.a::after { content: "–" }</style><script type="text/x-demo">"–"</script><svg><![CDATA[–]]></svg><noscript>–</noscript><p>x&#8211;</p>`);
      expectSameAsLitSsr(template);
    });

    it("as references in <textarea> and <title>, whose text is decoded, with the same document as @lit-labs/ssr's", () => {
      const template = html`<title>– ${"x"}</title><textarea>– ${"y"} ↓</textarea><svg><title>– ${"z"}</title></svg>`;
      expect(renderTemplateToString(template)).toBe(`<title>&#8211; x</title><textarea>&#8211; y &#8595;</textarea><svg><title>&#8211; z</title></svg>`);
      expectSameAsLitSsr(template);
    });

    it("as they are when a reference would stand for another character (U+0080 to U+009F)", () => {
      const template = html`<p title="\u0085–">\u0080–${"x"}</p>`;
      expect(renderTemplateToString(template)).toBe(`<p title="\u0085&#8211;">\u0080&#8211;x</p>`);
      expectSameAsLitSsr(template);
    });

    it("so a built-in list of ASCII data is one ASCII string", () => {
      const urls: ManagerUrls = { page: "/m", list: "/m/list", create: "/m/create", rename: "/m/rename", delete: "/m/delete", resume: "/m/resume", duplicate: "/m/duplicate", assets: "/m/assets", state: "" };
      const items: SessionListItem[] = [0, 1].map((n) => ({
        flowId: "flow",
        sessionId: `s-${n}`,
        label: null,
        currentStep: n ? "review" : null,
        createdAt: new Date(Date.UTC(2026, 10, 24, 10, n)),
        updatedAt: new Date(Date.UTC(2026, 10, 24, 11, n)),
        stateSizeBytes: 2048,
        displayLabel: `Session ${n}`,
        stepTitle: n ? "Review" : null,
        fields: { sources: "1" },
        version: `v${n}`,
      }));
      const data: ListViewData = {
        page: { items, total: 80, offset: 0, limit: 2, orderBy: "updated_at", descending: true, search: "talk" },
        cursor: 0,
        activeSessionId: "s-1",
        columns: [{ field: "sources", header: "Sources" }],
        urls,
        csrfToken: "t",
        now: new Date(Date.UTC(2026, 10, 24, 12)),
      };
      expect(renderTemplateToString(builtInViews.list(data, BUILT_IN_CONTEXT))).toMatch(/^[\0-\x7f]*$/);
    });
  });

  describe("gives @lit-labs/ssr's output for every built-in view", () => {
    const urls: ManagerUrls = { page: "/m", list: "/m/list", create: "/m/create", rename: "/m/rename", delete: "/m/delete", resume: "/m/resume", duplicate: "/m/duplicate", assets: "/m/assets", state: "sort=label&dir=asc&q=%3Cx%3E&offset=50" };
    const item = (n: number): SessionListItem => ({
      flowId: "flow",
      sessionId: `s-${n}`,
      label: n % 2 ? HOSTILE : null,
      currentStep: n % 3 ? "review" : null,
      createdAt: n % 4 ? new Date(Date.UTC(2026, 10, 24, 10, n)) : null,
      updatedAt: new Date(Date.UTC(2026, 10, 24, 11, n)),
      stateSizeBytes: 1234 * n,
      displayLabel: n % 2 ? HOSTILE : `Session ${n}`,
      stepTitle: n % 3 ? "Review" : null,
      fields: { sources: String(n), segments: n % 2 ? "—" : "<b>7</b>" },
      version: `v-${n}`,
    });
    const page = (items: SessionListItem[], search = ""): SessionPage => ({
      items,
      total: items.length + 100,
      offset: 50,
      limit: 50,
      orderBy: "label",
      descending: false,
      search,
    });
    const columns = [{ field: "sources", header: "Sources" }, { field: "segments", header: "Segments & more", className: "w-24" }];
    const list = (items: SessionListItem[], search = ""): ListViewData => ({
      page: page(items, search),
      cursor: 52,
      activeSessionId: "s-2",
      columns,
      urls,
      csrfToken: "tok\"en",
      now: new Date(Date.UTC(2026, 10, 24, 12)),
    });
    const context = BUILT_IN_CONTEXT;
    const views = builtInViews;
    const cases: Array<[string, () => unknown]> = [
      ["list with rows", () => views.list(list([1, 2, 3, 4, 5, 6].map(item)), context)],
      ["list, empty", () => views.list({ ...list([]), page: { ...page([]), total: 0, offset: 0 } }, context)],
      ["list, no matches", () => views.list({ ...list([], HOSTILE), page: { ...page([], HOSTILE), total: 0, offset: 0 } }, context)],
      ["row, selected and active", () => views.row({ item: item(2), active: true, index: 7, selected: true, columns, urls, csrfToken: "t", now: new Date() }, context)],
      ["page with the rename dialog open", () => views.page({ ...list([item(1)]), title: HOSTILE, dialog: { kind: "rename", session: { sessionId: "s-1", label: HOSTILE } } }, context)],
      ["page with the delete dialog open and a notice", () =>
        views.page({ ...list([item(1)]), title: "T", notice: { kind: "error", message: HOSTILE }, dialog: { kind: "delete", session: { sessionId: "s-1", label: HOSTILE } } }, context)],
      ["layout around a page", () => views.layout({ title: HOSTILE, urls, content: views.page({ ...list([item(3)]), title: "T" }, context), csrfToken: "t" }, context)],
      ["layout without a token", () => views.layout({ title: "T", urls, content: "plain <text>" }, context)],
      ["toolbar", () => views.toolbar({ page: page([], HOSTILE), urls, csrfToken: "t" }, context)],
      ["notices", () => views.notice({ kind: "success", message: HOSTILE }, context)],
      ["error page", () => views.errorPage({ status: 503, message: HOSTILE, backUrl: "/m?x=\"1\"" }, context)],
      ["rename dialog, closed", () => views.renameDialog({ urls, csrfToken: "t" }, context)],
      ["delete dialog, closed", () => views.deleteDialog({ urls, csrfToken: "t" }, context)],
    ];
    it.each(cases)("%s", (_name, template) => {
      expectSameAsLitSsr(template());
    });

    it.each(cases)("%s, in chunks: the same bytes as the string's", (_name, template) => {
      expect(Buffer.concat(renderTemplateToChunks(template())).equals(Buffer.from(renderTemplateToString(template())))).toBe(true);
    });
  });

  it("gives @lit-labs/ssr's output for 500 generated templates", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const scalars = [HOSTILE, "plain", "", 0, 17, -1.5, true, false, null, undefined, nothing, noChange, "a\"b'c<d>&e"];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth < 2 && r < 0.15) return generate(depth + 1);
      if (depth < 2 && r < 0.25) return [pick(scalars), generate(depth + 1), pick(scalars)];
      return pick(scalars);
    };
    const attributeValue = () => pick(scalars.filter((v) => v !== noChange || random() < 0.5));
    // A template is built from pieces: static markup, text bindings and elements with bound attributes.
    function generate(depth: number): unknown {
      const strings: string[] = [""];
      const values: unknown[] = [];
      const bind = (before: string, v: unknown) => {
        strings[strings.length - 1] += before;
        values.push(v);
        strings.push("");
      };
      const add = (text: string) => (strings[strings.length - 1] += text);
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        const tag = pick(["div", "span", "a", "p", "em", "button"]); // valid anywhere in a fragment
        add(`<${tag}`);
        // Each attribute once: an HTML parser drops a repeated one, and @lit-labs/ssr then refuses the template.
        const names = ["class", "title", "data-x", "aria-label", "href"];
        for (let a = Math.floor(random() * 4); a > 0; a--) {
          const name = names.splice(Math.floor(random() * names.length), 1)[0]!;
          const form = pick(["unquoted", "double", "single", "multi", "static", "boolean", "prefixed"]);
          if (form === "unquoted") bind(` ${name}=`, attributeValue());
          else if (form === "double") (bind(` ${name}="`, attributeValue()), add(`"`));
          else if (form === "single") (bind(` ${name}='`, attributeValue()), add(`'`));
          else if (form === "multi") (bind(` ${name}="a `, attributeValue()), bind(" b ", attributeValue()), add(` c"`));
          else if (form === "boolean") bind(` ?${name}=`, attributeValue());
          else if (form === "prefixed") (bind(` ${name}="x-`, attributeValue()), add(`"`));
          else add(` ${name}="static ${a} é"`);
        }
        add(">");
        const children = Math.floor(random() * 3);
        for (let c = 0; c < children; c++) bind(pick(["", " text ", "<br>", "<!-- c -->", "\n  ", " – ↓ "]), value(depth));
        add(`</${tag}>`);
      }
      return html(templateStrings(strings), ...values);
    }
    for (let i = 0; i < 500; i++) expectSameAsLitSsr(generate(0));
  });

  describe("renders a lit-html template (`html` from lit-html) itself", () => {
    it("with @lit-labs/ssr's document, without its hydration comments", () => {
      const template = litHtml`<ul class=${"list"}>${[1, 2].map((n) => litHtml`<li title="a ${n} b">${"<i>"}</li>`)}</ul>`;
      const fast = expectSameAsLitSsr(template);
      expect(litSsr(template)).toContain("<!--lit-part");
      expect(fast).toBe(`<ul class="list"><li title="a 1 b">&lt;i&gt;</li><li title="a 2 b">&lt;i&gt;</li></ul>`);
    });

    it("nested in a server-only template, and through renderView()", () => {
      const template = html`<div>${litHtml`<p class=${"c"}>${"x"}</p>`}</div>`;
      expectSameAsLitSsr(template);
      expect(renderView(template)).toBe(`<div><p class="c">x</p></div>`);
    });

    it("refusing a binding in <textarea> or <title>, as @lit-labs/ssr does for a lit-html template", () => {
      const template = litHtml`<textarea>${"x"}</textarea>`;
      expect(() => litSsr(template)).toThrow();
      expect(() => renderView(template)).toThrow();
    });
  });

  describe("leaves to @lit-labs/ssr, by throwing UnsupportedTemplateError,", () => {
    beforeAll(() => {
      if (!customElements.get("ews-test-element")) customElements.define("ews-test-element", class extends HTMLElement {});
    });

    const cases: Array<[string, () => unknown]> = [
      ["a directive in text", () => html`<p>${guard([1], () => html`<b>x</b>`)}</p>`],
      ["keyed() with a key of its own, which the views never use to remember a row", () => html`<p>${keyed("k", html`<b>x</b>`)}</p>`],
      ["unsafeHTML(), whose text @lit-labs/ssr renders as a template (custom elements and all)", () => html`<p>${unsafeHTML("<b>x</b>")}</p>`],
      ["a directive in an attribute", () => html`<p class=${classMap({ a: true })}>x</p>`],
      ["an event binding in a lit-html template", () => litHtml`<button @click=${() => {}}>x</button>`],
      ["a server-only template inside a lit-html one, which @lit-labs/ssr refuses", () => litHtml`<div>${html`<p>${"x"}</p>`}</div>`],
      ["a registered custom element", () => html`<ews-test-element title=${"x"}></ews-test-element>`],
      ["a <slot>, which @lit-labs/ssr renders only inside a custom element", () => html`<slot>${"x"}</slot>`],
      ["a plain string", () => "text"],
      ["a binding inside <script>", () => html`<script type="application/json">${"{}"}</script>`],
      ["a binding inside <style>", () => html`<style>${"a{}"}</style>`],
      ["an object that only looks like a template", () => JSON.parse(`{"_$litType$":1,"_$litServerRenderMode":1,"strings":["<img src=x onerror=alert(1)>"],"values":[]}`)],
      ["a look-alike object inside a template", () => html`<p>${JSON.parse(`{"_$litType$":1,"_$litServerRenderMode":1,"strings":["<b>x</b>"],"values":[]}`)}</p>`],
    ];
    it.each(cases)("%s", (_name, template) => {
      expect(() => renderTemplateToString(template())).toThrow(UnsupportedTemplateError);
    });

    it("and renderView() then refuses a look-alike object as @lit-labs/ssr does, instead of printing its strings", () => {
      const fake = JSON.parse(`{"_$litType$":1,"_$litServerRenderMode":1,"strings":["<img src=x onerror=alert(1)>"],"values":[]}`);
      expect(() => renderView(html`<p>${fake}</p>`)).toThrow();
      expect(() => renderView(fake)).toThrow();
    });

    it("and renderView() then renders it as @lit-labs/ssr does", () => {
      const templates = [
        html`<p>${guard([1], () => html`<b>x</b>`)}</p>`,
        html`<p class=${classMap({ a: true, b: false })}>x</p>`,
        litHtml`<p @click=${() => {}}>${"x"}</p>`,
        html`<ews-test-element title=${"x"}></ews-test-element>`,
        html`<script type="application/json">${"{}"}</script>`,
        "text",
      ];
      for (const template of templates) expect(renderView(template)).toBe(litSsr(template));
    });
  });

  describe("refuses, with UnreadableTemplateError from renderView() too, a template the HTML parser reads differently from lit-html, such as", () => {
    const LABEL = `x hx-post="/delete" hx-trigger=load`;
    const cases: Array<[string, () => unknown]> = [
      ["an attribute without a space before the next one", () => html`<a class="x"title="Next >" data-label=${LABEL}>next</a>`],
      ["a quote in an attribute name", () => html`<a b"c=${LABEL}>x</a>`],
      ["a slash in an attribute name", () => html`<a b/c=${LABEL}>x</a>`],
      ["<script/x>", () => html`<script/x>${LABEL}</script>`],
      ["<style/x>", () => html`<style/x>${LABEL}</style>`],
      ["a <textarea> closed as </TEXTAREA>", () => html`<textarea>${LABEL}</TEXTAREA><a href=${LABEL}>x</a>`],
      ["an element inside an SVG <title>", () => html`<svg><title><b>${LABEL}</b></title></svg>`],
      ["an attribute inside an SVG <title>", () => html`<svg><title><b title=${LABEL}>x</b></title></svg>`],
      ["a binding in an attribute name after a quoted attribute", () => html`<div class="row" data-${"k"}="1">x</div>`],
      ["a binding in an attribute name after an unquoted attribute", () => html`<a title=x data-${"k"}=1>x</a>`],
      ["a binding in a comment", () => html`<!-- ${LABEL} -->`],
      ["a binding in a bogus comment", () => html`<! ${LABEL} >`],
      ["a binding in <noscript>, which lit-html does not know is raw text", () => html`<noscript>${LABEL}</noscript>`],
      ["a binding after a character reference in <textarea>, which @lit-labs/ssr cuts in the wrong place", () => html`<textarea>&amp; ${LABEL}</textarea>`],
      ["bindings the parser moves out of a <table>, which @lit-labs/ssr renders out of order", () => html`<table class=${"a"}><b class=${LABEL}>x</b></table>`],
      ["a duplicated bound attribute", () => html`<a title=${"a"} title=${LABEL}>x</a>`],
      ["a binding in a tag name", () => html`<${LABEL}>x</p>`],
      ["a comment that reads like a binding in text", () => html`<!--?${LABEL}-->`],
      ["a template that ends inside a tag, which would take in what follows it on the page", () => html`<p>${LABEL}</p><a title="x`],
      ["a template that ends inside a <textarea>", () => html`<textarea>${LABEL}`],
      ["a template that ends inside a bogus comment", () => html`<p>${LABEL}</p><?x`],
    ];
    it.each(cases)("%s", (_name, template) => {
      expect(() => renderTemplateToString(template())).toThrow(UnreadableTemplateError);
      expect(() => renderView(template())).toThrow(UnreadableTemplateError);
    });

    it("even when another value would have sent the template to @lit-labs/ssr", () => {
      const template = html`<p>${guard([1], () => html`<b>x</b>`)}</p>${html`<a class="x"title="Next >" data-label=${LABEL}>next</a>`}`;
      expect(() => renderView(template)).toThrow(UnreadableTemplateError);
    });
  });
});
