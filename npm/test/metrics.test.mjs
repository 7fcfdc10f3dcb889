// Usage metrics (ts/metrics.ts) in Node against a capture server on 127.0.0.1 standing in for
// the edge's `/v1/metrics` (test/capture.mjs): exact counts per variant for local
// evaluations, events attributed to the variants served, the off switch, retries after a 503
// (merged, then given up after five attempts), a 400 dropping its batch, and the wire format.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient, loadDocument } from "burgee";

import { DOCUMENT, assertBatch, startCapture } from "./capture.mjs";

const compiled = loadDocument(DOCUMENT, "production");
const SNAPSHOT = Buffer.from(compiled.encode()).toString("base64");
const tick = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeout = 5000) {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

const client = (capture, extra = {}) =>
  createClient({
    url: capture.url,
    environment: "production",
    context: { targetingKey: "u0" },
    bootstrap: { snapshot: SNAPSHOT },
    refresh: false,
    storage: null,
    headers: { Authorization: "Bearer ek_test" },
    ...extra,
  });

/** The counts of a batch as `flag/variant/reason -> count`. */
const countsOf = (batch) => Object.fromEntries((batch.counts ?? []).map((c) => [`${c.flag}/${c.variant ?? "-"}/${c.reason}`, c.count]));

test("counts every local evaluation exactly, per flag, variant and reason, in the edge's format", async () => {
  const capture = await startCapture();
  try {
    const c = client(capture);
    const expected = {};
    const add = (k, n = 1) => (expected[k] = (expected[k] ?? 0) + n);
    const N = 600;
    for (let i = 0; i < N; i++) {
      const context = { targetingKey: `u${i}` };
      await c.setContext(context);
      const want = compiled.evaluate("split", context, { default: "x" });
      assert.equal(c.value("split", "x"), want.value);
      add(`split/${want.variant}/${want.reason}`);
      if (i % 3 === 0) {
        assert.equal(c.details("split", "x").variant, want.variant);
        add(`split/${want.variant}/${want.reason}`);
      }
      assert.equal(c.isEnabled("static-on"), true);
      add("static-on/on/STATIC");
    }
    // The caller's default after an error has no variant; unknown flags are not counted.
    assert.equal(c.value("split", 7), 7);
    assert.equal(c.details("static-on", "no").errorCode, "TYPE_MISMATCH");
    add("split/-/ERROR");
    add("static-on/-/ERROR");
    assert.equal(c.value("nope", 1), 1);
    // all() counts each flag once.
    c.all();
    add(`split/${compiled.evaluate("split", { targetingKey: `u${N - 1}` }).variant}/SPLIT`);
    add("static-on/on/STATIC");
    assert.equal(capture.posts.length, 0, "nothing is sent before the interval or close()");
    c.close();
    await until("the batch sent on close()", () => capture.posts.length === 1);
    const { body, headers } = capture.posts[0];
    assertBatch(body);
    assert.deepEqual(countsOf(body), expected);
    assert.ok(Object.keys(expected).filter((k) => k.startsWith("split/")).length >= 4, "all three variants were served");
    assert.equal(body.targetingKey, `u${N - 1}`);
    assert.ok(body.counts.every((x) => x.environment === "production"));
    assert.equal(body.events, undefined);
    assert.equal(headers.authorization, "Bearer ek_test");
    assert.match(headers["content-type"], /^application\/json/);
    await tick(50);
    assert.equal(capture.posts.length, 1, "close() sends once");
  } finally {
    await capture.close();
  }
});

test("track attributes an event to every variant served, sums values, and checks names", async () => {
  const capture = await startCapture();
  try {
    const c = client(capture, { context: { targetingKey: "u1" } });
    const variant = c.variant("split");
    c.isEnabled("static-on");
    c.track("purchase", { value: 10 });
    c.track("purchase", { value: 2.5 });
    c.track("Signed Up");
    for (const bad of ["", " lead", "trail ", "x".repeat(65), "é", "tab\t"]) {
      assert.throws(() => c.track(bad), /event name .* must be 1 to 64 printable ASCII characters/, JSON.stringify(bad));
    }
    assert.throws(() => c.track("purchase", { value: Infinity }), /finite number/);
    c.track("x".repeat(64));
    c.close();
    await until("the batch", () => capture.posts.length === 1);
    const { body } = capture.posts[0];
    assertBatch(body);
    const events = Object.fromEntries(body.events.map((e) => [e.name, e]));
    assert.deepEqual(Object.keys(events).sort(), ["Signed Up", "purchase", "x".repeat(64)].sort());
    assert.deepEqual(events.purchase, {
      environment: "production",
      name: "purchase",
      value: 12.5,
      count: 2,
      // Most recently first served first.
      attributed: [
        { flag: "static-on", variant: "on", count: 2 },
        { flag: "split", variant, count: 2 },
      ],
    });
    assert.equal(events["Signed Up"].value, undefined);
    assert.equal(events["Signed Up"].count, 1);
  } finally {
    await capture.close();
  }
});

test("flags evaluated elsewhere (a bootstrap of evaluated flags) are attributed to but not counted", async () => {
  const capture = await startCapture();
  try {
    const c = client(capture, { bootstrap: { flags: { banner: { value: "Hi", variant: "hello", reason: "STATIC" } } } });
    assert.equal(c.value("banner", ""), "Hi");
    c.track("click");
    c.close();
    await until("the batch", () => capture.posts.length === 1);
    assertBatch(capture.posts[0].body);
    assert.equal(capture.posts[0].body.counts, undefined, "the edge counted these itself");
    assert.deepEqual(capture.posts[0].body.events[0].attributed, [{ flag: "banner", variant: "hello", count: 1 }]);
  } finally {
    await capture.close();
  }
});

test("metrics: false counts and sends nothing; track still checks its arguments", async () => {
  const capture = await startCapture();
  try {
    const c = client(capture, { metrics: false });
    for (let i = 0; i < 100; i++) c.value("split", "x");
    c.track("purchase", { value: 1 });
    assert.throws(() => c.track(" bad"));
    c.close();
    await tick(200);
    assert.equal(capture.posts.length, 0);
  } finally {
    await capture.close();
  }
});

test("a batch the edge fails (503) is kept and merged into the next send; given up after five attempts", async () => {
  const capture = await startCapture();
  try {
    capture.statuses.push(503, 503);
    const c = client(capture, { metrics: { interval: 40 } });
    for (let i = 0; i < 5; i++) c.value("split", "x");
    await until("the first attempt", () => capture.posts.length === 1);
    for (let i = 0; i < 3; i++) c.value("split", "x");
    await until("the third attempt", () => capture.posts.length === 3);
    const sum = (p) => p.body.counts.reduce((n, x) => n + x.count, 0);
    assert.deepEqual(capture.posts.map((p) => p.status), [503, 503, 200]);
    assert.equal(sum(capture.posts[0]), 5);
    assert.equal(sum(capture.posts[2]), 8, "the failed batches were merged into the one delivered");
    assert.equal(capture.posts[2].body.start, capture.posts[0].body.start, "the merged window starts with the oldest batch");
    capture.posts.forEach((p) => assertBatch(p.body));
    await tick(200);
    assert.equal(capture.posts.length, 3, "nothing more to send");

    // An edge that keeps failing: the batch goes out five times, then is dropped.
    capture.statuses.push(...Array(20).fill(503));
    c.value("split", "x");
    await until("five attempts", () => capture.posts.length === 8);
    await tick(300);
    assert.equal(capture.posts.length, 8, "given up after five attempts");
    assert.ok(capture.posts.slice(3).every((p) => sum(p) === 1));
    c.close();
  } finally {
    await capture.close();
  }
});

test("a batch the edge refuses (400) is dropped, with one warning", async () => {
  const capture = await startCapture();
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args.join(" "));
  try {
    capture.statuses.push(400, 400);
    const c = client(capture, { metrics: { interval: 40 } });
    c.value("split", "x");
    await until("the refused batch", () => capture.posts.length === 1);
    c.value("split", "x");
    c.value("split", "x");
    await until("the second refused batch", () => capture.posts.length === 2);
    c.isEnabled("static-on");
    await until("the next batch", () => capture.posts.length === 3);
    assert.deepEqual(countsOf(capture.posts[2].body), { "static-on/on/STATIC": 1 }, "the refused batches were not resent");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /refused usage metrics \(400\)/);
    c.close();
  } finally {
    console.warn = warn;
    await capture.close();
  }
});

