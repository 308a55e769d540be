import { html } from "@lit-labs/ssr";
import { html as litHtml } from "lit-html";
import { renderView } from "../lib/render/render-view.js";
import { litSsrOutcome, normalise, structure, templateStrings } from "./lit-ssr-oracle.js";

// Values that would become markup, attributes or the end of an attribute if the renderer put them in the wrong place.
const HOSTILE = [`x" hx-post="/delete" hx-trigger=load a='`, `</textarea></title></script><img src=x onerror=alert(1)>`, `--><b id=hostile>`];
const BENIGN = ["v", "w", "u"];

type Tag = (strings: TemplateStringsArray, ...values: unknown[]) => unknown;
const TAGS: Array<[string, Tag]> = [
  ["@lit-labs/ssr's html", html],
  ["lit-html's html", litHtml],
];

function outcome(render: () => string): string | { refused: Error } {
  try {
    return render();
  } catch (error) {
    return { refused: error as Error };
  }
}

/**
 * The contract, for one template: renderView() refuses what @lit-labs/ssr refuses; when it renders, its output is
 * @lit-labs/ssr's document, and a hostile value changes no element and no attribute of it.
 */
function expectReadAsLitSsrReadsIt(strings: readonly string[], tag: Tag): void {
  const array = templateStrings(strings);
  const hostile = (i: number) => HOSTILE[i % HOSTILE.length];
  const benign = (i: number) => BENIGN[i % BENIGN.length];
  const values = (pick: (i: number) => string | undefined) => strings.slice(1).map((_, i) => pick(i));
  const fast = outcome(() => renderView(tag(array, ...values(hostile))));
  const oracle = litSsrOutcome(tag(array, ...values(hostile)));
  const template = strings.join("${…}");
  if (typeof oracle !== "string") {
    expect({ template, fast: typeof fast === "string" ? fast : "refused" }).toEqual({ template, fast: "refused" });
    return;
  }
  if (typeof fast !== "string") return; // refused: allowed, never rendered differently
  // lit-html's templates get hydration comments from @lit-labs/ssr, and a comment in a <table> keeps the parser from
  // moving the whitespace beside it: there the reference is @lit-labs/ssr's reading of the same template server-only.
  const reference =
    tag === html || normalise(fast) === normalise(oracle) ? oracle : litSsrOutcome(html(array, ...values(hostile)));
  expect({ template, fast: normalise(fast) }).toEqual({ template, fast: typeof reference === "string" ? normalise(reference) : "refused" });
  const calm = renderView(tag(array, ...values(benign)));
  expect({ template, structure: structure(fast) }).toEqual({ template, structure: structure(calm) });
}

