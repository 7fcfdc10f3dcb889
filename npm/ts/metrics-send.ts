/**
 * Usage metrics, the sending side: what ./metrics.ts counted and the events tracked, turned
 * into batches in the format the edge validates and sent to `POST {url}/v1/metrics`. Loaded
 * with a dynamic `import()` the first time a client has something to send, so the entries
 * carry only the counting.
 *
 * Batches go out every `interval` when there is something to send, on `close()`, and with
 * `navigator.sendBeacon` when a page is hidden or left. A send that fails for the network,
 * a 5xx or a 429 is kept and merged into the next one, at most `MAX_ATTEMPTS` times; any
 * other 4xx drops it (the edge would refuse it again), with one warning per client.
 */
import type { ClientOptions, EvaluationContext } from "./types.js";
import type { Counting, Sender } from "./metrics.js";
import type { Globals } from "./revalidate.js";

/** Batch caps, as the edge enforces them: keys, events, attributions per event. */
export const MAX_KEYS = 10_000;
export const MAX_EVENTS = 1_000;
export const MAX_ATTRIBUTED = 100;
/** How often a batch that could not be delivered is offered again before it is dropped. */
export const MAX_ATTEMPTS = 5;
const MAX_COUNT = 1e9;

export interface CountEntry {
  environment: string;
  flag: string;
  variant?: string;
  reason: string;
  count: number;
}
export interface Attribution {
  flag: string;
  variant: string;
  count: number;
}
export interface EventEntry {
  environment: string;
  name: string;
  value?: number;
  count: number;
  attributed?: Attribution[];
}
/** The wire form (the edge's `Batch`, version 1, plus the client's targeting key). */
export interface Batch {
  version: 1;
  start: number;
  end: number;
  counts?: CountEntry[];
  events?: EventEntry[];
  overflow?: number;
  targetingKey?: string;
}

interface Tracked {
  count: number;
  value?: number;
  attributed: Map<string, Attribution>;
}

/** `b` folded into `a` (a batch kept after a failed send, and the next one), within the caps. */
export function merge(a: Batch, b: Batch): Batch {
  const out: Batch = { version: 1, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
  let overflow = (a.overflow ?? 0) + (b.overflow ?? 0);
  const counts = new Map<string, CountEntry>();
  const events = new Map<string, EventEntry>();
  for (const c of [...(a.counts ?? []), ...(b.counts ?? [])]) {
    const key = `${c.environment}\0${c.flag}\0${c.variant ?? ""}\0${c.reason}`;
    const have = counts.get(key);
    if (have) have.count = Math.min(MAX_COUNT, have.count + c.count);
    else if (counts.size < MAX_KEYS) counts.set(key, { ...c });
    else overflow += c.count;
  }
  for (const e of [...(a.events ?? []), ...(b.events ?? [])]) {
    const key = `${e.environment}\0${e.name}`;
    const have = events.get(key);
    if (!have) {
      if (events.size < MAX_EVENTS) events.set(key, { ...e, attributed: e.attributed?.map((x) => ({ ...x })) });
      continue;
    }
    have.count = Math.min(MAX_COUNT, have.count + e.count);
    if (e.value !== undefined) have.value = (have.value ?? 0) + e.value;
    const list = (have.attributed ??= []);
    for (const x of e.attributed ?? []) {
      const same = list.find((y) => y.flag === x.flag && y.variant === x.variant);
      if (same) same.count = Math.min(have.count, same.count + x.count);
      else if (list.length < MAX_ATTRIBUTED) list.push({ ...x });
    }
  }
  if (counts.size) out.counts = [...counts.values()];
  if (events.size) out.events = [...events.values()];
  if (overflow) out.overflow = Math.min(MAX_COUNT, overflow);
  if (b.targetingKey ?? a.targetingKey) out.targetingKey = b.targetingKey ?? a.targetingKey;
  return out;
}

/** The evaluation key the client sends (`metrics.key`, else its `Authorization` or `X-API-Key` header). */
function keyOf(options: ClientOptions): string | undefined {
  const m = options.metrics;
  if (m && m.key) return m.key;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const n = name.toLowerCase();
    if (n === "x-api-key") return value;
    if (n === "authorization" && /^bearer /i.test(value)) return value.slice(7).trim();
  }
  return undefined;
}

/**
 * The sending side of a client's metrics (./metrics.ts calls it once loaded). For a client
 * closed before this was loaded, it starts no timer and listens to nothing.
 */
