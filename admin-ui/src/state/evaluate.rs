//! "Evaluate as": a context in, every flag's result out, computed here by the same core the
//! edge runs, in the same JSON shape (`Detail::write_json`), so the page and the edge's
//! answers can be compared field by field.

use std::collections::BTreeMap;

use burgee_core::model::Document;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One flag's result: `{ value, variant, reason, ruleId?, errorCode?, errorMessage?,
/// prerequisite? }`, from the core here or from the store's `POST /api/v1/evaluate`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    #[serde(default)]
    pub value: Value,
    #[serde(default)]
    pub variant: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub prerequisite: Option<String>,
}

/// Every flag of one environment for one context, by key.
pub fn evaluate_all(
    document: &Document,
    environment: &str,
    context: &Value,
    now: i64,
) -> BTreeMap<String, Outcome> {
    let compilation = burgee_core::compile(document, environment);
    let snapshot = &compilation.snapshot;
    let bound = snapshot.context(context);
    let mut out = BTreeMap::new();
    let mut json = String::new();
    for (key, detail) in snapshot.evaluate_all(&bound, now) {
        json.clear();
        detail.write_json(&mut json, key, false, "null");
        if let Ok(outcome) = serde_json::from_str::<Outcome>(&json) {
            out.insert(key.to_string(), outcome);
        }
    }
    out
}

/// Keys whose results differ between two evaluations (value, variant, reason or rule).
pub fn differences(
    here: &BTreeMap<String, Outcome>,
    there: &BTreeMap<String, Outcome>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = here.keys().chain(there.keys()).collect();
    keys.into_iter()
        .filter(|k| {
            let (a, b) = (here.get(*k), there.get(*k));
            match (a, b) {
                (Some(a), Some(b)) => {
                    a.variant != b.variant
                        || a.reason != b.reason
                        || a.rule_id != b.rule_id
                        || !same_json(&a.value, &b.value)
                }
                _ => true,
            }
        })
        .cloned()
        .collect()
}

/// JSON equality with numbers compared as numbers (`1` = `1.0`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// One attribute of the context form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// JSON when it reads as JSON (`42`, `true`, `["a"]`, `"7"`), otherwise text.
    pub value: String,
}

/// The context a form describes. `targetingKey` is always text.
pub fn context_from_fields(targeting_key: &str, fields: &[Field]) -> Value {
    let mut object = Map::new();
    if !targeting_key.is_empty() {
        object.insert("targetingKey".into(), Value::String(targeting_key.into()));
    }
    for f in fields {
        let name = f.name.trim();
        if name.is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Value>(f.value.trim()) {
            Ok(v) if !f.value.trim().is_empty() => v,
            _ => Value::String(f.value.clone()),
        };
        object.insert(name.into(), value);
    }
    Value::Object(object)
}

/// The form for a context (the inverse of [`context_from_fields`] for objects).
pub fn fields_from_context(context: &Value) -> (String, Vec<Field>) {
    let Some(object) = context.as_object() else {
        return (String::new(), Vec::new());
    };
    let key = object
        .get("targetingKey")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let fields = object
        .iter()
        .filter(|(k, v)| !(k.as_str() == "targetingKey" && v.is_string()))
        .map(|(k, v)| Field {
            name: k.clone(),
            value: match v {
                Value::String(s)
                    if serde_json::from_str::<Value>(s).is_err() || s.trim().is_empty() =>
                {
                    s.clone()
                }
                other => other.to_string(),
            },
        })
        .collect();
    (key, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> Document {
        burgee_core::load(include_str!("../../../examples/tasks-app.json"))
            .unwrap()
            .document
    }

    #[test]
    fn every_flag_gets_a_result_like_the_edge() {
        let doc = example();
        let results = evaluate_all(
            &doc,
            "production",
            &json!({"targetingKey": "user-1", "role": "admin"}),
            1_796_720_400_000,
        );
        assert_eq!(results.len(), doc.flags.len());
        for (key, r) in &results {
            assert!(
                [
                    "STATIC",
                    "DEFAULT",
                    "TARGETING_MATCH",
                    "SPLIT",
                    "DISABLED",
                    "PREREQUISITE_FAILED",
                    "ERROR"
                ]
                .contains(&r.reason.as_str()),
                "{key}: {r:?}"
            );
        }
        let bad = evaluate_all(&doc, "production", &json!([1]), 0);
        assert!(
            bad.values()
                .all(|r| r.error_code.as_deref() == Some("INVALID_CONTEXT"))
        );
    }

    #[test]
    fn differences_compare_numbers_as_numbers() {
        let a: BTreeMap<String, Outcome> = serde_json::from_value(json!({
            "x": {"value": 1, "variant": "a", "reason": "STATIC"},
            "y": {"value": true, "variant": "on", "reason": "SPLIT", "ruleId": "r"}
        }))
        .unwrap();
        let mut b = a.clone();
        b.get_mut("x").unwrap().value = json!(1.0);
        assert!(differences(&a, &b).is_empty());
        b.get_mut("y").unwrap().rule_id = None;
        assert_eq!(differences(&a, &b), vec!["y".to_string()]);
    }

    #[test]
    fn forms_and_json_convert() {
        let fields = vec![
            Field {
                name: "plan".into(),
                value: "pro".into(),
            },
            Field {
                name: "age".into(),
                value: "42".into(),
            },
            Field {
                name: "beta".into(),
                value: "true".into(),
            },
            Field {
                name: "id".into(),
                value: "\"7\"".into(),
            },
            Field {
                name: " ".into(),
                value: "ignored".into(),
            },
        ];
        let ctx = context_from_fields("u1", &fields);
        assert_eq!(
            ctx,
            json!({"targetingKey": "u1", "plan": "pro", "age": 42, "beta": true, "id": "7"})
        );
        let (key, back) = fields_from_context(&ctx);
        assert_eq!(key, "u1");
        assert_eq!(context_from_fields(&key, &back), ctx);
    }
}
