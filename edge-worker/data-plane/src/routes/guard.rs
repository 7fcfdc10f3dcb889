//! Who may evaluate, and how often: the evaluation keys ([`crate::keys`]) and the rate limit,
//! checked before every evaluation route and the change stream.
//!
//! Refusals are JSON errors with CORS headers (a browser must be able to read them): `401` with
//! `WWW-Authenticate` for a missing or unknown key, `403` for a key that does not cover the
//! environment, `429` with `Retry-After` (seconds) past the rate limit. The limit counts per
//! evaluation key when there is one, else per client IP (`CF-Connecting-IP`).

use burgee_api::Code;
use worker::{Env, Method, Request, Response, Result};

use super::{cors, error};
use crate::keys::{self, KeyDenied};
use burgee_edge_shared::bindings;

use crate::config;

/// Seconds a limited client should wait: the binding's period (`wrangler.toml`).
const RETRY_AFTER_SECONDS: &str = "10";

/// A request that may go on, and the evaluation key it presented (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub key: String,
}

/// `Ok` when the request may go on; else the refusal to send.
pub async fn check(
    req: &Request,
    env: &Env,
    environment: &str,
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
    let headers = req.headers();
    let api_key = headers.get("X-API-Key").ok().flatten();
    let authorization = headers.get("Authorization").ok().flatten();
    // The raw URL string, not `req.url()`: parsing a `Url` links the `url` crate's IDNA tables
    // into the data plane (measured: +95 KB gzip).
    let query_key = burgee_edge_shared::query::query_pairs(&req.inner().url())
        .into_iter()
        .find_map(|(k, v)| (k == "key").then_some(v));
    let key = keys::presented(
        api_key.as_deref(),
        authorization.as_deref(),
        query_key.as_deref(),
        req.method() == Method::Get,
    );
    let name = match keys.check(key, environment) {
        Ok(name) => name.to_string(),
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
        let client = if name.is_empty() {
            let ip = headers.get("CF-Connecting-IP").ok().flatten();
            format!("ip:{}", ip.as_deref().unwrap_or("unknown"))
        } else {
            format!("key:{name}")
        };
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
    Ok(Ok(Admitted { key: name }))
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
