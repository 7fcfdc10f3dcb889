// Four eyes, end to end, with two people: production requires one approval; an editor's save
// there becomes a change request (the store is unchanged), which its author cannot approve;
// someone else approves it; a write made meanwhile makes its base stale, so applying it rebases
// it and asks again; approved again, it is applied, in the store and at the edge. A second
// request is rejected with a comment and changes nothing, and the list filtered in the address
// shows it after a reload. Person A is the editor token, person B the admin token.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, createBooleanFlag, eventually, example, importDocument, setPolicy, ofrep, saveReviewed, shot, signedIn, tokens, version } from "./harness.mjs";

const FLAG = "e2e-four-eyes";
const OTHER = "e2e-four-eyes-other";

/** Person A (editor) and person B (admin), each in a browser of their own. */
let a;
let b;
/** The request A's save made, and the second one, which B rejects. */
let first;
let second;

before(async () => {
  await importDocument(example);
  await createBooleanFlag(FLAG, "E2E four eyes", {});
  await createBooleanFlag(OTHER, "E2E four eyes, the other flag", {});
  await setPolicy({ approvals: 1 });
  a = await signedIn(tokens.editor);
  b = await signedIn(tokens.admin);
});

after(async () => {
  // Other files write to production without approvals.
  await setPolicy({});
  const errors = [...(await closeAll(a?.browser, a?.app, a?.page)), ...(await closeAll(b?.browser, b?.app, b?.page))];
  assert.deepEqual(errors, [], "the pages logged errors");
});

/** `who`'s page on request `id`, loaded afresh (the other person may have acted since). */
async function openRequest(who, id) {
  await who.page.goto(`${who.app.url}#/requests/${id}`);
  await who.page.reload();
  await who.page.getByTestId("request-status").waitFor();
}

/** The address's fragment becomes `hash` (the list replaces it in place as its filter changes). */
async function hashIs(page, hash) {
  await eventually(async () => (await page.evaluate(() => location.hash)) === hash, 10000, `the address to be ${hash}`);
}

async function stored(key) {
  return (await api("GET", `/flags/${key}`)).body.flag;
}

