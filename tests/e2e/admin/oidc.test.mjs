// Single sign-on against a real OpenID Connect provider (the certified `oidc-provider`
// package, run here on 127.0.0.1 with its development login pages): authorization code with
// PKCE, the ID token verified by the worker with the provider's keys, a session cookie, CSRF
// on writes, the audit log naming the person, roles from ADMIN_USERS, and refusals.
//
// xtask starts the worker with OIDC_ISSUER=http://127.0.0.1:$BURGEE_OIDC_PORT, client id
// `burgee-e2e`, and ADMIN_USERS: ada@example.com admin, any verified @example.com editor.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import Provider from "oidc-provider";

import { api, appUrl, closeAll, createBooleanFlag, eventually, example, importDocument, launch, mounts, watchedPage, worker } from "./harness.mjs";

const port = Number(process.env.BURGEE_OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const callback = `${worker}${mounts.api}/v1/auth/callback`;
let server;
let browser;
const pages = [];

before(async () => {
  assert.ok(port > 0, "run by cargo xtask (BURGEE_OIDC_PORT)");
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "burgee-e2e",
        token_endpoint_auth_method: "none",
        redirect_uris: [callback],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The development login page takes any name: it becomes the account and its email.
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: id, email_verified: true, name: id }),
    }),
    cookies: { keys: ["e2e-provider-key"] },
    pkce: { required: () => true },
  });
  server = provider.listen(port);
  browser = await launch();
});

after(async () => {
  const errors = [];
  // The provider's own pages import a web font from the internet, which is out of reach here.
  for (const page of pages) errors.push(...page.errors.filter((e) => !e.includes("ERR_NAME_NOT_RESOLVED")));
  await closeAll(browser);
  server?.close();
  assert.deepEqual(errors, [], "the pages logged errors");
});

/** Signs in as `login` at the provider; answers the page, back at the worker. */
async function signInAs(login) {
  const page = await watchedPage(await browser.context());
  pages.push(page);
  await page.goto(`${worker}${mounts.api}/v1/auth/login?return=${encodeURIComponent(`${mounts.app}/`)}`);
  // The login and consent pages, then back to the worker's callback and on to the app.
  await atProvider(page, login);
  await page.waitForURL((url) => url.toString().startsWith(worker), { timeout: 10000 });
  return page;
}

/** At the provider's pages: signs in as `login` and consents. */
async function atProvider(page, login) {
  assert.ok(page.url().startsWith(issuer), `at the provider: ${page.url()}`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
}

/** `fetch` from the page (its cookies; `csrf`: the CSRF header from the readable cookie). */
async function call(page, method, path, { body, csrf = true, ifMatch } = {}) {
  return page.evaluate(
    async ({ method, url, body, csrf, ifMatch }) => {
      const headers = { "content-type": "application/json" };
      const token = document.cookie.split("; ").find((c) => c.startsWith("burgee_csrf="));
      if (csrf && token) headers["x-burgee-csrf"] = token.slice("burgee_csrf=".length);
      if (ifMatch !== undefined) headers["if-match"] = `"${ifMatch}"`;
      const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    { method, url: `${worker}${mounts.api}/v1${path}`, body, csrf, ifMatch },
  );
}

test("the app learns that single sign-on is configured", async () => {
  const r = await api("GET", "/auth", { token: "" });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.singleSignOn, true);
  assert.equal(r.body.provider, "Test SSO");
});

test("ada signs in with the provider: an admin session, HttpOnly, named in the audit log; writes need the CSRF token", async () => {
  const page = await signInAs("ada@example.com");
  assert.equal(new URL(page.url()).pathname, `${mounts.app}/`);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "burgee_session");
  assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
  assert.equal(session.sameSite, "Lax");
  assert.equal(await page.evaluate(() => document.cookie.includes("burgee_session")), false);
  const me = await call(page, "GET", "/whoami");
  assert.deepEqual(me, { status: 200, body: { name: "ada@example.com", role: "admin" } });

  const version = (await api("GET", "/document")).body.version;
  const flag = { kind: "boolean", variants: { on: true, off: false }, environments: {} };
  const forged = await call(page, "PUT", "/flags/sso-made", { body: flag, csrf: false, ifMatch: version });
  assert.equal(forged.status, 403, JSON.stringify(forged.body));
  assert.match(forged.body.error.message, /CSRF/);
  assert.equal((await api("GET", "/document")).body.version, version, "the refused write changed nothing");
  const made = await call(page, "PUT", "/flags/sso-made", { body: flag, ifMatch: version });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const audit = (await api("GET", "/audit?limit=5")).body.entries;
  const write = audit.find((e) => e.version === version + 1);
  assert.equal(write?.actor, "ada@example.com", JSON.stringify(audit));
  assert.ok(audit.some((e) => e.action === "signed-in" && e.actor === "ada@example.com"), JSON.stringify(audit));

  const out = await call(page, "POST", "/auth/logout");
  assert.equal(out.status, 200);
  assert.equal((await call(page, "GET", "/whoami")).status, 401, "signed out");
});

