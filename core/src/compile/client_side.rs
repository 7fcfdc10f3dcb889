//! What may ship to browsers: the client-side flags and only the segments they reach, so a
//! segment that names customers never leaves the edge unless a public flag needs it.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use serde_json::Value;

use crate::model::{self, Document, Op};

/// The segments the given flags use, directly or through other segments.
pub(super) fn used_segments<'d>(doc: &'d Document, flags: &[&str]) -> Vec<&'d str> {
    let mut used: BTreeSet<&'d str> = BTreeSet::new();
    let mut todo: Vec<&'d str> = Vec::new();
    let visit = |clauses: &'d [model::Clause], todo: &mut Vec<&'d str>| {
        for c in clauses.iter().filter(|c| c.op == Op::InSegment) {
            for v in c.values.iter().filter_map(Value::as_str) {
                if let Some((key, _)) = doc.segments.get_key_value(v) {
                    todo.push(key);
                }
            }
        }
    };
    for flag in flags.iter().filter_map(|k| doc.flags.get(*k)) {
        for settings in flag.environments.values() {
            for rule in &settings.rules {
                visit(&rule.clauses, &mut todo);
            }
        }
    }
    while let Some(key) = todo.pop() {
        if used.insert(key) {
            for rule in doc.segments.get(key).map_or(&[][..], |s| &s.rules[..]) {
                visit(&rule.clauses, &mut todo);
            }
        }
    }
    used.into_iter().collect()
}

/// Whether an environment's public snapshot is its full one: every flag is client-side and
/// every segment is used by one, so nothing is left out. The control plane then publishes the
/// full snapshot's bytes under both keys instead of compiling the document twice.
pub fn public_is_full(doc: &Document) -> bool {
    // Archived flags are in neither snapshot, so only the live ones decide.
    let live = || doc.flags.iter().filter(|(_, f)| !f.is_archived());
    if !live().all(|(_, f)| f.is_client_side()) {
        return false;
    }
    let flags: Vec<&str> = live().map(|(k, _)| k.as_str()).collect();
    used_segments(doc, &flags).len() == doc.segments.len()
}

#[cfg(test)]
mod tests {
    use super::super::{compile, compile_client_side};
    use super::public_is_full;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde_json::json;

