//! "Evaluate as": a context in, every flag's result out, computed here by the same core the
//! edge runs, in the same shape ([`EvaluationResult`]), so that the page and the store's answers
//! can be compared field by field.

use std::collections::BTreeMap;

use burgee_core::EvaluationResult;
use burgee_core::model::Document;
use serde_json::{Map, Value};

use super::json_errors::describe;
use super::values::tidy_numbers;

/// Every flag of one environment for one context, by key.
pub fn evaluate_all(
    document: &Document,
    environment: &str,
    context: &Value,
    now: i64,
) -> BTreeMap<String, EvaluationResult> {
    let compilation = burgee_core::compile(document, environment);
    let snapshot = &compilation.snapshot;
    let bound = snapshot.context(context);
    let mut out = BTreeMap::new();
    for (key, detail) in snapshot.evaluate_all(&bound, now) {
        out.insert(
            key.to_string(),
            EvaluationResult::of(&detail, key, &Value::Null),
        );
    }
    out
}

/// Keys whose results differ between two evaluations (value, variant, reason or rule).
pub fn differences(
    here: &BTreeMap<String, EvaluationResult>,
    there: &BTreeMap<String, EvaluationResult>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = here.keys().chain(there.keys()).collect();
    keys.into_iter()
        .filter(|k| match (here.get(*k), there.get(*k)) {
            (Some(a), Some(b)) => !a.same_answer(b),
            _ => true,
        })
        .cloned()
        .collect()
}

/// How the form reads an attribute's value. Nothing is guessed: `5120` typed as text is the
/// string an app would send as text, which is what a target list of ids matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldKind {
    #[default]
    Text,
    Number,
    Boolean,
    /// Any JSON: a list (`["a","b"]`), an object (for dotted attributes), `null`.
    Json,
}

impl FieldKind {
    pub const ALL: [FieldKind; 4] = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Boolean,
        FieldKind::Json,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Boolean => "true/false",
            FieldKind::Json => "JSON",
        }
    }

    pub fn parse(text: &str) -> FieldKind {
        FieldKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .unwrap_or_default()
    }

    /// The kind a context's value is shown as.
    fn of(value: &Value) -> FieldKind {
        match value {
            Value::String(_) => FieldKind::Text,
            Value::Number(_) => FieldKind::Number,
            Value::Bool(_) => FieldKind::Boolean,
            _ => FieldKind::Json,
        }
    }
}

/// One attribute of the context form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    pub value: String,
}

impl Field {
    pub fn new(name: &str, kind: FieldKind, value: &str) -> Field {
        Field {
            name: name.into(),
            kind,
            value: value.into(),
        }
    }

    /// The value as its kind says, or what is wrong with it.
    fn read(&self) -> Result<Value, String> {
        let text = self.value.trim();
        match self.kind {
            FieldKind::Text => Ok(Value::String(self.value.clone())),
            FieldKind::Number => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .and_then(|_| serde_json::from_str::<Value>(text).ok())
                .filter(Value::is_number)
                .map(tidy_numbers)
                .ok_or_else(|| format!("`{text}` is not a number, such as 42 or 0.5")),
            FieldKind::Boolean => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("write true or false".into()),
            },
            FieldKind::Json => serde_json::from_str::<Value>(text)
                .map(tidy_numbers)
                .map_err(|e| describe(&e)),
        }
    }
}

/// A problem with one row of the form (`row` counts from 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub row: usize,
    pub message: String,
}

