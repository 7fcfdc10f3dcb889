/**
 * The browser entry (`import { init, createClient } from "burgee"`): the lean wasm (evaluator
 * and snapshot decoder), fetched next to this file unless `init` is given something else.
 *
 * The wasm is instantiated here with the glue's imports (which the build exports from the
 * glue, see xtask/src/npm.rs) rather than by the glue's own loader: that one handles call forms
 * the package never uses, and every page pays for its bytes. The default URL is still the
 * glue's (`burgee_npm_bg.wasm` beside it, or beside a bundle that inlined it). Instantiation stays asynchronous
 * (`new WebAssembly.Instance` of a module this size is refused on the main thread of older
 * Chromes).
 */
import { __wbg_finalize_init, __wbg_get_imports, __wbg_wasm_url, Engine, type InitInput } from "../pkg/lean/burgee_npm.js";
import { makeClient } from "./client.js";
import { loadWith, localSupport } from "./local.js";
import type { Backend, WasmEngine } from "./snapshot.js";
import type { Client, ClientOptions, FlagSnapshot } from "./types.js";

export * from "./types.js";
export { createTestClient, type TestClient, type TestClientOptions, type TestFlag, type TrackedEvent } from "./testing.js";

let memory: WebAssembly.Memory | undefined;
let loading: Promise<void> | undefined;

/** Instantiates the wasm from `input` (see `init`). */
async function instantiate(input: InitInput | Promise<InitInput>): Promise<WebAssembly.Memory> {
  let source = await input;
  if (typeof source === "string" || source instanceof URL || source instanceof Request) source = await fetch(source);
  if (source instanceof Response) {
    const response = source;
    if (!response.ok) throw new Error(`burgee: ${response.status} from ${response.url}`);
    // Streaming compiles while the bytes arrive, but only what is served as application/wasm
    // (it refuses anything else before reading the body).
    try {
      source = await WebAssembly.compileStreaming(response);
    } catch {
      source = await response.arrayBuffer();
    }
  }
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source as BufferSource);
  return __wbg_finalize_init(await WebAssembly.instantiate(module, __wbg_get_imports()), module).memory;
}

/**
 * Loads the wasm (once). `input` is its URL, a `Response`, its bytes or a compiled module;
 * by default the `.wasm` file shipped beside this module. Clients call it themselves, but
 * awaiting it first lets a client start from a bootstrap snapshot synchronously.
 */
export function init(input?: InitInput | Promise<InitInput>): Promise<void> {
  loading ??= instantiate(input ?? __wbg_wasm_url()).then(
    (m) => {
      memory = m;
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
