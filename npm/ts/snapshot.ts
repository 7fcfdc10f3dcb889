/**
 * The JavaScript half of one wasm `Engine`: the manifest read once (keys, variant values, rule
 * ids, static outcomes), contexts bound once, outcomes decoded from one packed integer.
 *
 * Packed outcome (npm/src/lib.rs `pack`): `variant + 1` in bits 0–23 (0: the caller's
 * default), the reason in bits 24–27, `errorCode + 1` in bits 28–31 (0: none).
 */
import { ERROR_CODES, GENERAL, REASONS, VALUE_TYPES } from "./codes.js";
import { message } from "./messages.js";
import { type Attribute, attributes, type Held, problem, type Scratch, write } from "./context.js";
import type { BoundContext, EvaluateOptions, EvaluationDetails, FlagSnapshot, ValueType } from "./types.js";

/** The wasm exports this file uses (the lean and full builds both have them). */
export interface WasmEngine {
  manifest(): string;
  scratch(len: number): number;
  setContext(len: number): void;
  /** The packed outcome and, above its 32 bits, the auxiliary field (`AUX_NONE`: none). */
  evaluate(index: number, expected: number, now: number): number;
  evaluateWith(len: number, index: number, expected: number, now: number): number;
  evaluateAll(now: number): number;
  free(): void;
}

/**
 * A context read once and kept (`bind()`'s), to bind again whenever another one was bound
 * since: its bytes, why it is unusable (if it is), and its binding token.
 */
interface Kept {
  bytes: Uint8Array;
  invalid: string | undefined;
  token: object;
}

/** Hears the packed outcome of flag `i` (usage metrics). */
export type Seen = (i: number, packed: number) => void;

/** How an entry point reaches its wasm build. */
export interface Backend {
  engine(bytes: Uint8Array): WasmEngine;
  memory(): WebAssembly.Memory;
}

interface Flag {
  key: string;
  /** `ValueType` index of the flag's kind; -1 when it could not be loaded. */
  type: number;
  names: string[];
  values: unknown[];
  rules: (string | null)[];
  /** The packed static outcome, or -1 when the flag must be evaluated. */
  fixed: number;
  /** What is wrong with a flag that has a document error. */
  broken?: string;
  /** The context slots its evaluation reads (1), when that is not all of them. */
  reads?: Uint8Array;
  /** Results already made, frozen, as `packed, aux, result` triples (see `answer`). */
  answers: unknown[];
}

/** One flag in the manifest (`Snapshot::write_manifest`). */
type ManifestFlag = [
  key: string,
  type: number,
  names: string[],
  values: unknown[],
  rules: (string | null)[],
  fixed: [number, number, number] | null,
  broken: string | null,
  reads: number[],
];

interface Manifest {
  /** Set instead of everything else when the bytes were not a snapshot. */
  error?: string;
  version: number;
  environment: string;
  /** Whether outcomes can depend on the time (`Snapshot::reads_clock`). */
  clock: boolean;
  attributes: string[];
  flags: ManifestFlag[];
}

const NO_TYPE = 4;
/** Auxiliary-field markers: none (`u32::MAX`), or not fetched yet. */
const NONE = 0xffffffff;
const LAZY = -1;
/** Where `evaluate` carries the auxiliary field: above 2³², `AUX_NONE` for none (npm/src/lib.rs). */
const AUX = 2 ** 32;
const AUX_NONE = 2 ** 21 - 1;

function freeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    for (const k of Object.keys(v)) freeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

export function typeIndex(type: ValueType | undefined): number {
  const i = type === undefined ? -1 : VALUE_TYPES.indexOf(type);
  return i < 0 ? NO_TYPE : i;
}

/** A clock for one call's `now` option: the wall clock when there is none. */
function clockFor(now: number | Date | string | undefined): () => number {
  return now === undefined ? wallClock : () => toMillis(now);
}

const wallClock = () => Date.now();

export function toMillis(now: number | Date | string | undefined): number {
  if (now === undefined) return Date.now();
  if (typeof now === "number") return now;
  return typeof now === "string" ? Date.parse(now) : now.getTime();
}

