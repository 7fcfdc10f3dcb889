/**
 * `createTestClient`: a client for an app's tests, with the interface of the package's other
 * clients (`Client`), that answers from the flags it is given and never touches the network.
 *
 *   const flags = createTestClient({ flags: { "new-checkout": true, theme: "dark" } });
 *   flags.isEnabled("new-checkout");        // true
 *   flags.set("theme", "light");            // listeners hear `change` with ["theme"]
 *
 * A flag is a value (answered with reason `STATIC`) or a function of the evaluation context
 * (reason `TARGETING_MATCH`; `undefined` from it serves the caller's default with reason
 * `DEFAULT`). Answers come from the same code as a bootstrap's evaluated flags: an unknown key
 * is `FLAG_NOT_FOUND`, a default of another type `TYPE_MISMATCH`, both serving the caller's
 * default with reason `ERROR`. The variant is the value as text (`"true"`, `"dark"`, `"10"`;
 * JSON for objects).
 */
import type { Client, EvaluatedFlag, EvaluationContext, TrackDetails } from "./types.js";
import { allOf, answering, flagsSource, same, type Source } from "./answers.js";
import { events } from "./events.js";
import { checkEvent } from "./metrics.js";

/** A flag of a test client: its value, or its value for a context. */
export type TestFlag = boolean | string | number | object | null | ((context: EvaluationContext) => unknown);

export interface TestClientOptions {
  /** The flags by key. */
  flags?: Record<string, TestFlag>;
  /** The evaluation context the flags given as functions see (default `{}`). */
  context?: EvaluationContext;
}

/** An event the app recorded with `track`. */
export interface TrackedEvent {
  name: string;
  value?: number;
}

export interface TestClient extends Client {
  /**
   * Sets flag `key` (a value or a function of the context; `undefined` removes it). Listeners
   * hear `change` with the key when its answer changed, as from a real client.
   */
  set(key: string, flag: TestFlag | undefined): void;
  /** Sets several flags at once: one `change` event naming every flag whose answer changed. */
  set(flags: Record<string, TestFlag | undefined>): void;
  /** The events `track` recorded, oldest first. */
  readonly tracked: TrackedEvent[];
}

/** The answer a test flag gives for `context`. */
function evaluate(key: string, flag: TestFlag, context: EvaluationContext): EvaluatedFlag {
  let value: unknown = flag;
  let reason = "STATIC";
  if (typeof flag === "function") {
    try {
      value = flag(context);
    } catch (e) {
      const message = `flag \`${key}\`: ${(e as Error)?.message ?? e}`;
      return { value: null, errorCode: "GENERAL", errorMessage: message };
    }
    reason = "TARGETING_MATCH";
  }
  if (value === undefined || value === null) return { value: null, variant: null, reason: "DEFAULT" };
  const variant = typeof value === "object" ? JSON.stringify(value) : String(value);
  return { value, variant, reason };
}

/** A client that answers from `options.flags` and never touches the network. */
export function createTestClient(options: TestClientOptions = {}): TestClient {
  const flags: Record<string, TestFlag> = { ...options.flags };
  let context: EvaluationContext = options.context ?? {};
  const tracked: TrackedEvent[] = [];
  const [emit, on, off] = events(() => true);

  const load = (): Source => {
    const answers: Record<string, EvaluatedFlag> = {};
    for (const key of Object.keys(flags)) answers[key] = evaluate(key, flags[key], context);
    return flagsSource(answers);
  };
  let source = load();

  /** Evaluates again and tells listeners which flags' answers changed. */
  const reload = () => {
    const before = allOf(source);
    source = load();
    const after = allOf(source);
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !same(before[k], after[k]));
    if (changed.length) emit("change", { flags: changed });
  };

  return {
    ...answering(() => source),
    status: "ready",
    ready: () => Promise.resolve(),
    getContext: () => context,
    setContext(next: EvaluationContext) {
      context = next ?? {};
      reload();
      return Promise.resolve();
    },
    refresh: () => Promise.resolve(),
    on,
    off,
    track(name: string, details?: TrackDetails) {
      const value = details?.value;
      checkEvent(name, value);
      tracked.push(value === undefined ? { name } : { name, value });
    },
    close() {},
    set(keyOrFlags: string | Record<string, TestFlag | undefined>, flag?: TestFlag) {
      const changes: Record<string, TestFlag | undefined> = typeof keyOrFlags === "string" ? { [keyOrFlags]: flag } : keyOrFlags;
      for (const [key, f] of Object.entries(changes)) {
        if (f === undefined) delete flags[key];
        else flags[key] = f;
      }
      reload();
    },
    tracked,
  };
}
