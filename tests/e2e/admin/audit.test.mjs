// The audit page: the store's whole audit log, across flags and segments, for a team asking who
// changed what, where and when. Two people (the editor and the admin token) change two flags in
// two environments; the page, reached from the navigation, filters the log by person, by
// environment, by flag and by time, each filter in the address, and a reload of the address
// shows the same list.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, eventually, example, importDocument, shot, signedIn, tokens, version } from "./harness.mjs";

const EDITED = "e2e-audit-editor";
const ADMINED = "e2e-audit-admin";
const REASON = "Turning it off for the audit test";

let s;
/** The minute the changes began in, as a `datetime-local` value (UTC). */
let minute;

async function toggle(key, environment, enabled, token, reason) {
  const r = await api("POST", `/flags/${key}/toggle`, { token, body: { environment, enabled }, ifMatch: await version(), reason });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

before(async () => {
  await importDocument(example);
  minute = new Date().toISOString().slice(0, 16);
  for (const [key, name] of [[EDITED, "E2E audit, the editor's"], [ADMINED, "E2E audit, the admin's"]]) {
    const settings = { enabled: false, offVariant: "off", defaultServe: { variant: "on" } };
    const flag = { name, kind: "boolean", variants: { on: true, off: false }, environments: { staging: settings, production: { ...settings, enabled: true } } };
    const r = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version() });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  // The editor switches one flag on in staging; the admin switches the other off in production.
  await toggle(EDITED, "staging", true, tokens.editor);
  await toggle(ADMINED, "production", false, tokens.admin, REASON);
  s = await signedIn(tokens.admin);
});

after(async () => {
  const errors = await closeAll(s?.browser, s?.app, s?.page);
  assert.deepEqual(errors, [], "the pages logged errors");
});

/** The rows on screen: `{ actor, action, target, text }`. */
async function rows(page) {
  try {
    // A cold page fetches the app and the page's module first.
    await page.getByTestId("audit").or(page.getByTestId("no-audit")).first().waitFor({ timeout: 20000 });
  } catch (e) {
    await shot(page, "70-audit-missing");
    throw new Error(`${e.message}\nOn screen: ${await page.locator("body").innerText()}`);
  }
  return page.getByTestId("audit").locator("tbody tr").evaluateAll((trs) =>
    trs.map((tr) => ({ actor: tr.dataset.actor, action: tr.dataset.action, target: tr.dataset.target, text: tr.innerText })),
  );
}

async function hashIs(page, hash) {
  await eventually(async () => (await page.evaluate(() => location.hash)) === hash, 10000, `the address to be ${hash}`);
}

/** Waits until the rows on screen satisfy `check`, and returns them. */
async function rowsUntil(page, check, what) {
  return eventually(async () => {
    const now = await rows(page);
    return check(now) ? now : null;
  }, 25000, what);
}

async function typeFilter(page, label, value) {
  const field = page.getByLabel(label, { exact: true });
  await field.fill(value);
  await field.press("Enter");
}

