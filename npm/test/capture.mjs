// A stand-in for the edge's `/v1/metrics` on 127.0.0.1 for the usage-metrics tests: it records
// each POSTed batch (query, headers, parsed body) and answers the statuses queued in
// `statuses` (then 200). It also serves a snapshot at `/v1/snapshot/production` when given
// one, and answers CORS preflights, so a page on another origin can load from it and beacon
// to it. `DOCUMENT` is the tests' flags; `assertBatch` checks a body against the edge's batch format (metrics/src/batch.rs).

import assert from "node:assert/strict";
import { createServer } from "node:http";

export async function startCapture({ snapshot } = {}) {
  const posts = [];
  const statuses = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const origin = req.headers.origin;
    const cors = origin
      ? {
          "Access-Control-Allow-Origin": origin,
          "Access-Control-Allow-Credentials": "true",
          "Access-Control-Allow-Headers": "content-type, authorization",
          "Access-Control-Allow-Methods": "GET, POST",
        }
      : {};
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors);
      return res.end();
    }
    if (req.method === "GET" && url.pathname === "/v1/snapshot/production" && snapshot) {
      res.writeHead(200, { ...cors, "Content-Type": "application/octet-stream" });
      return res.end(snapshot);
    }
    if (req.method !== "POST" || url.pathname !== "/v1/metrics") {
      res.writeHead(404, cors);
      return res.end();
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const status = statuses.shift() ?? 200;
      posts.push({ status, query: Object.fromEntries(url.searchParams), headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(status, cors);
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    posts,
    statuses,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The flags the metrics tests evaluate: a 3-way split and a static boolean. */
export const DOCUMENT = {
  environments: ["production"],
  flags: {
    split: {
      kind: "string",
      clientSide: true,
      variants: { a: "blue", b: "green", c: "red" },
      environments: {
        production: { enabled: true, offVariant: "a", defaultServe: { rollout: { weights: [50, 25, 25].map((weight, i) => ({ variant: "abc"[i], weight })) } } },
      },
    },
    "static-on": {
      kind: "boolean",
      clientSide: true,
      variants: { on: true, off: false },
      environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } } },
    },
  },
};
const REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED", "PREREQUISITE_FAILED", "ERROR"];
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const EVENT = /^[!-~](?:[ -~]{0,62}[!-~])?$/;
const count = (n, what) => assert.ok(Number.isInteger(n) && n >= 0 && n <= 1e9, `${what}: ${n}`);
const fields = (o, allowed, what) => {
  for (const k of Object.keys(o)) assert.ok(allowed.includes(k), `${what} has an unknown field ${k}`);
};

/** Fails unless `b` is a batch the edge accepts (its shape, names, caps), with no sketches. */
export function assertBatch(b) {
  fields(b, ["version", "start", "end", "counts", "events", "overflow", "targetingKey"], "the batch");
  assert.equal(b.version, 1);
  assert.ok(Number.isInteger(b.start) && Number.isInteger(b.end) && b.start <= b.end, `window ${b.start}..${b.end}`);
  assert.ok(Math.abs(b.end - Date.now()) < 5 * 60_000, "the window ends now");
  if (b.overflow !== undefined) count(b.overflow, "overflow");
  if (b.targetingKey !== undefined) assert.equal(typeof b.targetingKey, "string");
  assert.ok((b.counts ?? []).length <= 10_000 * REASONS.length && (b.events ?? []).length <= 1000);
  for (const c of b.counts ?? []) {
    fields(c, ["environment", "flag", "variant", "reason", "count"], "a count");
    for (const k of ["environment", "flag"]) assert.match(c[k], KEY);
    if (c.variant !== undefined) assert.match(c.variant, KEY);
    assert.ok(REASONS.includes(c.reason), c.reason);
    count(c.count, "a count");
  }
  for (const e of b.events ?? []) {
    fields(e, ["environment", "name", "value", "count", "attributed"], "an event");
    assert.match(e.environment, KEY);
    assert.match(e.name, EVENT);
    count(e.count, "an event's count");
    if (e.value !== undefined) assert.ok(Number.isFinite(e.value) && Math.abs(e.value) <= 1e15);
    assert.ok((e.attributed ?? []).length <= 100);
    for (const a of e.attributed ?? []) {
      fields(a, ["flag", "variant", "count"], "an attribution");
      assert.match(a.flag, KEY);
      assert.match(a.variant, KEY);
      count(a.count, "an attribution's count");
      assert.ok(a.count <= e.count, "an attribution counts at most its event");
    }
  }
}
