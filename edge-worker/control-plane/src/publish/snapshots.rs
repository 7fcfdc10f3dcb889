//! What a commit changes in the published snapshots.
//!
//! Only environments whose flags' evaluation changed are compiled again (the core's
//! `changed_flags` decides), and an environment's public snapshot only when a client-side flag
//! is among them, so a kill switch in one environment compiles one snapshot whatever the rest
//! of the document holds. Each key's new content carries the version that made it (its
//! revision); unchanged keys keep theirs.

use std::rc::Rc;

use burgee_api::MAX_SNAPSHOT_BYTES;
use burgee_core::graph::changed_flags;
use burgee_core::model::Document;
use burgee_core::{compile, compile_client_side, public_is_full};
use burgee_edge_shared::beacon::ChangeEntry;
use burgee_edge_shared::kv::{Kind, SnapshotKey, content_hash};

/// One key's new content.
#[derive(Clone, Debug, PartialEq)]
pub struct Built {
    pub key: SnapshotKey,
    pub revision: u64,
    pub bytes: Rc<Vec<u8>>,
    pub hash: String,
}

/// What a commit publishes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Publication {
    pub built: Vec<Built>,
    /// Keys of environments the document no longer has.
    pub removed: Vec<SnapshotKey>,
    /// Per environment, the flags whose evaluation changed.
    pub changes: Vec<ChangeEntry>,
}

/// A snapshot bigger than a KV value may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge {
    pub key: SnapshotKey,
    pub bytes: usize,
}

/// Compiles and encodes `key`'s content from `document`, stamped with `revision`.
pub fn build(document: &Document, key: &SnapshotKey, revision: u64) -> Result<Built, TooLarge> {
    let mut snapshot = match key.kind {
        Kind::Full => compile(document, &key.environment).snapshot,
        Kind::Public => compile_client_side(document, &key.environment).snapshot,
    };
    snapshot.set_version(revision);
    let bytes = snapshot.encode();
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(TooLarge {
            key: key.clone(),
            bytes: bytes.len(),
        });
    }
    Ok(Built {
        key: key.clone(),
        revision,
        hash: content_hash(&bytes),
        bytes: Rc::new(bytes),
    })
}

fn is_client_side(document: &Document, flag: &str) -> bool {
    document.flags.get(flag).is_some_and(|f| f.is_client_side())
}

/// The keys `version` (which turned `before` into `after`) changes.
pub fn publication(
    before: &Document,
    after: &Document,
    version: u64,
) -> Result<Publication, TooLarge> {
    let mut out = Publication::default();
    // When nothing is server-only the public snapshot is the full one: compile once.
    let same = public_is_full(after);
    for environment in &after.environments {
        let new = !before.environments.contains(environment);
        let changed = changed_flags(before, after, environment);
        if changed.is_empty() && !new {
            continue;
        }
        let full = build(after, &SnapshotKey::new(Kind::Full, environment), version)?;
        let public = new
            || changed
                .iter()
                .any(|f| is_client_side(before, f) || is_client_side(after, f));
        let public = match public {
            false => None,
            true if same => Some(Built {
                key: SnapshotKey::new(Kind::Public, environment),
                ..full.clone()
            }),
            true => Some(build(
                after,
                &SnapshotKey::new(Kind::Public, environment),
                version,
            )?),
        };
        out.built.push(full);
        out.built.extend(public);
        out.changes.push(ChangeEntry {
            version,
            environment: environment.clone(),
            flags: changed,
        });
    }
    for environment in &before.environments {
        if !after.environments.contains(environment) {
            for kind in Kind::ALL {
                out.removed.push(SnapshotKey::new(kind, environment));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use burgee_core::edit::{Edit, Stamp, apply};

    fn example() -> Document {
        burgee_core::load(include_str!("../../../../examples/tasks-app.json"))
            .unwrap()
            .document
    }

    fn keys(p: &Publication) -> Vec<String> {
        p.built.iter().map(|b| b.key.to_string()).collect()
    }

    #[test]
    fn a_kill_switch_rebuilds_one_environment_only() {
        let before = example();
        let on = before.flags["outbound_calling"].environments["production"].is_enabled();
        let toggle = Edit::Toggle {
            flag: "outbound_calling".into(),
            environment: "production".into(),
            enabled: !on,
        };
        let stamp = Stamp {
            actor: "a",
            now_ms: 0,
        };
        let (after, _) = apply(&before, toggle, stamp).unwrap();
        let p = publication(&before, &after, 8).unwrap();
        assert!(
            keys(&p).iter().all(|k| k.ends_with(":production")),
            "{:?}",
            keys(&p)
        );
        assert!(keys(&p).contains(&"snapshot:production".to_string()));
        assert_eq!(p.changes.len(), 1);
        assert!(p.changes[0].flags.contains(&"outbound_calling".to_string()));
        let decoded = burgee_core::Snapshot::decode(&p.built[0].bytes).unwrap();
        assert_eq!(decoded.version(), 8);
        assert!(p.removed.is_empty());
    }

    #[test]
    fn a_first_import_builds_everything_and_removed_environments_are_deleted() {
        let empty = Document::default();
        let doc = example();
        let p = publication(&empty, &doc, 1).unwrap();
        assert_eq!(p.built.len(), doc.environments.len() * 2);
        let mut fewer = doc.clone();
        fewer.environments.retain(|e| e != "staging");
        let p = publication(&doc, &fewer, 2).unwrap();
        assert!(p.built.is_empty());
        assert_eq!(
            p.removed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["snapshot:staging", "public:staging"]
        );
    }

    #[test]
    fn a_document_with_nothing_server_only_is_compiled_once_per_environment() {
        let mut doc = example();
        for flag in doc.flags.values_mut() {
            flag.client_side = Some(true);
        }
        assert!(burgee_core::public_is_full(&doc));
        let p = publication(&Document::default(), &doc, 3).unwrap();
        let full = &p.built[0];
        let public = &p.built[1];
        assert_eq!(
            public.key.to_string(),
            format!("public:{}", doc.environments[0])
        );
        assert!(Rc::ptr_eq(&full.bytes, &public.bytes), "compiled twice");
        let mut compiled = compile_client_side(&doc, &doc.environments[0]).snapshot;
        compiled.set_version(3);
        assert_eq!(*public.bytes, compiled.encode());
    }
}
