//! Invariants over arbitrary input: the core never panics, always answers well-formed results,
//! and a user's bucket depends on nothing but the salt and the bucketBy value.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use burgee_core::{Snapshot, ValueType, load, load_value, murmur3, validate};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const OPS: &[&str] = &[
    "in",
    "startsWith",
    "endsWith",
    "contains",
    "eq",
    "lt",
    "lte",
    "gt",
    "gte",
    "semverEq",
    "semverLt",
    "semverLte",
    "semverGt",
    "semverGte",
    "before",
    "after",
    "inSegment",
    "exists",
    "matches",
    "",
];
const ATTRIBUTES: &[&str] = &[
    "targetingKey",
    "userId",
    "role",
    "email",
    "plan",
    "org.id",
    "appVersion",
    "age",
    "$now",
    "tags",
    "country",
];
const WORDS: &[&str] = &[
    "on",
    "off",
    "a",
    "b",
    "admin",
    "user-1",
    "",
    "2026-12-01T09:00:00Z",
    "1.2.3",
    "v2.0.0-rc.1",
    "@example.com",
    "f0",
    "f1",
    "s0",
    "s1",
    "prod",
    "dev",
    "ü",
    "日本",
    "not a date",
    "9999-99-99",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(String::from),
        1 => any::<String>(),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|n| json!(n)),
        prop::sample::select(&[0.0, 1.0, -1.0, 25.0, 100.0, 1e300][..]).prop_map(|n| json!(n)),
        word().prop_map(Value::String),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    4 => prop::sample::select(ATTRIBUTES).prop_map(String::from),
                    4 => prop::sample::select(&[
                        "kind", "variants", "environments", "enabled", "rules", "clauses",
                        "serve", "variant", "rollout", "weights", "weight", "defaultServe",
                        "schedule", "at", "offVariant", "targets", "values", "op", "attribute",
                        "prerequisites", "flag", "segments", "include", "exclude", "flags",
                        "negate", "bucketBy", "salt",
                    ][..]).prop_map(String::from),
                    1 => word(),
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Sometimes a well-formed piece, sometimes anything at all.
fn or_garbage(s: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop_oneof![8 => s, 1 => any_json()]
}

fn clause() -> impl Strategy<Value = Value> {
    or_garbage(
        (
            prop::sample::select(ATTRIBUTES),
            prop::sample::select(OPS),
            prop::collection::vec(scalar(), 0..4),
            any::<bool>(),
        )
            .prop_map(|(attribute, op, values, negate)| {
                json!({"attribute": attribute, "op": op, "values": values, "negate": negate})
            }),
    )
}

fn serve() -> impl Strategy<Value = Value> {
    or_garbage(prop_oneof![
        word().prop_map(|v| json!({"variant": v})),
        (
            prop::collection::vec((word(), -5i64..120), 0..4),
            prop::option::of(prop::sample::select(ATTRIBUTES)),
            prop::option::of(word()),
        )
            .prop_map(|(weights, bucket_by, salt)| {
                let weights: Vec<Value> = weights
                    .into_iter()
                    .map(|(v, w)| json!({"variant": v, "weight": w}))
                    .collect();
                let mut rollout = json!({"weights": weights});
                if let Some(b) = bucket_by {
                    rollout["bucketBy"] = json!(b);
                }
                if let Some(s) = salt {
                    rollout["salt"] = json!(s);
                }
                json!({"rollout": rollout})
            }),
    ])
}

fn settings() -> impl Strategy<Value = Value> {
    or_garbage(
        (
            any::<bool>(),
            word(),
            prop::collection::vec((prop::collection::vec(scalar(), 0..3), word()), 0..3),
            prop::collection::vec((prop::collection::vec(clause(), 0..3), serve()), 0..4),
            serve(),
            prop::collection::vec((word(), serve()), 0..3),
        )
            .prop_map(|(enabled, off, targets, rules, default, schedule)| {
                let targets: Vec<Value> = targets
                    .into_iter()
                    .map(|(values, variant)| json!({"values": values, "variant": variant}))
                    .collect();
                let rules: Vec<Value> = rules
                    .into_iter()
                    .enumerate()
                    .map(|(i, (clauses, serve))| json!({"id": format!("r{}", i % 3), "clauses": clauses, "serve": serve}))
                    .collect();
                let schedule: Vec<Value> = schedule
                    .into_iter()
                    .map(|(at, serve)| json!({"at": at, "defaultServe": serve}))
                    .collect();
                json!({"enabled": enabled, "offVariant": off, "targets": targets,
                       "rules": rules, "defaultServe": default, "schedule": schedule})
            }),
    )
}

