/**
 * A client's listeners. A listener's error stays its own (the client never throws into the
 * app, and one listener cannot keep the others from hearing), and a `ready` listener added
 * after the client is ready still hears it, once, soon after.
 */
import type { Client, ClientEvents } from "./types.js";

export type Emit = <E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]) => void;

/** `emit`, and the client's `on` and `off`; `ready` tells whether the client is ready now. */
export function events(ready: () => boolean): [Emit, Client["on"], Client["off"]] {
  const listeners: { [E in keyof ClientEvents]?: Set<(payload: ClientEvents[E]) => void> } = {};
  const emit: Emit = (event, payload) => {
    for (const fn of [...(listeners[event] ?? [])]) {
      try {
        fn(payload);
      } catch {
        // A listener's error is its own.
      }
    }
  };
  const off: Client["off"] = (event, listener) => {
    listeners[event]?.delete(listener as never);
  };
  const on: Client["on"] = (event, listener) => {
    (listeners[event] ??= new Set() as never).add(listener as never);
    if (event === "ready" && ready()) queueMicrotask(() => listeners.ready?.has(listener as never) && (listener as () => void)());
    return () => off(event, listener);
  };
  return [emit, on, off];
}
