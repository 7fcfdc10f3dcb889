// Testing apps with flags: `createTestClient` from every entry that exports it, answering like
// a real client (compared with a real local client started from a bootstrap snapshot, which
// is offline too), its change events, per-context flags, the OpenFeature provider over it, and
// a bootstrap client that never touches the network.

import assert from "node:assert/strict";
import { test } from "node:test";

import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { createClient, createTestClient, loadDocument } from "burgee";
import { BurgeeProvider } from "burgee/openfeature";
import { createTestClient as fromTesting } from "burgee/testing";
import { createTestClient as fromWorker } from "burgee/worker";

/** A `fetch` that fails the test when anything calls it. */
function noNetwork() {
  const calls = [];
  const f = async (url) => {
    calls.push(String(url));
    throw new Error(`the network was used: ${url}`);
  };
  f.calls = calls;
  return f;
}

/** Runs `fn` with the global `fetch` replaced by one that records and refuses every call. */
async function offline(fn) {
  const real = globalThis.fetch;
  const f = noNetwork();
  globalThis.fetch = f;
  try {
    await fn();
  } finally {
    globalThis.fetch = real;
  }
  assert.deepEqual(f.calls, [], "no request");
}

const changes = (client) => {
  const seen = [];
  client.on("change", (e) => seen.push([...e.flags].sort()));
  return seen;
};

test("createTestClient: values, details and errors without the network", async () => {
  await offline(async () => {
    const client = createTestClient({ flags: { "new-checkout": true, theme: "dark", "max-items": 10, limits: { items: 5 } } });
    assert.equal(client.status, "ready");
    await client.ready();
    assert.equal(client.isEnabled("new-checkout"), true);
    assert.equal(client.value("theme", "light"), "dark");
    assert.equal(client.value("max-items", 0), 10);
    assert.deepEqual(client.value("limits", {}), { items: 5 });
    assert.deepEqual(client.details("theme", "light"), { value: "dark", variant: "dark", reason: "STATIC" });
    assert.equal(client.variant("new-checkout"), "true");
    assert.equal(client.variant("limits"), '{"items":5}');
    assert.deepEqual(Object.keys(client.all()).sort(), ["limits", "max-items", "new-checkout", "theme"]);

    assert.equal(client.isEnabled("unknown"), false);
    assert.equal(client.isEnabled("unknown", true), true);
    assert.deepEqual(client.details("unknown", 3), {
      value: 3,
      variant: null,
      reason: "ERROR",
      errorCode: "FLAG_NOT_FOUND",
      errorMessage: "flag `unknown` does not exist",
    });
    const mismatch = client.details("theme", 1);
    assert.equal(mismatch.value, 1);
    assert.equal(mismatch.reason, "ERROR");
    assert.equal(mismatch.errorCode, "TYPE_MISMATCH");
    assert.equal(client.value("theme", false), false, "a default of another type is served");
    assert.equal(client.isEnabled("theme"), false);
  });
});

test("createTestClient answers errors exactly as a real local client does", async () => {
  const document = {
    environments: ["production"],
    flags: {
      theme: {
        kind: "string",
        variants: { dark: "dark", light: "light" },
        environments: { production: { enabled: true, offVariant: "light", defaultServe: { variant: "dark" } } },
      },
    },
  };
  const bytes = loadDocument(document, "production").encode();
  await offline(async () => {
    const real = createClient({ environment: "production", bootstrap: { snapshot: Buffer.from(bytes).toString("base64") } });
    await real.ready();
    const fake = createTestClient({ flags: { theme: "dark" } });
    for (const [key, fallback] of [
      ["theme", "light"],
      ["theme", 7],
      ["theme", true],
      ["nope", "x"],
      ["nope", false],
    ]) {
      const want = real.details(key, fallback);
      const got = fake.details(key, fallback);
      // The variant is the document's name in a real client, the value's text in a test one.
      assert.deepEqual({ ...got, variant: want.variant }, want, `details(${key}, ${JSON.stringify(fallback)})`);
      assert.deepEqual(fake.value(key, fallback), real.value(key, fallback));
    }
    real.close();
  });
});

test("createTestClient: set() changes a flag and emits the change events a real client emits", async () => {
  const client = createTestClient({ flags: { "new-checkout": false, theme: "dark" } });
  const seen = changes(client);
  client.set("new-checkout", true);
  assert.equal(client.isEnabled("new-checkout"), true);
  client.set("new-checkout", true);
  client.set({ theme: "light", banner: "Sale!" });
  assert.equal(client.value("banner", ""), "Sale!");
  client.set("banner", undefined);
  assert.equal(client.details("banner", "").errorCode, "FLAG_NOT_FOUND");
  assert.deepEqual(seen, [["new-checkout"], ["banner", "theme"], ["banner"]], "one event per change, none for the same value");

  // A listener that throws does not keep the others from hearing (as in every client).
  const heard = [];
  client.on("change", () => {
    throw new Error("a listener's bug");
  });
  const off = client.on("change", (e) => heard.push(e.flags));
  client.set("theme", "dark");
  off();
  client.set("theme", "light");
  assert.deepEqual(heard, [["theme"]]);

  let ready = 0;
  client.on("ready", () => ready++);
  await Promise.resolve();
  assert.equal(ready, 1, "a ready listener added later still hears it once");
});