fn flag() -> impl Strategy<Value = Value> {
    or_garbage(
        (
            prop::sample::select(&["boolean", "string", "number", "json", "bool"][..]),
            prop::collection::btree_map(word(), scalar(), 0..4),
            prop::collection::vec(
                (prop::sample::select(&["f0", "f1", "f2", "f3"][..]), word()),
                0..3,
            ),
            prop::collection::btree_map(
                prop::sample::select(&["prod", "dev", "qa"][..]),
                settings(),
                0..3,
            ),
        )
            .prop_map(|(kind, variants, prerequisites, environments)| {
                let prerequisites: Vec<Value> = prerequisites
                    .into_iter()
                    .map(|(flag, variant)| json!({"flag": flag, "variant": variant}))
                    .collect();
                json!({"kind": kind, "variants": variants, "prerequisites": prerequisites,
                       "environments": environments})
            }),
    )
}

fn segment() -> impl Strategy<Value = Value> {
    or_garbage(
        (
            prop::collection::vec(word(), 0..3),
            prop::collection::vec(word(), 0..3),
            prop::collection::vec(prop::collection::vec(clause(), 0..3), 0..3),
        )
            .prop_map(|(include, exclude, rules)| {
                let rules: Vec<Value> = rules.into_iter().map(|c| json!({"clauses": c})).collect();
                json!({"include": include, "exclude": exclude, "rules": rules})
            }),
    )
}

fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (
            prop::collection::vec(prop::sample::select(&["prod", "dev", "prod"][..]), 0..3),
            prop::collection::btree_map(prop::sample::select(&["s0", "s1", "s2"][..]), segment(), 0..3),
            prop::collection::btree_map(prop::sample::select(&["f0", "f1", "f2", "f3"][..]), flag(), 0..5),
        )
            .prop_map(|(envs, segments, flags)| json!({"environments": envs, "segments": segments, "flags": flags})),
        1 => any_json(),
    ]
}

fn context() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::collection::btree_map(
            prop::sample::select(ATTRIBUTES).prop_map(String::from),
            prop_oneof![3 => scalar(), 1 => any_json()],
            0..6,
        )
        .prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => any_json(),
    ]
}

