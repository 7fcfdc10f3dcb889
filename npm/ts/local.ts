/**
 * Local mode: snapshots evaluated here, in wasm. Shared by the browser, worker and Node entry
 * points; each hands in its own wasm build (`Backend`). A client with usage metrics counts
 * each evaluation here, where the packed outcome is at hand (./metrics.ts).
 */
import type { LocalSupport, Source } from "./client.js";
import { at, type Meter, spread, type Table } from "./metrics.js";
import { flagSnapshot, Loaded, type Backend, typeIndex } from "./snapshot.js";
import type { FlagSnapshot } from "./types.js";

export function localSupport(backend: Backend, ready?: () => Promise<void>): LocalSupport {
  return {
    ready,
    load(bytes, context, now, meter?: Meter): Source {
      const loaded = new Loaded(backend, backend.engine(bytes));
      loaded.use(context);
      const flags = loaded.flags;
      const table: Table | undefined = meter && { flags, counts: [], times: 0 };
      const counts = table?.counts;
      if (table) meter![0].push(table);
      /** One evaluation of flag `i`; its first makes its counters (and the client's first loads the sending side). */
      const count = (i: number, packed: number) => {
        const a = counts![i];
        if (a !== undefined) a[at(packed)]++;
        else {
          (counts![i] = new Float64Array((flags[i].names.length + 1) * 8))[at(packed)]++;
          meter![1]();
        }
      };
      /** One evaluation of every flag: counted by repetition while `words` stays the same. */
      const all = (words: Uint32Array) => {
        if (words !== table!.words) {
          spread(table!);
          table!.words = words;
          meter![1]();
        }
        table!.times++;
      };
      return {
        version: loaded.version,
        details(key, fallback, type) {
          return loaded.details(key, fallback, typeIndex(type), now, counts && count);
        },
        value(key, fallback, type) {
          const i = loaded.index.get(key);
          if (i === undefined) return fallback;
          const packed = loaded.packed(i, typeIndex(type), now);
          // The hot path: one increment (a flag's first evaluation makes its counters).
          if (counts !== undefined) {
            const a = counts[i];
            if (a !== undefined) a[at(packed)]++;
            else count(i, packed);
          }
          return loaded.value(i, packed, fallback);
        },
        all(counted) {
          return loaded.all(now, counted && counts ? all : undefined);
        },
        rebind(context) {
          loaded.use(context);
          return true;
        },
        free() {
          if (table) table.retired = true;
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
