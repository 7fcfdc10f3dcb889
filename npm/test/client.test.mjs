// Client behaviour that needs no worker: bootstrap without a request, ETag revalidation,
// change events, setContext, offline starts from storage, errors as defaults, remote mode,
// server push, close. Against the fixture in server.mjs (127.0.0.1).

import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient, loadDocument } from "burgee";
import { createClient as createRemoteClient } from "burgee/remote";

import { startServer, TEST_DOCUMENT } from "./server.mjs";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function spyFetch(impl = fetch) {
  const calls = [];
  const f = (url, init) => {
    calls.push({ url: String(url), init });
    return impl(url, init);
  };
  f.calls = calls;
  return f;
}

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

function events(client) {
  const seen = { change: [], error: [], ready: 0 };
  client.on("change", (e) => seen.change.push(e.flags.sort()));
  client.on("error", (e) => seen.error.push(e));
  client.on("ready", () => seen.ready++);
  return seen;
}

async function withServer(fn) {
  const server = await startServer();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const snapshotBase64 = () => Buffer.from(loadDocument(TEST_DOCUMENT, "production").encode()).toString("base64");

test("a bootstrap of evaluated flags answers at once, without any request", async () => {
  await withServer(async (server) => {
    const f = spyFetch();
    const client = createClient({
      url: server.url,
      environment: "production",
      storage: null,
      fetch: f,
      bootstrap: { flags: { "new-checkout": { value: true, variant: "on", reason: "TARGETING_MATCH" }, banner: { value: "Hi", variant: "hello", reason: "STATIC" } } },
    });
    assert.equal(client.status, "ready");
    assert.equal(client.isEnabled("new-checkout"), true);
    assert.equal(client.variant("banner"), "hello");
    assert.deepEqual(client.details("banner", ""), { value: "Hi", variant: "hello", reason: "STATIC" });
    assert.equal(client.details("nope", 7).errorCode, "FLAG_NOT_FOUND");
    assert.equal(client.details("banner", 7).errorCode, "TYPE_MISMATCH");
    await client.ready();
    await tick(20);
    assert.equal(f.calls.length, 0, "fetch was called");
    assert.equal(server.log.length, 0);
    client.close();
  });
});

test("a bootstrap snapshot evaluates locally at once, without any request", async () => {
  const f = spyFetch();
  const client = createClient({
    url: "http://127.0.0.1:9",
    environment: "production",
    context: { targetingKey: "u1", role: "admin" },
    storage: null,
    fetch: f,
    bootstrap: { snapshot: snapshotBase64() },
  });
  assert.equal(client.isEnabled("new-checkout"), true);
  assert.deepEqual(client.details("new-checkout", false), { value: true, variant: "on", reason: "TARGETING_MATCH", ruleId: "admins" });
  assert.deepEqual(client.value("limits", {}), { items: 10 });
  assert.equal(Object.keys(client.all()).length, 4);
  await tick(20);
  assert.equal(f.calls.length, 0);
  client.close();
});

test("the page's bootstrap script is read when no bootstrap is given", async () => {
  const flags = { banner: { value: "From the edge", variant: "sale", reason: "TARGETING_MATCH" } };
  const context = { targetingKey: "visitor-9" };
  globalThis.document = {
    // The edge's shape (edge-worker/src/routes/proxy.rs): environment, version, context, flags.
    getElementById: (id) =>
      id === "burgee-bootstrap" ? { textContent: JSON.stringify({ environment: "production", version: 3, context, flags }) } : null,
  };
  try {
    const f = spyFetch();
    const client = createClient({ url: "http://127.0.0.1:9", environment: "production", storage: null, fetch: f });
    assert.equal(client.value("banner", ""), "From the edge");
    assert.deepEqual(client.getContext(), context, "the edge's visitor becomes the client's context");
    await tick(10);
    assert.equal(f.calls.length, 0);
    client.close();
  } finally {
    delete globalThis.document;
  }
});

test("local mode: loads the snapshot, revalidates with If-None-Match (304), sees changes", async () => {
  await withServer(async (server) => {
    const client = createClient({ url: server.url, environment: "production", context: { targetingKey: "u1" }, refresh: false, storage: null });
    const seen = events(client);
    assert.equal(client.status, "loading");
    assert.equal(client.value("banner", "default"), "default", "nothing loaded yet: the caller's default");
    await client.ready();
    assert.equal(client.value("banner", ""), "Hello");
    assert.equal(client.details("banner", "").reason, "STATIC");
    await client.refresh();
    const [first, second] = server.requests("/v1/snapshot/production");
    assert.equal(first.status, 200);
    assert.equal(second.status, 304);
    assert.equal(second.headers["if-none-match"], '"1-production"');
    assert.deepEqual(seen.change, []);

    server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "sale" }));
    await client.refresh();
    assert.equal(client.value("banner", ""), "Sale!");
    assert.deepEqual(seen.change, [["banner"]]);
    assert.equal(seen.ready, 1);
    client.close();
  });
});

