/**
 * Usage metrics, the part every client carries: local evaluations counted per flag, variant
 * and reason, the variants served by sources evaluated elsewhere, and `track()` calls. Only
 * local evaluations are counted (the edge counts what it evaluates itself), and counting must
 * cost next to nothing: an evaluation is one increment in a typed array.
 *
 * Everything that turns these into batches and sends them (./metrics-send.ts) is loaded with
 * a dynamic `import()` the first time there is something to send: the entries' size budgets
 * (npm/test/size.test.mjs) leave no room for it, and a page that counts nothing never loads it.
 * Until it is there, `track()` calls wait in a queue; it is loaded long before a page is
 * usually left, but a page left before it loaded loses what was counted.
 */
import type { ClientOptions, EvaluationContext } from "./types.js";
import { REASONS } from "./codes.js";
import type { Globals } from "./revalidate.js";

/** What the counts of one snapshot's flag `i` are named by: its key and variant names. */
export interface Counted {
  key: string;
  names: string[];
}

/**
 * One snapshot's counts: per flag, a lazily made array with a counter per outcome, at
 * `(variant + 1) * 8 + reason` (variant -1: the caller's default). An increment there is what
 * an evaluation costs. `all()` calls are only counted by how many times in a row they answered
 * the same outcomes (`words`, which the snapshot reuses while they cannot change), and spread
 * over the flags when read.
 */
export interface Table {
  flags: Counted[];
  counts: (Float64Array | undefined)[];
  words?: Uint32Array;
  times: number;
  retired?: boolean;
}
/** How many (flag, variant) pairs served a client remembers for attribution: the latest. */
const KEPT_SERVED = 100;

/**
 * The counter index of a packed outcome (see ./snapshot.ts). An error always serves the
 * caller's default with reason `ERROR` (the core's `Outcome::error`), so it needs no index of
 * its own.
 */
export const at = (packed: number) => ((packed & 0xffffff) << 3) | ((packed >>> 24) & 7);

/** Moves the `all()` calls of `t` onto its flags' counters. */
export function spread(t: Table): void {
  const w = t.words;
  for (let i = 0; w && t.times && i < t.flags.length; i++) {
    (t.counts[i] ??= new Float64Array((t.flags[i].names.length + 1) * 8))[at(w[2 * i])] += t.times;
  }
  t.times = 0;
}

/**
 * What the sending side reads: the tables of the snapshots counted (it drops retired ones
 * once read) and how to read one's `all()` calls, the (flag, variant) pairs served in the
 * order first noticed (the latest 100; `flag\0variant`) and how to note one more, whether the client is
 * closed, when counting started, and the reasons' names. Handed over rather than imported:
 * a module both sides import would be split into a chunk of its own by bundlers.
 */
export type Counting = [
  tables: Table[],
  spread: (t: Table) => void,
  served: Set<string>,
  serve: (flag: string, variant: string) => void,
  closed: () => boolean,
  start: number,
  reasons: readonly string[],
];

/**
 * A client's metrics, as its parts hold them: the tables of the snapshots it counts (./local.ts
 * adds them), what to call when one counts for the first time (the sending side loads then),
 * a variant served by a source evaluated elsewhere (not counted, but attributed to), an event,
 * and closing. A tuple: a minifier shortens the names of destructured elements, never property
 * names, and the package counts its bytes.
 */
export type Meter = [
  tables: Table[],
  counted: () => void,
  served: (flag: string, variant: string) => void,
  track: (name: string, value?: number) => void,
  close: () => void,
];

/** The sending side, once loaded: `track` records an event, `close` sends what is left. */
export type Sender = [track: (name: string, value?: number) => void, close: () => void];

/**
 * Throws unless `name` follows the core's event-name rule (1–64 printable ASCII characters, no
 * space at either end) and `value` is a finite number or none.
 */
export function checkEvent(name: unknown, value: unknown): void {
  if (typeof name !== "string" || !/^[!-~](?:[ -~]{0,62}[!-~])?$/.test(name) || (value !== undefined && !Number.isFinite(value))) {
    throw new TypeError(
      `burgee: event name ${JSON.stringify(name)} must be 1 to 64 printable ASCII characters, no space at either end; its value a finite number`,
    );
  }
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
): Meter | undefined {
  if (options.metrics === false || !options.url || !doFetch) return undefined;
  const tables: Table[] = [];
  const served = new Set<string>();
  const queue: [string, number | undefined][] = [];
  let closed = false;
  let sender: Sender | undefined;
  let loading: Promise<void> | undefined;
  const start = Date.now();
  const serve = (flag: string, variant: string) => {
    const k = `${flag}\0${variant}`;
    if (served.has(k)) return;
    served.add(k);
    if (served.size > KEPT_SERVED) served.delete(served.values().next().value!);
  };
  /** Loads the sending side (once), which then records the queued `track()` calls. */
  const load = () =>
    void (loading ||= import("./metrics-send.js").then(
      (m) => {
        sender = m.sender([tables, spread, served, serve, () => closed, start, REASONS], options, base, doFetch, context, g);
        for (const [name, value] of queue.splice(0)) sender[0](name, value);
        if (closed) sender[1]();
      },
      // Without it nothing can be sent: the client stops recording, as if closed.
      () => {
        closed = true;
        queue.length = 0;
      },
    ));
  return [
    tables,
    load,
    serve,
    (name, value) => {
      if (closed) return;
      if (sender) sender[0](name, value);
      else {
        queue.push([name, value]);
        load();
      }
    },
    () => {
      if (closed) return;
      closed = true;
      sender?.[1]();
    },
  ];
}
