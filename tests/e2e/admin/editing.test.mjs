// The editors' less travelled paths, end to end: reordering rules, individual targets, a
// progressive rollout made from the schedule editor, a segment built in its editor and used by
// a flag, the diff of what a save changed, and a flag's own audit log. Each test edits in the
// app, then checks what the store kept (the admin API) and what the edge answers (OFREP), so
// the app cannot pass by only looking right.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, createBooleanFlag, eventually, example, importDocument, ofrep, saveReviewed, shot, signedIn, signIn, tokens, version, watchedPage, worker } from "./harness.mjs";

let browser;
let app;
let page;

const ORDER = "e2e-order";
const RAMP = "e2e-ramp";
const SEGMENT = "e2e-staff";

before(async () => {
  // A known starting point whatever the earlier files did, plus two flags made for these tests.
  await importDocument(example);
  const order = {
    name: "E2E rule order",
    kind: "string",
    variants: { admin: "admin", beta: "beta", rest: "rest", vip: "vip" },
    environments: {
      production: {
        enabled: true,
        offVariant: "rest",
        rules: [
          { id: "admins", clauses: [{ attribute: "role", op: "in", values: ["admin"] }], serve: { variant: "admin" } },
          { id: "beta", clauses: [{ attribute: "email", op: "endsWith", values: ["@beta.example"] }], serve: { variant: "beta" } },
        ],
        defaultServe: { variant: "rest" },
      },
    },
  };
  const ramp = {
    name: "E2E ramp",
    kind: "boolean",
    variants: { on: true, off: false },
    environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "off" } } },
  };
  for (const [key, flag] of [[ORDER, order], [RAMP, ramp]]) {
    const r = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version() });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  ({ app, browser, page } = await signedIn(tokens.admin));
});

after(async () => {
  assert.deepEqual(await closeAll(browser, app, page), [], "the page logged errors");
});

async function openFlag(key, tab) {
  await page.goto(`${app.url}#/flags/${key}`);
  try {
    await page.locator("#editor-title").waitFor({ timeout: 15000 });
  } catch (e) {
    // Say where the app was instead, so a failure on a slow machine can be read from the log.
    const at = await page.evaluate(() => `${location.hash}: ${document.querySelector("main, body")?.innerText.slice(0, 300)}`);
    throw new Error(`the editor of ${key} did not open; the app was at ${at}`, { cause: e });
  }
  if (tab) await page.getByRole("tab", { name: tab }).click();
}

/** After a save: the app on the saved entry's page (`hash`), at the store's version. */
async function settled(hash) {
  await page.waitForURL((url) => url.hash === hash, { timeout: 10000 });
  const current = await version();
  await eventually(async () => (await page.getByTestId("doc-version").innerText()).trim() === `version ${current}`, 10000, "the app at the store's version");
}

async function save() {
  await saveReviewed(page);
  await page.locator(".notice.success, .notice.error").last().waitFor();
  const text = await page.locator(".notice").last().innerText();
  assert.match(text, /Saved|Created/, `the save was refused: ${text}`);
}

/** The flag list, with the document the store has now (after writes made through the API). */
async function reloaded() {
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  const current = await version();
  await eventually(async () => (await page.getByTestId("doc-version").innerText()).trim() === `version ${current}`, 10000, "the app at the store's version");
}

/** Rule ids as the editor shows them, top to bottom. */
async function ruleIds() {
  return page.locator("li.rule").evaluateAll((rules) => rules.map((r) => r.querySelector("input")?.value));
}

