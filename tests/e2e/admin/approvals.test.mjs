// The admin app for a team: the flag list's colour is what people get, not the kill switch; a
// change request's Approve and Reject follow the person's role in the request's environments;
// and an open request page shows what someone else did without a reload.
//
// People: the editor token makes the request (its author); `e2e-prod-viewer` is an editor who
// is only a viewer in production; the admin token approves through the API.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, createBooleanFlag, eventually, example, importDocument, setPolicy, shot, signedIn, tokens, version } from "./harness.mjs";

const ON = "e2e-teams-on";
const OFF = "e2e-teams-enabled-off";
const HELD = "e2e-teams-held";

/** Sessions opened by the tests, closed (and their errors checked) at the end. */
const sessions = [];

async function session(token) {
  const s = await signedIn(token);
  sessions.push(s);
  // The start page settled (the flag list keeps its filter in the address) before a test
  // moves elsewhere.
  await s.page.locator("table.flags").waitFor();
  return s;
}

before(async () => {
  await importDocument(example);
  // Both enabled in production: one serves on to everyone, the other serves its off variant.
  await createBooleanFlag(ON, "E2E teams, on for everyone", { defaultServe: { variant: "on" } });
  await createBooleanFlag(OFF, "E2E teams, enabled yet off", {});
  await createBooleanFlag(HELD, "E2E teams, held for review", {});
});

after(async () => {
  // Other files write to production without approvals.
  await setPolicy({});
  const errors = [];
  for (const s of sessions) errors.push(...(await closeAll(s.browser, s.app, s.page)));
  assert.deepEqual(errors, [], "the pages logged errors");
});

/** The production cell of `key`'s row in the flag list. */
function productionCell(page, key) {
  return page.locator(`tr[data-key="${key}"] td.env-col`).filter({ has: page.locator('[data-env="production"]') });
}

/** The computed colours of a cell's served words and of its switch. */
async function colours(cell) {
  const text = await cell.getByTestId("served").evaluate((e) => getComputedStyle(e).color);
  const knob = await cell.getByRole("switch").evaluate((e) => getComputedStyle(e).backgroundColor);
  return { text, knob };
}

test("the flag list's colour follows what is served: enabled, yet serving off, is not green", async () => {
  const s = await session(tokens.admin);
  const { page, app } = s;
  await page.goto(`${app.url}#/flags`);
  const on = productionCell(page, ON);
  const off = productionCell(page, OFF);
  await off.getByTestId("served").waitFor();
  assert.equal(await on.getByTestId("served").innerText(), "on for everyone");
  assert.equal(await off.getByTestId("served").innerText(), "off for everyone");
  // Both kill switches are on.
  assert.equal(await on.getByRole("switch").getAttribute("aria-checked"), "true");
  assert.equal(await off.getByRole("switch").getAttribute("aria-checked"), "true");
  const green = await colours(on);
  const grey = await colours(off);
  assert.equal(green.text, "rgb(22, 121, 76)", "on for everyone is green");
  assert.equal(green.knob, "rgb(22, 121, 76)");
  assert.notEqual(grey.text, green.text, "its words are not green");
  assert.notEqual(grey.knob, green.knob, "nor is its switch");
  assert.equal(await off.locator(".switch-cell").getAttribute("data-served"), "off");
  await shot(page, "71-list-colours");
});

/** Opens request `id` in `s`'s page, afresh. */
async function openRequest(s, id) {
  await s.page.goto(`${s.app.url}#/requests/${id}`);
  await s.page.reload();
  await s.page.getByTestId("request-status").waitFor();
}

let held;

test("Approve and Reject follow the person's role in the request's environments; its author is told self-approval is not allowed", async () => {
  await setPolicy({ approvals: 1 });
  const flag = (await api("GET", `/flags/${HELD}`)).body.flag;
  flag.environments.production.defaultServe = { variant: "on" };
  const r = await api("PUT", `/flags/${HELD}`, { token: tokens.editor, body: flag, ifMatch: await version() });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  held = r.body.request.id;

  // An editor, yet a viewer in production: neither button, and why.
  const cy = await session(tokens.prodViewer);
  assert.match(await cy.page.getByTestId("who").innerText(), /e2e-prod-viewer\s+editor/);
  await openRequest(cy, held);
  const why = "You are a viewer in production: someone who may change production must review this request.";
  assert.equal(await cy.page.getByRole("button", { name: "Approve" }).isDisabled(), true);
  assert.equal(await cy.page.getByTestId("approve-why").innerText(), why);
  assert.equal(await cy.page.getByRole("button", { name: "Reject" }).isDisabled(), true);
  assert.equal(await cy.page.getByTestId("reject-why").innerText(), why);
  assert.equal(await cy.page.getByRole("button", { name: "Apply" }).isDisabled(), true);
  // The store agrees.
  const refused = await api("POST", `/change-requests/${held}/approve`, { token: tokens.prodViewer, body: {} });
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  await shot(cy.page, "72-request-viewer-in-production");

  // Its author: no Approve that would fail, but may withdraw it.
  const a = await session(tokens.editor);
  await openRequest(a, held);
  assert.equal(await a.page.getByRole("button", { name: "Approve" }).isDisabled(), true);
  assert.equal(await a.page.getByTestId("approve-why").innerText(), "You made this request: someone else must approve it.");
  assert.equal(await a.page.getByRole("button", { name: "Reject" }).isDisabled(), false);
  assert.equal(await a.page.getByTestId("reject-why").count(), 0);
});

test("an open request page shows someone else's approval without a reload, and stops asking once left", async () => {
  assert.ok(held, "the previous test made the request");
  const a = sessions.at(-1);
  const { page, app } = a;
  await openRequest(a, held);
  assert.equal(await page.getByTestId("approvals").innerText(), "0 of 1 approval");
  const asked = [];
  page.on("request", (r) => {
    if (r.url().includes(`/change-requests/${held}`)) asked.push(Date.now());
  });
  // Person B approves through the API, not in this page.
  const approved = await api("POST", `/change-requests/${held}/approve`, { token: tokens.admin, body: { comment: "Fine by me" } });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  await eventually(async () => (await page.getByTestId("approvals").innerText()) === "1 of 1 approval", 12000, "the approval to show");
  assert.match(await page.getByTestId("reviews").innerText(), /e2e-admin[^]*approved[^]*Fine by me/);
  assert.equal(await page.getByRole("button", { name: "Apply" }).isDisabled(), false, "now it can be applied");
  await shot(page, "73-request-followed");

  // Left: no more asking.
  await page.goto(`${app.url}#/flags`);
  await page.locator(`tr[data-key="${HELD}"]`).waitFor();
  const left = Date.now();
  await new Promise((r) => setTimeout(r, 7000));
  assert.deepEqual(asked.filter((t) => t > left), [], "the request is not read after the page was left");
});
