# Burgee's edge worker on a self-hosted workerd, without Cloudflare.
#
#   cargo xtask build    # edge-worker/{data-plane,control-plane}/build/ and admin-ui/dist/
#   mkdir -p data/kv data/do
#   ADMIN_TOKENS='[{"name":"me","role":"admin","sha256":"…"}]' \
#   node_modules/@cloudflare/workerd-linux-64/bin/workerd serve edge-worker/workerd.capnp \
#       --directory-path kv=$PWD/data/kv --directory-path do=$PWD/data/do \
#       --directory-path admin-files=$PWD/admin-ui/dist --socket-addr http=127.0.0.1:8080
#
# Workers KV becomes a directory: each key is a file of that name (`snapshot:production`,
# `public:production`), written by the control plane through the same KV binding, or by hand
# (`burgee compile flags.json --env production --out data/kv/snapshot:production`). The Durable
# Object keeps its SQLite storage under `do`. The admin app's files come from `admin-files` (an
# empty directory: no app, `/admin/` answers 404), served by workerd-admin-app.js. Everything
# else behaves as on Cloudflare; see the README's "Self-hosting on workerd". The container
# (deploy/container/entrypoint.mjs) runs this same file. Tested by `cargo xtask test` (the
# "self-hosted workerd" and "container" suites).

using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "burgee", worker = .burgee),
    (name = "burgee-control", worker = .control),
    (name = "admin-app", worker = .adminApp),
    # Paths come from --directory-path on the command line.
    (name = "kv", disk = (writable = true)),
    (name = "do", disk = (writable = true)),
    (name = "admin-files", disk = (writable = false)),
  ],
  sockets = [ (name = "http", address = "*:8080", http = (), service = "burgee") ],
);

const burgee :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "data-plane/build/index.js"),
    (name = "index_bg.wasm", wasm = embed "data-plane/build/index_bg.wasm"),
  ],
  # The same date as wrangler.toml.
  compatibilityDate = "2026-04-26",
  bindings = [
    (name = "FLAGS", kvNamespace = "kv"),
    # The admin API's tokens (JSON `[{"name", "role", "sha256"}]`, edge-worker/API.md), from
    # workerd's own environment; unset, every admin request is refused.
    (name = "ADMIN_TOKENS", fromEnvironment = "ADMIN_TOKENS"),
    # The admin app's files, served under /admin/ by the edge worker (wrangler.toml's [assets]).
    (name = "ASSETS", service = "admin-app"),
    # The control plane's Durable Object, defined by the second worker below.
    (name = "STORE", durableObjectNamespace = (className = "FlagStore", serviceName = "burgee-control")),
    # The relays that carry each version to isolates within about a second.
    (name = "RELAY", durableObjectNamespace = (className = "Relay", serviceName = "burgee-control")),
    # The usage counts each isolate flushes (the admin API's metrics routes read them).
    (name = "METRICS", durableObjectNamespace = (className = "Metrics", serviceName = "burgee-control")),
    (name = "ENVIRONMENT_DEFAULT", text = "production"),
    # Files in the kv directory are read back every 5 s (there is no propagation delay to wait
    # out; the relays bring the store's own changes sooner).
    (name = "SNAPSHOT_TTL_SECONDS", text = "5"),
  ],
);

# The control plane (control-plane/build/): the FlagStore, Relay and Metrics Durable Objects, reached
# only through the edge worker's bindings (no socket of its own).
const control :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "control-plane/build/index.js"),
    (name = "index_bg.wasm", wasm = embed "control-plane/build/index_bg.wasm"),
  ],
  compatibilityDate = "2026-04-26",
  bindings = [
    (name = "FLAGS", kvNamespace = "kv"),
    (name = "STORE", durableObjectNamespace = "FlagStore"),
    (name = "RELAY", durableObjectNamespace = "Relay"),
    (name = "METRICS", durableObjectNamespace = "Metrics"),
    (name = "HISTORY_LIMIT", text = "1000"),
    (name = "ENVIRONMENT_DEFAULT", text = "production"),
  ],
  durableObjectNamespaces = [
    (className = "FlagStore", uniqueKey = "burgee-flag-store", enableSql = true),
    (className = "Relay", uniqueKey = "burgee-relay", enableSql = true),
    (className = "Metrics", uniqueKey = "burgee-metrics", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do"),
);

# The admin app's files from the `admin-files` directory (workerd-admin-app.js), reached only
# through the edge worker's ASSETS binding.
const adminApp :Workerd.Worker = (
  modules = [ (name = "admin-app.js", esModule = embed "workerd-admin-app.js") ],
  compatibilityDate = "2026-04-26",
  bindings = [ (name = "FILES", service = "admin-files") ],
);
