// The part of htmx's global API the client uses (htmx 2 is loaded before this script, both `defer`).
interface HtmxResponseHandling {
  code: string;
  swap: boolean;
  error?: boolean;
  target?: string;
  swapOverride?: string;
}

interface HtmxApi {
  ajax(verb: string, path: string, context: { source: Element; target: string; swap: string; values?: Record<string, string>; headers?: Record<string, string> }): Promise<void>;
  config: { responseHandling: HtmxResponseHandling[] };
}

interface HtmxRequestConfig {
  elt: Element;
  headers?: Record<string, string>;
}

interface HtmxEventDetail {
  elt: Element;
  xhr?: XMLHttpRequest;
  target?: Element | null;
  requestConfig?: HtmxRequestConfig;
  parameters: Record<string, string>;
  path: string;
  verb: string;
  shouldSwap: boolean;
  isError: boolean;
  swapOverride?: string;
}

interface Window {
  htmx?: HtmxApi;
}
