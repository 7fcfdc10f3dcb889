//! OFREP (OpenFeature Remote Evaluation Protocol) bodies and statuses, without HTTP.
//!
//! The stock `@openfeature/ofrep-web-provider` must work against the worker unchanged, so the
//! shapes here follow what that provider accepts: a success omits `value` when the caller's
//! default is to be used (OFREP's "code default"), errors are `{key, errorCode, errorDetails}`
//! with 400/404/500, the bulk `ETag` is a hash of the exact body (so `304` means "the same
//! answers", whatever changed underneath), and a bulk response advertises the change stream in
//! `eventStreams`. Everything here is a pure function of the snapshot, the request and `now`,
//! so it is tested natively; the routes only move bytes.

use burgee_core::{Context, Detail, Snapshot};
use serde_json::Value;

/// Request bodies above this are refused before parsing: by the routes with `413` before they
/// are read in full, here with `400 INVALID_CONTEXT`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A reply: status, JSON body and the headers only this module can decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub etag: Option<String>,
    /// Seconds, for `Retry-After` when no snapshot is available.
    pub retry_after: Option<u32>,
}

impl Reply {
    fn json(status: u16, body: String) -> Reply {
        Reply {
            status,
            body,
            etag: None,
            retry_after: None,
        }
    }
}

/// A JSON string literal, written in place (the core's writer: no value built per string).
fn string(out: &mut String, s: &str) {
    burgee_core::write_json_string(out, s);
}

/// Parses `{"context": {...}}` (an empty body is an empty context). `Err` is the
/// `errorDetails` of an `INVALID_CONTEXT` failure.
pub fn request_context(body: &[u8]) -> Result<Value, String> {
    if body.len() > MAX_BODY_BYTES {
        return Err("the request body is over 64 KiB".into());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("the request body is not JSON: {e}"))?;
    if nesting(&request) > 32 {
        return Err("the request body nests deeper than 32 levels".into());
    }
    match request {
        Value::Object(mut fields) => match fields.remove("context") {
            None | Some(Value::Null) => Ok(Value::Object(serde_json::Map::new())),
            Some(context @ Value::Object(_)) => Ok(context),
            Some(_) => Err("`context` must be a JSON object".into()),
        },
        _ => Err("the request body must be a JSON object like {\"context\": {...}}".into()),
    }
}

fn nesting(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// Writes one flag's OFREP evaluation (success or failure object).
fn write_evaluation(out: &mut String, key: &str, detail: &Detail<'_>, cacheable: bool) {
    out.push_str("{\"key\":");
    string(out, key);
    if let Some(error) = detail.error() {
        out.push_str(",\"errorCode\":\"");
        out.push_str(error.code().as_str());
        out.push_str("\",\"errorDetails\":");
        string(out, &error.message(key));
        out.push('}');
        return;
    }
    if let Some(variant) = detail.variant() {
        out.push_str(",\"value\":");
        out.push_str(variant.json());
        out.push_str(",\"variant\":");
        string(out, variant.name());
    }
    out.push_str(",\"reason\":\"");
    out.push_str(detail.reason().as_str());
    out.push('"');
    let rule = detail.rule_id();
    let prerequisite = detail.prerequisite();
    if rule.is_some() || prerequisite.is_some() {
        out.push_str(",\"metadata\":{");
        if let Some(rule) = rule {
            out.push_str("\"ruleId\":");
            string(out, rule);
        }
        if let Some(p) = prerequisite {
            if rule.is_some() {
                out.push(',');
            }
            out.push_str("\"prerequisite\":");
            string(out, p);
        }
        out.push('}');
    }
    if cacheable {
        out.push_str(",\"cacheable\":true");
    }
    out.push('}');
}

const NO_SNAPSHOT: &str = "no flag snapshot is available yet; callers get their defaults";

/// `POST /ofrep/v1/evaluate/flags/{key}`.
pub fn evaluate_one(snapshot: Option<&Snapshot>, key: &str, body: &[u8], now: i64) -> Reply {
    let failure = |status: u16, code: &str, details: &str| {
        let mut out = String::from("{\"key\":");
        string(&mut out, key);
        out.push_str(",\"errorCode\":\"");
        out.push_str(code);
        out.push_str("\",\"errorDetails\":");
        string(&mut out, details);
        out.push('}');
        Reply::json(status, out)
    };
    let context = match request_context(body) {
        Ok(c) => c,
        Err(why) => return failure(400, "INVALID_CONTEXT", &why),
    };
    let Some(snapshot) = snapshot else {
        let mut reply = failure(500, "GENERAL", NO_SNAPSHOT);
        reply.retry_after = Some(5);
        return reply;
    };
    let who = crate::usage::who(&context);
    let bound: Context = snapshot.context(&context);
    let detail = snapshot.evaluate(key, &bound, now, None);
    crate::usage::record(snapshot, &detail, who);
    let status = match detail.error_code() {
        None => 200,
        Some(burgee_core::ErrorCode::FlagNotFound) => 404,
        Some(_) => 400,
    };
    let cacheable = detail.error().is_none()
        && snapshot
            .index_of(key)
            .and_then(|i| snapshot.static_outcome(i))
            .is_some();
    let mut out = String::new();
    write_evaluation(&mut out, key, &detail, cacheable);
    Reply::json(status, out)
}

/// An entity tag for a body: a hash of its bytes (two 32-bit hashes, one pass), so equal
/// answers share a tag.
pub fn etag_of(body: &str) -> String {
    let [a, b] =
        burgee_core::murmur3::murmur3_x86_32_seeds(body.as_bytes(), [0x5bd1_e995, 0x1b87_3593]);
    format!("\"{a:08x}{b:08x}\"")
}

/// Whether an `If-None-Match` header value lists `etag` (or is `*`).
pub fn matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|header| {
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
    })
}

