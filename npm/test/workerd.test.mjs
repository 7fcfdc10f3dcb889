// The package inside workerd (the Workers runtime), where compiling wasm at run time is
// forbidden: a worker bundled by esbuild with the "workerd" condition gets the `burgee/worker`
// entry, imports the lean wasm as a precompiled module, and evaluates the whole corpus from
// binary snapshots. Runs workerd through miniflare from the workspace's wrangler install
// (root package.json), so nothing extra is installed.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";

import * as esbuild from "esbuild";
import { loadDocument } from "burgee";

import { DEFAULT_NOW, runCases } from "./check.mjs";

const dir = process.env.BURGEE_TEST_DIR;
const repo = process.env.BURGEE_REPO;
const vectors = process.env.BURGEE_VECTORS;
const require = createRequire(join(dir, "package.json"));

const WORKER = `
import wasm from "burgee/burgee.wasm";
import { init, loadSnapshot, createClient } from "burgee";

init(wasm);
const snapshots = new Map();

export default {
  async fetch(request) {
    const { name, env, snapshot, cases } = await request.json();
    const key = name + "/" + env;
    if (!snapshots.has(key)) {
      const bytes = Uint8Array.from(atob(snapshot), (c) => c.charCodeAt(0));
      snapshots.set(key, loadSnapshot(bytes));
    }
    const s = snapshots.get(key);
    const results = cases.map((c) => ({
      one: s.evaluate(c.flag, c.context, { default: c.default ?? null, type: c.type, now: c.now ?? "${DEFAULT_NOW}" }),
      all: c.type === undefined ? s.evaluateAll(c.context, { now: c.now ?? "${DEFAULT_NOW}" })[c.flag] ?? null : null,
    }));
    // A client in the worker too: bootstrapped from the snapshot, no network.
    const client = createClient({ environment: env, bootstrap: { snapshot }, refresh: false, storage: null });
    const first = cases[0];
    const viaClient = client.details(first.flag, first.default ?? null);
    client.close();
    return Response.json({ results, viaClient, runtime: navigator.userAgent });
  },
};
`;

test("the worker entry in workerd: the whole corpus from binary snapshots", async () => {
  const { Miniflare } = await import(join(repo, "node_modules/miniflare/dist/src/index.js")).catch(() => {
    throw new Error("miniflare is missing: run `npm ci` at the repository root (wrangler brings it)");
  });
  const bundle = await esbuild.build({
    stdin: { contents: WORKER, resolveDir: dir, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["*.wasm"],
    write: false,
    absWorkingDir: dir,
    logLevel: "warning",
    plugins: [
      {
        // The worker imports the wasm as a module; miniflare supplies it as CompiledWasm.
        name: "wasm",
        setup(build) {
          build.onResolve({ filter: /^burgee\/burgee\.wasm$/ }, () => ({ path: "./burgee.wasm", external: true }));
        },
      },
    ],
  });
  const mf = new Miniflare({
    modules: [
      { type: "ESModule", path: "worker.mjs", contents: bundle.outputFiles[0].text },
      { type: "CompiledWasm", path: "burgee.wasm", contents: readFileSync(require.resolve("burgee/burgee.wasm")) },
    ],
    compatibilityDate: "2026-04-01",
  });
  try {
    const fixtures = JSON.parse(readFileSync(join(dir, "fixtures/manifest.json"), "utf8"));
    const files = {};
    const answers = new Map();
    let runtime;
    for (const name of Object.keys(fixtures)) {
      const file = JSON.parse(readFileSync(join(vectors, name), "utf8"));
      files[name] = file;
      for (const env of new Set(file.cases.map((c) => c.env))) {
        const path = fixtures[name].snapshots[env];
        const bytes = path ? readFileSync(join(dir, "fixtures", path)) : loadDocument(file.document, env).encode();
        const cases = file.cases.filter((c) => c.env === env);
        const response = await mf.dispatchFetch("http://worker/", {
          method: "POST",
          body: JSON.stringify({ name, env, snapshot: Buffer.from(bytes).toString("base64"), cases }),
        });
        assert.equal(response.status, 200, await response.clone().text());
        const body = await response.json();
        runtime = body.runtime;
        assert.equal(body.viaClient.reason === undefined, false);
        cases.forEach((c, i) => answers.set(c, body.results[i]));
      }
    }
    const report = runCases(
      files,
      (name, file, c) => answers.get(c).one,
      (name, file, c) => (answers.get(c).all ? { [c.flag]: answers.get(c).all } : null),
    );
    assert.deepEqual(report.failures, []);
    const total = Object.values(files).reduce((n, f) => n + f.cases.length, 0);
    assert.equal(report.passed, total);
    console.log(`workerd (${runtime}): ${report.passed} corpus cases passed`);
  } finally {
    await mf.dispose();
  }
});
