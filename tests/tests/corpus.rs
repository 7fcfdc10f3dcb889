//! The corpus through burgee-core natively: the reference every other host is compared with.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;

use burgee_core::{Loaded, Snapshot, ValueType, load_value, murmur3, time::parse_rfc3339};
use burgee_tests::{Case, EvalFile, eval_files, murmur3 as vectors, run_cases, run_distributions};
use serde_json::Value;

/// Compiles each (document, environment) once; with `via_binary`, evaluates the snapshot after
/// a trip through its binary form, as the worker and the npm package receive it.
#[derive(Default)]
struct Native {
    snapshots: HashMap<(String, String), Snapshot>,
    via_binary: bool,
}

impl Native {
    fn snapshot(&mut self, name: &str, file: &EvalFile, env: &str) -> &Snapshot {
        let key = (name.to_string(), env.to_string());
        let via_binary = self.via_binary;
        self.snapshots.entry(key).or_insert_with(|| {
            let loaded = load_value(file.document.clone()).expect("corpus documents are objects");
            let snapshot = loaded.compile(env).snapshot;
            if via_binary {
                let decoded = Snapshot::decode(&snapshot.encode()).expect("decodes");
                assert_eq!(decoded, snapshot, "binary round trip changed the snapshot");
                decoded
            } else {
                snapshot
            }
        })
    }

    fn evaluate(&mut self, name: &str, file: &EvalFile, case: &Case) -> Result<Value, String> {
        let now = parse_rfc3339(case.now()).ok_or_else(|| format!("bad now {:?}", case.now))?;
        let expected = match &case.value_type {
            Some(t) => Some(ValueType::parse(t).ok_or_else(|| format!("bad type {t}"))?),
            None => None,
        };
        let snapshot = self.snapshot(name, file, &case.env);
        let context = snapshot.context(&case.context);
        let detail = snapshot.evaluate(&case.flag, &context, now, expected);
        // Bulk evaluation remembers clause verdicts across flags: it must agree.
        if expected.is_none()
            && let Some((_, bulk)) = snapshot
                .evaluate_all(&context, now)
                .find(|(k, _)| *k == case.flag)
            && bulk.outcome() != detail.outcome()
        {
            return Err(format!(
                "bulk {:?} != single {:?}",
                bulk.outcome(),
                detail.outcome()
            ));
        }
        let mut out = String::new();
        detail.write_json(&mut out, &case.flag, true, &case.default.to_string());
        serde_json::from_str(&out).map_err(|e| format!("result is not JSON ({e}): {out}"))
    }
}

#[test]
fn every_case_matches() {
    let mut native = Native::default();
    let report = run_cases(|name, file, case| native.evaluate(name, file, case));
    report.assert_clean("native");
    assert!(report.passed >= 150, "only {} cases", report.passed);
}

#[test]
fn every_case_matches_through_the_binary_snapshot() {
    let mut native = Native {
        via_binary: true,
        ..Native::default()
    };
    let report = run_cases(|name, file, case| native.evaluate(name, file, case));
    report.assert_clean("native (binary snapshot)");
}

#[test]
fn distributions_hold() {
    let mut native = Native::default();
    let report = run_distributions(|name, file, dist, i| {
        let now = parse_rfc3339(dist.now()).ok_or("bad now")?;
        let snapshot = native.snapshot(name, file, &dist.env);
        let context = snapshot.context(&dist.context(i));
        let detail = snapshot.evaluate(&dist.flag, &context, now, None);
        Ok(detail.variant_name().map(String::from))
    });
    report.assert_clean("native distributions");
    assert!(report.passed >= 4, "only {} distributions", report.passed);
}

#[test]
fn corpus_documents_are_valid_unless_marked() {
    for (name, file) in eval_files() {
        let loaded: Loaded = load_value(file.document.clone()).expect("an object");
        let errors = loaded.errors();
        if file.document_has_errors {
            assert!(
                !errors.is_empty(),
                "{name} says its document is broken, but it validates"
            );
        } else {
            assert!(errors.is_empty(), "{name}: {}", errors.join("\n"));
        }
    }
}

#[test]
fn ids_are_unique_and_named() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, file) in eval_files() {
        for id in file
            .cases
            .iter()
            .map(|c| &c.id)
            .chain(file.distributions.iter().map(|d| &d.id))
        {
            assert!(seen.insert(id.clone()), "{name}: duplicate id {id}");
            assert!(id.contains('.'), "{name}: id {id} does not name a rule");
        }
    }
}

#[test]
fn murmur3_golden_vectors() {
    let v = vectors();
    assert!(v.hashes.len() >= 20 && v.buckets.len() >= 20);
    for h in &v.hashes {
        assert_eq!(
            murmur3::murmur3_x86_32(&[h.input.as_bytes()], 0),
            h.hash,
            "{}",
            h.id
        );
    }
    for b in &v.buckets {
        assert_eq!(
            murmur3::bucket(&b.salt, &b.value, b.total),
            b.bucket,
            "{}",
            b.id
        );
    }
}
