//! Reading a document tolerantly: one flag with a wrong-typed field must not fail the others.
//!
//! Each flag and segment is deserialized on its own, with the path of any type error turned
//! into a JSON Pointer. A flag that cannot be read is kept by key as "broken", so it evaluates
//! to `PARSE_ERROR` instead of vanishing into `FLAG_NOT_FOUND`. From text, each entry is read
//! straight from its slice of the input (no intermediate `Value` tree), which keeps loading a
//! large document cheap.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

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
    let invalid = |e: serde_json::Error| Diagnostic {
        severity: Severity::Error,
        code: Code::InvalidJson,
        pointer: String::new(),
        message: alloc::format!(
            "the document is not valid JSON: {}",
            strip_position(&e.to_string())
        ),
    };
    match serde_json::from_str::<BTreeMap<String, &RawValue>>(text) {
        Ok(mut parts) => {
            let flags = parts.remove("flags").map(Member::Raw);
            let segments = parts.remove("segments").map(Member::Raw);
            let mut rest = serde_json::Map::new();
            for (key, raw) in parts {
                rest.insert(key, serde_json::from_str(raw.get()).map_err(invalid)?);
            }
            Ok(assemble(rest, flags, segments))
        }
        // Not an object of members: say whether it is JSON at all.
        Err(_) => load_value(serde_json::from_str(text).map_err(invalid)?),
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
    let flags = root.remove("flags").map(Member::Parsed);
    let segments = root.remove("segments").map(Member::Parsed);
    Ok(assemble(root, flags, segments))
}

/// Reads one flag as the loader reads it inside a document (`/flags/<key>`): a diagnostic that
/// points at the bad field when it cannot.
pub fn read_flag(key: &str, value: Value) -> Result<crate::model::Flag, Diagnostic> {
    read(value, &pointer_to("/flags", key))
}

/// Reads one segment as the loader reads it inside a document (`/segments/<key>`).
pub fn read_segment(key: &str, value: Value) -> Result<crate::model::Segment, Diagnostic> {
    read(value, &pointer_to("/segments", key))
}

/// The `flags` or `segments` member of a document, as text or already parsed.
enum Member<'a> {
    Raw(&'a RawValue),
    Parsed(Value),
}

fn wrong_type(pointer: String, message: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: Code::WrongType,
        pointer,
        message: message.into(),
    }
}

fn assemble(
    mut root: serde_json::Map<String, Value>,
    flags: Option<Member<'_>>,
    segments: Option<Member<'_>>,
) -> Loaded {
    let mut loaded = Loaded::default();
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
    if let Some(segments) = segments {
        let (good, broken) = read_entries(segments, "/segments", "segments", &mut loaded);
        loaded.document.segments = good;
        loaded.broken_segments = broken;
    }
    if let Some(flags) = flags {
        let (good, broken) = read_entries(flags, "/flags", "flags", &mut loaded);
        loaded.document.flags = good;
        loaded.broken_flags = broken;
    }
    loaded
}

/// Deserializes every entry of an object member on its own: `(read, broken)`.
// Not inlined, here and in `read`: merged into `assemble`, every path of every reader (text
// and parsed, with path tracking) made one function of about 100 KB of wasm, which a
// JavaScript engine compiles whole the first time a document loads, even the paths that load
// never takes.
#[inline(never)]
fn read_entries<T: DeserializeOwned>(
    member: Member<'_>,
    at: &str,
    what: &str,
    loaded: &mut Loaded,
) -> (BTreeMap<String, T>, BTreeMap<String, String>) {
    let mut good = BTreeMap::new();
    let mut broken = BTreeMap::new();
    let mut take = |key: String, result: Result<T, Diagnostic>, loaded: &mut Loaded| match result {
        Ok(v) => {
            good.insert(key, v);
        }
        Err(d) => {
            broken.insert(key, first_line(&d));
            loaded.diagnostics.push(d);
        }
    };
    let not_object = || {
        wrong_type(
            at.into(),
            &alloc::format!("`{}` must be an object of {what} by key", &at[1..]),
        )
    };
    match member {
        Member::Parsed(Value::Null) => {}
        Member::Raw(raw) if raw.get() == "null" => {}
        Member::Raw(raw) => match serde_json::from_str::<BTreeMap<String, &RawValue>>(raw.get()) {
            Ok(entries) => {
                for (key, text) in entries {
                    let result = read_text(text.get(), &pointer_to(at, &key));
                    take(key, result, loaded);
                }
            }
            Err(_) => loaded.diagnostics.push(not_object()),
        },
        Member::Parsed(Value::Object(entries)) => {
            for (key, value) in entries {
                let result = read(value, &pointer_to(at, &key));
                take(key, result, loaded);
            }
        }
        Member::Parsed(_) => loaded.diagnostics.push(not_object()),
    }
    (good, broken)
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

fn pointer_to(at: &str, key: &str) -> String {
    let mut p = String::from(at);
    p.push('/');
    push_escaped(&mut p, key);
    p
}

fn first_line(d: &Diagnostic) -> String {
    alloc::format!("{}: {}", d.pointer, d.message)
}

/// serde_json appends " at line L column C" when it reads text; pointers say where instead.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message.get(i..).is_some_and(|t| t.contains(" column ")) => {
            message.get(..i).unwrap_or(message)
        }
        _ => message,
    }
}

/// Path tracking costs on every field and is only needed to explain a failure, so parse
/// plainly first and track the path only when that fails.
fn read_text<T: DeserializeOwned>(text: &str, base: &str) -> Result<T, Diagnostic> {
    serde_json::from_str(text).or_else(|_| read_text_tracked(text, base))
}

#[cold]
#[inline(never)]
fn read_text_tracked<T: DeserializeOwned>(text: &str, base: &str) -> Result<T, Diagnostic> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| diagnose(e, base))
}

#[inline(never)]
fn read<T: DeserializeOwned>(value: Value, base: &str) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|e| diagnose(e, base))
}

/// Turns a deserialization failure into a diagnostic that points at the bad field.
#[cold]
#[inline(never)]
fn diagnose(error: serde_path_to_error::Error<serde_json::Error>, base: &str) -> Diagnostic {
    let mut pointer = String::from(base);
    for segment in error.path().iter() {
        pointer.push('/');
        match segment {
            serde_path_to_error::Segment::Seq { index } => pointer.push_str(&index.to_string()),
            serde_path_to_error::Segment::Map { key } => push_escaped(&mut pointer, key),
            serde_path_to_error::Segment::Enum { variant } => push_escaped(&mut pointer, variant),
            serde_path_to_error::Segment::Unknown => pointer.push('?'),
        }
    }
    let raw = error.into_inner().to_string();
    let (code, message) = explain(strip_position(&raw));
    Diagnostic {
        severity: Severity::Error,
        code,
        pointer,
        message,
    }
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
        if let Some(rest) = raw.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return (
                Code::WrongType,
                alloc::format!("expected {expected}, found {found}"),
            );
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
