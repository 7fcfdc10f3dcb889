//! Evaluation routes: OFREP (`/ofrep/v1/...`) and the REST shape (`/feature-flags...`).
//!
//! The environment is the path prefix `/env/{env}/…` when present, else the
//! `X-Burgee-Environment` header, else `ENVIRONMENT_DEFAULT`. Bodies and statuses come from
//! [`crate::ofrep`]; this module only reads the request and writes the response.
//!
//! Callers without a server key are evaluated on the public snapshot, which holds only the
//! `clientSide` flags: a server-only flag does not exist for them (`FLAG_NOT_FOUND`), so its
//! values, variants and rules never leave the edge ([`crate::keys`]).

use std::cell::RefCell;
use std::rc::Rc;

use burgee_api::Code;
use burgee_core::Snapshot;
use burgee_core::json::ResultFields;
use burgee_edge_shared::query::query_pairs;
use serde_json::{Map, Value};
use worker::{Env, Headers, Response, Result, web_sys};

use super::body;
use super::dispatch::Matched;
use super::{cors, error};
use crate::config::{self, Config};
use crate::freshness::Location;
use crate::keys::Audience;
use crate::ofrep::{self, Reply};
use crate::snapshots;
use crate::usage;

/// Epoch milliseconds, from the runtime's clock (the core never reads one): `Date.now()`, which
/// makes no `Date` object (`worker::Date::now` makes one per call, several a request).
pub fn now() -> f64 {
    worker::js_sys::Date::now()
}

/// The environment a request evaluates in: the path's (`/env/{env}/…`), else the
/// `X-Burgee-Environment` header, else the deployment's default; or the `400` that says why
/// the name is not acceptable.
pub fn environment(
    req: &web_sys::Request,
    from_path: Option<&str>,
    config: &Config,
) -> std::result::Result<String, Result<Response>> {
    let name = match from_path {
        Some(env) => env.to_string(),
        None => req
            .headers()
            .get("X-Burgee-Environment")
            .ok()
            .flatten()
            .unwrap_or_else(|| config.default_environment.clone()),
    };
    if burgee_core::valid_key(&name) {
        Ok(name)
    } else {
        Err(error(
            Code::InvalidEnvironment,
            "the environment must be 1–128 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
        ))
    }
}

/// The snapshot `audience` evaluates `environment` on, brought up to date with the store
/// first: the full one for server keys, the public one for everyone else.
pub async fn snapshot(
    req: &web_sys::Request,
    env: &Env,
    environment: &str,
    audience: Audience,
) -> Option<Rc<Snapshot>> {
    let location = Location::of(req);
    match audience {
        Audience::Server => snapshots::full(env, &location, environment, now())
            .await
            .map(|slot| slot.value.snapshot),
        Audience::Client => snapshots::public(env, &location, environment, now())
            .await
            .map(|slot| slot.value.snapshot),
    }
}

/// The `413` for an OFREP body over [`ofrep::MAX_BODY_BYTES`] (the admin API's error shape).
fn too_large() -> Result<web_sys::Response> {
    reply(Reply {
        status: 413,
        body: r#"{"error":{"code":"payload_too_large","message":"evaluation bodies are limited to 64 KiB"}}"#
            .into(),
        etag: None,
        retry_after: None,
    })
}

thread_local! {
    /// The headers every OFREP reply starts from, made once per isolate.
    static REPLY_HEADERS: RefCell<Option<web_sys::Headers>> = const { RefCell::new(None) };
}

/// The headers every OFREP reply has (JSON, never cached by others, CORS), made once per
/// isolate: a response copies the headers it is given, so one template serves every reply,
/// and a reply costs no call into the runtime per header.
fn reply_headers() -> Result<web_sys::Headers> {
    REPLY_HEADERS.with(|held| {
        if let Some(template) = held.borrow().as_ref() {
            return Ok(template.clone());
        }
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        headers.set("Cache-Control", "private, no-cache")?;
        cors::add_to(&headers)?;
        *held.borrow_mut() = Some(headers.0.clone());
        Ok(headers.0)
    })
}