test("createTestClient: flags as functions of the context, re-evaluated by setContext", async () => {
  const client = createTestClient({
    context: { targetingKey: "u1", plan: "free" },
    flags: {
      "new-checkout": (context) => context.plan === "pro",
      limit: (context) => (context.plan === "pro" ? 100 : undefined),
      broken: () => {
        throw new Error("boom");
      },
    },
  });
  assert.equal(client.isEnabled("new-checkout"), false);
  assert.equal(client.details("new-checkout", true).reason, "TARGETING_MATCH");
  assert.deepEqual(client.details("limit", 10), { value: 10, variant: null, reason: "DEFAULT" });
  const broken = client.details("broken", "safe");
  assert.equal(broken.value, "safe");
  assert.equal(broken.reason, "ERROR");
  assert.equal(broken.errorCode, "GENERAL");
  assert.match(broken.errorMessage, /boom/);

  const seen = changes(client);
  await client.setContext({ targetingKey: "u1", plan: "pro" });
  assert.deepEqual(client.getContext(), { targetingKey: "u1", plan: "pro" });
  assert.equal(client.isEnabled("new-checkout"), true);
  assert.equal(client.value("limit", 10), 100);
  await client.setContext({ targetingKey: "u2", plan: "pro" });
  assert.deepEqual(seen, [["limit", "new-checkout"]], "only flags whose answer changed, and no event when none did");
});

test("createTestClient: track records events and checks them like a real client; refresh and close are harmless", async () => {
  const client = createTestClient();
  client.track("purchase", { value: 59.8 });
  client.track("signup");
  assert.deepEqual(client.tracked, [{ name: "purchase", value: 59.8 }, { name: "signup" }]);
  assert.throws(() => client.track(" bad", {}), TypeError);
  assert.throws(() => client.track("purchase", { value: Number.NaN }), TypeError);
  await client.refresh();
  client.close();
  assert.equal(client.value("x", 1), 1);
});

test("createTestClient: the same function from burgee, burgee/testing and burgee/worker", () => {
  for (const make of [createTestClient, fromTesting, fromWorker]) {
    const client = make({ flags: { a: true } });
    assert.equal(client.isEnabled("a"), true);
  }
});

test("a bootstrap of evaluated flags works offline (no url: nothing to fetch, nothing sent)", async () => {
  await offline(async () => {
    const client = createClient({
      environment: "production",
      bootstrap: { flags: { "new-checkout": { value: true, variant: "on", reason: "STATIC" } } },
    });
    assert.equal(client.status, "ready");
    assert.equal(client.isEnabled("new-checkout"), true);
    assert.equal(client.details("nope", 1).errorCode, "FLAG_NOT_FOUND");
    client.track("purchase", { value: 1 });
    await client.refresh();
    client.close();
  });
});

test("OpenFeature: the provider over a test client, in memory", async () => {
  const flags = createTestClient({ flags: { "new-checkout": (c) => c.role === "admin", banner: "Hello" } });
  try {
    await OpenFeature.setContext({ targetingKey: "u1", role: "admin" });
    await OpenFeature.setProviderAndWait(new BurgeeProvider(flags));
    const client = OpenFeature.getClient();
    assert.equal(client.getBooleanValue("new-checkout", false), true);
    const banner = client.getStringDetails("banner", "");
    assert.equal(banner.value, "Hello");
    assert.equal(banner.reason, "STATIC");
    assert.equal(client.getNumberDetails("banner", 1).errorCode, "TYPE_MISMATCH");
    assert.equal(client.getBooleanDetails("nope", true).errorCode, "FLAG_NOT_FOUND");

    await OpenFeature.setContext({ targetingKey: "u1", role: "member" });
    assert.equal(client.getBooleanValue("new-checkout", true), false);

    const changed = new Promise((resolve) => client.addHandler(ProviderEvents.ConfigurationChanged, resolve));
    flags.set("banner", "Sale!");
    assert.deepEqual((await changed).flagsChanged, ["banner"]);
    assert.equal(client.getStringValue("banner", ""), "Sale!");
  } finally {
    await OpenFeature.close();
    await OpenFeature.setContext({});
  }
});
