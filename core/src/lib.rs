//! burgee-core: the one flag evaluator every Burgee host runs.
//!
//! The edge worker, the npm package, the admin app and the CLI must never disagree about a flag,
//! so none of them decides anything: they hand this crate a snapshot, a context and the time, and
//! format what it answers. That is why the crate is `no_std`, reads no clock, does no I/O and
//! never panics: it has to run unchanged in a Cloudflare isolate, a browser and a terminal, and a
//! bad document or a hostile context must degrade to a reported error, never a crash.
//!
//! Two model layers keep the public contract apart from the fast path: [`model`] is the wire
//! format people keep in git and the admin app edits (serde, tolerant of unknown fields), and
//! [`Snapshot`] is one environment compiled into plain data that evaluation walks without
//! allocating. The `json` feature carries the first layer and the compiler; without it the crate
//! is the evaluator alone, for the smallest wasm builds.
#![no_std]
#![deny(clippy::indexing_slicing)]
// Without `json` nothing builds snapshots until a host decodes one; the types stay whole.
#![cfg_attr(not(feature = "json"), allow(dead_code))]

extern crate alloc;

mod codec;
mod context;
mod detail;
mod eval;
mod hash;
pub mod murmur3;
pub mod semver;
mod snapshot;
pub mod time;

#[cfg(feature = "json")]
mod compile;
#[cfg(feature = "json")]
mod diagnostic;
#[cfg(feature = "json")]
mod load;
#[cfg(feature = "json")]
pub mod model;
#[cfg(feature = "json")]
mod pointer;

pub use codec::DecodeError;
pub use context::{Attr, Context};
pub use detail::{Detail, ErrorCode, EvalError, Outcome, Reason, ValueType};
pub use hash::Text;
pub use snapshot::{ForceError, Kind, Snapshot, VariantRef};

#[cfg(feature = "json")]
pub use compile::{Compilation, compile, compile_client_side, valid_key, validate};
#[cfg(feature = "json")]
pub use diagnostic::{Code, Diagnostic, Severity};
#[cfg(feature = "json")]
pub use load::{Loaded, load, load_value};

/// How deep prerequisite chains and nested segments may go before evaluation stops with
/// `GENERAL`; the validator rejects documents that would reach it.
pub const MAX_DEPTH: usize = 32;
