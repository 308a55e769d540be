import { LRUCache } from "lru-cache";
import type { ResolvedOptions } from "../options.js";
import { parseState, sessionVersion, type SessionScope, type SessionSummary, type WorkflowState } from "../store/workflow-store.js";
import type { SessionListItem } from "../session-types.js";
import { displayLabelOf } from "./labels.js";

export type { SessionListItem } from "../session-types.js";

/** What {@link Enrichment} needs: the store and flow to read states from, the host's callbacks and columns, the logger. */
export type EnrichmentOptions = Pick<
  ResolvedOptions,
  "store" | "flowId" | "columns" | "enrich" | "label" | "enrichCacheSize" | "stepTitle" | "logger"
>;

/** Shown in a host column when the enricher failed or returned nothing for it. */
export const MISSING_VALUE = "—";

/**
 * The most characters of state the enrichment cache holds, whatever `enrichCacheSize` says (about 16 MB: 8,000
 * rows of 2 KB); a row whose state is over a sixteenth of it is not cached.
 */
export const MAX_CACHED_STATE_CHARS = 16 * 1024 * 1024;

/**
 * Turns session summaries into list items: runs the host's `enrich`, `label` and `stepTitle` for the rows being shown,
 * and remembers what `enrich` and `label` gave in one least-recently-used cache (lru-cache), bounded by
 * `enrichCacheSize` rows and {@link MAX_CACHED_STATE_CHARS} characters of state. A throwing callback gives the row
 * its defaults and one warning per call.
 */
export class Enrichment {
  /** The last results of `enrich` and `label` by session id; absent when `enrichCacheSize` is 0. */
  private readonly cache: LRUCache<string, CachedResults> | undefined;

  /** @param options - the store and flow, the host's callbacks and columns, the cache's size, and the logger */
  constructor(private readonly options: EnrichmentOptions) {
    this.cache =
      options.enrichCacheSize === 0
        ? undefined
        : new LRUCache<string, CachedResults>({
            max: options.enrichCacheSize,
            maxSize: MAX_CACHED_STATE_CHARS,
            maxEntrySize: MAX_CACHED_STATE_CHARS / 16,
            // An entry holds its row's state, to compare it: the state's characters are its size.
            sizeCalculation: (entry) => Math.max(1, entry.rawState?.length ?? 0),
          });
  }

  /** Whether the rows' states must be read: only when `enrich` or `label` will be given them. */
  needsState(): boolean {
    return this.options.enrich !== undefined || this.options.label !== undefined;
  }

  /** Enriches the rows; `states` are their raw states when the caller read them already. */
  async enrichAll(summaries: SessionSummary[], scope: SessionScope, states?: Map<string, string | null>): Promise<SessionListItem[]> {
    const { store, flowId } = this.options;
    // Every row's state text is read, callbacks or not: each item's version is a hash of it.
    const rawStates = states ?? (await store.getRawStates(flowId, summaries.map((s) => s.sessionId), scope));
    const problems: string[] = [];
    // Rows the cache knows cost no callback and no await; the host's callbacks run, concurrently, for the others.
    const results = summaries.map((summary) => this.cachedResults(summary, rawStates.get(summary.sessionId)));
    await Promise.all(
      results.map(async (cached, i) => {
        if (cached === undefined) results[i] = await this.hostResults(summaries[i]!, rawStates.get(summaries[i]!.sessionId), problems);
      }),
    );
    const items = summaries.map((summary, i) => this.listItem(summary, results[i]!, problems, rawStates.get(summary.sessionId)));
    if (problems.length > 0) {
      this.options.logger.warn(
        `express-workflow-sessions: ${problems.length} problem(s) while listing flow "${flowId}"; the rows show defaults. First: ${problems[0]}`,
      );
    }
    return items;
  }

  private listItem(summary: SessionSummary, { fields, generatedLabel, version }: HostResults, problems: string[], rawState: string | null | undefined): SessionListItem {
    const { columns, stepTitle } = this.options;
    let title: string | null = null;
    if (summary.currentStep) {
      try {
        title = stepTitle(summary.currentStep);
      } catch (error) {
        problems.push(`stepTitle() threw for step "${summary.currentStep}": ${describe(error)}`);
        title = summary.currentStep;
      }
    }
    const shown: Record<string, string> = {};
    for (const { field } of columns) shown[field] = displayValue(fields[field]);
    // Spelled out: V8 copies with `...summary` more than a hundred times slower, a cost paid for every row shown.
    return {
      flowId: summary.flowId,
      sessionId: summary.sessionId,
      label: summary.label,
      currentStep: summary.currentStep,
      createdAt: summary.createdAt,
      updatedAt: summary.updatedAt,
      stateSizeBytes: summary.stateSizeBytes,
      displayLabel: displayLabelOf(summary.label, generatedLabel, summary.createdAt),
      stepTitle: title,
      fields: shown,
      // A cached result stands for exactly this row (its state, label, step and times), so its version does too.
      version: version ?? sessionVersion(summary, rawState),
    };
  }

