// The real edge worker the network tests talk to: `cargo xtask npm` (and `cargo xtask test`)
// start it in workerd (`wrangler dev`, both scripts: the evaluation routes and the control
// plane's Durable Object) on 127.0.0.1, import test/document.json through the admin API, and
// pass BURGEE_WORKER_URL and BURGEE_ADMIN_TOKEN (an admin token made for the run).
//
// Tests change flags only through the admin API (edge-worker/API.md), and each test creates
// its own flag keys, so no test depends on another's writes. The worker revalidates its
// snapshots every SNAPSHOT_TTL_SECONDS (0.5 s here), so after a write tests wait with a bound
// (`until`) rather than for a fixed time.

import { readFileSync } from "node:fs";

export const WORKER = process.env.BURGEE_WORKER_URL;
const TOKEN = process.env.BURGEE_ADMIN_TOKEN;
if (!WORKER || !TOKEN) {
  throw new Error("BURGEE_WORKER_URL and BURGEE_ADMIN_TOKEN are not set: run the tests with `cargo xtask npm`, which starts the worker");
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(WORKER)) throw new Error(`the worker must be on 127.0.0.1, not ${WORKER}`);

/** The document the worker was seeded with. */
export const DOCUMENT = JSON.parse(readFileSync(new URL("./document.json", import.meta.url), "utf8"));
/** Its flags that browsers may download (the public snapshot), and the one that stays at the edge. */
export const CLIENT_SIDE = Object.keys(DOCUMENT.flags).filter((k) => DOCUMENT.flags[k].clientSide).sort();
export const SERVER_ONLY = Object.keys(DOCUMENT.flags).filter((k) => !DOCUMENT.flags[k].clientSide);

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy, for at most `timeout` ms; fails naming `what`. */
export async function until(what, fn, { timeout = 5000, every = 50 } = {}) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeout) throw new Error(`not within ${timeout} ms: ${what} (last: ${last?.stack ?? JSON.stringify(last)})`);
    await tick(every);
  }
}

let serial = 0;
/** A flag key no other test uses. */
export const uniqueKey = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${serial++}`;

/** An admin API call; answers `{ status, body, headers }`, failing on any status not in `ok`. */
export async function admin(method, path, { body, headers = {}, ok = [200, 201] } = {}) {
  const response = await fetch(`${WORKER}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!ok.includes(response.status)) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A write based on the current version (If-Match), tried again if another write got in first. */
async function write(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const { body: current } = await admin("GET", "/api/v1/document");
    const r = await admin(method, path, { body: typeof body === "function" ? body(current.document) : body, headers: { "If-Match": `"${current.version}"` }, ok: [200, 201, 412] });
    if (r.status !== 412) return r.body.version;
    if (attempt === 3) throw new Error(`${method} ${path}: still conflicting after ${attempt + 1} attempts`);
  }
}

/** Creates or replaces a flag (PUT /api/v1/flags/{key}); the new version. */
export const putFlag = (key, flag) => write("PUT", `/api/v1/flags/${encodeURIComponent(key)}`, flag);
/** A JSON Merge Patch of a flag; the new version. */
export const patchFlag = (key, patch) => write("PATCH", `/api/v1/flags/${encodeURIComponent(key)}`, patch);
/** Replaces the whole document with `change(document)`; the new version. */
export const changeDocument = (change) => write("PUT", "/api/v1/document", (doc) => change(structuredClone(doc)));

/** The operator's kill switch (`PUT /feature-flags/{KEY}`, no If-Match); the new version. */
export async function setEnabled(key, enabled, environment = "production") {
  const r = await admin("PUT", `/feature-flags/${encodeURIComponent(key)}?env=${environment}`, { body: { enabled } });
  return r.body.version;
}

/** A client-side boolean flag for production, served `on` when enabled. */
export const switchFlag = (enabled) => ({
  kind: "boolean",
  clientSide: true,
  variants: { on: true, off: false },
  environments: { production: { enabled, offVariant: "off", defaultServe: { variant: "on" } } },
});

/** A client-side string flag for production, serving `variant` of hello/sale. */
export const bannerFlag = (variant) => ({
  kind: "string",
  clientSide: true,
  variants: { hello: "Hello", sale: "Sale!" },
  environments: { production: { enabled: true, offVariant: "hello", defaultServe: { variant } } },
});

/** `GET /v1/snapshot/{env}` straight from the worker: status, ETag, version, bytes. */
export async function snapshot(environment = "production", headers = {}) {
  const r = await fetch(`${WORKER}/v1/snapshot/${environment}`, { headers });
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, etag: r.headers.get("ETag"), version: Number(r.headers.get("X-Burgee-Version")), bytes };
}

/** Waits until the worker's public snapshot of `environment` is at least `version`. */
export const published = (version, environment = "production") =>
  until(`the worker serves version ${version} of ${environment}`, async () => (await snapshot(environment)).version >= version);

/** The worker's own OFREP bulk answer for `context`, by flag key. */
export async function ofrep(context, environment = "production") {
  const r = await fetch(`${WORKER}/ofrep/v1/evaluate/flags`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Burgee-Environment": environment },
    body: JSON.stringify({ context }),
  });
  if (r.status !== 200) throw new Error(`OFREP: ${r.status} ${await r.text()}`);
  const body = await r.json();
  return { version: body.metadata.version, flags: Object.fromEntries(body.flags.map((f) => [f.key, f])) };
}

/** A `fetch` that records each call (URL, init, status, ETag, body size) and can go offline. */
export function spyFetch(impl = fetch) {
  const calls = [];
  const f = async (url, init) => {
    const call = { url: String(url), init };
    calls.push(call);
    if (f.offline) throw new TypeError("fetch failed (offline)");
    const response = await impl(url, init);
    call.status = response.status;
    call.etag = response.headers.get("ETag");
    return response;
  };
  f.calls = calls;
  f.offline = false;
  f.to = (path) => calls.filter((c) => new URL(c.url).pathname === path);
  return f;
}