/// An OFREP reply as the runtime's own response, its body handed over as bytes of the wasm
/// memory (the constructor copies them): no JavaScript string is decoded from it and encoded
/// back (the `worker::Response` path copies every body into a new `Uint8Array` first).
fn reply(reply: Reply) -> Result<web_sys::Response> {
    let init = web_sys::ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers_headers(&reply_headers()?);
    let mut body = reply.body.into_bytes();
    let body = (!body.is_empty()).then_some(body.as_mut_slice());
    let response = web_sys::Response::new_with_opt_u8_array_and_init(body, &init)?;
    if reply.status == 304 || reply.etag.is_some() || reply.retry_after.is_some() {
        let headers = Headers(response.headers());
        if reply.status == 304 {
            headers.delete("Content-Type")?;
        }
        if let Some(etag) = &reply.etag {
            headers.set("ETag", etag)?;
        }
        if let Some(seconds) = reply.retry_after {
            headers.set("Retry-After", &seconds.to_string())?;
        }
    }
    Ok(response)
}

/// An error answer of an evaluation route, with the CORS headers.
fn refused(response: Result<Response>) -> Result<web_sys::Response> {
    cors::allow(response?).map(Into::into)
}

/// `POST [/env/{env}]/ofrep/v1/evaluate/flags/{key}`
pub async fn ofrep_one(
    req: &web_sys::Request,
    env: &Env,
    key: &str,
    m: &Matched,
    audience: Audience,
) -> Result<web_sys::Response> {
    let environment = match environment(req, m.environment.as_deref(), &config::get(env)) {
        Ok(e) => e,
        Err(response) => return refused(response),
    };
    let Some(body) = body::read(req, ofrep::MAX_BODY_BYTES).await else {
        return too_large();
    };
    let snapshot = snapshot(req, env, &environment, audience).await;
    reply(ofrep::evaluate_one(
        snapshot.as_deref(),
        key,
        &body,
        now() as i64,
    ))
}

/// `POST [/env/{env}]/ofrep/v1/evaluate/flags`
pub async fn ofrep_bulk(
    req: &web_sys::Request,
    env: &Env,
    m: &Matched,
    audience: Audience,
) -> Result<web_sys::Response> {
    let environment = match environment(req, m.environment.as_deref(), &config::get(env)) {
        Ok(e) => e,
        Err(response) => return refused(response),
    };
    let if_none_match = req.headers().get("If-None-Match").ok().flatten();
    let Some(body) = body::read(req, ofrep::MAX_BODY_BYTES).await else {
        return too_large();
    };
    let snapshot = snapshot(req, env, &environment, audience).await;
    let stream = format!("/v1/stream/{environment}");
    reply(ofrep::evaluate_bulk(
        snapshot.as_deref(),
        &body,
        if_none_match.as_deref(),
        now() as i64,
        Some(&stream),
    ))
}

/// `GET /ofrep/v1/configuration`: what the OFREP providers may ask about us.
pub fn ofrep_configuration(_env: &Env) -> Result<Response> {
    // Changes reach an isolate within the beacon's interval: polling faster learns nothing.
    let min_ms = burgee_edge_shared::beacon::BEACON_INTERVAL_MS as u64;
    cors::allow(json_text(
        200,
        format!(
            r#"{{"name":"burgee","capabilities":{{"cacheInvalidation":{{"polling":{{"enabled":true,"minPollingIntervalMs":{min_ms}}}}},"flagEvaluation":{{"supportedTypes":["boolean","string","int","float","object"]}}}}}}"#
        ),
    )?)
}

/// Query parameters that are not context attributes.
const RESERVED: &[&str] = &["env", "context", "default", "type", "now"];

