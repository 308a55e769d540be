import type { HookContext, ResolvedOptions, SessionHooks } from "../options.js";

/** The names of the `before*` hooks. */
export type BeforeHookName = "beforeCreate" | "beforeRename" | "beforeDelete" | "beforeResume" | "beforeRestore";
/** The names of the `after*` hooks. */
export type AfterHookName = "afterCreate" | "afterRename" | "afterDelete" | "afterResume" | "afterPurge" | "afterRestore";

/** What {@link SessionHookRunner} needs from the resolved options. */
export type SessionHookOptions = Pick<ResolvedOptions, "hooks" | "hookTimeoutMs" | "logger" | "flowId">;

/**
 * Runs the host's lifecycle hooks. The request travels through as an opaque value: the service never looks at it.
 * A `before*` hook's error goes to the caller (so a `RejectedError` refuses the action); an `after*` hook's error is
 * logged once and swallowed, and the caller waits for the hook at most `hookTimeoutMs`.
 */
export class SessionHookRunner {
  private readonly hooks: SessionHooks<unknown>;

  constructor(private readonly options: SessionHookOptions) {
    this.hooks = options.hooks as SessionHooks<unknown>;
  }

  /** True when the host set the hook, so the caller can skip building its context. */
  has(name: BeforeHookName | AfterHookName): boolean {
    return typeof this.hooks[name] === "function";
  }

  /** Runs a `before*` hook and returns what it returned (only `beforeCreate`'s result is used). */
  async before<C extends HookContext<unknown>>(name: BeforeHookName, context: C): Promise<unknown> {
    const hook = this.hooks[name] as ((context: C) => unknown) | undefined;
    return hook ? await hook(context) : undefined;
  }

  /**
   * Runs an `after*` hook, once the action is committed. Resolves when the hook settles or after `hookTimeoutMs`,
   * whichever is first; never rejects.
   */
  async after<C extends HookContext<unknown>>(name: AfterHookName, context: C): Promise<void> {
    const hook = this.hooks[name] as ((context: C) => unknown) | undefined;
    if (!hook) return;
    const { logger, hookTimeoutMs, flowId } = this.options;
    const where = `express-workflow-sessions: the ${name} hook of flow "${flowId}" (sessions ${context.sessionIds.join(", ")})`;
    const settled = Promise.resolve()
      .then(() => hook(context))
      .then(
        () => true,
        (error: unknown) => {
          logger.error(`${where} threw; the action stays done.`, error);
          return true;
        },
      );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), hookTimeoutMs);
      timer.unref?.();
    });
    const finished = await Promise.race([settled, timedOut]);
    clearTimeout(timer);
    if (!finished) logger.warn(`${where} was still running after ${hookTimeoutMs} ms; answered without waiting for it.`);
  }
}
