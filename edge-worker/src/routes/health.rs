//! `GET /health`: liveness of the worker. (Snapshot staleness joins it with the data plane.)

use serde::Serialize;
use worker::{Request, Response, Result, RouteContext};

/// The version of this crate, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The body of `/health`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
}

pub fn health() -> Health {
    Health {
        status: "ok",
        version: VERSION,
    }
}

pub fn get(_req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    Response::from_json(&health())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_body() {
        let body = serde_json::to_value(health()).expect("serializes");
        assert_eq!(
            body,
            serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
        );
    }
}
