//! Typed calls to the control plane (`edge-worker/API.md`), reusing burgee-core's model types
//! for every document, flag and segment, so that the app and the store cannot disagree on the
//! format.
//!
//! Every failure becomes an [`ApiError`] that says what the app should do about it: sign in
//! again (`401`), show the problems at their fields (`422`), or show who changed the document
//! in the meantime (`412`).

use std::collections::BTreeMap;
use std::fmt;

use burgee_core::model::{Document, Flag, Segment};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::state::document::DocState;
use crate::state::evaluate::Outcome;
use crate::state::fields::Problem;
use crate::state::history::{AuditEntry, Diff, Version};
use crate::state::session::Identity;

/// Same origin: the worker serves the app at `/admin/` and the API at `/api/v1`.
pub const BASE: &str = "/api/v1";

#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The request did not complete (offline, the worker is down).
    Network(String),
    /// `401`: no token, or one the store does not know.
    Unauthenticated(String),
    /// `403`: the role is too low.
    Forbidden(String),
    NotFound(String),
    /// `412`: the document moved on since the version the write was based on.
    Conflict {
        current: Option<u64>,
        message: String,
    },
    /// `422`: the resulting document would not validate.
    Invalid {
        problems: Vec<Problem>,
        message: String,
    },
    Other {
        status: u16,
        code: String,
        message: String,
    },
    /// A `2xx` whose body was not what API.md promises.
    Decode(String),
}

impl From<leptos::wasm_split::SplitLoaderError> for ApiError {
    fn from(e: leptos::wasm_split::SplitLoaderError) -> ApiError {
        ApiError::Network(e.to_string())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(m) => write!(f, "The server could not be reached ({m})."),
            ApiError::Unauthenticated(m) => write!(f, "Not signed in: {m}"),
            ApiError::Forbidden(m) => write!(f, "Not allowed: {m}"),
            ApiError::NotFound(m) => write!(f, "Not found: {m}"),
            ApiError::Conflict { current, .. } => match current {
                Some(v) => write!(f, "Someone saved version {v} in the meantime."),
                None => write!(f, "Someone saved a newer version in the meantime."),
            },
            ApiError::Invalid { problems, message } => {
                let errors = problems.iter().filter(|p| p.is_error()).count();
                write!(f, "{message} ({errors} error(s))")
            }
            ApiError::Other {
                status,
                code,
                message,
            } => write!(f, "{message} ({status} {code})"),
            ApiError::Decode(m) => write!(f, "Unexpected answer from the server: {m}"),
        }
    }
}

impl std::error::Error for ApiError {}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Value,
}

impl ApiError {
    /// The error a non-2xx answer stands for (`{ "error": { code, message, details? } }`).
    pub fn from_response(status: u16, body: &str) -> ApiError {
        let detail = serde_json::from_str::<ErrorBody>(body)
            .map(|b| b.error)
            .unwrap_or(ErrorDetail {
                code: String::new(),
                message: body.chars().take(200).collect(),
                details: Value::Null,
            });
        let message = if detail.message.is_empty() {
            format!("HTTP {status}")
        } else {
            detail.message
        };
        match status {
            401 => ApiError::Unauthenticated(message),
            403 => ApiError::Forbidden(message),
            404 => ApiError::NotFound(message),
            412 => ApiError::Conflict {
                current: detail.details.get("currentVersion").and_then(Value::as_u64),
                message,
            },
            422 => ApiError::Invalid {
                problems: detail
                    .details
                    .get("diagnostics")
                    .and_then(|d| serde_json::from_value(d.clone()).ok())
                    .unwrap_or_default(),
                message,
            },
            _ => ApiError::Other {
                status,
                code: detail.code,
                message,
            },
        }
    }
}

/// A successful write: the document's new version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Written {
    pub version: u64,
}

#[derive(Deserialize)]
struct DocumentBody {
    version: u64,
    document: Document,
}

#[derive(Deserialize)]
struct HistoryBody {
    versions: Vec<Version>,
}

