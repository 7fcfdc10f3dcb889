//! Every error of the HTTP surface has one shape, `{"error": {"code", "message", "details"?}}`,
//! and one stable code from [`Code`]: clients branch on the code, people read the message.

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $status:literal; )*) => {
        /// The stable, machine-readable codes (snake_case) and the status each answers with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The status this code answers with unless a route says otherwise.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            pub fn parse(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    /// The body is not JSON, or nests deeper than the API reads.
    InvalidJson = "invalid_json", 400;
    /// The body is JSON but not what the route takes.
    InvalidBody = "invalid_body", 400;
    /// A query or path parameter is malformed.
    InvalidParameter = "invalid_parameter", 400;
    /// `If-Match` is not a version.
    InvalidIfMatch = "invalid_if_match", 400;
    /// A request an evaluation route cannot read.
    InvalidRequest = "invalid_request", 400;
    /// An evaluation context that is not JSON.
    InvalidContext = "invalid_context", 400;
    /// An environment name that is not a key.
    InvalidEnvironment = "invalid_environment", 400;
    /// No token, or one that matches nothing.
    Unauthenticated = "unauthenticated", 401;
    /// A valid token or key whose role or environments do not cover the request.
    Forbidden = "forbidden", 403;
    /// A gated path whose flag is off for this visitor.
    FeatureDisabled = "feature_disabled", 403;
    NotFound = "not_found", 404;
    FlagNotFound = "flag_not_found", 404;
    SegmentNotFound = "segment_not_found", 404;
    EnvironmentNotFound = "environment_not_found", 404;
    /// A version older than the history keeps.
    VersionNotFound = "version_not_found", 404;
    MethodNotAllowed = "method_not_allowed", 405;
    /// An undo with nothing to undo.
    NothingToUndo = "nothing_to_undo", 409;
    /// `If-Match` names another version than the current one.
    VersionConflict = "version_conflict", 412;
    /// A body over the route's limit.
    PayloadTooLarge = "payload_too_large", 413;
    /// A document, flag or segment over the store's size limits.
    DocumentTooLarge = "document_too_large", 413;
    /// A change that would leave errors in the document.
    InvalidDocument = "invalid_document", 422;
    /// More flags or segments than the store takes.
    LimitExceeded = "limit_exceeded", 422;
    /// Other flags still require the flag.
    FlagInUse = "flag_in_use", 422;
    /// A change to a protected environment without a reason (`X-Burgee-Reason`).
    ReasonRequired = "reason_required", 422;
    /// Flags or segments still use the segment.
    SegmentInUse = "segment_in_use", 422;
    /// The operation needs a boolean flag.
    NotABooleanFlag = "not_a_boolean_flag", 422;
    /// The boolean flag has no variant with the value asked for.
    NoSuchVariant = "no_such_variant", 422;
    /// Someone approving their own change request.
    SelfApproval = "self_approval", 403;
    ChangeRequestNotFound = "change_request_not_found", 404;
    /// A change request that was rejected or applied already.
    ChangeRequestClosed = "change_request_closed", 409;
    /// A change request applied before it has the approvals its environments require.
    ApprovalsMissing = "approvals_missing", 409;
    /// A change request whose base version is no longer current: it was rebased onto the
    /// current version and needs its approvals again.
    StaleBase = "stale_base", 409;
    /// A change request that cannot be rebased: the same fields were changed since.
    MergeConflict = "merge_conflict", 409;
    /// A write without `If-Match`.
    PreconditionRequired = "precondition_required", 428;
    /// Too many requests (or change streams) from one client.
    RateLimited = "rate_limited", 429;
    Internal = "internal", 500;
    /// A secret or variable of the deployment does not parse.
    Misconfigured = "misconfigured", 500;
    /// The origin behind an edge gate did not answer.
    OriginUnreachable = "origin_unreachable", 502;
    /// No snapshot for the environment yet: evaluations fail closed.
    NoSnapshot = "no_snapshot", 503;
    /// The flag store could not be reached.
    StoreUnavailable = "store_unavailable", 503;
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An error answer: status, code, message, details.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: Code,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with the code's own status.
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    pub fn with(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_string(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
        }
    }

    /// Reads an error answer (`status` and body text); anything that is not the error shape
    /// becomes an `internal` error naming the status.
    pub fn from_answer(status: u16, body: &str) -> ApiError {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => ApiError {
                status,
                code: Code::parse(&error.code).unwrap_or(Code::Internal),
                message: error.message,
                details: error.details,
            },
            Err(_) => ApiError::new(Code::Internal, format!("HTTP {status}")).with_status(status),
        }
    }
}

/// `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_body_has_one_shape() {
        let e = ApiError::new(Code::VersionConflict, "stale").with(json!({"currentVersion": 9}));
        assert_eq!(e.status, 412);
        let body = serde_json::to_value(e.body()).unwrap_or_default();
        assert_eq!(
            body,
            json!({"error": {"code": "version_conflict", "message": "stale", "details": {"currentVersion": 9}}})
        );
        let back = ApiError::from_answer(412, &body.to_string());
        assert_eq!(back, e);
        let plain = ApiError::from_answer(502, "Bad gateway");
        assert_eq!((plain.status, plain.code), (502, Code::Internal));
    }

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!((400..600).contains(&code.status()));
        }
    }
}
