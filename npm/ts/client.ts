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
  Bootstrap,
  ChangeEvent,
  Client,
  ClientEvents,
  ClientOptions,
  ClientStatus,
  EvaluatedFlag,
  EventSourceConstructor,
  EvaluationContext,
  EvaluationDetails,
  ValueType,
} from "./types.js";
import { message } from "./messages.js";

/** Something that answers evaluations for the current context. */
export interface Source {
  details<T>(key: string, fallback: T, type: ValueType | undefined): EvaluationDetails<T>;
  /** Fast path: only the value. */
  value<T>(key: string, fallback: T, type: ValueType | undefined): T;
  all(): Record<string, EvaluationDetails>;
  /** Rebinds to a new context; false when this source cannot (evaluated flags). */
  rebind(context: EvaluationContext): boolean;
  /** The document version of a snapshot. */
  version?: number;
  free?(): void;
}

/** What local mode adds: turning snapshot bytes into a source, and fetching them. */
export interface LocalSupport {
  /** Loads a snapshot bound to `context`; throws when the bytes are not a snapshot. */
  load(bytes: Uint8Array, context: EvaluationContext, now: () => number): Source;
  /** Resolves when the wasm is ready (browsers fetch it). */
  ready?: () => Promise<void>;
}

const TYPES: Record<string, ValueType> = { boolean: "boolean", string: "string", number: "number", object: "object" };

function typeOf(value: unknown): ValueType | undefined {
  return value === null || value === undefined ? undefined : TYPES[typeof value];
}

function fail<T>(fallback: T, errorCode: EvaluationDetails["errorCode"], errorMessage: string): EvaluationDetails<T> {
  return { value: fallback, variant: null, reason: "ERROR", errorCode, errorMessage };
}

/** A source of already evaluated flags (a bootstrap, or an OFREP answer of that `version`). */
export function flagsSource(flags: Record<string, EvaluatedFlag>, version?: number): Source {
  const details = <T>(key: string, fallback: T, type: ValueType | undefined): EvaluationDetails<T> => {
    const f = Object.prototype.hasOwnProperty.call(flags, key) ? flags[key] : undefined;
    if (!f) return fail(fallback, "FLAG_NOT_FOUND", message(0, key));
    if (f.errorCode) return fail(fallback, f.errorCode as EvaluationDetails["errorCode"], f.errorMessage ?? "");
    const t = typeOf(f.value);
    if (type && t && t !== type) {
      return fail(fallback, "TYPE_MISMATCH", message(1, key, t, type));
    }
    const out: EvaluationDetails<T> = {
      value: f.value === undefined || f.value === null ? fallback : (f.value as T),
      variant: f.variant ?? null,
      reason: (f.reason ?? "STATIC") as EvaluationDetails["reason"],
    };
    for (const k of ["ruleId", "prerequisite"] as const) {
      const v = (f as unknown as Record<string, unknown>)[k];
      if (typeof v === "string") out[k] = v;
    }
    return out;
  };
  return {
    version,
    details,
    value: (key, fallback, type) => details(key, fallback, type).value,
    all() {
      const out: Record<string, EvaluationDetails> = {};
      for (const key of Object.keys(flags)) out[key] = details(key, null, undefined);
      return out;
    },
    rebind: () => false,
  };
}

function readScript(): Bootstrap | undefined {
  const doc = (globalThis as { document?: Document }).document;
  const text = doc?.getElementById?.("burgee-bootstrap")?.textContent;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Bootstrap;
  } catch {
    return undefined;
  }
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let raw = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(raw);
}

