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
//! allocating. Features: `json` adds JSON contexts and results (what a host that only decodes
//! snapshots needs); `compile` adds the wire model, the compiler and validator, and the typed
//! queries and edits of a document (what builds snapshots and edits documents). Without either
//! the crate is the evaluator alone, for the smallest wasm builds.
#![no_std]
#![deny(clippy::indexing_slicing)]
// Without `compile` nothing builds snapshots until a host decodes one; the types stay whole.
#![cfg_attr(not(feature = "compile"), allow(dead_code))]

extern crate alloc;

mod codec;
mod context;
mod detail;
mod eval;
mod hash;
pub mod key;
pub mod murmur3;
mod overrides;
mod search;
pub mod semver;
mod snapshot;
pub mod time;

#[cfg(feature = "json")]
pub mod json;

#[cfg(feature = "compile")]
mod compile;
#[cfg(feature = "compile")]
pub mod describe;
#[cfg(feature = "compile")]
mod diagnostic;
#[cfg(feature = "compile")]
pub mod edit;
#[cfg(feature = "compile")]
pub mod graph;
#[cfg(feature = "compile")]
mod load;
#[cfg(feature = "compile")]
pub mod merge;
#[cfg(feature = "compile")]
pub mod model;
#[cfg(feature = "json")]
mod pointer;
#[cfg(feature = "compile")]
pub mod preview;

pub use codec::DecodeError;
#[cfg(feature = "json")]
pub use context::targeting_key;
pub use context::{Attr, Context};
pub use detail::{Detail, ErrorCode, EvalError, Outcome, Reason, ValueType, write_json_string};
pub use hash::Text;
pub use key::{valid_event_name, valid_key};
pub use overrides::Off;
pub use snapshot::{ForceError, Kind, Snapshot, VariantRef};

#[cfg(feature = "json")]
pub use json::EvaluationResult;

#[cfg(feature = "compile")]
pub use compile::{Compilation, compile, compile_client_side, public_is_full, validate};
#[cfg(feature = "compile")]
pub use diagnostic::{Code, Diagnostic, Severity};
#[cfg(feature = "compile")]
pub use load::{Loaded, load, load_value, read_flag, read_segment};

/// How deep prerequisite chains and nested segments may go before evaluation stops with
/// `GENERAL`; the validator rejects documents that would reach it.
pub const MAX_DEPTH: usize = 32;

/// How many segments and prerequisite flags one flag may reach, directly or through others.
/// Evaluation decides each of them once, in a table on the stack sized for this many; see
/// `eval::seen`.
pub const MAX_GRAPH: usize = 128;
