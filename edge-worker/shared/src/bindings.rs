//! Names of the worker's bindings, mirroring `wrangler.toml` (one place to rename them).
//!
//! Tests below read `wrangler.toml` (the data plane) and `wrangler.control.toml` (the control
//! plane) and fail when they drift apart or from these names.

/// A variable or secret of the script (`name` either way: a deployment may keep any of them
/// secret; both are strings), `None` when it is absent, blank or not text. Read as a plain
/// property: a self-hosted workerd binds a `fromEnvironment` variable that is unset as `null`,
/// which `Env::var` cannot take (the lookup throws, and the isolate's request hangs).
pub fn setting(env: &worker::Env, name: &str) -> Option<String> {
    worker::js_sys::Reflect::get(env, &name.into())
        .ok()?
        .as_string()
        .filter(|v| !v.trim().is_empty())
}

/// Workers KV namespace that holds the compiled snapshots (`snapshot:<env>`), read by every
/// isolate.
pub const FLAGS: &str = "FLAGS";

/// Durable Object namespace of the control plane (the single writer of the flag document).
pub const STORE: &str = "STORE";

/// The Rust type / JavaScript class bound to [`STORE`]; its local state is keyed by this name
/// and the worker's name, so renaming it orphans stored data (add a migration instead).
pub const FLAG_STORE_CLASS: &str = "FlagStore";

/// Variable: the environment evaluated when a request names none.
pub const ENVIRONMENT_DEFAULT: &str = "ENVIRONMENT_DEFAULT";

/// Variable: seconds between an isolate's reads of its snapshots from Workers KV, the backstop
/// behind the relays' beacon (which brings changes within about a second). Production: 30.
pub const SNAPSHOT_TTL_SECONDS: &str = "SNAPSHOT_TTL_SECONDS";

/// Durable Object namespace of the relays: fan-out objects, one per region, that serve the
/// freshness beacon and new snapshots to the isolates so that the writer handles writes only.
pub const RELAY: &str = "RELAY";

/// The Rust type / JavaScript class bound to [`RELAY`].
pub const RELAY_CLASS: &str = "Relay";

/// Variable: the relays' regions (Durable Object location hints, comma-separated); absent or
/// empty: one relay, `global`.
pub const RELAY_REGIONS: &str = "RELAY_REGIONS";

/// Variable: `off` serves every flag's off variant (reason `STATIC`), the deployment-wide
/// emergency switch; it wins over the `FF_<FLAG>` pins.
pub const FF_ALL: &str = "FF_ALL";

/// Variable: the most change streams one client IP may hold open on one isolate (default 20).
pub const STREAMS_PER_IP: &str = "STREAMS_PER_IP";

/// Variable: the most change streams one evaluation key may hold open on one isolate
/// (default 2000).
pub const STREAMS_PER_KEY: &str = "STREAMS_PER_KEY";

/// Variable: seconds after which the server ends a change stream (the client reconnects);
/// default 600.
pub const STREAM_LIFETIME_SECONDS: &str = "STREAM_LIFETIME_SECONDS";

/// Variable, tests only: `true` lets an admin make the store's KV writes fail on purpose
/// (`PUT /api/v1/test/faults`), and makes the data plane's KV reads as stale as Cloudflare's
/// location cache (`KV_READ_CACHE_SECONDS`). Never set it in production.
pub const ALLOW_FAULT_INJECTION: &str = "ALLOW_FAULT_INJECTION";

/// Variable, tests only (with [`ALLOW_FAULT_INJECTION`]): seconds a data-plane isolate keeps a
/// value it read from KV, as Cloudflare's per-location read cache does (30 to 60 s).
pub const KV_READ_CACHE_SECONDS: &str = "KV_READ_CACHE_SECONDS";

/// Variable: the origin the worker gates and forwards to (edge gating is off without it).
pub const ORIGIN_URL: &str = "ORIGIN_URL";

/// Variable: the gating configuration, JSON (see `gate::Gates`).
pub const GATES: &str = "GATES";

/// Secret: the HMAC key that signs visitors' context tokens (HS256 JWTs).
pub const CONTEXT_SECRET: &str = "CONTEXT_SECRET";

/// Secret: the admin API's tokens, a JSON list of `{name, role, sha256}` (see `auth`).
pub const ADMIN_TOKENS: &str = "ADMIN_TOKENS";

/// Variable: `true` lets REST requests set the evaluation time (`now=`); for tests and local
/// development only, never in production (a visitor could start a scheduled rollout early).
pub const ALLOW_NOW_OVERRIDE: &str = "ALLOW_NOW_OVERRIDE";

