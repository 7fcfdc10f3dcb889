//! The binary form of a compiled snapshot: what the control plane publishes to KV, what
//! `GET /v1/snapshot/{env}` serves, and what the npm package evaluates locally.
//!
//! Decoding needs neither serde nor the compiler, so the evaluator-only build (no `json`
//! feature) can load snapshots in a small wasm. It is built for untrusted input: every count is
//! checked against the bytes left before anything is allocated, every index is checked against
//! what it refers to, and garbage is an `Err`, never a panic.
//!
//! Layout (all integers LEB128 varints unless noted; `str` = varint length + UTF-8):
//! `"BRG1"`, version, environment: str, attributes after the targeting key: count × str,
//! clauses: count × clause, segments: count × (key, broken: u8, include: litset,
//! exclude: litset, rules: count × (count × clause id)), flags: count × (key, kind: u8,
//! variants: count × (name, json), body). A `body` is `0` live settings, `1` broken (message) or
//! `2` forced (variant). Floats are 8 bytes little-endian; times are zigzag varints.
//! docs/snapshot-format.md has every byte, and the versioning rule: the magic's digit is the
//! format version, a decoder refuses every other one, and any change to what is written is a
//! new version (tests/tests/golden_snapshot.rs holds the committed bytes to that).

const MAGIC: &[u8; 4] = b"BRG1";

/// Why bytes are not a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not a Burgee snapshot, or one of another format version.
    BadMagic,
    /// The bytes end in the middle of something.
    Truncated,
    /// A value that cannot be (an unknown tag, a bad index, text that is not UTF-8).
    Invalid(&'static str),
    /// Bytes left over after the snapshot.
    TrailingBytes,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::BadMagic => f.write_str("not a Burgee snapshot (bad magic)"),
            DecodeError::Truncated => f.write_str("the snapshot is truncated"),
            DecodeError::Invalid(what) => write!(f, "the snapshot is corrupt: {what}"),
            DecodeError::TrailingBytes => f.write_str("the snapshot has trailing bytes"),
        }
    }
}

mod decode;
mod encode;

#[cfg(feature = "compile")]
pub(crate) use encode::clause_bytes;

#[cfg(all(test, feature = "compile"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::Snapshot;
    use serde_json::json;

    #[test]
    fn a_rollout_bucketed_by_the_time_travels_and_never_buckets() {
        let doc = json!({"environments": ["p"], "flags": {"clock": {"kind": "boolean",
            "variants": {"on": true, "off": false},
            "environments": {"p": {"enabled": true, "offVariant": "off",
                "rules": [{"id": "r", "clauses": [],
                    "serve": {"rollout": {"bucketBy": "$now", "weights": [{"variant": "on", "weight": 1}]}}}],
                "defaultServe": {"rollout": {"bucketBy": "$now",
                    "weights": [{"variant": "on", "weight": 1}, {"variant": "off", "weight": 1}]}}}}}}});
        let loaded = crate::load_value(doc).unwrap();
        assert!(loaded.validate().iter().all(|d| !d.is_error()));
        let compiled = loaded.compile("p").snapshot;
        let decoded = Snapshot::decode(&compiled.encode()).unwrap();
        assert_eq!(decoded, compiled);
        let ctx = decoded.context(&json!({"targetingKey": "u"}));
        let d = decoded.evaluate("clock", &ctx, 1_000, None);
        assert_eq!(d.error_code(), Some(crate::ErrorCode::TargetingKeyMissing));
        let message = d.error().map(|e| e.message("clock")).unwrap_or_default();
        assert!(message.contains("$now"), "{message}");
    }
}
