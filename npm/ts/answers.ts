/**
 * Sources of answers: what a client evaluates with. Either a snapshot evaluated here (local
 * mode, ./local.ts) or flags evaluated elsewhere (a bootstrap, the edge's OFREP answer); both
 * answer alike, and a flag that cannot be answered is the caller's default with reason
 * `ERROR`, never a throw.
 */
import type { Client, EvaluatedFlag, EvaluationContext, EvaluationDetails, ValueType } from "./types.js";
import { VALUE_TYPES } from "./codes.js";
import { message } from "./messages.js";
import type { Meter } from "./metrics.js";

/** Something that answers evaluations for the current context. */
export interface Source {
  details<T>(key: string, fallback: T, type: ValueType | undefined): EvaluationDetails<T>;
  /** Fast path: only the value. */
  value<T>(key: string, fallback: T, type: ValueType | undefined): T;
  /** Every flag's answer; `counted`: the app asked (usage metrics count it). */
  all(counted?: boolean): Record<string, EvaluationDetails>;
  /** Rebinds to a new context; false when this source cannot (evaluated flags). */
  rebind(context: EvaluationContext): boolean;
  /** The document version of a snapshot. */
  version?: number;
  free?(): void;
}

/** What local mode adds: turning snapshot bytes into a source, and fetching them. */
export interface LocalSupport {
  /** Loads a snapshot bound to `context`; throws when the bytes are not a snapshot. */
  load(bytes: Uint8Array, context: EvaluationContext, now: () => number, meter?: Meter): Source;
  /** Resolves when the wasm is ready (browsers fetch it). */
  ready?: () => Promise<void>;
}

export function typeOf(value: unknown): ValueType | undefined {
  const t = typeof value as ValueType;
  return value !== null && VALUE_TYPES.includes(t) ? t : undefined;
}

export function fail<T>(fallback: T, errorCode: EvaluationDetails["errorCode"], errorMessage: string): EvaluationDetails<T> {
  return { value: fallback, variant: null, reason: "ERROR", errorCode, errorMessage };
}

/**
 * A source of already evaluated flags (a bootstrap, or an OFREP answer of that `version`).
 * `served` hears the variants it serves the app (usage metrics attribute events to them).
 */
export function flagsSource(flags: Record<string, EvaluatedFlag>, version?: number, served?: Meter[2]): Source {
  const answer = <T>(key: string, fallback: T, type: ValueType | undefined): EvaluationDetails<T> => {
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
  const details = <T>(key: string, fallback: T, type: ValueType | undefined): EvaluationDetails<T> => {
    const d = answer(key, fallback, type);
    if (d.variant !== null) served?.(key, d.variant);
    return d;
  };
  return {
    version,
    details,
    value: (key, fallback, type) => details(key, fallback, type).value,
    all() {
      const out: Record<string, EvaluationDetails> = {};
      for (const key of Object.keys(flags)) out[key] = answer(key, null, undefined);
      return out;
    },
    rebind: () => false,
  };
}

/** Whether two answers serve the same: listeners hear only of flags whose answer changed. */
export function same(a: EvaluationDetails | undefined, b: EvaluationDetails | undefined): boolean {
  return !!a && !!b && a.variant === b.variant && a.reason === b.reason && JSON.stringify(a.value) === JSON.stringify(b.value);
}

/** Every flag's answer from `source`, or none when there is no source or it fails. */
export function allOf(source: Source | undefined, counted?: boolean): Record<string, EvaluationDetails> {
  try {
    return source ? source.all(counted) : {};
  } catch {
    return {};
  }
}

/** The client's evaluations, from whatever source it holds now (`current()`). */
export function answering(current: () => Source | undefined): Pick<Client, "isEnabled" | "variant" | "value" | "details" | "all"> {
  const guard = <T>(fallback: T, fn: (source: Source) => EvaluationDetails<T>): EvaluationDetails<T> => {
    const source = current();
    if (!source) return fail(fallback, "GENERAL", "burgee: no flags loaded yet");
    try {
      return fn(source);
    } catch (e) {
      return fail(fallback, "GENERAL", `burgee: ${(e as Error)?.message ?? e}`);
    }
  };
  const answers: Pick<Client, "isEnabled" | "variant" | "value" | "details" | "all"> = {
    isEnabled: (key, fallback = false) => answers.value(key, fallback) === true,
    variant: (key) => answers.details(key, null).variant,
    value<T>(key: string, fallback: T): T {
      const source = current();
      if (!source) return fallback;
      try {
        return source.value(key, fallback, typeOf(fallback));
      } catch {
        return fallback;
      }
    },
    details: <T>(key: string, fallback?: T) =>
      guard((fallback ?? null) as T, (source) => source.details(key, (fallback ?? null) as T, typeOf(fallback))),
    all: () => allOf(current(), true),
  };
  return answers;
}
