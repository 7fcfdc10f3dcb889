// The `burgee` command from the installed package (`bin/burgee.mjs`, what `npx burgee` runs)
// on the shared corpus of command-line cases (tests/cli/cases.json), which the native binary
// answers in cli/tests/corpus.rs: the same inputs give the same outputs on both hosts. Then
// the synchronous HTTP bridge: a token from BURGEE_TOKEN, a status, a network error.

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const dir = process.env.BURGEE_TEST_DIR;
const corpusDir = join(process.env.BURGEE_REPO, "tests/cli");
const bin = join(dir, "node_modules/burgee/bin/burgee.mjs");
const { cases } = JSON.parse(readFileSync(join(corpusDir, "cases.json"), "utf8"));

function checkText(c, name, actual) {
  if (typeof c[name] === "string") return actual === c[name] ? [] : [`${name}: expected ${JSON.stringify(c[name])}, got ${JSON.stringify(actual)}`];
  const prefix = c[`${name}StartsWith`];
  if (typeof prefix === "string" && !actual.startsWith(prefix)) return [`${name}StartsWith: expected ${JSON.stringify(prefix)}, got ${JSON.stringify(actual)}`];
  return [];
}

test("the package installs a burgee bin", () => {
  const pkg = JSON.parse(readFileSync(join(dir, "node_modules/burgee/package.json"), "utf8"));
  assert.equal(pkg.bin.burgee, "bin/burgee.mjs");
  assert.ok(existsSync(join(dir, "node_modules/.bin/burgee")), "npm linked node_modules/.bin/burgee");
  const r = spawnSync(join(dir, "node_modules/.bin/burgee"), ["--version"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^burgee \d+\.\d+\.\d+\n$/);
});

test("every corpus case answers as the native binary does", () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  const env = { ...process.env };
  delete env.BURGEE_TOKEN;
  const failures = [];
  for (const c of cases) {
    const r = spawnSync(process.execPath, [bin, ...c.args], { cwd: corpusDir, input: c.stdin ?? "", env, timeout: 30_000 });
    const problems = [];
    if (r.status !== c.exit) problems.push(`exit: expected ${c.exit}, got ${r.status} (${r.signal ?? ""})`);
    if (c.stdoutFile) {
      if (!readFileSync(join(corpusDir, c.stdoutFile)).equals(r.stdout)) problems.push(`stdout differs from ${c.stdoutFile}`);
    } else problems.push(...checkText(c, "stdout", r.stdout.toString()));
    problems.push(...checkText(c, "stderr", r.stderr.toString()));
    if (problems.length) failures.push(`${c.name}:\n  ${problems.join("\n  ")}`);
  }
  assert.deepEqual(failures, []);
});

/** Runs the bin without blocking this thread (the test's own server must answer). */
function burgee(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? error.code : 0, stdout, stderr }),
    );
  });
}

test("HTTP goes through the bridge: the token, the status, the body", async (t) => {
  const seen = [];
  const document = { environments: ["production"], flags: {} };
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    if (req.url === "/api/v1/document") {
      res.writeHead(200, { "content-type": "application/json", etag: '"7"' });
      res.end(JSON.stringify({ version: 7, document }));
    } else {
      res.writeHead(422, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "wrong_kind", message: "only boolean flags take a rollout" } }));
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}`;
  const out = join(mkdtempSync(join(tmpdir(), "burgee-cli-")), "flags.json");

  const pulled = await burgee(["pull", "--url", url, "-o", out], { BURGEE_TOKEN: "t0ken" });
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(pulled.stdout, `${out}: version 7 of ${url}: 0 flags, 0 segments\n`);
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), { ...document, version: 7 });
  assert.deepEqual(seen[0], { method: "GET", url: "/api/v1/document", authorization: "Bearer t0ken" });

  const refused = await burgee(["rollout", "banner", "10", "--env", "production", "--url", url], { BURGEE_TOKEN: "t0ken" });
  assert.equal(refused.status, 1, "a 4xx is a refusal");
  assert.equal(refused.stderr, "burgee: the store answered 422 wrong_kind: only boolean flags take a rollout\n");
  assert.deepEqual(seen[1], { method: "PUT", url: "/feature-flags/banner/rollout?env=production", authorization: "Bearer t0ken" });

  server.close();
  const unreachable = await burgee(["pull", "--url", url], {});
  assert.equal(unreachable.status, 2, "a network error");
  assert.ok(unreachable.stderr.startsWith(`burgee: cannot reach ${url}: `), unreachable.stderr);
});
