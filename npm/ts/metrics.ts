/**
 * Usage metrics: what a client evaluated here, and the events it tracked, sent to the edge
 * (`POST {url}/v1/metrics`) in the batch format the edge validates. Only local evaluations
 * are counted (the edge counts what it evaluates itself), and counting must cost next to
 * nothing: a counter is one Map lookup and an increment, allocated once per outcome seen.
 *
 * Batches go out every `interval` when there is something to send, on `close()`, and with
 * `navigator.sendBeacon` when a page is hidden or left. A send that fails for the network,
 * a 5xx or a 429 is kept and merged into the next one, at most `MAX_ATTEMPTS` times; any
 * other 4xx drops it (the edge would refuse it again), with one warning per client.
 */
import type { ClientOptions, EvaluationContext } from "./types.js";
import { REASONS } from "./codes.js";
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

/** What the counts of one snapshot's flag `i` are named by: its key and variant names. */
export interface Counted {
  key: string;
  names: string[];
}

/** Counts one loaded snapshot's evaluations. */
export interface Tally {
  /**
   * Per flag, its counters, at `outcome(packed)`; the hot path adds one there itself, and
   * calls `count` when a flag has none yet.
   */
  counts: (Float64Array | undefined)[];
  /** One evaluation of flag `i` with packed outcome `packed`. */
  count(i: number, packed: number): void;
  /** One evaluation of every flag: `words` holds `[packed, aux]` per flag. */
  all(words: Uint32Array): void;
  /** The snapshot is gone: its counts are sent with the next batch, then forgotten. */
  retire(): void;
}

export interface Metrics {
  tally(flags: Counted[]): Tally;
  /** A variant served by a source evaluated elsewhere (not counted; attributed to). */
  served(flag: string, variant: string): void;
  track(name: string, value?: number): void;
  /** Sends what there is now (`beacon`: through `navigator.sendBeacon`). */
  flush(beacon?: boolean): void;
  close(): void;
}

/**
 * One snapshot's counts: per flag, a lazily made array with a counter per outcome, at
 * `(variant + 1) * 8 + reason` (variant -1: the caller's default), or `ERROR_AT` for an error.
 * An increment there is what an evaluation costs. `all()` calls are only counted by how many
 * times in a row they answered the same outcomes (`words`, which the snapshot reuses while
 * they cannot change), and spread over the flags when read.
 */
interface Table {
  flags: Counted[];
  counts: (Float64Array | undefined)[];
  words?: Uint32Array;
  times: number;
  retired: boolean;
}
const ERROR_AT = 7;

/** The counter index of a packed outcome (see ./snapshot.ts). */
export const at = (packed: number) => (packed >>> 28 ? ERROR_AT : ((packed & 0xffffff) << 3) | (packed >>> 24));

interface Tracked {
  count: number;
  value?: number;
  attributed: Map<string, Attribution>;
}

/** The core's event-name rule: 1–64 printable ASCII characters, no space at either end. */
export function checkEventName(name: unknown): void {
  if (typeof name !== "string" || !/^[!-~](?:[ -~]{0,62}[!-~])?$/.test(name)) {
    throw new TypeError(
      `burgee: event name ${JSON.stringify(name)} must be 1 to 64 printable ASCII characters, not starting or ending with a space`,
    );
  }
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
 * The client's metrics, or none when `options.metrics` is `false` or there is nowhere to send
 * them (no `url` or no `fetch`).
 */
export function metrics(
  options: ClientOptions,
  base: string,
  doFetch: typeof fetch | undefined,
  context: () => EvaluationContext,
  g: Globals,
): Metrics | undefined {
  const m = options.metrics;
  if (m === false || !options.url || !doFetch) return undefined;
  const environment = options.environment;
  const now = Date.now;
  const key = keyOf(options);
  let tables: Table[] = [];
  let overflow = 0;
  let events = new Map<string, Tracked>();
  /** (flag, variant) served this session, in the order first noticed (the latest 100). */
  const served = new Map<string, [string, string]>();
  let start = now();
  let kept: { batch: Batch; attempts: number } | undefined;
  let sending = false;
  let warned = false;
  let closed = false;

  const serve = (flag: string, variant: string) => {
    const k = `${flag}\0${variant}`;
    if (served.has(k)) return;
    served.set(k, [flag, variant]);
    if (served.size > MAX_ATTRIBUTED) served.delete(served.keys().next().value!);
  };

  const tally = (flags: Counted[]): Tally => {
    const table: Table = { flags, counts: [], times: 0, retired: false };
    tables.push(table);
    const { counts } = table;
    const first = (i: number, k: number) => {
      (counts[i] = new Float64Array((flags[i].names.length + 1) * 8))[k]++;
    };
    return {
      counts,
      count(i, packed) {
        const a = counts[i];
        if (a !== undefined) a[at(packed)]++;
        else first(i, at(packed));
      },
      all(words) {
        if (words !== table.words) {
          spread(table);
          table.words = words;
        }
        table.times++;
      },
      retire: () => void (table.retired = true),
    };
  };

  /** Moves the `all()` calls of `t` onto its flags' counters. */
  const spread = (t: Table) => {
    const w = t.words;
    if (!w || !t.times) return;
    for (let i = 0; i < t.flags.length; i++) {
      const k = at(w[2 * i]);
      (t.counts[i] ??= new Float64Array((t.flags[i].names.length + 1) * 8))[k] += t.times;
    }
    t.times = 0;
  };

  /** Each table's counters, as `(flag, variant, reason, count)`; `reset` zeroes them. */
  const read = (visit: (flag: string, variant: string | null, reason: string, n: number) => void, reset: boolean) => {
    for (const t of tables) {
      spread(t);
      t.counts.forEach((a, i) => {
        const f = t.flags[i];
        for (let k = 0; a && k < a.length; k++) {
          if (!a[k]) continue;
          const v = (k >> 3) - 1;
          visit(f.key, k === ERROR_AT || v < 0 ? null : f.names[v], k === ERROR_AT ? "ERROR" : REASONS[k & 7], a[k]);
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
    tables = tables.filter((t) => !t.retired);
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

  /** `beacon` and `closing` do not wait for a send in flight: the page or client is going. */
  const flush = (beacon?: boolean) => {
    if (sending && !beacon && !closed) return;
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

  const interval = (m && m.interval) || 10_000;
  const timer = setInterval(() => flush(), interval) as unknown as { unref?(): void };
  timer.unref?.();
  const leave = () => flush(true);
  const hide = () => g.document?.visibilityState === "hidden" && flush(true);
  g.addEventListener?.("pagehide", leave);
  g.document?.addEventListener?.("visibilitychange", hide);

  return {
    tally,
    served: serve,
    track(name, value) {
      if (closed) return;
      note();
      let e = events.get(name);
      if (!e) {
        if (events.size >= MAX_EVENTS) return;
        events.set(name, (e = { count: 0, attributed: new Map() }));
      }
      e.count++;
      if (value !== undefined) e.value = (e.value ?? 0) + value;
      // Most recently served first, up to the cap.
      const recent = [...served.values()].reverse();
      for (const [flag, variant] of recent) {
        const k = `${flag}\0${variant}`;
        const a = e.attributed.get(k);
        if (a) a.count++;
        else if (e.attributed.size < MAX_ATTRIBUTED) e.attributed.set(k, { flag, variant, count: 1 });
      }
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      flush();
      clearInterval(timer as unknown as number);
      g.removeEventListener?.("pagehide", leave);
      g.document?.removeEventListener?.("visibilitychange", hide);
    },
  };
}
