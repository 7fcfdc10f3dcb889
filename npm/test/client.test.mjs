// The client in Node against the real edge worker (test/worker.mjs): local mode (the public
// snapshot, ETag/304), remote mode (OFREP bulk), both answering what the worker answers,
// bootstrap, offline starts, errors the worker really answers, polling, and the change stream
// (the package's reader over fetch, since Node 20 has no EventSource), including a stream
// that the network drops (test/relay.mjs). Only the page-bootstrap test needs no worker.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient } from "burgee";
import { createClient as createRemoteClient } from "burgee/remote";

import { startRelay } from "./relay.mjs";
import {
  CLIENT_SIDE,
  SERVER_ONLY,
  WORKER,
  bannerFlag,
  changeDocument,
  ofrep,
  patchFlag,
  published,
  putFlag,
  setEnabled,
  snapshot,
  spyFetch,
  switchFlag,
  tick,
  uniqueKey,
  until,
} from "./worker.mjs";

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

/** The first change event naming `key`, or null after `ms`. */
const changeOf = (client, key, ms) =>
  Promise.race([
    new Promise((resolve) => {
      const off = client.on("change", (e) => e.flags.includes(key) && (off(), resolve(e)));
    }),
    tick(ms).then(() => null),
  ]);

const base = (keys) => keys.filter((k) => CLIENT_SIDE.includes(k) || SERVER_ONLY.includes(k)).sort();

test("a bootstrap of evaluated flags answers at once, without any request", async () => {
  const f = spyFetch();
  const client = createClient({
    url: WORKER,
    environment: "production",
    storage: null,
    fetch: f,
    refresh: false,
    bootstrap: { flags: { "new-checkout": { value: true, variant: "on", reason: "TARGETING_MATCH" }, banner: { value: "Hi", variant: "hello", reason: "STATIC" } } },
  });
  assert.equal(client.status, "ready");
  assert.equal(client.isEnabled("new-checkout"), true);
  assert.equal(client.variant("banner"), "hello");
  assert.deepEqual(client.details("banner", ""), { value: "Hi", variant: "hello", reason: "STATIC" });
  assert.equal(client.details("nope", 7).errorCode, "FLAG_NOT_FOUND");
  assert.equal(client.details("banner", 7).errorCode, "TYPE_MISMATCH");
  await client.ready();
  await tick(50);
  assert.deepEqual(f.calls, [], "a bootstrapped client made a request");
  client.close();
});

test("a bootstrap answers at once with revalidation on too; the change stream then brings the worker's snapshot", async () => {
  const f = spyFetch();
  const client = createClient({
    url: WORKER,
    environment: "production",
    context: { targetingKey: "u1" },
    storage: null,
    fetch: f,
    refresh: { interval: 0, focus: false },
    bootstrap: { flags: { banner: { value: "Hi", variant: "hello", reason: "STATIC" } } },
  });
  const seen = events(client);
  // Answered before any request could have been answered.
  assert.equal(client.status, "ready");
  assert.equal(client.value("banner", ""), "Hi");
  assert.equal(f.to("/v1/snapshot/production").length, 0, "the bootstrap did not wait for the snapshot");
  // The stream's first event names the worker's version, which the bootstrap does not have:
  // the client loads the snapshot and evaluates it from then on.
  await until("the worker's snapshot replaces the bootstrap", () => client.value("banner", "") === "Hello");
  assert.equal(f.to("/v1/stream/production").length, 1);
  assert.equal(f.to("/v1/snapshot/production").length, 1);
  assert.ok(seen.change.flat().includes("banner"), "a change event names the flag whose value moved");
  assert.equal(client.details("limits", {}).reason, "DEFAULT", "now evaluated locally, beyond the bootstrap");
  client.close();
});

