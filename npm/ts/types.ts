import type { ErrorCode, Reason, ValueType } from "./codes.js";

export type { ErrorCode, Reason, ValueType };

/**
 * An OpenFeature evaluation context: `targetingKey` (or its alias `userId`) plus any attributes.
 * Nested objects are addressed by dotted names (`org.id`) in flag rules.
 */
export type EvaluationContext = Record<string, unknown>;

/**
 * One evaluation, in the shape every Burgee host returns (the CLI, the edge worker, this
 * package). `variant` is `null` when the caller's default is served. Results of local
 * evaluation are frozen, and a flag may answer later calls with the same object when the
 * outcome is the same: copy one (`{ ...details }`) to change it.
 */
export interface EvaluationDetails<T = unknown> {
  value: T;
  variant: string | null;
  reason: Reason;
  ruleId?: string;
  errorCode?: ErrorCode;
  errorMessage?: string;
  prerequisite?: string;
}

/** Evaluated flags, as the edge injects them into a page or OFREP returns them. */
export interface EvaluatedFlag {
  value: unknown;
  variant?: string | null;
  reason?: string;
  ruleId?: string;
  prerequisite?: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * What a client starts from without a network round trip: evaluated flags (what the edge
 * injects in `<script id="burgee-bootstrap" type="application/json">`), or a binary snapshot
 * in base64 (local mode).
 */
export type Bootstrap = ({ flags: Record<string, EvaluatedFlag> } | { snapshot: string }) & {
  /** The context the edge evaluated for; the client's context when `options.context` is not given. */
  context?: EvaluationContext;
};

export interface RefreshOptions {
  /** Revalidate every this many milliseconds (default 30 000; 0 turns polling off). */
  interval?: number;
  /** Revalidate when the window regains focus or the page becomes visible (default true). */
  focus?: boolean;
  /**
   * Listen to the edge's change stream, `GET /v1/stream/{env}` (Server-Sent Events), and
   * revalidate when it announces a version newer than the client's (default true). Browsers
   * use `EventSource`; Node uses it too where it exists, else a reader over `fetch`.
   */
  stream?: boolean;
}

/** What the client needs of an `EventSource`. */
export interface EventSourceLike {
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/** The second argument the client passes to an `EventSource` constructor. */
export interface EventSourceOptions {
  withCredentials?: boolean;
  /** Honoured by the Node reader: the client's `fetch` and `headers` options. */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export type EventSourceConstructor = new (url: string, init?: EventSourceOptions) => EventSourceLike;

export interface ClientOptions {
  /** The Burgee edge worker, e.g. `https://flags.example.com`. */
  url?: string;
  environment: string;
  context?: EvaluationContext;
  /**
   * `local` (default): fetch the environment's snapshot and evaluate in wasm, here.
   * `remote`: ask the edge for evaluated flags (OFREP); no targeting data reaches the page.
   */
  mode?: "local" | "remote";
  /** Start from this instead of the network. `null`: do not read the page's bootstrap script. */
  bootstrap?: Bootstrap | null;
  /** Revalidation: options, a polling interval in ms, or `false` for none. */
  refresh?: RefreshOptions | number | false;
  /** Extra request headers (for example an API key). */
  headers?: Record<string, string>;
  /** `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * The `EventSource` for the change stream (default: the global one; in Node without one, a
   * reader over `fetch`). `null`: no stream.
   */
  EventSource?: EventSourceConstructor | null;
  /** Where the last good snapshot (or remote result) is kept for offline starts; `null` for nowhere. Default: `localStorage` when there is one. */
  storage?: Pick<Storage, "getItem" | "setItem"> | null;
  /** The evaluation time in epoch ms (default `Date.now`). */
  now?: () => number;
  /**
   * Usage metrics (default on): local evaluations counted by flag, variant and reason, and
   * `track`ed events, sent to `POST {url}/v1/metrics` every 10 s, on `close()` and when the
   * page is hidden. `false`: nothing is counted or sent, and `track` only checks its arguments.
   */
  metrics?: MetricsOptions | false;
}

export interface MetricsOptions {
  /** Send every this many milliseconds, when there is something to send (default 10 000). */
  interval?: number;
  /**
   * The evaluation key for `/v1/metrics` (default: the one in `headers`, `Authorization:
   * Bearer` or `X-API-Key`). A beacon, which cannot carry headers, sends it as `?key=`.
   */
  key?: string;
}

/** What `track` records with an event. */
export interface TrackDetails {
  /** Summed per event name over a batch (a purchase's amount, say). A finite number. */
  value?: number;
}

export type ClientStatus = "loading" | "ready" | "error";

export interface ChangeEvent {
  /** The keys of the flags whose value, variant or reason changed. */
  flags: string[];
}

export interface ClientEvents {
  change: ChangeEvent;
  ready: void;
  error: Error;
}

export interface Client {
  readonly status: ClientStatus;
  /** Resolves once the client has flags; rejects when the first load fails and it has none. */
  ready(): Promise<void>;
  isEnabled(key: string, defaultValue?: boolean): boolean;
  /** The variant's name, or `null` when the caller's default would be served. */
  variant(key: string): string | null;
  /** The flag's value; `defaultValue` when the flag cannot be evaluated or has another type. */
  value<T>(key: string, defaultValue: T): T;
  details<T>(key: string, defaultValue?: T): EvaluationDetails<T>;
  all(): Record<string, EvaluationDetails>;
  /** Evaluates for a new context (local: at once; remote: after one request). */
  setContext(context: EvaluationContext): Promise<void>;
  getContext(): EvaluationContext;
  /** Revalidates now. */
  refresh(): Promise<void>;
  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void;
  off<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): void;
  /**
   * Records a custom event (usage metrics), attributed to each flag variant this client was
   * served this session (the 100 most recently first served). The name is 1 to 64 printable
   * ASCII characters, not starting or ending with a space; a bad name or value throws.
   */
  track(eventName: string, details?: TrackDetails): void;
  /**
   * Stops timers, the change stream and requests in flight, and sends the usage metrics not
   * sent yet. Evaluations keep answering from the last flags.
   */
  close(): void;
}

/** Options of one evaluation through the pure API. */
export interface EvaluateOptions<T = unknown> {
  /** The caller's default, served when the flag cannot be evaluated (default `null`). */
  default?: T;
  /** The type the caller expects; another kind of flag answers `TYPE_MISMATCH`. */
  type?: ValueType;
  /** The evaluation time: epoch ms, a `Date` or an RFC 3339 string (default: now). */
  now?: number | Date | string;
}

/** A context bound to a snapshot once, for evaluating many flags without re-reading it. */
export interface BoundContext {
  evaluate<T = unknown>(key: string, options?: EvaluateOptions<T>): EvaluationDetails<T>;
  evaluateAll(options?: Pick<EvaluateOptions, "now">): Record<string, EvaluationDetails>;
}

/** One environment's compiled flags, loaded once, evaluated many times. */
export interface FlagSnapshot {
  readonly version: number;
  readonly environment: string;
  /** Flag keys, sorted. */
  readonly keys: readonly string[];
  evaluate<T = unknown>(key: string, context?: unknown, options?: EvaluateOptions<T>): EvaluationDetails<T>;
  evaluateAll(context?: unknown, options?: Pick<EvaluateOptions, "now">): Record<string, EvaluationDetails>;
  /** Binds a context once; the returned evaluator is valid until the next `bind` on this snapshot. */
  bind(context: unknown): BoundContext;
  /** Releases the wasm memory now (otherwise the garbage collector does it). */
  free(): void;
}