test("the audit page filters the whole log by person, environment and flag, in the address; a reload shows the same list", async () => {
  const { page, app } = s;
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Audit" }).click();
  await page.waitForURL((url) => url.hash === "#/audit");
  // Unfiltered: both people's changes, newest first, with what they changed.
  const all = await rows(page);
  const admin = all.findIndex((r) => r.target === `flags/${ADMINED}` && r.action === "toggle");
  const editor = all.findIndex((r) => r.target === `flags/${EDITED}` && r.action === "toggle");
  assert.ok(admin >= 0 && editor > admin, `both toggles, the admin's first: ${JSON.stringify(all.slice(0, 6))}`);
  assert.match(all[admin].text, new RegExp(`e2e-admin[^]*toggle[^]*${ADMINED}[^]*Why: ${REASON}`));

  // By person: only the editor's entries.
  await typeFilter(page, "Person", "e2e-editor");
  await hashIs(page, "#/audit?actor=e2e-editor");
  const mine = await rowsUntil(page, (r) => r.length > 0 && r.every((e) => e.actor === "e2e-editor"), "the editor's entries");
  assert.ok(mine.some((r) => r.target === `flags/${EDITED}` && r.action === "toggle"));
  assert.ok(!mine.some((r) => r.target === `flags/${ADMINED}` && r.action === "toggle"));

  // By environment (and person): the editor changed nothing in production.
  await page.getByLabel("Environment", { exact: true }).selectOption("production");
  await hashIs(page, "#/audit?actor=e2e-editor&env=production");
  await rowsUntil(page, (r) => !r.some((e) => e.target === `flags/${EDITED}` && e.action === "toggle"), "no staging toggle in production");
  // Environment alone: the admin's production toggle, not the editor's staging one.
  await typeFilter(page, "Person", "");
  await hashIs(page, "#/audit?env=production");
  const production = await rowsUntil(page, (r) => r.some((e) => e.target === `flags/${ADMINED}` && e.action === "toggle"), "the production toggle");
  assert.ok(!production.some((r) => r.target === `flags/${EDITED}` && r.action === "toggle"), "the staging toggle is not production's");

  // By flag: its entries only (its creation, then its toggle).
  await page.getByLabel("Environment", { exact: true }).selectOption("");
  await typeFilter(page, "Flag", EDITED);
  await hashIs(page, `#/audit?flag=${EDITED}`);
  const flag = await rowsUntil(page, (r) => r.length === 2, "the flag's two entries");
  assert.deepEqual(flag.map((r) => [r.action, r.actor]), [["toggle", "e2e-editor"], ["create", "e2e-admin"]]);

  // And time: until the minute of the changes, neither is there; from it, until an hour later,
  // both.
  const later = new Date(Date.parse(`${minute}:00Z`) + 3600e3).toISOString().slice(0, 16);
  await typeFilter(page, "Until (UTC)", minute);
  await hashIs(page, `#/audit?flag=${EDITED}&to=${encodeURIComponent(minute)}`);
  await page.getByTestId("no-audit").waitFor();
  await typeFilter(page, "From (UTC)", minute);
  await typeFilter(page, "Until (UTC)", later);
  await rowsUntil(page, (r) => r.length === 2, "the flag's entries within the hour");
  await shot(page, "70-audit-filtered");

  // The address is the list: a reload (or a shared link) shows the same.
  const hash = await page.evaluate(() => location.hash);
  assert.equal(hash, `#/audit?flag=${EDITED}&from=${encodeURIComponent(minute)}&to=${encodeURIComponent(later)}`);
  await page.reload();
  const again = await rowsUntil(page, (r) => r.length === 2, "the same list after a reload");
  assert.deepEqual(again, flag);
  assert.equal(await page.getByLabel("Flag", { exact: true }).inputValue(), EDITED);
  assert.equal(await page.getByLabel("From (UTC)", { exact: true }).inputValue(), minute);

  const shared = `${app.url}#/audit?actor=e2e-editor&env=staging`;
  await page.goto(shared);
  await page.reload();
  const staging = await rowsUntil(page, (r) => r.some((e) => e.target === `flags/${EDITED}`), "the shared link's list");
  assert.ok(staging.every((r) => r.actor === "e2e-editor"));
  assert.equal(await page.getByLabel("Person", { exact: true }).inputValue(), "e2e-editor");
  assert.equal(await page.getByLabel("Environment", { exact: true }).inputValue(), "staging");
});

test("someone who is not an admin reads the log but cannot filter it by person", async () => {
  const v = await signedIn(tokens.viewer);
  try {
    // The start page settled (the flag list keeps its filter in the address) before moving on.
    await v.page.locator("table.flags").waitFor();
    await v.page.goto(`${v.app.url}#/audit?env=staging`);
    await v.page.reload();
    const staging = await rowsUntil(v.page, (r) => r.some((e) => e.target === `flags/${EDITED}`), "the viewer's list");
    assert.ok(staging.length > 0);
    assert.equal(await v.page.getByLabel("Person", { exact: true }).count(), 0);
    await v.page.getByText("Only admins can filter by person.").waitFor();
  } finally {
    assert.deepEqual(await closeAll(v.browser, v.app, v.page), [], "the viewer's page logged errors");
  }
});
