// The head-to-head rows of the npm bench, one library per process: bench.mjs runs this file as
// a child for each library in turn, three times each, and compares their fastest figures.
//
// Why apart: code that runs in one process shares V8's type feedback, and a server loads one
// flag library, in one build. What ran before changes what is measured: two Burgee clients in
// one process measured 6–23 % apart with identical settings, depending on which was made first
// (./metrics-cost.mjs). And one process is one draw on this shared machine: even after the
// warm-up, the fastest batch of the same calls measured 247–269 ns from one process to the
// next. Alternating processes make both effects the same for both libraries, and the spread
// visible.
//
// Usage: node head-to-head.mjs burgee|flagd. stdout: JSON, `{ row: { min, median } }` in ns.

import { FlagdCore } from "@openfeature/flagd-core";

import { pathToFileURL } from "node:url";

import { loadDocument, loadSnapshot } from "../dist/js/node.js";
import { flat, measure, TARGETED } from "./cases.mjs";
import { burgeeDocument, FLAGS, flagdDocument } from "./documents.mjs";

/** A logger for flagd-core that says nothing. */
export const silent = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * The rows: a name, the goal for Burgee (ns per call, and how many times faster than
 * flagd-core when there is one), and each library's call with a new context per call.
 */
export const ROWS = [
  {
    name: "static flag: evaluate(key, context)",
    target: 60,
    burgee: (s) => () => s.evaluate("static-on", flat(), { default: false }).value,
    flagd: (f) => () => f.resolveBooleanEvaluation("static-on", false, flat(), silent).value,
  },
  {
    name: "targeted flag (20 ids, role, env, 25 %)",
    target: 250,
    faster: 2,
    burgee: (s) => () => s.evaluate(TARGETED, flat(), { default: false }).value,
    flagd: (f) => () => f.resolveBooleanEvaluation(TARGETED, false, flat(), silent).value,
  },
  {
    name: "3-way split 34/33/33",
    target: 250,
    burgee: (s) => () => s.evaluate("split", flat(), { default: "control" }).value !== "",
    flagd: (f) => () => f.resolveStringEvaluation("split", "control", flat(), silent).value !== "",
  },
  {
    name: `evaluateAll(context), ${FLAGS + 3} flags`,
    target: 5000,
    burgee: (s) => () => s.evaluateAll(flat())[TARGETED].value,
    flagd: (f) => () => f.resolveAll(flat(), silent).length > 0,
  },
];

/** The loaded document of `library`, as the rows' calls take it. */
function load(library) {
  if (library === "burgee") {
    // As a server gets it from the edge: the binary snapshot.
    const compiled = loadDocument(JSON.stringify(burgeeDocument()), "production");
    const snapshot = loadSnapshot(compiled.encode());
    compiled.free();
    return snapshot;
  }
  if (library === "flagd") {
    const flagd = new FlagdCore(undefined, silent);
    flagd.setConfigurations(JSON.stringify(flagdDocument()));
    return flagd;
  }
  throw new Error("usage: head-to-head.mjs burgee|flagd");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const library = process.argv[2];
  const loaded = load(library);
  const out = {};
  for (const row of ROWS) out[row.name] = measure(row[library](loaded), () => performance.now());
  console.log(JSON.stringify(out));
}
