#!/usr/bin/env node
// The container's entrypoint: Burgee on workerd, the edge worker and the admin app on one
// origin and one port, with the store's data in one directory, and an optional mounted flag
// document imported at start and whenever it changes (./document.mjs).
//
// It runs `workerd serve edge-worker/workerd.capnp` (the same configuration as a bare
// self-hosted workerd, see the README's "Self-hosting on workerd") with:
//   - KV and the Durable Objects under BURGEE_DATA_DIR (`kv/`, `do/`), kept across restarts;
//   - the admin app's files from BURGEE_ADMIN_APP (the built `admin-ui/dist`);
//   - the admin tokens from the environment (BURGEE_ADMIN_TOKEN, BURGEE_ADMIN_TOKENS), handed to
//     workerd as ADMIN_TOKENS with one more entry: a random token of this process's own, with
//     which the mounted document is imported (never stored anywhere);
// and stops workerd cleanly on SIGTERM or SIGINT. `entrypoint.mjs health` is the image's health
// check: status 0 when the running instance's worker answers `/health`. Settings are described
// in the README's "Self-hosting in a container". The end-to-end suite `container` (xtask/src/e2e/container.rs)
// runs this file exactly as the image does.

import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { IMPORTER_NAME, MountedDocument } from "./document.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/// How long workerd may take to answer its first `/health`.
const READY_TIMEOUT_MS = 60_000;
/// How long workerd gets to stop after SIGTERM before it is killed.
const STOP_GRACE_MS = 10_000;
/// The bounds of BURGEE_DOCUMENT_POLL_SECONDS.
const POLL_BOUNDS = [0.2, 300];

function log(message) {
  process.stderr.write(`[burgee] ${message}\n`);
}

/// The workerd process, once started (killed if the start fails).
let running = null;

/// A setting that is wrong: the process exits with status 2 before starting anything.
class Misconfigured extends Error {}

/// The settings, from the environment (`env`), checked.
function settings(env) {
  const dataDir = resolve(env.BURGEE_DATA_DIR || "/data");
  const listen = env.BURGEE_LISTEN || "0.0.0.0:8080";
  const match = /^(.*):(\d{1,5})$/.exec(listen);
  if (!match || Number(match[2]) > 65535) {
    throw new Misconfigured(`BURGEE_LISTEN must be HOST:PORT, not ${JSON.stringify(listen)}`);
  }
  const [, host, port] = match;
  // The entrypoint itself talks to workerd over loopback when it listens on every address.
  const local = ["0.0.0.0", "*", "[::]", ""].includes(host) ? "127.0.0.1" : host;
  const poll = Number(env.BURGEE_DOCUMENT_POLL_SECONDS || "5");
  if (!(poll >= POLL_BOUNDS[0] && poll <= POLL_BOUNDS[1])) {
    throw new Misconfigured(`BURGEE_DOCUMENT_POLL_SECONDS must be between ${POLL_BOUNDS[0]} and ${POLL_BOUNDS[1]}`);
  }
  const arch = process.arch === "arm64" ? "arm64" : "64";
  return {
    dataDir,
    listen,
    base: `http://${local}:${port}`,
    workerd: env.BURGEE_WORKERD || join(ROOT, `node_modules/@cloudflare/workerd-linux-${arch}/bin/workerd`),
    adminApp: resolve(env.BURGEE_ADMIN_APP || join(ROOT, "admin-ui/dist")),
    document: env.BURGEE_DOCUMENT ? resolve(env.BURGEE_DOCUMENT) : null,
    pollMs: poll * 1000,
  };
}

/// The ADMIN_TOKENS value: BURGEE_ADMIN_TOKENS (a JSON list of `{name, role, sha256, …}`, as
/// the worker takes it), then BURGEE_ADMIN_TOKEN (one plain token, an admin called `admin`),
/// then the importer's own entry.
function adminTokens(env, importerToken) {
  let entries = [];
  const listed = (env.BURGEE_ADMIN_TOKENS || "").trim();
  if (listed) {
    try {
      entries = JSON.parse(listed);
    } catch (e) {
      throw new Misconfigured(`BURGEE_ADMIN_TOKENS is not JSON: ${e.message}`);
    }
    if (!Array.isArray(entries)) {
      throw new Misconfigured('BURGEE_ADMIN_TOKENS must be a JSON list of {"name", "role", "sha256"}');
    }
  }
  const plain = (env.BURGEE_ADMIN_TOKEN || "").trim();
  if (plain) entries.push({ name: "admin", role: "admin", sha256: sha256(plain) });
  if (entries.some((e) => e?.name === IMPORTER_NAME)) {
    throw new Misconfigured(`the token name ${IMPORTER_NAME} is the mounted document's own`);
  }
  if (entries.length === 0) {
    log("no BURGEE_ADMIN_TOKEN or BURGEE_ADMIN_TOKENS: the admin API and the admin app refuse every token");
  }
  // The importer is automation whose changes are reviewed where the file is (git, the
  // ConfigMap): it writes without an environment's approvals, and audits as itself.
  entries.push({ name: IMPORTER_NAME, role: "admin", sha256: sha256(importerToken), bypassApprovals: true });
  return JSON.stringify(entries);
}

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