/// `POST /ofrep/v1/evaluate/flags`. `stream_uri` is the path of the change stream to
/// advertise (`eventStreams`), if the deployment offers one.
pub fn evaluate_bulk(
    snapshot: Option<&Snapshot>,
    body: &[u8],
    if_none_match: Option<&str>,
    now: i64,
    stream_uri: Option<&str>,
) -> Reply {
    let failure = |status: u16, code: &str, details: &str| {
        let mut out = String::from("{\"errorCode\":\"");
        out.push_str(code);
        out.push_str("\",\"errorDetails\":");
        string(&mut out, details);
        out.push('}');
        Reply::json(status, out)
    };
    let context = match request_context(body) {
        Ok(c) => c,
        Err(why) => return failure(400, "INVALID_CONTEXT", &why),
    };
    let Some(snapshot) = snapshot else {
        let mut reply = failure(500, "GENERAL", NO_SNAPSHOT);
        reply.retry_after = Some(5);
        return reply;
    };
    // About what a flag's entry takes, so the answer is not copied as it grows.
    let mut out = String::with_capacity(128 + 96 * snapshot.len());
    out.push_str("{\"flags\":[");
    crate::usage::evaluate_all(snapshot, &context, now, |key, detail| {
        if !out.ends_with('[') {
            out.push(',');
        }
        write_evaluation(&mut out, key, detail, false);
    });
    out.push(']');
    if let Some(uri) = stream_uri {
        out.push_str(",\"eventStreams\":[{\"type\":\"sse\",\"endpoint\":{\"requestUri\":");
        string(&mut out, uri);
        out.push_str("}}]");
    }
    out.push_str(",\"metadata\":{\"environment\":");
    string(&mut out, snapshot.environment());
    out.push_str(&format!(",\"version\":{}}}}}", snapshot.version()));
    let etag = etag_of(&out);
    if matches(if_none_match, &etag) {
        return Reply {
            status: 304,
            body: String::new(),
            etag: Some(etag),
            retry_after: None,
        };
    }
    Reply {
        status: 200,
        body: out,
        etag: Some(etag),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot() -> Snapshot {
        let doc = json!({"environments": ["production"], "flags": {
            "on-for-admins": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"production": {"enabled": true, "offVariant": "off",
                    "rules": [{"id": "admins", "clauses": [{"attribute": "role", "op": "in", "values": ["admin"]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}},
            "static-color": {"kind": "string", "variants": {"red": "#f00"},
                "environments": {"production": {"enabled": true, "offVariant": "red", "defaultServe": {"variant": "red"}}}},
            "no-off": {"kind": "number", "variants": {"ten": 10},
                "environments": {"production": {"enabled": false}}},
            "rollout": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"production": {"enabled": true, "offVariant": "off",
                    "defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": 1}, {"variant": "off", "weight": 1}]}}}}}
        }});
        burgee_core::load_value(doc)
            .unwrap()
            .compile("production")
            .snapshot
    }

    fn body(reply: &Reply) -> Value {
        serde_json::from_str(&reply.body).unwrap()
    }

    #[test]
    fn single_success_carries_value_variant_reason_and_rule() {
        let s = snapshot();
        let r = evaluate_one(
            Some(&s),
            "on-for-admins",
            br#"{"context":{"targetingKey":"u","role":"admin"}}"#,
            0,
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            body(&r),
            json!({"key": "on-for-admins", "value": true, "variant": "on", "reason": "TARGETING_MATCH", "metadata": {"ruleId": "admins"}})
        );
        let r = evaluate_one(Some(&s), "static-color", b"{}", 0);
        assert_eq!(body(&r)["cacheable"], true);
        assert_eq!(body(&r)["reason"], "STATIC");
    }

    #[test]
    fn the_callers_default_is_a_success_without_value() {
        let s = snapshot();
        let r = evaluate_one(Some(&s), "no-off", b"{}", 0);
        assert_eq!(r.status, 200);
        assert_eq!(
            body(&r),
            json!({"key": "no-off", "reason": "DISABLED", "cacheable": true})
        );
    }

    #[test]
    fn single_failures_use_ofrep_statuses() {
        let s = snapshot();
        let r = evaluate_one(Some(&s), "nope", b"{}", 0);
        assert_eq!(
            (r.status, body(&r)["errorCode"].clone()),
            (404, json!("FLAG_NOT_FOUND"))
        );
        let r = evaluate_one(Some(&s), "rollout", br#"{"context":{}}"#, 0);
        assert_eq!(
            (r.status, body(&r)["errorCode"].clone()),
            (400, json!("TARGETING_KEY_MISSING"))
        );
        for bad in [
            &b"{not json"[..],
            b"[]",
            br#"{"context": 5}"#,
            br#"{"context":{"targetingKey":1}}"#,
        ] {
            let r = evaluate_one(Some(&s), "on-for-admins", bad, 0);
            assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(bad));
            assert_eq!(body(&r)["errorCode"], "INVALID_CONTEXT");
            assert_eq!(body(&r)["key"], "on-for-admins");
        }
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(evaluate_one(Some(&s), "x", &huge, 0).status, 400);
        let deep = format!("{{\"context\":{}{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(evaluate_one(Some(&s), "x", deep.as_bytes(), 0).status, 400);
    }

    #[test]
    fn no_snapshot_fails_closed_with_a_clean_error() {
        let r = evaluate_one(None, "x", b"{}", 0);
        assert_eq!(r.status, 500);
        assert_eq!(body(&r)["errorCode"], "GENERAL");
        assert_eq!(r.retry_after, Some(5));
        let r = evaluate_bulk(None, b"{}", None, 0, None);
        assert_eq!(r.status, 500);
        assert_eq!(body(&r)["errorCode"], "GENERAL");
    }

    #[test]
    fn bulk_lists_every_flag_with_an_etag_and_answers_304_when_unchanged() {
        let s = snapshot();
        let req = br#"{"context":{"targetingKey":"user-1","role":"admin"}}"#;
        let r = evaluate_bulk(Some(&s), req, None, 0, Some("/v1/stream/production"));
        assert_eq!(r.status, 200);
        let b = body(&r);
        assert_eq!(b["flags"].as_array().unwrap().len(), 4);
        assert_eq!(b["eventStreams"][0]["type"], "sse");
        assert_eq!(
            b["eventStreams"][0]["endpoint"]["requestUri"],
            "/v1/stream/production"
        );
        let etag = r.etag.clone().unwrap();
        let again = evaluate_bulk(Some(&s), req, Some(&etag), 0, Some("/v1/stream/production"));
        assert_eq!((again.status, again.body.as_str()), (304, ""));
        let other = evaluate_bulk(
            Some(&s),
            br#"{"context":{"targetingKey":"user-1"}}"#,
            Some(&etag),
            0,
            Some("/v1/stream/production"),
        );
        assert_eq!(other.status, 200, "different answers, different tag");
        let bad = evaluate_bulk(Some(&s), b"nope", None, 0, None);
        assert_eq!(
            (bad.status, body(&bad)["errorCode"].clone()),
            (400, json!("INVALID_CONTEXT"))
        );
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        assert!(matches(Some("\"a\", \"b\""), "\"b\""));
        assert!(matches(Some("W/\"b\""), "\"b\""));
        assert!(matches(Some("*"), "\"b\""));
        assert!(!matches(Some("\"a\""), "\"b\""));
        assert!(!matches(None, "\"b\""));
    }
}
