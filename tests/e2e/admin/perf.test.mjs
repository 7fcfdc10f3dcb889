// 500 flags: how long the list takes to render from navigation, and how long each keystroke
// in the search box takes to show its result. Measured and printed (also in
// target/admin-ui-e2e/measurements.txt), not asserted against a budget.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";

import { closeAll, example, importDocument, launch, record, repo, shot, signedIn, signIn, tokens, watchedPage } from "./harness.mjs";

const FLAGS = 500;
let browser;
let app;
let page;

/** The largest flag a team keeps: 30 rules of two conditions (some rolling out) and a
 * 2,000-user target list in production. */
const BIG = "generated-big";
function bigFlag() {
  const rules = [];
  for (let r = 0; r < 30; r++) {
    rules.push({
      id: `rule-${r}`,
      clauses: [
        { attribute: "plan", op: "in", values: [`plan-${r}`, `plan-${r + 1}`] },
        { attribute: "country", op: "in", values: ["DE", "FR", "NL"], negate: r % 2 === 1 },
      ],
      serve: r % 3 === 0 ? { rollout: { weights: [{ variant: "on", weight: 25 }, { variant: "off", weight: 75 }] } } : { variant: r % 2 ? "on" : "off" },
    });
  }
  const users = Array.from({ length: 2000 }, (_, i) => `user-${String(i).padStart(5, "0")}`);
  return {
    name: "Generated big flag",
    description: "The largest flag of the performance test.",
    tags: ["ops"],
    kind: "boolean",
    variants: { on: true, off: false },
    environments: {
      development: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } },
      production: { enabled: true, offVariant: "off", targets: [{ variant: "on", values: users }], rules, defaultServe: { variant: "off" } },
    },
  };
}

/** The example, the big flag and generated flags, up to `n`: a mix of kinds, tags, rules and
 * rollouts. */
function bigDocument(n) {
  const doc = structuredClone(example);
  doc.flags[BIG] = bigFlag();
  const tags = ["billing", "search", "mobile", "ai", "growth", "ops", "experiment"];
  for (let i = 0; Object.keys(doc.flags).length < n; i++) {
    const key = `generated-${String(i).padStart(3, "0")}`;
    const on = i % 3 !== 0;
    doc.flags[key] = {
      name: `Generated flag ${i}`,
      description: `A generated flag for the performance test, number ${i}.`,
      tags: [tags[i % tags.length], tags[(i * 3 + 1) % tags.length]],
      kind: "boolean",
      variants: { on: true, off: false },
      environments: {
        development: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } },
        staging: { enabled: on, offVariant: "off", defaultServe: { variant: "on" } },
        production: {
          enabled: on,
          offVariant: "off",
          rules: i % 4 === 0 ? [{ id: "staff", clauses: [{ attribute: "email", op: "endsWith", values: ["@example.com"] }], serve: { variant: "on" } }] : undefined,
          defaultServe: i % 2 === 0 ? { rollout: { weights: [{ variant: "on", weight: i % 100 }, { variant: "off", weight: 100 - (i % 100) }] } } : { variant: "off" },
        },
      },
    };
  }
  return doc;
}

before(async () => {
  await importDocument(bigDocument(FLAGS));
  ({ app, browser, page } = await signedIn(tokens.admin));
});

after(async () => {
  const errors = await closeAll(browser, app, page);
  // Leave the store as the other tests expect to find it.
  await importDocument(example);
  assert.deepEqual(errors, []);
});

/** Per-keystroke time (input event → reactive updates → the next painted frame) typing `text`
 * at the end of the input `selector`. */
async function typingTimes(selector, text) {
  return page.evaluate(
    async ({ selector, text }) => {
      const input = document.querySelector(selector);
      input.focus();
      const out = [];
      for (const ch of text) {
        const t0 = performance.now();
        input.value += ch;
        input.dispatchEvent(new InputEvent("input", { bubbles: true, data: ch, inputType: "insertText" }));
        await new Promise((resolve) => setTimeout(resolve, 0));
        await new Promise((resolve) => requestAnimationFrame(() => resolve()));
        out.push(performance.now() - t0);
      }
      return out;
    },
    { selector, text },
  );
}

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}

