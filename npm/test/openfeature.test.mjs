// The OpenFeature web provider with the real @openfeature/web-sdk, in Node, against the real
// edge worker (test/worker.mjs): changes are made through the admin API, and a lost network is
// the TCP relay refusing connections (test/relay.mjs).

import assert from "node:assert/strict";
import { test } from "node:test";

import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { createClient } from "burgee";
import { BurgeeProvider } from "burgee/openfeature";
import { createClient as createRemoteClient } from "burgee/remote";

import { startRelay } from "./relay.mjs";
import { WORKER, bannerFlag, patchFlag, published, putFlag, spyFetch, uniqueKey } from "./worker.mjs";

const next = (client, event) => new Promise((resolve) => client.addHandler(event, resolve));

test("OpenFeature: evaluations, context changes and configuration-changed events", async () => {
  const key = uniqueKey("of-banner");
  await published(await putFlag(key, bannerFlag("hello")));
  const relay = await startRelay(WORKER);
  try {
    await OpenFeature.setContext({ targetingKey: "u1", plan: "free" });
    const provider = new BurgeeProvider(createClient({ url: relay.url, environment: "production", refresh: false, storage: null }));
    await OpenFeature.setProviderAndWait(provider);
    const client = OpenFeature.getClient();

    assert.equal(client.getBooleanValue("new-checkout", true), false);
    assert.deepEqual(client.getObjectValue("limits", {}), { items: 10 });
    const banner = client.getStringDetails("banner", "");
    assert.equal(banner.value, "Hello");
    assert.equal(banner.variant, "hello");
    assert.equal(banner.reason, "STATIC");

    const missing = client.getNumberDetails("no-such-flag", 42);
    assert.equal(missing.value, 42);
    assert.equal(missing.reason, "ERROR");
    assert.equal(missing.errorCode, "FLAG_NOT_FOUND");
    const mismatch = client.getNumberDetails("banner", 1);
    assert.equal(mismatch.value, 1);
    assert.equal(mismatch.errorCode, "TYPE_MISMATCH");

    // The static-context paradigm: a new context re-evaluates (locally, no request).
    await OpenFeature.setContext({ targetingKey: "u1", role: "admin", plan: "pro" });
    const checkout = client.getBooleanDetails("new-checkout", false);
    assert.equal(checkout.value, true);
    assert.equal(checkout.reason, "TARGETING_MATCH");
    assert.deepEqual(checkout.flagMetadata, { ruleId: "admins" });
    assert.deepEqual(client.getObjectValue("limits", {}), { items: 1000 });

    // A change through the admin API: PROVIDER_CONFIGURATION_CHANGED names the flag.
    assert.equal(client.getStringValue(key, ""), "Hello");
    const changed = next(client, ProviderEvents.ConfigurationChanged);
    await published(await patchFlag(key, { environments: { production: { defaultServe: { variant: "sale" } } } }));
    await provider.client.refresh();
    const event = await changed;
    assert.deepEqual(event.flagsChanged, [key]);
    assert.equal(client.getStringValue(key, ""), "Sale!");

    // The network goes away: PROVIDER_STALE, the last flags keep serving; back, with a change
    // made meanwhile: PROVIDER_READY and the new value.
    const stale = next(client, ProviderEvents.Stale);
    relay.block();
    await provider.client.refresh();
    await stale;
    assert.equal(client.getStringValue(key, ""), "Sale!");
    await published(await patchFlag(key, { environments: { production: { defaultServe: { variant: "hello" } } } }));
    const ready = next(client, ProviderEvents.Ready);
    relay.unblock();
    await provider.client.refresh();
    await ready;
    assert.equal(client.getStringValue(key, ""), "Hello");
  } finally {
    await OpenFeature.close();
    await OpenFeature.setContext({});
    await relay.close();
  }
});

test("OpenFeature: remote mode (OFREP) through the same provider", async () => {
  const f = spyFetch();
  try {
    await OpenFeature.setContext({ targetingKey: "u7", role: "admin" });
    await OpenFeature.setProviderAndWait(
      new BurgeeProvider(createRemoteClient({ url: WORKER, environment: "production", refresh: false, storage: null, fetch: f })),
    );
    const client = OpenFeature.getClient();
    assert.equal(client.getBooleanValue("new-checkout", false), true);
    assert.equal(client.getBooleanDetails("new-checkout", false).flagMetadata.ruleId, "admins");
    assert.equal(client.getBooleanDetails("internal-report", true).errorCode, "FLAG_NOT_FOUND", "the edge keeps server-only flags from clients");
    // The provider's initialize() hands OpenFeature's context to the client: the edge was
    // asked with it.
    const asked = f.to("/ofrep/v1/evaluate/flags");
    assert.deepEqual(JSON.parse(asked.at(-1).init.body).context, { targetingKey: "u7", role: "admin" });
    await OpenFeature.setContext({ targetingKey: "u7", role: "member" });
    assert.equal(client.getBooleanValue("new-checkout", true), false);
    assert.equal(f.to("/ofrep/v1/evaluate/flags").length, asked.length + 1, "a context change asks the edge once");
    assert.equal(f.calls.at(-1).status, 200);
  } finally {
    await OpenFeature.close();
    await OpenFeature.setContext({});
  }
});

test("OpenFeature: a provider without flags fails initialization with PROVIDER_ERROR", async () => {
  // An environment the worker has never published: its snapshot is a 404.
  const provider = new BurgeeProvider(createClient({ url: WORKER, environment: uniqueKey("unpublished"), refresh: false, storage: null }));
  const errored = next(OpenFeature.getClient(), ProviderEvents.Error);
  try {
    await assert.rejects(OpenFeature.setProviderAndWait(provider), /404/);
    await errored;
    const details = OpenFeature.getClient().getBooleanDetails("new-checkout", true);
    assert.equal(details.value, true);
    assert.equal(details.reason, "ERROR");
  } finally {
    await OpenFeature.close();
  }
});
