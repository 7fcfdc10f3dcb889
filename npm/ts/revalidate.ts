/**
 * Revalidation: asking the edge for what it serves now. A request carries the ETag of what the
 * client holds, so an unchanged answer is a bodiless `304`; one request at a time, since a
 * newer one aborts the one in flight, whose answer could only be older. The client asks at
 * start, on an interval and when the page regains focus or becomes visible (`watch`), and when
 * the change stream (./stream.ts) announces a newer version.
 *
 * What crosses between the client and its parts is passed as tuples, not objects: a minifier
 * shortens the names of destructured elements, never property names, and the package counts
 * its bytes.
 */
import type { LocalSupport, Source } from "./answers.js";
import { type Saved, toBase64 } from "./start.js";
import { follow } from "./stream.js";
import type { ClientOptions, EvaluatedFlag, EvaluationContext, EventSourceConstructor, RefreshOptions } from "./types.js";

/** What a client may find in its runtime's globals (browsers have them all, workers few). */
export interface Globals {
  localStorage?: Storage;
  addEventListener?: typeof addEventListener;
  removeEventListener?: typeof removeEventListener;
  document?: Document;
  EventSource?: EventSourceConstructor;
}

/** The client's side of a revalidation: what it reads, and where its answers go. */
export type Holder = [
  context: () => EvaluationContext,
  source: () => Source | undefined,
  closed: () => boolean,
  /** A `304`: what the client holds is current. */
  current: () => void,
  /** Answer from `next` from now on. */
  adopt: (next: Source) => void,
  /** The source of snapshot bytes (local mode). */
  load: (bytes: Uint8Array) => Source,
  /** The source of flags evaluated by the edge (remote mode). */
  evaluated: (flags: Record<string, EvaluatedFlag>, version?: number) => Source,
  /** Keeps the last good answer, for offline starts. */
  keep: (copy: Saved) => void,
  failed: (error: unknown) => void,
];

export type Revalidation = [
  /** Joins a revalidation in flight, unless `fresh` (the context changed): then starts anew. */
  once: (fresh?: boolean) => Promise<void>,
  /** The revalidation in flight, if any. */
  pending: () => Promise<void> | undefined,
  /** Sets the ETag of what the client holds (`undefined`: ask without one). */
  tag: (etag: string | undefined) => void,
  abort: () => void,
];

/** The body of an OFREP bulk evaluation, as the edge answers it. */
interface OfrepAnswer {
  flags?: (EvaluatedFlag & { key: string; errorDetails?: string; metadata?: Record<string, unknown> })[];
  metadata?: { version?: unknown };
}

/**
 * Revalidates the snapshot of environment `env` at `base` (local mode) or the flags evaluated
 * there for the holder's context (remote mode).
 */
export function revalidation(
  options: ClientOptions,
  remote: boolean,
  local: LocalSupport | undefined,
  base: string,
  env: string,
  doFetch: typeof fetch | undefined,
  holder: Holder,
): Revalidation {
  const [context, source, closed, current, adopt, load, evaluated, keep, failed] = holder;
  let etag: string | undefined;
  let inflight: AbortController | undefined;
  let pending: Promise<void> | undefined;

  /** One revalidation: the snapshot (local) or the evaluated flags (remote), with ETags. */
  const revalidate = async (): Promise<void> => {
    if (closed() || !doFetch || !options.url) return;
    inflight?.abort();
    const controller = typeof AbortController === "function" ? new AbortController() : undefined;
    inflight = controller;
    const stale = () => closed() || controller !== inflight;
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
          body: JSON.stringify({ context: context() }),
          signal: controller?.signal,
        });
      } else {
        response = await doFetch(`${base}/v1/snapshot/${env}`, { headers, signal: controller?.signal });
      }
      // A body nobody reads holds its connection (in Node, the process too): cancel it.
      const discard = () => void response.body?.cancel().catch(() => undefined);
      if (stale()) return discard();
      if (response.status === 304 && source()) return current();
      if (!response.ok) {
        discard();
        throw new Error(`burgee: ${response.status} from ${response.url || base}`);
      }
      const tag = response.headers.get("ETag") ?? undefined;
      if (remote) {
        const sent = JSON.stringify(context());
        const body = (await response.json()) as OfrepAnswer;
        if (stale()) return;
        const flags: Record<string, EvaluatedFlag> = {};
        for (const f of body.flags ?? []) {
          const m = f.metadata ?? {};
          flags[f.key] = f.errorCode
            ? { value: null, errorCode: f.errorCode, errorMessage: f.errorDetails }
            : { value: f.value, variant: f.variant, reason: f.reason, ruleId: m.ruleId as string, prerequisite: m.prerequisite as string };
        }
        const version = typeof body.metadata?.version === "number" ? body.metadata.version : undefined;
        adopt(evaluated(flags, version));
        etag = tag;
        keep({ etag: tag, context: sent, flags, version });
      } else {
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (stale()) return;
        adopt(load(bytes));
        etag = tag;
        keep({ etag: tag, snapshot: toBase64(bytes) });
      }
    } catch (e) {
      if (!closed() && (e as Error)?.name !== "AbortError") failed(e);
    } finally {
      if (inflight === controller) inflight = undefined;
    }
  };

  const once = (fresh?: boolean): Promise<void> => {
    if (!pending || fresh) {
      const p: Promise<void> = revalidate().finally(() => pending === p && (pending = undefined));
      pending = p;
    }
    return pending;
  };
  return [once, () => pending, (t) => (etag = t), () => inflight?.abort()];
}

/**
 * Everything that makes a client revalidate, as the `refresh` option says (`false`: nothing, a
 * number: the interval): an interval, focus and visibility, and the change stream at `url`
 * (`Stream`, when there is one). Answers how to stop each.
 */
export function watch(
  options: ClientOptions,
  g: Globals,
  Stream: EventSourceConstructor | null | undefined,
  url: string,
  doFetch: typeof fetch | undefined,
  revalidate: () => Promise<void>,
  version: () => number | undefined,
  closed: () => boolean,
): (() => void)[] {
  const r = options.refresh;
  const refresh: RefreshOptions =
    r === false ? { interval: 0, focus: false, stream: false } : typeof r === "number" ? { interval: r } : (r ?? {});
  const cleanups: (() => void)[] = [];
  if (!options.url) return cleanups;
  const interval = refresh.interval ?? 30000;
  if (interval > 0) {
    const timer = setInterval(() => void revalidate(), interval);
    cleanups.push(() => clearInterval(timer));
  }
  if (refresh.focus !== false && g.addEventListener) {
    const onFocus = () => {
      if (g.document?.visibilityState !== "hidden") void revalidate();
    };
    g.addEventListener("focus", onFocus);
    g.document?.addEventListener?.("visibilitychange", onFocus);
    cleanups.push(() => {
      g.removeEventListener?.("focus", onFocus);
      g.document?.removeEventListener?.("visibilitychange", onFocus);
    });
  }
  if (refresh.stream !== false && Stream) {
    const stop = follow(Stream, url, { fetch: doFetch, headers: options.headers }, revalidate, version, closed);
    if (stop) cleanups.push(stop);
  }
  return cleanups;
}
