//! Criterion benchmarks of the core, natively (`cargo xtask bench`).
//!
//! The document is `burgee_tests::benchmark_document`: the same flags the Node and wrk
//! benchmarks use. Evaluations take a context already bound to the snapshot, which is how hosts
//! use the core ("set the context once, evaluate many"); binding is measured on its own.

#![allow(clippy::expect_used)]

use std::hint::black_box;

use burgee_core::{compile, load};

use burgee_tests::{benchmark_context, benchmark_document};
use criterion::{Criterion, criterion_group, criterion_main};

const NOW: i64 = 1_796_115_600_000;

fn benches(c: &mut Criterion) {
    let doc = benchmark_document(100);
    let text = doc.to_string();
    let snapshot = load(&text).expect("loads").compile("production").snapshot;
    let context_json = benchmark_context();
    let context = snapshot.context(&context_json);
    let vip = snapshot.context(&serde_json::json!({"targetingKey": "vip-7-19"}));

    let mut eval = c.benchmark_group("evaluate");
    eval.bench_function("targeted flag (miss → 25 % rollout)", |b| {
        b.iter(|| black_box(snapshot.evaluate(black_box("flag-042"), &context, NOW, None)))
    });
    eval.bench_function("targeted flag (target hit)", |b| {
        b.iter(|| black_box(snapshot.evaluate(black_box("flag-007"), &vip, NOW, None)))
    });
    eval.bench_function("3-way split", |b| {
        b.iter(|| black_box(snapshot.evaluate(black_box("split"), &context, NOW, None)))
    });
    eval.bench_function("bulk: 101 flags for one context", |b| {
        b.iter(|| {
            let mut on = 0u32;
            for (_, detail) in snapshot.evaluate_all(&context, NOW) {
                on += u32::from(detail.variant_name() == Some("on"));
            }
            black_box(on)
        })
    });
    // What the npm package and other bindings call: every flag's compact outcome into a
    // reused buffer, without building a `Detail` or looking up variant names.
    let mut outcomes = Vec::new();
    eval.bench_function("bulk outcomes: 101 flags for one context", |b| {
        b.iter(|| {
            snapshot.outcomes(&context, NOW, &mut outcomes);
            black_box(outcomes.len())
        })
    });
    eval.finish();

    graphs(c);

    let mut parts = c.benchmark_group("parts");
    parts.bench_function("murmur3 of a 16-byte salt+id", |b| {
        b.iter(|| {
            black_box(burgee_core::murmur3::bucket(
                black_box("split"),
                black_box("user-123456"),
                100,
            ))
        })
    });
    parts.bench_function("criterion floor (empty iteration)", |b| {
        b.iter(|| black_box(1u32))
    });
    parts.bench_function("find + unknown flag", |b| {
        b.iter(|| black_box(snapshot.evaluate(black_box("flag-0421"), &context, NOW, None)))
    });
    parts.finish();

    let mut setup = c.benchmark_group("set up");
    setup.bench_function("bind a context", |b| {
        b.iter(|| black_box(snapshot.context(black_box(&context_json))))
    });
    setup.bench_function("load + compile 100 flags (from JSON text)", |b| {
        b.iter(|| black_box(load(black_box(&text)).expect("loads").compile("production")))
    });
    let document = load(&text).expect("loads").document;
    setup.bench_function("compile 100 flags (parsed document)", |b| {
        b.iter(|| black_box(compile(black_box(&document), "production")))
    });
    let bytes = snapshot.encode();
    println!(
        "binary snapshot of the benchmark document: {} bytes (JSON document: {} bytes)",
        bytes.len(),
        text.len()
    );
    setup.bench_function("decode the 101-flag binary snapshot", |b| {
        b.iter(|| black_box(burgee_core::Snapshot::decode(black_box(&bytes)).expect("decodes")))
    });
    // Linear in the document: 10x the flags is about 10x the time.
    for n in [1_000, 10_000] {
        let many = load(&distinct(n).to_string()).expect("loads").document;
        setup.sample_size(10);
        setup.bench_function(
            format!("compile {n} flags, each with its own clause"),
            |b| b.iter(|| black_box(compile(black_box(&many), "production"))),
        );
        // What an import into an empty store changes: every flag, and their dependents.
        let empty = burgee_core::model::Document::default();
        setup.bench_function(format!("changed flags of a {n}-flag import"), |b| {
            b.iter(|| {
                black_box(burgee_core::graph::changed_flags(
                    &empty,
                    black_box(&many),
                    "production",
                ))
            })
        });
    }
    setup.finish();
}

