// How a context crosses into wasm (ts/context.ts, written straight into wasm memory): contexts
// larger than the first scratch, non-ASCII past its end, wasm memory growing between bindings,
// kept contexts bound again after another, inherited and polluted keys, and the flags whose
// outcome is fixed answering without reading the context. Each case is checked against what
// the document says the answer must be, in the full build (Node) and the lean one (workers and
// browsers).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";

import { loadDocument, loadSnapshot } from "burgee";
import * as lean from "burgee/worker";

const require = createRequire(import.meta.url);
lean.init(new WebAssembly.Module(readFileSync(require.resolve("burgee/burgee.wasm"))));

const on = (id, clauses) => ({
  kind: "boolean",
  variants: { on: true, off: false },
  environments: { prod: { enabled: true, offVariant: "off", rules: [{ id, clauses, serve: { variant: "on" } }], defaultServe: { variant: "off" } } },
});
const DOCUMENT = {
  environments: ["prod"],
  flags: {
    email: on("email", [{ attribute: "email", op: "endsWith", values: ["@exämple.com"] }]),
    note: on("note", [{ attribute: "note", op: "contains", values: ["needle-ß"] }]),
    plan: on("plan", [{ attribute: "org.plan", op: "in", values: ["enterprise"] }]),
    groups: on("groups", [{ attribute: "groups", op: "in", values: ["beta"] }]),
    seats: on("seats", [{ attribute: "seats", op: "gt", values: [10] }]),
    role: on("role", [{ attribute: "role", op: "in", values: ["admin"] }]),
    fixed: { kind: "boolean", variants: { on: true, off: false }, environments: { prod: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } } } },
  },
};
const compiled = loadDocument(DOCUMENT, "prod");
assert.deepEqual(compiled.diagnostics.filter((d) => d.severity === "error"), []);
const builds = [
  ["full", compiled],
  ["lean", lean.loadSnapshot(compiled.encode())],
];

const variants = (snapshot, context) =>
  Object.fromEntries(Object.entries(snapshot.evaluateAll(context)).map(([k, r]) => [k, r.variant ?? r.errorCode]));