export function sender(
  counting: Counting,
  options: ClientOptions,
  base: string,
  doFetch: typeof fetch,
  context: () => EvaluationContext,
  g: Globals,
): Sender {
  const [tables, spread, served, serve, closed, , reasons] = counting;
  let start = counting[5];
  const m = options.metrics;
  const environment = options.environment;
  const now = Date.now;
  const key = keyOf(options);
  let overflow = 0;
  let events = new Map<string, Tracked>();
  let kept: { batch: Batch; attempts: number } | undefined;
  let sending = false;
  let warned = false;

  /** Each table's counters, as `(flag, variant, reason, count)`; `reset` zeroes them. */
  const read = (visit: (flag: string, variant: string | null, reason: string, n: number) => void, reset: boolean) => {
    for (const t of tables) {
      spread(t);
      t.counts.forEach((a, i) => {
        const f = t.flags[i];
        for (let k = 0; a && k < a.length; k++) {
          if (a[k]) visit(f.key, k < 8 ? null : f.names[(k >> 3) - 1], reasons[k & 7], a[k]);
        }
        if (reset) a?.fill(0);
      });
    }
  };

  /** Notes the variants counted since the last drain as served (attribution). */
  const note = () => read((flag, variant) => variant !== null && serve(flag, variant), false);

  /** What was counted and tracked since the last drain, as a batch (undefined: nothing). */
  const drain = (): Batch | undefined => {
    note();
    const counts = new Map<string, CountEntry>();
    read((flag, variant, reason, n) => {
      const k = `${flag}\0${variant}\0${reason}`;
      const have = counts.get(k);
      if (have) have.count = Math.min(MAX_COUNT, have.count + n);
      else if (counts.size >= MAX_KEYS) overflow += n;
      else {
        const c: CountEntry = { environment, flag, reason, count: Math.min(MAX_COUNT, n) };
        if (variant !== null) c.variant = variant;
        counts.set(k, c);
      }
    }, true);
    for (let i = tables.length; i--; ) if (tables[i].retired) tables.splice(i, 1);
    if (!counts.size && !events.size && !overflow) return undefined;
    const end = now();
    const batch: Batch = { version: 1, start, end };
    start = end;
    if (counts.size) batch.counts = [...counts.values()];
    if (events.size) {
      batch.events = [...events].map(([name, e]) => {
        const out: EventEntry = { environment, name, count: e.count };
        if (e.value !== undefined) out.value = e.value;
        if (e.attributed.size) out.attributed = [...e.attributed.values()];
        return out;
      });
      events = new Map();
    }
    if (overflow) batch.overflow = Math.min(MAX_COUNT, overflow);
    overflow = 0;
    const ctx = context();
    const tk = ctx.targetingKey ?? ctx.userId;
    if (typeof tk === "string" && tk) batch.targetingKey = tk;
    return batch;
  };

  /** Keeps an undelivered batch for the next send, unless it has had its attempts. */
  const keep = (batch: Batch, attempts: number) => {
    if (attempts < MAX_ATTEMPTS) kept = { batch, attempts };
  };

  /**
   * Sends what there is now (`beacon`: through `navigator.sendBeacon`). A beacon and a send
   * from a closed client do not wait for a send in flight: the page or client is going.
   */
  const flush = (beacon?: boolean) => {
    if (sending && !beacon && !closed()) return;
    const fresh = drain();
    const old = kept;
    kept = undefined;
    const batch = old && fresh ? merge(old.batch, fresh) : (fresh ?? old?.batch);
    if (!batch) return;
    const attempts = (old?.attempts ?? 0) + 1;
    const body = JSON.stringify(batch);
    const url = `${base}/v1/metrics`;
    const nav = (g as { navigator?: Navigator }).navigator;
    if (beacon && nav?.sendBeacon) {
      const query = key ? `?key=${encodeURIComponent(key)}` : "";
      let queued = false;
      try {
        queued = nav.sendBeacon(url + query, new Blob([body], { type: "application/json" }));
      } catch {
        // A refused beacon is a failed send.
      }
      if (!queued) keep(batch, attempts);
      return;
    }
    const headers: Record<string, string> = { ...options.headers, "Content-Type": "application/json" };
    if (key && !Object.keys(headers).some((h) => /^(authorization|x-api-key)$/i.test(h))) headers.Authorization = `Bearer ${key}`;
    sending = true;
    let request: Promise<Response>;
    try {
      // `keepalive`: a send from `close()` as the page goes may outlive it.
      request = doFetch(url, { method: "POST", headers, body, keepalive: body.length < 60_000 });
    } catch (e) {
      request = Promise.reject(e);
    }
    request
      .then(
        (r) => {
          void r.body?.cancel().catch(() => undefined);
          if (r.ok) return;
          if (r.status === 429 || r.status >= 500) return keep(batch, attempts);
          if (!warned) console.warn(`burgee: the edge refused usage metrics (${r.status}); they are dropped`);
          warned = true;
        },
        () => keep(batch, attempts),
      )
      .finally(() => (sending = false));
  };

  const track = (name: string, value?: number) => {
    note();
    let e = events.get(name);
    if (!e) {
      if (events.size >= MAX_EVENTS) return;
      events.set(name, (e = { count: 0, attributed: new Map() }));
    }
    e.count++;
    if (value !== undefined) e.value = (e.value ?? 0) + value;
    // Most recently served first, up to the cap.
    for (const k of [...served].reverse()) {
      const a = e.attributed.get(k);
      if (a) a.count++;
      else if (e.attributed.size < MAX_ATTRIBUTED) {
        const [flag, variant] = k.split("\0");
        e.attributed.set(k, { flag, variant, count: 1 });
      }
    }
  };

  // Closed while this was loading: ./metrics.ts sends what is left right away.
  if (closed()) return [track, () => flush()];
  const interval = (m && m.interval) || 10_000;
  const timer = setInterval(() => flush(), interval) as unknown as { unref?(): void };
  timer.unref?.();
  const leave = () => flush(true);
  const hide = () => g.document?.visibilityState === "hidden" && flush(true);
  g.addEventListener?.("pagehide", leave);
  g.document?.addEventListener?.("visibilitychange", hide);

  return [
    track,
    () => {
      flush();
      clearInterval(timer as unknown as number);
      g.removeEventListener?.("pagehide", leave);
      g.document?.removeEventListener?.("visibilitychange", hide);
    },
  ];
}
