// The size budget, which fails the run when it is exceeded: a tiny app that creates a client
// and evaluates a flag, bundled by esbuild (minified, browser conditions, code splitting) from
// the installed package; gzip (level 9) of what the page loads to start (its entry chunk and
// the chunks that imports) plus, in local mode, of the wasm it fetches. What the package loads
// later with `import()` (the sending side of usage metrics) is a chunk of its own, printed
// beside the budget and not counted in it.
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

/**
 * The app bundled: `js`, what the page loads to start (the entry chunk and, transitively, the
 * chunks it imports statically, each gzipped on its own as a server sends it), `lazy`, the
 * chunks only `import()` reaches, and the package files that went into either.
 */
async function bundle(name, source) {
  const out = join(dir, "size");
  mkdirSync(join(out, name), { recursive: true });
  writeFileSync(join(out, `${name}.src.js`), source);
  const result = await esbuild.build({
    entryPoints: [join(out, `${name}.src.js`)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    splitting: true,
    outdir: join(out, name),
    absWorkingDir: dir,
    metafile: true,
    logLevel: "warning",
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o].entryPoint);
  const start = new Set();
  const visit = (o) => {
    if (start.has(o)) return;
    start.add(o);
    for (const i of outputs[o].imports) if (i.kind === "import-statement") visit(i.path);
  };
  visit(entry);
  const part = (o) => {
    const bytes = readFileSync(join(dir, o));
    return { what: o.split("/").pop(), raw: bytes.length, gzip: gz(bytes), text: bytes.toString() };
  };
  return {
    js: [...start].map(part),
    lazy: Object.keys(outputs).filter((o) => !start.has(o) && o.endsWith(".js")).map(part),
    inputs: Object.keys(result.metafile.inputs),
  };
}

const report = (name, parts, lazy) => {
  const total = parts.reduce((n, p) => n + p.gzip, 0);
  const list = (ps) => ps.map((p) => `${p.what} ${p.raw} B raw / ${p.gzip} B gzip`).join(" + ");
  console.log(`size ${name}: ${total} B gzip = ${(total / KIB).toFixed(1)} KiB (budget ${BUDGET[name] / KIB} KiB): ${list(parts)}`);
  console.log(`size ${name}, loaded later (not in the budget): ${list(lazy)}`);
  return total;
};

/** The sending side of usage metrics is a chunk of its own, loaded later, and the only one. */
const assertLazyMetrics = (lazy) => {
  assert.equal(lazy.length, 1, `one chunk loaded later: ${lazy.map((p) => p.what).join(", ")}`);
  assert.ok(lazy[0].text.includes("/v1/metrics"), "the chunk loaded later sends usage metrics");
};

test("local mode: a small app with the wasm fits the budget", async () => {
  const { js, lazy, inputs } = await bundle(
    "local",
    `import { createClient } from "burgee";
const client = createClient({ url: "https://flags.example.com", environment: "production", context: { targetingKey: "u1" } });
client.on("ready", () => { document.body.textContent = client.isEnabled("new-checkout") ? "new" : "old"; });
`,
  );
  assert.ok(inputs.some((i) => i.includes("dist/js/browser.js")), "the browser entry was bundled");
  const wasm = readFileSync(require.resolve("burgee/burgee.wasm"));
  assertLazyMetrics(lazy);
  const total = report("local", [...js, { what: "wasm", raw: wasm.length, gzip: gz(wasm) }], lazy);
  assert.ok(total <= BUDGET.local, `local mode is ${total} B gzip, over the ${BUDGET.local} B budget`);
});

test("remote mode: the remote-only entry fits the budget, with no wasm", async () => {
  const { js, lazy, inputs } = await bundle(
    "remote",
    `import { createClient } from "burgee/remote";
const client = createClient({ url: "https://flags.example.com", environment: "production", context: { targetingKey: "u1" } });
client.on("ready", () => { document.body.textContent = client.isEnabled("new-checkout") ? "new" : "old"; });
`,
  );
  assert.ok(!inputs.some((i) => /pkg\/|\.wasm/.test(i)), `the remote entry pulled in wasm glue: ${inputs.join(", ")}`);
  assert.ok(![...js, ...lazy].some((p) => p.text.includes("WebAssembly")), "the remote bundle mentions WebAssembly");
  assertLazyMetrics(lazy);
  const total = report("remote", js, lazy);
  assert.ok(total <= BUDGET.remote, `the remote entry is ${total} B gzip, over the ${BUDGET.remote} B budget`);
});
