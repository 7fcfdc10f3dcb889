// What a team needs around a flag: who owns it and the ticket it was made for (`metadata`,
// which evaluation never reads), two environments compared and one copied over the other
// (`POST …/promote`), and archiving that says why where an environment requires a reason. Each
// test checks the store, not only the page.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, confirmReview, eventually, example, importDocument, signedIn, shot, tokens, version } from "./harness.mjs";

let browser;
let app;
let page;

before(async () => {
  await importDocument(example, { reason: "e2e: the teams tests start from the example" });
  // Written at once, without approvals or reasons, but where a test asks for them.
  for (const env of ["staging", "production"]) await setPolicy(env, {});
  ({ app, browser, page } = await signedIn(tokens.admin));
});

after(async () => {
  await setPolicy("staging", {});
  await importDocument(example, { reason: "e2e: back to the example" });
  assert.deepEqual(await closeAll(browser, app, page), [], "the page logged errors");
});

async function setPolicy(env, policy) {
  const r = await api("PUT", `/environments/${env}/policy`, { body: policy });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** The flag's page at the store's version, on tab `tab` (a name) if given. */
async function openFlag(key, tab) {
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  const current = await version();
  await eventually(async () => (await page.getByTestId("doc-version").innerText()).trim() === `version ${current}`, 10000, "the app at the store's version");
  await page.goto(`${app.url}#/flags/${key}`);
  await page.locator("#editor-title").waitFor();
  if (tab) await page.getByRole("tab", { name: tab }).click();
}

/** Clicks Save and returns the lines of the review it opens (not confirmed yet). */
async function reviewAfterSave() {
  await page.locator(".notice").evaluateAll((els) => els.forEach((e) => e.setAttribute("data-seen", "")));
  await page.getByTestId("save").click();
  const review = page.getByTestId("review");
  await review.waitFor();
  return review.getByTestId("review-line").allInnerTexts();
}

test("owner, ticket and a note: saved under the flag's metadata, shown after a reload; a value that is no text is kept", async () => {
  const key = "daily-planning";
  // Another tool wrote a number: the editor shows it and writes it back untouched.
  const stored = (await api("GET", `/flags/${key}`)).body.flag;
  stored.metadata = { cost: { eur: 3 } };
  const put = await api("PUT", `/flags/${key}`, { body: stored, ifMatch: await version() });
  assert.equal(put.status, 200, JSON.stringify(put.body));

  await openFlag(key);
  const kept = page.getByTestId("metadata-kept");
  assert.match(await kept.innerText(), /cost\s*\{"eur":3\}/);
  await page.getByLabel("Owner", { exact: true }).fill("alice");
  await page.getByLabel("Ticket", { exact: true }).fill("https://tickets.example/T-42");
  await page.getByRole("button", { name: "Add a note" }).click();
  await page.getByLabel("Note 1 key").fill("team");
  await page.getByLabel("Note 1 value").fill("payments");
  const link = page.getByTestId("ticket-link");
  assert.equal(await link.getAttribute("href"), "https://tickets.example/T-42");

  const lines = await reviewAfterSave();
  assert.deepEqual(lines, ['owner none → "alice"', 'metadata "team" none → "payments"', 'ticket none → "https://tickets.example/T-42"']);
  await shot(page, "teams-01-metadata-review");
  const from = await version();
  await confirmReview(page, { reason: "e2e: an owner" });
  await page.locator(".notice.success").last().waitFor();
  assert.equal(await version(), from + 1);
  const metadata = (await api("GET", `/flags/${key}`)).body.flag.metadata;
  assert.deepEqual(metadata, { cost: { eur: 3 }, owner: "alice", ticket: "https://tickets.example/T-42", team: "payments" });

  await page.reload();
  await page.locator("#editor-title").waitFor();
  assert.equal(await page.getByLabel("Owner", { exact: true }).inputValue(), "alice");
  assert.equal(await page.getByLabel("Ticket", { exact: true }).inputValue(), "https://tickets.example/T-42");
  assert.equal(await page.getByLabel("Note 1 key").inputValue(), "team");
  assert.equal(await page.getByLabel("Note 1 value").inputValue(), "payments");
  assert.equal(await page.getByTestId("ticket-link").getAttribute("href"), "https://tickets.example/T-42");
  await shot(page, "teams-02-metadata-shown");

  // Another scheme is never a link; the owner's change reads as what it was and is.
  await page.getByLabel("Ticket", { exact: true }).fill("javascript:alert(1)");
  assert.equal(await page.getByTestId("ticket-link").count(), 0);
  await page.getByLabel("Ticket", { exact: true }).fill("T-42");
  await page.getByLabel("Owner", { exact: true }).fill("bob");
  assert.deepEqual(await reviewAfterSave(), ['owner "alice" → "bob"', 'ticket "https://tickets.example/T-42" → "T-42"']);
  await confirmReview(page);
  await page.locator(".notice.success").last().waitFor();
  const entry = (await api("GET", "/history")).body.versions[0];
  assert.match(entry.summary, /owner "alice" → "bob"/);
  // The list names the owner under the flag.
  await page.goto(`${app.url}#/flags`);
  await page.locator(`tr[data-key="${key}"] [data-testid="owner"]`).getByText("owner: bob").waitFor();
});

test("compare: staging and production side by side with the differences marked; copying staging over production makes them equal", async () => {
  const key = "e2e-compare";
  const flag = {
    kind: "boolean",
    variants: { on: true, off: false },
    environments: {
      staging: { enabled: true, offVariant: "off", defaultServe: { variant: "on" }, targets: [{ values: ["u1"], variant: "on" }] },
      production: { enabled: false, offVariant: "off", defaultServe: { variant: "off" } },
    },
  };
  const put = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version() });
  assert.equal(put.status, 201, JSON.stringify(put.body));

  await openFlag(key, "Compare environments");
  const table = page.getByTestId("compare");
  await table.waitFor();
  const row = (field) => table.locator(`tr[data-field="${field}"]`);
  const cells = async (field) => (await row(field).locator("td").allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(await cells("kill switch"), ["on", "off"]);
  assert.equal(await row("kill switch").getAttribute("data-differs"), "true");
  assert.deepEqual(await cells("default"), ["serves on", "serves off"]);
  assert.deepEqual(await cells("targets"), ['key → on: "u1"', "none"]);
  assert.equal(await row("off variant").getAttribute("data-differs"), "false");
  assert.equal(await page.getByTestId("compare-summary").innerText(), "3 settings differ.");
  await shot(page, "teams-03-compare");

  const from = await version();
  await page.getByTestId("copy-env").click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Copy staging → production?").waitFor();
  assert.deepEqual(await dialog.getByTestId("confirm-list").locator("li").allInnerTexts(), [
    "kill switch off → on",
    "target key → on added (1 ids)",
    "default serves off → on",
  ]);
  assert.equal(await version(), from, "asking writes nothing");
  await dialog.getByTestId("confirm-reason").fill("e2e: staging is right");
  await dialog.getByRole("button", { name: "Copy to production" }).click();
  await page.locator(".notice.success", { hasText: "Copied staging → production" }).waitFor();

  const saved = (await api("GET", `/flags/${key}`)).body.flag;
  assert.deepEqual(saved.environments.production, saved.environments.staging);
  const audit = (await api("GET", `/audit?flag=${key}&limit=1`)).body.entries[0];
  assert.equal(audit.action, "promote");
  assert.equal(audit.reason, "e2e: staging is right");
  await page.getByTestId("compare-summary").getByText("The same in both.").waitFor();
});

