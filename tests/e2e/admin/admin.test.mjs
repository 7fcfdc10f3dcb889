// The admin app end to end: real worker (workerd), real API, real Chromium. The tests run in
// order and share the store: the example document is imported first, then each test builds
// on what the previous ones did (a flag created, switched off, edited from two pages, …).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, appUrl, closeAll, eventually, example, importDocument, launch, ofrep, record, saveReviewed, shot, signIn, tokens, version, watchedPage, worker } from "./harness.mjs";

let browser;
let app;
let context;
let page;
const KEY = "e2e-checkout";

before(async () => {
  // The store may start empty (version 0): the example document is the first import.
  await importDocument(example);
  app = await appUrl();
  browser = await launch();
  context = await browser.context();
  page = await watchedPage(context);
});

after(async () => {
  assert.deepEqual(await closeAll(browser, app, page), [], "the main page logged errors");
});

async function openFlag(p, key, tab) {
  await p.goto(`${app.url}#/flags/${key}`);
  await p.locator("#editor-title").waitFor();
  if (tab) await p.getByRole("tab", { name: tab }).click();
}

/** Waits for the success notice containing `text`; fails at once with an error notice's text. */
async function outcome(p, text) {
  const notice = p.locator(".notice.error, .notice.success", { hasText: new RegExp(`${text}|.`) }).last();
  await p.locator(`.notice.success:has-text("${text}"), .notice.error`).last().waitFor();
  const shown = await notice.innerText();
  assert.ok(shown.includes(text), `expected a notice with "${text}", got: ${shown}`);
}

/** A link of the main navigation (the page itself may link to the same place). */
function section(p, name) {
  return p.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true });
}

async function saved(p) {
  await saveReviewed(p);
  await p.locator(".notice.success").last().waitFor();
  return p.locator(".notice.success").last().innerText();
}

test("the app's pages carry a Content-Security-Policy, nosniff and no Referer", async () => {
  for (const path of ["/admin/", "/admin/flags/some-deep-link"]) {
    const r = await fetch(`${worker}${path}`);
    await r.text();
    const csp = r.headers.get("content-security-policy") ?? "";
    assert.ok(csp.includes("frame-ancestors 'none'") && csp.includes("script-src 'self' 'wasm-unsafe-eval'"), `${path}: CSP ${csp}`);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(r.headers.get("referrer-policy"), "no-referrer", path);
  }
});

