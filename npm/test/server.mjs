// A test fixture standing in for the edge worker's public routes, on 127.0.0.1 only:
// `GET /v1/snapshot/{env}` (binary snapshot, strong ETag, 304), `POST /ofrep/v1/evaluate/flags`
// (OFREP bulk, `X-Burgee-Environment`, ETag, 304), `GET /v1/stream/{env}` (Server-Sent Events)
// and static files for the browser pages. It compiles with the package's own loadDocument,
// so what it serves is what the edge would. (The real-worker tests replace it later.)

import { createServer } from "node:http";
import { readFileSync, statSync } from "node:fs";
import { extname, join, normalize } from "node:path";

import { loadDocument } from "burgee";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
};

export const TEST_DOCUMENT = {
  environments: ["production", "staging"],
  flags: {
    "new-checkout": {
      kind: "boolean",
      clientSide: true,
      variants: { on: true, off: false },
      environments: {
        production: {
          enabled: true,
          offVariant: "off",
          rules: [{ id: "admins", clauses: [{ attribute: "role", op: "in", values: ["admin"] }], serve: { variant: "on" } }],
          defaultServe: { variant: "off" },
        },
      },
    },
    banner: {
      kind: "string",
      clientSide: true,
      variants: { hello: "Hello", sale: "Sale!" },
      environments: { production: { enabled: true, offVariant: "hello", defaultServe: { variant: "hello" } } },
    },
    limits: {
      kind: "json",
      clientSide: true,
      variants: { small: { items: 10 }, large: { items: 1000 } },
      environments: {
        production: {
          enabled: true,
          offVariant: "small",
          rules: [{ id: "pro", clauses: [{ attribute: "plan", op: "in", values: ["pro"] }], serve: { variant: "large" } }],
          defaultServe: { variant: "small" },
        },
      },
    },
    split: {
      kind: "string",
      clientSide: true,
      variants: { a: "control", b: "treatment" },
      environments: {
        production: {
          enabled: true,
          offVariant: "a",
          defaultServe: { rollout: { weights: [{ variant: "a", weight: 50 }, { variant: "b", weight: 50 }] } },
        },
      },
    },
  },
};

/** Starts the fixture; `static` maps URL prefixes to directories. */
export async function startServer({ document = TEST_DOCUMENT, statics = {} } = {}) {
  let version = 1;
  let doc = structuredClone(document);
  const compiled = new Map();
  const streams = new Set();
  const log = [];
  const state = { fail: false };

  const snapshot = (env) => {
    const key = `${version}/${env}`;
    if (!compiled.has(key)) compiled.set(key, loadDocument(doc, env));
    return compiled.get(key);
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const entry = { method: req.method, path: url.pathname, headers: req.headers };
    log.push(entry);
    let body = "";
    for await (const chunk of req) body += chunk;
    entry.body = body;
    try {
      if (state.fail && /^\/(v1|ofrep)\//.test(url.pathname)) {
        res.writeHead(503, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ error: { code: "unavailable", message: "failing on purpose" } }));
      }
      let m;
      if ((m = url.pathname.match(/^\/v1\/snapshot\/([^/]+)$/)) && req.method === "GET") {
        const env = decodeURIComponent(m[1]);
        const etag = `"${version}-${env}"`;
        if (req.headers["if-none-match"] === etag) {
          entry.status = 304;
          res.writeHead(304, { ETag: etag });
          return res.end();
        }
        entry.status = 200;
        res.writeHead(200, { "Content-Type": "application/octet-stream", ETag: etag, "Cache-Control": "no-cache" });
        return res.end(Buffer.from(snapshot(env).encode()));
      }
      if (url.pathname === "/ofrep/v1/evaluate/flags" && req.method === "POST") {
        const env = req.headers["x-burgee-environment"];
        const { context } = JSON.parse(body || "{}");
        const all = snapshot(env).evaluateAll(context ?? {});
        const flags = Object.entries(all).map(([key, r]) =>
          r.errorCode
            ? { key, errorCode: r.errorCode, errorDetails: r.errorMessage }
            : { key, value: r.value, reason: r.reason, ...(r.variant ? { variant: r.variant } : {}), metadata: r.ruleId ? { ruleId: r.ruleId } : {} },
        );
        const text = JSON.stringify({ flags });
        const etag = `"${version}-${Buffer.from(text).toString("base64url").slice(-16)}"`;
        if (req.headers["if-none-match"] === etag) {
          entry.status = 304;
          res.writeHead(304, { ETag: etag });
          return res.end();
        }
        entry.status = 200;
        res.writeHead(200, { "Content-Type": "application/json", ETag: etag });
        return res.end(text);
      }
      if ((m = url.pathname.match(/^\/v1\/stream\/([^/]+)$/))) {
        res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
        res.write(": connected\n\n");
        streams.add(res);
        req.on("close", () => streams.delete(res));
        return;
      }
      for (const [prefix, dir] of Object.entries(statics)) {
        if (url.pathname.startsWith(prefix)) {
          const path = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
          if (!path.startsWith(normalize(dir)) || !statSync(path, { throwIfNoEntry: false })?.isFile()) break;
          res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream" });
          return res.end(readFileSync(path));
        }
      }
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "not-found", message: url.pathname } }));
    } catch (e) {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal", message: String(e) } }));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  return {
    url,
    log,
    state,
    requests: (path) => log.filter((e) => e.path === path),
    /** Replaces the document (a new version) and pushes the change to streams. */
    update(mutate) {
      mutate(doc);
      version++;
      const changed = Object.keys(doc.flags);
      for (const s of streams) s.write(`data: ${JSON.stringify({ version, changed })}\n\n`);
    },
    /** Pushes raw event data to every stream. */
    push(data) {
      for (const s of streams) s.write(`data: ${data}\n\n`);
    },
    async close() {
      for (const s of streams) s.end();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
