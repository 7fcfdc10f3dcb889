// `npm run bench`: Burgee's npm package side by side with @openfeature/flagd-core, on the same
// logical flags (./documents.mjs), the way server code calls them: once per request, with a
// context built for that request from one of 10,000 user records. Prints ns per call, the
// ratio, and the goal beside each row. Before it measures, the script checks that both
// libraries give the same variant for every flag and a few hundred users.
//
// The head-to-head table runs each library in processes of its own (./head-to-head.mjs says
// why), with the package as Node loads it (the full wasm build, opt-level 3); the lean build
// that browsers and workers load is under "other Burgee paths". Loading a document is timed
// per call (wall clock), the first in a fresh process apart.
//
// Usage metrics: the client counts each local evaluation (ts/metrics.ts). The last table runs
// the same evaluations on two clients, metrics off and on (sending to a stub `fetch`, so no
// network), alternating ten times and keeping each one's fastest run, in child processes
// (./metrics-cost.mjs) where either client is made first in half of them; the budget is a drop
// of at most 3 %.
//
// Every loop is bounded in count and time: a warm-up, then batches of ~2 ms until ~0.4 s or
// 2M calls. The figure reported is the fastest batch (the least disturbed: the machine is
// shared, and both libraries are measured the same way); the median is printed beside it.

import { FlagdCore } from "@openfeature/flagd-core";

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { createClient, loadDocument, loadSnapshot } from "../dist/js/node.js";
import * as lean from "../dist/js/worker.js";
import { cases, flat, measure as measureWith, nested, TARGETED as targeted, USERS, users } from "./cases.mjs";
import { burgeeDocument, FLAGS, flagdDocument } from "./documents.mjs";
import { ROWS, silent } from "./head-to-head.mjs";
import { inChromium, inWorkerd } from "./hosts.mjs";

// Server code evaluates once per request with a context it has just built, so every case
// builds a new context object per call from one of 10,000 user records (./cases.mjs, the same
// for both libraries and every host).
const CONTEXT = flat(users[0]);

const measure = (fn) => measureWith(fn, () => performance.now());

/** Runs node with `args` (and `input` on stdin) and parses the JSON it prints. */
const child = (args, input, timeout = 60_000) => JSON.parse(execFileSync(process.execPath, args, { input, timeout }).toString());
const here = (file) => new URL(`./${file}`, import.meta.url).pathname;
/** The middle value (the upper one of an even count). */
const middle = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

const burgeeDoc = burgeeDocument();
const burgeeJson = JSON.stringify(burgeeDoc);
const flagdJson = JSON.stringify(flagdDocument());

// The first load in a fresh process, five processes each, without and after `init()`: the
// median wall time, and its CPU time (this machine is shared; the CPU time is what the load
// itself cost).
function firstLoads(warm) {
  const script = `
    import { readFileSync } from "node:fs";
    const { init, loadDocument } = await import(${JSON.stringify(new URL("../dist/js/node.js", import.meta.url).href)});
    const json = readFileSync(0, "utf8");
    let initMs = 0;
    if (${warm}) { const t = performance.now(); await init(); initMs = performance.now() - t; }
    const c = process.cpuUsage();
    const t = performance.now();
    loadDocument(json, "production").free();
    console.log(JSON.stringify({ wall: performance.now() - t, cpu: process.cpuUsage(c).user / 1000, init: initMs }));
  `;
  const runs = Array.from({ length: 5 }, () => child(["--input-type=module", "-e", script], burgeeJson, 30_000));
  const median = (f) => middle(runs.map(f));
  return { wall: median((r) => r.wall) * 1e6, cpu: median((r) => r.cpu) * 1e6, init: median((r) => r.init) * 1e6 };
}
const [coldLoad, warmLoad] = [firstLoads(false), firstLoads(true)];
const compiled = loadDocument(burgeeJson, "production");
if (compiled.diagnostics.some((d) => d.severity === "error")) throw new Error(JSON.stringify(compiled.diagnostics));
const bytes = compiled.encode();
const snapshot = loadSnapshot(bytes);
const bound = snapshot.bind(CONTEXT);
const client = createClient({ environment: "production", context: CONTEXT, bootstrap: { snapshot: Buffer.from(bytes).toString("base64") }, storage: null, refresh: false });