test("setContext re-evaluates locally, without a request, and reports what changed", async () => {
  await withServer(async (server) => {
    const client = createClient({ url: server.url, environment: "production", context: { targetingKey: "u1" }, refresh: false, storage: null });
    const seen = events(client);
    await client.ready();
    const before = server.log.length;
    assert.equal(client.isEnabled("new-checkout"), false);
    await client.setContext({ targetingKey: "u1", role: "admin", plan: "pro" });
    assert.equal(client.isEnabled("new-checkout"), true);
    assert.deepEqual(client.value("limits", {}), { items: 1000 });
    assert.deepEqual(seen.change, [["limits", "new-checkout"]]);
    assert.equal(server.log.length, before, "setContext made a request");
    assert.deepEqual(client.getContext(), { targetingKey: "u1", role: "admin", plan: "pro" });
    client.close();
  });
});

test("offline: starts from the last good snapshot in storage", async () => {
  await withServer(async (server) => {
    const storage = memoryStorage();
    const online = createClient({ url: server.url, environment: "production", context: { role: "admin" }, refresh: false, storage });
    await online.ready();
    online.close();
    assert.equal(storage.map.size, 1);

    const offline = spyFetch(() => Promise.reject(new TypeError("fetch failed (offline)")));
    const client = createClient({ url: server.url, environment: "production", context: { role: "admin" }, refresh: false, storage, fetch: offline });
    const seen = events(client);
    assert.equal(client.status, "ready", "ready from storage before any answer");
    assert.equal(client.isEnabled("new-checkout"), true);
    await tick(20);
    assert.equal(offline.calls.length, 1, "it still tried the network");
    assert.equal(offline.calls[0].init.headers["If-None-Match"], '"1-production"');
    assert.equal(seen.error.length, 1);
    assert.equal(client.isEnabled("new-checkout"), true, "the last good snapshot keeps serving");
    client.close();
  });
});

test("errors never throw: the caller's default with reason ERROR", async () => {
  await withServer(async (server) => {
    server.state.fail = true;
    const client = createClient({ url: server.url, environment: "production", refresh: false, storage: null });
    const seen = events(client);
    await assert.rejects(client.ready());
    assert.equal(client.status, "error");
    assert.equal(seen.error.length, 1);
    assert.equal(client.isEnabled("new-checkout"), false);
    assert.equal(client.value("banner", "fallback"), "fallback");
    assert.deepEqual(
      { ...client.details("banner", "fallback"), errorMessage: undefined },
      { value: "fallback", variant: null, reason: "ERROR", errorCode: "GENERAL", errorMessage: undefined },
    );

    server.state.fail = false;
    await client.refresh();
    assert.equal(client.status, "ready");
    assert.equal(seen.ready, 1);
    assert.equal(client.details("missing", 3).errorCode, "FLAG_NOT_FOUND");
    assert.equal(client.details("missing", 3).value, 3);
    const mismatch = client.details("banner", false);
    assert.equal(mismatch.errorCode, "TYPE_MISMATCH");
    assert.equal(mismatch.value, false);
    assert.match(mismatch.errorMessage, /string flag/);
    await client.setContext({ targetingKey: 42 });
    const invalid = client.details("new-checkout", true);
    assert.equal(invalid.reason, "ERROR");
    assert.equal(invalid.errorCode, "INVALID_CONTEXT");
    assert.equal(invalid.value, true);
    assert.equal(client.value("banner", "x"), "x", "static flags too: an invalid context is an error for every flag");

    // A broken snapshot from the server: an error event, and the last good one keeps serving.
    await client.setContext({ targetingKey: "u1" });
    const realFetch = fetch;
    const broken = createClient({
      url: server.url,
      environment: "production",
      refresh: false,
      storage: null,
      bootstrap: { snapshot: snapshotBase64() },
      fetch: async () => new Response(new Uint8Array([66, 82, 71, 49, 255]), { status: 200, headers: { ETag: '"x"' } }),
    });
    const brokenSeen = events(broken);
    await broken.refresh();
    assert.equal(brokenSeen.error.length, 1);
    assert.match(brokenSeen.error[0].message, /snapshot/);
    assert.equal(broken.value("banner", ""), "Hello");
    assert.equal(fetch, realFetch);
    broken.close();
    client.close();
  });
});

