/**
 * The Node entry: the full wasm build, instantiated at import, so everything is synchronous.
 * Besides the client and binary snapshots it loads flag documents (JSON text or objects) and
 * validates them, with the same compiler as the edge and the CLI. Clients hear the change
 * stream through `EventSource` where Node has one, else through a reader over `fetch`.
 */
import { readFileSync } from "node:fs";
import { Engine, initSync, validate as validateJson } from "../pkg/full/burgee_npm.js";
import { makeClient } from "./client.js";
import { loadWith, localSupport } from "./local.js";
import { flagSnapshot, Loaded, type Backend, type WasmEngine } from "./snapshot.js";
import { FetchEventSource } from "./sse.js";
import type { Client, ClientOptions, FlagSnapshot } from "./types.js";

export * from "./types.js";
export { createTestClient, type TestClient, type TestClientOptions, type TestFlag, type TrackedEvent } from "./testing.js";

const { memory } = initSync({ module: readFileSync(new URL("../pkg/full/burgee_npm_bg.wasm", import.meta.url)) });

/** Documents go across as UTF-8 bytes: encoding is native, a string's glue copies it in JavaScript. */
const encoder = new TextEncoder();

const backend: Backend = {
  engine: (bytes) => new Engine(bytes) as WasmEngine,
  memory: () => memory,
};

/**
 * A document that takes a load through every part of the compiler: targets, rules with each
 * kind of operator, segments, prerequisites, rollouts, schedules and every value kind, over a
 * few dozen flags (text that looks like a real document, so the same parser paths get hot).
 */
function warmDocument(): string {
  const flags: Record<string, unknown> = {};
  const ops: [string, unknown[]][] = [
    ["in", ["a", "b"]],
    ["endsWith", ["@x.io"]],
    ["startsWith", ["pre"]],
    ["contains", ["mid"]],
    ["gte", [3]],
    ["lt", [9.5]],
    ["semverGte", ["1.2.3"]],
    ["after", ["2020-01-01T00:00:00Z"]],
    ["exists", []],
  ];
  for (let i = 0; i < 36; i++) {
    const [op, values] = ops[i % ops.length];
    flags[`warm-${i}`] = {
      name: `Warm ${i}`,
      kind: i % 4 === 3 ? "string" : "boolean",
      variants: i % 4 === 3 ? { a: "a", b: "b" } : { on: true, off: false },
      metadata: { owner: "w" },
      ...(i > 0 && i % 6 === 0 ? { prerequisites: [{ flag: `warm-${i - 1}`, variant: (i - 1) % 4 === 3 ? "b" : "on" }] } : {}),
      environments: {
        w: {
          enabled: i % 5 !== 0,
          offVariant: i % 4 === 3 ? "a" : "off",
          targets: [{ values: [`u-${i}`, `v-${i}`], variant: i % 4 === 3 ? "b" : "on" }],
          rules: [
            { id: `r${i}`, clauses: [{ attribute: `attr${i % 7}`, op, values }], serve: { variant: i % 4 === 3 ? "b" : "on" } },
            { id: `s${i}`, clauses: [{ attribute: "key", op: "inSegment", values: ["seg"] }], serve: { variant: i % 4 === 3 ? "a" : "off" } },
          ],
          ...(i % 8 === 1 ? { schedule: [{ at: "2021-01-01T00:00:00Z", defaultServe: { variant: i % 4 === 3 ? "a" : "on" } }] } : {}),
          defaultServe: {
            rollout: { weights: i % 4 === 3 ? [{ variant: "a", weight: 1 }, { variant: "b", weight: 1 }] : [{ variant: "on", weight: 25 }, { variant: "off", weight: 75 }] },
          },
        },
      },
    };
  }
  return JSON.stringify({
    environments: ["w"],
    segments: { seg: { rules: [{ clauses: [{ attribute: "plan", op: "in", values: ["a", "b"] }] }] } },
    flags,
  });
}

/**
 * Nothing to wait for in Node (the wasm is ready at import), so code shared with browsers can
 * `await init()`. A server that calls it at start has the compiler warm for its first
 * `loadDocument`: V8 first runs wasm with its baseline compiler and moves functions to the
 * optimizing one once they have run enough, so this loads a representative document until
 * that has happened (at most 20 loads or 500 ms, spent here instead of on the first request).
 */
export function init(): Promise<void> {
  const bytes = encoder.encode(warmDocument());
  const start = performance.now();
  let fastest = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const snapshot = flagSnapshot(new Loaded(backend, Engine.fromJson(bytes, "w") as WasmEngine));
    snapshot.evaluateAll({ targetingKey: "u-1", attr0: "a", plan: "b" });
    snapshot.free();
    const took = performance.now() - t0;
    // Settled: the last load was within a third of the fastest one, after a few.
    if ((i >= 3 && took < 1.3 * fastest) || performance.now() - start > 500) break;
    fastest = Math.min(fastest, took);
  }
  return Promise.resolve();
}

export function createClient(options: ClientOptions): Client {
  return makeClient(options, localSupport(backend), FetchEventSource);
}

/** Loads a binary snapshot (what `GET /v1/snapshot/{env}` serves, or `burgee compile` writes). */
export function loadSnapshot(bytes: Uint8Array | ArrayBuffer): FlagSnapshot {
  return loadWith(backend, bytes);
}

/** A problem the compiler found, with a JSON Pointer to the field. */
export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  pointer: string;
  message: string;
}

/** A snapshot compiled from a document here, with what the compiler said about it. */
export interface CompiledSnapshot extends FlagSnapshot {
  readonly diagnostics: Diagnostic[];
  /** The binary snapshot, as the edge serves it to browsers. */
  encode(): Uint8Array;
}

/**
 * Compiles one environment of a flag document (JSON text or a parsed object). Flags with
 * errors evaluate to `PARSE_ERROR` (see `diagnostics`); text that is not a document, or an
 * unknown environment, throws.
 */
export function loadDocument(document: string | object, environment: string): CompiledSnapshot {
  const engine =
    typeof document === "string" ? Engine.fromJson(encoder.encode(document), environment) : Engine.fromObject(document, environment);
  const snapshot = flagSnapshot(new Loaded(backend, engine as WasmEngine));
  const diagnostics = JSON.parse(engine.diagnostics()) as Diagnostic[];
  return { ...snapshot, diagnostics, encode: () => engine.encode() };
}

/** Validates a flag document: every diagnostic (an empty list for a clean document). */
export function validate(document: string | object): Diagnostic[] {
  const text = typeof document === "string" ? document : JSON.stringify(document);
  return JSON.parse(validateJson(encoder.encode(text))) as Diagnostic[];
}
