// The calls the npm bench times on every host (Node, Chromium, workerd), written once: the
// user records contexts are built from, and the cases over one loaded snapshot. Plain
// JavaScript with no imports, so a page and a worker load it as they are.

export const USERS = 10_000;

export const users = Array.from({ length: USERS }, (_, i) => ({
  id: `user-${100000 + i}`,
  wide: `usér-${i}-ü`,
  role: i % 50 === 0 ? "beta" : "member",
  env: i % 40 === 0 ? "staging" : "production",
  plan: i % 7 === 0 ? "enterprise" : "pro",
  email: `someone-${i}@example.com`,
  groups: i % 9 === 0 ? ["beta-testers", "staff"] : ["customers"],
}));

let cursor = 0;
const user = () => users[(cursor = cursor + 1 === USERS ? 0 : cursor + 1)];

/** A flat, ASCII context: tests/src/lib.rs `benchmark_context`'s shape. */
export const flat = (u = user()) => ({ targetingKey: u.id, role: u.role, environment: u.env, plan: u.plan, email: u.email });

/** The same user with a nested object, an array and non-ASCII strings. */
export const nested = (u = user()) => ({
  targetingKey: u.wide,
  role: u.role,
  environment: u.env,
  email: u.email,
  org: { id: `org-${u.id}`, plan: u.plan, name: "Zürich Ärzte 株式会社 🚀" },
  groups: u.groups,
});

export const TARGETED = "flag-042";

/**
 * The cases, each a call with a new context per call (as server and edge code make them),
 * over the snapshot `bytes` loaded with `loadSnapshot` (the host's entry point).
 */
export function cases(loadSnapshot, bytes) {
  const snapshot = loadSnapshot(bytes);
  return {
    "static flag": () => snapshot.evaluate("static-on", flat(), { default: false }).value,
    "targeted flag": () => snapshot.evaluate(TARGETED, flat(), { default: false }).value,
    "3-way split": () => snapshot.evaluate("split", flat(), { default: "control" }).value !== "",
    "evaluateAll(context)": () => snapshot.evaluateAll(flat())[TARGETED].value,
    "targeted, nested context": () => snapshot.evaluate(TARGETED, nested(), { default: false }).value,
    "load the binary snapshot": () => {
      loadSnapshot(bytes).free();
      return true;
    },
  };
}

/**
 * Nanoseconds per call of `fn`, timed with `clock` (milliseconds): a warm-up of 400 ms (or 10M
 * calls), then batches of about `batchMs` until `totalMs` or 2M calls; the fastest batch (the
 * least disturbed) and the median.
 *
 * The warm-up is long because V8 optimizes on a background thread, which on this shared 2-core
 * machine can take a few hundred milliseconds to get its turn. With 200,000 calls (50 ms of
 * the targeted flag), the fastest batch of the first case measured in a process ranged over
 * 246–433 ns from one process to the next; after 400 ms, over 247–269 ns.
 */
export function measure(fn, clock, batchMs = 2, totalMs = 400) {
  let calls = 0;
  let sink = 0;
  const warmEnd = clock() + 400;
  while (clock() < warmEnd && calls < 10_000_000) {
    sink ^= fn() ? 1 : 0;
    calls++;
  }
  const batch = Math.max(1, Math.min(100_000, Math.round((batchMs * calls) / 100)));
  const samples = [];
  const end = clock() + totalMs;
  let total = 0;
  while (clock() < end && total < 2_000_000 && samples.length < 500) {
    const t0 = clock();
    for (let i = 0; i < batch; i++) sink ^= fn() ? 1 : 0;
    samples.push(((clock() - t0) * 1e6) / batch);
    total += batch;
  }
  samples.sort((a, b) => a - b);
  globalThis.__sink = sink;
  return { min: samples[0], median: samples[samples.length >> 1] };
}
