//! The one error shape of the HTTP surface, `{"error": {"code", "message", "details"?}}`, with
//! the codes and statuses of [`burgee_api::Code`] (the contract the admin app reads too).

use burgee_api::{ApiError, Code};
use worker::{Response, Result};

/// A JSON error response with the code's own status.
pub fn error(code: Code, message: &str) -> Result<Response> {
    api_error(&ApiError::new(code, message))
}

/// A JSON error response with another status than the code's own.
pub fn error_at(status: u16, code: Code, message: &str) -> Result<Response> {
    api_error(&ApiError::new(code, message).with_status(status))
}

pub fn api_error(e: &ApiError) -> Result<Response> {
    Ok(Response::from_json(&e.body())?.with_status(e.status))
}
