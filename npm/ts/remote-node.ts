/**
 * `burgee/remote` in Node: the remote-only client, hearing the change stream through a reader
 * over `fetch` where Node has no `EventSource`.
 */
import { makeClient } from "./client.js";
import { FetchEventSource } from "./sse.js";
import type { Client, ClientOptions } from "./types.js";

export * from "./types.js";

/** A client in remote mode (whatever `options.mode` says). */
export function createClient(options: ClientOptions): Client {
  return makeClient({ ...options, mode: "remote" }, undefined, FetchEventSource);
}
