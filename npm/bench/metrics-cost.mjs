// What usage counting costs an evaluation, one process of it (bench.mjs runs it as a child, in
// both orders): the same evaluations on two clients, metrics off and on (sending to a stub
// `fetch`, so no network), alternating ten times and keeping each one's fastest run of ~20 ms.
//
// Two clients in one process share their code, and with it V8's type feedback: the client made
// second measured 6–23 % slower than the first with metrics off in both. So the order is an
// argument (`off-first` or `on-first`), and bench.mjs averages the change over both orders.
//
// stdin: the snapshot's bytes, base64. stdout: JSON, `[case, off ns, on ns]` per case.

import { readFileSync } from "node:fs";

import { createClient } from "../dist/js/node.js";
import { flat, TARGETED, users } from "./cases.mjs";

/** The cases: a loop body over client `c`, accumulating into `s`. */
const LOOPS = [
  ["boolean flag, no rules", `s ^= c.isEnabled("static-on") ? 1 : 0`],
  ["targeted flag", `s ^= c.isEnabled(${JSON.stringify(TARGETED)}) ? 1 : 0`],
  ["3-way split", `s ^= c.value("split", "control").length`],
  ["targeted, details()", `s ^= c.details(${JSON.stringify(TARGETED)}, false).value ? 1 : 0`],
  ["all()", `s ^= c.all()[${JSON.stringify(TARGETED)}].value ? 1 : 0`],
];

const order = process.argv[2];
if (order !== "off-first" && order !== "on-first") throw new Error("usage: metrics-cost.mjs off-first|on-first < snapshot.b64");
const snapshot = readFileSync(0, "utf8").trim();
const client = (metrics) =>
  createClient({
    url: "http://127.0.0.1:9",
    fetch: async () => new Response(null, { status: 204 }),
    metrics,
    environment: "production",
    context: flat(users[0]),
    bootstrap: { snapshot },
    storage: null,
    refresh: false,
  });
let off;
let on;
if (order === "on-first") {
  on = client(undefined);
  off = client(false);
} else {
  off = client(false);
  on = client(undefined);
}
// Each case is one loop, compiled apart for each client (`new Function`), so neither
// client's loop shares the other's type feedback.
const compile = (body) => new Function("c", "n", `let s = 0; for (let i = 0; i < n; i++) ${body}; return s;`);
const time = (loop, c, n) => {
  const t0 = process.hrtime.bigint();
  globalThis.__sink = loop(c, n);
  return Number(process.hrtime.bigint() - t0) / n;
};
const results = LOOPS.map(([name, body]) => {
  const [offLoop, onLoop] = [compile(body), compile(body)];
  time(offLoop, off, 1000);
  const n = Math.max(100, Math.round(20e6 / time(onLoop, on, 1000)));
  let [offNs, onNs] = [Infinity, Infinity];
  for (let round = 0; round < 10; round++) {
    // Timed in the order the clients were made, too.
    if (order === "on-first") onNs = Math.min(onNs, time(onLoop, on, n));
    offNs = Math.min(offNs, time(offLoop, off, n));
    if (order === "off-first") onNs = Math.min(onNs, time(onLoop, on, n));
  }
  return [name === "all()" ? `all ${Object.keys(off.all()).length} flags` : name, offNs, onNs];
});
off.close();
on.close();
console.log(JSON.stringify(results));
