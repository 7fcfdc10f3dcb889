// What every admin-app test needs: the worker's URL and tokens (from xtask), the admin API,
// Debian's Chromium through playwright-core, sign-in, screenshots, and the console watched.
//
// Environment (set by `cargo xtask`, xtask/src/admin_ui.rs):
//   BURGEE_URL            the worker (wrangler dev on 127.0.0.1)
//   BURGEE_ADMIN_TOKEN, BURGEE_EDITOR_TOKEN, BURGEE_VIEWER_TOKEN
//   BURGEE_PROD_VIEWER_TOKEN   an editor who is a viewer in production (e2e-prod-viewer)
//   BURGEE_ARTIFACTS      where screenshots and measurements go (target/admin-ui-e2e)
//   BURGEE_EXAMPLE        examples/tasks-app.json
//   BURGEE_ADMIN_PATH, BURGEE_ADMIN_API_PATH   the worker's mounts (default /admin and /api)

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { ARGS, CHROMIUM } from "../../../npm/test/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../../..");

export const worker = process.env.BURGEE_URL ?? "http://127.0.0.1:8787";
/** Where the worker serves the app and the admin API (its routes are `${mounts.api}/v1/…`). */
export const mounts = {
  app: process.env.BURGEE_ADMIN_PATH || "/admin",
  api: process.env.BURGEE_ADMIN_API_PATH || "/api",
};
export const tokens = {
  admin: process.env.BURGEE_ADMIN_TOKEN ?? "",
  editor: process.env.BURGEE_EDITOR_TOKEN ?? "",
  viewer: process.env.BURGEE_VIEWER_TOKEN ?? "",
  prodViewer: process.env.BURGEE_PROD_VIEWER_TOKEN ?? "",
};
export const artifacts = process.env.BURGEE_ARTIFACTS ?? join(repo, "target/admin-ui-e2e");
export const example = JSON.parse(readFileSync(process.env.BURGEE_EXAMPLE ?? join(repo, "examples/tasks-app.json"), "utf8"));
mkdirSync(artifacts, { recursive: true });


/** Calls the admin API: `{ status, body, etag }`; `reason` is the write's `X-Burgee-Reason`. */
export async function api(method, path, { token = tokens.admin, body, ifMatch, reason } = {}) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (ifMatch !== undefined) headers["if-match"] = `"${ifMatch}"`;
  if (reason !== undefined) headers["x-burgee-reason"] = encodeURIComponent(reason);
  const r = await fetch(`${worker}${mounts.api}/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, body: json, etag: r.headers.get("etag") };
}

export async function version() {
  const r = await api("GET", "/document");
  if (r.status !== 200) throw new Error(`GET /document: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.version;
}

