// The OpenFeature web provider with the real @openfeature/web-sdk, in Node.

import assert from "node:assert/strict";
import { test } from "node:test";

import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { createClient } from "burgee";
import { BurgeeProvider } from "burgee/openfeature";
import { createClient as createRemoteClient } from "burgee/remote";

import { startServer } from "./server.mjs";

const next = (client, event) => new Promise((resolve) => client.addHandler(event, resolve));

test("OpenFeature: evaluations, context changes and configuration-changed events", async () => {
  const server = await startServer();
  try {
    await OpenFeature.setContext({ targetingKey: "u1", plan: "free" });
    const provider = new BurgeeProvider(createClient({ url: server.url, environment: "production", refresh: false, storage: null }));
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

    // A change at the server: PROVIDER_CONFIGURATION_CHANGED names the flags.
    const changed = next(client, ProviderEvents.ConfigurationChanged);
    server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "sale" }));
    await provider.client.refresh();
    const event = await changed;
    assert.deepEqual(event.flagsChanged, ["banner"]);
    assert.equal(client.getStringValue("banner", ""), "Sale!");

    // A failed refresh: PROVIDER_STALE, the last flags keep serving; recovery: PROVIDER_READY.
    const stale = next(client, ProviderEvents.Stale);
    server.state.fail = true;
    await provider.client.refresh();
    await stale;
    assert.equal(client.getStringValue("banner", ""), "Sale!");
    const ready = next(client, ProviderEvents.Ready);
    server.state.fail = false;
    server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "hello" }));
    await provider.client.refresh();
    await ready;
    assert.equal(client.getStringValue("banner", ""), "Hello");
  } finally {
    await OpenFeature.close();
    await OpenFeature.setContext({});
    await server.close();
  }
});

test("OpenFeature: remote mode (OFREP) through the same provider", async () => {
  const server = await startServer();
  try {
    await OpenFeature.setContext({ targetingKey: "u7", role: "admin" });
    await OpenFeature.setProviderAndWait(
      new BurgeeProvider(createRemoteClient({ url: server.url, environment: "production", refresh: false, storage: null })),
    );
    const client = OpenFeature.getClient();
    assert.equal(client.getBooleanValue("new-checkout", false), true);
    assert.equal(JSON.parse(server.requests("/ofrep/v1/evaluate/flags")[0].body).context.role, "admin");
    await OpenFeature.setContext({ targetingKey: "u7", role: "member" });
    assert.equal(client.getBooleanValue("new-checkout", true), false);
    assert.equal(server.requests("/ofrep/v1/evaluate/flags").length, 2);
  } finally {
    await OpenFeature.close();
    await OpenFeature.setContext({});
    await server.close();
  }
});

test("OpenFeature: a provider without flags fails initialization with PROVIDER_ERROR", async () => {
  const server = await startServer();
  server.state.fail = true;
  try {
    const provider = new BurgeeProvider(createClient({ url: server.url, environment: "production", refresh: false, storage: null }));
    await assert.rejects(OpenFeature.setProviderAndWait(provider));
    const client = OpenFeature.getClient();
    const details = client.getBooleanDetails("new-checkout", true);
    assert.equal(details.value, true);
    assert.equal(details.reason, "ERROR");
  } finally {
    await OpenFeature.close();
    await server.close();
  }
});