test("the evaluation key comes from metrics.key or X-API-Key", async () => {
  const capture = await startCapture();
  try {
    const a = client(capture, { headers: { "X-API-Key": "ek_header" } });
    a.isEnabled("static-on");
    a.close();
    const b = client(capture, { headers: {}, metrics: { key: "ek_option" } });
    b.isEnabled("static-on");
    b.close();
    await until("both batches", () => capture.posts.length === 2);
    const keys = capture.posts.map((p) => p.headers["x-api-key"] ?? p.headers.authorization).sort();
    assert.deepEqual(keys, ["Bearer ek_option", "ek_header"]);
  } finally {
    await capture.close();
  }
});

test("the OpenFeature provider's track records the event with its value", async () => {
  const { OpenFeature } = await import("@openfeature/web-sdk");
  const { BurgeeProvider } = await import("burgee/openfeature");
  const capture = await startCapture();
  try {
    await OpenFeature.setProviderAndWait(new BurgeeProvider(client(capture)));
    const of = OpenFeature.getClient();
    assert.equal(of.getBooleanValue("static-on", false), true);
    of.track("purchase", { value: 4, currency: "EUR" });
    await OpenFeature.close();
    await until("the batch", () => capture.posts.length === 1);
    assertBatch(capture.posts[0].body);
    assert.deepEqual(capture.posts[0].body.events, [
      { environment: "production", name: "purchase", value: 4, count: 1, attributed: [{ flag: "static-on", variant: "on", count: 1 }] },
    ]);
  } finally {
    await capture.close();
  }
});