test("a bootstrap snapshot from the worker evaluates locally at once, without any request", async () => {
  const served = await snapshot("production");
  assert.equal(served.status, 200);
  const f = spyFetch();
  const client = createClient({
    url: WORKER,
    environment: "production",
    context: { targetingKey: "u1", role: "admin" },
    storage: null,
    fetch: f,
    refresh: { interval: 0, focus: false, stream: false },
    bootstrap: { snapshot: Buffer.from(served.bytes).toString("base64") },
  });
  assert.equal(client.status, "ready");
  assert.equal(client.isEnabled("new-checkout"), true);
  assert.deepEqual(client.details("new-checkout", false), { value: true, variant: "on", reason: "TARGETING_MATCH", ruleId: "admins" });
  assert.deepEqual(client.value("limits", {}), { items: 10 });
  const keys = Object.keys(client.all());
  for (const k of CLIENT_SIDE) assert.ok(keys.includes(k), `${k} is missing from the public snapshot`);
  for (const k of SERVER_ONLY) assert.ok(!keys.includes(k), `the server-only flag ${k} reached the public snapshot`);
  await tick(50);
  assert.deepEqual(f.calls, []);
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
    const client = createClient({ url: WORKER, environment: "production", storage: null, fetch: f, refresh: false });
    assert.equal(client.value("banner", ""), "From the edge");
    assert.deepEqual(client.getContext(), context, "the edge's visitor becomes the client's context");
    await tick(20);
    assert.deepEqual(f.calls, []);
    client.close();
  } finally {
    delete globalThis.document;
  }
});

test("local and remote mode answer exactly what the worker's OFREP answers, context by context", async () => {
  const contexts = [
    { targetingKey: "u1" },
    { targetingKey: "u2", role: "admin" },
    { targetingKey: "u3", plan: "pro", orgId: "org-7" },
    { targetingKey: "u-beta" },
    { targetingKey: "u-banned", email: "banned@example.com" },
    { targetingKey: "u5", email: "x@example.com", appVersion: "2.1.0" },
    { targetingKey: "u6", appVersion: "v1.9.9" },
    { targetingKey: "u-staff", role: "admin", plan: "pro" },
    { targetingKey: "ünï-çødé" },
    { role: "admin" },
    { targetingKey: 42 },
  ];
  const local = createClient({ url: WORKER, environment: "production", context: contexts[0], refresh: false, storage: null });
  const remote = createRemoteClient({ url: WORKER, environment: "production", context: contexts[0], refresh: false, storage: null });
  await Promise.all([local.ready(), remote.ready()]);
  // No default, so no expected type: errors are the edge's own (INVALID_CONTEXT, ...).
  const expect = (f) =>
    f.errorCode
      ? { value: null, reason: "ERROR", errorCode: f.errorCode }
      : { value: f.value, variant: f.variant ?? null, reason: f.reason, ruleId: f.metadata?.ruleId, prerequisite: f.metadata?.prerequisite };
  const got = (d) =>
    d.errorCode
      ? { value: d.value, reason: d.reason, errorCode: d.errorCode }
      : { value: d.value, variant: d.variant, reason: d.reason, ruleId: d.ruleId, prerequisite: d.prerequisite };
  let compared = 0;
  for (const context of contexts) {
    await Promise.all([local.setContext(context), remote.setContext(context)]);
    const edge = await ofrep(context);
    for (const key of [...CLIENT_SIDE, ...SERVER_ONLY]) {
      if (CLIENT_SIDE.includes(key)) {
        const want = expect(edge.flags[key]);
        assert.deepEqual(got(remote.details(key)), want, `remote ${key} for ${JSON.stringify(context)}`);
        assert.deepEqual(got(local.details(key)), want, `local ${key} for ${JSON.stringify(context)}`);
      } else {
        // Server-only flags never reach a client, local or remote: not in the public snapshot,
        // and the edge does not answer them without a server key.
        assert.equal(edge.flags[key], undefined, `the edge's bulk answer holds ${key}`);
        assert.equal(remote.details(key, false).errorCode, "FLAG_NOT_FOUND", key);
        assert.equal(local.details(key, false).errorCode, "FLAG_NOT_FOUND", key);
      }
      compared++;
    }
  }
  assert.ok(compared >= 80, `only ${compared} comparisons`);
  // The contexts reach rules, targets, segments, semver, prerequisites, rollouts and errors.
  const reasons = new Set();
  for (const context of contexts) for (const f of Object.values((await ofrep(context)).flags)) reasons.add(f.reason ?? f.errorCode);
  for (const r of ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "PREREQUISITE_FAILED", "INVALID_CONTEXT", "TARGETING_KEY_MISSING"]) {
    assert.ok(reasons.has(r), `no context produced ${r}`);
  }
  local.close();
  remote.close();
});

