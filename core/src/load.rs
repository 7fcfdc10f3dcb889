//! Reading a document tolerantly: one flag with a wrong-typed field must not fail the others.
//!
//! The document is read as JSON once, then each flag and segment is deserialized on its own,
//! with the path of any type error turned into a JSON Pointer. A flag that cannot be read is kept
//! by key as "broken", so it evaluates to `PARSE_ERROR` instead of vanishing into
//! `FLAG_NOT_FOUND`.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::Document;
use crate::pointer::push_escaped;

/// A document as read, with what could not be read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loaded {
    pub document: Document,
    /// Problems found while reading (wrong types, missing fields).
    pub diagnostics: Vec<Diagnostic>,
    /// Flags that could not be read, with the first problem; they evaluate to `PARSE_ERROR`.
    pub broken_flags: BTreeMap<String, String>,
    /// Segments that could not be read; nobody is a member.
    pub broken_segments: BTreeMap<String, String>,
}

impl Loaded {
    /// True when reading found no errors (validation may still find some).
    pub fn is_clean(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a document from JSON text. `Err` only when the text is not a JSON object at all.
pub fn load(text: &str) -> Result<Loaded, Diagnostic> {
    let value: Value = serde_json::from_str(text).map_err(|e| Diagnostic {
        severity: Severity::Error,
        code: Code::InvalidJson,
        pointer: String::new(),
        message: alloc::format!("the document is not valid JSON: {e}"),
    })?;
    load_value(value)
}

fn wrong_type(pointer: String, message: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: Code::WrongType,
        pointer,
        message: message.into(),
    }
}

/// Reads a document from parsed JSON. `Err` only when it is not a JSON object.
pub fn load_value(value: Value) -> Result<Loaded, Diagnostic> {
    let Value::Object(mut root) = value else {
        return Err(wrong_type(
            String::new(),
            "a Burgee document is a JSON object with `environments` and `flags`",
        ));
    };
    let mut loaded = Loaded::default();
    let flags = root.remove("flags");
    let segments = root.remove("segments");
    if flags.is_none() {
        loaded.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code: Code::MissingField,
            pointer: String::new(),
            message: "required field `flags` is missing".into(),
        });
    }
    root.insert("flags".into(), Value::Object(serde_json::Map::new()));
    let root = Value::Object(root);
    loaded.document = match read::<Document>(root.clone(), "") {
        Ok(document) => document,
        Err(diagnostic) => {
            loaded.diagnostics.push(diagnostic);
            salvage_top_level(&root)
        }
    };

    match segments {
        None | Some(Value::Null) => {}
        Some(Value::Object(segments)) => {
            for (key, value) in segments {
                let base = pointer_to("/segments/", &key);
                match read(value, &base) {
                    Ok(segment) => {
                        loaded.document.segments.insert(key, segment);
                    }
                    Err(d) => {
                        loaded.broken_segments.insert(key, first_line(&d));
                        loaded.diagnostics.push(d);
                    }
                }
            }
        }
        Some(_) => loaded.diagnostics.push(wrong_type(
            "/segments".into(),
            "`segments` must be an object of segments by key",
        )),
    }
    match flags {
        None => {}
        Some(Value::Object(flags)) => {
            for (key, value) in flags {
                let base = pointer_to("/flags/", &key);
                match read(value, &base) {
                    Ok(flag) => {
                        loaded.document.flags.insert(key, flag);
                    }
                    Err(d) => {
                        loaded.broken_flags.insert(key, first_line(&d));
                        loaded.diagnostics.push(d);
                    }
                }
            }
        }
        Some(_) => loaded.diagnostics.push(wrong_type(
            "/flags".into(),
            "`flags` must be an object of flags by key",
        )),
    }
    Ok(loaded)
}

/// When the top level does not read, keep whatever environments can be read so that flags
/// still compile.
fn salvage_top_level(root: &Value) -> Document {
    let environments = root
        .get("environments")
        .and_then(Value::as_array)
        .map(|envs| {
            envs.iter()
                .filter_map(|e| e.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Document {
        environments,
        ..Document::default()
    }
}

fn pointer_to(prefix: &str, key: &str) -> String {
    let mut p = String::from(prefix);
    push_escaped(&mut p, key);
    p
}

fn first_line(d: &Diagnostic) -> String {
    alloc::format!("{}: {}", d.pointer, d.message)
}

/// Deserializes one part, turning a failure into a diagnostic that points at the bad field.
fn read<T: DeserializeOwned>(value: Value, base: &str) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = String::from(base);
        for segment in error.path().iter() {
            pointer.push('/');
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push_str(&index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => push_escaped(&mut pointer, key),
                serde_path_to_error::Segment::Enum { variant } => {
                    push_escaped(&mut pointer, variant);
                }
                serde_path_to_error::Segment::Unknown => pointer.push('?'),
            }
        }
        let raw = error.into_inner().to_string();
        let (code, message) = explain(&raw);
        Diagnostic {
            severity: Severity::Error,
            code,
            pointer,
            message,
        }
    })
}

/// Rewords serde's messages ("invalid type: string \"yes\", expected a boolean") into the
/// validator's voice ("expected a boolean, found string \"yes\"").
fn explain(raw: &str) -> (Code, String) {
    if let Some(field) = raw.strip_prefix("missing field ") {
        return (
            Code::MissingField,
            alloc::format!("required field {field} is missing"),
        );
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                return (
                    Code::WrongType,
                    alloc::format!("expected {expected}, found {found}"),
                );
            }
        }
    }
    (Code::WrongType, raw.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_flag_does_not_fail_the_document() {
        let loaded = load(
            r#"{"environments":["prod"],"flags":{
                "good":{"kind":"boolean","variants":{"on":true,"off":false}},
                "bad":{"kind":"boolean","variants":{"on":true},"environments":{"prod":{"enabled":"yes"}}}
            }}"#,
        )
        .unwrap();
        assert!(loaded.document.flags.contains_key("good"));
        assert!(loaded.broken_flags.contains_key("bad"));
        let d = &loaded.diagnostics[0];
        assert_eq!(d.pointer, "/flags/bad/environments/prod/enabled");
        assert_eq!(d.code, Code::WrongType);
        assert_eq!(d.message, "expected a boolean, found string \"yes\"");
    }

    #[test]
    fn missing_fields_point_at_their_object() {
        let loaded =
            load(r#"{"environments":[],"flags":{"a/b":{"variants":{"on":true}}}}"#).unwrap();
        let d = &loaded.diagnostics[0];
        assert_eq!(d.pointer, "/flags/a~1b");
        assert_eq!(d.code, Code::MissingField);
        assert_eq!(d.message, "required field `kind` is missing");
    }

    #[test]
    fn not_json_and_not_an_object() {
        assert_eq!(load("{").unwrap_err().code, Code::InvalidJson);
        assert_eq!(load("[]").unwrap_err().code, Code::WrongType);
    }

    #[test]
    fn unknown_fields_round_trip() {
        let text = r#"{"environments":["prod"],"flags":{"a":{"kind":"boolean","owner":"team-x","variants":{"on":true},"environments":{"prod":{"enabled":true,"defaultServe":{"variant":"on"},"x-note":[1,2]}}}},"vendor":{"k":1}}"#;
        let loaded = load(text).unwrap();
        let back = serde_json::to_value(&loaded.document).unwrap();
        let original: Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, original);
    }
}