test("rules: moving a rule up changes which one decides, in the store and at the edge", async () => {
  const both = { targetingKey: "order-1", role: "admin", email: "ada@beta.example" };
  const edgeBefore = await ofrep(ORDER, both);
  assert.equal(edgeBefore.body.variant, "admin", JSON.stringify(edgeBefore.body));

  await openFlag(ORDER, /production/);
  assert.deepEqual(await ruleIds(), ["admins", "beta"]);
  assert.equal(await page.getByRole("button", { name: "Move rule 1 up" }).isDisabled(), true, "the first rule cannot go up");
  assert.equal(await page.getByRole("button", { name: "Move rule 2 down" }).isDisabled(), true, "the last rule cannot go down");
  await page.getByRole("button", { name: "Move rule 2 up" }).click();
  assert.deepEqual(await ruleIds(), ["beta", "admins"], "the editor shows the new order");
  await shot(page, "21-rules-reordered");
  await save();

  const stored = (await api("GET", `/flags/${ORDER}`)).body.flag.environments.production.rules.map((r) => r.id);
  assert.deepEqual(stored, ["beta", "admins"]);
  const answer = await eventually(async () => {
    const a = await ofrep(ORDER, both);
    return a.body.variant === "beta" ? a : null;
  }, 15000, "the edge to follow the new rule order");
  assert.equal(answer.body.reason, "TARGETING_MATCH");
  // A context only one rule matches is unaffected by the order.
  assert.equal((await ofrep(ORDER, { targetingKey: "order-2", role: "admin" })).body.variant, "admin");
});

test("targets: a user list overrides the rules, and removing it hands the user back", async () => {
  await openFlag(ORDER, /production/);
  const targets = page.getByRole("region", { name: "Individual targets" });
  await targets.getByRole("button", { name: "Add users" }).click();
  const row = targets.locator("li.target-row").first();
  await row.getByLabel("Serve").selectOption("vip");
  await row.getByLabel(/^Values/).fill("vip-1, vip-2");
  await save();
  const stored = (await api("GET", `/flags/${ORDER}`)).body.flag.environments.production.targets;
  assert.equal(stored.length, 1, JSON.stringify(stored));
  assert.deepEqual(stored[0].values, ["vip-1", "vip-2"]);
  assert.equal(stored[0].variant, "vip");
  assert.ok(stored[0].attribute === undefined || stored[0].attribute === "targetingKey", JSON.stringify(stored[0]));
  // Targets come before rules: an admin on the list gets the list's variant.
  const hit = await eventually(async () => {
    const a = await ofrep(ORDER, { targetingKey: "vip-2", role: "admin" });
    return a.body.variant === "vip" ? a : null;
  }, 15000, "the target at the edge");
  assert.equal(hit.body.reason, "TARGETING_MATCH");

  await openFlag(ORDER, /production/);
  await page.getByRole("button", { name: "Remove target list 1" }).click();
  await save();
  assert.deepEqual((await api("GET", `/flags/${ORDER}`)).body.flag.environments.production.targets ?? [], []);
  await eventually(async () => (await ofrep(ORDER, { targetingKey: "vip-2", role: "admin" })).body.variant === "admin", 15000, "the user back under the rules");
});

test("schedule: a progressive rollout makes 5 → 25 → 50 → 100 % steps, and the edge serves the step that has started", async () => {
  const hour = 3600 * 1000;
  // Steps at -150, -90, -30 and +30 minutes: the 50 % step is the one in force now.
  const start = new Date(Date.now() - 2.5 * hour);
  start.setUTCSeconds(0, 0);
  const local = start.toISOString().slice(0, 16); // the input is in UTC, as its label says

  await openFlag(RAMP, /production/);
  const schedule = page.getByRole("region", { name: "Schedule" });
  await schedule.getByText("Progressive rollout…").click();
  await schedule.getByLabel("First step (UTC)").fill(local);
  await schedule.getByLabel("First step (UTC)").dispatchEvent("change");
  await schedule.getByLabel("Hours between steps").fill("1");
  await schedule.getByLabel("Percentages").fill("5, 25, 50, 100");
  await schedule.getByLabel("Variant rolled out").selectOption("on");
  await schedule.getByRole("button", { name: "Make the steps" }).click();
  assert.equal(await schedule.locator("li.step").count(), 4, "one step per percentage");
  await shot(page, "22-schedule-ramp");
  await save();

  const steps = (await api("GET", `/flags/${RAMP}`)).body.flag.environments.production.schedule;
  assert.equal(steps.length, 4, JSON.stringify(steps));
  const at = steps.map((s) => Date.parse(s.at));
  assert.deepEqual(at.map((t) => t - at[0]), [0, hour, 2 * hour, 3 * hour], "an hour apart");
  assert.equal(at[0], start.getTime(), "from the chosen start");
  const onWeight = (s) => {
    if (s.defaultServe.variant) return s.defaultServe.variant === "on" ? 100 : 0;
    const w = s.defaultServe.rollout.weights;
    const total = w.reduce((a, b) => a + b.weight, 0);
    return (100 * (w.find((x) => x.variant === "on")?.weight ?? 0)) / total;
  };
  assert.deepEqual(steps.map(onWeight), [5, 25, 50, 100]);

  // The edge: about half of 400 users get `on` now (the 50 % step), as a split.
  let on = 0;
  const n = 400;
  await eventually(async () => (await ofrep(RAMP, { targetingKey: "ramp-0" })).body.reason === "SPLIT", 15000, "the schedule at the edge");
  for (let i = 0; i < n; i++) {
    const a = await ofrep(RAMP, { targetingKey: `ramp-${i}` });
    assert.equal(a.body.reason, "SPLIT", JSON.stringify(a.body));
    on += a.body.value === true ? 1 : 0;
  }
  // Binomial(400, 0.5) has a standard deviation of 10: 40–60 % is four of them on each side,
  // and far from the 25 % step before it and the 100 % step after it.
  assert.ok(on >= 160 && on <= 240, `${on} of ${n} on`);
});

