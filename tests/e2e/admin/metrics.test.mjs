// Usage metrics in the admin app, end to end: the stale-flags page, the chart of a flag's
// evaluations, "last evaluated" in the list, the experiment readout, the lifecycle fields, and
// archive + restore. The counts are real: the test evaluates flags at the worker (OFREP, one
// targeting key per user) and posts clients' batches with conversions (`POST /v1/metrics`),
// waits until the worker's isolate has flushed them to the metrics store (at most 10 s after
// the first count), then checks that what the app shows equals what the metrics API answers,
// so the app cannot pass by only looking right.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, closeAll, eventually, example, importDocument, ofrep, saveReviewed, shot, signedIn, tokens, version, worker } from "./harness.mjs";

let browser;
let app;
let page;

const CHART = "e2e-metrics"; // a, b; production 50 / 50
const NEVER = "e2e-never-used"; // created long ago, never evaluated
const ARCHIVE = "e2e-archive";
const NEEDS = "e2e-needs-archive"; // requires ARCHIVE = on
const EXPERIMENT = "e2e-experiment"; // a (the control), b; measured by "purchase"
const USERS = 40;
const HOUR = 3600 * 1000;

before(async () => {
  // An import keeps the stamps it is given: the flags of this test are created now, but one.
  const createdAt = new Date().toISOString();
  const flags = {
    ...example.flags,
    [CHART]: {
      createdAt,
      kind: "string",
      variants: { a: "a", b: "b" },
      environments: {
        production: {
          enabled: true,
          offVariant: "a",
          defaultServe: { rollout: { weights: [{ variant: "a", weight: 1 }, { variant: "b", weight: 1 }] } },
        },
      },
    },
    [NEVER]: {
      kind: "boolean",
      lifecycle: "release",
      variants: { on: true, off: false },
      environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } } },
      createdAt: "2026-01-05T09:00:00Z",
    },
    [EXPERIMENT]: {
      createdAt,
      kind: "string",
      lifecycle: "experiment",
      experiment: { events: ["purchase"] },
      variants: { a: "a", b: "b" },
      environments: {
        production: {
          enabled: true,
          offVariant: "a",
          defaultServe: { rollout: { weights: [{ variant: "a", weight: 1 }, { variant: "b", weight: 1 }] } },
        },
      },
    },
    [ARCHIVE]: {
      createdAt,
      kind: "boolean",
      variants: { on: true, off: false },
      environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } } },
    },
    [NEEDS]: {
      createdAt,
      kind: "boolean",
      variants: { on: true, off: false },
      prerequisites: [{ flag: ARCHIVE, variant: "on" }],
      environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } } },
    },
  };
  await importDocument({ ...example, flags });
  ({ app, browser, page } = await signedIn(tokens.admin));
});

after(async () => {
  assert.deepEqual(await closeAll(browser, app, page), [], "the page logged errors");
});

async function openFlag(key, part = "") {
  await page.goto(`${app.url}#/flags/${key}${part}`);
  await page.locator("#editor-title").waitFor();
}

/** Waits for a notice of `tone` containing `text`; fails naming the notices on screen. */
async function outcome(text, tone = "success") {
  const notice = page.locator(`.notice.${tone}`, { hasText: text }).last();
  try {
    await notice.waitFor();
  } catch {
    const shown = await page.locator(".notice").allInnerTexts();
    assert.fail(`expected a ${tone} notice with "${text}", got: ${shown.join(" | ")}`);
  }
  return notice.innerText();
}