/** One loaded snapshot. Not exported from the package: `FlagSnapshot` and the client wrap it. */
export class Loaded {
  readonly version: number;
  readonly environment: string;
  readonly attributes: string[];
  /** The same, split once for reading contexts. */
  private readonly paths: Attribute[];
  readonly flags: Flag[];
  readonly index = new Map<string, number>();
  /** Whether outcomes can depend on the time; if not, `all()` keeps them per context. */
  readonly clock: boolean;
  /** A token for the context the engine holds: a new object for each binding. */
  bound: object | undefined;
  /** Why the context the engine holds is unusable, if it is. */
  invalid: string | undefined;
  /** Views of the engine's context scratch in wasm memory (made at the first binding). */
  readonly scratch: Scratch = { bytes: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)), k: 0 };
  /** The strings the engine's context holds from the last `once()` (see `Held`). */
  readonly held: Held = { values: [], valid: false };
  /** The last evaluation's answer, packed outcome and auxiliary field (see `WasmEngine`). */
  private carried = 0;
  private at = 0;
  private cap = 0;
  private view: Uint32Array | undefined;
  /** The last `all()`'s outcomes (`[packed, aux]` per flag) and the context they are for. */
  private kept: object | undefined;
  private keptWords: Uint32Array | undefined;
  /** The array `all()` reuses for outcomes no caller has seen. */
  private spare: Uint32Array | undefined;
  /** Makes `all()`'s answers (at the first call). */
  private answers: Answers | undefined;

  constructor(
    private readonly backend: Backend,
    readonly engine: WasmEngine,
  ) {
    const m = JSON.parse(engine.manifest()) as Manifest;
    if (m.error !== undefined) {
      engine.free();
      throw new Error(`cannot load the snapshot: ${m.error}`);
    }
    this.version = m.version;
    this.environment = m.environment;
    this.clock = m.clock;
    this.attributes = m.attributes;
    this.paths = attributes(m.attributes);
    const slots = m.attributes.length;
    this.flags = m.flags.map(([key, type, names, values, rules, s, broken, reads], i) => {
      this.index.set(key, i);
      values.forEach(freeze);
      let mask: Uint8Array | undefined;
      if (reads.length < slots) {
        mask = new Uint8Array(slots);
        for (const slot of reads) mask[slot] = 1;
      }
      return {
        key,
        type,
        names,
        values,
        rules,
        fixed: s ? (((s[0] + 1) & 0xffffff) | (s[1] << 24) | ((s[2] + 1) << 28)) >>> 0 : -1,
        broken: broken ?? undefined,
        reads: mask,
        answers: [],
      };
    });
  }

  /** Makes `context` the engine's context for the calls that follow. */
  use(context: unknown): void {
    this.held.valid = false;
    this.invalid = this.write(context);
    this.engine.setContext(this.scratch.k);
    this.bound = {};
  }

  /**
   * The packed outcome of flag `i` for `context`, read for this evaluation alone: only the
   * slots the flag reads, bound and evaluated in one call.
   */
  once(i: number, context: unknown, type: number, now: () => number): number {
    const held = this.held;
    this.invalid = this.write(context, this.flags[i].reads, held);
    // An unusable context replaces every slot.
    held.valid = this.invalid === undefined;
    this.bound = undefined;
    return (this.carried = this.engine.evaluateWith(this.scratch.k, i, type, this.clock ? now() : 0)) >>> 0;
  }

  /** Writes `context` into the engine's scratch, making room until it fits (first 256 bytes). */
  write(context: unknown, only?: Uint8Array, held?: Held): string | undefined {
    const s = this.scratch;
    for (;;) {
      this.views();
      const why = write(this.paths, context === undefined ? {} : context, s, only, held);
      if (s.k <= this.cap) return why;
      // Nothing was sent: `held` has this context's strings now, not the engine's.
      if (held !== undefined) held.valid = false;
      this.at = this.engine.scratch((this.cap = Math.max(256, 2 * s.k)));
      s.bytes = new Uint8Array(0);
    }
  }

  /**
   * Makes the scratch's views again when wasm memory has grown: its old buffer is then gone,
   * and views of it have length 0 (asking the memory for its buffer costs more than this).
   */
  views(): void {
    const s = this.scratch;
    if (s.bytes.length || !this.cap) return;
    const buffer = this.backend.memory().buffer;
    s.bytes = new Uint8Array(buffer, this.at, this.cap);
    s.view = new DataView(buffer, this.at, this.cap);
  }

  /** Whether flag `f`'s fixed outcome answers a caller expecting `type`. */
  typed(f: Flag, type: number): boolean {
    return type === NO_TYPE || f.type < 0 || f.type === type;
  }

  /** The packed outcome of flag `i` for the bound context; `now` is only read when needed. */
  packed(i: number, type: number, now: () => number): number {
    const f = this.flags[i];
    if (f.fixed >= 0 && this.invalid === undefined && this.typed(f, type)) {
      return f.fixed;
    }
    // The clock is only read (`Date.now()` costs about as much as an evaluation) when an
    // outcome can depend on it.
    return (this.carried = this.engine.evaluate(i, type, this.clock ? now() : 0)) >>> 0;
  }

  /** The value for a packed outcome: the variant's, or the caller's default. */
  value<T>(i: number, packed: number, fallback: T): T {
    const v = (packed & 0xffffff) - 1;
    return v < 0 ? fallback : (this.flags[i].values[v] as T);
  }

  /** The full result of flag `key` for the bound context; `seen` hears its outcome. */
  details<T>(key: string, fallback: T, type: number, now: () => number, seen?: Seen): EvaluationDetails<T> {
    const i = this.index.get(key);
    if (i === undefined) return this.error(key, fallback, 0, -1, NONE);
    const packed = this.packed(i, type, now);
    seen?.(i, packed);
    return this.result(i, packed, packed === this.flags[i].fixed ? NONE : LAZY, fallback);
  }

  /**
   * Every flag's result for the bound context: one wasm call for all of them, and none when
   * the snapshot does not read the clock and the context is the one of the last call (the
   * outcomes are the same then; the answer object is new every time). `seen` hears the
   * outcomes (`[packed, aux]` per flag; the same array as long as they are the same). `now`
   * is only read when an outcome can depend on it.
   */
  all(now: () => number, seen?: (words: Uint32Array) => void): Record<string, EvaluationDetails> {
    const size = 2 * this.flags.length;
    let words = this.keptWords;
    if (this.clock || !words || !this.bound || this.kept !== this.bound) {
      const at = this.engine.evaluateAll(this.clock ? now() : 0) >>> 2;
      // A view of memory that has grown since has length 0 (cheaper to ask than the buffer).
      let view = this.view;
      if (view === undefined || view.length === 0) view = this.view = new Uint32Array(this.backend.memory().buffer);
      const from = view.subarray(at, at + size);
      // `seen` tells outcomes apart by identity, so it gets a new array; else one is reused
      // (a copy into it costs an eighth of a new one).
      if (seen) words = from.slice();
      else (words = this.spare ??= new Uint32Array(size)).set(from);
      this.keptWords = words;
      this.kept = this.bound;
    } else if (seen && words === this.spare) {
      words = this.keptWords = words.slice();
    }
    seen?.(words);
    return (this.answers ??= new Answers(this.flags.map((f) => f.key))).make(this, words);
  }

  /**
   * An error result, with the core's message (`ts/codes.ts`): `i` is the flag's index (-1
   * when there is no such flag), `aux` the outcome's auxiliary field.
   */
  error<T>(key: string, fallback: T, code: number, i: number, aux: number): EvaluationDetails<T> {
    const f = this.flags[i];
    const detail = [
      undefined,
      VALUE_TYPES[f?.type] ?? "object",
      f?.broken ?? "the flag could not be read",
      this.attributes[aux] ?? "targetingKey",
      this.invalid ?? "invalid context",
      GENERAL[aux] ?? GENERAL[3],
    ][code];
    return {
      value: fallback,
      variant: null,
      reason: "ERROR",
      errorCode: ERROR_CODES[code],
      errorMessage: message(code, key, detail, VALUE_TYPES[aux]),
    };
  }

  /**
   * `aux` is the outcome's auxiliary field, or `LAZY` for the one the last evaluation carried.
   * Results are frozen and shared: a flag answers with the same object whenever the outcome
   * (and so every field) is the same, which makes `all()` mostly lookups.
   */
  result<T>(i: number, packed: number, aux: number, fallback: T): EvaluationDetails<T> {
    const f = this.flags[i];
    const error = packed >>> 28;
    const reason = (packed >>> 24) & 15;
    // Only errors, rules and prerequisites need the auxiliary field.
    const auxed = error || reason === 2 || reason === 3 || reason === 5;
    if (aux === LAZY && auxed) {
      const carried = this.carried;
      aux = (carried - (carried >>> 0)) / AUX;
      if (aux === AUX_NONE) aux = NONE;
    }
    if (error) return this.error(f.key, fallback, error - 1, i, aux);
    const v = (packed & 0xffffff) - 1;
    // The caller's default is theirs: only a variant's answer (or a default of null) is kept.
    const keep = v >= 0 || fallback === null;
    if (!auxed) aux = 0;
    if (keep) {
      const made = kept(f, packed, aux);
      if (made !== undefined) return made as EvaluationDetails<T>;
    }
    const out: EvaluationDetails<T> = {
      value: v < 0 ? fallback : (f.values[v] as T),
      variant: v < 0 ? null : f.names[v],
      reason: REASONS[reason],
    };
    if ((reason === 2 || reason === 3) && f.rules.length) {
      const id = aux < f.rules.length ? f.rules[aux] : null;
      if (id != null) out.ruleId = id;
    } else if (reason === 5) {
      if (aux < this.flags.length) out.prerequisite = this.flags[aux].key;
    }
    if (keep && f.answers.length < 3 * KEPT) f.answers.push(packed, aux, Object.freeze(out));
    return out;
  }
}

