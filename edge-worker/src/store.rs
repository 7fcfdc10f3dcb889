//! The control plane's Durable Object (`FlagStore`, bound as `STORE`): the single writer of
//! the flag document (DESIGN §5).
//!
//! For now it only exists, so that the `[[migrations]]` entry in `wrangler.toml` names a real
//! class and its storage is created; every request answers `501 not_implemented`.

use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::routes::error;

#[durable_object]
#[derive(Debug)]
pub struct FlagStore {}

impl DurableObject for FlagStore {
    fn new(_state: State, _env: Env) -> Self {
        Self {}
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        error(
            501,
            "not_implemented",
            "the flag store is not implemented yet",
        )
    }
}
