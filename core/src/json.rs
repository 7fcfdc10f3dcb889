//! JSON the way Burgee means it, written once for every host.
//!
//! A result's JSON shape, what "the same JSON value" means (`1` equals `1.0`), RFC 7396 merge
//! patches and the structural diff between two documents are decisions the CLI, the edge
//! worker, the control plane and the admin app must never make differently, so they live here
//! beside the evaluator rather than in each binding.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::detail::Detail;
use crate::pointer::push_escaped;

/// One flag's result as JSON: `{"flag"?, "enabled"?, "value", "variant", "reason", "ruleId"?,
/// "errorCode"?, "errorMessage"?, "prerequisite"?}`. [`Detail::write_json`] writes this shape
/// without building a value (the fast path every evaluation route takes); this type reads it
/// back, for hosts that compare or display results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// For boolean values only, on the REST routes (`"enabled": true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub value: Value,
    /// `null` when the caller's default was served.
    #[serde(default)]
    pub variant: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerequisite: Option<String>,
}

impl EvaluationResult {
    /// The result of `detail` for `flag`, `default` standing in for the value when no variant is
    /// served. The same fields as [`Detail::write_json`] with [`ResultFields::BARE`].
    pub fn of(detail: &Detail<'_>, flag: &str, default: &Value) -> EvaluationResult {
        let mut text = String::new();
        let default_text = serde_json::to_string(default).unwrap_or_else(|_| "null".into());
        detail.write_json(&mut text, flag, false, &default_text);
        serde_json::from_str(&text).unwrap_or_default()
    }

    /// Whether two results say the same thing: value (as [`same_json`]), variant, reason, rule.
    pub fn same_answer(&self, other: &EvaluationResult) -> bool {
        self.variant == other.variant
            && self.reason == other.reason
            && self.rule_id == other.rule_id
            && same_json(&self.value, &other.value)
    }
}

/// Which optional members [`Detail::write_json_with`] writes besides the result itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultFields {
    /// `"flag": key`, first.
    pub flag: bool,
    /// `"enabled": bool` when the value is a boolean (the REST routes).
    pub enabled: bool,
}

impl ResultFields {
    pub const BARE: ResultFields = ResultFields {
        flag: false,
        enabled: false,
    };
    pub const WITH_FLAG: ResultFields = ResultFields {
        flag: true,
        enabled: false,
    };
    pub const REST: ResultFields = ResultFields {
        flag: true,
        enabled: true,
    };
}

/// JSON equality with numbers compared as numbers: `1` equals `1.0`, as in the `in` operator and
/// the behaviour corpus.
pub fn same_json(a: &Value, b: &Value) -> bool {
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

/// Applies a JSON Merge Patch (RFC 7396) to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(target) = target.as_object_mut() {
                for (key, value) in fields {
                    if value.is_null() {
                        target.remove(key);
                    } else {
                        merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// How a member differs between two JSON values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffOp {
    Add,
    Remove,
    Replace,
}

/// One difference: the JSON Pointer (RFC 6901) of the member, and its values before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonChange {
    pub pointer: String,
    pub op: DiffOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// The structural diff of two JSON values, in pointer order. Objects are compared member by
/// member; arrays and scalars whole (a rule list that changed is one replacement).
pub fn diff(before: &Value, after: &Value) -> Vec<JsonChange> {
    let mut out = Vec::new();
    diff_at(&mut String::new(), before, after, &mut out);
    out
}

fn diff_at(pointer: &mut String, before: &Value, after: &Value, out: &mut Vec<JsonChange>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let len = pointer.len();
                pointer.push('/');
                push_escaped(pointer, key);
                let change = |op, before: Option<&Value>, after: Option<&Value>| JsonChange {
                    pointer: pointer.clone(),
                    op,
                    before: before.cloned(),
                    after: after.cloned(),
                };
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_at(pointer, x, y, out),
                    (Some(x), None) => out.push(change(DiffOp::Remove, Some(x), None)),
                    (None, Some(y)) => out.push(change(DiffOp::Add, None, Some(y))),
                    (None, None) => {}
                }
                pointer.truncate(len);
            }
        }
        (x, y) if x != y => out.push(JsonChange {
            pointer: pointer.clone(),
            op: DiffOp::Replace,
            before: Some(x.clone()),
            after: Some(y.clone()),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_equal_as_numbers() {
        assert!(same_json(&json!(1), &json!(1.0)));
        assert!(same_json(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!same_json(&json!("1"), &json!(1)));
        assert!(!same_json(&json!([1]), &json!([1, 1])));
        assert!(!same_json(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1, 2]});
        merge_patch(&mut t, &json!({"a": [3], "b": {"x": 1}}));
        assert_eq!(t, json!({"a": [3], "b": {"x": 1}}));
        let mut t = json!([1]);
        merge_patch(&mut t, &json!({"a": 1}));
        assert_eq!(t, json!({"a": 1}));
    }

    #[cfg(feature = "compile")]
    #[test]
    fn the_written_shape_reads_back_whole() {
        let doc = json!({"environments": ["p"], "flags": {
            "b": {"kind": "boolean", "variants": {"on": true, "off": false},
                  "environments": {"p": {"enabled": true, "rules": [{"id": "r1", "clauses": [],
                  "serve": {"variant": "on"}}], "defaultServe": {"variant": "off"}}}},
            "n": {"kind": "number", "variants": {"one": 1.5},
                  "environments": {"p": {"enabled": true, "defaultServe": {"variant": "one"}}}}}});
        let snapshot = crate::load_value(doc).unwrap().compile("p").snapshot;
        let context = snapshot.context(&json!({"targetingKey": "u"}));
        for (key, fields) in [
            ("b", ResultFields::REST),
            ("n", ResultFields::REST),
            ("missing", ResultFields::WITH_FLAG),
            ("b", ResultFields::BARE),
        ] {
            let detail = snapshot.evaluate(key, &context, 0, None);
            let mut text = String::new();
            detail.write_json_with(&mut text, key, fields, "\"dflt\"");
            let written: Value = serde_json::from_str(&text).unwrap();
            let read: EvaluationResult = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_value(&read).unwrap(), written, "{text}");
            assert_eq!(
                read.enabled.is_some(),
                key == "b" && fields.enabled,
                "{text}"
            );
        }
        let detail = snapshot.evaluate("b", &context, 0, None);
        let result = EvaluationResult::of(&detail, "b", &Value::Null);
        assert_eq!(
            (
                result.value,
                result.rule_id.as_deref(),
                result.reason.as_str()
            ),
            (json!(true), Some("r1"), "TARGETING_MATCH")
        );
    }

    #[test]
    fn diffs_name_pointers() {
        let d = diff(
            &json!({"flags": {"a/b": {"x": 1}, "gone": 1}}),
            &json!({"flags": {"a/b": {"x": 2}, "new~": [1]}}),
        );
        let seen: Vec<(&str, DiffOp)> = d.iter().map(|c| (c.pointer.as_str(), c.op)).collect();
        assert_eq!(
            seen,
            [
                ("/flags/a~1b/x", DiffOp::Replace),
                ("/flags/gone", DiffOp::Remove),
                ("/flags/new~0", DiffOp::Add)
            ]
        );
        assert_eq!(
            serde_json::to_value(&d[0]).unwrap(),
            json!({"pointer": "/flags/a~1b/x", "op": "replace", "before": 1, "after": 2})
        );
    }
}