/**
 * The result flag `f` made before for this outcome, if it kept one. `aux` matters only where
 * `result` keeps it (rules, splits, prerequisites); elsewhere it is kept as 0.
 */
function kept(f: Flag, packed: number, aux: number): EvaluationDetails | undefined {
  const reason = (packed >>> 24) & 15;
  if (reason !== 2 && reason !== 3 && reason !== 5) aux = 0;
  const answers = f.answers;
  for (let j = 0; j < answers.length; j += 3) {
    if (answers[j] === packed && answers[j + 1] === aux) return answers[j + 2] as EvaluationDetails;
  }
  return undefined;
}

/** The most results a flag keeps (a flag has a few outcomes; rules and variants bound them). */
const KEPT = 8;

/**
 * From this many properties on, V8 keeps an object as a dictionary, and copying one costs more
 * than making it (300 flags: 86 µs against 11–35).
 */
const MAX_FAST = 128;

/** How often in a row (net) a flag's result must differ from its usual one to become it. */
const ADOPT = 16;

/**
 * `all()`'s answer objects. Storing a result under a flag's key costs about 20 ns (a keyed
 * store), so an answer starts as a copy of a template that holds each flag's usual result
 * (V8 copies a small fast-mode object in one go), and only the flags whose result differs are
 * stored. A flag's usual result is the one it keeps giving: one that differs more often than
 * not, by `ADOPT` net, replaces it. Only shared (frozen) results enter the template, so an
 * answer never holds an object that was handed out before.
 * (Not one object literal from generated code, which would be faster still: pages' CSP and
 * workers forbid making code from text.)
 */
