//! Who may evaluate, and how often: the evaluation keys ([`crate::keys`]) and the rate limit,
//! checked before every evaluation route and the change stream.
//!
//! Refusals are JSON errors with CORS headers (a browser must be able to read them): `401` with
//! `WWW-Authenticate` for a missing or unknown key, `403` for a key that does not cover the
//! environment, `429` with `Retry-After` (seconds) past the rate limit. The limit counts per
//! client IP (`CF-Connecting-IP`) and evaluation key together: a public browser key is shared
//! by every user of an app, so one abuser of it must not get all of them refused.

use burgee_api::Code;
use worker::web_sys;
use worker::{Env, Headers, Response, Result};

use super::{cors, error};
use crate::keys::{self, Audience, KeyDenied};
use burgee_edge_shared::bindings;

use crate::config;

/// Seconds a limited client should wait: the binding's period (`wrangler.toml`).
const RETRY_AFTER_SECONDS: &str = "10";

/// A request that may go on, the evaluation key it presented (empty: none) and what it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub key: String,
    pub audience: Audience,
}

/// What the rate limit counts a request against: its client IP and its key, together.
pub fn limit_key(key_name: &str, ip: Option<&str>) -> String {
    format!("{key_name}|{}", ip.unwrap_or("unknown"))
}

/// `Ok` when the request may go on; else the refusal to send. `query_key`: whether the key may
/// come as `?key=` (routes a browser calls without headers: `GET`s and usage beacons).
pub async fn check(
    req: &web_sys::Request,
    env: &Env,
    environment: &str,
    query_key_allowed: bool,
) -> Result<std::result::Result<Admitted, Response>> {
    let config = config::get(env);
    let keys = match &config.evaluation_keys {
        Ok(keys) => keys,
        Err(why) => {
            worker::console_error!("{why}");
            return refuse(error(
                Code::Misconfigured,
                "the evaluation keys are misconfigured (EVALUATION_KEYS)",
            ));
        }
    };
    let headers = Headers(req.headers());
    let api_key = headers.get("X-API-Key").ok().flatten();
    let authorization = headers.get("Authorization").ok().flatten();
    // The raw URL string, not `req.url()`: parsing a `Url` links the `url` crate's IDNA tables
    // into the data plane (measured: +95 KB gzip).
    let query_key = burgee_edge_shared::query::query_pairs(&req.url())
        .into_iter()
        .find_map(|(k, v)| (k == "key").then_some(v));
    let key = keys::presented(
        api_key.as_deref(),
        authorization.as_deref(),
        query_key.as_deref(),
        query_key_allowed,
    );
    let (name, audience) = match keys.check(key, environment) {
        Ok((name, audience)) => (name.to_string(), audience),
        Err(KeyDenied::Unauthenticated) => {
            let mut r = error(
                Code::Unauthenticated,
                "evaluation needs a key: send X-API-Key or Authorization: Bearer",
            )?;
            r.headers_mut()
                .set("WWW-Authenticate", "Bearer realm=\"burgee-evaluation\"")?;
            return refuse(Ok(r));
        }
        Err(KeyDenied::Forbidden { name, environment }) => {
            return refuse(error(
                Code::Forbidden,
                &format!("the key `{name}` may not read the environment `{environment}`"),
            ));
        }
    };
    if config.rate_limited {
        let ip = headers.get("CF-Connecting-IP").ok().flatten();
        let client = limit_key(&name, ip.as_deref());
        let allowed = match env.rate_limiter(bindings::EVALUATION_RATE_LIMIT) {
            Ok(limiter) => within_limit(&limiter, &client).await,
            Err(_) => true,
        };
        if !allowed {
            let mut r = error(
                Code::RateLimited,
                "too many evaluation requests; retry later",
            )?;
            r.headers_mut().set("Retry-After", RETRY_AFTER_SECONDS)?;
            return refuse(Ok(r));
        }
    }
    Ok(Ok(Admitted {
        key: name,
        audience,
    }))
}

/// Asks the rate limit binding whether `client` may make one more request, calling the
/// binding's `limit({ key })` directly rather than through a serde-wasm-bindgen round trip for
/// one string and one boolean. A limiter that fails answers "allowed": the limit protects the
/// edge from floods, and an outage of it must not take evaluation down.
async fn within_limit(limiter: &worker::RateLimiter, client: &str) -> bool {
    use worker::js_sys::{Function, Object, Promise, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;

    let binding: &JsValue = limiter.as_ref();
    let outcome = async {
        let limit: Function = Reflect::get(binding, &"limit".into())?.dyn_into()?;
        let options = Object::new();
        Reflect::set(&options, &"key".into(), &client.into())?;
        let promise: Promise = limit.call1(binding, &options)?.dyn_into()?;
        let result = JsFuture::from(promise).await?;
        Ok::<_, JsValue>(Reflect::get(&result, &"success".into())?.as_bool())
    };
    !matches!(outcome.await, Ok(Some(false)))
}

fn refuse(response: Result<Response>) -> Result<std::result::Result<Admitted, Response>> {
    cors::allow(response?).map(Err)
}

#[cfg(test)]
mod tests {
    use super::limit_key;

    #[test]
    fn the_limit_counts_per_address_and_key() {
        assert_eq!(limit_key("", Some("1.2.3.4")), "|1.2.3.4");
        assert_eq!(limit_key("", None), "|unknown");
        assert_eq!(limit_key("web", Some("1.2.3.4")), "web|1.2.3.4");
        assert_ne!(
            limit_key("web", Some("1.2.3.4")),
            limit_key("web", Some("5.6.7.8")),
            "two users of one key are counted apart"
        );
    }
}
