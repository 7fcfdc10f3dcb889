// Leaving pages: signing out from an editor and back in, unsaved edits that ask before they
// are dropped (links, Back, the top bar's Reload and Sign out, closing the tab), and routes that
// give every key its own page, `new` included.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, createBooleanFlag, eventually, example, importDocument, saveReviewed, signedIn, signIn, tokens, version } from "./harness.mjs";

let browser;
let app;
let page;

before(async () => {
  await importDocument(example);
  ({ app, browser, page } = await signedIn(tokens.admin));
});

after(async () => {
  assert.deepEqual(await closeAll(browser, app, page), [], "the page logged errors");
});

async function openFlag(key) {
  await page.goto(`${app.url}#/flags/${key}`);
  await page.locator("#editor-title").waitFor();
}

/** Types into the flag's description: an unsaved edit. */
async function editDescription(text) {
  const description = page.getByLabel("Description");
  await description.fill(text);
  await page.getByText("Unsaved changes").waitFor();
}

const dialog = () => page.locator("dialog.confirm[open]");

test("signing out from an editor and back in leaves a working app", async () => {
  for (const route of ["#/flags/daily-planning", "#/new/flag", "#/segments/beta-testers"]) {
    await page.goto(`${app.url}${route}`);
    await page.locator("#editor-title, #segment-title").first().waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token").fill(tokens.admin);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("header.topbar").waitFor();
    await page.locator("#editor-title, #segment-title").first().waitFor();
    assert.deepEqual(page.errors, [], `after signing out from ${route}`);
  }
});

test("unsaved edits: a link asks first, Cancel keeps them, Drop leaves", async () => {
  await openFlag("daily-planning");
  await editDescription("Edited, not saved");
  await page.getByRole("link", { name: "Segments" }).click();
  await dialog().waitFor();
  assert.match(await dialog().innerText(), /Drop your unsaved changes\?/);
  await dialog().getByRole("button", { name: "Cancel" }).click();
  await dialog().waitFor({ state: "detached" }).catch(() => {});
  assert.equal(await page.getByLabel("Description").inputValue(), "Edited, not saved");
  assert.match(page.url(), /#\/flags\/daily-planning$/, "the address stays on the editor");
  assert.equal(await page.locator("#editor-title").innerText(), "daily-planning");

  await page.getByRole("link", { name: "Segments" }).click();
  await dialog().getByRole("button", { name: "Drop changes" }).click();
  await page.locator("table.segments").waitFor();
  assert.match(page.url(), /#\/segments$/);
  // Nothing was saved.
  const stored = await api("GET", "/flags/daily-planning");
  assert.notEqual(stored.body.flag.description, "Edited, not saved");
});

test("unsaved edits: Back, Reload and Sign out ask too; a saved edit leaves freely", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.locator("table.flags").waitFor();
  await page.getByRole("link", { name: "daily-planning" }).click();
  await page.locator("#editor-title").waitFor();
  await editDescription("Back button test");

  await page.goBack();
  await dialog().waitFor();
  await dialog().getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.getByLabel("Description").inputValue(), "Back button test");
  assert.equal(await page.locator("#editor-title").innerText(), "daily-planning");

  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await dialog().waitFor();
  assert.match(await dialog().innerText(), /Reloading drops them/);
  await dialog().getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.getByLabel("Description").inputValue(), "Back button test");

  await page.getByRole("button", { name: "Sign out" }).click();
  await dialog().waitFor();
  assert.match(await dialog().innerText(), /Signing out drops them/);
  await dialog().getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.locator("header.topbar").count(), 1, "still signed in");

  // Saved: nothing is lost by leaving, so nothing asks.
  await saveReviewed(page);
  await page.locator(".notice.success:not([data-seen])").last().waitFor();
  await page.getByText("Unsaved changes").waitFor({ state: "hidden" });
  await page.getByRole("link", { name: "Segments" }).click();
  await page.locator("table.segments").waitFor();
  assert.equal(await dialog().count(), 0);
  assert.equal((await api("GET", "/flags/daily-planning")).body.flag.description, "Back button test");
});