#[derive(Deserialize)]
struct AuditBody {
    entries: Vec<AuditEntry>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct VersionDocument {
    pub version: u64,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub at: Value,
    #[serde(default)]
    pub summary: String,
    pub document: Document,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Evaluation {
    pub version: u64,
    pub results: BTreeMap<String, Outcome>,
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Percent-encodes a path segment or query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A client for one signed-in token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    token: String,
}

#[derive(Clone, Copy, Debug)]
enum Method {
    Get,
    Put,
    Post,
    Delete,
}

impl Api {
    pub fn new(token: impl Into<String>) -> Api {
        Api {
            token: token.into(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        if_match: Option<u64>,
        body: Option<String>,
    ) -> Result<String, ApiError> {
        use gloo_net::http::RequestBuilder;
        let url = format!("{BASE}{path}");
        let builder = match method {
            Method::Get => RequestBuilder::new(&url).method(gloo_net::http::Method::GET),
            Method::Put => RequestBuilder::new(&url).method(gloo_net::http::Method::PUT),
            Method::Post => RequestBuilder::new(&url).method(gloo_net::http::Method::POST),
            Method::Delete => RequestBuilder::new(&url).method(gloo_net::http::Method::DELETE),
        };
        let mut builder = builder
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/json");
        if let Some(v) = if_match {
            builder = builder.header("If-Match", &format!("\"{v}\""));
        }
        let request = match body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body),
            None => builder.build(),
        }
        .map_err(|e| ApiError::Network(e.to_string()))?;
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ApiError::from_response(status, &text))
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        decode(&self.send(Method::Get, path, None, None).await?)
    }

    async fn write(
        &self,
        method: Method,
        path: &str,
        version: u64,
        body: Option<String>,
    ) -> Result<Written, ApiError> {
        decode(&self.send(method, path, Some(version), body).await?)
    }

    pub async fn whoami(&self) -> Result<Identity, ApiError> {
        self.get("/whoami").await
    }

    pub async fn document(&self) -> Result<DocState, ApiError> {
        let body: DocumentBody = self.get("/document").await?;
        Ok(DocState {
            version: body.version,
            document: body.document,
        })
    }

    pub async fn put_flag(
        &self,
        key: &str,
        flag: &Flag,
        version: u64,
    ) -> Result<Written, ApiError> {
        let body = serde_json::to_string(flag).map_err(|e| ApiError::Decode(e.to_string()))?;
        let path = format!("/flags/{}", encode(key));
        self.write(Method::Put, &path, version, Some(body)).await
    }

    pub async fn delete_flag(&self, key: &str, version: u64) -> Result<Written, ApiError> {
        let path = format!("/flags/{}", encode(key));
        self.write(Method::Delete, &path, version, None).await
    }

    pub async fn toggle(
        &self,
        key: &str,
        environment: &str,
        enabled: bool,
        version: u64,
    ) -> Result<Written, ApiError> {
        let body = json!({ "environment": environment, "enabled": enabled }).to_string();
        let path = format!("/flags/{}/toggle", encode(key));
        self.write(Method::Post, &path, version, Some(body)).await
    }

    pub async fn put_segment(
        &self,
        key: &str,
        segment: &Segment,
        version: u64,
    ) -> Result<Written, ApiError> {
        let body = serde_json::to_string(segment).map_err(|e| ApiError::Decode(e.to_string()))?;
        let path = format!("/segments/{}", encode(key));
        self.write(Method::Put, &path, version, Some(body)).await
    }

    pub async fn delete_segment(&self, key: &str, version: u64) -> Result<Written, ApiError> {
        let path = format!("/segments/{}", encode(key));
        self.write(Method::Delete, &path, version, None).await
    }

    pub async fn history(&self, limit: u32, before: Option<u64>) -> Result<Vec<Version>, ApiError> {
        let mut path = format!("/history?limit={limit}");
        if let Some(b) = before {
            path.push_str(&format!("&before={b}"));
        }
        Ok(self.get::<HistoryBody>(&path).await?.versions)
    }

    pub async fn version(&self, version: u64) -> Result<VersionDocument, ApiError> {
        self.get(&format!("/history/{version}")).await
    }

    pub async fn diff(&self, from: u64, to: u64) -> Result<Diff, ApiError> {
        self.get(&format!("/diff?from={from}&to={to}")).await
    }

    pub async fn restore(&self, target: u64, version: u64) -> Result<Written, ApiError> {
        self.write(Method::Post, &format!("/restore/{target}"), version, None)
            .await
    }

    pub async fn audit(
        &self,
        flag: Option<&str>,
        limit: u32,
        before: Option<&str>,
    ) -> Result<Vec<AuditEntry>, ApiError> {
        let mut path = format!("/audit?limit={limit}");
        if let Some(f) = flag {
            path.push_str(&format!("&flag={}", encode(f)));
        }
        if let Some(b) = before {
            path.push_str(&format!("&before={}", encode(b)));
        }
        Ok(self.get::<AuditBody>(&path).await?.entries)
    }

    /// The store's own evaluation (read-your-writes), to compare with the browser's.
    pub async fn evaluate(
        &self,
        environment: &str,
        context: &Value,
    ) -> Result<Evaluation, ApiError> {
        let body = json!({ "environment": environment, "context": context }).to_string();
        decode(
            &self
                .send(Method::Post, "/evaluate", None, Some(body))
                .await?,
        )
    }

    pub async fn import(&self, document: &Document, version: u64) -> Result<Written, ApiError> {
        let body = serde_json::to_string(document).map_err(|e| ApiError::Decode(e.to_string()))?;
        self.write(Method::Post, "/import", version, Some(body))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_become_actions() {
        let conflict = ApiError::from_response(
            412,
            r#"{"error":{"code":"version_conflict","message":"stale","details":{"currentVersion":9}}}"#,
        );
        assert_eq!(
            conflict,
            ApiError::Conflict {
                current: Some(9),
                message: "stale".into()
            }
        );
        let invalid = ApiError::from_response(
            422,
            r#"{"error":{"code":"invalid_document","message":"the document has errors","details":{"diagnostics":[{"severity":"error","code":"unknown-variant","pointer":"/flags/a/environments/production/offVariant","message":"unknown variant"}]}}}"#,
        );
        let ApiError::Invalid { problems, .. } = &invalid else {
            panic!("{invalid:?}");
        };
        assert_eq!(
            problems[0].pointer,
            "/flags/a/environments/production/offVariant"
        );
        assert_eq!(invalid.to_string(), "the document has errors (1 error(s))");
        assert!(matches!(
            ApiError::from_response(401, r#"{"error":{"code":"unauthenticated","message":"no token"}}"#),
            ApiError::Unauthenticated(m) if m == "no token"
        ));
        assert!(matches!(
            ApiError::from_response(502, "Bad gateway"),
            ApiError::Other { status: 502, message, .. } if message == "Bad gateway"
        ));
        assert!(
            matches!(ApiError::from_response(500, ""), ApiError::Other { message, .. } if message == "HTTP 500")
        );
    }

    #[test]
    fn paths_are_encoded() {
        assert_eq!(encode("daily-planning"), "daily-planning");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
