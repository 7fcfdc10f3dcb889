// The package README's code blocks, run. Every ```js, ```jsx, ```ts and ```tsx block of the
// README in the installed package (so the README is also checked to be in the tarball) is
// compiled by esbuild (types stripped, JSX for React's automatic runtime), written beside the
// installed package so that `import "burgee"` resolves to it as in an app, and run in its own
// Node process. `https://flags.example.com`, the README's edge worker, becomes the real
// worker the tests start (test/worker.mjs). A block passes when its process exits 0: a
// thrown error, a failed `assert` or a failed `node:test` test in it fails it.
//
// A block opts out with `<!-- readme-test: skip (why) -->` on the line before its fence, for
// what Node cannot run (a browser page's DOM, a Workers bundler's wasm import).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { test } from "node:test";

import * as esbuild from "esbuild";

import { WORKER } from "./worker.mjs";

const dir = process.env.BURGEE_TEST_DIR;
const README = readFileSync(join(dir, "node_modules/burgee/README.md"), "utf8");
const PLACEHOLDER = "https://flags.example.com";
const SKIP = /^<!--\s*readme-test:\s*skip\b.*-->\s*$/;
const RUNNABLE = new Set(["js", "jsx", "ts", "tsx"]);
/** A block gets this long; one that leaves a client open is ended after `SETTLE` ms. */
const TIMEOUT = 30_000;
const SETTLE = 3_000;

/** The README's fenced blocks: language, first line number, code, and whether it opted out. */
function blocks(text) {
  const lines = text.split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    out.push({ lang: open[1], line: start + 1, code: body.join("\n"), skip: start > 0 && SKIP.test(lines[start - 1]) });
  }
  return out;
}

/**
 * Runs `file` in Node: the exit code and what it printed. A process still running `SETTLE` ms
 * after the block's top level finished (a client's change stream) is ended with its exit code
 * so far (`node:test` sets one when a test fails).
 */
function run(file) {
  const wrapper = `await import(${JSON.stringify(pathToFileURL(file).href)});\nsetTimeout(() => process.exit(process.exitCode ?? 0), ${SETTLE}).unref();\n`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", wrapper], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

const all = blocks(README);
const runnable = all.filter((b) => RUNNABLE.has(b.lang));

test("the README has runnable blocks, and only a few opt out", () => {
  assert.ok(runnable.length >= 8, `${runnable.length} runnable blocks`);
  const skipped = runnable.filter((b) => b.skip);
  assert.ok(skipped.length <= 3, `${skipped.length} blocks opt out: lines ${skipped.map((b) => b.line).join(", ")}`);
  assert.ok(README.includes("createTestClient") && README.includes("npx burgee"), "testing and the CLI are documented");
});

test("blocks() finds fences and the opt-out marker", () => {
  const found = blocks("a\n<!-- readme-test: skip (browser) -->\n```js\nx()\n```\n```ts\nlet y: number = 1;\n```\n");
  assert.deepEqual(
    found.map((b) => [b.lang, b.line, b.code, b.skip]),
    [
      ["js", 3, "x()", true],
      ["ts", 6, "let y: number = 1;", false],
    ],
  );
});

const out = join(dir, "readme");
mkdirSync(out, { recursive: true });
for (const block of runnable) {
  test(`README block at line ${block.line} (${block.lang})`, { skip: block.skip && "opted out" }, async () => {
    const source = block.code.replaceAll(PLACEHOLDER, WORKER);
    const { code } = await esbuild.transform(source, { loader: block.lang, format: "esm", jsx: "automatic", target: "node18" });
    const file = join(out, `block-${block.line}.mjs`);
    writeFileSync(file, code);
    const r = await run(file);
    assert.equal(r.code, 0, `README line ${block.line}: exit ${r.code ?? r.signal}\n${r.output}`);
  });
}