test("unsaved edits: closing the tab gets the browser's own question", async () => {
  // A tab of its own (the token is kept per tab, so it signs in).
  const other = await page.context().newPage();
  await signIn(other, `${app.url}#/flags/daily-planning`, tokens.admin);
  await other.locator("#editor-title").waitFor();
  await other.getByLabel("Description").fill("Closing the tab");
  await other.getByText("Unsaved changes").waitFor();
  const asked = new Promise((resolve) => other.once("dialog", (d) => resolve(d)));
  await other.close({ runBeforeUnload: true });
  const question = await asked;
  assert.equal(question.type(), "beforeunload");
  await question.dismiss();
  assert.equal(other.isClosed(), false, "dismissing the question keeps the tab");
  // Without edits, the tab closes without a question.
  await other.getByRole("button", { name: "Discard changes" }).click();
  await other.getByText("Unsaved changes").waitFor({ state: "hidden" });
  let questioned = false;
  other.once("dialog", async (d) => {
    questioned = true;
    await d.accept();
  });
  await other.close({ runBeforeUnload: true });
  await other.waitForEvent("close");
  assert.equal(questioned, false);
});

test("a flag keyed `new` has its own page; creating is elsewhere", async () => {
  const flag = { name: "Called new", kind: "boolean", variants: { on: true, off: false }, environments: {} };
  const r = await api("PUT", "/flags/new", { body: flag, ifMatch: await version() });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.locator('tr[data-key="new"] a').first().click();
  await page.locator("#editor-title").waitFor();
  assert.equal(await page.locator("#editor-title").innerText(), "new");
  assert.equal(await page.locator("#flag-name").inputValue(), "Called new");

  await page.goto(`${app.url}#/flags`);
  await page.getByRole("link", { name: "New flag" }).click();
  await page.locator("#editor-title").waitFor();
  assert.equal(await page.locator("#editor-title").innerText(), "New flag");
  assert.match(page.url(), /#\/new\/flag$/);
  // A blank form is not wrong yet: the missing key is only an error once a save is tried.
  assert.equal(await page.locator(".summary li.problem").count(), 0);
  await page.getByRole("button", { name: "Create flag" }).click();
  await page.locator(".summary li.problem", { hasText: "a new flag needs a key" }).waitFor();
  assert.equal(await page.getByLabel("Key", { exact: true }).getAttribute("aria-invalid"), "true");
  // Leaving a blank form asks nothing: nothing would be lost.
  await page.getByRole("link", { name: "Segments" }).click();
  await page.locator("table.segments").waitFor();
  await importDocument(example);
});

test("keyboard: focus follows a moved rule, and a removal lands on a heading, not on another rule's button", async () => {
  await importDocument(example);
  await createBooleanFlag("e2e-focus", "E2E focus", {
    rules: ["a", "b", "c"].map((id) => ({ id, clauses: [{ attribute: "role", op: "in", values: [id] }], serve: { variant: "on" } })),
  });
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.goto(`${app.url}#/flags/e2e-focus`);
  await page.getByRole("tab", { name: /production/ }).click();
  const active = () => page.evaluate(() => document.activeElement?.id ?? "");
  // Focus moves on the next animation frame, after the list has re-rendered.
  const focused = async (expected) => {
    await eventually(async () => (await active()) === expected, 2000, `focus on #${expected} (it is on #${await active()})`).catch(() => {});
    return active();
  };
  const ids = () => page.locator("li.rule").evaluateAll((rules) => rules.map((r) => r.querySelector("input")?.value));

  await page.getByRole("button", { name: "Move rule 3 up" }).focus();
  await page.keyboard.press("Enter");
  assert.deepEqual(await ids(), ["a", "c", "b"]);
  assert.equal(await focused("rule-1-up"), "rule-1-up", "focus stays with rule c, now second");
  await page.keyboard.press("Enter");
  assert.deepEqual(await ids(), ["c", "a", "b"]);
  // At the top, "up" is disabled: focus goes to the same rule's "down".
  assert.equal(await focused("rule-0-down"), "rule-0-down");

  await page.getByRole("button", { name: "Remove rule 2" }).focus();
  await page.keyboard.press("Enter");
  assert.deepEqual(await ids(), ["c", "b"]);
  assert.equal(await focused("rule-1-title"), "rule-1-title", "the heading of the rule that took its place");
  await page.keyboard.press("Enter");
  assert.deepEqual(await ids(), ["c", "b"], "a second Enter removes nothing");
  await page.getByRole("button", { name: "Remove rule 2" }).click();
  await page.getByRole("button", { name: "Remove rule 1" }).click();
  assert.equal(await focused("rules-add"), "rules-add", "the last one gone: the Add rule button");
  await page.getByRole("button", { name: "Discard changes" }).click();
  await importDocument(example);
});

test("a flag others require says why it cannot be deleted, in words", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.goto(`${app.url}#/flags/enhanced-task-metadata`);
  await page.locator("#editor-title").waitFor();
  const del = page.getByRole("button", { name: "Delete" });
  assert.equal(await del.isDisabled(), true);
  const note = page.locator(`#${await del.getAttribute("aria-describedby")}`);
  assert.match(await note.innerText(), /Required by daily-planning/);
  assert.equal(await note.isVisible(), true);
});

