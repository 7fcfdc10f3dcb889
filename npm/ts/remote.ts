/**
 * The remote-only entry (`burgee/remote`): evaluated flags from the edge over OFREP, no wasm
 * and no targeting data in the page. A few kilobytes.
 */
import { makeClient } from "./client.js";
import type { Client, ClientOptions } from "./types.js";

export * from "./types.js";

/** A client in remote mode (whatever `options.mode` says). */
export function createClient(options: ClientOptions): Client {
  return makeClient({ ...options, mode: "remote" });
}