/// The context of a REST request: `userId` and any other query parameter as string
/// attributes, merged over a `context` parameter holding JSON. A `context` that is JSON but
/// not an object is passed on as it is (evaluation then answers `INVALID_CONTEXT`).
pub fn query_context(pairs: &[(String, String)]) -> std::result::Result<Value, String> {
    let mut context = Map::new();
    for (name, value) in pairs {
        if name == "context" {
            match serde_json::from_str(value) {
                Ok(Value::Object(fields)) => context.extend(fields),
                Ok(other) => return Ok(other),
                Err(e) => return Err(format!("the `context` parameter is not JSON: {e}")),
            }
        }
    }
    for (name, value) in pairs {
        if !RESERVED.contains(&name.as_str()) {
            context.insert(name.clone(), Value::String(value.clone()));
        }
    }
    Ok(Value::Object(context))
}

/// The caller's default (`default`, JSON) and expected type (`type`) of a REST request.
fn default_and_type(
    pairs: &[(String, String)],
) -> std::result::Result<(Value, Option<burgee_core::ValueType>), String> {
    let mut default = Value::Null;
    let mut expected = None;
    for (name, value) in pairs {
        match name.as_str() {
            "default" => {
                default = serde_json::from_str(value)
                    .map_err(|e| format!("the `default` parameter is not JSON: {e}"))?;
            }
            "type" => {
                expected = Some(burgee_core::ValueType::parse(value).ok_or_else(|| {
                    format!("`type` must be boolean, string, number or object, not {value:?}")
                })?);
            }
            _ => {}
        }
    }
    Ok((default, expected))
}

/// A JSON response from text already written.
fn json_text(status: u16, text: String) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    Ok(Response::ok(text)?
        .with_status(status)
        .with_headers(headers))
}

/// The evaluation time: the clock, or a `now=` parameter (RFC 3339) where the deployment
/// allows it (`ALLOW_NOW_OVERRIDE`).
fn requested_now(config: &Config, pairs: &[(String, String)]) -> std::result::Result<i64, String> {
    let Some((_, text)) = pairs.iter().find(|(k, _)| k == "now") else {
        return Ok(now() as i64);
    };
    if !config.allow_now {
        return Err("`now` is only accepted where ALLOW_NOW_OVERRIDE is true".into());
    }
    burgee_core::time::parse_rfc3339(text)
        .ok_or_else(|| format!("`now` {text:?} is not an RFC 3339 time"))
}

type Setup = (String, Value, Vec<(String, String)>, Rc<Snapshot>);

async fn rest_setup(
    req: &web_sys::Request,
    env: &Env,
    m: &Matched,
    audience: Audience,
) -> std::result::Result<Setup, Result<Response>> {
    let environment = environment(req, m.environment.as_deref(), &config::get(env))?;
    let pairs = query_pairs(&req.url());
    let context = query_context(&pairs).map_err(|why| error(Code::InvalidContext, &why))?;
    match snapshot(req, env, &environment, audience).await {
        Some(s) => Ok((environment, context, pairs, s)),
        None => Err(error(
            Code::NoSnapshot,
            &format!("no flag snapshot is available for `{environment}` yet"),
        )),
    }
}

/// `GET [/env/{env}]/feature-flags?userId=…`: every flag for one user, in the core's result
/// shape with `enabled` for booleans (`ResultFields::REST`).
pub async fn rest_all(
    req: &web_sys::Request,
    env: &Env,
    m: &Matched,
    audience: Audience,
) -> Result<Response> {
    let (environment, context, _, snapshot) = match rest_setup(req, env, m, audience).await {
        Ok(s) => s,
        Err(response) => return cors::allow(response?),
    };
    let mut flags = String::new();
    let mut details = String::new();
    usage::evaluate_all(&snapshot, &context, now() as i64, |key, detail| {
        let name = serde_json::to_string(key).unwrap_or_default();
        for out in [&mut flags, &mut details] {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&name);
            out.push(':');
        }
        flags.push_str(detail.value_json().unwrap_or("null"));
        detail.write_json_with(&mut details, key, ResultFields::REST, "null");
    });
    let environment = serde_json::to_string(&environment).unwrap_or_default();
    let version = snapshot.version();
    cors::allow(json_text(
        200,
        format!(
            "{{\"environment\":{environment},\"version\":{version},\"flags\":{{{flags}}},\"details\":{{{details}}}}}"
        ),
    )?)
}