test("segments: one built in its editor decides a flag's rule, exclusions first", async () => {
  await page.goto(`${app.url}#/segments`);
  await page.getByRole("link", { name: "New segment" }).click();
  await page.getByLabel("Key", { exact: true }).fill(SEGMENT);
  await page.getByLabel("Description", { exact: true }).fill("Staff, by e-mail");
  await page.getByLabel("Always in (targeting keys)").fill("contractor-1");
  await page.getByLabel("Never in (targeting keys, checked first)").fill("intern-9");
  await page.getByRole("button", { name: "Add rule" }).click();
  const rule = page.locator("li.rule").first();
  await rule.getByLabel("Rule id").fill("staff-email");
  assert.equal(await rule.locator(".clause").count(), 1, "a new rule starts with one condition");
  await rule.getByLabel("Attribute").fill("email");
  await rule.getByLabel("Operator").selectOption("endsWith");
  await rule.getByLabel("Values").fill("@staff.example");
  await shot(page, "23-segment-new");
  await saveReviewed(page);
  await page.locator(".notice.success:not([data-seen])").last().waitFor();
  await settled(`#/segments/${SEGMENT}`);
  const segment = (await api("GET", "/document")).body.document.segments[SEGMENT];
  assert.ok(segment, "the store has the segment");
  assert.deepEqual(segment.include, ["contractor-1"]);
  assert.deepEqual(segment.exclude, ["intern-9"]);
  assert.deepEqual(segment.rules.map((r) => r.clauses), [[{ attribute: "email", op: "endsWith", values: ["@staff.example"] }]]);

  // A rule of e2e-order that serves `vip` to the segment, put first.
  await openFlag(ORDER, /production/);
  await page.getByRole("button", { name: "Add rule" }).click();
  const added = page.locator("li.rule").last();
  await added.getByLabel(/^Rule id/).fill("staff");
  await added.getByLabel("Operator").selectOption("inSegment");
  await added.getByLabel(SEGMENT).check();
  await added.getByLabel("Variant", { exact: true }).selectOption("vip");
  const last = await page.locator("li.rule").count();
  for (let i = last; i > 1; i--) await page.getByRole("button", { name: `Move rule ${i} up` }).click();
  assert.deepEqual(await ruleIds(), ["staff", "beta", "admins"]);
  await save();
  const first = (await api("GET", `/flags/${ORDER}`)).body.flag.environments.production.rules[0];
  assert.deepEqual(first.clauses, [{ op: "inSegment", values: [SEGMENT] }]);

  const variantOf = async (context) => (await ofrep(ORDER, context)).body;
  await eventually(async () => (await variantOf({ targetingKey: "s-1", email: "bo@staff.example" })).variant === "vip", 15000, "the segment rule at the edge");
  assert.equal((await variantOf({ targetingKey: "contractor-1" })).variant, "vip", "included by key");
  assert.equal((await variantOf({ targetingKey: "intern-9", email: "intern@staff.example", role: "admin" })).variant, "admin", "excluded, whatever the rule says");
  assert.equal((await variantOf({ targetingKey: "s-2", email: "bo@elsewhere.example" })).variant, "rest");

  // Evaluate as, in the browser, agrees with the edge for the excluded key.
  await page.goto(`${app.url}#/evaluate`);
  await page.getByLabel("Environment").selectOption("production");
  await page.getByLabel("Targeting key").fill("intern-9");
  await page.getByLabel("Attribute 1 name").fill("email");
  await page.getByLabel("Attribute 1 value").fill("intern@staff.example");
  const row = page.locator(`table.results tr[data-flag="${ORDER}"]`);
  await eventually(async () => (await row.getAttribute("data-variant")) === "rest", 5000, "evaluate-as: excluded from the segment");
  await page.getByLabel("Targeting key").fill("intern-10");
  await eventually(async () => (await row.getAttribute("data-variant")) === "vip", 5000, "evaluate-as: a member by the rule");
  assert.equal(await row.getAttribute("data-reason"), "TARGETING_MATCH");
});

