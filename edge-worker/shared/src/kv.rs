//! The Workers KV layout: one key per environment and kind of snapshot, with metadata.
//!
//! `snapshot:<env>` holds the full binary snapshot the edge evaluates; `public:<env>` the
//! client-side one browsers may download. The control plane writes them (at most once a second
//! a key), the data plane reads them as a backstop to the relays and at a cold start.

use serde::{Deserialize, Serialize};

/// Which snapshot of an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Every flag, evaluated at the edge.
    Full,
    /// Only `clientSide` flags and what they use: safe to ship to browsers.
    Public,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Full, Kind::Public];

    fn prefix(self) -> &'static str {
        match self {
            Kind::Full => "snapshot",
            Kind::Public => "public",
        }
    }
}

/// One published KV key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotKey {
    pub kind: Kind,
    pub environment: String,
}

impl SnapshotKey {
    pub fn new(kind: Kind, environment: &str) -> SnapshotKey {
        SnapshotKey {
            kind,
            environment: environment.into(),
        }
    }

    pub fn parse(text: &str) -> Option<SnapshotKey> {
        let (prefix, environment) = text.split_once(':')?;
        let kind = Kind::ALL.into_iter().find(|k| k.prefix() == prefix)?;
        (!environment.is_empty()).then(|| SnapshotKey::new(kind, environment))
    }
}

impl std::fmt::Display for SnapshotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.prefix(), self.environment)
    }
}

/// The metadata stored beside each snapshot in KV.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    /// The store version whose content this is (the snapshot's revision).
    pub version: u64,
    /// Epoch ms of the write.
    pub published_at: f64,
}

/// A 64-bit content hash of snapshot bytes, as hex: for ETags and for telling contents apart.
pub fn content_hash(bytes: &[u8]) -> String {
    use burgee_core::murmur3::murmur3_x86_32;
    let high = u64::from(murmur3_x86_32(&[bytes], 1));
    let low = u64::from(murmur3_x86_32(&[bytes], 2));
    format!("{:016x}", (high << 32) | low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for text in ["snapshot:production", "public:dev.eu"] {
            assert_eq!(
                SnapshotKey::parse(text).map(|k| k.to_string()).as_deref(),
                Some(text)
            );
        }
        assert_eq!(SnapshotKey::parse("snapshot:"), None);
        assert_eq!(SnapshotKey::parse("other:prod"), None);
        assert_eq!(SnapshotKey::parse("production"), None);
    }
}