/// `GET [/env/{env}]/feature-flags/{KEY}?userId=…`: one flag for one user (`default`, `type`
/// and, where allowed, `now` parameters as the CLI has them).
pub async fn rest_one(
    req: &web_sys::Request,
    env: &Env,
    key: &str,
    m: &Matched,
    audience: Audience,
) -> Result<Response> {
    let (_, context, pairs, snapshot) = match rest_setup(req, env, m, audience).await {
        Ok(s) => s,
        Err(response) => return cors::allow(response?),
    };
    let (default, expected) = match default_and_type(&pairs) {
        Ok(d) => d,
        Err(why) => return cors::allow(error(Code::InvalidRequest, &why)?),
    };
    let at = match requested_now(&config::get(env), &pairs) {
        Ok(at) => at,
        Err(why) => return cors::allow(error(Code::InvalidRequest, &why)?),
    };
    let who = usage::who(&context);
    let bound = snapshot.context(&context);
    let detail = snapshot.evaluate(key, &bound, at, expected);
    usage::record(&snapshot, &detail, who);
    let mut body = String::new();
    detail.write_json_with(&mut body, key, ResultFields::REST, &default.to_string());
    if detail.error_code() == Some(burgee_core::ErrorCode::FlagNotFound) {
        // The HTTP surface's error shape, beside the result (the caller's default) it stands for.
        let error =
            burgee_api::ApiError::new(Code::FlagNotFound, format!("flag `{key}` does not exist"));
        body.pop();
        body.push_str(",\"error\":");
        body.push_str(&serde_json::to_string(&error.body().error).unwrap_or_default());
        body.push('}');
        return cors::allow(json_text(404, body)?);
    }
    cors::allow(json_text(200, body)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn query_parameters_become_the_context() {
        let ctx = query_context(&pairs(&[
            ("userId", "u1"),
            ("role", "admin"),
            ("env", "staging"),
            ("type", "boolean"),
        ]))
        .unwrap();
        assert_eq!(ctx, json!({"userId": "u1", "role": "admin"}));
        let ctx = query_context(&pairs(&[
            ("userId", "u2"),
            ("context", r#"{"plan":"pro","age":30}"#),
        ]))
        .unwrap();
        assert_eq!(ctx, json!({"plan": "pro", "age": 30, "userId": "u2"}));
        assert_eq!(
            query_context(&pairs(&[("context", "[1]")])).unwrap(),
            json!([1])
        );
        assert!(query_context(&pairs(&[("context", "{oops")])).is_err());
        assert_eq!(
            default_and_type(&pairs(&[("default", "true"), ("type", "boolean")]))
                .unwrap()
                .0,
            json!(true)
        );
        assert!(default_and_type(&pairs(&[("type", "int")])).is_err());
        assert!(default_and_type(&pairs(&[("default", "nope")])).is_err());
    }

    #[test]
    fn query_strings() {
        assert_eq!(
            query_pairs(
                "http://x/feature-flags?userId=u%201&role=a+b&context=%7B%22k%22%3A%22%C3%BC%22%7D#frag"
            ),
            pairs(&[
                ("userId", "u 1"),
                ("role", "a b"),
                ("context", "{\"k\":\"ü\"}")
            ])
        );
        assert_eq!(query_pairs("http://x/p"), pairs(&[]));
        assert_eq!(
            query_pairs("http://x/p?a&b=&=c&d=%zz"),
            pairs(&[("a", ""), ("b", ""), ("", "c"), ("d", "%zz")])
        );
    }

    #[test]
    fn environment_names() {
        // One key syntax with the document (a leading `.`, `_` or `-` used to pass here).
        let valid = burgee_core::valid_key;
        assert!(valid("production"));
        assert!(!valid("prod/../x"));
        assert!(!valid(""));
        assert!(!valid("snapshot:prod"));
        assert!(!valid(".hidden") && !valid("_x") && !valid("-x"));
    }
}
