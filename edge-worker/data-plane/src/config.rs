//! The deployment's configuration, read from vars and secrets once per isolate.
//!
//! Vars and secrets cannot change under a running isolate (a new deployment starts new ones),
//! and each read is a call into JavaScript, so every request uses this cached copy instead of
//! reading them again.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use burgee_edge_shared::bindings;

use crate::auth::Tokens;
use crate::gate::Gates;
use crate::keys::EvaluationKeys;

#[derive(Debug)]
pub struct Config {
    /// The environment of requests that name none.
    pub default_environment: String,
    /// How long an isolate serves a snapshot before reading it from KV again, in milliseconds
    /// (the backstop behind the relays' beacon).
    pub ttl_ms: f64,
    /// Whether REST requests may set the evaluation time (tests and development only).
    pub allow_now: bool,
    /// Edge gating: the origin, and the gates (or why they do not parse).
    pub origin: Option<String>,
    pub gates: Result<Gates, String>,
    pub context_secret: Option<String>,
    /// Whether evaluations are counted (`USAGE_METRICS` is not `off`).
    pub usage_metrics: bool,
    /// Where the admin app and the admin API are served, or why the variables are unusable
    /// (then neither is served, and their paths get a `500 misconfigured`).
    pub mounts: Result<burgee_api::Mounts, String>,
    /// The admin API's tokens (hashes), or why they do not parse.
    pub admin_tokens: Result<Tokens, String>,
    /// The key signed-in people's sessions are signed with (`SESSION_SECRET`); `None`: no
    /// session is accepted.
    pub session_secret: Option<Vec<u8>>,
    /// The evaluation keys (empty: public evaluation), or why they do not parse.
    pub evaluation_keys: Result<EvaluationKeys, String>,
    /// Whether the rate-limit binding exists.
    pub rate_limited: bool,
    /// The project: which store (and relays) this deployment reads.
    pub project: String,
    /// The relays' regions (`RELAY_REGIONS`); empty: one relay, `global`.
    pub relay_regions: Vec<String>,
    /// `FF_ALL=off`: every flag served off.
    pub all_off: bool,
    /// Change streams one client IP, and one evaluation key, may hold on an isolate.
    pub streams_per_ip: usize,
    pub streams_per_key: usize,
    /// Seconds after which a change stream ends.
    pub stream_lifetime: u32,
    /// Tests only: how long KV reads stay cached in this isolate, as Cloudflare's location
    /// cache keeps them (`KV_READ_CACHE_SECONDS` with `ALLOW_FAULT_INJECTION`).
    pub kv_read_cache_ms: Option<f64>,
}

fn text(env: &Env, name: &str) -> Option<String> {
    burgee_edge_shared::bindings::setting(env, name)
}

impl Config {
    pub fn read(env: &Env) -> Config {
        let seconds = |name: &str| {
            text(env, name)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
        };
        let count = |name: &str, default: usize| {
            text(env, name)
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(default)
        };
        let ttl_seconds = seconds(bindings::SNAPSHOT_TTL_SECONDS).unwrap_or(30.0);
        let testing =
            text(env, bindings::ALLOW_FAULT_INJECTION).is_some_and(|v| v.trim() == "true");
        Config {
            default_environment: text(env, bindings::ENVIRONMENT_DEFAULT)
                .unwrap_or_else(|| "production".into()),
            ttl_ms: ttl_seconds * 1000.0,
            allow_now: text(env, bindings::ALLOW_NOW_OVERRIDE).is_some_and(|v| v.trim() == "true"),
            origin: text(env, bindings::ORIGIN_URL),
            gates: Gates::parse(text(env, bindings::GATES).as_deref()),
            context_secret: text(env, bindings::CONTEXT_SECRET),
            usage_metrics: text(env, bindings::USAGE_METRICS).is_none_or(|v| v.trim() != "off"),
            mounts: burgee_api::Mounts::parse(
                text(env, bindings::ADMIN_PATH).as_deref(),
                text(env, bindings::ADMIN_API_PATH).as_deref(),
            ),
            admin_tokens: Tokens::parse(text(env, bindings::ADMIN_TOKENS).as_deref()),
            session_secret: text(env, bindings::SESSION_SECRET).map(String::into_bytes),
            evaluation_keys: EvaluationKeys::parse(text(env, bindings::EVALUATION_KEYS).as_deref()),
            rate_limited: env.rate_limiter(bindings::EVALUATION_RATE_LIMIT).is_ok(),
            project: text(env, bindings::PROJECT).unwrap_or_else(|| "default".into()),
            relay_regions: text(env, bindings::RELAY_REGIONS)
                .map(|v| {
                    v.split(',')
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            all_off: text(env, bindings::FF_ALL).is_some_and(|v| v.trim() == "off"),
            streams_per_ip: count(bindings::STREAMS_PER_IP, 20),
            streams_per_key: count(bindings::STREAMS_PER_KEY, 2000),
            stream_lifetime: count(bindings::STREAM_LIFETIME_SECONDS, 600).max(1) as u32,
            kv_read_cache_ms: seconds(bindings::KV_READ_CACHE_SECONDS)
                .filter(|_| testing)
                .map(|s| s * 1000.0),
        }
    }
}

thread_local! {
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

/// This isolate's configuration (read on first use).
pub fn get(env: &Env) -> Rc<Config> {
    CONFIG.with(|c| c.get_or_init(|| Rc::new(Config::read(env))).clone())
}

/// A variable this module does not cache (the `FF_*` overrides, read once per snapshot).
pub fn variable(env: &Env, name: &str) -> Option<String> {
    text(env, name)
}