for (const [build, snapshot] of builds) {
  test(`${build}: a context far larger than the first scratch, with non-ASCII past its end`, () => {
    const context = {
      targetingKey: "u-1",
      note: `${"x".repeat(70_000)}needle-ß${"ü".repeat(30_000)}`,
      email: `${"é".repeat(5_000)}@exämple.com`,
      org: { plan: "enterprise" },
      groups: ["alpha", "beta"],
      seats: 11,
      role: "admin",
    };
    const want = { email: "on", note: "on", plan: "on", groups: "on", seats: "on", role: "on", fixed: "on" };
    assert.deepEqual(variants(snapshot, context), want);
    for (const key of Object.keys(want)) assert.equal(snapshot.evaluate(key, context).variant, want[key], key);
    // The same keys with values that miss: nothing of the large context is left over.
    const small = { targetingKey: "u-2", note: "needle", email: "a@example.com", org: { plan: "pro" }, groups: ["alpha"], seats: 10, role: "viewer" };
    assert.deepEqual(variants(snapshot, small), { email: "off", note: "off", plan: "off", groups: "off", seats: "off", role: "off", fixed: "on" });
  });

  test(`${build}: kept contexts bound again after other contexts, and after wasm memory grew`, () => {
    const admin = snapshot.bind({ targetingKey: "a", role: "admin", seats: 50 });
    const viewer = snapshot.bind({ targetingKey: "v", role: "viewer", seats: 1 });
    for (let i = 0; i < 3; i++) {
      assert.equal(admin.evaluate("role").variant, "on");
      assert.equal(viewer.evaluate("role").variant, "off");
      assert.equal(snapshot.evaluate("seats", { targetingKey: "x", seats: 99 }).variant, "on");
      assert.equal(admin.evaluate("seats").variant, "on");
      assert.equal(viewer.evaluateAll().seats.variant, "off");
    }
    // Many large documents loaded and kept make wasm memory grow, which detaches every view of
    // it; the kept contexts and the scratch must still be read right.
    const big = { environments: ["prod"], flags: {} };
    for (let i = 0; i < 400; i++) big.flags[`f-${i}`] = on(`r-${i}`, [{ attribute: "role", op: "in", values: Array.from({ length: 50 }, (_, j) => `v-${i}-${j}`) }]);
    const kept = [];
    for (let i = 0; i < 6; i++) kept.push(build === "full" ? loadDocument(big, "prod") : lean.loadSnapshot(loadDocument(big, "prod").encode()));
    assert.equal(admin.evaluate("role").variant, "on");
    assert.equal(viewer.evaluate("role").variant, "off");
    assert.equal(snapshot.evaluate("email", { targetingKey: "x", email: "z@exämple.com" }).variant, "on");
    for (const s of kept) s.free();
  });

  test(`${build}: only own keys are read; a polluted Object.prototype changes nothing`, () => {
    class User {
      get role() {
        return "admin";
      }
    }
    const user = Object.assign(new User(), { targetingKey: "u" });
    assert.equal(snapshot.evaluate("role", user).variant, "off");
    Object.prototype.role = "admin";
    try {
      assert.equal(snapshot.evaluate("role", { targetingKey: "u" }).variant, "off");
      assert.equal(snapshot.bind({ targetingKey: "u" }).evaluate("role").variant, "off");
    } finally {
      delete Object.prototype.role;
    }
    assert.equal(snapshot.evaluate("role", { targetingKey: "u", role: "admin" }).variant, "on");
  });

  test(`${build}: evaluating one flag reads only the attributes that flag can read`, () => {
    const seen = new Set();
    const watched = new Proxy({ targetingKey: "u", role: "admin", email: "x@exämple.com", seats: 50 }, { get: (t, k) => (seen.add(k), t[k]) });
    assert.equal(snapshot.evaluate("role", watched).variant, "on");
    for (const other of ["email", "note", "org", "org.plan", "groups", "seats"]) assert.ok(!seen.has(other), `read ${other}: ${[...seen]}`);
    assert.ok(seen.has("role"));
    // The next flag on another attribute, and all of them, still read what they need.
    assert.equal(snapshot.evaluate("seats", watched).variant, "on");
    assert.deepEqual(variants(snapshot, watched), { email: "on", note: "off", plan: "off", groups: "off", seats: "on", role: "on", fixed: "on" });
  });

  test(`${build}: a fixed flag answers without reading the context, but not for an unusable one`, () => {
    let reads = 0;
    const watched = new Proxy({ targetingKey: "u" }, { get: (t, k) => (reads++, t[k]) });
    assert.equal(snapshot.evaluate("fixed", watched).variant, "on");
    const fixedReads = reads;
    assert.equal(snapshot.evaluate("role", watched).variant, "off");
    assert.ok(reads > fixedReads, "an evaluated flag reads the context");
    assert.ok(fixedReads <= 2, `the fixed flag read ${fixedReads} properties (the targeting key only)`);
    for (const bad of [null, "u", [1], { targetingKey: 5 }]) {
      const r = snapshot.evaluate("fixed", bad, { default: false });
      assert.equal(r.errorCode, "INVALID_CONTEXT", JSON.stringify(bad));
      assert.equal(r.value, false);
    }
    // A valid context after an invalid one is read afresh.
    assert.equal(snapshot.evaluate("role", { targetingKey: "u", role: "admin" }).variant, "on");
  });
}