test("keyboard: the editor's tabs are one tab stop, moved through with the arrow keys", async () => {
  await page.goto(`${app.url}#/flags/daily-planning`);
  await page.locator("#editor-title").waitFor();
  const tabs = page.getByRole("tablist", { name: "Parts of the flag" }).getByRole("tab");
  const names = await tabs.allInnerTexts();
  const stops = await tabs.evaluateAll((ts) => ts.filter((t) => t.tabIndex === 0).map((t) => t.textContent.trim()));
  assert.deepEqual(stops, ["Settings"], "only the selected tab is in the Tab order");
  await tabs.first().focus();
  await page.keyboard.press("ArrowRight");
  const selected = () => page.evaluate(() => [document.activeElement?.textContent.trim(), document.querySelector('[role=tab][aria-selected="true"]')?.textContent.trim()]);
  assert.deepEqual(await selected(), [names[1].trim(), names[1].trim()]);
  await page.keyboard.press("End");
  assert.deepEqual(await selected(), ["Use in code", "Use in code"]);
  await page.keyboard.press("ArrowRight");
  assert.deepEqual(await selected(), ["Settings", "Settings"], "wraps around");
  await page.keyboard.press("ArrowLeft");
  assert.deepEqual(await selected(), ["Use in code", "Use in code"]);
  await page.getByRole("tabpanel").getByTestId("snippet").first().waitFor();
  await page.keyboard.press("ArrowLeft");
  assert.deepEqual(await selected(), ["Audit log", "Audit log"]);
  await page.getByRole("tabpanel").getByTestId("audit").waitFor();
});

test("targets: a user listed again (in a later list or twice) is a warning from the core, at that list", async () => {
  await importDocument(example);
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.goto(`${app.url}#/flags/daily-planning`);
  await page.getByRole("tab", { name: /production/ }).click();
  const targets = page.getByRole("region", { name: "Individual targets" });
  await targets.getByRole("button", { name: "Add users" }).click();
  await targets.getByRole("button", { name: "Add users" }).click();
  const lists = targets.locator("textarea");
  await lists.nth(0).fill("user-1, user-2");
  await lists.nth(1).fill("user-3, user-1");
  const warning = targets.locator("li.target-row").nth(1).getByText(/`user-1` is already in target 1/);
  await warning.waitFor();
  // A warning, not an error: saving works, and the first list decides at the edge.
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.locator("#flag-tags").fill("planning, planning, ai");
  await saveReviewed(page);
  await page.locator(".notice.success:not([data-seen])").last().waitFor();
  const stored = (await api("GET", "/flags/daily-planning")).body.flag;
  assert.deepEqual(stored.tags, ["planning", "ai"], "each tag once");
  assert.deepEqual(stored.environments.production.targets.map((t) => t.values), [["user-1", "user-2"], ["user-3", "user-1"]]);
  const check = await api("POST", "/validate", { body: (await api("GET", "/document")).body.document });
  assert.ok(check.body.diagnostics.some((d) => d.code === "shadowed-target" && d.pointer === "/flags/daily-planning/environments/production/targets/1/values/1"), JSON.stringify(check.body));
  await importDocument(example);
});

test("a save brings the editor back on the same tab, scrolled where it was, focus on its title", async () => {
  await importDocument(example);
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.goto(`${app.url}#/flags/daily-planning`);
  await page.getByRole("tab", { name: "staging" }).click();
  await page.getByRole("button", { name: "Add step" }).scrollIntoViewIfNeeded();
  await page.getByRole("button", { name: "Add step" }).click();
  const y = await page.evaluate(() => window.scrollY);
  assert.ok(y > 100, `scrolled down: ${y}`);
  await saveReviewed(page);
  await page.locator(".notice.success:not([data-seen])").last().waitFor();
  // Save is disabled once saved: focus goes to the editor's title, not to the page's start.
  await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === "editor-title", 5000, "focus on the editor");
  const selected = await page.locator('[role=tab][aria-selected="true"]').innerText();
  assert.equal(selected.trim(), "staging");
  // Where the page settles (the editor is drawn again after the save; on a loaded machine the
  // last frames may come after focus has moved).
  let after = y;
  const kept = async () => Math.abs((after = await page.evaluate(() => window.scrollY)) - y) < 40;
  await eventually(kept, 3000, "the scroll position").catch(() => assert.fail(`scroll kept: ${y} -> ${after}`));
  await importDocument(example);
});