test("sign in: a wrong token is refused, a good one shows the flags", async () => {
  await page.goto(app.url);
  await page.getByLabel("Admin token").waitFor();
  await shot(page, "01-sign-in");
  await page.getByLabel("Admin token").fill("not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("This token is not valid").waitFor();
  await signIn(page, app.url, tokens.admin);
  await page.locator("table.flags tbody tr").first().waitFor();
  assert.equal(await page.locator("table.flags tbody tr").count(), Object.keys(example.flags).length);
  assert.match(await page.getByTestId("who").innerText(), /admin/);
  await shot(page, "02-flags");
  // Search, filters and counts.
  await page.getByLabel("Search").fill("planning");
  await eventually(async () => (await page.locator("table.flags tbody tr").count()) < Object.keys(example.flags).length, 5000, "search");
  for (const key of await page.locator("table.flags tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.key))) {
    const f = example.flags[key];
    assert.ok(`${key} ${f.name} ${f.description} ${f.tags}`.toLowerCase().includes("planning"), key);
  }
  await page.getByLabel("Search").fill("");
  await page.getByLabel("Environment").selectOption("production");
  await page.getByLabel("Status").selectOption("off");
  const off = await page.locator("table.flags tbody tr").count();
  const expected = Object.values(example.flags).filter((f) => !f.environments?.production?.enabled).length;
  assert.equal(off, expected);
  await page.getByLabel("Status").selectOption("");
  await page.getByLabel("Environment").selectOption("");
});

test("create a flag with a rule and a 25 % rollout", async () => {
  await page.getByRole("link", { name: "New flag" }).click();
  await page.getByLabel("Key").fill(KEY);
  await page.getByRole("region", { name: "Details" }).getByLabel("Name").fill("E2E checkout");
  await page.getByLabel("Tags (comma-separated)").fill("e2e, checkout");
  await page.getByRole("tab", { name: /production/ }).click();
  await page.getByLabel(/^Enabled/).check();
  await page.getByRole("button", { name: "Add rule" }).click();
  const rule = page.locator("li.rule").first();
  await rule.getByLabel("Rule id").fill("pro-plan");
  await rule.getByLabel("Attribute").fill("plan");
  await rule.getByLabel("Values").fill("pro, enterprise");
  const everyoneElse = page.getByRole("region", { name: "Everyone else" });
  await everyoneElse.getByLabel("a percentage rollout").check();
  const weights = everyoneElse.getByTestId("weight");
  await weights.first().fill("25");
  await weights.first().press("Tab");
  assert.equal(await weights.nth(1).inputValue(), "75", "the other weight follows");
  assert.match(await everyoneElse.getByTestId("split").getAttribute("aria-label"), /25 % on, 75 % off/);
  await shot(page, "03-new-flag-production");
  const message = await saved(page);
  assert.match(message, new RegExp(`Saved ${KEY} as version \\d+`));
  const r = await api("GET", `/flags/${KEY}`);
  assert.equal(r.status, 200);
  const prod = r.body.flag.environments.production;
  assert.equal(prod.enabled, true);
  assert.deepEqual(prod.rules, [
    { id: "pro-plan", clauses: [{ attribute: "plan", op: "in", values: ["pro", "enterprise"] }], serve: { variant: "on" } },
  ]);
  assert.deepEqual(prod.defaultServe, { rollout: { weights: [{ variant: "on", weight: 25 }, { variant: "off", weight: 75 }] } });
  assert.equal(r.body.flag.createdBy, "e2e-admin");
  // The edge serves it.
  await eventually(async () => (await ofrep(KEY, { targetingKey: "u1", plan: "pro" })).body.reason === "TARGETING_MATCH", 15000, "the new flag at the edge");
});

test("the production kill switch asks first, and the evaluation route agrees", async () => {
  await section(page, "Flags").click();
  const row = page.locator(`tr[data-key="${KEY}"]`);
  const sw = row.locator('button[role="switch"][data-env="production"]');
  assert.equal(await sw.getAttribute("aria-checked"), "true");
  await sw.click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Turn ${KEY} off in production?`).waitFor();
  await shot(page, "04-kill-switch-confirm");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await sw.getAttribute("aria-checked"), "true", "cancel changes nothing");
  await sw.click();
  await dialog.getByRole("button", { name: "Turn off" }).click();
  await eventually(async () => (await row.locator('button[role="switch"][data-env="production"]').getAttribute("aria-checked")) === "false", 10000, "the switch off");
  const r = await api("GET", `/flags/${KEY}`);
  assert.equal(r.body.flag.environments.production.enabled, false);
  const answer = await eventually(async () => {
    const a = await ofrep(KEY, { targetingKey: "u1", plan: "pro" });
    return a.body.reason === "DISABLED" ? a : null;
  }, 15000, "OFREP to say DISABLED");
  assert.equal(answer.body.variant, "off");
  assert.equal(answer.body.value, false);
  // Staging has no confirmation.
  const staging = row.locator('button[role="switch"][data-env="staging"]');
  await staging.click();
  await eventually(async () => (await row.locator('button[role="switch"][data-env="staging"]').getAttribute("aria-checked")) === "true", 10000, "staging on without a dialog");
});

test("evaluate as shows the reason the core gives, and the store agrees", async () => {
  await section(page, "Evaluate as").click();
  await page.getByLabel("Environment").selectOption("production");
  await page.getByLabel("Targeting key").fill("user-1");
  await page.getByLabel("Attribute 1 name").fill("role");
  await page.getByLabel("Attribute 1 value").fill("admin");
  await page.getByRole("button", { name: "Add attribute" }).click();
  await page.getByLabel("Attribute 2 name").fill("plan");
  await page.getByLabel("Attribute 2 value").fill("pro");
  const row = (k) => page.locator(`table.results tr[data-flag="${k}"]`);
  await eventually(async () => (await row(KEY).getAttribute("data-reason")) === "DISABLED", 5000, "DISABLED in the table");
  assert.equal(await row(KEY).getAttribute("data-variant"), "off");
  // daily-planning's reason is whatever the store's core says for this context.
  const store = await api("POST", "/evaluate", { body: { environment: "production", context: { targetingKey: "user-1", role: "admin", plan: "pro" }, flags: ["daily-planning"] } });
  assert.equal(store.status, 200, JSON.stringify(store.body));
  assert.equal(await row("daily-planning").getAttribute("data-reason"), store.body.results["daily-planning"].reason);
  await page.getByRole("button", { name: "Compare with the store" }).click();
  await page.getByText("The store agrees on every flag.").waitFor();
  await shot(page, "05-evaluate-as");
  // JSON mode keeps the same context.
  await page.getByRole("button", { name: "JSON" }).click();
  const json = JSON.parse(await page.getByLabel("Context (JSON)").inputValue());
  assert.deepEqual(json, { targetingKey: "user-1", role: "admin", plan: "pro" });
});

test("a conflicting save from a second page shows who changed what and offers to reload", async () => {
  const editorContext = await browser.context();
  const other = await watchedPage(editorContext);
  await signIn(other, app.url, tokens.editor);
  await openFlag(page, KEY);
  await openFlag(other, KEY);
  await page.getByLabel("Description").fill("Changed from the first page");
  await other.getByLabel("Description").fill("Changed from the second page");
  await saved(page);
  await saveReviewed(other);
  const conflict = other.getByTestId("conflict");
  await conflict.waitFor();
  await conflict.getByText("by e2e-admin").first().waitFor();
  await conflict.getByText("What they changed here").waitFor();
  assert.match(await conflict.innerText(), /Changed from the first page/);
  await shot(other, "06-conflict");
  await conflict.getByRole("button", { name: /Reload their version/ }).click();
  await eventually(async () => (await other.getByLabel("Description").inputValue()) === "Changed from the first page", 10000, "the reloaded draft");
  assert.equal(await other.getByTestId("conflict").count(), 0);
  assert.deepEqual(other.errors, []);
  await editorContext.close();
});

test("a save the store refuses shows its problems, by pointer", async () => {
  // The second page edits max-upload-mb from a stale document; meanwhile another flag starts
  // requiring one of its variants. Saving over that version removes the variant: the store
  // answers 422 with a pointer into the other flag, which the summary shows.
  const flag = example.flags["max-upload-mb"];
  const variant = Object.keys(flag.variants).find((v) => v !== Object.values(flag.environments.production.defaultServe ?? {})[0]) ?? Object.keys(flag.variants)[0];
  await openFlag(page, "max-upload-mb");
  const v = await version();
  const dependent = { kind: "boolean", variants: { on: true, off: false }, prerequisites: [{ flag: "max-upload-mb", variant }] };
  const put = await api("PUT", "/flags/e2e-dependent", { body: dependent, ifMatch: v });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const index = await page.locator("li.variant-row").evaluateAll((rows, v) => rows.findIndex((r) => r.dataset.variant === v), variant);
  await page.locator("li.variant-row").nth(index).getByRole("button", { name: /Remove variant/ }).click();
  // Anything that still served it now points at nothing: the core says so before saving.
  const localErrors = await page.locator(".summary li.problem.error").count();
  if (localErrors === 0) {
    await saveReviewed(page);
    await page.getByTestId("conflict").getByRole("button", { name: "Save my changes on top of theirs" }).click();
    const item = page.locator(".summary li", { hasText: "/flags/e2e-dependent/prerequisites/0" });
    await item.first().waitFor();
    assert.match(await item.first().innerText(), /unknown-variant|variant/);
    await shot(page, "07-store-refused");
  } else {
    // The variant was in use by this flag itself: the core's own diagnostics are at the fields.
    await shot(page, "07-local-problems");
  }
  await page.getByRole("button", { name: "Discard changes" }).click();
  const del = await api("DELETE", "/flags/e2e-dependent", { ifMatch: await version() });
  assert.equal(del.status, 200, JSON.stringify(del.body));
});

test("validation from the core shows at the field it concerns", async () => {
  await openFlag(page, "daily-planning", /production/);
  const rule = page.locator("li.rule").first();
  await rule.getByLabel("Operator").selectOption("gt");
  await rule.getByLabel("Values").fill("ten");
  const values = rule.getByLabel("Values");
  await eventually(async () => (await values.getAttribute("aria-invalid")) === "true", 5000, "aria-invalid on the values");
  const problem = rule.locator(".clause .problems li.error").first();
  assert.match(await problem.innerText(), /number/i);
  assert.equal(await page.getByTestId("save").isDisabled(), false);
  await page.getByTestId("save").click();
  await page.locator(".notice.error").getByText("Fix the errors").waitFor();
  await shot(page, "08-field-validation");
  await page.getByRole("button", { name: "Discard changes" }).click();
  // Variant values are checked as they are typed.
  await openFlag(page, "max-upload-mb");
  const value = page.locator("li.variant-row").first().locator("input").nth(1);
  await value.fill("12x");
  await eventually(async () => (await value.getAttribute("aria-invalid")) === "true", 5000, "a bad number");
  await page.getByRole("button", { name: "Discard changes" }).click();
});

test("prerequisites: the picker cannot make a cycle and shows dependents", async () => {
  await openFlag(page, "enhanced-task-metadata");
  const dependents = page.getByTestId("dependents");
  await dependents.getByRole("link", { name: "daily-planning" }).waitFor();
  const option = page.locator('#prereq-flag option[value="daily-planning"]');
  assert.equal(await option.isDisabled(), true);
  assert.match(await option.innerText(), /cycle/);
  await shot(page, "09-prerequisites");
});

test("history: a diff between versions, and restoring an old one", async () => {
  // The previous test wrote through the API behind the app's back: start from the current store.
  await page.reload();
  await section(page, "History").click();
  const rows = page.locator('table.versions tbody tr');
  await rows.first().waitFor();
  const current = await version();
  assert.equal(Number(await rows.first().getAttribute("data-version")), current);
  await rows.first().getByRole("button", { name: "What changed" }).click();
  await page.getByTestId("diff").waitFor();
  await shot(page, "10-history-diff");
  const importVersion = (await api("GET", "/history?limit=100")).body.versions.filter((v) => v.action === "import").map((v) => v.version)[0];
  const row = page.locator(`table.versions tr[data-version="${importVersion}"]`);
  await row.getByRole("button", { name: "Restore" }).click();
  await page.getByRole("dialog").getByRole("button", { name: `Restore version ${importVersion}` }).click();
  await outcome(page, `Restored version ${importVersion}`);
  const now = await api("GET", "/document");
  const then = await api("GET", `/history/${importVersion}`);
  assert.ok(now.body.version > current);
  assert.deepEqual(Object.keys(now.body.document.flags).sort(), Object.keys(then.body.document.flags).sort());
  assert.equal(now.body.document.flags[KEY], undefined, "the flag created after the import is gone");
});

test("a viewer sees everything and can change nothing", async () => {
  const viewerContext = await browser.context();
  const viewer = await watchedPage(viewerContext);
  await signIn(viewer, app.url, tokens.viewer);
  await viewer.locator("table.flags tbody tr").first().waitFor();
  assert.match(await viewer.getByTestId("who").innerText(), /viewer/);
  const switches = viewer.locator('button[role="switch"]');
  const n = await switches.count();
  assert.ok(n > 0);
  assert.equal(await viewer.locator('button[role="switch"]:disabled').count(), n, "every switch is disabled");
  assert.equal(await viewer.getByRole("link", { name: "New flag" }).count(), 0);
  await shot(viewer, "11-viewer-flags");
  await openFlag(viewer, "daily-planning", /production/);
  assert.equal(await viewer.getByTestId("save").count(), 0);
  await viewer.getByText("Read only: your role is viewer").waitFor();
  assert.equal(await viewer.locator("li.rule").first().getByLabel("Values").getAttribute("readonly"), "");
  assert.equal(await viewer.getByRole("button", { name: "Add rule" }).count(), 0);
  assert.equal(await viewer.getByLabel(/^Enabled/).isDisabled(), true);
  await section(viewer, "History").click();
  await viewer.locator("table.versions tbody tr").first().waitFor();
  assert.equal(await viewer.getByRole("button", { name: "Restore" }).count(), 0);
  await shot(viewer, "12-viewer-editor");
  assert.deepEqual(viewer.errors, []);
  await viewerContext.close();
});

test("the change preview counts what the core counts", async () => {
  const key = "daily-planning";
  const contexts = Array.from({ length: 300 }, (_, i) => ({
    targetingKey: `preview-${i}`,
    ...(i % 5 === 0 ? { role: "admin" } : {}),
    ...(i % 7 === 0 ? { plan: "premium" } : {}),
  }));
  const variants = async () => {
    const out = [];
    for (const c of contexts) {
      const r = await api("POST", "/evaluate", { body: { environment: "production", context: c, flags: [key] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      out.push(r.body.results[key].variant ?? "(caller's default)");
    }
    return out;
  };
  const before = await variants();
  await openFlag(page, key, /production/);
  const everyoneElse = page.getByRole("region", { name: "Everyone else" });
  const weights = everyoneElse.getByTestId("weight");
  await weights.first().fill("50");
  await weights.first().press("Tab");
  await page.getByRole("tab", { name: "Preview change" }).click();
  await page.getByLabel("Pasted (JSON lines)").check();
  await page.getByLabel("Contexts, one JSON object per line").fill(contexts.map((c) => JSON.stringify(c)).join("\n"));
  await page.getByTestId("run-preview").click();
  const result = page.getByTestId("preview-result");
  await result.waitFor();
  const shown = {
    total: Number(await result.getAttribute("data-total")),
    changed: Number(await result.getAttribute("data-changed")),
    moves: Object.fromEntries(
      await result.locator("li.transition").evaluateAll((items) => items.map((li) => [`${li.dataset.from}→${li.dataset.to}`, Number(li.dataset.count)])),
    ),
  };
  await shot(page, "13-change-preview");
  await saveReviewed(page);
  await outcome(page, "Saved");
  const after = await variants();
  const moves = {};
  let changed = 0;
  before.forEach((b, i) => {
    if (b !== after[i]) {
      changed += 1;
      moves[`${b}→${after[i]}`] = (moves[`${b}→${after[i]}`] ?? 0) + 1;
    }
  });
  assert.equal(shown.total, contexts.length);
  assert.equal(shown.changed, changed, "contexts that change");
  assert.deepEqual(shown.moves, moves, "moves by variant");
  assert.ok(changed > 0, "the change moves someone");
  record(`change preview: ${changed} of ${contexts.length} contexts change (${JSON.stringify(moves)}), same as the store`);
  // A generated sample, for the picture.
  await page.getByRole("tab", { name: /production/ }).click();
  await weights.first().fill("80");
  await weights.first().press("Tab");
  await page.getByRole("tab", { name: "Preview change" }).click();
  await page.getByLabel("Generated from what the rules read").check();
  await page.getByTestId("run-preview").click();
  await page.getByTestId("preview-result").waitFor();
  assert.ok(Number(await page.getByTestId("preview-result").getAttribute("data-changed")) > 0);
  await shot(page, "14-change-preview-generated");
  await page.getByRole("button", { name: "Discard changes" }).click();
});

test("segments, audit log, and the main screens at tablet width", async () => {
  await section(page, "Segments").click();
  await page.locator("table.segments tbody tr").first().waitFor();
  await shot(page, "15-segments");
  await page.locator("table.segments tbody tr a").first().click();
  await page.locator("#segment-title").waitFor();
  await shot(page, "16-segment-editor");
  await openFlag(page, "daily-planning", "Audit log");
  await page.getByTestId("audit").locator("tbody tr").first().waitFor();
  assert.ok((await page.getByTestId("audit").locator("tbody tr").count()) >= 1);
  await shot(page, "17-audit-log");
  await page.setViewportSize({ width: 820, height: 1100 });
  await section(page, "Flags").click();
  await page.locator("table.flags tbody tr").first().waitFor();
  await shot(page, "18-tablet-flags");
  await openFlag(page, "daily-planning", /production/);
  await shot(page, "19-tablet-editor");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at tablet width (${overflow} px)`);
  await page.setViewportSize({ width: 1366, height: 900 });
});

test("keyboard: the flag list and editor are reachable without a mouse", async () => {
  await page.goto(`${app.url}#/flags`);
  await page.locator("table.flags tbody tr").first().waitFor();
  await page.keyboard.press("Tab");
  const seen = [];
  for (let i = 0; i < 40; i++) {
    seen.push(await page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.getAttribute("role") ? "[" + el.getAttribute("role") + "]" : ""}` : "";
    }));
    await page.keyboard.press("Tab");
  }
  assert.ok(seen.includes("input#flag-search"), seen.join(" "));
  assert.ok(seen.some((s) => s.includes("[switch]")), seen.join(" "));
  // Enter on a flag link opens the editor.
  await page.locator("a.flag-key").first().focus();
  await page.keyboard.press("Enter");
  await page.locator("#editor-title").waitFor();
});

test("text in any script: a name and description with accents, CJK, Arabic and emoji round-trip and use a font stack that has them", async () => {
  const key = "e2e-text";
  const name = "Café ✓ 日本語 العربية 🚀";
  const description = "Für alle Nutzer — 한국어 😀 and हिन्दी";
  const flag = { name, description, kind: "boolean", variants: { on: true, off: false } };
  const r = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version() });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("button", { name: "Reload", exact: true }).click();
  const row = page.locator("table.flags tbody tr", { hasText: key });
  await eventually(async () => (await row.count()) === 1 && (await row.innerText()).includes(name), 10000, "the flag's row with its name");
  await openFlag(page, key);
  assert.equal(await page.getByLabel("Description", { exact: true }).inputValue(), description);
  const stacks = await page.evaluate(() => [getComputedStyle(document.body).fontFamily, getComputedStyle(document.querySelector("input, textarea")).fontFamily]);
  for (const stack of stacks) {
    for (const family of ["Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Noto Sans CJK SC", "Noto Sans Arabic"]) {
      assert.ok(stack.includes(family), `${family} missing from ${stack}`);
    }
  }
  // Nothing the app shows for it is an escape sequence or replacement character.
  const text = await page.locator("main").innerText();
  assert.ok(!/\\u[0-9a-f]{4}|\uFFFD|&#/.test(text), "escaped or broken text on the page");
  await api("DELETE", `/flags/${key}`, { ifMatch: await version() });
});

test("use in code: snippets for the npm package, OpenFeature and REST read the flag with its type, and the REST one answers at the edge", async () => {
  await openFlag(page, "checkout-button-color", "Use in code");
  const snippets = page.getByTestId("snippet");
  await snippets.first().waitFor();
  const [npm, openfeature, rest] = await snippets.locator("code").allInnerTexts();
  assert.match(npm, /flags\.value\("checkout-button-color", "/, npm);
  assert.match(openfeature, /getStringValue\("checkout-button-color", "/, openfeature);
  assert.match(rest, /\/env\/production\/ofrep\/v1\/evaluate\/flags\/checkout-button-color/, rest);
  // The REST snippet's request, made as written, is answered by the worker.
  const url = rest.match(/(http\S+)/)[1];
  assert.match(rest, /Authorization: Bearer \$BURGEE_EVALUATION_KEY/);
  const headers = { "content-type": "application/json", authorization: `Bearer ${process.env.BURGEE_EVALUATION_KEY ?? ""}` };
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify({ context: { targetingKey: "user-1" } }) });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.equal(body.key, "checkout-button-color");
  // Another environment: the snippets follow it.
  await page.getByLabel("Environment").selectOption("staging");
  assert.match(await snippets.nth(2).locator("code").innerText(), /\/env\/staging\//);
  assert.match(page.url(), /#\/flags\/checkout-button-color\/code$/);
});
