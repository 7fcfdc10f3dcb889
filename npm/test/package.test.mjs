// The installed package as a whole: what the exports map names exists, the JavaScript has no
// eval, and its types check for an application in TypeScript (browser and Node resolution).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const dir = process.env.BURGEE_TEST_DIR;
const pkgDir = join(dir, "node_modules/burgee");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));

function files(d) {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
}

test("every path the exports map names is in the package", () => {
  const targets = [];
  const walk = (v) => (typeof v === "string" ? targets.push(v) : Object.values(v).forEach(walk));
  walk(pkg.exports);
  assert.ok(targets.length >= 12);
  for (const t of targets) assert.ok(existsSync(join(pkgDir, t)), `${t} is missing`);
  assert.equal(pkg.type, "module");
  const shipped = files(pkgDir).map((f) => f.slice(pkgDir.length + 1));
  assert.ok(!shipped.some((f) => /^(test|bench|ts|src)\//.test(f)), `sources or tests shipped: ${shipped.join(", ")}`);
});

test("no eval and no new Function in the shipped JavaScript", () => {
  for (const f of files(pkgDir).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(f, "utf8");
    assert.ok(!/\beval\s*\(|new\s+Function\s*\(/.test(text), `${f} uses eval or new Function`);
  }
});

test("an application in TypeScript type-checks against the package", () => {
  const app = join(dir, "ts-app");
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, "browser.ts"),
    `import { init, createClient, type EvaluationDetails } from "burgee";
import { createClient as remote } from "burgee/remote";
import { BurgeeProvider } from "burgee/openfeature";
import { createTestClient } from "burgee/testing";
await init();
const client = createClient({ url: "https://flags.example.com", environment: "production", context: { targetingKey: "u1" } });
const on: boolean = client.isEnabled("new-checkout");
const limit: number = client.value("limit", 10);
const d: EvaluationDetails<string> = client.details("banner", "hi");
const off = client.on("change", (e) => e.flags.length);
off();
new BurgeeProvider(remote({ environment: "production" }));
const fake = createTestClient({ flags: { "new-checkout": true, plan: (c) => (c.pro ? "pro" : undefined) } });
fake.set("new-checkout", false);
fake.set({ theme: "dark" });
const tracked: { name: string; value?: number }[] = fake.tracked;
new BurgeeProvider(fake);
export { on, limit, d, tracked };
`,
  );
  writeFileSync(
    join(app, "server.ts"),
    `import { loadDocument, validate, type Diagnostic } from "burgee";
const snapshot = loadDocument({ environments: ["production"], flags: {} }, "production");
const r = snapshot.evaluate<boolean>("x", { targetingKey: "u1" }, { default: false, type: "boolean" });
const ok: boolean = r.value;
const diagnostics: Diagnostic[] = validate("{}");
export { ok, diagnostics };
`,
  );
  const tsc = join(dir, "node_modules/typescript/bin/tsc");
  const common = ["--noEmit", "--strict", "--skipLibCheck", "--target", "es2022", "--module"];
  // Browsers and bundlers: the "default" conditions.
  execFileSync(process.execPath, [tsc, ...common, "esnext", "--moduleResolution", "bundler", "--lib", "es2022,dom", join(app, "browser.ts")], {
    cwd: dir,
    stdio: "inherit",
  });
  // Node: the "node" condition (loadDocument, validate).
  execFileSync(process.execPath, [tsc, ...common, "nodenext", "--moduleResolution", "nodenext", "--types", "node", join(app, "server.ts")], {
    cwd: dir,
    stdio: "inherit",
  });
});