test("keyboard: removing a target list or a schedule step moves focus to its Add button", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.goto(`${app.url}#/flags/onboarding-config`);
  await page.getByRole("tab", { name: /production/ }).click();
  const before = await page.locator("li.target-row").count();
  await page.getByRole("button", { name: "Add users" }).click();
  await page.getByRole("button", { name: "Add users" }).click();
  await page.getByRole("button", { name: `Remove target list ${before + 1}` }).focus();
  await page.keyboard.press("Enter");
  await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === "targets-add", 2000, "focus on Add users");
  await page.keyboard.press("Enter"); // adds a list: it never removes a second one
  assert.equal(await page.locator("li.target-row").count(), before + 2);
  await page.getByRole("button", { name: "Add step" }).click();
  const steps = await page.locator("li.step").count();
  await page.getByRole("button", { name: `Remove step ${steps}` }).focus();
  await page.keyboard.press("Enter");
  await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === "schedule-add", 2000, "focus on Add step");
  await page.getByRole("button", { name: "Discard changes" }).click();
});

test("a new flag whose key someone creates meanwhile says so at the key; another key then saves", async () => {
  await importDocument(example);
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.getByRole("link", { name: "New flag" }).click();
  await page.getByLabel("Key", { exact: true }).fill("e2e-race");
  await page.locator("#flag-name").fill("Mine");
  await createBooleanFlag("e2e-race", "Theirs", {});
  await saveReviewed(page);
  await page.locator(".notice.error", { hasText: "Someone created a flag called `e2e-race` meanwhile" }).waitFor();
  await page.locator(".summary li.problem", { hasText: "exists already" }).waitFor();
  assert.equal(await page.getByTestId("conflict").count(), 0, "nothing to merge for a new flag");
  assert.equal((await api("GET", "/flags/e2e-race")).body.flag.name, "Theirs", "theirs untouched");
  await page.getByLabel("Key", { exact: true }).fill("e2e-race-2");
  await saveReviewed(page);
  await page.locator(".notice.success", { hasText: "Saved e2e-race-2" }).waitFor();
  assert.equal((await api("GET", "/flags/e2e-race-2")).body.flag.name, "Mine");
  // And a new flag whose save merely met a newer version saves at once.
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Flags" }).click();
  await page.getByRole("link", { name: "New flag" }).click();
  await page.getByLabel("Key", { exact: true }).fill("e2e-race-3");
  await createBooleanFlag("e2e-elsewhere", "Unrelated", {});
  await saveReviewed(page);
  await page.locator(".notice.success", { hasText: "Saved e2e-race-3" }).waitFor();
  await importDocument(example);
});

test("segments: a segment that uses this one cannot be chosen inside it (no cycle to save and undo)", async () => {
  await importDocument(example);
  assert.equal((await api("PUT", "/segments/e2e-inner", { body: { include: ["a"] }, ifMatch: await version() })).status, 201);
  const outer = { rules: [{ clauses: [{ op: "inSegment", values: ["e2e-inner"] }] }] };
  assert.equal((await api("PUT", "/segments/e2e-outer", { body: outer, ifMatch: await version() })).status, 201);
  await page.goto(`${app.url}#/segments`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.goto(`${app.url}#/segments/e2e-inner`);
  await page.getByRole("button", { name: "Add rule" }).click();
  const rule = page.locator("li.rule").first();
  await rule.getByLabel("Operator").selectOption("inSegment");
  const outerBox = rule.getByLabel(/^e2e-outer/);
  assert.equal(await outerBox.isDisabled(), true, "choosing it would make a cycle");
  assert.match(await rule.locator("label", { hasText: "e2e-outer" }).innerText(), /uses this segment: a cycle/);
  assert.equal(await rule.getByLabel("beta-testers").isDisabled(), false, "an unrelated segment can be chosen");
  await page.getByRole("button", { name: "Discard changes" }).click();
  await importDocument(example);
});

test("someone else's save is announced on every page, and loading it asks first while edits are unsaved", async () => {
  await importDocument(example);
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.locator("table.flags tbody tr").first().waitFor();
  const v = await createBooleanFlag("e2e-elsewhere", "Saved elsewhere", {});
  const banner = page.getByTestId("newer");
  await banner.waitFor({ timeout: 15000 });
  assert.match(await banner.innerText(), new RegExp(`Version ${v} was saved by e2e-admin`));
  await banner.getByRole("button", { name: "Load it" }).click();
  await page.locator('tr[data-key="e2e-elsewhere"]').waitFor();
  await banner.waitFor({ state: "detached" });
  // In an editor with unsaved edits, loading asks first.
  await page.goto(`${app.url}#/flags/daily-planning`);
  await page.getByLabel("Description").fill("Not saved yet");
  await createBooleanFlag("e2e-elsewhere-2", "Saved elsewhere too", {});
  await banner.waitFor({ timeout: 15000 });
  await banner.getByRole("button", { name: "Load it" }).click();
  await page.locator("dialog.confirm[open]").getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.getByLabel("Description").inputValue(), "Not saved yet");
  await page.getByRole("button", { name: "Discard changes" }).click();
  await importDocument(example);
});

