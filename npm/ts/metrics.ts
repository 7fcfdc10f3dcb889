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
import type { Globals } from "./revalidate.js";

/** Batch caps, as the edge enforces them: keys, events, attributions per event. */
export const MAX_KEYS = 10_000;
export const MAX_EVENTS = 1_000;
export const MAX_ATTRIBUTED = 100;
/** How often a batch that could not be delivered is offered again before it is dropped. */
export const MAX_ATTEMPTS = 5;
const MAX_COUNT = 1e9;
/** The outcome key of every error. */
export const ERROR = 0x10000000;

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

/** What an outcome is: the flag, the variant served (none: the caller's default), the reason. */
export type Describe = (flag: number, outcome: number) => [flag: string, variant: string | null, reason: string];

/** Counts one loaded snapshot's evaluations: `count(flag index, packed outcome)`. */
export interface Tally {
  count(flag: number, packed: number): void;
  /** The snapshot is gone: its counts are sent with the next batch, then forgotten. */
  retire(): void;
}

export interface Metrics {
  tally(describe: Describe): Tally;
  /** A variant served by a source evaluated elsewhere (not counted; attributed to). */
  served(flag: string, variant: string): void;
  track(name: string, value?: number): void;
  /** Sends what there is now (`beacon`: through `navigator.sendBeacon`). */
  flush(beacon?: boolean): void;
  close(): void;
}

interface Slot {
  flag: string;
  variant: string | null;
  reason: string;
  n: number;
}
interface Table {
  /** Per flag index, the slots by outcome: the packed outcome, or `ERROR`. */
  slots: (Map<number, Slot> | undefined)[];
  retired: boolean;
}
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
  let slotCount = 0;
  let overflow = 0;
  let events = new Map<string, Tracked>();
  /** (flag, variant) served this session, least recent first. */
  const served = new Map<string, [string, string]>();
  let start = now();
  let kept: { batch: Batch; attempts: number } | undefined;
  let sending = false;
  let warned = false;
  let closed = false;

  const serve = (flag: string, variant: string) => {
    const k = `${flag}\0${variant}`;
    served.delete(k);
    served.set(k, [flag, variant]);
    if (served.size > MAX_ATTRIBUTED) served.delete(served.keys().next().value!);
  };

  const tally = (describe: Describe): Tally => {
    const table: Table = { slots: [], retired: false };
    tables.push(table);
    /** First time this outcome of this flag is seen: a slot for it (or overflow when full). */
    const slow = (i: number, k: number) => {
      if (slotCount >= MAX_KEYS) return void overflow++;
      const [flag, variant, reason] = describe(i, k);
      const slot: Slot = { flag, variant, reason, n: 1 };
      (table.slots[i] ??= new Map()).set(k, slot);
      slotCount++;
      if (variant !== null) serve(flag, variant);
    };
    return {
      count(i, packed) {
        // Any error is one outcome (no variant, reason ERROR); others fit in 28 bits (a small integer).
        const k = packed >>> 28 ? ERROR : packed;
        const slot = table.slots[i]?.get(k);
        if (slot !== undefined) slot.n++;
        else slow(i, k);
      },
      retire: () => void (table.retired = true),
    };
  };

  /** What was counted and tracked since the last drain, as a batch (undefined: nothing). */
  const drain = (): Batch | undefined => {
    const counts = new Map<string, CountEntry>();
    for (const table of tables) {
      for (const map of table.slots) {
        for (const s of map?.values() ?? []) {
          if (!s.n) continue;
          const k = `${s.flag}\0${s.variant}\0${s.reason}`;
          const have = counts.get(k);
          if (have) have.count = Math.min(MAX_COUNT, have.count + s.n);
          else {
            const c: CountEntry = { environment, flag: s.flag, reason: s.reason, count: Math.min(MAX_COUNT, s.n) };
            if (s.variant !== null) c.variant = s.variant;
            counts.set(k, c);
          }
          s.n = 0;
        }
      }
    }
    const retired = tables.filter((t) => t.retired);
    for (const t of retired) for (const map of t.slots) slotCount -= map?.size ?? 0;
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