test("archive in an environment that requires a reason: the confirmation asks for one, and the audit keeps it", async () => {
  const key = "e2e-archive-why";
  const flag = { kind: "boolean", variants: { on: true, off: false } };
  const put = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version() });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  await setPolicy("staging", { reasonRequired: true });

  await openFlag(key);
  await page.getByTestId("archive").click();
  const dialog = page.getByRole("dialog");
  await dialog.getByTestId("confirm-reason").waitFor();
  assert.match(await dialog.locator("#confirm-body").innerText(), /A reason is required in staging\./);
  const archive = dialog.getByRole("button", { name: "Archive", exact: true });
  assert.equal(await archive.isDisabled(), true, "no reason, no archive");
  await dialog.getByTestId("confirm-reason").fill("e2e: nobody uses it");
  await shot(page, "teams-04-archive-reason");
  await archive.click();
  await page.locator(".notice.success", { hasText: `Archived ${key}` }).waitFor();
  assert.equal((await api("GET", `/flags/${key}`)).body.flag.archived, true);
  let audit = (await api("GET", `/audit?flag=${key}&limit=1`)).body.entries[0];
  assert.equal(audit.action, "archive");
  assert.equal(audit.reason, "e2e: nobody uses it");

  // Restoring from the list's Archived section asks too, since staging requires a reason.
  const section = page.getByTestId("archived");
  await section.locator("summary").click();
  await section.getByRole("button", { name: `Restore ${key}` }).click();
  await dialog.getByTestId("confirm-reason").fill("e2e: needed after all");
  await dialog.getByRole("button", { name: "Restore", exact: true }).click();
  await page.locator(".notice.success", { hasText: `Restored ${key}` }).waitFor();
  assert.notEqual((await api("GET", `/flags/${key}`)).body.flag.archived, true);
  audit = (await api("GET", `/audit?flag=${key}&limit=1`)).body.entries[0];
  assert.equal(audit.reason, "e2e: needed after all");
  await setPolicy("staging", {});
});
