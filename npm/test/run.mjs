// `npm test`: the tests run against the REAL package. This script packs `npm/` (`npm pack`,
// after `cargo xtask` built dist/), installs the tarball into a fresh temporary directory with
// npm, links the dev dependencies the tests use beside it, writes the corpus fixtures (each
// document, and binary snapshots from `burgee compile`), copies the tests there and runs
// `node --test` in that directory, so every `import "burgee"` goes through the installed
// package's `exports` map exactly as an application's would.
//
// Needs: npm/dist (built), npm/node_modules (npm ci), target/debug/burgee (cargo build -p
// burgee-cli), /usr/bin/chromium for the browser tests. BURGEE_KEEP=1 keeps the directory.

import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(npmDir, "..");
const cli = join(repo, "target/debug/burgee");
const vectors = join(repo, "tests/vectors");

for (const [path, hint] of [
  [join(npmDir, "dist/js/browser.js"), "build the package first: cargo xtask (npm build)"],
  [join(npmDir, "node_modules/.bin/tsc"), "install the dev dependencies: npm ci (in npm/)"],
  [cli, "build the CLI: cargo build -p burgee-cli"],
]) {
  if (!existsSync(path)) {
    console.error(`npm test: ${path} is missing; ${hint}`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), "burgee-npm-test-"));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"] }).toString();

// 1. The package, packed and installed as users get it.
const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], npmDir));
const tarball = join(dir, packed[0].filename);
console.log(`packed ${packed[0].filename}: ${packed[0].entryCount} files, ${packed[0].size} B`);
writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "burgee-npm-test", private: true, type: "module" }));
run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], dir);
if (!existsSync(join(dir, "node_modules/burgee/package.json"))) throw new Error("the tarball did not install");

// 2. The dev dependencies the tests import (OpenFeature, React, playwright-core, esbuild),
//    linked from npm/node_modules rather than downloaded again.
for (const name of readdirSync(join(npmDir, "node_modules"))) {
  if (name.startsWith(".") || name === "burgee") continue;
  const to = join(dir, "node_modules", name);
  if (!existsSync(to)) symlinkSync(join(npmDir, "node_modules", name), to);
}

// 3. Corpus fixtures: each document on its own, and a binary snapshot per environment that
//    the cases use, written by the CLI (documents with errors are refused by `burgee compile`;
//    the tests encode those with the full build's loadDocument instead).
const fixtures = join(dir, "fixtures");
mkdirSync(join(fixtures, "snapshots"), { recursive: true });
const files = readdirSync(vectors).filter((n) => n.endsWith(".json") && n !== "murmur3.json" && n !== "validation.json");
const manifest = {};
for (const name of files) {
  const file = JSON.parse(readFileSync(join(vectors, name), "utf8"));
  const doc = join(fixtures, name);
  writeFileSync(doc, JSON.stringify(file.document));
  const envs = [...new Set([...file.cases, ...(file.distributions ?? [])].map((c) => c.env))];
  manifest[name] = { documentHasErrors: !!file.documentHasErrors, snapshots: {} };
  if (file.documentHasErrors) continue;
  for (const env of envs) {
    const out = join(fixtures, "snapshots", `${name.replace(/\.json$/, "")}.${env}.bin`);
    const r = spawnSync(cli, ["compile", doc, "--env", env, "--out", out], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`burgee compile ${name} --env ${env} failed: ${r.stderr}`);
    manifest[name].snapshots[env] = `snapshots/${name.replace(/\.json$/, "")}.${env}.bin`;
  }
}
writeFileSync(join(fixtures, "manifest.json"), JSON.stringify(manifest, null, 1));

// 4. The tests, run where the package is installed.
cpSync(join(npmDir, "test"), join(dir, "test"), { recursive: true });
const only = process.argv.slice(2);
const tests = only.length ? only.map((t) => join(dir, "test", t)) : readdirSync(join(dir, "test")).filter((n) => n.endsWith(".test.mjs")).map((n) => join(dir, "test", n));
// Bounded: a test gets two minutes, and a failed one that leaves a client (its change stream)
// open does not keep the run waiting.
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-timeout=120000", "--test-force-exit", ...tests], {
  cwd: dir,
  stdio: "inherit",
  env: { ...process.env, BURGEE_REPO: repo, BURGEE_TEST_DIR: dir, BURGEE_VECTORS: vectors },
});
if (process.env.BURGEE_KEEP) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