// The lean build (what browsers and workers run: opt-level "z"), through the worker entry.
lean.init(new WebAssembly.Module(readFileSync(new URL("../dist/pkg/lean/burgee_npm_bg.wasm", import.meta.url))));
const leanSnapshot = lean.loadSnapshot(bytes);
const leanClient = lean.createClient({ environment: "production", context: CONTEXT, bootstrap: { snapshot: Buffer.from(bytes).toString("base64") }, storage: null, refresh: false });

const flagd = new FlagdCore(undefined, silent);
flagd.setConfigurations(flagdJson);
const loader = new FlagdCore(undefined, silent);

// Same logical flags: the same variant for every flag, for a few hundred users, flat and nested.
const samples = [{ targetingKey: "vip-7-3" }, { targetingKey: "u-9", role: "beta" }, { targetingKey: "ü-42", environment: "staging" }];
// The nested contexts keep an ASCII targeting key here: flagd-core buckets with `imurmurhash`,
// which hashes UTF-16 code units, not the UTF-8 bytes that flagd's other evaluators and Burgee
// hash, so the two rollouts part for non-ASCII keys.
for (let i = 0; i < 300; i++) samples.push(flat(users[i * 31]), { ...nested(users[i * 31]), targetingKey: users[i * 31].id });
let flipped = 0;
for (const ctx of samples) {
  const ours = snapshot.evaluateAll(ctx);
  const theirs = Object.fromEntries(flagd.resolveAll(ctx, silent).map((d) => [d.flagKey, d.variant]));
  for (const [key, r] of Object.entries(ours)) {
    if (r.variant !== theirs[key]) throw new Error(`${key} for ${JSON.stringify(ctx)}: burgee ${r.variant}, flagd ${theirs[key]}`);
    if (key === "nested" && r.variant === "on") flipped++;
  }
}
if (!flipped) throw new Error("the nested flag is never on: the nested contexts are not read");

const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);
const both = (m) => `${fmt(m.min)} (${fmt(m.median)})`;
let allOk = true;
const verdict = (ok) => {
  allOk &&= ok;
  return ok ? "yes" : "NO";
};

console.log(`burgee npm vs @openfeature/flagd-core, node ${process.version}, a new context per call from ${USERS} users`);
console.log(`time per call: fastest batch (median)\n`);
console.log(`${"case".padEnd(44)}${"burgee".padStart(22)}${"flagd-core".padStart(22)}${"ratio".padStart(8)}${"goal".padStart(20)}  met  (burgee, each process)`);
// The head-to-head rows, each library in processes of its own (./head-to-head.mjs), three
// each, alternating: the figure is the fastest batch of any of them, the median the median of
// theirs, and Burgee's fastest per process is printed beside the verdict.
const RUNS = ["burgee", "flagd", "flagd", "burgee", "burgee", "flagd"];
const runs = { burgee: [], flagd: [] };
for (const library of RUNS) runs[library].push(child([here("head-to-head.mjs"), library]));
const across = (library, row) => ({
  min: Math.min(...runs[library].map((r) => r[row].min)),
  median: middle(runs[library].map((r) => r[row].median)),
});
for (const row of ROWS) {
  const b = across("burgee", row.name);
  const f = across("flagd", row.name);
  const ratio = f.min / b.min;
  const ok = b.min <= row.target && ratio >= (row.faster ?? 0);
  const goal = `≤ ${fmt(row.target)}${row.faster ? `, ≥ ${row.faster}×` : ""}`;
  const each = runs.burgee.map((r) => fmt(r[row.name].min)).join(", ");
  console.log(`${row.name.padEnd(44)}${both(b).padStart(22)}${both(f).padStart(22)}${`${ratio.toFixed(1)}×`.padStart(8)}${goal.padStart(20)}  ${verdict(ok)}  (${each})`);
}