test("history and audit: the diff of the last save names what changed; a flag's audit log is its own", async () => {
  await page.goto(`${app.url}#/history`);
  const rows = page.locator("table.versions tbody tr");
  await rows.first().waitFor();
  const current = await version();
  await rows.first().getByRole("button", { name: "What changed" }).click();
  const diff = page.getByTestId("diff");
  await diff.waitFor();
  assert.equal(Number(await diff.getAttribute("data-from")), current - 1);
  assert.equal(Number(await diff.getAttribute("data-to")), current);
  const pointers = await diff.locator("tr[data-pointer]").evaluateAll((trs) => trs.map((t) => t.dataset.pointer));
  assert.ok(pointers.length > 0, "the diff lists changes");
  assert.ok(pointers.every((p) => p.startsWith(`/flags/${ORDER}/`)), `only ${ORDER} changed: ${pointers.join(", ")}`);
  assert.ok(pointers.some((p) => p.includes("/rules")), pointers.join(", "));
  // The server's diff is the same list.
  const server = await api("GET", `/diff?from=${current - 1}&to=${current}`);
  assert.equal(server.status, 200, JSON.stringify(server.body));
  assert.deepEqual(pointers.slice().sort(), server.body.changes.map((c) => c.pointer).sort());
  // A diff across several saves, from the form.
  await page.getByLabel("From version").fill(String(current - 4));
  await page.getByLabel("To version").fill(String(current));
  await page.getByRole("button", { name: "Show the diff" }).click();
  await eventually(async () => Number(await diff.getAttribute("data-from")) === current - 4, 5000, "the wider diff");
  const wider = await diff.locator("tr[data-pointer]").evaluateAll((trs) => trs.map((t) => t.dataset.pointer));
  assert.ok(wider.some((p) => p.startsWith(`/segments/${SEGMENT}`)), `the segment is in the wider diff: ${wider.join(", ")}`);

  await openFlag(ORDER, "Audit log");
  const audit = page.getByTestId("audit").locator("tbody tr");
  await audit.first().waitFor();
  const own = await api("GET", `/audit?flag=${ORDER}&limit=100`);
  assert.equal(own.status, 200, JSON.stringify(own.body));
  const entries = own.body.entries;
  assert.equal(await audit.count(), entries.length, "the app lists the store's entries for this flag");
  assert.ok(entries.length >= 5, `create and four saves: ${entries.length}`);
  for (const e of entries) assert.match(JSON.stringify(e), new RegExp(ORDER));
  await shot(page, "24-audit-own");
});

