/**
 * The change stream's wiring. The edge announces each new version as soon as it is written,
 * but the snapshot it serves may lag behind (each isolate revalidates after its TTL; KV takes a
 * while to spread on Cloudflare), so a revalidation that still brings an older version is
 * retried, backing off from 250 ms to 16 s (about half a minute in all).
 */
import type { EventSourceConstructor, EventSourceOptions } from "./types.js";

/**
 * Listens to the stream at `url` and revalidates when it announces a version newer than
 * `version()`; answers how to stop, or nothing when the stream cannot be opened (polling and
 * focus still revalidate).
 */
export function follow(
  Stream: EventSourceConstructor,
  url: string,
  init: EventSourceOptions,
  revalidate: () => Promise<void>,
  version: () => number | undefined,
  closed: () => boolean,
): (() => void) | undefined {
  let wanted = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const chase = (delay: number) => {
    clearTimeout(timer);
    void revalidate().then(() => {
      if (!closed() && (version() ?? 0) < wanted && delay <= 16000) timer = setTimeout(() => chase(delay * 2), delay);
    });
  };
  try {
    const events = new Stream(url, init);
    // `{"version": n, ...}` ("connected" on each (re)connection, then "refetchEvaluation" per
    // change): nothing to fetch when the client's flags are as new.
    events.onmessage = (event: MessageEvent) => {
      let announced: unknown;
      try {
        announced = JSON.parse(event.data).version;
      } catch {
        // Not JSON: revalidate anyway.
      }
      if (typeof announced === "number") {
        const held = version();
        if (held !== undefined && announced <= held) return;
        wanted = Math.max(wanted, announced);
      }
      chase(250);
    };
    return () => {
      clearTimeout(timer);
      events.close();
    };
  } catch {
    return undefined;
  }
}