/// `n` flags whose rules all test `plan` against values of their own: as many distinct clauses
/// as flags (the store's 10,000-flag limit is the largest document the control plane compiles).
fn distinct(n: usize) -> serde_json::Value {
    use serde_json::json;
    let flags: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            let flag = json!({"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"production": {"enabled": true, "offVariant": "off",
                    "rules": [{"id": "r", "clauses": [{"attribute": "plan", "op": "in",
                        "values": ["beta", format!("plan-{i}")]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}});
            (format!("flag-{i}"), flag)
        })
        .collect();
    json!({"environments": ["production"], "flags": flags})
}

/// A flag that names 64 leaf segments, or 64 leaf prerequisites, directly: the flat document
/// the ladders of `graphs.json` (the same number of segments and flags, 2^32 paths) are
/// compared with.
fn flat() -> serde_json::Value {
    use serde_json::json;
    let bool_flag = |extra: serde_json::Value| {
        let mut f = json!({"kind": "boolean", "variants": {"on": true, "off": false},
            "environments": {"production": {"enabled": true, "offVariant": "off",
                "defaultServe": {"variant": "on"}}}});
        if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
            f.extend(extra.clone());
        }
        f
    };
    let mut segments = serde_json::Map::new();
    let mut flags = serde_json::Map::new();
    for i in 0..64 {
        segments.insert(
            format!("s{i:02}"),
            json!({"rules": [{"clauses": [
            {"attribute": "plan", "op": "in", "values": ["gold"]}]}]}),
        );
        flags.insert(format!("p{i:02}"), bool_flag(json!({})));
    }
    let names: Vec<String> = (0..64).map(|i| format!("s{i:02}")).collect();
    let mut wide = bool_flag(json!({}));
    wide["environments"]["production"]["rules"] = json!([{"id": "in-any",
        "clauses": [{"op": "inSegment", "values": names}], "serve": {"variant": "on"}}]);
    wide["environments"]["production"]["defaultServe"] = json!({"variant": "off"});
    flags.insert("segment-flat".into(), wide);
    let prerequisites: Vec<serde_json::Value> = (0..64)
        .map(|i| json!({"flag": format!("p{i:02}"), "variant": "on"}))
        .collect();
    flags.insert(
        "prerequisite-flat".into(),
        bool_flag(json!({"prerequisites": prerequisites})),
    );
    json!({"environments": ["production"], "segments": segments, "flags": flags})
}

/// Ladders of diamonds at the deepest nesting (64 nodes, 2^32 paths) beside flat documents of
/// the same size: evaluation is linear in what a flag reaches, so the pairs cost about the same.
fn graphs(c: &mut Criterion) {
    let ladders = burgee_tests::eval_files()
        .into_iter()
        .find(|(name, _)| *name == "graphs.json")
        .expect("the corpus has graphs.json")
        .1
        .document;
    let ladders = burgee_core::load_value(ladders)
        .expect("loads")
        .compile("production")
        .snapshot;
    let flat = burgee_core::load_value(flat())
        .expect("loads")
        .compile("production")
        .snapshot;
    let outsider = serde_json::json!({"targetingKey": "u", "plan": "free"});
    let (in_ladders, in_flat) = (ladders.context(&outsider), flat.context(&outsider));
    let mut group = c.benchmark_group("graphs (64 nodes; the ladders have 2^32 paths)");
    for (name, snapshot, context, flag) in [
        (
            "segments: ladder of diamonds, no member",
            &ladders,
            &in_ladders,
            "segment-ladder",
        ),
        (
            "segments: 64 named directly, no member",
            &flat,
            &in_flat,
            "segment-flat",
        ),
        (
            "prerequisites: ladder of diamonds, all on",
            &ladders,
            &in_ladders,
            "p00a",
        ),
        (
            "prerequisites: 64 required directly, all on",
            &flat,
            &in_flat,
            "prerequisite-flat",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(snapshot.evaluate(black_box(flag), context, NOW, None)))
        });
    }
    group.finish();
}

criterion_group!(benchmarks, benches);
criterion_main!(benchmarks);
