// The differential tests' oracle: @lit-labs/ssr's own output, compared with the fast renderer's after both are
// parsed as HTML. Nothing here comes from lib/template-renderer.ts.
import { render } from "@lit-labs/ssr";
import { collectResultSync } from "@lit-labs/ssr/lib/render-result.js";
import { parse, parseFragment, serialize, type DefaultTreeAdapterMap } from "parse5";

type ParentNode = DefaultTreeAdapterMap["parentNode"];

/** @lit-labs/ssr's raw output for a template, or the error it throws. */
export function litSsr(template: unknown): string {
  return collectResultSync(render(template));
}

/** What @lit-labs/ssr gives: its output, or `{ refused }` with its error. */
export function litSsrOutcome(template: unknown): string | { refused: Error } {
  try {
    return litSsr(template);
  } catch (error) {
    return { refused: error as Error };
  }
}

// The comments @lit-labs/ssr adds for hydration, and lit-html's own marker (a `<?lit$…$>` bogus comment).
const HYDRATION_COMMENT = /^(?:lit-part(?: \S*)?|\/lit-part|lit-node \d+|\?lit\$\d+\$)$/;
const DOCUMENT = /^\s*(?:<!--(?:(?!-->)[\s\S])*-->\s*)*<(?:!doctype|html|head|body)/i;

/**
 * The document an HTML string stands for, as parse5 serialises it once parsed, without lit's hydration comments: two
 * outputs that normalise to the same string are the same DOM to a browser (references decoded, quotes settled).
 */
export function normalise(output: string): string {
  const tree: ParentNode = DOCUMENT.test(output) ? parse(output) : parseFragment(output);
  stripHydrationComments(tree);
  return serialize(tree);
}

function stripHydrationComments(node: ParentNode): void {
  node.childNodes = node.childNodes.filter((child) => !(child.nodeName === "#comment" && HYDRATION_COMMENT.test((child as DefaultTreeAdapterMap["commentNode"]).data)));
  for (const child of node.childNodes) if ("childNodes" in child) stripHydrationComments(child);
  if ("content" in node) stripHydrationComments((node as DefaultTreeAdapterMap["template"]).content);
}

/** The element names and attribute names of an output, in document order: its structure, without text and values. */
export function structure(output: string): string {
  const tree: ParentNode = DOCUMENT.test(output) ? parse(output) : parseFragment(output);
  const names: string[] = [];
  const walk = (node: ParentNode) => {
    for (const child of node.childNodes) {
      if (!("tagName" in child)) continue;
      names.push(`<${child.tagName} ${child.attrs.map((attr) => attr.name).join(" ")}>`);
      walk(child);
      if ("content" in child) walk((child as DefaultTreeAdapterMap["template"]).content);
    }
  };
  walk(tree);
  return names.join("");
}

/** A template strings array as a tagged template literal makes it, for generated templates. */
export function templateStrings(strings: readonly string[]): TemplateStringsArray {
  return Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
}
