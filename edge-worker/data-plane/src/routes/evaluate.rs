//! Evaluation routes: OFREP (`/ofrep/v1/...`) and the REST shape (`/feature-flags...`).
//!
//! The environment is the path prefix `/env/{env}/…` when present, else the
//! `X-Burgee-Environment` header, else `ENVIRONMENT_DEFAULT`. Bodies and statuses come from
//! [`crate::ofrep`]; this module only reads the request and writes the response.

use burgee_core::Snapshot;
use serde_json::{Map, Value};
use worker::{Env, Headers, Request, Response, Result};

use super::dispatch::Matched;
use super::{cors, error};
use crate::config::{self, Config};
use crate::ofrep::{self, Reply};
use crate::snapshots;

/// Epoch milliseconds, from the runtime's clock (the core never reads one).
pub fn now() -> f64 {
    worker::Date::now().as_millis() as f64
}

fn valid_environment(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The environment a request evaluates in: the path's (`/env/{env}/…`), else the
/// `X-Burgee-Environment` header, else the deployment's default; or the `400` that says why
/// the name is not acceptable.
pub fn environment(
    req: &Request,
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
    if valid_environment(&name) {
        Ok(name)
    } else {
        Err(error(
            400,
            "invalid_environment",
            "the environment must be 1–128 letters, digits, `.`, `_` or `-`",
        ))
    }
}

async fn snapshot(env: &Env, environment: &str) -> Option<std::rc::Rc<Snapshot>> {
    snapshots::full(env, environment, now(), false)
        .await
        .map(|l| l.snapshot)
}

fn reply(reply: Reply) -> Result<Response> {
    let headers = Headers::new();
    if reply.status != 304 {
        headers.set("Content-Type", "application/json")?;
    }
    headers.set("Cache-Control", "private, no-cache")?;
    if let Some(etag) = &reply.etag {
        headers.set("ETag", etag)?;
    }
    if let Some(seconds) = reply.retry_after {
        headers.set("Retry-After", &seconds.to_string())?;
    }
    let response = if reply.body.is_empty() {
        Response::empty()?
    } else {
        Response::ok(reply.body)?
    };
    cors::allow(response.with_status(reply.status).with_headers(headers))
}

/// `POST [/env/{env}]/ofrep/v1/evaluate/flags/{key}`
pub async fn ofrep_one(mut req: Request, env: &Env, key: &str, m: &Matched) -> Result<Response> {
    let environment = match environment(&req, m.environment.as_deref(), &config::get(env)) {
        Ok(e) => e,
        Err(response) => return cors::allow(response?),
    };
    let body = req.bytes().await.unwrap_or_default();
    let snapshot = snapshot(env, &environment).await;
    reply(ofrep::evaluate_one(
        snapshot.as_deref(),
        key,
        &body,
        now() as i64,
    ))
}

/// `POST [/env/{env}]/ofrep/v1/evaluate/flags`
pub async fn ofrep_bulk(mut req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let environment = match environment(&req, m.environment.as_deref(), &config::get(env)) {
        Ok(e) => e,
        Err(response) => return cors::allow(response?),
    };
    let if_none_match = req.headers().get("If-None-Match").ok().flatten();
    let body = req.bytes().await.unwrap_or_default();
    let snapshot = snapshot(env, &environment).await;
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
pub fn ofrep_configuration(env: &Env) -> Result<Response> {
    let min_ms = config::get(env).ttl_ms;
    cors::allow(Response::from_json(&serde_json::json!({
        "name": "burgee",
        "capabilities": {
            "cacheInvalidation": {"polling": {"enabled": true, "minPollingIntervalMs": min_ms}},
            "flagEvaluation": {"supportedTypes": ["boolean", "string", "int", "float", "object"]}
        }
    }))?)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `application/x-www-form-urlencoded` decoding of one component (`+` is a space); invalid
/// escapes are kept as written, invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded query parameters of a URL, in order. Read from the URL string directly: the
/// `url` crate would bring Unicode tables into the worker for nothing (we never need a host).
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
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

/// One flag's result in the core's JSON shape (`Detail::write_json`), plus `enabled` for
/// boolean values, built directly as a JSON value.
fn rest_detail(key: &str, detail: &burgee_core::Detail<'_>, default: &Value) -> Value {
    let value = match detail.value_json() {
        Some(json) => serde_json::from_str(json).unwrap_or(Value::Null),
        None => default.clone(),
    };
    let mut out = Map::new();
    out.insert("flag".into(), Value::String(key.into()));
    if let Value::Bool(b) = value {
        out.insert("enabled".into(), Value::Bool(b));
    }
    out.insert("value".into(), value);
    out.insert(
        "variant".into(),
        detail
            .variant_name()
            .map_or(Value::Null, |v| Value::String(v.into())),
    );
    out.insert(
        "reason".into(),
        Value::String(detail.reason().as_str().into()),
    );
    if let Some(rule) = detail.rule_id() {
        out.insert("ruleId".into(), Value::String(rule.into()));
    }
    if let Some(e) = detail.error() {
        out.insert("errorCode".into(), Value::String(e.code().as_str().into()));
        out.insert("errorMessage".into(), Value::String(e.message(key)));
    }
    if let Some(p) = detail.prerequisite() {
        out.insert("prerequisite".into(), Value::String(p.into()));
    }
    Value::Object(out)
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

type Setup = (String, Value, Vec<(String, String)>, std::rc::Rc<Snapshot>);

async fn rest_setup(
    req: &Request,
    env: &Env,
    m: &Matched,
) -> std::result::Result<Setup, Result<Response>> {
    let environment = environment(req, m.environment.as_deref(), &config::get(env))?;
    let pairs = query_pairs(&req.inner().url());
    let context = query_context(&pairs).map_err(|why| error(400, "invalid_context", &why))?;
    match snapshot(env, &environment).await {
        Some(s) => Ok((environment, context, pairs, s)),
        None => Err(error(
            503,
            "no_snapshot",
            &format!("no flag snapshot is available for `{environment}` yet"),
        )),
    }
}

/// `GET [/env/{env}]/feature-flags?userId=…`: every flag for one user.
pub async fn rest_all(req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let (environment, context, _, snapshot) = match rest_setup(&req, env, m).await {
        Ok(s) => s,
        Err(response) => return cors::allow(response?),
    };
    let context = snapshot.context(&context);
    let mut flags = Map::new();
    let mut details = Map::new();
    for (key, detail) in snapshot.evaluate_all(&context, now() as i64) {
        let d = rest_detail(key, &detail, &Value::Null);
        flags.insert(key.into(), d.get("value").cloned().unwrap_or(Value::Null));
        details.insert(key.into(), d);
    }
    cors::allow(Response::from_json(&serde_json::json!({
        "environment": environment,
        "version": snapshot.version(),
        "flags": flags,
        "details": details,
    }))?)
}

/// `GET [/env/{env}]/feature-flags/{KEY}?userId=…`: one flag for one user (`default`, `type`
/// and, where allowed, `now` parameters as the CLI has them).
pub async fn rest_one(req: Request, env: &Env, key: &str, m: &Matched) -> Result<Response> {
    let (_, context, pairs, snapshot) = match rest_setup(&req, env, m).await {
        Ok(s) => s,
        Err(response) => return cors::allow(response?),
    };
    let (default, expected) = match default_and_type(&pairs) {
        Ok(d) => d,
        Err(why) => return cors::allow(error(400, "invalid_request", &why)?),
    };
    let at = match requested_now(&config::get(env), &pairs) {
        Ok(at) => at,
        Err(why) => return cors::allow(error(400, "invalid_request", &why)?),
    };
    let context = snapshot.context(&context);
    let detail = snapshot.evaluate(key, &context, at, expected);
    let mut body = rest_detail(key, &detail, &default);
    if detail.error_code() == Some(burgee_core::ErrorCode::FlagNotFound) {
        // The HTTP surface's error shape, beside the result (the caller's default) it stands for.
        if let Some(fields) = body.as_object_mut() {
            fields.insert(
                "error".into(),
                serde_json::json!({"code": "flag_not_found", "message": format!("flag `{key}` does not exist")}),
            );
        }
        return cors::allow(Response::from_json(&body)?.with_status(404));
    }
    cors::allow(Response::from_json(&body)?)
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
        assert!(valid_environment("production"));
        assert!(!valid_environment("prod/../x"));
        assert!(!valid_environment(""));
        assert!(!valid_environment("snapshot:prod"));
    }
}
