// The behaviour corpus through the installed package in Node: the full build (loadDocument,
// from each document) and the lean build (the `burgee/worker` entry with a precompiled
// module, from the binary snapshots `burgee compile` wrote). Both must match every case.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";

import { loadDocument, loadSnapshot, validate } from "burgee";
import * as lean from "burgee/worker";

import { DEFAULT_NOW, isEvalFile, runCases } from "./check.mjs";

const dir = process.env.BURGEE_TEST_DIR;
const vectors = process.env.BURGEE_VECTORS;
const fixtures = JSON.parse(readFileSync(join(dir, "fixtures/manifest.json"), "utf8"));
const files = Object.fromEntries(
  Object.keys(fixtures)
    .filter(isEvalFile)
    .map((name) => [name, JSON.parse(readFileSync(join(vectors, name), "utf8"))]),
);

const total = Object.values(files).reduce((n, f) => n + f.cases.length, 0);
const options = (c) => ({ default: c.default ?? null, type: c.type, now: c.now ?? DEFAULT_NOW });

function assertClean(host, report, min) {
  assert.deepEqual(report.failures, [], `${host}: ${report.failures.length} of ${report.failures.length + report.passed} cases failed`);
  assert.ok(report.passed === min && min >= 590, `${host}: ${report.passed} of ${min} cases`);
  console.log(`${host}: ${report.passed} cases passed`);
}

/** One compiled snapshot per (file, environment), from `load(name, file, env)`. */
function cached(load) {
  const memo = new Map();
  return (name, file, env) => {
    const key = `${name}/${env}`;
    if (!memo.has(key)) memo.set(key, load(name, file, env));
    return memo.get(key);
  };
}

test("every case matches through loadDocument (full build)", () => {
  const snapshot = cached((name, file, env) => loadDocument(JSON.stringify(file.document), env));
  const report = runCases(
    files,
    (name, file, c) => snapshot(name, file, c.env).evaluate(c.flag, c.context, options(c)),
    (name, file, c) => snapshot(name, file, c.env).evaluateAll(c.context, { now: c.now ?? DEFAULT_NOW }),
  );
  assertClean("node, loadDocument", report, total);
});

test("documents load from JS objects as from JSON text", () => {
  const snapshot = cached((name, file, env) => loadDocument(file.document, env));
  const report = runCases(files, (name, file, c) => snapshot(name, file, c.env).evaluate(c.flag, c.context, options(c)));
  assertClean("node, loadDocument(object)", report, total);
});

test("every case matches through binary snapshots in the lean build (worker entry)", () => {
  const require = createRequire(join(dir, "package.json"));
  // The exports map names the lean wasm; a worker gets it precompiled from its bundler.
  const wasm = readFileSync(require.resolve("burgee/burgee.wasm"));
  lean.init(new WebAssembly.Module(wasm));
  const snapshot = cached((name, file, env) => {
    const path = fixtures[name].snapshots[env];
    // The CLI refuses documents with errors: encode those with the full build.
    const bytes = path ? readFileSync(join(dir, "fixtures", path)) : loadDocument(file.document, env).encode();
    return lean.loadSnapshot(bytes);
  });
  const report = runCases(
    files,
    (name, file, c) => snapshot(name, file, c.env).evaluate(c.flag, c.context, options(c)),
    (name, file, c) => snapshot(name, file, c.env).evaluateAll(c.context, { now: c.now ?? DEFAULT_NOW }),
  );
  assertClean("node, lean wasm, binary snapshots", report, total);
});

test("binary snapshots load in the full build too, and bound contexts agree", () => {
  const snapshot = cached((name, file, env) => {
    const path = fixtures[name].snapshots[env];
    return loadSnapshot(path ? readFileSync(join(dir, "fixtures", path)) : loadDocument(file.document, env).encode());
  });
  const report = runCases(files, (name, file, c) => snapshot(name, file, c.env).bind(c.context).evaluate(c.flag, options(c)));
  assertClean("node, full wasm, binary snapshots, bind", report, total);
});