fn exercise(doc: &Value, contexts: &[Value], now: i64) {
    let loaded = match load_value(doc.clone()) {
        Ok(l) => l,
        Err(_) => {
            assert!(!doc.is_object(), "only non-objects are refused outright");
            return;
        }
    };
    assert_eq!(Some(&loaded), load(&doc.to_string()).ok().as_ref());
    let _ = loaded.validate();
    let _ = validate(&loaded.document);
    let mut envs: Vec<String> = loaded.document.environments.clone();
    envs.push("nowhere".into());
    for env in &envs {
        let compilation = loaded.compile(env);
        let snapshot = &compilation.snapshot;
        let mut manifest = String::new();
        snapshot.write_manifest(&mut manifest);
        let manifest: Value = serde_json::from_str(&manifest).expect("the manifest is JSON");
        assert_eq!(
            manifest["flags"].as_array().map(Vec::len),
            Some(snapshot.len())
        );
        let bytes = snapshot.encode();
        assert_eq!(
            Snapshot::decode(&bytes).as_ref(),
            Ok(snapshot),
            "binary round trip"
        );
        let mut keys: Vec<String> = snapshot.flag_keys().map(String::from).collect();
        keys.push("no-such-flag".into());
        for ctx in contexts {
            let context = snapshot.context(ctx);
            for key in &keys {
                for expected in [None, Some(ValueType::Boolean), Some(ValueType::Object)] {
                    let detail = snapshot.evaluate(key, &context, now, expected);
                    assert_eq!(
                        detail.error().is_some(),
                        detail.reason().as_str() == "ERROR"
                    );
                    let mut out = String::new();
                    detail.write_json(&mut out, key, true, "{\"d\":[1]}");
                    let parsed: Value = serde_json::from_str(&out)
                        .unwrap_or_else(|e| panic!("result is not JSON ({e}): {out}"));
                    assert!(parsed.get("value").is_some() && parsed.get("reason").is_some());
                }
            }
            // A flag bindings answer without evaluating answers what evaluation would.
            for (i, key) in snapshot.flag_keys().enumerate() {
                let detail = snapshot.evaluate(key, &context, now, None);
                if let Some(fixed) = snapshot.static_outcome(i)
                    && detail.error_code() != Some(burgee_core::ErrorCode::InvalidContext)
                {
                    assert_eq!(fixed, detail.outcome(), "{key}");
                }
            }
            // Bulk evaluation (which remembers clause verdicts) agrees with one-by-one.
            let bulk: Vec<_> = snapshot
                .evaluate_all(&context, now)
                .map(|(k, d)| (k.to_string(), d.outcome()))
                .collect();
            assert_eq!(bulk.len(), snapshot.len());
            for (key, outcome) in bulk {
                assert_eq!(
                    outcome,
                    snapshot.evaluate(&key, &context, now, None).outcome(),
                    "{key}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Decoding never panics: not on noise, not on a real snapshot with bytes flipped, cut or
    /// appended.
    #[test]
    fn decoding_garbage_never_panics(
        doc in document(),
        noise in prop::collection::vec(any::<u8>(), 0..200),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let _ = Snapshot::decode(&noise);
        let mut magic_noise = b"BRG1".to_vec();
        magic_noise.extend_from_slice(&noise);
        let _ = Snapshot::decode(&magic_noise);
        if let Ok(loaded) = load_value(doc) {
            let env = loaded.document.environments.first().cloned().unwrap_or_default();
            let bytes = loaded.compile(&env).snapshot.encode();
            let mut flipped = bytes.clone();
            for (i, b) in &flips {
                let at = i.index(flipped.len());
                flipped[at] ^= b | 1;
            }
            if let Ok(s) = Snapshot::decode(&flipped) {
                // Whatever decodes must evaluate without panicking.
                let ctx = s.context(&json!({"targetingKey": "u", "role": "admin"}));
                for (_, d) in s.evaluate_all(&ctx, 0) {
                    let mut out = String::new();
                    d.write_json(&mut out, "k", true, "null");
                }
            }
            let _ = Snapshot::decode(&bytes[..cut.index(bytes.len() + 1)]);
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(Snapshot::decode(&longer).is_err());
        }
    }

    /// Arbitrary documents, contexts and times: loading, validation, compilation and
    /// evaluation never panic, and every result is well-formed JSON.
    #[test]
    fn never_panics(doc in document(), contexts in prop::collection::vec(context(), 1..4), now in any::<i64>()) {
        exercise(&doc, &contexts, now);
    }

    /// A user's variant in a rollout is the pinned formula of salt and bucketBy value alone:
    /// other attributes, other flags, segments, the environment's name and the document version
    /// change nothing.
    #[test]
    fn bucket_depends_only_on_salt_and_value(
        key in "[a-z][a-z0-9_-]{0,20}",
        salt in prop::option::of(any::<String>()),
        weights in prop::collection::vec(0u32..1000, 1..5),
        id in any::<String>(),
        extra in prop::collection::btree_map("[a-z]{1,8}", scalar(), 0..6),
        others in prop::collection::btree_map(prop::sample::select(&["f0", "f1", "f2"][..]), flag(), 0..3),
        env in "[a-z]{1,10}",
        version in any::<u64>(),
    ) {
        prop_assume!(weights.iter().sum::<u32>() > 0);
        let variants: Map<String, Value> = (0..weights.len()).map(|i| (format!("v{i}"), json!(i))).collect();
        let mut rollout = json!({"weights": weights.iter().enumerate()
            .map(|(i, w)| json!({"variant": format!("v{i}"), "weight": w})).collect::<Vec<_>>()});
        if let Some(s) = &salt {
            rollout["salt"] = json!(s);
        }
        let flag = json!({"kind": "number", "variants": variants,
            "environments": {env.clone(): {"enabled": true, "offVariant": "v0", "defaultServe": {"rollout": rollout}}}});

        let alone = json!({"environments": [env.clone()], "flags": {key.clone(): flag.clone()}});
        let mut crowded_flags: Map<String, Value> = others.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        crowded_flags.insert(key.clone(), flag);
        let crowded = json!({"version": version, "environments": ["zz", env.clone()],
            "segments": {"s0": {"include": [id.clone()]}}, "flags": crowded_flags});

        let mut rich: Map<String, Value> = extra.into_iter().collect();
        rich.insert("targetingKey".into(), json!(id));
        let plain = json!({"targetingKey": id});

        let total: u32 = weights.iter().sum();
        let bucket = murmur3::bucket(salt.as_deref().unwrap_or(&key), &id, total);
        let mut sum = 0;
        let expected = weights.iter().position(|w| { sum += w; sum > bucket }).map(|i| format!("v{i}"));

        for (doc, ctx) in [(alone, plain), (crowded, Value::Object(rich))] {
            let snapshot = load_value(doc).unwrap().compile(&env).snapshot;
            let context = snapshot.context(&ctx);
            let detail = snapshot.evaluate(&key, &context, 0, None);
            prop_assert_eq!(detail.variant_name().map(String::from), expected.clone());
        }
    }
}
