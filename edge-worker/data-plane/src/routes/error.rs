//! The one error shape of the HTTP surface (DESIGN §6):
//! `{ "error": { "code", "message", "details"? } }` with the right status.

use serde::Serialize;
use worker::{Response, Result};

/// The body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

/// `code` is stable and machine-readable (snake_case); `message` is for people.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl<'a> ErrorBody<'a> {
    pub fn new(code: &'a str, message: &'a str) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message,
                details: None,
            },
        }
    }
}

/// A JSON error response: `status`, `Content-Type: application/json`, [`ErrorBody`].
pub fn error(status: u16, code: &str, message: &str) -> Result<Response> {
    Ok(Response::from_json(&ErrorBody::new(code, message))?.with_status(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_shape() {
        let body = serde_json::to_value(ErrorBody::new("not_found", "no route for GET /x"))
            .expect("serializes");
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "no route for GET /x"}})
        );
    }
}