class Answers {
  /** `undefined` from `MAX_FAST` flags on: every answer is then made from `{}`. */
  private readonly template: Record<string, EvaluationDetails | null> | undefined;
  /** Each flag's usual outcome (`[packed, aux]`, as `words`), whose result the template holds. */
  private readonly usual: Uint32Array;
  private readonly misses: Uint8Array;

  constructor(private readonly keys: string[]) {
    this.template =
      keys.length < MAX_FAST ? JSON.parse(`{${keys.map((k) => `${JSON.stringify(k)}:null`).join()}}`) : undefined;
    // No outcome packs to all ones (there are not 15 error codes): none is usual at first.
    this.usual = new Uint32Array(2 * keys.length).fill(0xffffffff);
    this.misses = new Uint8Array(keys.length);
  }

  /**
   * A new answer for `words` (`[packed, aux]` per flag): a copy of the template, and the
   * results of the flags whose outcome is not their usual one stored. A result is a function
   * of the outcome, so a flag with its usual outcome costs two integer compares. One loop, so
   * that V8 compiles it as one function.
   */
  make(loaded: Loaded, words: Uint32Array): Record<string, EvaluationDetails> {
    const out = (this.template === undefined ? {} : { ...this.template }) as Record<string, EvaluationDetails>;
    const { flags } = loaded;
    const { usual, misses, keys } = this;
    for (let i = 0; i < keys.length; i++) {
      const packed = words[2 * i];
      const aux = words[2 * i + 1];
      if (packed === usual[2 * i] && aux === usual[2 * i + 1]) {
        if (misses[i] > 0) misses[i]--;
        continue;
      }
      const result = kept(flags[i], packed, aux) ?? loaded.result(i, packed, aux, null);
      out[keys[i]] = result;
      if (misses[i] < ADOPT) misses[i]++;
      if (misses[i] === ADOPT) this.adopt(i, result, packed, aux);
    }
    return out;
  }