test("the editor's tab is in the address: a reload or a shared link opens it, Back leaves the flag", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.locator("table.flags").waitFor();
  await openFlag("daily-planning");
  const selected = () => page.locator('[role="tab"][aria-selected="true"]').innerText();
  await page.getByRole("tab", { name: /production/ }).click();
  await page.waitForURL(/#\/flags\/daily-planning\/env\/production$/);
  await page.getByRole("tab", { name: "Preview change" }).click();
  await page.waitForURL(/#\/flags\/daily-planning\/preview$/);
  await page.reload();
  await page.locator("#editor-title").waitFor();
  assert.equal(await selected(), "Preview change", "a reload opens the same tab");
  // A shared link to an environment's tab, from a fresh page.
  await page.goto("about:blank");
  await page.goto(`${app.url}#/flags/daily-planning/env/staging`);
  await page.locator("#editor-title").waitFor();
  assert.equal(await selected(), "staging");
  await page.locator('.env-editor[data-env="staging"]').waitFor();
  // Settings has no part of its own; an environment the flag has not got opens Settings.
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.waitForURL(/#\/flags\/daily-planning$/);
  await page.goto(`${app.url}#/flags/daily-planning/env/nowhere`);
  await page.reload();
  await page.locator("#editor-title").waitFor();
  assert.equal(await selected(), "Settings");
  // Leaving with unsaved edits asks; Cancel keeps the whole address, the tab's part too.
  await editDescription("Edited, then a tab");
  await page.getByRole("tab", { name: /production/ }).click();
  await page.waitForURL(/\/env\/production$/);
  await page.getByRole("link", { name: "Segments" }).click();
  await dialog().getByRole("button", { name: "Cancel" }).click();
  await dialog().waitFor({ state: "detached" }).catch(() => {});
  assert.match(page.url(), /#\/flags\/daily-planning\/env\/production$/);
  await page.getByRole("button", { name: "Discard changes" }).click();
  // Tabs replace the address rather than adding history: Back leaves the flag.
  await page.goto(`${app.url}#/flags`);
  await page.locator("table.flags").waitFor();
  await openFlag("daily-planning");
  await page.getByRole("tab", { name: /production/ }).click();
  await page.getByRole("tab", { name: "Audit log" }).click();
  await page.waitForURL(/#\/flags\/daily-planning\/audit$/);
  await page.goBack();
  await page.locator("table.flags").waitFor();
});

test("the address names another tab of the same flag (typed, or Back within the flag): that tab opens", async () => {
  await page.goto(`${app.url}#/flags/daily-planning/env/staging`);
  await page.locator("#editor-title").waitFor();
  const selected = () => page.locator('[role="tab"][aria-selected="true"]').innerText();
  assert.equal(await selected(), "staging");
  await page.evaluate(() => (location.hash = "#/flags/daily-planning/preview"));
  await page.waitForFunction(() => document.querySelector('[role="tab"][aria-selected="true"]')?.textContent === "Preview change");
  // Two entries of the same flag (each typed): Back returns to the earlier one's tab.
  await page.evaluate(() => (location.hash = "#/flags/daily-planning/env/development"));
  await page.waitForFunction(() => document.querySelector('[role="tab"][aria-selected="true"]')?.textContent === "development");
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('[role="tab"][aria-selected="true"]')?.textContent === "Preview change");
  assert.match(page.url(), /\/preview$/);
});

test("unsaved edits: Cancel leaves the history as it was, and Drop makes the move that was asked about", async () => {
  const selected = () => page.locator('[role="tab"][aria-selected="true"]').innerText();
  await page.goto(`${app.url}#/flags`);
  await page.locator("table.flags").waitFor();
  await page.getByRole("link", { name: "daily-planning" }).click();
  await page.locator("#editor-title").waitFor();
  await editDescription("History test");
  await page.getByRole("tab", { name: /production/ }).click();
  await page.waitForURL(/daily-planning\/env\/production$/);

  // Back, Cancel: still on the flag, and Back still leads to the list (asked again).
  await page.goBack();
  await dialog().getByRole("button", { name: "Cancel" }).click();
  await dialog().waitFor({ state: "detached" }).catch(() => {});
  assert.match(page.url(), /daily-planning\/env\/production$/);
  assert.equal(await page.getByRole("tab", { name: /production/ }).getAttribute("aria-selected"), "true");
  await page.goBack();
  await dialog().getByRole("button", { name: "Drop changes" }).click();
  await page.locator("table.flags").waitFor();
  assert.match(page.url(), /#\/flags$/);
  // Forward returns to the flag's entry, on its tab, without the dropped edit.
  await page.goForward();
  await page.locator("#editor-title").waitFor();
  await page.waitForURL(/daily-planning\/env\/production$/);
  assert.equal(await selected(), "production ⚑");
  await page.getByRole("tab", { name: "Settings" }).click();
  assert.notEqual(await page.getByLabel("Description").inputValue(), "History test");

  // A link, Cancel: Back then goes where it went before the link (here: the list), asking.
  await page.getByRole("tab", { name: /production/ }).click();
  await page.getByRole("tab", { name: "Settings" }).click();
  await editDescription("History test 2");
  await page.getByRole("link", { name: "Segments" }).click();
  await dialog().getByRole("button", { name: "Cancel" }).click();
  await dialog().waitFor({ state: "detached" }).catch(() => {});
  assert.match(page.url(), /#\/flags\/daily-planning$/);
  await page.goBack();
  await dialog().getByRole("button", { name: "Drop changes" }).click();
  await page.locator("table.flags").waitFor();

  // Back into another flag's tab with edits here: Drop lands on that entry, on its tab.
  await page.goto(`${app.url}#/flags/daily-planning/env/staging`);
  await page.locator('.env-editor[data-env="staging"]').waitFor();
  await page.evaluate(() => (location.hash = "#/flags/checkout-button-color"));
  await page.locator("#editor-title", { hasText: "checkout-button-color" }).waitFor();
  await editDescription("History test 3");
  await page.goBack();
  await dialog().getByRole("button", { name: "Drop changes" }).click();
  await page.locator("#editor-title", { hasText: "daily-planning" }).waitFor();
  assert.match(page.url(), /#\/flags\/daily-planning\/env\/staging$/);
  assert.equal(await selected(), "staging");
});

test("the flag list's search and filters are in the address: a reload or a shared link opens the same list", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.locator("table.flags").waitFor();
  await page.locator("#flag-search").fill("daily");
  await page.waitForURL(/#\/flags\?q=daily$/);
  const count = await page.getByTestId("result-count").innerText();
  await page.reload();
  await page.locator("table.flags").waitFor();
  assert.equal(await page.locator("#flag-search").inputValue(), "daily");
  assert.equal(await page.getByTestId("result-count").innerText(), count);
  // A link with filters, opened in another page, shows that list.
  const other = await page.context().newPage();
  await signIn(other, `${app.url}#/flags?q=voice&status=off&env=production`, tokens.admin);
  await other.locator("table.flags").waitFor();
  assert.equal(await other.locator("#flag-search").inputValue(), "voice");
  assert.equal(await other.locator("select#flag-status").inputValue(), "off");
  const rows = await other.locator("table.flags tbody tr a.flag-key").allInnerTexts();
  const all = await api("GET", "/document");
  const mentions = (k, f) => [k, f.name ?? "", f.description ?? ""].join(" ").toLowerCase().includes("voice");
  const off = Object.entries(all.body.document.flags).filter(([k, f]) => mentions(k, f) && !f.archived && f.environments?.production?.enabled !== true).map(([k]) => k);
  assert.ok(off.length > 0, "the example has a voice flag that is off in production");
  assert.deepEqual(rows.slice().sort(), off.sort(), "the link's filters applied");
  await other.close();
  // Cleared, the address is the plain list again.
  await page.locator("#flag-search").fill("");
  await page.waitForURL(/#\/flags$/);
});
