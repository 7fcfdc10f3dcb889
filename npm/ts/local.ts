/**
 * Local mode: snapshots evaluated here, in wasm. Shared by the browser, worker and Node entry
 * points; each hands in its own wasm build (`Backend`). A client with usage metrics counts
 * each evaluation here, where the packed outcome is at hand (./metrics.ts).
 */
import type { LocalSupport, Source } from "./client.js";
import { at, type Metrics } from "./metrics.js";
import { flagSnapshot, Loaded, type Backend, typeIndex } from "./snapshot.js";
import type { FlagSnapshot } from "./types.js";

export function localSupport(backend: Backend, ready?: () => Promise<void>): LocalSupport {
  return {
    ready,
    load(bytes, context, now, metrics?: Metrics): Source {
      const loaded = new Loaded(backend, backend.engine(bytes));
      let bound = loaded.marshal(context);
      const tally = metrics?.tally(loaded.flags);
      const seen = tally?.count;
      const seenAll = tally?.all;
      const counts = tally?.counts;
      return {
        version: loaded.version,
        counted: true,
        details(key, fallback, type) {
          loaded.bind(bound);
          return loaded.details(key, fallback, typeIndex(type), now, seen);
        },
        value(key, fallback, type) {
          const i = loaded.index.get(key);
          if (i === undefined) return fallback;
          loaded.bind(bound);
          const packed = loaded.packed(i, typeIndex(type), now);
          // The hot path: one increment (a flag's first evaluation makes its counters).
          if (counts !== undefined) {
            const a = counts[i];
            if (a !== undefined) a[at(packed)]++;
            else seen!(i, packed);
          }
          return loaded.value(i, packed, fallback);
        },
        all(counted) {
          loaded.bind(bound);
          return loaded.all(now(), counted ? seenAll : undefined);
        },
        rebind(context) {
          bound = loaded.marshal(context);
          return true;
        },
        free() {
          tally?.retire();
          loaded.engine.free();
        },
      };
    },
  };
}

/** Loads a binary snapshot (what `GET /v1/snapshot/{env}` serves, or `burgee compile` writes). */
export function loadWith(backend: Backend, bytes: Uint8Array | ArrayBuffer): FlagSnapshot {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return flagSnapshot(new Loaded(backend, backend.engine(view)));
}