test("a page whose module cannot be fetched says so and offers a retry that loads it", async () => {
  // The flag list is in the main module; history is fetched when it first opens. A fresh
  // browser context has fetched nothing yet.
  const context = await browser.context();
  const other = await watchedPage(context);
  await signIn(other, app.url, tokens.admin);
  await other.locator("table.flags tbody tr").first().waitFor();
  let refused = 0;
  const pattern = "**/split_history.wasm";
  await other.route(pattern, (route) => {
    refused += 1;
    return route.abort();
  });
  await other.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "History", exact: true }).click();
  const alert = other.getByRole("alert");
  await alert.getByText("This page could not be loaded").waitFor();
  assert.ok(refused >= 1, "the module was asked for");
  assert.match(await alert.innerText(), /could not be reached|failed to load/i);
  await shot(other, "25-page-module-unreachable");
  // The flag list still works meanwhile: it needs nothing more.
  const nav = (name) => other.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true }).click();
  await nav("Flags");
  await other.locator("table.flags tbody tr").first().waitFor();
  // A failure is not remembered: opening the page again asks again.
  const before = refused;
  await nav("History");
  await alert.getByText("This page could not be loaded").waitFor();
  await eventually(async () => refused > before, 5000, "a second request for the module");
  // Once the module can be fetched, the retry button loads the page.
  await other.unroute(pattern);
  await other.getByRole("button", { name: "Try again" }).click();
  await other.locator("table.versions tbody tr").first().waitFor();
  // The only errors logged are the refused fetch's.
  for (const e of other.errors) assert.match(e, /split_history|fetch|ERR_FAILED|load/i, e);
  await context.close();
});

test("a conflict saved on top of theirs keeps their kill switch and names what we both changed", async () => {
  // This page edits only the description; meanwhile an operator switches production off
  // with the shortcut and someone renames the flag.
  await importDocument(example);
  await openFlag("daily-planning");
  await page.getByLabel("Description").fill("Edited while production was switched off");
  await page.locator("#flag-name").fill("Daily planning (mine)");
  const off = await fetch(`${worker}/feature-flags/daily-planning?env=production`, {
    method: "PUT",
    headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ enabled: false }),
  });
  assert.equal(off.status, 200, await off.text());
  const current = (await api("GET", "/flags/daily-planning")).body.flag;
  const renamed = await api("PUT", "/flags/daily-planning", { body: { ...current, name: "Daily planning (theirs)" }, ifMatch: await version() });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));

  await saveReviewed(page);
  const conflict = page.getByTestId("conflict");
  await conflict.waitFor();
  const note = conflict.getByTestId("merge-note");
  await note.waitFor();
  assert.match(await note.innerText(), /You both changed name/);
  assert.doesNotMatch(await note.innerText(), /enabled|description/);
  await conflict.getByRole("button", { name: "Save my changes on top of theirs" }).click();
  await page.locator(".notice.success").last().waitFor();

  const stored = (await api("GET", "/flags/daily-planning")).body.flag;
  assert.equal(stored.description, "Edited while production was switched off");
  assert.equal(stored.name, "Daily planning (mine)", "where both changed, the saver's value");
  assert.equal(stored.environments.production.enabled, false, "their kill switch stays off");
  const edge = await ofrep("daily-planning", { targetingKey: "user-1", role: "admin" });
  assert.equal(edge.body.reason, "DISABLED");
  // The editor now shows what was saved, based on the new version: nothing unsaved.
  await page.getByText("Unsaved changes").waitFor({ state: "hidden" });
  await page.getByRole("tab", { name: /production/ }).click();
  assert.equal(await page.getByLabel(/Enabled \(the kill switch\)/).isChecked(), false);
  await importDocument(example);
});