/// The context a form describes, or every row's problem. `targetingKey` is the form's own
/// field and always text; rows without a name are ignored.
pub fn context_from_fields(
    targeting_key: &str,
    fields: &[Field],
) -> Result<Value, Vec<FieldError>> {
    let mut object = Map::new();
    if !targeting_key.is_empty() {
        object.insert("targetingKey".into(), Value::String(targeting_key.into()));
    }
    let mut errors = Vec::new();
    for (row, f) in fields.iter().enumerate() {
        let name = f.name.trim();
        if name.is_empty() {
            continue;
        }
        let problem = if name == "targetingKey" {
            Err("the targeting key has its own field above".to_string())
        } else if fields[..row].iter().any(|g| g.name.trim() == name) {
            Err(format!("`{name}` is set in an earlier row"))
        } else {
            f.read()
        };
        match problem {
            Ok(value) => {
                object.insert(name.into(), value);
            }
            Err(message) => errors.push(FieldError { row, message }),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(object))
    } else {
        Err(errors)
    }
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
            kind: FieldKind::of(v),
            value: match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        })
        .collect();
    (key, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::example;
    use burgee_core::{ErrorCode, Reason};
    use serde_json::json;

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
                Reason::ALL.iter().any(|reason| reason.as_str() == r.reason),
                "{key}: {r:?}"
            );
            assert_eq!(r.flag, None, "{key}: the bare shape");
        }
        let bad = evaluate_all(&doc, "production", &json!([1]), 0);
        let invalid = ErrorCode::InvalidContext.as_str();
        assert!(
            bad.values()
                .all(|r| r.error_code.as_deref() == Some(invalid))
        );
    }

    #[test]
    fn differences_compare_numbers_as_numbers() {
        let a: BTreeMap<String, EvaluationResult> = serde_json::from_value(json!({
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
            Field::new("plan", FieldKind::Text, "pro"),
            Field::new("orgId", FieldKind::Text, "5120"),
            Field::new("age", FieldKind::Number, " 42 "),
            Field::new("beta", FieldKind::Boolean, "true"),
            Field::new("groups", FieldKind::Json, r#"["a","b"]"#),
            Field::new("org", FieldKind::Json, r#"{"id":"o1"}"#),
            Field::new(" ", FieldKind::Number, "ignored"),
        ];
        let ctx = context_from_fields("u1", &fields).unwrap();
        assert_eq!(
            ctx,
            json!({"targetingKey": "u1", "plan": "pro", "orgId": "5120", "age": 42, "beta": true,
                   "groups": ["a", "b"], "org": {"id": "o1"}})
        );
        let (key, back) = fields_from_context(&ctx);
        assert_eq!(key, "u1");
        let field = |name: &str| back.iter().find(|f| f.name == name).cloned();
        assert_eq!(
            field("groups"),
            Some(Field::new("groups", FieldKind::Json, r#"["a","b"]"#))
        );
        assert_eq!(
            field("orgId"),
            Some(Field::new("orgId", FieldKind::Text, "5120"))
        );
        assert_eq!(
            field("age"),
            Some(Field::new("age", FieldKind::Number, "42"))
        );
        assert_eq!(context_from_fields(&key, &back).unwrap(), ctx);
    }

    #[test]
    fn a_form_says_which_row_is_wrong() {
        let fields = vec![
            Field::new("age", FieldKind::Number, "forty"),
            Field::new("beta", FieldKind::Boolean, "yes"),
            Field::new("targetingKey", FieldKind::Text, "u2"),
            Field::new("plan", FieldKind::Text, "pro"),
            Field::new("plan", FieldKind::Text, "free"),
            Field::new("list", FieldKind::Json, "[1,"),
            Field::new("big", FieldKind::Number, "1e999"),
        ];
        let errors = context_from_fields("u1", &fields).unwrap_err();
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, [0, 1, 2, 4, 5, 6]);
        assert!(errors[0].message.contains("not a number"));
        assert!(errors[2].message.contains("its own field"));
        assert!(errors[3].message.contains("earlier row"));
        assert!(errors[4].message.starts_with("not valid JSON"));
    }

    #[test]
    fn kinds_read_back_from_their_names() {
        for k in FieldKind::ALL {
            assert_eq!(FieldKind::parse(k.as_str()), k);
        }
    }
}
