// The admin app and API moved off /admin and /api (ADMIN_PATH, ADMIN_API_PATH), as when the
// worker fronts a site that has its own: the app works at its mount, every call it makes goes
// to the API's mount, and the default paths are not Burgee's. xtask runs this file against a
// worker started with the mounts in BURGEE_ADMIN_PATH / BURGEE_ADMIN_API_PATH.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { api, appUrl, closeAll, example, importDocument, launch, mounts, saveReviewed, signIn, tokens, watchedPage, worker } from "./harness.mjs";

let browser;
let app;
let page;
const calls = [];

before(async () => {
  assert.notEqual(mounts.app, "/admin", "run with BURGEE_ADMIN_PATH set");
  assert.notEqual(mounts.api, "/api", "run with BURGEE_ADMIN_API_PATH set");
  await importDocument(example);
  app = await appUrl();
  browser = await launch();
  page = await watchedPage(await browser.context());
  page.on("request", (r) => calls.push(new URL(r.url()).pathname));
});

after(async () => {
  assert.deepEqual(await closeAll(browser, app, page), [], "the page logged errors");
});

test("the app's page names both mounts and carries the security headers", async () => {
  for (const path of [`${mounts.app}/`, `${mounts.app}/deep/link`]) {
    const r = await fetch(`${worker}${path}`);
    const html = await r.text();
    assert.equal(r.status, 200, path);
    assert.ok(html.includes(`<base href="${mounts.app}/">`), `${path}: ${html}`);
    assert.ok(html.includes(`<meta name="burgee-api" content="${mounts.api}">`), path);
    assert.match(r.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, path);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
  }
  const root = await fetch(`${worker}${mounts.app}`, { redirect: "manual" });
  assert.equal(root.status, 308);
  assert.equal(root.headers.get("location"), `${mounts.app}/`);
});

test("signed in at the mount, the app lists the flags and switches one through the API's mount", async () => {
  await signIn(page, app.url, tokens.admin);
  await page.locator("table.flags tbody tr").first().waitFor();
  assert.equal(await page.locator("table.flags tbody tr").count(), Object.keys(example.flags).length);
  const key = Object.keys(example.flags)[0];
  const before = (await api("GET", `/flags/${key}`)).body.flag;
  await page.goto(`${app.url}#/flags/${key}`);
  await page.locator("#editor-title").waitFor();
  await page.getByLabel("Description").fill("moved mounts");
  await saveReviewed(page);
  await page.locator(".notice.success:not([data-seen])").last().waitFor();
  const after = (await api("GET", `/flags/${key}`)).body.flag;
  assert.equal(after.description, "moved mounts", JSON.stringify(before));
  const apiCalls = calls.filter((p) => p.includes("/v1/"));
  assert.ok(apiCalls.length > 0, "the app called the API");
  for (const p of apiCalls) assert.ok(p.startsWith(`${mounts.api}/v1/`), `a call outside the API's mount: ${p}`);
  for (const p of calls) assert.ok(!p.startsWith("/admin/") && !p.startsWith("/api/"), `a call to a default path: ${p}`);
});

test("the default paths are not Burgee's", async () => {
  const app = await fetch(`${worker}/admin/`);
  assert.equal(app.status, 404);
  assert.equal((await app.json()).error.code, "not_found");
  const call = await fetch(`${worker}/api/v1/document`, { headers: { authorization: `Bearer ${tokens.admin}` } });
  assert.equal(call.status, 404);
  assert.doesNotMatch(await call.text(), /"version"/);
});
