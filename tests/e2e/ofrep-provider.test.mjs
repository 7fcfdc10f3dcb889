// The stock OpenFeature OFREP web provider, unchanged, against the running worker
// (BURGEE_URL, started by `cargo xtask test`): every kind of flag and its reason must come
// through as the worker evaluated them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OpenFeature } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const baseUrl = process.env.BURGEE_URL;
if (!baseUrl) throw new Error('BURGEE_URL is not set');

let client;

before(async () => {
  // BURGEE_KEY: the worker requires evaluation keys; the provider sends one as OFREP's
  // ApiKeyAuth scheme does.
  const headers = [['X-Burgee-Environment', 'production']];
  if (process.env.BURGEE_KEY) headers.push(['X-API-Key', process.env.BURGEE_KEY]);
  const provider = new OFREPWebProvider({ baseUrl, headers });
  await OpenFeature.setContext({ targetingKey: 'user-1', role: 'admin', orgId: 'org-1042', plan: 'pro', appVersion: '4.2.0' });
  await OpenFeature.setProviderAndWait(provider);
  client = OpenFeature.getClient();
});

after(async () => {
  await OpenFeature.close();
});

test('a boolean flag with its rule match', () => {
  const d = client.getBooleanDetails('outbound_calling', false);
  assert.equal(d.value, true);
  assert.equal(d.variant, 'on');
  assert.equal(d.reason, 'TARGETING_MATCH');
  assert.equal(d.flagMetadata.ruleId, 'admins-and-premium');
  assert.equal(d.errorCode, undefined);
});

test('a string flag from a split', () => {
  const d = client.getStringDetails('checkout-button-color', 'none');
  assert.notEqual(d.value, 'none');
  assert.equal(typeof d.value, 'string');
  assert.equal(d.reason, 'SPLIT');
});

test('a number flag', () => {
  const d = client.getNumberDetails('max-upload-mb', -1);
  assert.equal(typeof d.value, 'number');
  assert.ok(d.value > 0);
  assert.ok(['TARGETING_MATCH', 'DEFAULT', 'STATIC'].includes(d.reason), d.reason);
});

test('an object flag', () => {
  const d = client.getObjectDetails('onboarding-config', {});
  assert.equal(typeof d.value, 'object');
  assert.ok(Array.isArray(d.value.steps), JSON.stringify(d.value));
});

test('a disabled flag gives its off variant, reason DISABLED', () => {
  const d = client.getBooleanDetails('ai_voice_cloning', true);
  assert.equal(d.value, false);
  assert.equal(d.reason, 'DISABLED');
});

test('a failed prerequisite keeps its reason and names the prerequisite', () => {
  const d = client.getBooleanDetails('advanced-ai-features', true);
  assert.equal(d.value, false);
  assert.equal(d.reason, 'PREREQUISITE_FAILED');
  assert.ok(typeof d.flagMetadata.prerequisite === 'string');
});

test('an unknown flag gives the default with FLAG_NOT_FOUND', () => {
  const d = client.getBooleanDetails('no-such-flag', true);
  assert.equal(d.value, true);
  assert.equal(d.reason, 'ERROR');
  assert.equal(d.errorCode, 'FLAG_NOT_FOUND');
});

test('asking for the wrong type gives the default with TYPE_MISMATCH', () => {
  const d = client.getStringDetails('outbound_calling', 'fallback');
  assert.equal(d.value, 'fallback');
  assert.equal(d.errorCode, 'TYPE_MISMATCH');
});

test('a new context is evaluated again by the worker', async () => {
  await OpenFeature.setContext({ targetingKey: 'user-2', role: 'member', plan: 'free' });
  const d = client.getBooleanDetails('outbound_calling', true);
  assert.equal(d.value, false);
  assert.notEqual(d.reason, 'TARGETING_MATCH');
});
