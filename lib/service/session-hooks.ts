import { HookTimeoutError } from "../errors.js";
import type { HookContext, ResolvedOptions, SessionHooks } from "../options.js";

/** The names of the `before*` hooks. */
export type BeforeHookName = "beforeCreate" | "beforeRename" | "beforeDelete" | "beforeResume" | "beforeRestore";
/** The names of the `after*` hooks. */
export type AfterHookName = "afterCreate" | "afterRename" | "afterDelete" | "afterResume" | "afterPurge" | "afterRestore";

/** What {@link SessionHookRunner} needs from the resolved options. */
export type SessionHookOptions = Pick<ResolvedOptions, "hooks" | "hookTimeoutMs" | "logger" | "flowId">;

/**
 * Runs the host's lifecycle hooks. The request travels through as an opaque value: the service never looks at it.
 * Every hook is waited for at most `hookTimeoutMs`. A `before*` hook's error goes to the caller (so a `RejectedError`
 * refuses the action), and one still running then refuses it with {@link HookTimeoutError}; an `after*` hook's error
 * is logged once and swallowed, and one still running then is left to finish in the background.
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

  /**
   * Runs a `before*` hook and returns what it returned (only `beforeCreate`'s result is used). Throws what the hook
   * threw, or {@link HookTimeoutError} when it has not settled after `hookTimeoutMs`: the caller writes nothing then.
   */
  async before<C extends HookContext<unknown>>(name: BeforeHookName, context: C): Promise<unknown> {
    const hook = this.hooks[name] as ((context: C) => unknown) | undefined;
    if (!hook) return undefined;
    const running = Promise.resolve().then(() => hook(context));
    const outcome = await this.settledWithin(running.then((value) => ({ value })));
    if (outcome) return outcome.value;
    const { logger, hookTimeoutMs } = this.options;
    const where = this.where(name, context);
    logger.warn(`${where} was still running after ${hookTimeoutMs} ms; the action was refused (503 hook_timeout) and nothing was written.`);
    running.catch((error: unknown) => logger.error(`${where} threw after it had timed out.`, error));
    throw new HookTimeoutError(name, hookTimeoutMs);
  }

  /**
   * Runs an `after*` hook, once the action is committed. Resolves when the hook settles or after `hookTimeoutMs`,
   * whichever is first; never rejects.
   */
  async after<C extends HookContext<unknown>>(name: AfterHookName, context: C): Promise<void> {
    const hook = this.hooks[name] as ((context: C) => unknown) | undefined;
    if (!hook) return;
    const { logger, hookTimeoutMs } = this.options;
    const where = this.where(name, context);
    const settled = Promise.resolve()
      .then(() => hook(context))
      .then(
        () => true,
        (error: unknown) => {
          logger.error(`${where} threw; the action stays done.`, error);
          return true;
        },
      );
    if (!(await this.settledWithin(settled))) logger.warn(`${where} was still running after ${hookTimeoutMs} ms; answered without waiting for it.`);
  }

  /** What `promise` resolved to, or `undefined` when it has not settled after `hookTimeoutMs`; rejects as it does. */
  private async settledWithin<T>(promise: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.options.hookTimeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([promise, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private where(name: BeforeHookName | AfterHookName, context: HookContext<unknown>): string {
    return `express-workflow-sessions: the ${name} hook of flow "${this.options.flowId}" (sessions ${context.sessionIds.join(", ")})`;
  }
}