    #[test]
    fn the_public_snapshot_holds_client_side_flags_and_their_segments_only() {
        let doc = json!({"environments": ["prod"],
        "segments": {
            "beta": {"include": ["user-beta"], "rules": [{"clauses": [{"op": "inSegment", "values": ["staff"]}]}]},
            "staff": {"rules": [{"clauses": [{"attribute": "email", "op": "endsWith", "values": ["@us.example"]}]}]},
            "vip-customers": {"include": ["org-secret-customer"]}
        },
        "flags": {
            "public": {"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off",
                    "rules": [{"id": "beta", "clauses": [{"op": "inSegment", "values": ["beta"]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}},
            "private": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off",
                    "targets": [{"attribute": "orgId", "values": ["org-secret-customer"], "variant": "on"}],
                    "rules": [{"id": "vip", "clauses": [{"op": "inSegment", "values": ["vip-customers"]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}}
        }});
        let loaded = crate::load_value(doc).unwrap();
        let public = compile_client_side(&loaded.document, "prod").snapshot;
        assert_eq!(public.flag_keys().collect::<Vec<_>>(), ["public"]);
        let segments: Vec<&str> = public.segments.iter().map(|s| &*s.key).collect();
        assert_eq!(segments, ["beta", "staff"]);
        assert!(!public.attributes().any(|a| a == "orgId"));
        let bytes = public.encode();
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["org-secret-customer", "vip-customers", "private", "orgId"] {
            assert!(!text.contains(secret), "the public snapshot leaks {secret}");
        }
        // It evaluates exactly as the full snapshot does.
        let full = compile(&loaded.document, "prod").snapshot;
        for ctx in [
            json!({"targetingKey": "user-beta"}),
            json!({"targetingKey": "x", "email": "a@us.example"}),
            json!({"targetingKey": "y"}),
        ] {
            let (a, b) = (public.context(&ctx), full.context(&ctx));
            assert_eq!(
                public.evaluate("public", &a, 0, None).outcome(),
                full.evaluate("public", &b, 0, None).outcome()
            );
        }
    }

    #[test]
    fn the_public_snapshot_is_the_full_one_exactly_when_public_is_full_says_so() {
        let flag = |client: bool, segment: &str| {
            json!({"kind": "boolean", "clientSide": client, "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off",
                    "rules": [{"id": "r", "clauses": [{"op": "inSegment", "values": [segment]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}})
        };
        let segments = json!({"a": {"include": ["u1"]}, "b": {"include": ["u2"],
            "rules": [{"clauses": [{"op": "inSegment", "values": ["a"]}]}]}});
        let cases = [
            // Every flag public, every segment reached (`a` through `b`).
            (json!({"x": flag(true, "b"), "y": flag(true, "b")}), true),
            // One server-only flag.
            (json!({"x": flag(true, "b"), "y": flag(false, "a")}), false),
            // Every flag public, but segment `b` is used by none.
            (json!({"x": flag(true, "a")}), false),
            // No flags, no segments used.
            (json!({}), false),
        ];
        for (flags, expected) in cases {
            let doc = json!({"environments": ["prod"], "segments": segments, "flags": flags});
            let document = crate::load_value(doc).unwrap().document;
            assert_eq!(super::public_is_full(&document), expected, "{flags}");
            let full = compile(&document, "prod").snapshot.encode();
            let public = compile_client_side(&document, "prod").snapshot.encode();
            assert_eq!(full == public, expected, "{flags}");
        }
    }

    #[test]
    fn archived_flags_are_in_no_snapshot_and_break_what_requires_them() {
        let doc = json!({"environments": ["prod"],
        "segments": {"only-archived-uses-me": {"include": ["u1"]}},
        "flags": {
            "live": {"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off", "defaultServe": {"variant": "on"}}}},
            "gone": {"kind": "boolean", "clientSide": true, "archived": true,
                "archivedAt": "2026-12-01T09:00:00Z", "archivedBy": "ana",
                "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off",
                    "rules": [{"clauses": [{"op": "inSegment", "values": ["only-archived-uses-me"]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}}
        }});
        let loaded = crate::load_value(doc).unwrap();
        assert!(crate::validate(&loaded.document).is_empty());
        for snapshot in [
            compile(&loaded.document, "prod").snapshot,
            compile_client_side(&loaded.document, "prod").snapshot,
        ] {
            assert_eq!(snapshot.flag_keys().collect::<Vec<_>>(), ["live"]);
            let ctx = snapshot.context(&json!({"targetingKey": "u1"}));
            let detail = snapshot.evaluate("gone", &ctx, 0, None);
            assert_eq!(detail.outcome().error, Some(crate::ErrorCode::FlagNotFound));
            assert_eq!(snapshot.evaluate_all(&ctx, 0).count(), 1);
        }
        // The segment only the archived flag uses is in the full snapshot, not the public one.
        assert!(!public_is_full(&loaded.document));
        let mut requiring = loaded.document.clone();
        let mut dependent = requiring.flags["live"].clone();
        dependent.prerequisites.push(crate::model::Prerequisite {
            flag: "gone".into(),
            variant: "on".into(),
            ..Default::default()
        });
        requiring.flags.insert("live".into(), dependent);
        let codes: Vec<_> = crate::validate(&requiring)
            .into_iter()
            .map(|d| (d.code, d.pointer))
            .collect();
        assert_eq!(
            codes,
            [(
                crate::Code::ArchivedPrerequisite,
                "/flags/live/prerequisites/0/flag".into()
            )]
        );
    }
}
