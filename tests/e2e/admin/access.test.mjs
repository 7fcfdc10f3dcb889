// Behind Cloudflare Access: Access signs each request it lets through with a JWT in
// `Cf-Access-Jwt-Assertion`. There is no Access on 127.0.0.1, so this file plays the team:
// it serves the team's keys at /cdn-cgi/access/certs (the format Access publishes) and signs
// assertions as Access does (RS256, the application's audience tag, the team domain as
// issuer). The worker must take a genuine one as the person it names, with their ADMIN_USERS
// role, and refuse a forged, expired or foreign one, and a write from another site.
//
// xtask starts the worker with ACCESS_TEAM_DOMAIN=http://127.0.0.1:$BURGEE_ACCESS_PORT and
// ACCESS_AUD=burgee-e2e-aud.

import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { api, mounts, worker } from "./harness.mjs";

const port = Number(process.env.BURGEE_ACCESS_PORT);
const team = `http://127.0.0.1:${port}`;
const AUD = "burgee-e2e-aud";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
let server;

before(async () => {
  assert.ok(port > 0, "run by cargo xtask (BURGEE_ACCESS_PORT)");
  const jwk = { ...keys.publicKey.export({ format: "jwk" }), kid: "team-key-1", alg: "RS256", use: "sig" };
  server = createServer((req, res) => {
    if (req.url === "/cdn-cgi/access/certs") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
});

after(() => server?.close());

const b64url = (value) => Buffer.from(value).toString("base64url");

/** An assertion as Access signs it, with `claims` overriding the usual ones. */
function assertion(email, claims = {}, key = keys.privateKey) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "RS256", kid: "team-key-1", typ: "JWT" };
  const body = { aud: [AUD], email, exp: now + 3600, iat: now, nbf: now, iss: team, type: "app",
    identity_nonce: randomUUID(), sub: randomUUID(), country: "XX", ...claims };
  const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(body))}`;
  return `${signed}.${b64url(sign("sha256", Buffer.from(signed), key))}`;
}

/** An admin API call through "Access" (no token, no cookie). */
async function call(method, path, jwt, { body, origin, ifMatch } = {}) {
  const headers = { "cf-access-jwt-assertion": jwt };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (origin) headers.origin = origin;
  if (ifMatch !== undefined) headers["if-match"] = `"${ifMatch}"`;
  const r = await fetch(`${worker}${mounts.api}/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
}

test("a genuine assertion is the person it names, with their role; their writes are audited under their email", async () => {
  const ada = assertion("ada@example.com");
  assert.deepEqual(await call("GET", "/whoami", ada), { status: 200, body: { name: "ada@example.com", role: "admin" } });
  const version = (await api("GET", "/document")).body.version;
  const flag = { kind: "boolean", variants: { on: true, off: false }, environments: {} };
  const made = await call("PUT", "/flags/made-through-access", ada, { body: flag, origin: new URL(worker).origin, ifMatch: version });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const audit = (await api("GET", "/audit?limit=1")).body.entries;
  assert.equal(audit[0].actor, "ada@example.com");
  const bob = assertion("bob@example.com");
  assert.deepEqual((await call("GET", "/whoami", bob)).body, { name: "bob@example.com", role: "editor" });
  assert.equal((await call("POST", "/restore/1", bob, { origin: new URL(worker).origin })).status, 403, "an editor may not restore");
});

test("a write from another site is refused and changes nothing", async () => {
  const version = (await api("GET", "/document")).body.version;
  const flag = { kind: "boolean", variants: { on: true, off: false }, environments: {} };
  const r = await call("PUT", "/flags/forged-from-elsewhere", assertion("ada@example.com"), { body: flag, origin: "https://evil.example", ifMatch: version });
  assert.equal(r.status, 403, JSON.stringify(r.body));
  assert.equal((await api("GET", "/document")).body.version, version);
});

test("a forged, expired, foreign or unknown person's assertion is refused", async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ["signed by another key", assertion("ada@example.com", {}, stranger.privateKey), 401],
    ["expired", assertion("ada@example.com", { exp: now - 3600, iat: now - 7200, nbf: now - 7200 }), 401],
    ["for another application", assertion("ada@example.com", { aud: ["someone-elses-app"] }), 401],
    ["from another team", assertion("ada@example.com", { iss: "https://other.cloudflareaccess.com" }), 401],
    ["not a JWT", "not-a-jwt", 401],
    ["a person ADMIN_USERS does not admit", assertion("eve@evil.test"), 403],
  ];
  for (const [what, jwt, status] of cases) {
    const r = await call("GET", "/whoami", jwt);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  }
});
