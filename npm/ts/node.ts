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
 * A small document that takes a load through every part of the compiler: V8 compiles wasm
 * functions on their first call, and a server's first `loadDocument` would otherwise pay for
 * compiling all of them (about half of its time).
 */
const WARM = JSON.stringify({
  environments: ["w"],
  segments: { s: { rules: [{ clauses: [{ attribute: "plan", op: "in", values: ["a"] }] }] } },
  flags: {
    f: {
      kind: "string",
      variants: { a: "a", b: "b" },
      environments: {
        w: {
          enabled: true,
          offVariant: "a",
          targets: [{ values: ["u", "v"], variant: "b" }],
          rules: [
            { id: "r", clauses: [{ attribute: "e", op: "endsWith", values: ["@x"] }, { attribute: "s", op: "inSegment", values: ["s"] }], serve: { variant: "b" } },
          ],
          defaultServe: { rollout: { weights: [{ variant: "a", weight: 1 }, { variant: "b", weight: 1 }] } },
        },
      },
    },
  },
});

/**
 * Nothing to wait for in Node (the wasm is ready at import), so code shared with browsers can
 * `await init()`; a server that calls it at start has the compiler warm for its first
 * `loadDocument` (about 20 ms spent here instead).
 */
export function init(): Promise<void> {
  Engine.fromJson(encoder.encode(WARM), "w").free();
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