  /** Makes an outcome and its `result` flag `i`'s usual ones, if the result is shared (frozen). */
  private adopt(i: number, result: EvaluationDetails, packed: number, aux: number): void {
    if (this.template === undefined || !Object.isFrozen(result)) return;
    this.usual[2 * i] = packed;
    this.usual[2 * i + 1] = aux;
    this.template[this.keys[i]] = result;
    this.misses[i] = 0;
  }
}

/**
 * Reads `context` and keeps it, to bind it now and again later. Functions, not methods, from
 * here on: a client holds one context per snapshot, so a bundle with only the client leaves
 * them out.
 */
function keep(loaded: Loaded, context: unknown): Kept {
  loaded.use(context);
  return { bytes: loaded.scratch.bytes.slice(0, loaded.scratch.k), invalid: loaded.invalid, token: loaded.bound! };
}

/** Makes a kept context the engine's again (a no-op when it still is); the scratch fits it. */
function bind(loaded: Loaded, m: Kept): void {
  if (loaded.bound === m.token) return;
  loaded.views();
  loaded.held.valid = false;
  loaded.scratch.bytes.set(m.bytes);
  loaded.engine.setContext(m.bytes.length);
  loaded.bound = m.token;
  loaded.invalid = m.invalid;
}

/**
 * The full result of flag `key` for a context read for this call only. A flag whose outcome
 * is fixed answers without reading it, once it is known to be a usable context.
 */
function detailsOnce<T>(loaded: Loaded, key: string, context: unknown, fallback: T, type: number, now: () => number): EvaluationDetails<T> {
  const i = loaded.index.get(key);
  if (i === undefined) return loaded.error(key, fallback, 0, -1, NONE);
  const f = loaded.flags[i];
  if (f.fixed >= 0 && loaded.typed(f, type) && problem(context === undefined ? {} : context) === undefined) {
    return loaded.result(i, f.fixed, NONE, fallback);
  }
  const packed = loaded.once(i, context, type, now);
  return loaded.result(i, packed, packed === f.fixed ? NONE : LAZY, fallback);
}

/** The pure API over a loaded snapshot. */
export function flagSnapshot(loaded: Loaded): FlagSnapshot {
  const bound = (m: Kept): BoundContext => ({
    evaluate<T>(key: string, options: EvaluateOptions<T> = {}) {
      bind(loaded, m);
      const fallback = (options.default === undefined ? null : options.default) as T;
      return loaded.details(key, fallback, typeIndex(options.type), clockFor(options.now));
    },
    evaluateAll(options: { now?: number | Date | string } = {}) {
      bind(loaded, m);
      return loaded.all(clockFor(options.now));
    },
  });
  return {
    version: loaded.version,
    environment: loaded.environment,
    keys: loaded.flags.map((f) => f.key),
    evaluate<T>(key: string, context: unknown, options: EvaluateOptions<T> = {}) {
      const fallback = (options.default === undefined ? null : options.default) as T;
      return detailsOnce(loaded, key, context, fallback, typeIndex(options.type), clockFor(options.now));
    },
    evaluateAll(context, options = {}) {
      loaded.use(context);
      return loaded.all(clockFor(options.now));
    },
    bind: (context) => bound(keep(loaded, context)),
    free: () => loaded.engine.free(),
  };
}