function startWorkerd(s, tokens) {
  for (const dir of ["kv", "do"]) mkdirSync(join(s.dataDir, dir), { recursive: true });
  if (!existsSync(s.workerd)) throw new Misconfigured(`no workerd at ${s.workerd} (BURGEE_WORKERD)`);
  if (!existsSync(join(s.adminApp, "admin/index.html"))) {
    log(`no admin app in ${s.adminApp} (BURGEE_ADMIN_APP): /admin/ answers 404`);
    mkdirSync(s.adminApp, { recursive: true });
  }
  const args = [
    "serve",
    join(ROOT, "edge-worker/workerd.capnp"),
    "--directory-path", `kv=${join(s.dataDir, "kv")}`,
    "--directory-path", `do=${join(s.dataDir, "do")}`,
    "--directory-path", `admin-files=${s.adminApp}`,
    "--socket-addr", `http=${s.listen}`,
  ];
  log(`starting workerd on ${s.listen} (data in ${s.dataDir})`);
  return spawn(s.workerd, args, {
    env: { ...process.env, ADMIN_TOKENS: tokens },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

/// Whether the edge worker answers `/health`: 200, or 503 while no environment has flags
/// published yet (an empty store), which is still a worker serving.
function answers(status) {
  return status === 200 || status === 503;
}

/// Resolves once the worker answers `/health`; rejects when workerd exits first or time runs out.
async function waitReady(base, exited) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("workerd exited before it was ready");
    try {
      const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      if (answers(r.status)) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`workerd did not answer ${base}/health within ${READY_TIMEOUT_MS / 1000} s`);
}

async function main() {
  let s;
  let tokens;
  const importerToken = randomBytes(32).toString("hex");
  try {
    s = settings(process.env);
    tokens = adminTokens(process.env, importerToken);
  } catch (e) {
    if (!(e instanceof Misconfigured)) throw e;
    log(e.message);
    process.exit(2);
  }
  const workerd = startWorkerd(s, tokens);
  running = workerd;
  let exitCode = null;
  let stopping = false;
  let timer = null;
  workerd.on("exit", (code, signal) => {
    exitCode = code ?? 1;
    clearTimeout(timer);
    if (stopping) {
      log("workerd stopped");
      process.exit(0);
    }
    log(`workerd exited by itself (${signal ?? `status ${code}`})`);
    process.exit(exitCode === 0 ? 1 : exitCode);
  });
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    log(`${signal}: stopping workerd`);
    workerd.kill("SIGTERM");
    setTimeout(() => {
      log(`workerd still running ${STOP_GRACE_MS / 1000} s after SIGTERM: killing it`);
      workerd.kill("SIGKILL");
    }, STOP_GRACE_MS).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  await waitReady(s.base, () => exitCode !== null);
  log(`ready: ${s.base}/admin/ (admin app), ${s.base}/ofrep/v1 (OFREP)`);
  if (!s.document) return;
  const mounted = new MountedDocument({
    file: s.document,
    api: `${s.base}/api/v1`,
    token: importerToken,
    stateFile: join(s.dataDir, "mounted-document.json"),
    log,
  });
  log(`watching ${s.document} (every ${s.pollMs / 1000} s)`);
  const poll = async () => {
    await mounted.check();
    if (!stopping) timer = setTimeout(poll, s.pollMs);
  };
  await poll();
}

/// `entrypoint.mjs health`: whether the instance these settings describe answers `/health`
/// (whether it serves flags yet is `/health`'s own status, for a readiness probe).
async function health() {
  const r = await fetch(`${settings(process.env).base}/health`, { signal: AbortSignal.timeout(4000) });
  process.exit(answers(r.status) ? 0 : 1);
}

(process.argv[2] === "health" ? health() : main()).catch((e) => {
  log(`cannot start: ${e.message}`);
  running?.kill("SIGKILL");
  process.exit(1);
});