/** Replaces the store's document (an audited import), whatever version it is at. */
export async function importDocument(document, { reason } = {}) {
  const r = await api("POST", "/import", { body: document, ifMatch: await version(), reason });
  if (r.status !== 200) throw new Error(`import: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.version;
}

/**
 * Creates a boolean flag (on/off) whose production settings are `production` on top of
 * "enabled, off when disabled, off for everyone else"; fails unless the store created it.
 */
export async function createBooleanFlag(key, name, production) {
  const flag = {
    name,
    kind: "boolean",
    variants: { on: true, off: false },
    environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "off" }, ...production } },
  };
  const r = await api("PUT", `/flags/${key}`, { body: flag, ifMatch: await version() });
  if (r.status !== 201) throw new Error(`PUT /flags/${key}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.version;
}

/** Sets production's review policy (`{}`: none); fails unless the store took it. */
export async function setPolicy(policy) {
  const r = await api("PUT", "/environments/production/policy", { body: policy });
  if (r.status !== 200) throw new Error(`PUT /environments/production/policy: ${r.status} ${JSON.stringify(r.body)}`);
}

/**
 * How many times the worker's rate limit made `ofrep` wait, and how many requests wrangler
 * dev's proxy lost (both printed at the end of a file).
 */
export const ofrepRetries = { rateLimited: 0, proxyLost: 0 };

/** wrangler dev's own answer (its proxy, not the worker) when it loses a request in flight. */
const PROXY_LOST = "Your worker restarted mid-request";

/**
 * The worker's OFREP answer for one flag (production, the default environment). Tests that
 * check hundreds of users meet the worker's own rate limit (2,000 evaluations per 10 s per
 * client): a `429` is waited out as its `Retry-After` says, as a well-behaved client would, at
 * most twice per call. wrangler dev's proxy in front of the worker sometimes loses a request
 * between itself and the worker and answers a `503` text of its own, which it retries for GET
 * only; an evaluation changes nothing, so that answer alone is retried, at most twice per call
 * and counted. The worker's own `503` is JSON and is returned as it is.
 */
export async function ofrep(key, context) {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${worker}/ofrep/v1/evaluate/flags/${key}`, {
      method: "POST",
      // A server key (`cargo xtask admin` configures it): the flags the tests create are not
      // client-side, and only server keys see those.
      headers: { "content-type": "application/json", "x-api-key": process.env.BURGEE_EVALUATION_KEY ?? "" },
      body: JSON.stringify({ context }),
    });
    if (r.status === 429 && attempt < 2) {
      await r.text();
      ofrepRetries.rateLimited += 1;
      const seconds = Math.min(Number(r.headers.get("retry-after")) || 10, 11);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    const text = await r.text();
    if (r.status === 503 && text.startsWith(PROXY_LOST) && attempt < 2) {
      ofrepRetries.proxyLost += 1;
      continue;
    }
    return { status: r.status, body: JSON.parse(text) };
  }
}

/**
 * Confirms the review a save opens before it writes, typing `reason` first; returns whether
 * one opened (a draft with errors opens none: a notice says so instead). Notices on screen
 * before the save should be marked `data-seen` (see `saveReviewed`).
 */
export async function confirmReview(page, { reason } = {}) {
  const review = page.getByTestId("review");
  await review.or(page.locator(".notice:not([data-seen])")).first().waitFor();
  if (!(await review.isVisible())) return false;
  if (reason !== undefined) await review.getByTestId("review-reason").fill(reason);
  await review.getByTestId("review-confirm").click();
  return true;
}

/** Clicks the editor's Save (or Create), then confirms the review it opens. */
export async function saveReviewed(page, options = {}) {
  await page.locator(".notice").evaluateAll((els) => els.forEach((e) => e.setAttribute("data-seen", "")));
  await page.getByTestId("save").click();
  return confirmReview(page, options);
}

/** Polls `check` (async, returns truthy when done) for up to `ms`. */
export async function eventually(check, ms = 15000, what = "condition") {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Where the app is served: by the worker itself, at its mount (from its static assets). */
export async function appUrl() {
  const url = `${worker}${mounts.app}/`;
  const r = await fetch(url);
  const html = r.ok ? await r.text() : "";
  if (!html.includes("boot.js")) {
    throw new Error(`the worker does not serve the app at ${mounts.app}/ (${r.status}): build admin-ui/dist first`);
  }
  return { url, close: async () => {} };
}

/** A browser (playwright gives each launch a fresh temporary profile). */
export async function launch() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  return {
    browser,
    async context(options = {}) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, ...options });
      // Everything here answers in well under a second on loopback: fail fast, not after 30 s.
      context.setDefaultTimeout(10000);
      return context;
    },
    close: () => browser.close(),
  };
}

/**
 * A page whose console is watched: uncaught errors and console errors are collected (failed
 * requests that a test provokes on purpose, 4xx from the API, are expected and filtered).
 */
export async function watchedPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    errors.push(`console: ${text}`);
  });
  page.errors = errors;
  return page;
}

export async function signIn(page, url, token) {
  await page.goto(url);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("header.topbar").waitFor();
}

export async function shot(page, name, options = {}) {
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true, ...options });
  return path;
}

/** Appends a measurement line to the artifacts and prints it. */
export function record(line) {
  console.log(`# ${line}`);
  const file = join(artifacts, "measurements.txt");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  writeFileSync(file, `${old}${line}\n`);
}

/** The app in a new browser, signed in with `token`: `{ app, browser, page }` (a watched page). */
export async function signedIn(token) {
  const app = await appUrl();
  const browser = await launch();
  const page = await watchedPage(await browser.context());
  await signIn(page, app.url, token);
  return { app, browser, page };
}

/**
 * Closes the browser (first: one left open keeps the test process alive after a failure) and
 * returns what the page logged, for the caller to assert on.
 */
export async function closeAll(browser, app, page) {
  const errors = page?.errors ?? [];
  await browser?.close();
  await app?.close();
  return errors;
}