// The package composes error messages in JavaScript from templates (ts/codes.ts, checked against
// the core's by a Rust unit test); here the whole path is: every error case of the corpus, word
// for word what the CLI (the core's own `write_json`) says.
test("error messages are the core's, word for word", () => {
  const cli = join(process.env.BURGEE_REPO, "target/debug/burgee");
  lean.init(new WebAssembly.Module(readFileSync(createRequire(join(dir, "package.json")).resolve("burgee/burgee.wasm"))));
  const leanSnapshot = cached((name, file, env) => {
    const path = fixtures[name].snapshots[env];
    return lean.loadSnapshot(path ? readFileSync(join(dir, "fixtures", path)) : loadDocument(file.document, env).encode());
  });
  const fullSnapshot = cached((name, file, env) => loadDocument(file.document, env));
  const failures = [];
  let checked = 0;
  for (const [name, file] of Object.entries(files)) {
    for (const c of file.cases.filter((c) => c.expect.errorCode)) {
      const args = ["eval", join(dir, "fixtures", name), "--env", c.env, "--flag", c.flag, "--now", c.now ?? DEFAULT_NOW];
      if (c.context !== undefined) args.push("--context", JSON.stringify(c.context));
      if (c.type !== undefined) args.push("--type", c.type);
      const want = JSON.parse(execFileSync(cli, args, { encoding: "utf8" })).errorMessage;
      for (const [host, snapshot] of [["lean", leanSnapshot], ["full", fullSnapshot]]) {
        const got = snapshot(name, file, c.env).evaluate(c.flag, c.context, options(c)).errorMessage;
        if (got !== want) failures.push(`${name} ${c.id} (${host}): expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
      checked++;
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 50, `only ${checked} error cases`);
});

// evaluateAll/all() keep the outcomes of a snapshot that does not read the clock for as long as
// the bound context is the same: through one bound context, evaluated at each case's time in
// turn, every answer must equal a fresh evaluation. The answer object is new each time; the
// result objects in it may be shared with earlier answers (a flag keeps one per outcome), so
// each one that is kept is frozen.
test("bulk results kept per context are never stale", () => {
  lean.init(new WebAssembly.Module(readFileSync(createRequire(join(dir, "package.json")).resolve("burgee/burgee.wasm"))));
  const failures = [];
  let compared = 0;
  for (const [name, file] of Object.entries(files)) {
    for (const env of new Set(file.cases.map((c) => c.env))) {
      const path = fixtures[name].snapshots[env];
      const bytes = path ? readFileSync(join(dir, "fixtures", path)) : loadDocument(file.document, env).encode();
      // One snapshot keeps a bound context; another evaluates afresh (binding anew each time).
      const snapshot = lean.loadSnapshot(bytes);
      const reference = lean.loadSnapshot(bytes);
      const times = [...new Set(file.cases.filter((c) => c.env === env).map((c) => c.now ?? DEFAULT_NOW))];
      for (const c of file.cases.filter((c) => c.env === env)) {
        const bound = snapshot.bind(c.context);
        let last;
        for (const now of [...times, ...times]) {
          const kept = bound.evaluateAll({ now });
          const fresh = reference.evaluateAll(c.context, { now });
          if (JSON.stringify(kept) !== JSON.stringify(fresh)) failures.push(`${name} ${c.id} at ${now}: ${JSON.stringify(kept)} != ${JSON.stringify(fresh)}`);
          if (last === kept) failures.push(`${name} ${c.id}: the answer object was reused`);
          for (const [key, r] of Object.entries(kept)) {
            if (last?.[key] === r && !Object.isFrozen(r)) failures.push(`${name} ${c.id}: ${key}'s result is shared but not frozen`);
          }
          last = kept;
          compared++;
        }
      }
      snapshot.free();
      reference.free();
    }
  }
  assert.deepEqual(failures.slice(0, 5), []);
  assert.ok(compared > 1000, `only ${compared} comparisons`);
});

// evaluateAll builds each answer from a template of every flag's usual result, learnt over
// earlier calls. Over many users of the rollout cases (so that the usual results change), every
// answer must hold what a single evaluation gives, and what a caller does to an answer must not
// reach the next one.
test("bulk answers equal single evaluations as the usual results change", () => {
  let compared = 0;
  const failures = [];
  for (const [name, file] of Object.entries(files)) {
    for (const d of file.distributions ?? []) {
      const snapshot = loadDocument(file.document, d.env);
      const now = d.now ?? DEFAULT_NOW;
      for (let i = 0; i < 300; i++) {
        const context = { ...(d.context ?? {}), targetingKey: `${d.idPrefix}${i % 150}` };
        const all = snapshot.evaluateAll(context, { now });
        for (const key of snapshot.keys) {
          const one = snapshot.evaluate(key, context, { now });
          if (JSON.stringify(all[key]) !== JSON.stringify(one)) failures.push(`${name} ${d.id} #${i} ${key}: ${JSON.stringify(all[key])} != ${JSON.stringify(one)}`);
          compared++;
        }
        if (Object.keys(all).join() !== snapshot.keys.join()) failures.push(`${name} ${d.id} #${i}: keys ${Object.keys(all)}`);
        // A caller's changes stay in its own answer.
        for (const key of snapshot.keys) all[key] = "changed by the caller";
        delete all[snapshot.keys[0]];
      }
      snapshot.free();
    }
  }
  assert.deepEqual(failures.slice(0, 5), []);
  assert.ok(compared > 1000, `only ${compared} comparisons`);
});

test("distributions hold", () => {
  let checked = 0;
  for (const [name, file] of Object.entries(files)) {
    for (const d of file.distributions ?? []) {
      const snapshot = loadDocument(file.document, d.env);
      const counts = {};
      for (let i = 0; i < d.count; i++) {
        const context = { ...(d.context ?? {}), targetingKey: `${d.idPrefix}${i}` };
        const r = snapshot.bind(context).evaluate(d.flag, { now: d.now ?? DEFAULT_NOW });
        const v = r.variant ?? "(default)";
        counts[v] = (counts[v] ?? 0) + 1;
      }
      for (const v of new Set([...Object.keys(counts), ...Object.keys(d.expect)])) {
        const got = ((counts[v] ?? 0) * 100) / d.count;
        const want = d.expect[v] ?? 0;
        assert.ok(Math.abs(got - want) <= d.tolerance, `${name} ${d.id}: ${v} expected ${want}% ± ${d.tolerance}, got ${got}%`);
      }
      snapshot.free();
      checked++;
    }
  }
  assert.ok(checked >= 4, `only ${checked} distributions`);
});

test("validate reports diagnostics with pointers", () => {
  const cases = JSON.parse(readFileSync(join(vectors, "validation.json"), "utf8")).cases;
  const failures = [];
  for (const c of cases) {
    const text = c.text ?? JSON.stringify(c.document);
    const got = validate(text).map((d) => `${d.severity} ${d.code} ${d.pointer}`).sort();
    const want = c.expect.map((d) => `${d.severity} ${d.code} ${d.pointer}`).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${c.id}: expected ${want}, got ${got}`);
  }
  assert.deepEqual(failures, []);
});

test("loadDocument refuses an unknown environment and text that is not a document", () => {
  const doc = files["rules.json"].document;
  assert.throws(() => loadDocument(doc, "no-such-env"), /unknown environment/);
  assert.throws(() => loadDocument("[1, 2", "production"));
  assert.throws(() => loadSnapshot(new Uint8Array([1, 2, 3])), /snapshot/);
});
