/**
 * The JavaScript half of one wasm `Engine`: the manifest read once (keys, variant values, rule
 * ids, static outcomes), contexts bound once, outcomes decoded from one packed integer.
 *
 * Packed outcome (npm/src/lib.rs `pack`): `variant + 1` in bits 0–23 (0: the caller's
 * default), the reason in bits 24–27, `errorCode + 1` in bits 28–31 (0: none).
 */
import { ERROR_CODES, GENERAL, REASONS, VALUE_TYPES } from "./codes.js";
import { message } from "./messages.js";
import { marshal, type Marshalled } from "./context.js";
import type { BoundContext, EvaluateOptions, EvaluationDetails, FlagSnapshot, ValueType } from "./types.js";

/** The wasm exports this file uses (the lean and full builds both have them). */
export interface WasmEngine {
  manifest(): string;
  setContext(kinds: Uint8Array, nums: Float64Array): void;
  evaluate(index: number, expected: number, now: number): number;
  aux(): number;
  evaluateAll(now: number): number;
  free(): void;
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
  readonly flags: Flag[];
  readonly index = new Map<string, number>();
  /** Whether outcomes can depend on the time; if not, `all()` keeps them per context. */
  readonly clock: boolean;
  /** The marshalled context the engine holds now. */
  private bound: Marshalled | undefined;
  private view: Uint32Array | undefined;
  /** The last `all()`'s outcomes (`[packed, aux]` per flag) and the context they are for. */
  private kept: Marshalled | undefined;
  private keptWords: Uint32Array | undefined;
  /** An object with every key (see `all()`). */
  private shape: object | undefined;

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
    this.flags = m.flags.map(([key, type, names, values, rules, s, broken], i) => {
      this.index.set(key, i);
      values.forEach(freeze);
      return {
        key,
        type,
        names,
        values,
        rules,
        fixed: s ? (((s[0] + 1) & 0xffffff) | (s[1] << 24) | ((s[2] + 1) << 28)) >>> 0 : -1,
        broken: broken ?? undefined,
      };
    });
  }

  /** Reads a context for this snapshot's attributes. */
  marshal(context: unknown): Marshalled {
    return marshal(this.attributes, context === undefined ? {} : context);
  }

  /** Makes `m` the engine's context (a no-op when it already is). */
  bind(m: Marshalled): void {
    if (this.bound === m) return;
    this.engine.setContext(m.kinds, m.nums);
    this.bound = m;
  }

  /** The packed outcome of flag `i` for the bound context; `now` is only read when needed. */
  packed(i: number, type: number, now: () => number): number {
    const f = this.flags[i];
    if (f.fixed >= 0 && this.bound?.invalid === undefined && (type === NO_TYPE || f.type < 0 || f.type === type)) {
      return f.fixed;
    }
    return this.engine.evaluate(i, type, now());
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
   * outcomes are the same then; the result objects are new every time). `seen` hears the
   * outcomes (`[packed, aux]` per flag; the same array as long as they are the same).
   */
  all(now: number, seen?: (words: Uint32Array) => void): Record<string, EvaluationDetails> {
    const n = this.flags.length;
    let words = this.keptWords;
    if (this.clock || !words || this.kept !== this.bound) {
      const at = this.engine.evaluateAll(now) >>> 2;
      const buffer = this.backend.memory().buffer;
      if (this.view?.buffer !== buffer) this.view = new Uint32Array(buffer);
      words = this.keptWords = this.view.slice(at, at + 2 * n);
      this.kept = this.bound;
    }
    // V8 copies an object that JSON.parse made with fewer than 128 properties (fast mode) in
    // one go, and then stores into existing properties: about twice as fast as adding them.
    const out: Record<string, EvaluationDetails> =
      n < 128 ? { ...(this.shape ??= JSON.parse(`{${this.flags.map((f) => `${JSON.stringify(f.key)}:0`).join()}}`)) } : {};
    seen?.(words);
    for (let i = 0; i < n; i++) out[this.flags[i].key] = this.result(i, words[2 * i], words[2 * i + 1], null);
    return out;
  }

  /**
   * An error result, with the core's message (`ts/codes.ts`): `i` is the flag's index (-1
   * when there is no such flag), `aux` the outcome's auxiliary field.
   */
  private error<T>(key: string, fallback: T, code: number, i: number, aux: number): EvaluationDetails<T> {
    const f = this.flags[i];
    const detail = [
      undefined,
      VALUE_TYPES[f?.type] ?? "object",
      f?.broken ?? "the flag could not be read",
      this.attributes[aux] ?? "targetingKey",
      this.bound?.invalid ?? "invalid context",
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

  /** `aux` is the outcome's auxiliary field, or `LAZY` to ask the engine (last evaluate). */
  private result<T>(i: number, packed: number, aux: number, fallback: T): EvaluationDetails<T> {
    const f = this.flags[i];
    const error = packed >>> 28;
    const reason = (packed >>> 24) & 15;
    // Only errors, rules and prerequisites need the auxiliary field.
    if (aux === LAZY && (error || reason === 2 || reason === 3 || reason === 5)) aux = this.engine.aux();
    if (error) return this.error(f.key, fallback, error - 1, i, aux);
    const v = (packed & 0xffffff) - 1;
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
    return out;
  }
}

/** The pure API over a loaded snapshot. */
export function flagSnapshot(loaded: Loaded): FlagSnapshot {
  const bound = (m: Marshalled): BoundContext => ({
    evaluate<T>(key: string, options: EvaluateOptions<T> = {}) {
      loaded.bind(m);
      const fallback = (options.default === undefined ? null : options.default) as T;
      const now = toMillis(options.now);
      return loaded.details(key, fallback, typeIndex(options.type), () => now);
    },
    evaluateAll(options: { now?: number | Date | string } = {}) {
      loaded.bind(m);
      return loaded.all(toMillis(options.now));
    },
  });
  return {
    version: loaded.version,
    environment: loaded.environment,
    keys: loaded.flags.map((f) => f.key),
    evaluate: (key, context, options) => bound(loaded.marshal(context)).evaluate(key, options),
    evaluateAll: (context, options) => bound(loaded.marshal(context)).evaluateAll(options),
    bind: (context) => bound(loaded.marshal(context)),
    free: () => loaded.engine.free(),
  };
}
