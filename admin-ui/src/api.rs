//! Typed calls to the control plane (`edge-worker/API.md`), through the admin API's contract
//! (`burgee-api`: its routes, error codes and bodies) and burgee-core's model for every
//! document, flag and segment, so that the app and the store cannot disagree on a path, a code
//! or a format.
//!
//! Every failure becomes an [`ApiError`] that says what the app should do about it: sign in
//! again (`unauthenticated`), show the problems at their fields (`invalid_document`), or show
//! who changed the document in the meantime (`version_conflict`).

use std::fmt;

use burgee_api::{
    AuditBody, AuditEntry, Code, DiffBody, DocumentBody, EvaluateBody, EvaluateRequest,
    HistoryBody, Identity, MetricsBody, ReadoutBody, RouteId, ToggleRequest, UsageBody,
    VersionDocument, VersionEntry, Written, percent_encode,
};
use burgee_core::model::{Document, Flag, Segment};
use burgee_core::time::format_rfc3339;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::state::audit::AuditQuery;
use crate::state::document::DocState;
use crate::state::fields::Problem;

mod review;

/// Where the admin API is mounted: the page's `<meta name="burgee-api">`, which the worker
/// writes (the deployment's `ADMIN_API_PATH`); the default mount without one.
fn api_mount() -> String {
    thread_local! {
        static MOUNT: String = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(r#"meta[name="burgee-api"]"#).ok().flatten())
            .and_then(|m| m.get_attribute("content"))
            .filter(|m| m.starts_with('/'))
            .unwrap_or_else(|| burgee_api::DEFAULT_API_MOUNT.to_string());
    }
    MOUNT.with(Clone::clone)
}

/// What the app does about a failed call; read from the contract's error (its [`Code`]).
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The request did not complete (offline, the worker is down).
    Network(String),
    /// No token, or one the store does not know: sign in again.
    Unauthenticated(String),
    /// The role is too low.
    Forbidden(String),
    NotFound(String),
    /// The document moved on since the version the write was based on.
    Conflict {
        current: Option<u64>,
        message: String,
    },
    /// The resulting document would not validate: its problems, at their fields.
    Invalid {
        problems: Vec<Problem>,
        message: String,
    },
    Other {
        status: u16,
        code: Code,
        message: String,
    },
    /// A `2xx` whose body was not what the contract promises.
    Decode(String),
    /// The write was not written: it is held as a change request (`202`) until others approve
    /// it.
    Held(Box<burgee_api::ChangeRequestBody>),
    /// A change request's review or apply was refused; the request's page words it from the
    /// code and details (`state::review::Refusal`).
    Refused {
        code: Code,
        message: String,
        details: Option<Value>,
    },
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
            // People read these: the server's own words, never its codes or a body that was not
            // an error of ours (a proxy's HTML page).
            ApiError::Other {
                status,
                code,
                message,
            } => match (*code, message.starts_with("HTTP ")) {
                (Code::Internal, true) if *status >= 500 => write!(
                    f,
                    "The server had a problem ({status}). Try again in a moment."
                ),
                (Code::Internal, true) => {
                    write!(f, "The server refused the request ({status}).")
                }
                _ => write!(f, "{message}"),
            },
            ApiError::Decode(m) => write!(f, "Unexpected answer from the server: {m}"),
            ApiError::Held(body) => f.write_str(&crate::state::review::held_words(body)),
            ApiError::Refused { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<burgee_api::ApiError> for ApiError {
    fn from(e: burgee_api::ApiError) -> ApiError {
        let detail = |name: &str| e.details.as_ref().and_then(|d| d.get(name));
        match e.code {
            Code::Unauthenticated => ApiError::Unauthenticated(e.message),
            Code::Forbidden => ApiError::Forbidden(e.message),
            Code::NotFound
            | Code::FlagNotFound
            | Code::SegmentNotFound
            | Code::EnvironmentNotFound
            | Code::VersionNotFound => ApiError::NotFound(e.message),
            Code::VersionConflict => ApiError::Conflict {
                current: detail("currentVersion").and_then(Value::as_u64),
                message: e.message,
            },
            Code::InvalidDocument => ApiError::Invalid {
                problems: detail("diagnostics")
                    .and_then(|d| serde_json::from_value(d.clone()).ok())
                    .unwrap_or_default(),
                message: e.message,
            },
            Code::SelfApproval
            | Code::ApprovalsMissing
            | Code::StaleBase
            | Code::MergeConflict
            | Code::ChangeRequestClosed => ApiError::Refused {
                code: e.code,
                message: e.message,
                details: e.details,
            },
            code => ApiError::Other {
                status: e.status,
                code,
                message: e.message,
            },
        }
    }
}

impl ApiError {
    /// The error a non-2xx answer stands for.
    pub fn from_answer(status: u16, body: &str) -> ApiError {
        burgee_api::ApiError::from_answer(status, body).into()
    }
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

fn to_json<T: Serialize>(body: &T) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The readable cookie that holds a session's CSRF token, and the header every write made with
/// the session sends it in (double submit: a page on another origin can make the browser send
/// the session cookie, but can neither read this one nor set the header).
const CSRF_COOKIE: &str = "burgee_csrf";
const CSRF_HEADER: &str = "X-Burgee-CSRF";
/// Why a write is made, percent-encoded UTF-8 (a header carries no other text safely).
const REASON_HEADER: &str = "X-Burgee-Reason";

/// The value of the cookie `name` in `cookies` (`document.cookie`'s `a=1; b=2`).
pub fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The cookies the page can read (`document.cookie`).
fn readable_cookies() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let document = web_sys::window()?.document()?;
        js_sys::Reflect::get(&document, &"cookie".into())
            .ok()?
            .as_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// The CSRF token of this browser's session, if it has one.
fn csrf_token() -> Option<String> {
    cookie_value(&readable_cookies()?, CSRF_COOKIE).map(str::to_string)
}

/// Whether this browser may have a session: the worker sets the readable CSRF cookie beside
/// the HttpOnly session cookie, and clears both at sign-out. Without it the app does not ask
/// the worker at all: an unauthenticated request counts towards the worker's limit on failed
/// sign-ins from an address, which every visit to the sign-in page would otherwise spend.
pub fn may_have_session() -> bool {
    csrf_token().is_some()
}

/// What `GET {api}/v1/auth` says about single sign-on, for the sign-in page.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOn {
    pub single_sign_on: bool,
    pub provider: Option<String>,
    /// The login route's path (under the API's mount).
    pub login: Option<String>,
}

impl SignOn {
    /// Where the browser goes to sign in with the provider, coming back to `back` (a path of
    /// the app, with its fragment).
    pub fn login_href(&self, back: &str) -> String {
        let login = self
            .login
            .clone()
            .unwrap_or_else(|| burgee_api::mounted(&api_mount(), &RouteId::AuthLogin.path(&[])));
        format!("{login}?return={}", percent_encode(back))
    }
}

/// A client for one signed-in caller: a token (for automation), or, without one, the
/// browser's session cookie (a person signed in with single sign-on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    token: Option<String>,
    /// Why the caller writes (`X-Burgee-Reason`), sent with every write when not blank.
    reason: Option<String>,
}

impl Api {
    pub fn new(token: impl Into<String>) -> Api {
        Api {
            token: Some(token.into()),
            reason: None,
        }
    }

    /// A client authenticated by the session cookie.
    pub fn cookie() -> Api {
        Api {
            token: None,
            reason: None,
        }
    }

    /// The same client, saying why it writes (a blank reason says nothing).
    pub fn with_reason(mut self, reason: &str) -> Api {
        let reason = reason.trim();
        self.reason = (!reason.is_empty()).then(|| reason.to_string());
        self
    }

    /// Calls `url` (a route's path, with its query) with the route's method, under the API's
    /// mount.
    async fn send(
        &self,
        route: RouteId,
        url: &str,
        if_match: Option<u64>,
        body: Option<String>,
    ) -> Result<String, ApiError> {
        use gloo_net::http::{Method, RequestBuilder};
        // The route's own method, named in the contract's words.
        let method = match route.method() {
            "PUT" => Method::PUT,
            "POST" => Method::POST,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        };
        let url = burgee_api::mounted(&api_mount(), url);
        let write = method != Method::GET;
        let mut builder = RequestBuilder::new(&url)
            .method(method)
            .header("Accept", "application/json");
        if let Some(token) = &self.token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        if write && let Some(csrf) = csrf_token() {
            builder = builder.header(CSRF_HEADER, &csrf);
        }
        if write && let Some(reason) = &self.reason {
            builder = builder.header(REASON_HEADER, &burgee_api::percent_encode(reason));
        }
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
        if status == 202 {
            // Held for approval: not written, whatever the route.
            Err(decode::<burgee_api::ChangeRequestBody>(&text)
                .map_or_else(|e| e, |body| ApiError::Held(Box::new(body))))
        } else if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ApiError::from_answer(status, &text))
        }
    }

    async fn get<T: DeserializeOwned>(&self, route: RouteId, url: &str) -> Result<T, ApiError> {
        decode(&self.send(route, url, None, None).await?)
    }

    /// A write of `route` for `key` (if it takes one), based on `version`.
    async fn write(
        &self,
        route: RouteId,
        params: &[&str],
        version: u64,
        body: Option<String>,
    ) -> Result<Written, ApiError> {
        let url = route.path(params);
        decode(&self.send(route, &url, Some(version), body).await?)
    }

    /// Whether single sign-on is configured (a public route).
    pub async fn sign_on(&self) -> Result<SignOn, ApiError> {
        let route = RouteId::AuthConfig;
        self.get(route, &route.path(&[])).await
    }

    /// Ends the session (clears its cookies).
    pub async fn logout(&self) -> Result<(), ApiError> {
        let route = RouteId::AuthLogout;
        self.send(route, &route.path(&[]), None, None)
            .await
            .map(drop)
    }

    pub async fn whoami(&self) -> Result<Identity, ApiError> {
        let route = RouteId::Whoami;
        self.get(route, &route.path(&[])).await
    }

    pub async fn document(&self) -> Result<DocState, ApiError> {
        let route = RouteId::Document;
        let body: DocumentBody<Document> = self.get(route, &route.path(&[])).await?;
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
        self.write(RouteId::PutFlag, &[key], version, Some(to_json(flag)?))
            .await
    }

    pub async fn delete_flag(&self, key: &str, version: u64) -> Result<Written, ApiError> {
        self.write(RouteId::DeleteFlag, &[key], version, None).await
    }

    pub async fn toggle(
        &self,
        key: &str,
        environment: &str,
        enabled: bool,
        version: u64,
    ) -> Result<Written, ApiError> {
        let body = to_json(&ToggleRequest {
            environment: environment.into(),
            enabled,
        })?;
        self.write(RouteId::Toggle, &[key], version, Some(body))
            .await
    }

    pub async fn put_segment(
        &self,
        key: &str,
        segment: &Segment,
        version: u64,
    ) -> Result<Written, ApiError> {
        self.write(
            RouteId::PutSegment,
            &[key],
            version,
            Some(to_json(segment)?),
        )
        .await
    }

    pub async fn delete_segment(&self, key: &str, version: u64) -> Result<Written, ApiError> {
        self.write(RouteId::DeleteSegment, &[key], version, None)
            .await
    }

    /// The newest `limit` versions, or those before `before`.
    pub async fn history(
        &self,
        limit: u32,
        before: Option<u64>,
    ) -> Result<Vec<VersionEntry>, ApiError> {
        let route = RouteId::History;
        let mut url = format!("{}?limit={limit}", route.path(&[]));
        if let Some(b) = before {
            url.push_str(&format!("&before={b}"));
        }
        Ok(self.get::<HistoryBody>(route, &url).await?.versions)
    }

    pub async fn version(&self, version: u64) -> Result<VersionDocument<Document>, ApiError> {
        let route = RouteId::Version;
        self.get(route, &route.path(&[&version.to_string()])).await
    }

    pub async fn diff(&self, from: u64, to: u64) -> Result<DiffBody, ApiError> {
        let route = RouteId::Diff;
        let url = format!("{}?from={from}&to={to}", route.path(&[]));
        self.get(route, &url).await
    }

    /// Brings one flag (`segment`: one segment) back as it was in version `target`, based on
    /// `version`; the rest of the document stays as it is.
    pub async fn revert(
        &self,
        segment: bool,
        key: &str,
        target: u64,
        version: u64,
    ) -> Result<Written, ApiError> {
        let route = if segment {
            RouteId::RevertSegment
        } else {
            RouteId::RevertFlag
        };
        let body = serde_json::json!({ "version": target }).to_string();
        self.write(route, &[key], version, Some(body)).await
    }

    pub async fn restore(&self, target: u64, version: u64) -> Result<Written, ApiError> {
        self.write(RouteId::Restore, &[&target.to_string()], version, None)
            .await
    }

    /// The newest `limit` audit entries that `query` keeps, or those before the entry `before`.
    pub async fn audit(
        &self,
        query: &AuditQuery,
        limit: u32,
        before: Option<u64>,
    ) -> Result<Vec<AuditEntry>, ApiError> {
        let route = RouteId::Audit;
        let mut url = format!("{}?limit={limit}{}", route.path(&[]), query.to_api());
        if let Some(b) = before {
            url.push_str(&format!("&before={b}"));
        }
        Ok(self.get::<AuditBody>(route, &url).await?.entries)
    }

    /// The store's own evaluation (read-your-writes), to compare with the browser's.
    pub async fn evaluate(
        &self,
        environment: &str,
        context: &Value,
    ) -> Result<EvaluateBody, ApiError> {
        let route = RouteId::Evaluate;
        let body = to_json(&EvaluateRequest {
            environment: environment.into(),
            context: context.clone(),
            flags: None,
        })?;
        decode(&self.send(route, &route.path(&[]), None, Some(body)).await?)
    }

    pub async fn import(&self, document: &Document, version: u64) -> Result<Written, ApiError> {
        self.write(RouteId::Import, &[], version, Some(to_json(document)?))
            .await
    }

    /// Archives `key` (`archived: true`) or brings it back.
    pub async fn archive(
        &self,
        key: &str,
        archived: bool,
        version: u64,
    ) -> Result<Written, ApiError> {
        let route = if archived {
            RouteId::ArchiveFlag
        } else {
            RouteId::UnarchiveFlag
        };
        self.write(route, &[key], version, None).await
    }

    /// Makes `key`'s settings in `to` exactly its settings in `from` (applied to the current
    /// version: the route takes no `If-Match`).
    pub async fn promote(&self, key: &str, from: &str, to: &str) -> Result<Written, ApiError> {
        let route = RouteId::PromoteFlag;
        let body = serde_json::json!({ "from": from, "to": to }).to_string();
        decode(
            &self
                .send(route, &route.path(&[key]), None, Some(body))
                .await?,
        )
    }

    /// `flag`'s evaluations in `environment` from `from_ms` to `to_ms`, in steps of `step`
    /// seconds.
    pub async fn metrics(
        &self,
        environment: &str,
        flag: &str,
        (from_ms, to_ms): (i64, i64),
        step: u32,
    ) -> Result<MetricsBody, ApiError> {
        let route = RouteId::Metrics;
        let url = format!(
            "{}?environment={}&flag={}&from={}&to={}&step={step}",
            route.path(&[]),
            percent_encode(environment),
            percent_encode(flag),
            percent_encode(&format_rfc3339(from_ms)),
            percent_encode(&format_rfc3339(to_ms)),
        );
        self.get(route, &url).await
    }

    /// The readout of `flag` as measured by `event` in `environment` (the store's default
    /// range), against `control`.
    pub async fn readout(
        &self,
        environment: &str,
        flag: &str,
        event: &str,
        control: Option<&str>,
    ) -> Result<ReadoutBody, ApiError> {
        let route = RouteId::MetricsReadout;
        let mut url = format!(
            "{}?environment={}&flag={}&event={}",
            route.path(&[]),
            percent_encode(environment),
            percent_encode(flag),
            percent_encode(event),
        );
        if let Some(c) = control {
            url.push_str(&format!("&control={}", percent_encode(c)));
        }
        self.get(route, &url).await
    }

    /// Every flag's use over the last `days` days.
    pub async fn usage(&self, days: u32) -> Result<UsageBody, ApiError> {
        let route = RouteId::MetricsUsage;
        let url = format!("{}?days={days}", route.path(&[]));
        self.get(route, &url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burgee_core::Code as Diagnostic;

    #[test]
    fn error_answers_become_actions() {
        let conflict = ApiError::from_answer(
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
        let invalid = ApiError::from_answer(
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
        assert!(problems[0].is(Diagnostic::UnknownVariant));
        assert_eq!(invalid.to_string(), "the document has errors (1 error(s))");
        assert!(matches!(
            ApiError::from_answer(401, r#"{"error":{"code":"unauthenticated","message":"no token"}}"#),
            ApiError::Unauthenticated(m) if m == "no token"
        ));
        assert!(matches!(
            ApiError::from_answer(404, r#"{"error":{"code":"flag_not_found","message":"no flag x"}}"#),
            ApiError::NotFound(m) if m == "no flag x"
        ));
        // Another 422 is not a list of problems: it says what it is.
        let in_use = ApiError::from_answer(
            422,
            r#"{"error":{"code":"flag_in_use","message":"b requires it"}}"#,
        );
        assert_eq!(
            in_use.to_string(),
            "b requires it",
            "no internal code in what people read"
        );
        // An answer that is not the contract's error shape names its status.
        assert!(matches!(
            ApiError::from_answer(502, "Bad gateway"),
            ApiError::Other { status: 502, code: Code::Internal, message } if message == "HTTP 502"
        ));
        assert!(
            matches!(ApiError::from_answer(500, ""), ApiError::Other { message, .. } if message == "HTTP 500")
        );
        // A proxy's HTML error page is never shown as it is.
        let html = ApiError::from_answer(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert_eq!(
            html.to_string(),
            "The server had a problem (502). Try again in a moment."
        );
        let refused = ApiError::from_answer(413, "<html>Request Entity Too Large</html>");
        assert_eq!(refused.to_string(), "The server refused the request (413).");
    }

    #[test]
    fn review_refusals_keep_their_details_and_a_held_write_says_so() {
        let stale = ApiError::from_answer(
            409,
            r#"{"error":{"code":"stale_base","message":"rebased","details":{"version":5}}}"#,
        );
        assert!(
            matches!(&stale, ApiError::Refused { code: Code::StaleBase, details: Some(d), .. } if d["version"] == 5),
            "{stale:?}"
        );
        assert_eq!(stale.to_string(), "rebased", "no code in the words");
        let held: burgee_api::ChangeRequestBody = decode(
            r#"{"request":{"id":7,"status":"open","author":"ada","createdAt":"2026-12-07T04:00:00Z","baseVersion":3,"summary":"s","environments":["production"],"flags":["a"],"segments":[],"approvalsRequired":2,"reviews":[]},"version":3}"#,
        )
        .unwrap();
        assert_eq!(
            ApiError::Held(Box::new(held)).to_string(),
            "Change request #7 created: needs 2 approvals"
        );
    }

    #[test]
    fn the_csrf_token_is_read_from_its_cookie() {
        let cookies = "theme=dark; burgee_csrf=abc.def; other=burgee_csrf=x";
        assert_eq!(cookie_value(cookies, CSRF_COOKIE), Some("abc.def"));
        assert_eq!(cookie_value("burgee_csrf_old=1", CSRF_COOKIE), None);
        assert_eq!(cookie_value("", CSRF_COOKIE), None);
    }

    #[test]
    fn the_sign_on_answer_decodes() {
        let s: SignOn =
            decode(r#"{"singleSignOn":true,"provider":"Acme","login":"/api/v1/auth/login"}"#)
                .unwrap();
        assert_eq!(
            s.login_href("/admin/#/flags/a b"),
            "/api/v1/auth/login?return=%2Fadmin%2F%23%2Fflags%2Fa%20b"
        );
        let off: SignOn = decode(r#"{"singleSignOn":false}"#).unwrap();
        assert_eq!(off.provider, None);
    }

    #[test]
    fn answers_decode_into_the_contract() {
        let body: DocumentBody<Document> =
            decode(r#"{"version":7,"document":{"version":7,"environments":["p"],"flags":{}}}"#)
                .unwrap();
        assert_eq!((body.version, body.document.version), (7, Some(7)));
        let history: HistoryBody = decode(
            r#"{"versions":[{"version":3,"at":"2026-01-01T00:00:00Z","actor":"ci","action":"toggle","summary":"s"}]}"#,
        )
        .unwrap();
        assert_eq!(history.versions[0].action, "toggle");
        let audit: AuditBody = decode(
            r#"{"entries":[{"id":12,"at":"2026-01-01T00:00:00.250Z","actor":"ci","action":"all-off","target":"environments/p","version":4,"summary":"everything off","flags":["a"]}]}"#,
        )
        .unwrap();
        assert_eq!((audit.entries[0].id, audit.entries[0].version), (12, 4));
        let evaluated: EvaluateBody = decode(
            r#"{"version":4,"environment":"p","results":{"a":{"value":true,"variant":"on","reason":"STATIC"}}}"#,
        )
        .unwrap();
        assert_eq!(evaluated.results["a"].reason, "STATIC");
    }

    #[test]
    fn written_carries_the_summary() {
        let w: Written = decode(r#"{"version":4,"summary":"turned a on"}"#).unwrap();
        assert_eq!((w.version, w.summary.as_str()), (4, "turned a on"));
        assert!(decode::<Written>("{}").is_err());
    }
}
