//! burgee-metrics: what Burgee knows about how its flags are used, without knowing who uses them.
//!
//! A product manager watching a rollout needs counts per variant and reason, unique users, and
//! whether an experiment's variant converts better; an operator needs stale flags listed. The
//! edge worker and the npm package both count, in memory, and send batches; a store rolls them
//! up. Everything here is the arithmetic of that, with the time and the storage left to the
//! caller, so it is `no_std` (the data plane's wasm and the npm package can run it), reads no
//! clock and does no I/O, and every rule can be unit-tested with the time as an input.
//!
//! The seams: [`ContextHasher`] and [`Sketch`] count contexts by a keyed hash; [`Aggregator`]
//! is one isolate's (or client's) counters; [`Batch`] is what it sends; [`Series`] is the
//! store's rollup; [`prometheus`] renders it for scraping; [`readout`] compares an
//! experiment's variants; [`stale`] lists flags to clean up. docs/metrics.md has the design.
#![no_std]
#![warn(missing_docs)]
#![deny(clippy::indexing_slicing)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod batch;
pub mod counts;
mod hash;
pub mod prometheus;
pub mod readout;
pub mod series;
pub mod sketch;
pub mod stale;

pub use batch::{Batch, BatchError};
pub use counts::Aggregator;
pub use hash::ContextHasher;
pub use series::Series;
pub use sketch::{Sketch, SketchError};

/// Milliseconds in a minute: the finest bucket.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds in an hour: the coarse bucket.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds in a day: the unique-context sketches' bucket.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The start of the bucket of `size_ms` that holds `at_ms` (buckets are aligned to the epoch).
pub fn bucket_start(at_ms: i64, size_ms: i64) -> i64 {
    at_ms.div_euclid(size_ms.max(1)) * size_ms.max(1)
}