const rows = () => document.querySelectorAll("table.flags tbody tr").length;

test(`${FLAGS} flags: the list renders from navigation`, async () => {
  // From another page of the app (document loaded): navigation → every row in the DOM.
  await page.goto(`${app.url}#/segments`);
  await page.locator("table.segments").waitFor();
  const inApp = [];
  for (let i = 0; i < 3; i++) {
    const ms = await page.evaluate(
      (n) =>
        new Promise((resolve) => {
          const t0 = performance.now();
          location.hash = "#/flags";
          const check = () => {
            if (document.querySelectorAll("table.flags tbody tr").length === n) {
              // The rows exist; wait for the frame that paints them.
              requestAnimationFrame(() => resolve(performance.now() - t0));
            } else requestAnimationFrame(check);
          };
          check();
        }),
      FLAGS,
    );
    inApp.push(ms);
    await page.evaluate(() => (location.hash = "#/segments"));
    await page.locator("table.segments").waitFor();
  }
  // A cold load: navigation start → wasm, document fetched and parsed, every row painted.
  // The page leaves the app first: a `goto` that changes only the fragment would be an
  // in-app navigation, and `performance.now()` would count from the earlier load.
  const cold = [];
  for (let i = 0; i < 3; i++) {
    await page.goto("about:blank");
    await page.goto(`${app.url}#/flags`);
    await page.waitForFunction((n) => document.querySelectorAll("table.flags tbody tr").length === n, FLAGS, { polling: "raf", timeout: 30000 });
    const { ms, type } = await page.evaluate(() => ({ ms: performance.now(), type: performance.getEntriesByType("navigation")[0]?.type }));
    assert.equal(type, "navigate", "a new document, not a fragment change");
    cold.push(ms);
  }
  // Where the cold load's time goes: when each request the page made had its answer.
  const timings = await page.evaluate(() =>
    performance.getEntriesByType("resource").map((r) => ({ name: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd })),
  );
  const dcl = await page.evaluate(() => performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd ?? 0);
  assert.equal(await page.evaluate(rows), FLAGS);
  await shot(page, "20-flags-500", { fullPage: false });
  record(`flag list, ${FLAGS} flags, in-app navigation to painted rows: ${inApp.map((m) => m.toFixed(0)).join(", ")} ms (budget 1000 ms)`);
  record(`flag list, ${FLAGS} flags, cold page load (navigation start to painted rows, wasm + document included): ${cold.map((m) => m.toFixed(0)).join(", ")} ms (budget 1000 ms)`);
  const parts = timings
    .filter((t) => /\.wasm$|\.js$|\/api\/v1\//.test(t.name))
    .map((t) => `${t.name.replace(/^.*\//, "")} ${t.start.toFixed(0)}–${t.end.toFixed(0)}`);
  record(`  cold load, ms from navigation start: DOMContentLoaded ${dcl.toFixed(0)}; ${parts.join("; ")}`);
});

test(`${FLAGS} flags: typing in search stays responsive`, async () => {
  const search = page.getByLabel("Search");
  await search.focus();
  // Each keystroke: input event → the app's reactive updates (microtasks, so done by the next
  // macrotask) → the next animation frame, which paints the filtered rows. (Waiting for the
  // result count to change would hang on a keystroke that filters nothing out.)
  const timings = await typingTimes("#flag-search", "generated-4");
  const shown = await page.locator("table.flags tbody tr").count();
  assert.ok(shown > 0 && shown < FLAGS);
  record(`search typing, ${FLAGS} flags ("generated-4", ${timings.length} keystrokes), per keystroke to painted result: ${summary(timings)}`);
  // Real key presses through the browser's input pipeline, for the same text.
  await search.fill("");
  await page.waitForFunction((n) => document.querySelectorAll("table.flags tbody tr").length === n, FLAGS);
  const expected = (await page.evaluate(() => [...document.querySelectorAll("table.flags tbody tr")].map((r) => r.dataset.key))).filter((k) => k.includes("generated-1")).length;
  const t0 = Date.now();
  await search.pressSequentially("generated-1", { delay: 0 });
  await page.waitForFunction((n) => document.querySelector('[data-testid="result-count"]').textContent.startsWith(`${n} of`), expected, { polling: "raf", timeout: 10000 });
  record(`search typing through the keyboard ("generated-1", 11 keys, no delay, ${expected} matches): ${Date.now() - t0} ms until the last result`);
});

test("a flag with 30 rules and 2,000 targeted users: typing in its editor stays responsive", async () => {
  await page.goto(`${app.url}#/flags/${BIG}`);
  await page.locator("#flag-description").waitFor();
  const description = await typingTimes("#flag-description", " more");
  await page.getByRole("tab", { name: /production/ }).click();
  await page.locator("#r29c0-values").waitFor();
  const clause = await typingTimes("#r15c0-values", ", gold");
  const ruleId = await typingTimes("#rule-id-20", "-x");
  const targets = await typingTimes("#target-values-0", ", user-x");
  // The floor, side by side: the same keystrokes into an input that nothing listens to (the
  // time is then the wait for the next frame alone).
  await page.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<input id="perf-floor">'));
  const floor = await typingTimes("#perf-floor", ", gold");
  await page.evaluate(() => document.getElementById("perf-floor").remove());
  // The edits landed in the draft: the count of target values follows the typing.
  await page.locator('label[for="target-values-0"]', { hasText: "Values (2001)" }).waitFor();
  assert.equal(await page.locator("#r15c0-values").inputValue(), "plan-15, plan-16, gold");
  record(`big flag (30 rules, 2,000 targeted users), per keystroke to painted frame: description ${summary(description)}; rule condition values ${summary(clause)}; rule id ${summary(ruleId)}; target list ${summary(targets)}; an input nothing listens to (the frame wait alone) ${summary(floor)}`);
  // Leave without the unsaved-edits question.
  await page.getByRole("button", { name: "Discard changes" }).click();
});

test("a first visit to each page: the wasm it fetches, raw and gzip", async () => {
  // A fresh browser context per page (an empty cache): sign in, then go to the page; every
  // `.wasm` the document fetched is counted, gzip as the build reports it (level 9).
  const pages = [
    ["flag list", "#/flags", "table.flags"],
    ["flag editor", "#/flags/daily-planning", "#editor-title"],
    ["segment editor", "#/segments/beta-testers", "#segment-title"],
    ["evaluate-as", "#/evaluate", "h1:text-is(\"Evaluate as\")"],
    ["history", "#/history", "h1:text-is(\"History\")"],
  ];
  const fresh = await launch();
  try {
    const lines = [];
    for (const [name, route, ready] of pages) {
      const context = await fresh.context();
      const visit = await watchedPage(context);
      await signIn(visit, app.url, tokens.admin);
      await visit.goto(`${app.url}${route}`);
      await visit.locator(ready).first().waitFor();
      const files = await visit.evaluate(() => performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname).filter((p) => p.endsWith(".wasm")));
      assert.ok(files.length > 0, `${name}: no wasm fetched`);
      // A page other than the list is drawn by its own module: counted only once it has loaded.
      assert.equal(files.some((f) => /\/split_/.test(f)), name !== "flag list", `${name}: ${files.join(", ")}`);
      let raw = 0;
      let gzip = 0;
      for (const file of new Set(files)) {
        const bytes = readFileSync(join(repo, "admin-ui/dist/admin", basename(file)));
        raw += bytes.length;
        gzip += gzipSync(bytes, { level: 9 }).length;
      }
      assert.deepEqual(visit.errors, [], `${name}: the page logged errors`);
      lines.push(`${name} ${(gzip / 1000).toFixed(1)} KB gzip (${(raw / 1000).toFixed(1)} KB raw, ${new Set(files).size} modules)`);
      await context.close();
    }
    record(`first visit, wasm fetched per page (budget 300 KB gzip): ${lines.join("; ")}`);
  } finally {
    await fresh.close();
  }
});
