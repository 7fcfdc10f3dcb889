/**
 * Starting without the network: from a bootstrap (given, or the edge's script element in the
 * page) or from the last good answer the client kept in storage. An unreadable bootstrap or
 * copy is none; storage that throws or is full only costs the offline start.
 */
import type { Bootstrap, ClientOptions, EvaluatedFlag, EvaluationContext } from "./types.js";
import type { Globals } from "./revalidate.js";

/** The bootstrap the edge put in the page (`<script id="burgee-bootstrap">`), if any. */
export function readScript(): Bootstrap | undefined {
  const doc = (globalThis as { document?: Document }).document;
  const text = doc?.getElementById?.("burgee-bootstrap")?.textContent;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Bootstrap;
  } catch {
    return undefined;
  }
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let raw = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(raw);
}

/** The last good answer a client kept: a snapshot (local mode) or flags (remote mode). */
export interface Saved {
  etag?: string;
  snapshot?: string;
  context?: string;
  flags?: Record<string, EvaluatedFlag>;
  version?: number;
}

/** A kept answer to start from: flags (remote mode), or snapshot bytes (local mode). */
export type Kept = Saved & { bytes?: Uint8Array };

/**
 * The client's copy of its last good answer, in `options.storage` (by default `localStorage`),
 * under a key of its mode, edge and environment: `restore` reads back what it can start from
 * (in remote mode, only flags evaluated for `context`), `keep` replaces it.
 */
export function keeper(
  options: ClientOptions,
  g: Globals,
  remote: boolean,
  base: string,
): [restore: (context: EvaluationContext) => Kept | undefined, keep: (copy: Saved) => void] {
  let storage: ClientOptions["storage"] = null;
  try {
    storage = options.storage === undefined ? (g.localStorage ?? null) : options.storage;
  } catch {
    // localStorage can throw (opaque origins, disabled storage): do without.
  }
  const key = `burgee:${remote ? "remote" : "local"}:${base}:${options.environment}`;
  const restore = (context: EvaluationContext): Kept | undefined => {
    try {
      const saved = JSON.parse(storage?.getItem(key) ?? "null") as Saved | null;
      if (saved?.snapshot && !remote) return { bytes: fromBase64(saved.snapshot), etag: saved.etag };
      if (saved?.flags && remote && saved.context === JSON.stringify(context)) return saved;
    } catch {
      // An unreadable copy is no copy.
    }
    return undefined;
  };
  const keep = (copy: Saved) => {
    try {
      storage?.setItem(key, JSON.stringify(copy));
    } catch {
      // Full or unavailable storage only costs the offline start.
    }
  };
  return [restore, keep];
}