// Malformed markup that lit-html accepts: each `|` is a binding.
const MALFORMED = [
  `<a class="x"title="Next >" data-label=|>next</a>`,
  `<a class="x"title=|>`,
  `<a b"c=|>x</a>`,
  `<a b'c=|>x</a>`,
  `<a b/c=|>x</a>`,
  `<a b<c=|>x</a>`,
  `<a =x=|>x</a>`,
  `<script/x>|</script>`,
  `<script/x type="text/plain">|</script>`,
  `<style/x>|</style>`,
  `<textarea>|</TEXTAREA><a href=|>x</a>`,
  `<TEXTAREA>|</textarea><a href=|>x</a>`,
  `<title>|</Title><p class=|>`,
  `<svg><title><b>|</b></title></svg>`,
  `<svg><title><b title=|>x</b></title></svg>`,
  `<svg><title>|</title><a href=|></a></svg>`,
  `<svg><style>|</style></svg>`,
  `<svg><script>|</script></svg>`,
  `<svg><desc><p class=|>|</p></desc></svg>`,
  `<svg><foreignObject><p class=|>|</p></foreignObject></svg>`,
  `<math><mi class=|>|</mi><mtext><b>|</b></mtext></math>`,
  `<div data-|="1">x</div>`,
  `<div class="row" data-|="1">x</div>`,
  `<a title=x data-|=1>x</a>`,
  `<p |>y</p>`,
  `<|>x</p>`,
  `</p class=|>`,
  `<!-- | -->`,
  `<!--?|-->`,
  `<! | >`,
  `<? | >`,
  `</{ | >`,
  `<noscript>|</noscript>`,
  `<noembed>|</noembed>`,
  `<xmp>|</xmp>`,
  `<iframe>|</iframe>`,
  `<plaintext>|`,
  `<textarea>&amp; |</textarea>`,
  `<textarea>\n|</textarea>`,
  `<textarea>\r\n|</textarea>`,
  `<title>&lt;|&gt;</title>`,
  `<table class=|><b class=|>x</b></table>`,
  `<table><tr><td class=|>|</td></tr></table>`,
  `<table>|<tr><td>x</td></tr></table>`,
  `<table><b>|</b><tr><td class=|>x</td></tr></table>`,
  `<select><option class=|>|</option><b>|</b></select>`,
  `<a title=| title=|>x</a>`,
  `<a title="|' x='|">x</a>`,
  `<a title='|" x="|'>x</a>`,
  `<a title=x|y z=|>x</a>`,
  `<a title=|/>x`,
  `<input value=|/><input value=| />`,
  `<br/ class=|>`,
  `<p title="|`,
  `<p title=|`,
  `<p>|</p`,
  `<p <b class=|>x</b>`,
  `<div\n\tclass=|\n\ttitle="a\r\nb |"\n>|</div>`,
  `<A HREF=| CLASS="x">|</A>`,
  `<p>a</b>|<i>|</p>`,
  `<template><p class=|>|</p></template>`,
  `<template><script>|</script></template>`,
  `<p title="&amp;|&#8211;|&notin;|&not">x</p>`,
  `<p title=&amp;|>x</p>`,
  `<![CDATA[|]]>`,
  `<svg><![CDATA[|]]><a href=|></a></svg>`,
  `<p>–|\u0085|–</p><p title="–|\u0085">–</p>`,
  `<!-- – --><style>–</style><p>–|</p>`,
  `<!DOCTYPE html><html lang=|><head><title>|</title></head><body class=|>|</body></html>`,
  `<!DOCTYPE html><body class=|><p>|</p></body></html><p>|</p>`,
  `<html><head><p class=|>|</p></head></html>`,
  `<head><title>|</title></head>`,
  `<body>|`,
];

describe("renderView() reads malformed templates as @lit-labs/ssr reads them, or refuses them", () => {
  describe.each(TAGS)("with %s", (_name, tag) => {
    it.each(MALFORMED)("%j", (template) => {
      expectReadAsLitSsrReadsIt(template.split("|"), tag);
    });
  });

  describe.each(TAGS)("with %s, in 1,500 generated templates", (_name, tag) => {
    // Pieces of markup in every state an HTML parser or lit-html's scanner can be in, and what leaves it.
    const PIECES = [
      "<a", "<p", "<b>", "</b>", "<svg>", "</svg>", "<math>", "<title>", "</title>", "</Title>", "<textarea>", "</textarea>",
      "</TEXTAREA>", "<script>", "<script/x>", "</script>", "<style>", "<style/x>", "</style>", "<table>", "<tr>", "<td>",
      "</table>", "<template>", "</template>", "<noscript>", "</noscript>", "<select>", "<option>", "<!--", "-->", "<!",
      "<?", "</{", ">", "/>", " ", "\"", "'", "=", "/", "x", " class=", " title=\"", "\"title=", " data-a='", "'", "&amp;",
      "&", "&lt;", "–", "\u0085", "<![CDATA[", "]]>", "\n", "\r\n", "\t", "<div ", " id=a", "<!DOCTYPE html>", "<body>",
    ];
    let seed = Number(process.env.CORPUS_SEED ?? 20261201);
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const piece = () => PIECES[Math.floor(random() * PIECES.length)]!;
    const templates: string[][] = [];
    for (let n = 0; n < Number(process.env.CORPUS_SIZE ?? 1500); n++) {
      const bindings = 1 + Math.floor(random() * 3);
      templates.push(Array.from({ length: bindings + 1 }, () => Array.from({ length: Math.floor(random() * 5) }, piece).join("")));
    }
    it("each as @lit-labs/ssr does, or refused", () => {
      for (const strings of templates) expectReadAsLitSsrReadsIt(strings, tag);
    });
  });
});