test("the stale-flags page lists a never-evaluated flag with its reasons, over periods one can change", async () => {
  const usage = await api("GET", "/metrics/usage?days=30");
  assert.equal(usage.status, 200, JSON.stringify(usage.body));
  // "Not evaluated" is judged only once counting covers the period: on a worker that has
  // counted nothing (this file alone) it is; after other files' evaluations it waits.
  const since = usage.body.countingSince;
  const judged = since === null || Date.parse(since) <= Date.now() - 30 * 24 * HOUR;
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Stale", exact: true }).click();
  const item = page.locator(`.stale-list > li[data-key="${NEVER}"]`);
  await item.waitFor();
  const reasons = await item.locator(".reasons li").allInnerTexts();
  // Created 2026-01-05: a release flag is expected to live 40 days.
  const lifetime = /^A temporary flag past its expected lifetime: \d+ days old, expected to live 40 days$/;
  if (judged) {
    assert.equal(reasons.length, 2, reasons.join("; "));
    assert.equal(reasons[0], "Not evaluated in any environment for 30 days: never evaluated");
    assert.match(reasons[1], lifetime);
  } else {
    assert.equal(reasons.length, 1, reasons.join("; "));
    assert.match(reasons[0], lifetime);
  }
  const note = await page.getByTestId("counting-since").innerText();
  assert.ok(since === null ? note === "Nothing has been counted yet." : note.startsWith("Counting since "), note);
  // A flag created today is not stale.
  assert.equal(await page.locator(`.stale-list > li[data-key="${CHART}"]`).count(), 0);
  await shot(page, "metrics-01-stale");
  // The periods are the user's: 90 days is taken and said.
  await page.getByLabel("Not evaluated for (days)").fill("90");
  await page.getByLabel("Not evaluated for (days)").press("Enter");
  if (judged) {
    await eventually(
      async () => (await item.locator(".reasons li").first().innerText()).includes("for 90 days"),
      5000,
      "the period followed",
    );
  }
});