// A nested, non-ASCII context against a flat ASCII one, measured alternately three times.
console.log(`\ncontext shape: the targeted flag and the nested flag, flat ASCII vs nested with non-ASCII`);
console.log(`${"case".padEnd(44)}${"flat".padStart(22)}${"nested".padStart(22)}${"ratio".padStart(8)}${"goal".padStart(20)}  met`);
for (const key of [targeted, "nested"]) {
  let [f, n] = [Infinity, Infinity];
  let [fm, nm] = [0, 0];
  for (let round = 0; round < 3; round++) {
    const a = measure(() => snapshot.evaluate(key, flat(), { default: false }).value);
    const b = measure(() => snapshot.evaluate(key, nested(), { default: false }).value);
    [f, fm, n, nm] = [Math.min(f, a.min), a.median, Math.min(n, b.min), b.median];
  }
  const ratio = n / f;
  console.log(
    `${`evaluate("${key}", context)`.padEnd(44)}${both({ min: f, median: fm }).padStart(22)}${both({ min: n, median: nm }).padStart(22)}${`${ratio.toFixed(2)}×`.padStart(8)}${"≤ 2×".padStart(20)}  ${verdict(ratio <= 2)}`,
  );
}

// Loading a document from text, as a server reloading its flags does: 60 loads in a row,
// each freeing the one before, then 840 more for the memory they leave. Resident memory is
// read after 300, 600 and 900 loads, and judged between the last two: in the first few
// hundred loads V8 grows its JavaScript heap to the size this garbage needs (from about 8.5
// to 13 MB, a step of 4 to 6 MB of resident memory), after which it stays flat. A leak keeps
// growing.
const loads = [];
const memoryAt = () => process.memoryUsage().rss;
let previous = loadDocument(burgeeJson, "production");
for (let i = 0; i < 60; i++) {
  const t0 = process.hrtime.bigint();
  const next = loadDocument(burgeeJson, "production");
  loads.push(Number(process.hrtime.bigint() - t0));
  previous.free();
  previous = next;
}
const rss = [];
for (let i = 0; i < 840; i++) {
  const next = loadDocument(burgeeJson, "production");
  previous.free();
  previous = next;
  if (i % 300 === 239) rss.push(memoryAt());
}
loads.sort((a, b) => a - b);
const pct = (p) => loads[Math.min(loads.length - 1, Math.floor((p / 100) * loads.length))];
const flagdLoad = measure(() => loader.setConfigurations(flagdJson).length >= 0);
console.log(`\nloadDocument(${(burgeeJson.length / 1024).toFixed(0)} KB of JSON, ${FLAGS + 3} flags); flagd-core setConfigurations: ${both(flagdLoad)}`);
console.log(`${"case".padEnd(44)}${"burgee".padStart(22)}${"goal".padStart(20)}  met`);
const firstRow = (name, m) => `${name.padEnd(44)}${`${fmt(m.wall)} (cpu ${fmt(m.cpu)})`.padStart(22)}${"≤ 10 ms".padStart(20)}  ${verdict(m.wall <= 10e6)}`;
console.log(firstRow("first load in a fresh process", coldLoad));
console.log(firstRow("first load after init()", warmLoad));
console.log(`${"init() (warms the compiler, once)".padEnd(44)}${fmt(warmLoad.init).padStart(22)}`);
console.log(`${"60 loads in a row: p50".padEnd(44)}${fmt(pct(50)).padStart(22)}${"≤ 2 ms".padStart(20)}  ${verdict(pct(50) <= 2e6)}`);
console.log(`${"p90".padEnd(44)}${fmt(pct(90)).padStart(22)}${"≤ 3 ms".padStart(20)}  ${verdict(pct(90) <= 3e6)}`);
console.log(`${"max".padEnd(44)}${fmt(loads[loads.length - 1]).padStart(22)}`);
const grew = (rss[2] - rss[1]) / 1048576;
const mb = (x) => (x / 1048576).toFixed(1);
console.log(`${"resident memory, 300 / 600 / 900 loads".padEnd(44)}${`${mb(rss[0])} → ${mb(rss[1])} → ${mb(rss[2])} MB`.padStart(22)}${"≤ +1 MB (600 → 900)".padStart(20)}  ${verdict(grew <= 1)}`);
previous.free();

