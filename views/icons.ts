import { html } from "@lit-labs/ssr";

const svg = (paths: ReturnType<typeof html>, className = "size-4") =>
  html`<svg xmlns="http://www.w3.org/2000/svg" class=${className} viewBox="0 0 24 24" fill="none" stroke="currentColor"
    stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${paths}</svg>`;

/** Lucide icons used by the views, as decorative inline SVG (`aria-hidden`). */
export const icons = {
  layers: (className?: string) =>
    svg(
      html`<path d="m12.83 2.18a2 2 0 0 0-1.66 0L2.6 6.08a1 1 0 0 0 0 1.83l8.58 3.91a2 2 0 0 0 1.66 0l8.58-3.9a1 1 0 0 0 0-1.83Z" /><path d="m22 17.65-9.17 4.16a2 2 0 0 1-1.66 0L2 17.65" /><path d="m22 12.65-9.17 4.16a2 2 0 0 1-1.66 0L2 12.65" />`,
      className,
    ),
  plus: (className?: string) => svg(html`<path d="M5 12h14" /><path d="M12 5v14" />`, className),
  inbox: (className?: string) =>
    svg(
      html`<polyline points="22 12 16 12 14 15 10 15 8 12 2 12" /><path d="M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z" />`,
      className,
    ),
  alert: (className?: string) =>
    svg(html`<circle cx="12" cy="12" r="10" /><line x1="12" x2="12" y1="8" y2="12" /><line x1="12" x2="12.01" y1="16" y2="16" />`, className),
  theme: (className?: string) =>
    svg(html`<circle cx="12" cy="12" r="10" /><path d="M12 2a10 10 0 0 0 0 20z" fill="currentColor" />`, className),
  search: (className?: string) => svg(html`<circle cx="11" cy="11" r="8" /><path d="m21 21-4.3-4.3" />`, className),
  trash: (className?: string) =>
    svg(html`<path d="M3 6h18" /><path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6" /><path d="M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2" />`, className),
  check: (className?: string) => svg(html`<circle cx="12" cy="12" r="10" /><path d="m9 12 2 2 4-4" />`, className),
};