test("a verified colleague gets the domain's role; a stranger is refused and gets no session", async () => {
  const bob = await signInAs("bob@example.com");
  assert.deepEqual((await call(bob, "GET", "/whoami")).body, { name: "bob@example.com", role: "editor" });
  const restore = await call(bob, "POST", "/restore/1");
  assert.equal(restore.status, 403, "an editor may not restore");

  const eve = await signInAs("eve@evil.test");
  assert.equal(new URL(eve.url()).search, "?signin=refused");
  // The app says so, and offers to try again.
  assert.match(await eve.getByTestId("signin-problem").innerText(), /not allowed/);
  await eve.getByRole("link", { name: "Sign in with Test SSO" }).waitFor();
  const cookies = await eve.context().cookies();
  assert.equal(cookies.find((c) => c.name === "burgee_session"), undefined);
  assert.equal((await call(eve, "GET", "/whoami")).status, 401);
  const audit = (await api("GET", "/audit?limit=10")).body.entries;
  assert.ok(audit.some((e) => e.action === "sign-in-refused" && e.actor === "eve@evil.test"), JSON.stringify(audit));
});

test("a forged or replayed sign-in changes nothing", async () => {
  const page = await watchedPage(await browser.context());
  pages.push(page);
  // A callback this browser did not start: no sign-in cookie, so no session.
  await page.goto(`${callback}?code=stolen&state=guess`);
  assert.equal(new URL(page.url()).search, "?signin=failed");
  // A session cookie made up by hand.
  await page.context().addCookies([{ name: "burgee_session", value: "eyJuYW1lIjoiZXZlIn0.AAAA", url: worker }]);
  assert.equal((await call(page, "GET", "/whoami")).status, 401);
});

test("a person signs in through the app's button, edits with the session, and signs out", async () => {
  await importDocument(example);
  const key = "sso-journey";
  await createBooleanFlag(key, "SSO journey", { enabled: false });
  const app = await appUrl();
  const page = await watchedPage(await browser.context());
  pages.push(page);
  // A deep link: the provider sends the person back to it.
  await page.goto(`${app.url}#/flags`);
  await page.getByRole("link", { name: "Sign in with Test SSO" }).click();
  await page.waitForURL((url) => url.toString().startsWith(issuer));
  await atProvider(page, "ada@example.com");
  await page.locator("header.topbar").waitFor();
  assert.equal(new URL(page.url()).hash, "#/flags", "back where the sign-in started");
  const who = await page.getByTestId("who").innerText();
  assert.match(who, /ada@example\.com/);
  assert.match(who, /admin/);
  assert.doesNotMatch(who, /token/, "a person, not a token");

  // An edit through the app: the kill switch, a write that needs the CSRF header.
  const before = (await api("GET", "/document")).body.version;
  const row = page.locator(`tr[data-key="${key}"]`);
  await row.locator('button[role="switch"][data-env="production"]').click();
  await page.getByRole("dialog").getByRole("button", { name: "Turn on" }).click();
  await eventually(async () => (await row.locator('button[role="switch"][data-env="production"]').getAttribute("aria-checked")) === "true", 10000, "the switch on");
  const audit = (await api("GET", "/audit?limit=5")).body.entries;
  const write = audit.find((e) => e.version === before + 1);
  assert.equal(write?.actor, "ada@example.com", JSON.stringify(audit));

  // A reload keeps the person signed in (the cookie, no token in the tab).
  await page.reload();
  await page.locator("header.topbar").waitFor();
  assert.match(await page.getByTestId("who").innerText(), /ada@example\.com/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Admin token").waitFor();
  assert.equal((await call(page, "GET", "/whoami")).status, 401, "the session ended at the worker");
  await page.reload();
  await page.getByRole("link", { name: "Sign in with Test SSO" }).waitFor();
  assert.equal(await page.locator("header.topbar").count(), 0, "still signed out after a reload");
});