/// Secret: the evaluation keys, a JSON list of `{name, sha256, environments?}` (see `keys`);
/// without it the evaluation routes are public.
pub const EVALUATION_KEYS: &str = "EVALUATION_KEYS";

/// Rate-limit binding for evaluation requests (per evaluation key, else per client IP); the
/// worker does not limit when it is absent (self-hosted workerd has no such binding).
pub const EVALUATION_RATE_LIMIT: &str = "EVALUATION_RATE_LIMIT";

/// Variable: how many versions the store keeps in history (default 1000).
pub const HISTORY_LIMIT: &str = "HISTORY_LIMIT";

/// Variable: the project (one Durable Object each); default `default`.
pub const PROJECT: &str = "PROJECT";

/// Durable Object namespace of the metrics store (in the control-plane script): the usage
/// counts isolates flush, which the admin API's metrics routes read. Not the writer, so a
/// traffic spike never queues behind a kill switch.
pub const METRICS: &str = "METRICS";

/// The Rust type / JavaScript class bound to [`METRICS`].
pub const METRICS_CLASS: &str = "Metrics";

/// Variable: `off` stops usage counting at the edge (nothing counted, nothing sent); any other
/// value or none counts.
pub const USAGE_METRICS: &str = "USAGE_METRICS";

/// Variable: where the admin app is served (default `/admin`), so that a worker fronting a
/// site leaves the site's own `/admin` alone.
pub const ADMIN_PATH: &str = "ADMIN_PATH";

/// Variable: where the admin API is served (default `/api`; its routes are `{path}/v1/…`).
pub const ADMIN_API_PATH: &str = "ADMIN_API_PATH";

/// The static-assets binding the data plane serves the admin app's files through (the worker
/// runs first for every path, so it alone decides what is the app's).
pub const ASSETS: &str = "ASSETS";

/// Secret (both scripts): the HMAC key that signs signed-in people's sessions (see
/// `session`). Without it nobody can sign in with single sign-on.
pub const SESSION_SECRET: &str = "SESSION_SECRET";

/// Variable (control plane): the OpenID Connect issuer people sign in with, e.g.
/// `https://accounts.google.com`; its discovery document is at
/// `{issuer}/.well-known/openid-configuration`. Absent: no single sign-on.
pub const OIDC_ISSUER: &str = "OIDC_ISSUER";

/// Variable (control plane): this deployment's client id at the provider.
pub const OIDC_CLIENT_ID: &str = "OIDC_CLIENT_ID";

/// Secret (control plane, optional): the client secret, for providers that require one
/// (sent with HTTP Basic); PKCE is used either way.
pub const OIDC_CLIENT_SECRET: &str = "OIDC_CLIENT_SECRET";

/// Variable (control plane, optional): the provider's name on the sign-in button.
pub const OIDC_PROVIDER_NAME: &str = "OIDC_PROVIDER_NAME";

/// Variable (control plane): environments where a change must carry a reason, JSON
/// `{"production": {"reason": true}}` (see `store::protected`).
pub const PROTECTED_ENVIRONMENTS: &str = "PROTECTED_ENVIRONMENTS";

/// Variable (control plane): the Cloudflare Access team domain the worker sits behind, e.g.
/// `https://myteam.cloudflareaccess.com`; with [`ACCESS_AUD`], Access's signed assertion is
/// accepted as the person it names.
pub const ACCESS_TEAM_DOMAIN: &str = "ACCESS_TEAM_DOMAIN";

/// Variable (control plane): the Access application's audience tag.
pub const ACCESS_AUD: &str = "ACCESS_AUD";

/// Variable (control plane): who may sign in and their role, JSON (see `signin::people`).
pub const ADMIN_USERS: &str = "ADMIN_USERS";

#[cfg(test)]
mod tests {
    use super::*;

    const WRANGLER_TOML: &str = include_str!("../../wrangler.toml");
    const CONTROL_TOML: &str = include_str!("../../wrangler.control.toml");

    fn declares(line: &str) -> bool {
        WRANGLER_TOML.lines().any(|l| l.trim() == line)
    }

    fn control_declares(line: &str) -> bool {
        CONTROL_TOML.lines().any(|l| l.trim() == line)
    }

