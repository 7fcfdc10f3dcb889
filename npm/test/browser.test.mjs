// The package in headless Chromium (Debian's /usr/bin/chromium through playwright-core), pages
// served from 127.0.0.1 by a static file server here: the whole corpus from binary snapshots,
// a client with the real EventSource and localStorage against the real edge worker on another
// origin (CORS; test/worker.mjs), hearing a change made through the admin API, then starting
// offline from localStorage, a React page with @openfeature/react-sdk bundled by esbuild, and
// the beacon of usage metrics a page sends when it is left (test/capture.mjs).

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";

import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { loadDocument } from "burgee";

import { DOCUMENT as METRICS_DOCUMENT, assertBatch, startCapture } from "./capture.mjs";
import { startRelay } from "./relay.mjs";
import { WORKER, bannerFlag, patchFlag, published, putFlag, uniqueKey, until } from "./worker.mjs";
import { ARGS, CHROMIUM } from "./chromium.mjs";

const dir = process.env.BURGEE_TEST_DIR;
const vectors = process.env.BURGEE_VECTORS;
const require = createRequire(join(dir, "package.json"));
const pkgDir = join(dir, "node_modules/burgee");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));


const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
};

/** Serves files only (URL prefix -> directory) on 127.0.0.1; the flags come from the worker. */
async function serveFiles(statics) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    for (const [prefix, root] of Object.entries(statics)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const path = normalize(join(root, decodeURIComponent(url.pathname.slice(prefix.length))));
      if (!path.startsWith(normalize(root)) || !statSync(path, { throwIfNoEntry: false })?.isFile()) break;
      res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream", "Cache-Control": "no-store" });
      return res.end(readFileSync(path));
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end(`not found: ${url.pathname}`);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let server;
let browser;
let profile;

/** A page from test/pages with the import map pointing at the installed package's browser entry. */
function page(name, query = "") {
  const entry = pkg.exports["."].default.default; // what a browser bundler resolves `burgee` to
  const imports = { imports: { burgee: `/pkg/${entry.replace(/^\.\//, "")}` } };
  const html = readFileSync(join(dir, "test/pages", name), "utf8").replace("IMPORTS", JSON.stringify(imports));
  writeFileSync(join(dir, "site", name), html);
  return `${server.url}/site/${name}${query}`;
}

before(async () => {
  mkdirSync(join(dir, "site"), { recursive: true });
  // Binary snapshots for the browser: the CLI's, and the full build's encode() for the
  // document with errors (which `burgee compile` refuses).
  const fixtures = JSON.parse(readFileSync(join(dir, "fixtures/manifest.json"), "utf8"));
  const browserFixtures = {};
  for (const [name, f] of Object.entries(fixtures)) {
    browserFixtures[name] = { ...f.snapshots };
    if (f.documentHasErrors) {
      const file = JSON.parse(readFileSync(join(vectors, name), "utf8"));
      for (const env of new Set(file.cases.map((c) => c.env))) {
        const path = `snapshots/${name.replace(/\.json$/, "")}.${env}.bin`;
        writeFileSync(join(dir, "fixtures", path), loadDocument(file.document, env).encode());
        browserFixtures[name][env] = path;
      }
    }
  }
  writeFileSync(join(dir, "fixtures/browser.json"), JSON.stringify(browserFixtures));

  // The React page: bundled like an app would be (browser conditions, minified).
  const app = join(dir, "app");
  await esbuild.build({
    entryPoints: [join(dir, "test/pages/react-app.jsx")],
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    outfile: join(app, "react-app.js"),
    logLevel: "warning",
    absWorkingDir: dir,
  });
  // The wasm beside the bundle, where `new URL(..., import.meta.url)` in the glue points.
  copyFileSync(require.resolve("burgee/burgee.wasm"), join(app, "burgee_npm_bg.wasm"));

  server = await serveFiles({
    "/pkg/": pkgDir,
    "/test/": join(dir, "test"),
    "/fixtures/": join(dir, "fixtures"),
    "/vectors/": vectors,
    "/site/": join(dir, "site"),
    "/app/": app,
  });
  profile = mkdtempSync(join(tmpdir(), "burgee-chromium-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function watchConsole(p) {
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  // On a timeout, say what the page said.
  const wait = p.waitForFunction.bind(p);
  p.waitForFunction = (...args) =>
    wait(...args).catch(async (e) => {
      const text = await p.evaluate(() => document.body?.innerText).catch(() => "?");
      throw new Error(`${e.message}\npage text: ${text}\nconsole errors: ${errors.join("\n")}`);
    });
  return errors;
}

test("the whole corpus in Chromium, from binary snapshots (lean wasm)", async () => {
  const p = await browser.newPage();
  const errors = watchConsole(p);
  await p.goto(page("corpus.html"));
  await p.waitForFunction(() => window.__result, null, { timeout: 60_000 });
  const result = await p.evaluate(() => window.__result);
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.failures, []);
  assert.equal(result.passed, result.total);
  assert.ok(result.total >= 590);
  console.log(`chromium (${result.userAgent.match(/Chrome\/[\d.]+/)?.[0]}): ${result.passed} corpus cases passed`);
  assert.deepEqual(errors, []);
  await p.close();
});

test("a client in Chromium hears a change through the worker's change stream, then starts offline from localStorage", async () => {
  const key = uniqueKey("page-banner");
  await published(await putFlag(key, bannerFlag("hello")));
  // The page talks to the worker through a relay, so that the network can be taken away.
  const relay = await startRelay(WORKER);
  const p = await browser.newPage();
  const errors = watchConsole(p);
  try {
    const url = page("client.html", `?worker=${encodeURIComponent(relay.url)}&flag=${key}`);
    assert.notEqual(new URL(url).origin, new URL(relay.url).origin, "the page and the worker are different origins");
    await p.goto(url);
    await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
    assert.equal(await p.evaluate(() => window.__ready), true);
    assert.equal(await p.textContent("#banner"), "Hello");
    await until("the page's EventSource is connected to the worker's change stream", () => relay.streams === 1);

    // A change through the admin API: the stream announces it, the page revalidates (no
    // polling, no focus) and re-renders.
    const start = Date.now();
    await patchFlag(key, { environments: { production: { defaultServe: { variant: "sale" } } } });
    await p.waitForFunction(() => window.__changes.length > 0, null, { timeout: 10_000 });
    console.log(`chromium: admin write -> change event in the page ${Date.now() - start} ms`);
    assert.deepEqual(await p.evaluate(() => window.__changes), [[key]]);
    assert.equal(await p.textContent("#banner"), "Sale!");
    const stored = await p.evaluate(() => Object.keys(localStorage));
    assert.equal(stored.length, 1);

    // Offline: the worker cannot be reached; a reload starts from the snapshot in localStorage.
    relay.block();
    await p.reload();
    await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
    assert.equal(await p.evaluate(() => window.__startStatus), "ready");
    assert.equal(await p.evaluate(() => window.__startBanner), "Sale!");
    assert.equal(await p.textContent("#banner"), "Sale!");
    await p.waitForFunction(() => window.__errors.length > 0, null, { timeout: 10_000 });

    // The same without awaiting init(): the copy in storage starts as soon as the wasm is there.
    await p.goto(page("client.html", `?worker=${encodeURIComponent(relay.url)}&flag=${key}&noinit`));
    await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
    assert.equal(await p.evaluate(() => window.__startStatus), "loading");
    assert.equal(await p.textContent("#banner"), "Sale!");
  } finally {
    await p.close();
    await relay.close();
  }
  // The only console errors are the failed requests while offline.
  assert.ok(errors.every((e) => /Failed to load resource|EventSource|net::ERR/.test(e)), errors.join("\n"));
});

test("a React page with @openfeature/react-sdk renders the right variant and follows changes", async () => {
  const key = uniqueKey("react-banner");
  await published(await putFlag(key, bannerFlag("hello")));
  const p = await browser.newPage();
  const errors = watchConsole(p);
  await p.goto(`${server.url}/test/pages/react.html?worker=${encodeURIComponent(WORKER)}&flag=${key}`);
  await p.waitForFunction(() => document.querySelector("#banner")?.textContent === "Hello", null, { timeout: 20_000 });
  assert.equal(await p.textContent("#variant"), "variant hello");
  assert.equal(await p.textContent("#checkout"), "new checkout", "role admin matches the rule");
  await p.screenshot({ path: join(dir, "react-page.png") });

  await patchFlag(key, { environments: { production: { defaultServe: { variant: "sale" } } } });
  await p.waitForFunction(() => document.querySelector("#banner")?.textContent === "Sale!", null, { timeout: 10_000 });
  assert.equal(await p.textContent("#variant"), "variant sale");
  assert.deepEqual(errors, []);
  await p.close();
});

test("a page being left sends its usage metrics with navigator.sendBeacon, key in the query", async () => {
  const capture = await startCapture({ snapshot: loadDocument(METRICS_DOCUMENT, "production").encode() });
  const p = await browser.newPage();
  const errors = watchConsole(p);
  try {
    const url = page("metrics.html", `?edge=${encodeURIComponent(capture.url)}`);
    assert.notEqual(new URL(url).origin, capture.url, "the page and the edge are different origins");
    await p.goto(url);
    await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
    assert.equal(await p.evaluate(() => window.__ready), true);
    const variant = await p.evaluate(() => window.__variant);
    assert.equal(capture.posts.length, 0, "nothing is sent before the page is left");
    await p.goto("about:blank"); // pagehide
    await until("the beacon", () => capture.posts.length === 1, { timeout: 10_000 });
    const { query, headers, body } = capture.posts[0];
    assert.equal(query.key, "ek_beacon");
    assert.match(headers["content-type"], /^application\/json/);
    assertBatch(body);
    assert.deepEqual(
      body.counts.map((c) => [c.flag, c.variant, c.reason, c.count]).sort(),
      [["split", variant, "SPLIT", 1], ["static-on", "on", "STATIC", 5]],
    );
    assert.equal(body.targetingKey, "u1");
    assert.equal(body.events[0].name, "purchase");
    assert.equal(body.events[0].value, 3);
    assert.deepEqual(errors, []);
  } finally {
    await p.close();
    await capture.close();
  }
});
