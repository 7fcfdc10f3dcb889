//! What the edge worker's two scripts must agree on, and nothing else.
//!
//! The data plane (every request, snapshots only) and the control plane (the single writer and
//! its relays) are deployed separately and talk through Workers KV, Durable Object bindings
//! and a few internal headers. Their shared vocabulary lives here so that neither script can
//! change it alone: binding names ([`bindings`]), the KV layout and its metadata ([`kv`]), the
//! freshness beacon the relays serve ([`beacon`]), the internal headers and relay paths
//! ([`internal`]), and query-string parsing ([`query`]). No I/O: plain data and functions,
//! tested natively.

pub mod beacon;
pub mod bindings;
pub mod internal;
pub mod kv;
pub mod query;
pub mod session;