function same(a: EvaluationDetails | undefined, b: EvaluationDetails | undefined): boolean {
  return !!a && !!b && a.variant === b.variant && a.reason === b.reason && JSON.stringify(a.value) === JSON.stringify(b.value);
}

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
  const g = globalThis as unknown as {
    localStorage?: Storage;
    addEventListener?: typeof addEventListener;
    removeEventListener?: typeof removeEventListener;
    document?: Document;
    EventSource?: EventSourceConstructor;
  };
  let storage: ClientOptions["storage"] = null;
  try {
    storage = options.storage === undefined ? (g.localStorage ?? null) : options.storage;
  } catch {
    // localStorage can throw (opaque origins, disabled storage): do without.
  }
  const storageKey = `burgee:${remote ? "remote" : "local"}:${base}:${options.environment}`;
  const r = options.refresh;
  const refresh =
    r === false ? { interval: 0, focus: false, stream: false } : typeof r === "number" ? { interval: r } : (r ?? {});
  const listeners: { [E in keyof ClientEvents]?: Set<(payload: ClientEvents[E]) => void> } = {};

  let context: EvaluationContext = options.context ?? {};
  let source: Source | undefined;
  let etag: string | undefined;
  let status: ClientStatus = "loading";
  let closed = false;
  let inflight: AbortController | undefined;
  let pending: Promise<void> | undefined;
  let settle: { resolve(): void; reject(e: Error): void } | undefined;
  const readyPromise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  readyPromise.catch(() => undefined);

  const emit = <E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]) => {
    for (const fn of [...(listeners[event] ?? [])]) {
      try {
        fn(payload);
      } catch {
        // A listener's error is its own.
      }
    }
  };

  const setReady = () => {
    if (status === "ready") return;
    status = "ready";
    settle?.resolve();
    emit("ready", undefined);
  };

  /** Replaces the source and tells listeners what changed. */
  const replace = (next: Source) => {
    const before = source ? safeAll() : {};
    const old = source;
    source = next;
    if (old && old !== next) old.free?.();
    const after = safeAll();
    const flags = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !same(before[k], after[k]));
    setReady();
    if (flags.length && old) emit("change", { flags } as ChangeEvent);
  };

  const safeAll = (): Record<string, EvaluationDetails> => {
    try {
      return source ? source.all() : {};
    } catch {
      return {};
    }
  };

  const save = (value: unknown) => {
    try {
      storage?.setItem(storageKey, JSON.stringify(value));
    } catch {
      // Full or unavailable storage only costs the offline start.
    }
  };

  const failed = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    if (!source) {
      status = "error";
      settle?.reject(e);
    }
    emit("error", e);
  };

  const loadSnapshot = (bytes: Uint8Array): Source => local!.load(bytes, context, now);

  /** One revalidation: the snapshot (local) or the evaluated flags (remote), with ETags. */
  const revalidate = async (): Promise<void> => {
    if (closed || !doFetch || !options.url) return;
    inflight?.abort();
    const controller = typeof AbortController === "function" ? new AbortController() : undefined;
    inflight = controller;
    try {
      if (!remote && local?.ready) await local.ready();
      // After the wasm is there: a copy from storage may have started meanwhile (its ETag).
      const headers: Record<string, string> = { ...options.headers };
      if (etag) headers["If-None-Match"] = etag;
      let response: Response;
      if (remote) {
        headers["Content-Type"] = "application/json";
        headers["X-Burgee-Environment"] = options.environment;
        response = await doFetch(`${base}/ofrep/v1/evaluate/flags`, {
          method: "POST",
          headers,
          body: JSON.stringify({ context }),
          signal: controller?.signal,
        });
      } else {
        response = await doFetch(`${base}/v1/snapshot/${env}`, { headers, signal: controller?.signal });
      }
      // A body nobody reads holds its connection (in Node, the process too): cancel it.
      const discard = () => void response.body?.cancel().catch(() => undefined);
      if (closed || controller !== inflight) return discard();
      if (response.status === 304 && source) return setReady();
      if (!response.ok) {
        discard();
        throw new Error(`burgee: ${response.status} from ${response.url || base}`);
      }
      const tag = response.headers.get("ETag") ?? undefined;
      if (remote) {
        const sent = JSON.stringify(context);
        const body = (await response.json()) as {
          flags?: (EvaluatedFlag & { key: string; errorDetails?: string; metadata?: Record<string, unknown> })[];
          metadata?: { version?: unknown };
        };
        if (closed || controller !== inflight) return;
        const flags: Record<string, EvaluatedFlag> = {};
        for (const f of body.flags ?? []) {
          const m = f.metadata ?? {};
          flags[f.key] = f.errorCode
            ? { value: null, errorCode: f.errorCode, errorMessage: f.errorDetails }
            : { value: f.value, variant: f.variant, reason: f.reason, ruleId: m.ruleId as string, prerequisite: m.prerequisite as string };
        }
        const version = typeof body.metadata?.version === "number" ? body.metadata.version : undefined;
        replace(flagsSource(flags, version));
        etag = tag;
        save({ etag: tag, context: sent, flags, version });
      } else {
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (closed || controller !== inflight) return;
        replace(loadSnapshot(bytes));
        etag = tag;
        save({ etag: tag, snapshot: toBase64(bytes) });
      }
    } catch (e) {
      if (!closed && (e as Error)?.name !== "AbortError") failed(e);
    } finally {
      if (inflight === controller) inflight = undefined;
    }
  };

  /** Joins a revalidation in flight, unless `fresh` (the context changed): then starts anew. */
  const revalidateOnce = (fresh?: boolean): Promise<void> => {
    if (!pending || fresh) {
      const p: Promise<void> = revalidate().finally(() => pending === p && (pending = undefined));
      pending = p;
    }
    return pending;
  };

  /**
   * Starts from snapshot bytes (a bootstrap, or the copy in storage). In a browser the wasm may
   * still be on its way: then this starts as soon as it is there. False when it cannot start.
   */
  const startFrom = (bytes: Uint8Array, tag?: string): boolean => {
    try {
      source = loadSnapshot(bytes);
      etag = tag;
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
          etag = tag;
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
    source = flagsSource(boot.flags);
    booted = true;
  } else if (boot && "snapshot" in boot && !remote) {
    booted = startFrom(fromBase64(boot.snapshot));
  }
  if (!booted) {
    try {
      const saved = JSON.parse(storage?.getItem(storageKey) ?? "null") as {
        etag?: string;
        snapshot?: string;
        context?: string;
        flags?: Record<string, EvaluatedFlag>;
        version?: number;
      } | null;
      if (saved?.snapshot && !remote) startFrom(fromBase64(saved.snapshot), saved.etag);
      else if (saved?.flags && remote && saved.context === JSON.stringify(context)) {
        source = flagsSource(saved.flags, saved.version);
        etag = saved.etag;
      }
    } catch {
      // An unreadable copy is no copy.
    }
  }
  if (source) {
    status = "ready";
    settle?.resolve();
  }

  // Revalidation: now (unless bootstrapped), on an interval, on focus, on the server's push.
  const cleanups: (() => void)[] = [];
  if (!booted) void revalidateOnce();
  const interval = refresh.interval ?? 30000;
  if (interval > 0 && options.url) {
    const timer = setInterval(() => void revalidateOnce(), interval);
    cleanups.push(() => clearInterval(timer));
  }
  if (refresh.focus !== false && options.url && g.addEventListener) {
    const onFocus = () => {
      if (g.document?.visibilityState !== "hidden") void revalidateOnce();
    };
    g.addEventListener("focus", onFocus);
    g.document?.addEventListener?.("visibilitychange", onFocus);
    cleanups.push(() => {
      g.removeEventListener?.("focus", onFocus);
      g.document?.removeEventListener?.("visibilitychange", onFocus);
    });
  }
  const Stream = options.EventSource === undefined ? (g.EventSource ?? stream) : options.EventSource;
  if (refresh.stream !== false && options.url && Stream) {
    // The stream announces a version as soon as it is written; the snapshot the edge serves
    // may lag behind it (each isolate revalidates after its TTL; KV takes a while to spread on
    // Cloudflare), so a revalidation that still brings an older version is retried, backing
    // off from 250 ms to 16 s (about half a minute in all).
    let wanted = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const chase = (delay: number) => {
      clearTimeout(timer);
      void revalidateOnce().then(() => {
        if (!closed && (source?.version ?? 0) < wanted && delay <= 16000) timer = setTimeout(() => chase(delay * 2), delay);
      });
    };
    try {
      const events = new Stream(`${base}/v1/stream/${env}`, { fetch: doFetch, headers: options.headers });
      // `{"version": n, ...}` ("connected" on each (re)connection, then "refetchEvaluation" per
      // change): nothing to fetch when the client's flags are as new.
      events.onmessage = (event: MessageEvent) => {
        let version: unknown;
        try {
          version = JSON.parse(event.data).version;
        } catch {
          // Not JSON: revalidate anyway.
        }
        if (typeof version === "number") {
          if (source?.version !== undefined && version <= source.version) return;
          wanted = Math.max(wanted, version);
        }
        chase(250);
      };
      cleanups.push(() => {
        clearTimeout(timer);
        events.close();
      });
    } catch {
      // No stream: polling and focus still revalidate.
    }
  }

  const guard = <T>(fallback: T, fn: () => EvaluationDetails<T>): EvaluationDetails<T> => {
    if (!source) return fail(fallback, "GENERAL", "burgee: no flags loaded yet");
    try {
      return fn();
    } catch (e) {
      return fail(fallback, "GENERAL", `burgee: ${(e as Error)?.message ?? e}`);
    }
  };

  const client: Client = {
    get status() {
      return status;
    },
    ready: () => readyPromise,
    isEnabled: (key, fallback = false) => client.value(key, fallback) === true,
    variant: (key) => client.details(key, null).variant,
    value<T>(key: string, fallback: T): T {
      if (!source) return fallback;
      try {
        return source.value(key, fallback, typeOf(fallback));
      } catch {
        return fallback;
      }
    },
    details: <T>(key: string, fallback?: T) =>
      guard((fallback ?? null) as T, () => source!.details(key, (fallback ?? null) as T, typeOf(fallback))),
    all: () => safeAll(),
    getContext: () => context,
    setContext(next: EvaluationContext): Promise<void> {
      context = next ?? {};
      const before = source ? safeAll() : {};
      try {
        if (source && !remote && source.rebind(context)) {
          const after = safeAll();
          const flags = Object.keys(after).filter((k) => !same(before[k], after[k]));
          if (flags.length) emit("change", { flags });
          return Promise.resolve();
        }
      } catch (e) {
        failed(e);
      }
      etag = undefined;
      return revalidateOnce(true);
    },
    // After any revalidation in flight: that one may have been sent before the caller's reason.
    refresh: () => (pending ?? Promise.resolve()).then(() => revalidateOnce()),
    on(event, listener) {
      (listeners[event] ??= new Set() as never).add(listener as never);
      if (event === "ready" && status === "ready") queueMicrotask(() => listeners.ready?.has(listener as never) && (listener as () => void)());
      return () => client.off(event, listener);
    },
    off(event, listener) {
      listeners[event]?.delete(listener as never);
    },
    close() {
      closed = true;
      inflight?.abort();
      for (const c of cleanups.splice(0)) c();
    },
  };
  return client;
}
