/**
 * Reading a context for the wasm side: only the attributes the snapshot's rules name (its
 * manifest lists them), written as kinds and payloads straight into wasm memory, so that
 * binding a fresh context allocates nothing. The lookup rules mirror the core's JSON contexts
 * (core/src/context.rs): a top-level key first, else a dotted path through nested objects;
 * `null` is missing; an array's elements are matched one by one; objects and nested arrays are
 * present but compare with nothing. Values are read as JSON would carry them to the edge
 * (`toJSON`, non-finite numbers are `null`), so the browser and the edge see the same context.
 */

/** Slot kinds; mirrored from `kind` in npm/src/lib.rs, which says what follows each. */
const MISSING = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const OTHER = 5;
const LIST = 6;
const INVALID = 7;
const SAME = 8;

const encoder = new TextEncoder();

/** Where a context is written (`bytes` and `view` see the same memory); `k` bytes after `write`. */
export interface Scratch {
  bytes: Uint8Array;
  view: DataView;
  k: number;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The strings the engine's context holds by slot, as the last `write` with them sent them
 * (`undefined` for anything else), and whether the engine still holds them: only then can a
 * slot whose next value is the same string be written as `SAME` and not copied again.
 */
export interface Held {
  values: unknown[];
  valid: boolean;
}

/** An attribute the snapshot reads: its name, and its parts when the name is dotted. */
export interface Attribute {
  name: string;
  path: string[] | undefined;
}

/** The attributes of a manifest, split once. */
export function attributes(names: readonly string[]): Attribute[] {
  return names.map((name) => ({ name, path: name.indexOf(".") < 0 ? undefined : name.split(".") }));
}

/**
 * The value of attribute `a` in `object`: own keys only, so that an inherited one (a class's
 * getter, or a polluted `Object.prototype`) is absent, as JSON would carry it.
 */
function lookup(object: Record<string, unknown>, a: Attribute): unknown {
  const name = a.name;
  const v = object[name];
  if (v !== undefined) return hasOwn(object, name) ? v : undefined;
  const path = a.path;
  if (path === undefined || hasOwn(object, name)) return undefined;
  let current: unknown = object;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (!isObject(current) || !hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

/** The targeting key: `targetingKey`, else its alias `userId`. */
function targetingKey(context: Record<string, unknown>): unknown {
  const key = context.targetingKey;
  if (key != null && hasOwn(context, "targetingKey")) return key;
  const alias = context.userId;
  return alias !== undefined && hasOwn(context, "userId") ? alias : undefined;
}

const NOT_AN_OBJECT = "the evaluation context must be a JSON object";
const BAD_KEY = "targetingKey (or its alias userId) must be a string";

/** Why `context` cannot be evaluated with, or `undefined` when it can. */
export function problem(context: unknown): string | undefined {
  if (!isObject(context)) return NOT_AN_OBJECT;
  const key = targetingKey(context);
  return key != null && typeof key !== "string" ? BAD_KEY : undefined;
}

// The writers below take the scratch's bytes and view and the position `k`, and return the
// position after what they wrote. Writing past the end writes nothing and only moves `k` on:
// the caller then sees that `k` is past the end, makes room and writes again.

/** A kind and its number (a value, a length or a count), little-endian as wasm reads it. */
function counted(out: Uint8Array, view: DataView, k: number, b: number, x: number): number {
  if (k + 9 <= out.length) {
    out[k] = b;
    view.setFloat64(k + 1, x, true);
  }
  return k + 9;
}

/** Strings up to this long are encoded here rather than by `encodeInto` (see `utf8`). */
const SHORT = 64;

/**
 * `v` as UTF-8 at `at`, the first `i` characters being ASCII and written already; the bytes
 * written, or `3 * v.length` when out of room. A short string is encoded here: a call out to
 * `encodeInto` costs more than encoding a few dozen characters (in browsers several times
 * more). As `encodeInto` does, a lone surrogate becomes U+FFFD.
 */
function utf8(out: Uint8Array, at: number, v: string, i: number): number {
  const length = v.length;
  if (length > SHORT || at + 3 * length > out.length) {
    const r = encoder.encodeInto(v, out.subarray(at));
    return r.read! < length ? 3 * length : r.written!;
  }
  let j = at + i;
  for (; i < length; i++) {
    let c = v.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
      continue;
    }
    if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < length ? v.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[j++] = 0xf0 | (c >> 18);
        out[j++] = 0x80 | ((c >> 12) & 63);
        out[j++] = 0x80 | ((c >> 6) & 63);
        out[j++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[j++] = 0xe0 | (c >> 12);
    out[j++] = 0x80 | ((c >> 6) & 63);
    out[j++] = 0x80 | (c & 63);
  }
  return j - at;
}

function string(out: Uint8Array, view: DataView, k: number, v: string): number {
  const at = k + 9;
  const length = v.length;
  // Out of room: ask for the most its UTF-8 can take.
  let written = 3 * length;
  if (at + length <= out.length) {
    written = length;
    // ASCII is its own UTF-8 (and encoding costs more than the copy): copy it as it is.
    for (let i = 0; i < length; i++) {
      const c = v.charCodeAt(i);
      if (c > 127) {
        written = utf8(out, at, v, i);
        break;
      }
      out[at + i] = c;
    }
  }
  counted(out, view, k, STRING, written);
  return at + written;
}

function missing(out: Uint8Array, k: number): number {
  if (k < out.length) out[k] = MISSING;
  return k + 1;
}

function scalar(out: Uint8Array, view: DataView, k: number, v: unknown, top: boolean): number {
  if (typeof v === "string") return string(out, view, k, v);
  if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  let b = MISSING;
  switch (typeof v) {
    case "string":
      return string(out, view, k, v);
    case "boolean":
      b = v ? TRUE : FALSE;
      break;
    case "number":
      if (isFinite(v)) return counted(out, view, k, NUMBER, v);
      break;
    case "object":
      if (v === null) break;
      if (top && Array.isArray(v)) {
        k = counted(out, view, k, LIST, v.length);
        for (let i = 0; i < v.length; i++) k = scalar(out, view, k, v[i], false);
        return k;
      }
      b = OTHER;
      break;
    case "bigint":
      b = OTHER;
  }
  if (k < out.length) out[k] = b;
  return k + 1;
}

/** Slot `a`'s value `v`, or `SAME` when `held` says the engine has that string there already. */
function slot(out: Uint8Array, view: DataView, k: number, v: unknown, a: number, held: Held | undefined): number {
  if (held !== undefined) {
    if (typeof v === "string") {
      if (held.valid && held.values[a] === v) {
        if (k < out.length) out[k] = SAME;
        return k + 1;
      }
      held.values[a] = v;
    } else held.values[a] = undefined;
  }
  return scalar(out, view, k, v, true);
}

/**
 * Writes `context` for the attribute slots `attributes` (slot 0 is the targeting key) into
 * `into`, only the slots marked in `only` when given, and returns why the context is unusable
 * (written as `[INVALID]`), or `undefined`. With `held`, strings the engine holds already are
 * written as `SAME`, and `held.values` is brought up to date (the caller says whether it is
 * valid afterwards).
 * When `into.k` comes back past the end of `into.bytes`, that is the room it needs.
 */
export function write(
  attributes: readonly Attribute[],
  context: unknown,
  into: Scratch,
  only?: Uint8Array,
  held?: Held,
): string | undefined {
  const out = into.bytes;
  const view = into.view;
  let k = 0;
  let why: string | undefined;
  if (!isObject(context)) why = NOT_AN_OBJECT;
  else {
    const key = targetingKey(context);
    if (key != null && typeof key !== "string") why = BAD_KEY;
    // With `only`, the slots one flag does not read are left missing, unread.
    else {
      for (let a = 0; a < attributes.length; a++) {
        if (only !== undefined && only[a] === 0) {
          k = missing(out, k);
          if (held !== undefined) held.values[a] = undefined;
        } else {
          k = slot(out, view, k, a === 0 ? key : lookup(context, attributes[a]), a, held);
        }
      }
    }
  }
  if (why !== undefined) {
    if (out.length) out[0] = INVALID;
    k = 1;
  }
  into.k = k;
  return why;
}
