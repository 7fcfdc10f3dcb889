// The npm package's usage metrics against the real worker: ten visitors' pages (the browser
// build, from another origin) each evaluate an experiment flag locally, track its event five
// times and are closed; each page's batch reaches the edge by `navigator.sendBeacon`, and the
// metrics API and the experiment readout count exactly what the pages were served and did.
// Needs the npm package built (`cargo xtask npm` or `test`): it is served from npm/ as is.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";

import { api, closeAll, eventually, example, importDocument, launch, repo, tokens, watchedPage, worker } from "./harness.mjs";

const FLAG = "npm-checkout";
const EVENT = "npm-purchase";
const VISITORS = 10;
const TRACKS = 5;
const key = process.env.BURGEE_EVALUATION_KEY ?? "";
const npm = join(repo, "npm");
let site;
let browser;
const pages = [];

const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">{"imports": {"burgee": "/npm/dist/js/browser.js"}}</script>
<script type="module">
  import { init, createClient } from "burgee";
  const q = new URLSearchParams(location.search);
  try {
    await init();
    const client = createClient({ url: q.get("edge"), environment: "production", refresh: false, storage: null,
      context: { targetingKey: q.get("user") }, headers: { "X-API-Key": q.get("key") }, metrics: { key: q.get("key") } });
    await client.ready();
    window.__variant = client.variant(${JSON.stringify(FLAG)});
    for (let i = 0; i < ${TRACKS}; i++) client.track(${JSON.stringify(EVENT)}, { value: 10 });
    window.__ready = true;
  } catch (e) {
    window.__ready = String(e?.stack ?? e);
  }
</script>`;

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

before(async () => {
  assert.ok(existsSync(join(npm, "dist/js/browser.js")), "build the npm package first (cargo xtask npm)");
  site = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/page.html") {
      res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      return;
    }
    const file = normalize(join(repo, path));
    if (!path.startsWith("/npm/") || !file.startsWith(npm) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  browser = await launch();
  const flag = {
    kind: "boolean",
    clientSide: true,
    variants: { on: true, off: false },
    lifecycle: "experiment",
    experiment: { events: [EVENT] },
    environments: {
      production: {
        enabled: true,
        offVariant: "off",
        defaultServe: { rollout: { weights: [{ variant: "on", weight: 50 }, { variant: "off", weight: 50 }] } },
      },
    },
  };
  // The example's environments (whichever file ran before, or none).
  await importDocument(example);
  const version = (await api("GET", "/document")).body.version;
  const r = await api("PUT", `/flags/${FLAG}`, { body: flag, ifMatch: version });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  // Until the edge has the new version, a page would not know the flag.
  await eventually(async () => {
    const s = await fetch(`${worker}/ofrep/v1/evaluate/flags/${FLAG}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ context: { targetingKey: "not-a-visitor" } }),
    });
    return s.status === 200;
  }, 15_000, `the edge serving ${FLAG}`);
});

after(async () => {
  const errors = pages.flatMap((p) => p.errors);
  await closeAll(browser);
  await new Promise((resolve) => site?.close(resolve));
  assert.deepEqual(errors, [], "the pages logged errors");
});

test(`${VISITORS} visitors evaluate, track ${TRACKS} events each and close the tab: the beacons are counted and the readout shows the conversions per variant`, async () => {
  const origin = `http://127.0.0.1:${site.address().port}`;
  assert.notEqual(origin, new URL(worker).origin, "the page and the edge are different origins");
  const served = { on: 0, off: 0 };
  for (let i = 0; i < VISITORS; i++) {
    const page = await watchedPage(await browser.context());
    pages.push(page);
    const query = new URLSearchParams({ edge: worker, user: `npm-visitor-${i}`, key });
    await page.goto(`${origin}/page.html?${query}`);
    await page.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
    assert.equal(await page.evaluate(() => window.__ready), true);
    served[await page.evaluate(() => window.__variant)] += 1;
    // The sender loads with the first count; then leaving sends the beacon.
    await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => e.name.includes("metrics-send")), null, { timeout: 10_000 });
    await page.close({ runBeforeUnload: true });
  }
  assert.equal(served.on + served.off, VISITORS);

  const metrics = await eventually(async () => {
    const r = await api("GET", `/metrics?flag=${FLAG}&environment=production&step=60`);
    return r.body?.totals?.evaluations >= VISITORS + 1 ? r.body : null;
  }, 30_000, "the visitors' evaluations in the metrics");
  // The warm-up OFREP evaluation at the edge is one more.
  assert.equal(metrics.totals.evaluations, VISITORS + 1, JSON.stringify(metrics.totals));
  for (const variant of ["on", "off"]) {
    const counted = metrics.totals.variants[variant] ?? 0;
    assert.ok(counted === served[variant] || counted === served[variant] + 1, `${variant}: served ${served[variant]}, counted ${counted}`);
  }

  const readout = (await api("GET", `/metrics/readout?flag=${FLAG}&environment=production&event=${EVENT}&control=off`)).body.readout;
  for (const arm of readout.arms) {
    assert.equal(arm.conversions, served[arm.variant], `${arm.variant}: ${JSON.stringify(readout)}`);
    assert.ok(arm.exposures >= served[arm.variant], `${arm.variant}: ${JSON.stringify(readout)}`);
  }
  assert.equal(readout.tooSmall, true, "ten visitors are too few to compare");

  const prometheus = String((await api("GET", "/metrics/prometheus", { token: tokens.viewer })).body);
  const line = prometheus.split("\n").find((l) => l.startsWith(`burgee_events_total{environment="production",event="${EVENT}"}`));
  assert.equal(Number(line?.split(" ").pop()), VISITORS * TRACKS, line ?? prometheus);
});
