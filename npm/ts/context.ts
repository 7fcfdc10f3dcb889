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
function lookup(object: Record<string, unknown>, { name, path }: Attribute): unknown {
  const v = object[name];
  if (v !== undefined ? hasOwn(object, name) : path === undefined || hasOwn(object, name)) return v;
  if (path === undefined) return undefined;
  let current: unknown = object;
  for (const part of path) {
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

// The scratch being written (module state, so that writing makes no closures). Writing past
// its end is ignored by the typed array and only moves `k` on: the caller then sees that `k`
// is past the end, makes room and writes again.
let bytes: Uint8Array = new Uint8Array(0);
let view: DataView;
let k = 0;

function kind(b: number): void {
  bytes[k++] = b;
}

/** A kind and its number (a value, a length or a count), little-endian as wasm reads it. */
function counted(b: number, x: number): void {
  const at = k;
  k = at + 9;
  if (k > bytes.length) return;
  bytes[at] = b;
  view.setFloat64(at + 1, x, true);
}

function string(v: string): void {
  const out = bytes;
  const at = k + 9;
  const length = v.length;
  let written = length;
  // ASCII is its own UTF-8 (and encoding costs more than the copy): copy it as it is, in
  // locals (module variables are not kept in registers).
  for (let i = 0; i < length; i++) {
    const c = v.charCodeAt(i);
    if (c > 127) {
      const r = encoder.encodeInto(v, out.subarray(at));
      // Out of room: ask for the most its UTF-8 can take.
      written = r.read! < length ? 3 * length : r.written!;
      break;
    }
    out[at + i] = c;
  }
  counted(STRING, written);
  k = at + written;
}

function scalar(v: unknown, top: boolean): void {
  if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  switch (typeof v) {
    case "string":
      return string(v);
    case "boolean":
      return kind(v ? TRUE : FALSE);
    case "number":
      return isFinite(v) ? counted(NUMBER, v) : kind(MISSING);
    case "object":
      if (v === null) break;
      if (top && Array.isArray(v)) {
        counted(LIST, v.length);
        for (const item of v) scalar(item, false);
        return;
      }
      return kind(OTHER);
    case "bigint":
      return kind(OTHER);
  }
  kind(MISSING);
}

/**
 * Writes `context` for the attribute slots `attributes` (slot 0 is the targeting key) into
 * `into`, only the slots marked in `only` when given, and returns why the context is unusable
 * (written as `[INVALID]`), or `undefined`.
 * When `into.k` comes back past the end of `into.bytes`, that is the room it needs.
 */
export function write(attributes: readonly Attribute[], context: unknown, into: Scratch, only?: Uint8Array): string | undefined {
  bytes = into.bytes;
  view = into.view;
  k = 0;
  let why: string | undefined;
  if (!isObject(context)) why = NOT_AN_OBJECT;
  else {
    const v = targetingKey(context);
    if (v != null && typeof v !== "string") why = BAD_KEY;
    else {
      // With `only`, the slots one flag does not read are left missing, unread.
      if (only && !only[0]) kind(MISSING);
      else scalar(v, true);
      for (let a = 1; a < attributes.length; a++) {
        if (only && !only[a]) kind(MISSING);
        else scalar(lookup(context, attributes[a]), true);
      }
    }
  }
  if (why !== undefined) {
    k = 0;
    kind(INVALID);
  }
  into.k = k;
  return why;
}