test("local mode: the worker's snapshot, revalidated with If-None-Match (304, no body), then a change", async () => {
  const key = uniqueKey("local-banner");
  await published(await putFlag(key, bannerFlag("hello")));
  const f = spyFetch();
  const client = createClient({ url: WORKER, environment: "production", context: { targetingKey: "u1" }, refresh: false, storage: null, fetch: f });
  assert.equal(client.status, "loading");
  assert.equal(client.value(key, "default"), "default", "nothing loaded yet: the caller's default");
  const seen = events(client);
  await client.ready();
  assert.equal(client.value(key, ""), "Hello");
  assert.equal(client.details(key, "").reason, "STATIC");
  const [first] = f.to("/v1/snapshot/production");
  assert.equal(first.status, 200);
  assert.equal(first.init.headers["If-None-Match"], undefined);

  await client.refresh();
  const second = f.to("/v1/snapshot/production")[1];
  assert.equal(second.init.headers["If-None-Match"], first.etag, "revalidation sends the ETag it got");
  assert.equal(second.status, 304, "the worker says the snapshot is unchanged");
  // The same request by hand: the worker's ETag is stable, and a 304 carries no snapshot.
  const direct = await snapshot("production", { "If-None-Match": first.etag });
  assert.deepEqual([direct.status, direct.bytes.length], [304, 0]);
  assert.deepEqual(seen.change, []);

  const version = await patchFlag(key, { environments: { production: { defaultServe: { variant: "sale" } } } });
  await until("the client loads the new version", async () => (await client.refresh(), client.value(key, "") === "Sale!"));
  const last = f.to("/v1/snapshot/production").at(-1);
  assert.equal(last.status, 200);
  assert.notEqual(last.etag, first.etag);
  assert.ok(Number(last.etag.match(/^"(\d+)-/)?.[1]) >= version, `ETag ${last.etag} is older than version ${version}`);
  assert.deepEqual(seen.change, [[key]]);
  assert.equal(seen.ready, 1, "ready is announced once, on the first load only");
  client.close();
});

test("setContext re-evaluates locally, without a request, and reports what changed", async () => {
  const f = spyFetch();
  const client = createClient({ url: WORKER, environment: "production", context: { targetingKey: "u1" }, refresh: false, storage: null, fetch: f });
  const seen = events(client);
  await client.ready();
  const before = f.calls.length;
  assert.equal(client.isEnabled("new-checkout"), false);
  await client.setContext({ targetingKey: "u1", role: "admin", plan: "pro" });
  assert.equal(client.isEnabled("new-checkout"), true);
  assert.deepEqual(client.value("limits", {}), { items: 1000 });
  assert.deepEqual(base(seen.change[0] ?? []), ["checkout-tips", "limits", "new-checkout"]);
  assert.equal(f.calls.length, before, "setContext made a request");
  assert.deepEqual(client.getContext(), { targetingKey: "u1", role: "admin", plan: "pro" });
  client.close();
});

test("offline: starts from the last good snapshot in storage, and asks the worker with its ETag", async () => {
  const storage = memoryStorage();
  const f = spyFetch();
  const online = createClient({ url: WORKER, environment: "production", context: { role: "admin" }, refresh: false, storage, fetch: f });
  await online.ready();
  online.close();
  assert.equal(storage.map.size, 1);
  const etag = f.to("/v1/snapshot/production")[0].etag;
  assert.ok(etag);

  const offline = spyFetch();
  offline.offline = true;
  const client = createClient({ url: WORKER, environment: "production", context: { role: "admin" }, refresh: false, storage, fetch: offline });
  const seen = events(client);
  assert.equal(client.status, "ready", "ready from storage before any answer");
  assert.equal(client.isEnabled("new-checkout"), true);
  await until("the failed request is reported", () => seen.error.length === 1);
  assert.equal(offline.calls.length, 1, "it still tried the network");
  assert.equal(offline.calls[0].init.headers["If-None-Match"], etag);
  assert.equal(client.isEnabled("new-checkout"), true, "the last good snapshot keeps serving");

  // Back online: the worker answers 304 for the stored copy when nothing changed since, or the
  // newer snapshot; either way the client is ready and served by the worker again.
  offline.offline = false;
  await client.refresh();
  assert.ok([200, 304].includes(offline.calls.at(-1).status));
  assert.equal(client.status, "ready");
  client.close();
});

test("errors the worker answers never throw: the caller's default with reason ERROR, then recovery", async () => {
  // An environment the store does not have: 404 for the snapshot and from OFREP (the worker
  // knows the store's environments, and answers a made-up one without looking further).
  const environment = uniqueKey("late");
  const client = createClient({ url: WORKER, environment, refresh: false, storage: null });
  const remote = createRemoteClient({ url: WORKER, environment, refresh: false, storage: null });
  const seen = events(client);
  const remoteSeen = events(remote);
  await assert.rejects(client.ready(), /404/);
  await assert.rejects(remote.ready(), /404/);
  for (const [c, s] of [
    [client, seen],
    [remote, remoteSeen],
  ]) {
    assert.equal(c.status, "error");
    assert.equal(s.error.length, 1);
    assert.equal(c.isEnabled("new-checkout"), false);
    assert.equal(c.value("banner", "fallback"), "fallback");
    assert.deepEqual(
      { ...c.details("banner", "fallback"), errorMessage: undefined },
      { value: "fallback", variant: null, reason: "ERROR", errorCode: "GENERAL", errorMessage: undefined },
    );
  }

  // An admin adds the environment: the next revalidation finds it.
  const key = uniqueKey("late-flag");
  await changeDocument((doc) => {
    doc.environments.push(environment);
    doc.flags[key] = { ...bannerFlag("hello"), environments: { [environment]: { enabled: true, offVariant: "hello", defaultServe: { variant: "sale" } } } };
    return doc;
  });
  await until("the local client recovers", async () => (await client.refresh(), client.status === "ready"));
  await until("the remote client recovers", async () => (await remote.refresh(), remote.status === "ready"));
  for (const c of [client, remote]) {
    assert.equal(c.value(key, ""), "Sale!");
    assert.equal(c.details("missing", 3).errorCode, "FLAG_NOT_FOUND");
    assert.equal(c.details("missing", 3).value, 3);
    const mismatch = c.details(key, false);
    assert.equal(mismatch.errorCode, "TYPE_MISMATCH");
    assert.equal(mismatch.value, false);
  }
  assert.equal(seen.ready, 1);
  assert.match(client.details(key, false).errorMessage, /string flag/);
  await client.setContext({ targetingKey: 42 });
  const invalid = client.details(key, "x");
  assert.equal(invalid.reason, "ERROR");
  assert.equal(invalid.errorCode, "INVALID_CONTEXT");
  assert.equal(invalid.value, "x", "static flags too: an invalid context is an error for every flag");
  client.close();
  remote.close();
});

test("a snapshot broken in transit: an error event, and the last good one keeps serving", async () => {
  const served = await snapshot("production");
  // The worker's real answer, cut short on the way (a proxy or a lost connection).
  const truncating = async (url, init) => {
    const r = await fetch(url, init);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return new Response(bytes.subarray(0, Math.min(24, bytes.length)), { status: r.status, headers: r.headers });
  };
  const client = createClient({
    url: WORKER,
    environment: "production",
    refresh: false,
    storage: null,
    bootstrap: { snapshot: Buffer.from(served.bytes).toString("base64") },
    fetch: truncating,
  });
  const seen = events(client);
  await client.refresh();
  assert.equal(seen.error.length, 1);
  assert.match(seen.error[0].message, /snapshot/);
  assert.equal(client.value("banner", ""), "Hello");
  client.close();
});

test("remote mode: OFREP bulk with the environment header, ETag/304, setContext asks again", async () => {
  for (const make of [createClient, createRemoteClient]) {
    const f = spyFetch();
    const client = make({ url: WORKER, environment: "production", mode: "remote", context: { targetingKey: "u1" }, refresh: false, storage: null, fetch: f });
    const seen = events(client);
    await client.ready();
    const [first] = f.to("/ofrep/v1/evaluate/flags");
    assert.equal(first.init.method, "POST");
    assert.equal(first.init.headers["X-Burgee-Environment"], "production");
    assert.equal(first.init.headers["Content-Type"], "application/json");
    assert.deepEqual(JSON.parse(first.init.body), { context: { targetingKey: "u1" } });
    assert.equal(first.status, 200);
    assert.equal(client.isEnabled("new-checkout"), false);
    assert.deepEqual(client.value("limits", {}), { items: 10 });
    assert.equal(client.details("banner", "").reason, "STATIC");
    assert.equal(client.details("new-checkout", false).ruleId, undefined);
    assert.equal(client.details("unknown", "d").errorCode, "FLAG_NOT_FOUND");
    assert.equal(client.details("internal-report", true).errorCode, "FLAG_NOT_FOUND", "the edge keeps server-only flags from clients");
    assert.equal(f.to("/v1/snapshot/production").length, 0, "remote mode never loads the snapshot");

    await client.refresh();
    const second = f.to("/ofrep/v1/evaluate/flags")[1];
    assert.equal(second.init.headers["If-None-Match"], first.etag);
    assert.equal(second.status, 304);

    await client.setContext({ targetingKey: "u1", role: "admin" });
    const third = f.to("/ofrep/v1/evaluate/flags")[2];
    assert.equal(third.status, 200);
    assert.equal(third.init.headers["If-None-Match"], undefined, "a new context is a new question");
    assert.equal(client.isEnabled("new-checkout"), true);
    assert.equal(client.details("new-checkout", false).ruleId, "admins", "OFREP metadata carries the rule id");
    assert.deepEqual(base(seen.change.flat()), ["checkout-tips", "new-checkout"]);
    client.close();
  }
});

test("Node hears the change stream (a reader over fetch): a toggle arrives without polling", async () => {
  for (const mode of ["local", "remote"]) {
    const key = uniqueKey(`node-stream-${mode}`);
    await published(await putFlag(key, switchFlag(false)));
    const f = spyFetch();
    const client = createClient({ url: WORKER, environment: "production", mode, context: { targetingKey: "u1" }, refresh: { interval: 0, focus: false }, storage: null, fetch: f });
    await client.ready();
    assert.equal(client.isEnabled(key, true), false);
    await until("the stream is open", () => f.to("/v1/stream/production").some((c) => c.status === 200));
    const stream = f.to("/v1/stream/production")[0];
    assert.equal(stream.init.headers.Accept, "text/event-stream");

    const changed = changeOf(client, key, 3000);
    const start = Date.now();
    await setEnabled(key, true);
    const event = await changed;
    assert.ok(event, `${mode}: no change event for ${key} within 3 s of the write`);
    console.log(`node ${mode}: stream write -> change event ${Date.now() - start} ms`);
    assert.equal(client.isEnabled(key), true);

    client.close();
    assert.equal(stream.init.signal.aborted, true, "close() ends the stream's request");
    const after = f.calls.length;
    await setEnabled(key, false);
    await tick(1000);
    assert.equal(f.calls.length, after, "a closed client made requests");
    assert.equal(client.isEnabled(key), true, "a closed client keeps its last flags");
  }
});

test("Node: a change stream the network drops reconnects and catches up on what it missed", async () => {
  const relay = await startRelay(WORKER);
  try {
    const key = uniqueKey("node-reconnect");
    await published(await putFlag(key, switchFlag(false)));
    const client = createClient({ url: relay.url, environment: "production", refresh: { interval: 0, focus: false }, storage: null });
    const seen = events(client);
    await client.ready();
    await until("the stream is open through the relay", () => relay.streams === 1);

    relay.block(); // the network goes away, the stream with it
    await setEnabled(key, true); // a change the client cannot hear now
    await tick(500);
    assert.equal(client.isEnabled(key, false), false);
    relay.unblock();
    // The reader reconnects after the worker's `retry: 3000`; the worker's first event names
    // the current version, newer than the client's: it revalidates.
    await until("the change made while disconnected arrives", () => client.isEnabled(key, false), { timeout: 10_000 });
    assert.deepEqual(seen.change.filter((c) => c.includes(key)), [[key]]);
    client.close();
    await until("close() closes the stream's connection", () => relay.streams === 0, { timeout: 3000 });
  } finally {
    await relay.close();
  }
});

test("polling: revalidates on its interval (304s), picks up an admin change by itself, and close stops it", async () => {
  const key = uniqueKey("poll-banner");
  await published(await putFlag(key, bannerFlag("hello")));
  const f = spyFetch();
  const client = createClient({ url: WORKER, environment: "production", refresh: { interval: 100, focus: false, stream: false }, storage: null, fetch: f });
  const seen = events(client);
  await client.ready();
  assert.equal(client.value(key, ""), "Hello");
  await until("three revalidations", () => f.to("/v1/snapshot/production").length >= 4, { timeout: 3000 });
  const revalidations = f.to("/v1/snapshot/production").slice(1);
  assert.ok(revalidations.every((c) => c.init.headers["If-None-Match"]), "every revalidation sends the ETag");
  assert.ok(revalidations.some((c) => c.status === 304), "an unchanged snapshot is answered 304");

  // A change through the admin API, heard by nothing but the interval.
  await patchFlag(key, { environments: { production: { defaultServe: { variant: "sale" } } } });
  await until("the polling client sees the change", () => client.value(key, "") === "Sale!", { timeout: 5000 });
  assert.deepEqual(seen.change, [[key]]);
  assert.equal(f.to("/v1/stream/production").length, 0, "no stream was opened");

  client.close();
  await tick(120);
  const after = f.calls.length;
  await tick(400);
  assert.equal(f.calls.length, after, "requests after close");
  assert.equal(client.value(key, ""), "Sale!", "a closed client keeps answering");
});