  /**
   * What `enrich` and `label` gave for the row when it was exactly as it is now (see `enrichCacheSize`), or
   * `undefined` when they must be asked: parsing a 2 KB state and enriching it is most of a row's cost, and a list
   * shows the same rows again after every action.
   */
  private cachedResults(summary: SessionSummary, rawState: string | null | undefined): HostResults | undefined {
    if (!this.options.enrich && !(this.options.label && !summary.label)) return NO_HOST_RESULTS;
    // Peeked first: an entry for the row as it was is no use, and only a hit counts as a use.
    const cached = this.cache?.peek(summary.sessionId);
    if (!cached || !sameRow(cached, summary, rawState)) return undefined;
    this.cache!.get(summary.sessionId);
    return cached.results;
  }

  /** Calls `enrich` and `label` for the row and remembers what they gave, unless it came with a problem. */
  private async hostResults(summary: SessionSummary, rawState: string | null | undefined, allProblems: string[]): Promise<HostResults> {
    const { enrich, label } = this.options;
    // This row's own problems: other rows are enriched concurrently and add theirs to `allProblems` meanwhile.
    const problems: string[] = [];
    let state: WorkflowState | undefined;
    try {
      state = parseState(summary.flowId, summary.sessionId, rawState);
    } catch (error) {
      problems.push(describe(error));
    }

    let fields: Record<string, unknown> = {};
    if (enrich && state) {
      try {
        fields = (await enrich(state, summary)) ?? {};
      } catch (error) {
        problems.push(`enrich() threw for session "${summary.sessionId}": ${describe(error)}`);
      }
    }

    let generatedLabel: string | undefined;
    if (label && !summary.label && state) {
      try {
        const generated = await label(summary, state);
        if (typeof generated === "string" && generated.trim() !== "") generatedLabel = generated.trim();
      } catch (error) {
        problems.push(`label() threw for session "${summary.sessionId}": ${describe(error)}`);
      }
    }

    const results = { fields, generatedLabel, version: sessionVersion(summary, rawState) };
    // lru-cache evicts the least recently used entries past either bound, and skips a row over `maxEntrySize`.
    if (problems.length === 0) this.cache?.set(summary.sessionId, { ...rowIdentity(summary, rawState), results });
    else allProblems.push(...problems);
    return results;
  }
}

/** What the host's callbacks gave for one row. */
interface HostResults {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly generatedLabel: string | undefined;
  /** The row's version, hashed once with the results it is cached with; absent when no callback ran. */
  readonly version?: string;
}

const NO_HOST_RESULTS: HostResults = Object.freeze({ fields: Object.freeze({}), generatedLabel: undefined });

/** Everything about a row that `enrich` and `label` are given, to tell whether a cached result still holds. */
interface RowIdentity {
  rawState: string | null | undefined;
  label: string | null;
  currentStep: string | null;
  createdAt: number | undefined;
  updatedAt: number | undefined;
}

type CachedResults = RowIdentity & { results: HostResults };

function rowIdentity(summary: SessionSummary, rawState: string | null | undefined): RowIdentity {
  return {
    rawState,
    label: summary.label,
    currentStep: summary.currentStep,
    createdAt: summary.createdAt?.getTime(),
    updatedAt: summary.updatedAt?.getTime(),
  };
}

function sameRow(cached: RowIdentity, summary: SessionSummary, rawState: string | null | undefined): boolean {
  return (
    cached.rawState === rawState &&
    cached.label === summary.label &&
    cached.currentStep === summary.currentStep &&
    cached.createdAt === summary.createdAt?.getTime() &&
    cached.updatedAt === summary.updatedAt?.getTime()
  );
}

function displayValue(value: unknown): string {
  if (value === undefined || value === null || value === "") return MISSING_VALUE;
  return typeof value === "string" ? value : String(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
