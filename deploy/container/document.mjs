// The mounted document: a flag document in a file (in Kubernetes, a ConfigMap key mounted as a
// volume) that becomes the store's document at start and whenever the file's content changes.
//
// Every import goes through the admin API like any other write: validated by the store
// (`POST /validate`, whose diagnostics are logged when the document is refused), then written
// with `POST /import` and `If-Match` of the version it replaces, so it has a version, a history
// entry and an audit entry (actor `mounted-document`, with a reason naming the file and the
// content's hash).
//
// The file is watched by polling the SHA-256 of its content, not by file events: a ConfigMap
// update swaps a symlink (`..data`) to a new directory, which inotify on the file never sees.
// Reading through the symlinks on every poll sees the new content whatever way it arrived.
//
// A content that was already imported is not written again, across restarts too: the hash and
// version of the last import are kept in the data directory (`mounted-document.json`). So a
// restart with the same file writes nothing, and an edit made in the admin app stays until
// the file's content changes.

import { createHash } from "node:crypto";
import { readFile, writeFile, rename } from "node:fs/promises";
import { basename } from "node:path";

/// The actor name of the importer's own token (audit entries and history versions).
export const IMPORTER_NAME = "mounted-document";

/// How often a version conflict (an edit landing between reading the version and writing) is
/// retried before the import waits for the next change or restart.
const CONFLICT_RETRIES = 3;

export class MountedDocument {
  /// `file`: the mounted document; `api`: the admin API's base URL (`http://127.0.0.1:8080/api/v1`);
  /// `token`: a token with the admin role; `stateFile`: where the last import is recorded.
  constructor({ file, api, token, stateFile, log }) {
    this.file = file;
    this.api = api;
    this.token = token;
    this.stateFile = stateFile;
    this.log = log;
    /// The hash of the content last dealt with (imported, found unchanged, or refused).
    this.seen = null;
    /// The last problem logged about reading the file, so a missing file is logged once.
    this.readProblem = null;
  }

  /// One poll: imports the file when its content is new. Never throws; problems are logged, and
  /// a failure that may pass (the store unreachable) is retried at the next poll.
  async check() {
    let bytes;
    try {
      bytes = await readFile(this.file);
    } catch (e) {
      const problem = `cannot read ${this.file}: ${e.code ?? e.message}`;
      if (problem !== this.readProblem) this.log(`${problem} (waiting for it to appear)`);
      this.readProblem = problem;
      return;
    }
    this.readProblem = null;
    const hash = createHash("sha256").update(bytes).digest("hex");
    if (hash === this.seen) return;
    try {
      if (await this.apply(bytes, hash)) this.seen = hash;
    } catch (e) {
      this.log(`importing ${this.file} failed, retrying at the next check: ${e.message}`);
    }
  }

  /// Validates and imports `bytes`; true when the content is dealt with for good (imported,
  /// already imported, or refused), false when it should be tried again.
  async apply(bytes, hash) {
    const short = hash.slice(0, 12);
    const last = await this.lastImport();
    let current = await this.version();
    if (last?.sha256 === hash && current >= last.version && current > 0) {
      this.log(`${this.file} (sha256 ${short}) is unchanged since it was imported as version ${last.version}: not imported again`);
      return true;
    }
    const check = await this.call("POST", "/validate", { body: bytes });
    if (check.status !== 200) return this.refused(check, short);
    if (!check.body.valid) {
      this.log(`${this.file} (sha256 ${short}) is not a valid document; the store is unchanged:`);
      this.diagnostics(check.body.diagnostics);
      return true;
    }
    const reason = `${basename(this.file)} changed (sha256 ${short})`;
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      const r = await this.call("POST", "/import", {
        body: bytes,
        headers: { "If-Match": `"${current}"`, "X-Burgee-Reason": encodeURIComponent(reason) },
      });
      if (r.status === 200) {
        await this.record({ sha256: hash, version: r.body.version, file: this.file });
        this.log(`imported ${this.file} (sha256 ${short}) as version ${r.body.version} (was ${current})`);
        return true;
      }
      if (r.status !== 412) return this.refused(r, short);
      current = r.body.error?.details?.currentVersion ?? (await this.version());
      this.log(`version conflict (another write landed); retrying on version ${current}`);
    }
    this.log(`${this.file}: still conflicting after ${CONFLICT_RETRIES} retries; trying again at the next check`);
    return false;
  }

  /// A refusal: logged with its diagnostics; a 4xx is final for this content, a 5xx is not.
  refused(r, short) {
    const error = r.body?.error ?? {};
    this.log(`${this.file} (sha256 ${short}) was refused: ${r.status} ${error.code ?? ""} ${error.message ?? ""}; the store is unchanged`);
    this.diagnostics(error.details?.diagnostics);
    return r.status < 500;
  }

  diagnostics(list) {
    for (const d of list ?? []) {
      this.log(`  ${d.severity} ${d.code} at ${d.pointer || "/"}: ${d.message}`);
    }
  }

  async version() {
    const r = await this.call("GET", "/document");
    if (r.status !== 200) {
      throw new Error(`GET /document answered ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body.version;
  }

  async call(method, path, { body, headers = {} } = {}) {
    const response = await fetch(this.api + path, {
      method,
      body,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: { message: text.slice(0, 200) } };
    }
    return { status: response.status, body: parsed };
  }

  async lastImport() {
    try {
      return JSON.parse(await readFile(this.stateFile, "utf8"));
    } catch {
      return null;
    }
  }

  /// Written to a temporary file and renamed, so a crash never leaves half a record.
  async record(state) {
    const temp = `${this.stateFile}.tmp`;
    await writeFile(temp, JSON.stringify({ ...state, at: new Date().toISOString() }) + "\n");
    await rename(temp, this.stateFile);
  }
}