test("the chart shows a flag's evaluations by variant, equal to the metrics API", async () => {
  for (let i = 0; i < USERS; i++) {
    const r = await ofrep(CHART, { targetingKey: `chart-user-${i}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const query = `/metrics?environment=production&flag=${CHART}`;
  const metrics = await eventually(
    async () => {
      const r = await api("GET", query);
      return r.status === 200 && r.body.totals.evaluations === USERS && r.body.totals.uniqueContexts > 0 ? r.body : null;
    },
    30000,
    "the evaluations in the metrics API",
  );
  await openFlag(CHART, "/metrics");
  const usage = page.getByTestId("usage");
  await usage.locator("svg.chart").waitFor();
  assert.equal(await usage.getByTestId("total-evaluations").innerText(), String(metrics.totals.evaluations));
  assert.equal(await usage.getByTestId("unique-contexts").innerText(), String(metrics.totals.uniqueContexts));
  assert.match(await usage.getByTestId("last-evaluated").innerText(), /just now|min ago/);
  // Every step the API counted is a bar with the same numbers, in its hover text too.
  const counted = metrics.series.filter((p) => p.evaluations > 0);
  assert.ok(counted.length >= 1);
  for (const point of counted) {
    const step = usage.locator(`g.step[data-start="${point.start}"]`);
    assert.equal(await step.getAttribute("data-evaluations"), String(point.evaluations), point.start);
    const title = await step.locator("title").textContent();
    assert.ok(title.includes(`: ${point.evaluations} evaluations`), title);
    for (const [variant, n] of Object.entries(point.variants)) {
      assert.ok(title.includes(`${variant} ${n}`), `${title} lacks ${variant} ${n}`);
      assert.equal(await step.locator(`rect.part[data-variant="${variant}"]`).getAttribute("data-count"), String(n));
    }
  }
  // The legend's totals by variant are the API's.
  for (const [variant, n] of Object.entries(metrics.totals.variants)) {
    assert.equal(await usage.locator(`.legend li[data-variant="${variant}"] [data-testid="variant-total"]`).innerText(), String(n));
  }
  await page.mouse.move(0, 0);
  await usage.locator(`g.step[data-start="${counted[0].start}"]`).hover();
  await shot(page, "metrics-02-chart");
  // The 7-day range asks for 6-hour steps: the same totals.
  await usage.getByRole("button", { name: "7 d" }).click();
  const now = Date.now();
  const week = await api(
    "GET",
    `${query}&from=${new Date(now - 7 * 24 * HOUR).toISOString()}&to=${new Date(now).toISOString()}&step=21600`,
  );
  await eventually(async () => (await usage.locator("g.step").count()) >= 28, 5000, "the week's steps");
  assert.equal(await usage.getByTestId("total-evaluations").innerText(), String(week.body.totals.evaluations));
  // The environment is chosen as elsewhere: staging has no evaluations.
  await page.getByLabel("Environment").selectOption("staging");
  await eventually(async () => (await usage.getByTestId("total-evaluations").innerText()) === "0", 5000, "staging's totals");
  assert.equal(await usage.getByTestId("last-evaluated").innerText(), "never");
});

test("the list says when each flag was last evaluated in each environment", async () => {
  await page.goto(`${app.url}#/flags`);
  const row = page.locator(`table.flags tbody tr[data-key="${CHART}"]`);
  await row.waitFor();
  const production = row.locator('.last-evaluated[data-env="production"]');
  await eventually(async () => /just now|min ago/.test(await production.innerText()), 5000, "a last-evaluated time");
  assert.equal(await row.locator('.last-evaluated[data-env="staging"]').innerText(), "never");
  assert.equal(await page.locator(`tr[data-key="${NEVER}"] .last-evaluated[data-env="production"]`).innerText(), "never");
});

test("lifecycle, lifetime and experiment events are edited in the flag's settings", async () => {
  await openFlag(CHART);
  await page.locator("#flag-lifecycle").selectOption("experiment");
  await page.getByLabel("Expected lifetime (days)").fill("soon");
  await page.getByTestId("save").click();
  await outcome("Fix the errors", "error");
  await page.getByLabel("Expected lifetime (days)").fill("14");
  await page.getByLabel("Experiment events (comma-separated)").fill("purchase, signup");
  await saveReviewed(page);
  await outcome("Saved");
  const flag = (await api("GET", "/document")).body.document.flags[CHART];
  assert.equal(flag.lifecycle, "experiment");
  assert.equal(flag.expectedLifetimeDays, 14);
  assert.deepEqual(flag.experiment.events, ["purchase", "signup"]);
});

test("the readout shows each event's arms as the readout API answers them, and says when they are too few", async () => {
  await openFlag(CHART, "/metrics");
  for (const event of ["purchase", "signup"]) {
    const card = page.locator(`.readout-card[data-event="${event}"]`);
    await card.locator("table.readout tbody tr").first().waitFor();
    const r = await api("GET", `/metrics/readout?environment=production&flag=${CHART}&event=${event}&control=a`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { readout } = r.body;
    assert.equal(readout.control, "a");
    assert.equal(await card.locator("tbody tr").count(), readout.arms.length);
    for (const arm of readout.arms) {
      const tr = card.locator(`tbody tr[data-variant="${arm.variant}"]`);
      assert.equal(await tr.locator('[data-col="exposures"]').innerText(), String(arm.exposures));
      assert.equal(await tr.locator('[data-col="conversions"]').innerText(), String(arm.conversions));
      assert.equal(await tr.locator('[data-col="rate"]').innerText(), `${(arm.rate * 100).toFixed(1)} %`);
      assert.equal(await tr.locator('[data-col="verdict"]').innerText(), arm.isControl ? "control" : "too few users to compare");
    }
    assert.ok(readout.tooSmall);
    assert.equal(
      await card.getByTestId("too-small").innerText(),
      "Too few users to compare yet: need 100 exposures and 10 conversions per variant.",
    );
  }
  await shot(page, "metrics-03-readout");
});

/** `0.0312` → `+3.1 pp`, as the app writes a difference of rates. */
function points(diff) {
  const pp = diff * 100;
  if (Math.abs(pp) < 0.05) return "0.0 pp";
  return `${pp > 0 ? "+" : "\u2212"}${Math.abs(pp).toFixed(1)} pp`;
}

const VERDICTS = {
  better: "better than the control",
  worse: "worse than the control",
  inconclusive: "no clear difference",
  tooSmall: "too few users to compare",
};

test("the readout of clients' batches with conversions compares each arm with the control as the API does", async () => {
  // 240 clients, one batch each (POST /v1/metrics, their targeting key counted as one
  // context): even ones served a, odd ones b; 20 of a's and 40 of b's buy.
  const CLIENTS = 240;
  for (let i = 0; i < CLIENTS; i++) {
    const variant = i % 2 === 0 ? "a" : "b";
    const converts = variant === "a" ? i % 12 === 0 : i % 6 === 1;
    const end = Date.now();
    const batch = {
      version: 1,
      start: end - 5000,
      end,
      targetingKey: `readout-user-${i}`,
      counts: [{ environment: "production", flag: EXPERIMENT, variant, reason: "SPLIT", count: 1 }],
      events: converts
        ? [{ environment: "production", name: "purchase", count: 1, attributed: [{ flag: EXPERIMENT, variant, count: 1 }] }]
        : [],
    };
    const r = await fetch(`${worker}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", "x-api-key": process.env.BURGEE_EVALUATION_KEY ?? "" },
      body: JSON.stringify(batch),
    });
    assert.equal(r.status, 202, `${i}: ${r.status} ${await r.text()}`);
  }
  const query = `/metrics/readout?environment=production&flag=${EXPERIMENT}&event=purchase&control=a`;
  const counted = async () => {
    const r = await api("GET", query);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.readout;
  };
  await eventually(
    async () => {
      const r = await counted();
      return !r.tooSmall && r.arms.reduce((n, a) => n + a.exposures, 0) >= CLIENTS * 0.97 && r.arms.reduce((n, a) => n + a.conversions, 0) >= 58;
    },
    30000,
    "the batches in the readout",
  );
  // One more flush period, so that nothing changes while the page and the API are compared.
  await new Promise((r) => setTimeout(r, 11000));
  const readout = await counted();
  await openFlag(EXPERIMENT, "/metrics");
  const card = page.locator('.readout-card[data-event="purchase"]');
  await card.locator("table.readout tbody tr").first().waitFor();
  assert.equal(await card.getByTestId("too-small").count(), 0, "compared: no too-small note");
  assert.equal(readout.control, "a");
  for (const arm of readout.arms) {
    const tr = card.locator(`tbody tr[data-variant="${arm.variant}"]`);
    const cell = (col) => tr.locator(`[data-col="${col}"]`).innerText();
    assert.equal(await cell("exposures"), String(arm.exposures), arm.variant);
    assert.equal(await cell("conversions"), String(arm.conversions), arm.variant);
    assert.equal(await cell("rate"), `${(arm.rate * 100).toFixed(1)} %`, arm.variant);
    if (arm.isControl) {
      assert.equal(await cell("difference"), "control");
      assert.equal(await cell("verdict"), "control");
    } else {
      const d = arm.difference;
      assert.equal(await cell("difference"), points(d.estimate));
      assert.equal(await cell("interval"), `${points(d.low)} to ${points(d.high)}`);
      assert.equal(await cell("verdict"), VERDICTS[arm.verdict]);
      // b converts about twice as often as a: the interval is above zero.
      assert.equal(arm.verdict, "better");
    }
  }
  await shot(page, "metrics-05-readout-compared");
  assert.deepEqual(await counted(), readout, "the counts did not move while they were compared");
});

test("archive: refused while a live flag requires it, then the flag leaves the list and the edge, and comes back", async () => {
  await openFlag(ARCHIVE);
  await page.getByTestId("archive").click();
  const dialog = page.locator("dialog.confirm");
  await dialog.waitFor();
  assert.match(await dialog.locator("#confirm-body").innerText(), new RegExp(`Required by ${NEEDS}`));
  await dialog.getByRole("button", { name: "Archive" }).click();
  const refused = await outcome(`${ARCHIVE} was not archived`, "error");
  assert.match(refused, new RegExp(NEEDS));
  assert.equal((await ofrep(ARCHIVE, { targetingKey: "u1" })).body.value, true);

  // Once its dependent is archived, it can go.
  const needs = await api("POST", `/flags/${NEEDS}/archive`, { ifMatch: await version() });
  assert.equal(needs.status, 200, JSON.stringify(needs.body));
  await page.getByRole("button", { name: "Reload" }).click();
  await page.getByTestId("archive").click();
  await dialog.getByRole("button", { name: "Archive" }).click();
  await outcome(`Archived ${ARCHIVE}`);
  await page.locator("table.flags tbody tr").first().waitFor();
  assert.equal(await page.locator(`table.flags tr[data-key="${ARCHIVE}"]`).count(), 0);
  const section = page.getByTestId("archived");
  assert.equal(await section.locator("summary").innerText(), "Archived (2)");
  await eventually(async () => (await ofrep(ARCHIVE, { targetingKey: "u1" })).body.errorCode === "FLAG_NOT_FOUND", 15000, "the edge to drop it");
  const stored = (await api("GET", "/document")).body.document.flags[ARCHIVE];
  assert.equal(stored.archived, true);
  await section.locator("summary").click();
  await shot(page, "metrics-04-archived");

  // Restore from the list.
  await section.getByRole("button", { name: `Restore ${ARCHIVE}` }).click();
  await outcome(`Restored ${ARCHIVE}`);
  await page.locator(`table.flags tr[data-key="${ARCHIVE}"]`).waitFor();
  assert.equal(await page.getByTestId("archived").locator("summary").innerText(), "Archived (1)");
  await eventually(async () => (await ofrep(ARCHIVE, { targetingKey: "u1" })).body.value === true, 15000, "the edge to serve it again");
  // An archived flag's page says so and offers Restore.
  await openFlag(NEEDS);
  await page.getByTestId("archived-note").waitFor();
  await page.getByTestId("archive").click();
  await outcome(`Restored ${NEEDS}`);
});
