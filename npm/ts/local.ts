/**
 * Local mode: snapshots evaluated here, in wasm. Shared by the browser, worker and Node entry
 * points; each hands in its own wasm build (`Backend`).
 */
import type { LocalSupport, Source } from "./client.js";
import { flagSnapshot, Loaded, type Backend, typeIndex } from "./snapshot.js";
import type { FlagSnapshot } from "./types.js";

export function localSupport(backend: Backend, ready?: () => Promise<void>): LocalSupport {
  return {
    ready,
    load(bytes, context, now): Source {
      const loaded = new Loaded(backend, backend.engine(bytes));
      let bound = loaded.marshal(context);
      return {
        version: loaded.version,
        details(key, fallback, type) {
          loaded.bind(bound);
          return loaded.details(key, fallback, typeIndex(type), now);
        },
        value(key, fallback, type) {
          const i = loaded.index.get(key);
          if (i === undefined) return fallback;
          loaded.bind(bound);
          return loaded.value(i, loaded.packed(i, typeIndex(type), now), fallback);
        },
        all() {
          loaded.bind(bound);
          return loaded.all(now());
        },
        rebind(context) {
          bound = loaded.marshal(context);
          return true;
        },
        free: () => loaded.engine.free(),
      };
    },
  };
}

/** Loads a binary snapshot (what `GET /v1/snapshot/{env}` serves, or `burgee compile` writes). */
export function loadWith(backend: Backend, bytes: Uint8Array | ArrayBuffer): FlagSnapshot {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return flagSnapshot(new Loaded(backend, backend.engine(view)));
}
