/**
 * The browser entry (`import { init, createClient } from "burgee"`): the lean wasm (evaluator
 * and snapshot decoder), fetched next to this file unless `init` is given something else.
 */
import initWasm, { Engine, type InitInput } from "../pkg/lean/burgee_npm.js";
import { makeClient } from "./client.js";
import { loadWith, localSupport } from "./local.js";
import type { Backend, WasmEngine } from "./snapshot.js";
import type { Client, ClientOptions, FlagSnapshot } from "./types.js";

export * from "./types.js";

let memory: WebAssembly.Memory | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the wasm (once). `input` is its URL, a `Response`, its bytes or a compiled module;
 * by default the `.wasm` file shipped beside this module. Clients call it themselves, but
 * awaiting it first lets a client start from a bootstrap snapshot synchronously.
 */
export function init(input?: InitInput | Promise<InitInput>): Promise<void> {
  loading ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(
    (exports) => {
      memory = exports.memory;
    },
    (e: unknown) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

const backend: Backend = {
  engine(bytes) {
    if (!memory) throw new Error("burgee: the wasm is not loaded yet (await init())");
    return new Engine(bytes) as WasmEngine;
  },
  memory: () => memory!,
};

/** A flag client for this page: see `ClientOptions`. */
export function createClient(options: ClientOptions): Client {
  return makeClient(options, localSupport(backend, () => init()));
}

/** Loads a binary snapshot for direct evaluation (after `await init()`). */
export function loadSnapshot(bytes: Uint8Array | ArrayBuffer): FlagSnapshot {
  return loadWith(backend, bytes);
}