    #[test]
    fn wrangler_toml_declares_the_rate_limit() {
        assert!(declares(&format!(r#"name = "{EVALUATION_RATE_LIMIT}""#)));
        // The 429's Retry-After (routes/guard.rs) is this period.
        assert!(
            WRANGLER_TOML
                .lines()
                .any(|l| l.trim().starts_with("simple = {") && l.contains("period = 10 }"))
        );
    }

    #[test]
    fn the_control_plane_defines_the_store_the_edge_binds() {
        let script = CONTROL_TOML
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .expect("wrangler.control.toml names its script");
        assert!(
            declares(&format!("script_name = {script}")),
            "the edge binds {script}'s store"
        );
        assert!(
            control_declares(&format!(r#"binding = "{FLAGS}""#)),
            "control KV {FLAGS}"
        );
        assert!(
            control_declares(&format!(r#"name = "{STORE}""#)),
            "control DO {STORE}"
        );
        assert!(control_declares(&format!(
            r#"class_name = "{FLAG_STORE_CLASS}""#
        )));
        assert!(control_declares(&format!(
            r#"new_sqlite_classes = ["{FLAG_STORE_CLASS}"]"#
        )));
        assert!(control_declares(&format!(r#"name = "{RELAY}""#)));
        assert!(control_declares(&format!(
            r#"class_name = "{RELAY_CLASS}""#
        )));
        assert!(control_declares(&format!(
            r#"new_sqlite_classes = ["{RELAY_CLASS}"]"#
        )));
        assert!(control_declares(r#"main = "control-plane/build/index.js""#));
        let kv_id = |toml: &str| {
            toml.lines()
                .find_map(|l| l.trim().strip_prefix("id = ").map(str::to_string))
        };
        assert_eq!(
            kv_id(WRANGLER_TOML),
            kv_id(CONTROL_TOML),
            "one KV namespace for both"
        );
        assert!(
            !declares("[[migrations]]"),
            "migrations belong to the script that defines the class"
        );
    }

    #[test]
    fn wrangler_toml_declares_every_binding() {
        assert!(declares(r#"main = "data-plane/build/index.js""#));
        assert!(declares(&format!(r#"name = "{RELAY}""#)), "DO {RELAY}");
        assert!(declares(&format!(r#"class_name = "{RELAY_CLASS}""#)));
        assert!(declares(&format!(r#"binding = "{FLAGS}""#)), "KV {FLAGS}");
        assert!(declares(&format!(r#"binding = "{ASSETS}""#)), "{ASSETS}");
        assert!(declares("run_worker_first = true"), "the worker runs first");
        for var in [ADMIN_PATH, ADMIN_API_PATH] {
            assert!(
                WRANGLER_TOML
                    .lines()
                    .any(|l| l.trim().starts_with(&format!("{var} = "))),
                "var {var}"
            );
        }
        assert!(declares(&format!(r#"name = "{STORE}""#)), "DO {STORE}");
        assert!(
            declares(&format!(r#"class_name = "{FLAG_STORE_CLASS}""#)),
            "DO class {FLAG_STORE_CLASS}"
        );
        assert!(
            WRANGLER_TOML
                .lines()
                .any(|l| l.trim().starts_with(&format!("{ENVIRONMENT_DEFAULT} = "))),
            "var {ENVIRONMENT_DEFAULT}"
        );
        assert!(
            WRANGLER_TOML
                .lines()
                .any(|l| l.trim().starts_with(&format!("{SNAPSHOT_TTL_SECONDS} = "))),
            "var {SNAPSHOT_TTL_SECONDS}"
        );
    }

    #[test]
    fn the_shipped_values_are_production_values() {
        let var = |toml: &str, name: &str| {
            toml.lines()
                .find_map(|l| l.trim().strip_prefix(&format!("{name} = ")))
                .map(|v| v.trim_matches('"').to_string())
        };
        let ttl: f64 = var(WRANGLER_TOML, SNAPSHOT_TTL_SECONDS)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        assert!(ttl >= 30.0, "KV's own read cache is 30 s at least: {ttl}");
        assert_eq!(var(WRANGLER_TOML, ALLOW_FAULT_INJECTION), None);
        assert_eq!(var(CONTROL_TOML, ALLOW_FAULT_INJECTION), None);
        assert_eq!(
            var(WRANGLER_TOML, ENVIRONMENT_DEFAULT),
            var(CONTROL_TOML, ENVIRONMENT_DEFAULT),
            "both scripts default to the same environment"
        );
        let regions = var(WRANGLER_TOML, RELAY_REGIONS).unwrap_or_default();
        for region in regions.split(',') {
            assert!(crate::internal::REGIONS.contains(&region), "{region}");
        }
    }

    #[test]
    fn wrangler_toml_has_no_build_section() {
        // wrangler 4.86 runs a [build] command twice at start (~23 s); `cargo xtask` builds first.
        assert!(!declares("[build]"));
    }
}
