/**
 * Reading a context for the wasm side: only the attributes the snapshot's rules name (its
 * manifest lists them), flattened into typed arrays that cross the boundary in one call.
 * The lookup rules mirror the core's JSON contexts (core/src/context.rs): a top-level key
 * first, else a dotted path through nested objects; `null` is missing; an array's elements are
 * matched one by one; objects and nested arrays are present but compare with nothing. Values
 * are read as JSON would carry them to the edge (`toJSON`, non-finite numbers are `null`), so
 * the browser and the edge see the same context.
 */

/** Slot kinds; mirrored from `kind` in npm/src/lib.rs. */
const MISSING = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const OTHER = 5;
const LIST = 6;
const INVALID = 7;

const encoder = new TextEncoder();

/**
 * A context ready to hand across as flat arrays (a string's UTF-8 follows its kind in `kinds`,
 * its length is in `nums`); `invalid` says why when it is unusable (`kinds` is `[INVALID]`).
 */
export interface Marshalled {
  kinds: Uint8Array;
  nums: Float64Array;
  invalid?: string;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function lookup(object: Record<string, unknown>, name: string): unknown {
  if (hasOwn(object, name)) return object[name];
  if (name.indexOf(".") < 0) return undefined;
  let current: unknown = object;
  for (const part of name.split(".")) {
    if (!isObject(current) || !hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function invalid(why: string): Marshalled {
  return { kinds: new Uint8Array([INVALID]), nums: new Float64Array(0), invalid: why };
}

/** Reads `context` for the attribute slots `attributes` (slot 0 is the targeting key). */
export function marshal(attributes: readonly string[], context: unknown): Marshalled {
  if (!isObject(context)) return invalid("the evaluation context must be a JSON object");
  let key = context.targetingKey;
  if (key == null || !hasOwn(context, "targetingKey")) key = hasOwn(context, "userId") ? context.userId : undefined;
  if (key != null && typeof key !== "string") {
    return invalid("targetingKey (or its alias userId) must be a string");
  }
  const kinds: number[] = [];
  const nums: number[] = [];
  const scalar = (v: unknown, top: boolean): void => {
    if (v != null && typeof (v as { toJSON?: unknown }).toJSON === "function") v = (v as { toJSON(): unknown }).toJSON();
    switch (typeof v) {
      case "boolean":
        kinds.push(v ? TRUE : FALSE);
        return;
      case "number":
        if (isFinite(v)) {
          kinds.push(NUMBER);
          nums.push(v);
        } else kinds.push(MISSING);
        return;
      case "string": {
        kinds.push(STRING);
        const at = kinds.length;
        let n = v.length;
        // ASCII is its own UTF-8 (and TextEncoder costs ~0.5 µs a call): copy it as it is.
        for (let i = 0; i < n; i++) {
          const c = v.charCodeAt(i);
          if (c > 127) {
            kinds.length = at;
            const bytes = encoder.encode(v);
            for (const b of bytes) kinds.push(b);
            n = bytes.length;
            break;
          }
          kinds.push(c);
        }
        nums.push(n);
        return;
      }
      case "object":
        if (v === null) break;
        if (top && Array.isArray(v)) {
          kinds.push(LIST);
          nums.push(v.length);
          for (const item of v) scalar(item, false);
          return;
        }
        kinds.push(OTHER);
        return;
      case "bigint":
        kinds.push(OTHER);
        return;
    }
    kinds.push(MISSING);
  };
  scalar(key, true);
  for (let i = 1; i < attributes.length; i++) scalar(lookup(context, attributes[i]), true);
  return { kinds: Uint8Array.from(kinds), nums: Float64Array.from(nums) };
}
