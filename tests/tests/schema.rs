//! The published JSON Schema accepts the example and every corpus document, and rejects what
//! the validator calls structurally wrong.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use burgee_tests::{eval_files, validation};
use serde_json::{Value, json};

const SCHEMA: &str = include_str!("../../schema/burgee.schema.json");
const EXAMPLE: &str = include_str!("../../examples/tasks-app.json");

fn validator() -> (boon::Schemas, boon::SchemaIndex) {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler
        .add_resource("burgee.schema.json", schema)
        .expect("schema resource");
    let index = compiler
        .compile("burgee.schema.json", &mut schemas)
        .expect("schema compiles");
    (schemas, index)
}

fn check(schemas: &boon::Schemas, index: boon::SchemaIndex, doc: &Value) -> Result<(), String> {
    schemas.validate(doc, index).map_err(|e| format!("{e:#}"))
}

#[test]
fn example_and_corpus_documents_conform() {
    let (schemas, index) = validator();
    let example: Value = serde_json::from_str(EXAMPLE).expect("example is JSON");
    check(&schemas, index, &example).expect("examples/tasks-app.json");
    let mut checked = 1;
    for (name, file) in eval_files() {
        if file.document_has_errors {
            continue;
        }
        if let Err(e) = check(&schemas, index, &file.document) {
            panic!("{name}: {e}");
        }
        checked += 1;
    }
    assert!(checked > 5, "only {checked} documents checked");
}

#[test]
fn clean_validation_documents_conform() {
    let (schemas, index) = validator();
    for case in validation().cases {
        let clean = case.expect.iter().all(|d| d.severity == "warning");
        if let (true, Some(doc)) = (clean, &case.document)
            && let Err(e) = check(&schemas, index, doc)
        {
            panic!(
                "{}: a document the validator accepts is refused by the schema: {e}",
                case.id
            );
        }
    }
}

#[test]
fn structural_mistakes_are_refused() {
    let (schemas, index) = validator();
    let base = |flag: Value| json!({"environments": ["prod"], "flags": {"f": flag}});
    let bad = [
        base(json!({"kind": "bool", "variants": {"on": true}})),
        base(json!({"variants": {"on": true}})),
        base(
            json!({"kind": "boolean", "variants": {"on": true}, "environments": {"prod": {"enabled": "yes"}}}),
        ),
        base(
            json!({"kind": "boolean", "variants": {"on": true}, "environments": {"prod": {"rules": [{"clauses": [{"attribute": "a", "op": "like", "values": ["x"]}], "serve": {"variant": "on"}}]}}}),
        ),
        base(
            json!({"kind": "boolean", "variants": {"on": true}, "environments": {"prod": {"defaultServe": {"variant": "on", "rollout": {"weights": [{"variant": "on", "weight": 1}]}}}}}),
        ),
        base(
            json!({"kind": "boolean", "variants": {"on": true}, "environments": {"prod": {"defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": -1}]}}}}}),
        ),
        base(json!({"kind": "boolean", "variants": {"on": true}, "lifecycle": "forever"})),
        base(json!({"kind": "boolean", "variants": {"on": true}, "expectedLifetimeDays": 0})),
        base(
            json!({"kind": "boolean", "variants": {"on": true}, "experiment": {"events": ["buy", "buy"]}}),
        ),
        base(
            json!({"kind": "boolean", "variants": {"on": true}, "experiment": {"events": [" buy"]}}),
        ),
        json!({"environments": ["prod"], "flags": {"bad key": {"kind": "boolean", "variants": {"on": true}}}}),
        json!({"flags": {}}),
    ];
    for doc in bad {
        assert!(
            check(&schemas, index, &doc).is_err(),
            "schema accepted {doc}"
        );
    }
}