console.log("\nother Burgee paths");
const extras = [
  ["client.isEnabled(targeted) (context bound once)", () => client.isEnabled(targeted)],
  ["client.details(targeted) (full result object)", () => client.details(targeted, false).value],
  ["bound context: bind(context) once, evaluate(key)", () => bound.evaluate(targeted, { default: false }).value],
  [`client.all(), ${FLAGS + 3} flags (outcomes kept per context)`, () => client.all()[targeted].value],
  ["lean wasm (browsers): targeted flag, new context", () => leanSnapshot.evaluate(targeted, flat(), { default: false }).value],
  ["lean wasm (browsers): 3-way split, new context", () => leanSnapshot.evaluate("split", flat(), { default: "control" }).value !== ""],
  ["lean wasm (browsers): evaluateAll(new context)", () => leanSnapshot.evaluateAll(flat())[targeted].value],
  [
    `load ${FLAGS + 3}-flag snapshot (binary)`,
    () => {
      const s = loadSnapshot(bytes);
      s.free();
      return true;
    },
    500_000,
  ],
  [
    `lean wasm (browsers): load ${FLAGS + 3}-flag snapshot`,
    () => {
      const s = lean.loadSnapshot(bytes);
      s.free();
      return true;
    },
    500_000,
  ],
];
for (const [name, fn, target] of extras) {
  const m = measure(fn);
  const met = target === undefined ? "" : `${`≤ ${fmt(target)}`.padStart(11)}  ${verdict(m.min <= target)}`;
  console.log(`${name.padEnd(72)}${both(m).padStart(22)}${met}`);
}
// The same calls in every host the package runs in, with the build each gets.
{
  const names = Object.keys(cases(loadSnapshot, bytes));
  const hosts = [
    ["node (full)", () => mapCases(cases(loadSnapshot, bytes))],
    ["node (lean)", () => mapCases(cases(lean.loadSnapshot, bytes))],
    ["chromium (lean)", () => inChromium(bytes)],
    ["workerd (lean)", () => inWorkerd(bytes, names)],
  ];
  const results = [];
  for (const [host, run] of hosts) {
    try {
      results.push([host, await run()]);
    } catch (e) {
      console.error(`${host}: not measured: ${e.message.split("\n")[0]}`);
      results.push([host, {}]);
    }
  }
  const chromium = results.find(([h]) => h.startsWith("chromium"))[1].agent;
  console.log(`\nthe same calls in each host, a new context per call: fastest (median)${chromium ? `; Chromium ${chromium}` : ""}`);
  console.log(`${"case".padEnd(28)}${results.map(([h]) => h.padStart(24)).join("")}`);
  for (const name of names) {
    console.log(`${name.padEnd(28)}${results.map(([, r]) => (r[name] ? both(r[name]) : "—").padStart(24)).join("")}`);
  }
}
function mapCases(c) {
  return Object.fromEntries(Object.entries(c).map(([name, fn]) => [name, measure(fn)]));
}

// Usage counting, in child processes (./metrics-cost.mjs): two clients in one process share
// their code and its type feedback, which makes the one made second slower by more than the
// budget, so the two orders alternate and the change is their mean.
const ORDERS = ["off-first", "on-first", "off-first", "on-first"];
const costRuns = ORDERS.map((order) => [order, child([here("metrics-cost.mjs"), order], Buffer.from(bytes).toString("base64"))]);
console.log(`\nusage metrics: the same evaluations with metrics off and on (fastest of ten alternating runs of ~20 ms, in ${ORDERS.length} processes, either client made first in half of them)`);
console.log(`${"case".padEnd(40)}${"off".padStart(12)}${"on".padStart(12)}${"change".padStart(10)}${"target".padStart(10)}  met  (off made first / on made first)`);
costRuns[0][1].forEach(([name], c) => {
  const change = (order) => {
    const runs = costRuns.filter(([o]) => o === order).map(([, r]) => r[c]);
    return (Math.min(...runs.map((r) => r[2])) / Math.min(...runs.map((r) => r[1])) - 1) * 100;
  };
  const [offFirst, onFirst] = [change("off-first"), change("on-first")];
  const mean = (offFirst + onFirst) / 2;
  const off = Math.min(...costRuns.map(([, r]) => r[c][1]));
  const on = Math.min(...costRuns.map(([, r]) => r[c][2]));
  const pct = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(1)} %`;
  allOk &&= mean <= 3;
  console.log(
    `${name.padEnd(40)}${fmt(off).padStart(12)}${fmt(on).padStart(12)}${pct(mean).padStart(10)}${"≤ +3 %".padStart(10)}  ${mean <= 3 ? "yes" : "NO "}  (${pct(offFirst)} / ${pct(onFirst)})`,
  );
});

console.log(`\nratio = flagd-core time / burgee time (higher is better for burgee). targets ${allOk ? "all met" : "NOT all met"}.`);
client.close();
leanClient.close();
