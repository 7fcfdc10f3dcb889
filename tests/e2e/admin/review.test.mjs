// Reviewed changes: every save shows what it changes in words before it writes, with a reason
// that the history and the audit log keep; a protected environment's change needs one. The
// review's words are checked against what the store itself says changed (`GET /diff`), so the
// review cannot pass by only looking right. `cargo xtask admin` protects `e2e-protected`
// (`PROTECTED_ENVIRONMENTS`), an environment only this file's document has.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, eventually, example, importDocument, saveReviewed, shot, signedIn, tokens, version } from "./harness.mjs";

let browser;
let app;
let page;

const PROTECTED = "e2e-protected";
const FLAG = "ai_voice_cloning"; // off in production in the example

before(async () => {
  const document = structuredClone(example);
  document.environments.push(PROTECTED);
  document.flags[FLAG].environments[PROTECTED] = { enabled: false, offVariant: "off", defaultServe: { variant: "off" } };
  await importDocument(document, { reason: "e2e: a protected environment for the review tests" });
  ({ app, browser, page } = await signedIn(tokens.admin));
});

after(async () => {
  // Removing the protected environment changes it too: the next file starts from the example.
  await importDocument(example, { reason: "e2e: back to the example" });
  assert.deepEqual(await closeAll(browser, app, page), [], "the page logged errors");
});

async function openFlag(key, tab) {
  for (const route of ["#/flags", `#/flags/${key}`]) await page.goto(`${app.url}${route}`);
  await page.locator("#editor-title").waitFor();
  if (tab) await page.getByRole("tab", { name: tab }).click();
}

