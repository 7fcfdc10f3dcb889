/**
 * `createClient`: the part shared by local and remote mode. It keeps a `Source` of answers
 * (evaluated flags, or a snapshot evaluated here), replaces it when the network brings a newer
 * one, and tells listeners which flags changed. Local mode plugs in through `LocalSupport`
 * (./local.ts), so the remote-only entry ships none of it and no wasm.
 *
 * Errors never reach the app: an evaluation that cannot be answered serves the caller's
 * default with reason `ERROR`, and network failures go to `error` listeners.
 */
import type {
  Client,
  ClientOptions,
  ClientStatus,
  EventSourceConstructor,
  EvaluatedFlag,
  EvaluationContext,
  TrackDetails,
} from "./types.js";
import { allOf, answering, flagsSource, type LocalSupport, same, type Source } from "./answers.js";
import { events } from "./events.js";
import { checkEvent, metrics } from "./metrics.js";
import { type Globals, revalidation, watch } from "./revalidate.js";
import { fromBase64, keeper, readScript } from "./start.js";

export type { LocalSupport, Source } from "./answers.js";

/**
 * Creates a client; `local` is absent in the remote-only entry. `stream` is the entry's
 * `EventSource` for runtimes without a global one (Node's reader over fetch).
 */
export function makeClient(options: ClientOptions, local?: LocalSupport, stream?: EventSourceConstructor): Client {
  const remote = options.mode === "remote" || !local;
  const base = (options.url ?? "").replace(/\/+$/, "");
  const env = encodeURIComponent(options.environment);
  const doFetch = options.fetch ?? (globalThis.fetch ? globalThis.fetch.bind(globalThis) : undefined);
  const now = options.now ?? Date.now;
  const g = globalThis as unknown as Globals;
  const [restore, keep] = keeper(options, g, remote, base);
  const [emit, on, off] = events(() => status === "ready");

  let context: EvaluationContext = options.context ?? {};
  let source: Source | undefined;
  let status: ClientStatus = "loading";
  let closed = false;
  const meter = metrics(options, base, doFetch, () => context, g);
  /** Flags evaluated elsewhere: not counted here, but what they serve is attributed to. */
  const evaluated = (flags: Record<string, EvaluatedFlag>, version?: number) => flagsSource(flags, version, meter?.[2]);
  let settle: { resolve(): void; reject(e: Error): void } | undefined;
  const readyPromise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  readyPromise.catch(() => undefined);

  const setReady = () => {
    if (status === "ready") return;
    status = "ready";
    settle?.resolve();
    emit("ready", undefined);
  };

  /** Replaces the source and tells listeners what changed. */
  const replace = (next: Source) => {
    const before = allOf(source);
    const old = source;
    source = next;
    if (old && old !== next) old.free?.();
    const after = allOf(source);
    const flags = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !same(before[k], after[k]));
    setReady();
    if (flags.length && old) emit("change", { flags });
  };

  const failed = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    if (!source) {
      status = "error";
      settle?.reject(e);
    }
    emit("error", e);
  };

  const loadSnapshot = (bytes: Uint8Array): Source => local!.load(bytes, context, now, meter);

  const [revalidateOnce, pending, setEtag, abort] = revalidation(options, remote, local, base, env, doFetch, [
    () => context,
    () => source,
    () => closed,
    setReady,
    replace,
    loadSnapshot,
    evaluated,
    keep,
    failed,
  ]);

  /**
   * Starts from snapshot bytes (a bootstrap, or the copy in storage). In a browser the wasm may
   * still be on its way: then this starts as soon as it is there. False when it cannot start.
   */
  const startFrom = (bytes: Uint8Array, tag?: string): boolean => {
    try {
      source = loadSnapshot(bytes);
      setEtag(tag);
      return true;
    } catch (e) {
      if (!local?.ready) {
        queueMicrotask(() => failed(e));
        return false;
      }
      local
        .ready()
        .then(() => {
          if (source) return;
          replace(loadSnapshot(bytes));
          setEtag(tag);
        })
        .catch(failed);
      return true;
    }
  };

  // Start: a bootstrap (explicit, or the edge's script element), else the last good copy.
  const boot = options.bootstrap === undefined ? readScript() : (options.bootstrap ?? undefined);
  // The edge's visitor (its targeting key) stays the browser's, so both bucket alike.
  if (!options.context && boot?.context && typeof boot.context === "object") context = boot.context;
  let booted = false;
  if (boot && "flags" in boot && boot.flags) {
    source = evaluated(boot.flags);
    booted = true;
  } else if (boot && "snapshot" in boot && !remote) {
    booted = startFrom(fromBase64(boot.snapshot));
  }
  const saved = booted ? undefined : restore(context);
  if (saved?.flags) {
    source = evaluated(saved.flags, saved.version);
    setEtag(saved.etag);
  } else if (saved?.bytes) startFrom(saved.bytes, saved.etag);
  if (source) {
    status = "ready";
    settle?.resolve();
  }

  // Revalidation: now (unless bootstrapped), on an interval, on focus, on the server's push.
  if (!booted) void revalidateOnce();
  const Stream = options.EventSource === undefined ? (g.EventSource ?? stream) : options.EventSource;
  const url = `${base}/v1/stream/${env}`;
  const cleanups = watch(options, g, Stream, url, doFetch, () => revalidateOnce(), () => source?.version, () => closed);

  const client: Client = {
    ...answering(() => source),
    get status() {
      return status;
    },
    ready: () => readyPromise,
    getContext: () => context,
    setContext(next: EvaluationContext): Promise<void> {
      context = next ?? {};
      const before = allOf(source);
      try {
        if (source && !remote && source.rebind(context)) {
          const after = allOf(source);
          const flags = Object.keys(after).filter((k) => !same(before[k], after[k]));
          if (flags.length) emit("change", { flags });
          return Promise.resolve();
        }
      } catch (e) {
        failed(e);
      }
      setEtag(undefined);
      return revalidateOnce(true);
    },
    // After any revalidation in flight: that one may have been sent before the caller's reason.
    refresh: () => (pending() ?? Promise.resolve()).then(() => revalidateOnce()),
    on,
    off,
    track(name: string, details?: TrackDetails) {
      const value = details?.value;
      checkEvent(name, value);
      meter?.[3](name, value);
    },
    close() {
      closed = true;
      meter?.[4]();
      abort();
      for (const c of cleanups.splice(0)) c();
    },
  };
  return client;
}