test("a save in an environment that requires approval becomes a change request; its author cannot approve it", async () => {
  const { page, app } = a;
  const before = await version();
  await page.goto(`${app.url}#/flags/${FLAG}`);
  await page.locator("#editor-title").waitFor();
  await page.getByRole("tab", { name: /production/ }).click();
  await page.getByRole("region", { name: "Everyone else" }).getByLabel("Variant", { exact: true }).selectOption("on");
  await saveReviewed(page);
  const notice = page.locator(".notice.info").filter({ hasText: "Change request" });
  await notice.waitFor();
  const text = await notice.innerText();
  const [, id] = text.match(/Change request #(\d+) created: needs 1 approval/) ?? [];
  assert.ok(id, `the notice names the request: ${text}`);
  first = Number(id);
  await shot(page, "60-request-created");
  assert.equal(await version(), before, "nothing was written");
  assert.equal((await stored(FLAG)).environments.production.defaultServe.variant, "off");
  // The editor does not take it for saved: the edit is still there, unsaved.
  await page.getByText("Unsaved changes").waitFor();
  assert.equal(await page.getByRole("region", { name: "Everyone else" }).getByLabel("Variant", { exact: true }).inputValue(), "on");

  // The notice's link opens the request (leaving the editor asks about the draft first).
  await notice.getByRole("link", { name: `Open change request #${first}` }).click();
  const dialog = page.locator("dialog.confirm[open]");
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Drop changes" }).click();
  await page.waitForURL((url) => url.hash === `#/requests/${first}`);
  await page.getByTestId("request-status").waitFor();
  assert.equal(await page.getByTestId("request-status").innerText(), "open");
  assert.equal(await page.getByTestId("request-author").innerText(), "e2e-editor");
  assert.equal(await page.getByTestId("request-base").innerText(), String(before));
  assert.equal(await page.getByTestId("approvals").innerText(), "0 of 1 approval");
  assert.equal(await page.getByTestId("request-flags").getByRole("link", { name: FLAG }).getAttribute("href"), `#/flags/${FLAG}`);
  // What it changes: the default's variant, off → on.
  const row = page.locator(`[data-pointer="/flags/${FLAG}/environments/production/defaultServe/variant"]`);
  assert.match(await row.innerText(), /off[^]*on/);
  // Its author cannot approve it: the button says why, and the store refuses it too.
  assert.equal(await page.getByRole("button", { name: "Approve" }).isDisabled(), true);
  assert.equal(await page.getByTestId("approve-why").innerText(), "You made this request: someone else must approve it.");
  const self = await api("POST", `/change-requests/${first}/approve`, { token: tokens.editor, body: {} });
  assert.equal(self.status, 403);
  assert.equal(self.body.error.code, "self_approval");
  assert.equal(await page.getByRole("button", { name: "Apply" }).isDisabled(), true, "not approved yet");
  assert.match(await page.getByTestId("apply-why").innerText(), /needs 1 more approval/);
  await shot(page, "61-request-author");
});

test("someone else approves; a write since makes the base stale, so Apply rebases it and asks again; approved again, it is applied", async () => {
  assert.ok(first, "the first test made the request");
  await openRequest(b, first);
  await b.page.getByLabel("Comment (optional)").fill("Looks right");
  await b.page.getByRole("button", { name: "Approve" }).click();
  await eventually(async () => (await b.page.getByTestId("approvals").innerText()) === "1 of 1 approval", 10000, "the approval");
  assert.match(await b.page.getByTestId("reviews").innerText(), /e2e-admin[^]*approved[^]*Looks right/);

  // Meanwhile someone renames the other flag: nothing production serves, so it is written.
  const other = await stored(OTHER);
  const renamed = await api("PUT", `/flags/${OTHER}`, { body: { ...other, name: "Renamed meanwhile" }, ifMatch: await version() });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  const current = renamed.body.version;

  await openRequest(a, first);
  const base = Number(await a.page.getByTestId("request-base").innerText());
  assert.ok(base < current);
  await a.page.getByRole("button", { name: "Apply" }).click();
  const refusal = a.page.getByTestId("apply-error");
  await eventually(async () => (await refusal.innerText()).length > 0, 10000, "the refusal");
  assert.equal(
    await refusal.innerText(),
    `Version ${base} changed since; the request was rebased onto ${current} and needs its approvals again.`,
  );
  await eventually(async () => (await a.page.getByTestId("request-base").innerText()) === String(current), 10000, "the rebased request");
  assert.equal(await a.page.getByTestId("approvals").innerText(), "0 of 1 approval");
  assert.equal((await stored(FLAG)).environments.production.defaultServe.variant, "off", "not applied");
  await shot(a.page, "62-request-rebased");

  await openRequest(b, first);
  await b.page.getByLabel("Comment (optional)").fill("Still right");
  await b.page.getByRole("button", { name: "Approve" }).click();
  await eventually(async () => (await b.page.getByTestId("approvals").innerText()) === "1 of 1 approval", 10000, "the second approval");

  await openRequest(a, first);
  await a.page.getByRole("button", { name: "Apply" }).click();
  const applied = a.page.locator(".notice.success").filter({ hasText: `Applied change request #${first}` });
  await applied.waitFor();
  const [, made] = (await applied.innerText()).match(/as version (\d+)/) ?? [];
  assert.equal(Number(made), await version());
  await eventually(async () => (await a.page.getByTestId("request-status").innerText()) === "applied", 10000, "the request applied");
  assert.equal((await stored(FLAG)).environments.production.defaultServe.variant, "on");
  assert.equal((await stored(OTHER)).name, "Renamed meanwhile", "the write made meanwhile stays");
  await eventually(async () => (await ofrep(FLAG, { targetingKey: "four-eyes-1" })).body.value === true, 15000, "the edge to serve the applied change");
  await shot(a.page, "63-request-applied");
});

test("a rejected request needs a comment and changes nothing; the list filtered in the address shows it after a reload", async () => {
  const flag = await stored(FLAG);
  const before = await version();
  const off = structuredClone(flag);
  off.environments.production.defaultServe = { variant: "off" };
  const held = await api("PUT", `/flags/${FLAG}`, { token: tokens.editor, body: off, ifMatch: before });
  assert.equal(held.status, 202, JSON.stringify(held.body));
  second = held.body.request.id;

  await openRequest(b, second);
  await b.page.getByRole("button", { name: "Reject" }).click();
  assert.match(await b.page.getByTestId("reject-error").innerText(), /rejection needs a comment/);
  await b.page.getByLabel("Why reject it (required)").fill("Not during the sale");
  await b.page.getByRole("button", { name: "Reject" }).click();
  await eventually(async () => (await b.page.getByTestId("request-status").innerText()) === "rejected", 10000, "the rejection");
  assert.match(await b.page.getByTestId("reviews").innerText(), /rejected[^]*Not during the sale/);
  assert.equal(await version(), before, "a rejection writes nothing");
  assert.equal((await stored(FLAG)).environments.production.defaultServe.variant, "on");

  const { page, app } = b;
  await page.goto(`${app.url}#/requests?status=rejected`);
  await page.reload();
  const rows = page.getByTestId("requests").locator("tbody tr");
  await rows.first().waitFor();
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id)));
  assert.ok(ids.includes(second), `the rejected request is listed: ${ids}`);
  assert.ok(!ids.includes(first), "the applied one is not");
  assert.equal(await page.getByLabel("Status", { exact: true }).inputValue(), "rejected");
  assert.equal(await page.locator(`tr[data-id="${second}"] a`).getAttribute("href"), `#/requests/${second}`);
  // Filtering by flag changes the address, which can be shared.
  await page.getByLabel("Flag", { exact: true }).fill(FLAG);
  await page.getByLabel("Flag", { exact: true }).press("Enter");
  await hashIs(page, `#/requests?status=rejected&flag=${FLAG}`);
  await page.getByLabel("Status", { exact: true }).selectOption("");
  await hashIs(page, `#/requests?flag=${FLAG}`);
  await eventually(async () => (await rows.count()) === 2, 10000, "both requests about the flag");
  // The policy heads the page: admins may change it, editors only read it.
  assert.match(await page.locator('tr[data-env="production"] [data-testid="policy"]').innerText(), /^1 approval/);
  await shot(page, "64-requests-list");
  await a.page.goto(`${a.app.url}#/requests`);
  await a.page.locator('tr[data-env="production"] [data-testid="policy"]').waitFor();
  assert.equal(await a.page.getByRole("button", { name: /Save the policy/ }).count(), 0);
});
