// The package in headless Chromium (Debian's /usr/bin/chromium through playwright-core), pages
// served from 127.0.0.1 by the fixture server: the whole corpus from binary snapshots, a client
// with the real EventSource and localStorage (server push, offline start), and a React page
// with @openfeature/react-sdk bundled by esbuild.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { loadDocument } from "burgee";

import { startServer } from "./server.mjs";

const dir = process.env.BURGEE_TEST_DIR;
const vectors = process.env.BURGEE_VECTORS;
const require = createRequire(join(dir, "package.json"));
const pkgDir = join(dir, "node_modules/burgee");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));

// TOOLCHAIN.md: Debian's chromium, these flags, a fresh profile; never a downloaded browser.
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let server;
let browser;
let profile;

/** A page from test/pages with the import map pointing at the installed package's browser entry. */
function page(name) {
  const entry = pkg.exports["."].default.default; // what a browser bundler resolves `burgee` to
  const imports = { imports: { burgee: `/pkg/${entry.replace(/^\.\//, "")}` } };
  const html = readFileSync(join(dir, "test/pages", name), "utf8").replace("IMPORTS", JSON.stringify(imports));
  writeFileSync(join(dir, "site", name), html);
  return `${server.url}/site/${name}`;
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

  server = await startServer({
    statics: {
      "/pkg/": pkgDir,
      "/test/": join(dir, "test"),
      "/fixtures/": join(dir, "fixtures"),
      "/vectors/": vectors,
      "/site/": join(dir, "site"),
      "/app/": app,
    },
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

test("a client in Chromium: server push through EventSource, then an offline start from localStorage", async () => {
  const p = await browser.newPage();
  const errors = watchConsole(p);
  await p.goto(page("client.html"));
  await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
  assert.equal(await p.evaluate(() => window.__ready), true);
  assert.equal(await p.textContent("#banner"), "Hello");
  assert.equal(server.requests("/v1/stream/production").length, 1, "the page opened the change stream");

  // A change at the server, pushed: the running page revalidates and re-renders.
  await new Promise((r) => setTimeout(r, 100));
  server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "sale" }));
  await p.waitForFunction(() => window.__changes.length > 0, null, { timeout: 10_000 });
  assert.deepEqual(await p.evaluate(() => window.__changes), [["banner"]]);
  assert.equal(await p.textContent("#banner"), "Sale!");
  const stored = await p.evaluate(() => Object.keys(localStorage));
  assert.equal(stored.length, 1);

  // Offline: the server fails; a reload starts from the snapshot kept in localStorage.
  server.state.fail = true;
  await p.reload();
  await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
  assert.equal(await p.evaluate(() => window.__startStatus), "ready");
  assert.equal(await p.evaluate(() => window.__startBanner), "Sale!");
  assert.equal(await p.textContent("#banner"), "Sale!");
  await p.waitForFunction(() => window.__errors.length > 0, null, { timeout: 10_000 });

  // The same without awaiting init(): the copy in storage starts as soon as the wasm is there.
  await p.goto(`${page("client.html")}?noinit`);
  await p.waitForFunction(() => window.__ready, null, { timeout: 20_000 });
  assert.equal(await p.evaluate(() => window.__startStatus), "loading");
  assert.equal(await p.textContent("#banner"), "Sale!");
  server.state.fail = false;
  await p.close();
  // The only console errors are the failed requests while "offline".
  assert.ok(errors.every((e) => /503|Failed to load resource|EventSource/.test(e)), errors.join("\n"));
});

test("a React page with @openfeature/react-sdk renders the right variant and follows changes", async () => {
  server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "hello" }));
  const p = await browser.newPage();
  const errors = watchConsole(p);
  await p.goto(`${server.url}/test/pages/react.html`);
  await p.waitForFunction(() => document.querySelector("#banner")?.textContent === "Hello", null, { timeout: 20_000 });
  assert.equal(await p.textContent("#variant"), "variant hello");
  assert.equal(await p.textContent("#checkout"), "new checkout", "role admin matches the rule");
  await p.screenshot({ path: join(dir, "react-page.png") });

  await new Promise((r) => setTimeout(r, 100));
  server.update((doc) => (doc.flags.banner.environments.production.defaultServe = { variant: "sale" }));
  await p.waitForFunction(() => document.querySelector("#banner")?.textContent === "Sale!", null, { timeout: 10_000 });
  assert.equal(await p.textContent("#variant"), "variant sale");
  assert.deepEqual(errors, []);
  await p.close();
});
