// The bench's cases (./cases.mjs) in the two other hosts the package runs in: Chromium (the
// browser entry, Debian's /usr/bin/chromium through playwright-core, as the browser tests) and
// workerd (the worker entry, bundled as a Worker and run by miniflare, as the workerd test).
// Each returns `{ case: { min, median } }` in ns per call.
//
// Chromium times itself with performance.now(), which is precise to 5 µs on a cross-origin
// isolated page (the server sends COOP and COEP for that); batches are 5 ms. workerd's clock
// does not move while a request computes (as on Cloudflare), so Node times requests from
// outside: a request runs a case n times (about 150 ms of calls), and the cost per call is
// (time − the time of an empty request) / n, the best of five rounds.

import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

import { ARGS, CHROMIUM } from "../test/chromium.mjs";

const npmDir = resolve(fileURLToPath(new URL("..", import.meta.url)));
const repo = resolve(npmDir, "..");
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="module">
  import { init, loadSnapshot } from "/dist/js/browser.js";
  import { cases, measure } from "/bench/cases.mjs";
  try {
    await init();
    const bytes = new Uint8Array(await (await fetch("/snapshot")).arrayBuffer());
    const out = {};
    for (const [name, fn] of Object.entries(cases(loadSnapshot, bytes))) out[name] = measure(fn, () => performance.now(), 5);
    window.__bench = { out, isolated: crossOriginIsolated, agent: navigator.userAgent };
  } catch (e) {
    window.__bench = { error: String(e?.stack ?? e) };
  }
</script>`;

/** The cases in headless Chromium; `undefined` (and why, on stderr) when it cannot start. */
export async function inChromium(bytes) {
  const { chromium } = await import("playwright-core");
  const server = createServer((req, res) => {
    const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cache-Control": "no-store" };
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (path === "/") return res.writeHead(200, { ...headers, "Content-Type": "text/html" }).end(PAGE);
    if (path === "/snapshot") return res.writeHead(200, { ...headers, "Content-Type": "application/octet-stream" }).end(bytes);
    const file = normalize(join(npmDir, decodeURIComponent(path)));
    const served = (file.startsWith(join(npmDir, "dist")) || file.startsWith(join(npmDir, "bench"))) && statSync(file, { throwIfNoEntry: false })?.isFile();
    if (!served) return res.writeHead(404).end();
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const profile = mkdtempSync(join(tmpdir(), "burgee-bench-chromium-"));
  let browser;
  try {
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__bench, null, { timeout: 120_000 });
    const result = await page.evaluate(() => window.__bench);
    if (result.error) throw new Error(result.error);
    if (!result.isolated) throw new Error("the page is not cross-origin isolated: its clock would be coarse");
    return { ...result.out, agent: result.agent.match(/Chrome\/[\d.]+/)?.[0] };
  } finally {
    await browser?.close();
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    rmSync(profile, { recursive: true, force: true });
  }
}

const WORKER = (names) => `
import wasm from "burgee.wasm";
import { init, loadSnapshot } from "${join(npmDir, "dist/js/worker.js")}";
import { cases } from "${join(npmDir, "bench/cases.mjs")}";
init(wasm);
let run;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "POST") {
      run = cases(loadSnapshot, new Uint8Array(await request.arrayBuffer()));
      return new Response(JSON.stringify(${JSON.stringify(names)}.filter((n) => !(n in run))));
    }
    const fn = run[url.searchParams.get("case")];
    const n = Number(url.searchParams.get("n"));
    let sink = 0;
    for (let i = 0; i < n; i++) sink ^= fn() ? 1 : 0;
    return new Response(String(sink));
  },
};`;

/** The cases in workerd (through miniflare, from the repository's wrangler install). */
export async function inWorkerd(bytes, names) {
  const { Miniflare } = await import(join(repo, "node_modules/miniflare/dist/src/index.js"));
  const bundle = await esbuild.build({
    stdin: { contents: WORKER(names), resolveDir: npmDir, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["burgee.wasm"],
    write: false,
    logLevel: "warning",
  });
  const mf = new Miniflare({
    modules: [
      { type: "ESModule", path: "worker.mjs", contents: bundle.outputFiles[0].text },
      { type: "CompiledWasm", path: "burgee.wasm", contents: readFileSync(join(npmDir, "dist/pkg/lean/burgee_npm_bg.wasm")) },
    ],
    compatibilityDate: "2026-04-01",
  });
  try {
    const missing = await (await mf.dispatchFetch("http://bench/", { method: "POST", body: bytes })).json();
    if (missing.length) throw new Error(`the worker has no case ${missing.join(", ")}`);
    const time = async (name, n) => {
      const t0 = performance.now();
      const response = await mf.dispatchFetch(`http://bench/?case=${encodeURIComponent(name)}&n=${n}`);
      if (!response.ok) throw new Error(`${name}: ${response.status} ${await response.text()}`);
      await response.text();
      return performance.now() - t0;
    };
    const out = {};
    for (const name of names) {
      let empty = Infinity;
      for (let i = 0; i < 5; i++) empty = Math.min(empty, await time(name, 0));
      // Size a request to about 150 ms of calls, from a first one: the empty request's jitter
      // (about a millisecond) must be small beside it, or the cheapest calls read as 0 ns.
      const probe = await time(name, 20_000);
      const n = Math.max(1000, Math.min(20_000_000, Math.round((20_000 * 150) / Math.max(probe - empty, 0.01))));
      const samples = [];
      for (let round = 0; round < 5; round++) samples.push((((await time(name, n)) - empty) * 1e6) / n);
      samples.sort((a, b) => a - b);
      out[name] = { min: samples[0], median: samples[2] };
    }
    return out;
  } finally {
    await mf.dispose();
  }
}