test("remote mode: OFREP bulk with the environment header, ETag/304, setContext asks again", async () => {
  await withServer(async (server) => {
    for (const make of [createClient, createRemoteClient]) {
      server.log.length = 0;
      const client = make({ url: server.url, environment: "production", mode: "remote", context: { targetingKey: "u1" }, refresh: false, storage: null });
      const seen = events(client);
      await client.ready();
      const [first] = server.requests("/ofrep/v1/evaluate/flags");
      assert.equal(first.method, "POST");
      assert.equal(first.headers["x-burgee-environment"], "production");
      assert.equal(first.headers["content-type"], "application/json");
      assert.deepEqual(JSON.parse(first.body), { context: { targetingKey: "u1" } });
      assert.equal(client.isEnabled("new-checkout"), false);
      assert.deepEqual(client.value("limits", {}), { items: 10 });
      assert.equal(client.details("banner", "").reason, "STATIC");
      assert.equal(client.details("new-checkout", false).ruleId, undefined);
      assert.equal(client.details("unknown", "d").errorCode, "FLAG_NOT_FOUND");
      assert.equal(server.requests("/v1/snapshot/production").length, 0, "remote mode never loads the snapshot");

      await client.refresh();
      const second = server.requests("/ofrep/v1/evaluate/flags")[1];
      assert.equal(second.status, 304);
      assert.ok(second.headers["if-none-match"]);

      await client.setContext({ targetingKey: "u1", role: "admin" });
      const third = server.requests("/ofrep/v1/evaluate/flags")[2];
      assert.equal(third.status, 200);
      assert.equal(third.headers["if-none-match"], undefined, "a new context is a new question");
      assert.equal(client.isEnabled("new-checkout"), true);
      assert.equal(client.details("new-checkout", false).ruleId, "admins", "OFREP metadata carries the rule id");
      assert.deepEqual(seen.change, [["new-checkout"]]);
      client.close();
    }
  });
});

test("a server push (Server-Sent Events) makes a running client revalidate", async () => {
  // Node 20 has no EventSource: a minimal one over fetch (Chromium's real one is tested in
  // browser.test.mjs).
  globalThis.EventSource = class {
    constructor(url) {
      this.controller = new AbortController();
      fetch(url, { signal: this.controller.signal })
        .then(async (res) => {
          const decoder = new TextDecoder();
          let buffer = "";
          for await (const chunk of res.body) {
            buffer += decoder.decode(chunk, { stream: true });
            let at;
            while ((at = buffer.indexOf("\n\n")) >= 0) {
              const event = buffer.slice(0, at);
              buffer = buffer.slice(at + 2);
              const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
              if (data) this.onmessage?.({ data });
            }
          }
        })
        .catch(() => undefined);
    }
    close() {
      this.controller.abort();
    }
  };
  try {
    await withServer(async (server) => {
      const client = createClient({ url: server.url, environment: "production", refresh: { interval: 0, focus: false }, storage: null });
      const changed = new Promise((resolve) => client.on("change", resolve));
      await client.ready();
      await tick(50);
      server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "sale" }));
      const event = await Promise.race([changed, tick(3000).then(() => null)]);
      assert.deepEqual(event, { flags: ["banner"] });
      assert.equal(client.value("banner", ""), "Sale!");
      // A push for a version the client already has (the documents here have version 0)
      // fetches nothing; one it cannot read revalidates.
      const before = server.requests("/v1/snapshot/production").length;
      server.push(JSON.stringify({ version: 0, changed: ["banner"] }));
      await tick(100);
      assert.equal(server.requests("/v1/snapshot/production").length, before);
      server.push("not json");
      await tick(100);
      assert.equal(server.requests("/v1/snapshot/production").length, before + 1);
      client.close();
    });
  } finally {
    delete globalThis.EventSource;
  }
});

test("polling revalidates on its interval, and close stops it", async () => {
  await withServer(async (server) => {
    const client = createClient({ url: server.url, environment: "production", refresh: 20, storage: null });
    await client.ready();
    await tick(110);
    const polled = server.requests("/v1/snapshot/production").length;
    assert.ok(polled >= 3, `only ${polled} requests`);
    client.close();
    await tick(20);
    const after = server.requests("/v1/snapshot/production").length;
    await tick(100);
    assert.equal(server.requests("/v1/snapshot/production").length, after, "requests after close");
    assert.equal(client.value("banner", ""), "Hello", "a closed client keeps answering");
  });
});
