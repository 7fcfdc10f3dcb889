//! What a handler answers, before it becomes a `worker::Response`, and the request-reading
//! rules every route shares (bounded JSON bodies, `If-Match`). Plain data, so handlers are
//! tested natively.

use burgee_api::{ApiError, Code, MAX_DEPTH};
use serde::Serialize;
use serde_json::{Value, json};

/// A handler's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// JSON text.
    pub body: String,
    /// The document version, sent as `ETag: "<version>"`.
    pub etag: Option<u64>,
    /// Other headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Answer, ApiError> {
        let body = serde_json::to_string(body).map_err(internal)?;
        Ok(Answer {
            status,
            body,
            etag: None,
            headers: Vec::new(),
        })
    }

    pub fn ok<T: Serialize>(body: &T) -> Result<Answer, ApiError> {
        Answer::json(200, body)
    }

    pub fn at(mut self, version: u64) -> Answer {
        self.etag = Some(version);
        self
    }

    pub fn header(mut self, name: &'static str, value: String) -> Answer {
        self.headers.push((name, value));
        self
    }

    /// The answer for an error: its body, and the current version as `ETag` when it names one.
    pub fn error(e: &ApiError) -> Answer {
        let etag = e
            .details
            .as_ref()
            .and_then(|d| d.get("currentVersion"))
            .and_then(Value::as_u64);
        Answer {
            status: e.status,
            body: serde_json::to_string(&e.body()).unwrap_or_default(),
            etag,
            headers: Vec::new(),
        }
    }
}

/// A failure of the store itself: logged, answered as `500 internal`, nothing changed.
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    log_error(&format!("FlagStore: {e}"));
    ApiError::new(Code::Internal, "the flag store failed; nothing was changed")
}

/// Logs to the runtime's console (`wrangler tail`); natively (tests) to stderr.
pub fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Reads a JSON body: at most `limit` bytes, JSON, nested at most [`MAX_DEPTH`] levels.
pub fn parse_body(bytes: &[u8], limit: usize) -> Result<Value, ApiError> {
    if bytes.len() > limit {
        return Err(ApiError::new(
            Code::PayloadTooLarge,
            format!(
                "the body is {} bytes; at most {limit} are accepted",
                bytes.len()
            ),
        ));
    }
    // serde_json stops at 128 levels by itself; the explicit check gives the documented limit.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(Code::InvalidJson, format!("the body is not JSON: {e}")))?;
    if depth(&value) > MAX_DEPTH {
        return Err(ApiError::new(
            Code::InvalidJson,
            format!("the body nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    Ok(value)
}

/// Checks `If-Match` against the current version: `428` when missing, `412` when stale.
pub fn check_if_match(header: Option<&str>, current: u64) -> Result<(), ApiError> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(ApiError::new(
            Code::PreconditionRequired,
            "writes must send If-Match with the version they are based on",
        )
        .with(json!({"currentVersion": current})));
    };
    let given = header
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<u64>()
        .map_err(|_| {
            ApiError::new(
                Code::InvalidIfMatch,
                format!("If-Match {header:?} is not a version"),
            )
        })?;
    if given != current {
        return Err(ApiError::new(
            Code::VersionConflict,
            format!(
                "the document changed: you edited version {given}, the current one is {current}"
            ),
        )
        .with(json!({"currentVersion": current, "yourVersion": given})));
    }
    Ok(())
}

/// A whole number from the query, or `400`.
pub fn number(pairs: &[(String, String)], name: &str) -> Result<Option<u64>, ApiError> {
    match burgee_edge_shared::query::param(pairs, name) {
        None => Ok(None),
        Some(text) => text.parse::<u64>().map(Some).map_err(|_| {
            ApiError::new(
                Code::InvalidParameter,
                format!("`{name}` must be a whole number, not {text:?}"),
            )
        }),
    }
}

/// A version named in a path, or `400`.
pub fn version_param(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .map_err(|_| ApiError::new(Code::InvalidParameter, format!("{text:?} is not a version")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use burgee_api::MAX_BODY_BYTES;

    #[test]
    fn bodies_are_bounded() {
        assert_eq!(
            parse_body(b"{oops", MAX_BODY_BYTES).unwrap_err().code,
            Code::InvalidJson
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_body(&big, MAX_BODY_BYTES).unwrap_err().status, 413);
        let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
        assert_eq!(
            parse_body(deep.as_bytes(), MAX_BODY_BYTES)
                .unwrap_err()
                .code,
            Code::InvalidJson
        );
        assert_eq!(
            parse_body(br#"{"a":1}"#, MAX_BODY_BYTES).unwrap(),
            json!({"a": 1})
        );
    }

    #[test]
    fn if_match() {
        assert_eq!(check_if_match(None, 3).unwrap_err().status, 428);
        assert_eq!(check_if_match(Some("\"2\""), 3).unwrap_err().status, 412);
        assert_eq!(check_if_match(Some("abc"), 3).unwrap_err().status, 400);
        assert!(check_if_match(Some("\"3\""), 3).is_ok());
        assert!(check_if_match(Some("3"), 3).is_ok());
        assert!(check_if_match(Some("W/\"3\""), 3).is_ok());
        let stale = check_if_match(Some("\"2\""), 3).unwrap_err();
        assert_eq!(
            stale.details,
            Some(json!({"currentVersion": 3, "yourVersion": 2}))
        );
        assert_eq!(Answer::error(&stale).etag, Some(3));
    }

    #[test]
    fn query_numbers() {
        let q = vec![
            ("limit".to_string(), "7".to_string()),
            ("before".to_string(), "x".to_string()),
        ];
        assert_eq!(number(&q, "limit").unwrap(), Some(7));
        assert_eq!(number(&q, "after").unwrap(), None);
        assert_eq!(
            number(&q, "before").unwrap_err().code,
            Code::InvalidParameter
        );
        assert_eq!(version_param("12").unwrap(), 12);
        assert!(version_param("-1").is_err());
    }
}
