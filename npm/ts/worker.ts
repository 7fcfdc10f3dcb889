/**
 * The entry for Cloudflare Workers and other runtimes that forbid compiling wasm at run time:
 * pass the precompiled module your bundler gives you for `burgee/burgee.wasm`
 * (`import wasm from "burgee/burgee.wasm"; init(wasm);`).
 */
import { Engine, initSync } from "../pkg/lean/burgee_npm.js";
import { makeClient } from "./client.js";
import { loadWith, localSupport } from "./local.js";
import type { Backend, WasmEngine } from "./snapshot.js";
import type { Client, ClientOptions, FlagSnapshot } from "./types.js";

export * from "./types.js";
export { createTestClient, type TestClient, type TestClientOptions, type TestFlag, type TrackedEvent } from "./testing.js";

let memory: WebAssembly.Memory | undefined;

/** Instantiates the lean wasm from a precompiled `WebAssembly.Module` (once). */
export function init(module: WebAssembly.Module): void {
  memory ??= initSync({ module }).memory;
}

const backend: Backend = {
  engine(bytes) {
    if (!memory) throw new Error("burgee: call init(module) first");
    return new Engine(bytes) as WasmEngine;
  },
  memory: () => memory!,
};

export function createClient(options: ClientOptions): Client {
  return makeClient(options, localSupport(backend));
}

export function loadSnapshot(bytes: Uint8Array | ArrayBuffer): FlagSnapshot {
  return loadWith(backend, bytes);
}
