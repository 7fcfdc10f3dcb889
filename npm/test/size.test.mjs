// The size budget, which fails the run when it is exceeded: a tiny app that creates a client
// and evaluates a flag, bundled by esbuild (minified, browser conditions) from the installed
// package; gzip (level 9) of the bundle plus, in local mode, of the wasm it fetches.
// Budgets (KiB = 1024 B): local mode ≤ 30, the remote-only entry ≤ 4.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

import * as esbuild from "esbuild";

const dir = process.env.BURGEE_TEST_DIR;
const require = createRequire(join(dir, "package.json"));
const KIB = 1024;
const BUDGET = { local: 30 * KIB, remote: 4 * KIB };

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function bundle(name, source) {
  const out = join(dir, "size");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.src.js`), source);
  const result = await esbuild.build({
    entryPoints: [join(out, `${name}.src.js`)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    outfile: join(out, `${name}.js`),
    absWorkingDir: dir,
    metafile: true,
    logLevel: "warning",
  });
  const js = readFileSync(join(out, `${name}.js`));
  return { js, inputs: Object.keys(result.metafile.inputs) };
}

const report = (name, parts) => {
  const total = parts.reduce((n, p) => n + p.gzip, 0);
  const detail = parts.map((p) => `${p.what} ${p.raw} B raw / ${p.gzip} B gzip`).join(" + ");
  console.log(`size ${name}: ${total} B gzip = ${(total / KIB).toFixed(1)} KiB (budget ${BUDGET[name] / KIB} KiB): ${detail}`);
  return total;
};

test("local mode: a small app with the wasm fits the budget", async () => {
  const { js, inputs } = await bundle(
    "local",
    `import { createClient } from "burgee";
const client = createClient({ url: "https://flags.example.com", environment: "production", context: { targetingKey: "u1" } });
client.on("ready", () => { document.body.textContent = client.isEnabled("new-checkout") ? "new" : "old"; });
`,
  );
  assert.ok(inputs.some((i) => i.includes("dist/js/browser.js")), "the browser entry was bundled");
  const wasm = readFileSync(require.resolve("burgee/burgee.wasm"));
  const total = report("local", [
    { what: "js", raw: js.length, gzip: gz(js) },
    { what: "wasm", raw: wasm.length, gzip: gz(wasm) },
  ]);
  assert.ok(total <= BUDGET.local, `local mode is ${total} B gzip, over the ${BUDGET.local} B budget`);
});

test("remote mode: the remote-only entry fits the budget, with no wasm", async () => {
  const { js, inputs } = await bundle(
    "remote",
    `import { createClient } from "burgee/remote";
const client = createClient({ url: "https://flags.example.com", environment: "production", context: { targetingKey: "u1" } });
client.on("ready", () => { document.body.textContent = client.isEnabled("new-checkout") ? "new" : "old"; });
`,
  );
  assert.ok(!inputs.some((i) => /pkg\/|\.wasm/.test(i)), `the remote entry pulled in wasm glue: ${inputs.join(", ")}`);
  assert.ok(!js.includes("WebAssembly"), "the remote bundle mentions WebAssembly");
  const total = report("remote", [{ what: "js", raw: js.length, gzip: gz(js) }]);
  assert.ok(total <= BUDGET.remote, `the remote entry is ${total} B gzip, over the ${BUDGET.remote} B budget`);
});