// A string the engine holds from the last single-flag evaluation is not sent again (`SAME`).
// Interleaved with everything else that replaces the engine's context (bulk evaluations, kept
// contexts, unusable contexts, a scratch that must grow, values of other types), every answer
// must still be the one a context bound afresh gives.
for (const [build, snapshot] of builds) {
  test(`${build}: strings held from the last evaluation are never stale`, () => {
    const reference = build === "full" ? loadDocument(DOCUMENT, "prod") : lean.loadSnapshot(compiled.encode());
    let seed = 7;
    const random = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = (values) => values[random(values.length)];
    const long = `${"x".repeat(3_000)}needle-ß`;
    const pools = {
      targetingKey: ["u-1", "u-2", "ü-3", undefined],
      role: ["admin", "viewer", "admin", 7, null, ["admin"], undefined],
      email: ["a@exämple.com", "b@example.com", 5, undefined],
      note: ["needle-ß", "hay", long, undefined],
      seats: [11, 3, "11", undefined],
      org: [{ plan: "enterprise" }, { plan: "pro" }, undefined],
      groups: [["beta"], ["alpha"], "beta", undefined],
    };
    const context = () => {
      if (random(25) === 0) return pick([null, "u", { targetingKey: 5 }]);
      const c = {};
      for (const [name, pool] of Object.entries(pools)) {
        const v = pick(pool);
        if (v !== undefined) c[name] = v;
      }
      return c;
    };
    const keys = Object.keys(DOCUMENT.flags);
    const summary = (r) => `${r.variant}/${r.reason}/${r.errorCode ?? ""}`;
    const kept = [];
    const failures = [];
    for (let step = 0; step < 3000 && failures.length < 5; step++) {
      const c = context();
      const key = pick(keys);
      const want = summary(reference.bind(c).evaluate(key));
      const what = random(10);
      let got;
      if (what < 6) got = summary(snapshot.evaluate(key, c));
      else if (what < 8) got = summary(snapshot.evaluateAll(c)[key]);
      else if (what === 8) {
        const bound = snapshot.bind(c);
        if (kept.length < 20 && typeof c === "object" && c !== null) kept.push([c, bound]);
        got = summary(bound.evaluate(key));
      } else if (kept.length) {
        const [old, bound] = pick(kept);
        got = summary(bound.evaluate(key));
        const expected = summary(reference.bind(old).evaluate(key));
        if (got !== expected) failures.push(`step ${step}: kept ${JSON.stringify(old)} ${key}: ${got} != ${expected}`);
        continue;
      } else continue;
      if (got !== want) failures.push(`step ${step}: ${JSON.stringify(c)?.slice(0, 200)} ${key}: ${got} != ${want}`);
    }
    reference.free();
    assert.deepEqual(failures, []);
    // A new string that does not fit the scratch: it is written again once there is room, and
    // must then be sent, not taken for the one the engine holds.
    const fresh = build === "full" ? loadDocument(DOCUMENT, "prod") : lean.loadSnapshot(compiled.encode());
    assert.equal(fresh.evaluate("note", { targetingKey: "u", note: "needle-ß" }).variant, "on");
    assert.equal(fresh.evaluate("note", { targetingKey: "u", note: `${"x".repeat(5_000)}hay` }).variant, "off");
    fresh.free();
  });
}

// Short strings are encoded to UTF-8 by the package itself, long ones by `encodeInto`: both
// must give the bytes `TextEncoder` gives (a lone surrogate is U+FFFD), so that a flag matching
// the string as text matches it either way.
test("strings are encoded as TextEncoder encodes them, short or long", () => {
  const samples = ["ü", "€uro", "a😀b", "😀", "x\ud800y", "x\udc00y", "end\ud83d", "\udc00\ud800", "日本語テキスト", "mixed ASCII then é"];
  const all = [...samples, ...samples.map((s) => s.repeat(12))];
  const decoded = (s) => new TextDecoder().decode(new TextEncoder().encode(s));
  const document = {
    environments: ["prod"],
    flags: Object.fromEntries(all.map((s, i) => [`f${i}`, on(`r${i}`, [{ attribute: "text", op: "in", values: [decoded(s)] }])])),
  };
  for (const [build, snapshot] of [
    ["full", loadDocument(document, "prod")],
    ["lean", lean.loadSnapshot(loadDocument(document, "prod").encode())],
  ]) {
    all.forEach((s, i) => {
      // Once after an ASCII prefix, once alone: the encoder starts mid-string or at its start.
      assert.equal(snapshot.evaluate(`f${i}`, { targetingKey: "u", text: s }).variant, "on", `${build} ${JSON.stringify(s)}`);
      assert.equal(snapshot.evaluate(`f${i}`, { targetingKey: "u", text: `${s}!` }).variant, "off", `${build} ${JSON.stringify(s)}!`);
      assert.equal(snapshot.evaluateAll({ targetingKey: "u", text: s })[`f${i}`].variant, "on", `${build} all ${JSON.stringify(s)}`);
    });
    snapshot.free();
  }
});