test("evaluate as: attribute types are chosen, not guessed, and a wrong value is named at its row", async () => {
  await importDocument(example);
  await createBooleanFlag("e2e-typed", "E2E typed", {
    targets: [{ attribute: "orgId", values: ["5120"], variant: "on" }],
    rules: [{ id: "big", clauses: [{ attribute: "seats", op: "gte", values: [10] }], serve: { variant: "on" } }],
  });
  await page.goto(`${app.url}#/evaluate`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await page.getByLabel("Environment").selectOption("production");
  await page.getByLabel("Targeting key").fill("t-1");
  const row = page.locator('table.results tr[data-flag="e2e-typed"]');
  const reason = () => row.getAttribute("data-reason");

  // Text by default: "5120" is the string the target list holds.
  await page.getByLabel("Attribute 1 name").fill("orgId");
  await page.getByLabel("Attribute 1 value").fill("5120");
  await eventually(async () => (await reason()) === "TARGETING_MATCH", 5000, "a text org id matches");
  // The edge has the new flag once its snapshot is revalidated (SNAPSHOT_TTL_SECONDS).
  await eventually(async () => (await ofrep("e2e-typed", { targetingKey: "t-1", orgId: "5120" })).body.reason === "TARGETING_MATCH", 15000, "the edge matches a text org id");
  // As a number it is another value, at the edge too.
  await page.getByLabel("Attribute 1 type").selectOption("number");
  await eventually(async () => (await reason()) === "DEFAULT", 5000, "a number org id does not match");
  assert.equal((await ofrep("e2e-typed", { targetingKey: "t-1", orgId: 5120 })).body.reason, "DEFAULT");

  // A number compared as one.
  await page.getByRole("button", { name: "Add attribute" }).click();
  await page.getByLabel("Attribute 2 name").fill("seats");
  await page.getByLabel("Attribute 2 type").selectOption("number");
  await page.getByLabel("Attribute 2 value").fill("12");
  await eventually(async () => (await row.getAttribute("data-variant")) === "on", 5000, "the seats rule");
  assert.equal(await reason(), "TARGETING_MATCH");
  await page.getByRole("button", { name: "Compare with the store" }).click();
  await page.getByText("The store agrees on every flag.").waitFor();

  // Wrong values are errors at their rows, and evaluate nothing.
  await page.getByLabel("Attribute 2 value").fill("twelve");
  const value = page.getByLabel("Attribute 2 value");
  await eventually(async () => (await value.getAttribute("aria-invalid")) === "true", 5000, "the row is marked");
  assert.match(await page.locator("#eval-error-1").innerText(), /not a number/);
  assert.equal(await row.count(), 0, "no results while the context is wrong");
  await value.fill("12");
  await page.getByLabel("Attribute 1 name").fill("targetingKey");
  assert.match(await page.locator("#eval-error-0").innerText(), /its own field/);
  await page.getByLabel("Attribute 1 name").fill("orgId");

  // true/false is chosen from a list.
  await page.getByRole("button", { name: "Add attribute" }).click();
  await page.getByLabel("Attribute 3 name").fill("beta");
  await page.getByLabel("Attribute 3 type").selectOption("true/false");
  await page.getByLabel("Attribute 3 value").selectOption("false");
  await page.getByRole("button", { name: "JSON" }).click();
  const context = JSON.parse(await page.getByLabel("Context (JSON)").inputValue());
  assert.deepEqual(context, { targetingKey: "t-1", orgId: 5120, seats: 12, beta: false });

  // The results have the room for every column at laptop width.
  const table = await page.locator("table.results").evaluate((t) => ({ table: t.scrollWidth, wrap: t.parentElement.clientWidth }));
  assert.ok(table.table <= table.wrap + 1, `the results fit: ${JSON.stringify(table)}`);
  await shot(page, "26-evaluate-typed");
  await importDocument(example);
});

test("history: a diff form with a version that does not exist says so, and no old answer stays", async () => {
  await page.goto(`${app.url}#/history`);
  await page.locator("table.versions tbody tr").first().waitFor();
  const current = await version();
  await page.getByLabel("From version").fill(String(current + 5));
  await page.getByRole("button", { name: "Show the diff" }).click();
  const error = page.locator("#diff-form-error");
  await eventually(async () => /From version: a version number from 0 to/.test(await error.innerText()), 5000, "the form's error");
  assert.equal(await page.getByLabel("From version").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByTestId("diff").count(), 0);
  await page.getByLabel("From version").fill("");
  await page.getByRole("button", { name: "Show the diff" }).click();
  assert.match(await error.innerText(), /From version/);
  await page.getByLabel("From version").fill(String(current - 1));
  await page.getByRole("button", { name: "Show the diff" }).click();
  await page.getByTestId("diff").waitFor();
  assert.equal(await error.innerText(), "");
});

test("change preview: a pasted line that is not one context object is named", async () => {
  await openFlag("daily-planning", "Preview change");
  await page.getByLabel("Pasted (JSON lines)").check();
  const box = page.getByLabel("Contexts, one JSON object per line");
  await box.fill('{"targetingKey":"a"}\n[{"targetingKey":"b"}]');
  await page.getByTestId("run-preview").click();
  const alert = page.locator(".form-error[role=alert]").filter({ hasText: "line 2" });
  await alert.waitFor();
  assert.match(await alert.innerText(), /line 2: a context is one JSON object per line/);
  await box.fill('{"targetingKey":"a"}\n{"plan": pro}');
  await page.getByTestId("run-preview").click();
  await page.locator(".form-error[role=alert]", { hasText: /line 2: not valid JSON: .*quotes/ }).waitFor();
  // A generated sample's size out of range is said, not quietly replaced.
  await page.getByLabel("Generated from what the rules read").check();
  await page.getByLabel("How many").fill("0");
  await page.getByTestId("run-preview").click();
  await page.locator(".form-error[role=alert]", { hasText: "How many: `0` is not a whole number from 1 to 100000" }).waitFor();
});

test("change preview: generated contexts reach past a long user list and both sides of a date rule", async () => {
  await importDocument(example);
  const ids = Array.from({ length: 500 }, (_, i) => `u${i}`);
  await createBooleanFlag("e2e-preview", "E2E preview", {
    targets: [{ values: ids, variant: "off" }],
    rules: [
      { id: "pro", clauses: [{ attribute: "plan", op: "in", values: ["pro"] }], serve: { variant: "on" } },
      { id: "new", clauses: [{ attribute: "signedUpAt", op: "after", values: ["2026-11-15T00:00:00Z"] }], serve: { variant: "off" } },
    ],
  });
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  await openFlag("e2e-preview", /production/);
  // The "new" rule starts serving on: only contexts signed up after the date (and not pro, not listed) move.
  await page.locator("#rule-1-variant").selectOption("on");
  await page.getByRole("tab", { name: "Preview change" }).click();
  await page.getByLabel("Generated from what the rules read").check();
  await page.getByTestId("run-preview").click();
  const result = page.getByTestId("preview-result");
  await result.waitFor();
  const changed = Number(await result.getAttribute("data-changed"));
  const total = Number(await result.getAttribute("data-total"));
  assert.ok(changed > 0 && changed < total, `some, not all, move: ${changed} of ${total}`);
  await page.getByRole("button", { name: "Discard changes" }).click();
  await importDocument(example);
});

test("defaults serve the flag's on variant: the progressive rollout, new rules and target lists; the preview shows each step", async () => {
  // A stored boolean flag lists its variants by name, `off` first: "the first variant" would be
  // `off` everywhere.
  const key = "e2e-defaults";
  await createBooleanFlag(key, "E2E defaults", {});
  await reloaded();
  await openFlag(key, /production/);
  const schedule = page.getByRole("region", { name: "Schedule" });
  await schedule.getByText("Progressive rollout…").click();
  assert.equal(await schedule.getByLabel("Variant rolled out").inputValue(), "on");
  // The defaults as they are: from tomorrow morning, a day apart, 5, 25, 50 and 100 %.
  await schedule.getByRole("button", { name: "Make the steps" }).click();
  assert.equal(await schedule.locator("li.step").count(), 4);

  await page.getByRole("tab", { name: "Preview change" }).click();
  await page.getByTestId("run-preview").click();
  const result = page.getByTestId("preview-result");
  await result.waitFor();
  assert.equal(await result.getAttribute("data-changed"), "0", "nothing changes before the first step");
  const total = Number(await result.getAttribute("data-total"));
  const steps = page.getByTestId("preview-step");
  assert.equal(await steps.count(), 4, "each scheduled step is previewed");
  const changed = await steps.evaluateAll((s) => s.map((li) => Number(li.dataset.changed)));
  assert.ok(changed[0] > 0 && changed[0] < total / 4, `about 5 % at the first step: ${changed}`);
  assert.ok(changed[1] < changed[2] && changed[2] < total, `more at each step: ${changed}`);
  assert.equal(changed[3], total, "everyone gets on at the last step");
  assert.match(await steps.nth(3).innerText(), /serves on 100 %/);
  await shot(page, "26-preview-steps");
  await page.getByRole("button", { name: "Discard changes" }).click();

  await openFlag(key, /production/);
  await page.getByRole("button", { name: "Add rule" }).click();
  assert.equal(await page.locator("li.rule").last().getByLabel("Variant", { exact: true }).inputValue(), "on");
  const targets = page.getByRole("region", { name: "Individual targets" });
  await targets.getByRole("button", { name: "Add users" }).click();
  assert.equal(await targets.locator("li.target-row").first().getByLabel("Serve").inputValue(), "on");
  await page.getByRole("button", { name: "Discard changes" }).click();
});

test("a refused save brings the conflict panel into view, with focus", async () => {
  await importDocument(example);
  await reloaded();
  await openFlag("daily-planning", /production/);
  const renamed = (await api("GET", "/flags/daily-planning")).body.flag;
  const r = await api("PUT", "/flags/daily-planning", { body: { ...renamed, name: "Renamed meanwhile" }, ifMatch: await version() });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // An edit at the bottom of the page, then Save from there.
  const schedule = page.getByRole("region", { name: "Schedule" });
  await schedule.getByRole("button", { name: "Add step" }).click();
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await saveReviewed(page);
  const conflict = page.getByTestId("conflict");
  await conflict.waitFor();
  await eventually(async () => (await page.evaluate(() => document.activeElement?.dataset.testid)) === "conflict", 3000, "focus on the conflict panel");
  const inView = await conflict.evaluate((el) => {
    const box = el.getBoundingClientRect();
    return box.top >= 0 && box.top < window.innerHeight;
  });
  assert.ok(inView, "the panel's top is on screen");
  await page.getByRole("button", { name: "Discard changes" }).click();
  await importDocument(example);
});

test("the kill switch on a flag's page asks before Save writes it, naming the flags that require this one", async () => {
  await importDocument(example);
  const key = "enhanced-task-metadata"; // daily-planning requires it
  await reloaded();
  await openFlag(key, /production/);
  await page.getByLabel(/Enabled \(the kill switch\)/).uncheck();
  const before = await version();
  await page.getByTestId("save").click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Turn ${key} off in production?`).waitFor();
  assert.match(await dialog.innerText(), /require it[^]*daily-planning/);
  await shot(page, "27-kill-switch-save-confirm");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await version(), before, "cancel writes nothing");
  await page.getByTestId("save").click();
  await dialog.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByTestId("review-confirm").click();
  await page.locator(".notice.success").last().waitFor();
  assert.equal((await api("GET", `/flags/${key}`)).body.flag.environments.production.enabled, false);
  // An edit that leaves the switch alone saves without a question.
  await openFlag(key, /^Settings/);
  await page.getByLabel("Description").fill("Metadata, switched off");
  await saveReviewed(page);
  await eventually(async () => (await api("GET", `/flags/${key}`)).body.flag.description === "Metadata, switched off", 10000, "saved without a question");
  assert.equal(await dialog.isVisible(), false);
  await importDocument(example);
});

test("the list says what each environment serves, with the next scheduled step", async () => {
  await importDocument(example);
  const key = "e2e-served";
  const split = (on) => ({ rollout: { weights: [{ variant: "on", weight: on }, { variant: "off", weight: 100 - on }] } });
  const next = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  next.setUTCHours(9, 0, 0, 0);
  await createBooleanFlag(key, "E2E served", { defaultServe: split(25), schedule: [{ at: next.toISOString(), defaultServe: split(50) }] });
  await reloaded();
  const served = (env) => page.locator(`tr[data-key="${key}"] td.env-col`).filter({ has: page.locator(`[data-env="${env}"]`) }).getByTestId("served");
  const day = `${next.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${next.getUTCDate()}`;
  assert.equal(await served("production").innerText(), `on for 25 %; scheduled: 50 % on ${day}`);
  assert.equal(await served("staging").innerText(), "off for everyone (callers' defaults)");
  // A switched-on flag that gives everyone `false` is not shown as "on".
  await createBooleanFlag("e2e-served-off", "E2E served off", {});
  await reloaded();
  const row = page.locator('tr[data-key="e2e-served-off"]');
  await row.waitFor();
  assert.equal(await row.locator('button[data-env="production"]').getAttribute("aria-checked"), "true");
  assert.equal(await row.locator("td.env-col").filter({ has: page.locator('[data-env="production"]') }).getByTestId("served").innerText(), "off for everyone");
  await shot(page, "28-list-served");
  await importDocument(example);
});