/** The history page, with the app at the store's version (so that its Restore buttons are). */
async function atHistory() {
  await page.goto(`${app.url}#/history`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  const current = await version();
  await eventually(async () => (await page.getByTestId("doc-version").innerText()).trim() === `version ${current}`, 10000, "the app at the store's version");
  await page.locator(`tr[data-version="${current}"]`).waitFor();
}

/** The lines of the open review. */
async function reviewLines() {
  const review = page.getByTestId("review");
  await review.waitFor();
  return review.getByTestId("review-line").allInnerTexts();
}

/** Which line of the review words a change at `field` (a pointer below the flag's). */
const WORDED = [
  [/^name$/, /^name "/],
  [/^description$/, /^description changed$/],
  [/^environments\/production\/enabled$/, /^production: kill switch off → on$/],
];

test("the review says in words what the store's diff says changed, and its reason is kept", async () => {
  const from = await version();
  await openFlag(FLAG, /^Settings/);
  await page.locator("#flag-name").fill("AI voice cloning (reviewed)");
  await page.getByLabel("Description").fill("Reviewed before it was saved");
  await page.getByRole("tab", { name: /production/ }).click();
  await page.getByLabel(/Enabled \(the kill switch\)/).check();
  await page.getByTestId("save").click();
  // The kill switch still asks first; the review comes after it, before anything is written.
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Turn ${FLAG} on in production?`).waitFor();
  await dialog.getByRole("button", { name: "Save", exact: true }).click();
  const lines = await reviewLines();
  assert.equal(await version(), from, "the review writes nothing");
  await shot(page, "30-review");

  const reason = "e2e: voice cloning goes live — ✓ reviewed";
  await page.getByTestId("review-reason").fill(reason);
  await page.getByTestId("review-confirm").click();
  await page.locator(".notice.success").last().waitFor();
  const to = await version();
  assert.equal(to, from + 1);

  const diff = await api("GET", `/diff?from=${from}&to=${to}`);
  assert.equal(diff.status, 200, JSON.stringify(diff.body));
  const prefix = `/flags/${FLAG}/`;
  const fields = diff.body.changes
    .map((c) => c.pointer)
    .filter((p) => p.startsWith(prefix))
    .map((p) => p.slice(prefix.length))
    .filter((f) => !["updatedAt", "updatedBy"].includes(f));
  assert.equal(diff.body.changes.filter((c) => !c.pointer.startsWith(prefix)).length, 0, JSON.stringify(diff.body));
  assert.deepEqual(fields.sort(), ["description", "environments/production/enabled", "name"], JSON.stringify(diff.body));
  // One line for each field the store changed, and no other line.
  assert.equal(lines.length, fields.length, JSON.stringify(lines));
  for (const field of fields) {
    const [, worded] = WORDED.find(([f]) => f.test(field));
    assert.ok(lines.some((l) => worded.test(l)), `no line for ${field}: ${JSON.stringify(lines)}`);
  }

  const history = await api("GET", "/history");
  const entry = history.body.versions.find((v) => v.version === to);
  assert.equal(entry.reason, reason);
  assert.match(entry.summary, /^updated flag `ai_voice_cloning`: name "AI voice cloning" → "AI voice cloning \(reviewed\)"; description changed; production: kill switch off → on$/);
  const audit = await api("GET", `/audit?flag=${FLAG}&limit=1`);
  assert.equal(audit.body.entries[0].reason, reason);
  assert.equal(audit.body.entries[0].version, to);
});

test("a protected environment's change is refused without a reason, at the reason field", async () => {
  await openFlag(FLAG, new RegExp(PROTECTED));
  await page.getByLabel(/Enabled \(the kill switch\)/).check();
  const from = await version();
  await page.getByTestId("save").click();
  await page.getByRole("dialog").getByRole("button", { name: "Save", exact: true }).click();
  assert.deepEqual(await reviewLines(), [`${PROTECTED}: kill switch off → on`]);
  await page.getByTestId("review-confirm").click();
  const problem = page.getByTestId("review-reason-problem");
  await problem.getByText(/protected/).waitFor();
  assert.equal(await version(), from, "nothing written");
  await shot(page, "31-review-reason-required");
  await page.getByTestId("review-reason").fill("e2e: switched on where it is protected");
  await page.getByTestId("review-confirm").click();
  await page.locator(".notice.success").last().waitFor();
  assert.equal(await version(), from + 1);
  const audit = await api("GET", `/audit?flag=${FLAG}&limit=1`);
  assert.equal(audit.body.entries[0].reason, "e2e: switched on where it is protected");
});

test("the list's kill switch in a protected environment asks for the reason the store requires, and keeps it", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  const from = await version();
  await eventually(async () => (await page.getByTestId("doc-version").innerText()).trim() === `version ${from}`, 10000, "the app at the store's version");
  const toggle = page.getByRole("switch", { name: `${FLAG} in ${PROTECTED}` });
  assert.equal(await toggle.getAttribute("aria-checked"), "true", "switched on by the test before");
  await toggle.click();
  // Refused without a reason: the question comes, with a reason field, and nothing is written.
  const dialog = page.getByRole("dialog");
  await dialog.getByTestId("confirm-reason").waitFor();
  assert.equal(await version(), from, "nothing written without a reason");
  await dialog.getByTestId("confirm-reason").fill("e2e: off again from the list");
  await dialog.getByRole("button", { name: "Turn off", exact: true }).click();
  await eventually(async () => (await version()) === from + 1, 10000, "the switch written with its reason");
  const audit = await api("GET", `/audit?flag=${FLAG}&limit=1`);
  assert.equal(audit.body.entries[0].reason, "e2e: off again from the list");
  assert.equal((await api("GET", `/flags/${FLAG}`)).body.flag.environments[PROTECTED].enabled, false);
});

test("a segment's save is reviewed too, and an edit closes the review", async () => {
  const segment = Object.keys(example.segments)[0];
  await page.goto(`${app.url}#/segments/${segment}`);
  await page.getByTestId("save").waitFor();
  await page.getByLabel("Description").fill("Reviewed");
  await page.getByTestId("save").click();
  assert.deepEqual(await reviewLines(), ["description changed"]);
  // The review words the draft it was opened for: an edit closes it.
  await page.getByLabel("Description").fill("Reviewed segment");
  await page.getByTestId("review").waitFor({ state: "hidden" });
  await saveReviewed(page, { reason: "e2e: segment words" });
  await page.locator(".notice.success:not([data-seen])").last().waitFor();
  const entry = (await api("GET", "/history")).body.versions[0];
  assert.equal(entry.summary, `updated segment \`${segment}\`: description changed`);
  assert.equal(entry.reason, "e2e: segment words");
});

test("history: a version's diff reads in words, with its reason; Restore lists what it creates, removes and changes", async () => {
  const before = await version();
  const flag = { name: "E2E after", kind: "boolean", variants: { on: true, off: false } };
  const put = await api("PUT", "/flags/e2e-after", { body: flag, ifMatch: before, reason: "e2e: made after" });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const made = put.body.version;
  await atHistory();
  const row = page.locator(`tr[data-version="${made}"]`);
  await row.getByTestId("reason").getByText("e2e: made after").waitFor();
  await row.getByRole("button", { name: "What changed" }).click();
  const diff = page.locator(`[data-testid="diff"][data-to="${made}"]`);
  await diff.waitFor();
  const group = diff.locator("section.diff-group", { hasText: "flag e2e-after" });
  assert.deepEqual(await group.getByTestId("diff-words").locator("li").allInnerTexts(), ["created"]);
  // The pointers are still there, under the words.
  assert.ok((await group.locator("tr[data-pointer]").count()) > 0);
  await shot(page, "32-history-in-words");

  await page.locator(`tr[data-version="${before}"]`).getByRole("button", { name: "Restore" }).click();
  const dialog = page.getByRole("dialog");
  const list = dialog.getByTestId("confirm-list");
  await list.waitFor();
  assert.deepEqual(await list.locator("li").allInnerTexts(), ["removes flag e2e-after"]);
  await shot(page, "33-restore-lists");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await version(), made, "cancel restores nothing");
});

test("per-flag revert: one flag comes back as it was in a version, a flag changed later stays as it is", async () => {
  // A new flag is in every environment's snapshot, the protected one too: each write says why.
  const [x, y] = ["e2e-revert-x", "e2e-revert-y"];
  const put = async (key, description) => {
    const flag = { kind: "boolean", variants: { on: true, off: false }, description };
    const r = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version(), reason: "e2e: revert fixture" });
    assert.ok([200, 201].includes(r.status), JSON.stringify(r.body));
    return r.body.version;
  };
  await put(x, "one");
  const kept = await put(y, "first");
  const changed = await put(x, "two");
  await put(y, "later");

  await atHistory();
  await page.locator(`tr[data-version="${changed}"]`).getByRole("button", { name: "What changed" }).click();
  const diff = page.locator(`[data-testid="diff"][data-to="${changed}"]`);
  await diff.waitFor();
  await diff.getByRole("button", { name: `Restore flag ${x} as it was in version ${kept}` }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Restore flag ${x} as it was in version ${kept}?`).waitFor();
  assert.deepEqual(await dialog.getByTestId("confirm-list").locator("li").allInnerTexts(), ["description changed"]);
  await dialog.getByTestId("confirm-reason").fill("e2e: back to one");
  await shot(page, "34-revert-one-flag");
  await dialog.getByRole("button", { name: "Restore", exact: true }).click();
  await page.locator(".notice.success", { hasText: `Restored flag ${x} as it was in version ${kept}` }).waitFor();

  assert.equal((await api("GET", `/flags/${x}`)).body.flag.description, "one", "the flag is back");
  assert.equal((await api("GET", `/flags/${y}`)).body.flag.description, "later", "the other flag stays");
  const entry = (await api("GET", "/history")).body.versions[0];
  assert.match(entry.summary, new RegExp(`^reverted flag \`${x}\` to version ${kept}`));
  assert.equal(entry.reason, "e2e: back to one");
});

test("per-segment revert: the segment comes back as it was in a version", async () => {
  const key = "e2e-revert-s";
  const put = async (include) => {
    const r = await api("PUT", `/segments/${key}`, { body: { include }, ifMatch: await version() });
    assert.ok([200, 201].includes(r.status), JSON.stringify(r.body));
    return r.body.version;
  };
  const kept = await put(["a"]);
  const changed = await put(["a", "b"]);
  await atHistory();
  await page.locator(`tr[data-version="${changed}"]`).getByRole("button", { name: "What changed" }).click();
  const diff = page.locator(`[data-testid="diff"][data-to="${changed}"]`);
  await diff.getByRole("button", { name: `Restore segment ${key} as it was in version ${kept}` }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByTestId("confirm-list").waitFor();
  assert.deepEqual(await dialog.getByTestId("confirm-list").locator("li").allInnerTexts(), ["included: removed b"]);
  await dialog.getByRole("button", { name: "Restore", exact: true }).click();
  await page.locator(".notice.success", { hasText: `Restored segment ${key} as it was in version ${kept}` }).waitFor();
  assert.deepEqual((await api("GET", "/document")).body.document.segments[key].include, ["a"]);
});
