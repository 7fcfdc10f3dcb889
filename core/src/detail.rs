//! Results are data: a variant (or none, meaning "the caller's default"), a reason, and the
//! error inside the reason. Every host serialises them with [`Detail::write_json`], so the CLI,
//! the worker, the control plane and the admin app return byte-for-byte the same shape.

use alloc::string::String;

use crate::context::Context;
use crate::snapshot::{Body, FlagEntry, Kind, Snapshot, VariantRef};

/// Why a result is what it is (OpenFeature's names, plus `PREREQUISITE_FAILED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    Static,
    Default,
    TargetingMatch,
    Split,
    Disabled,
    PrerequisiteFailed,
    Error,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Reason::Static,
        Reason::Default,
        Reason::TargetingMatch,
        Reason::Split,
        Reason::Disabled,
        Reason::PrerequisiteFailed,
        Reason::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::PrerequisiteFailed => "PREREQUISITE_FAILED",
            Reason::Error => "ERROR",
        }
    }
}

/// OpenFeature's error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ErrorCode {
    FlagNotFound,
    TypeMismatch,
    ParseError,
    TargetingKeyMissing,
    InvalidContext,
    General,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::FlagNotFound,
        ErrorCode::TypeMismatch,
        ErrorCode::ParseError,
        ErrorCode::TargetingKeyMissing,
        ErrorCode::InvalidContext,
        ErrorCode::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::General => "GENERAL",
        }
    }
}

/// The type a caller expects, as OpenFeature's typed resolvers name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ValueType {
    Boolean,
    String,
    Number,
    Object,
}

impl ValueType {
    pub const ALL: [ValueType; 4] = [
        ValueType::Boolean,
        ValueType::String,
        ValueType::Number,
        ValueType::Object,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Boolean => "boolean",
            ValueType::String => "string",
            ValueType::Number => "number",
            ValueType::Object => "object",
        }
    }

    pub fn parse(name: &str) -> Option<ValueType> {
        Some(match name {
            "boolean" => ValueType::Boolean,
            "string" => ValueType::String,
            "number" => ValueType::Number,
            "object" => ValueType::Object,
            _ => return None,
        })
    }

    pub(crate) fn from_index(i: u32) -> ValueType {
        match i {
            0 => ValueType::Boolean,
            1 => ValueType::String,
            2 => ValueType::Number,
            _ => ValueType::Object,
        }
    }

    pub(crate) fn of(kind: Kind) -> ValueType {
        match kind {
            Kind::Boolean => ValueType::Boolean,
            Kind::String => ValueType::String,
            Kind::Number => ValueType::Number,
            Kind::Json => ValueType::Object,
        }
    }
}

/// An evaluation error; the message is rendered only when a host asks for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EvalError<'s> {
    FlagNotFound,
    TypeMismatch {
        expected: ValueType,
        actual: ValueType,
    },
    /// The flag has a document error; the text says which.
    Parse(&'s str),
    TargetingKeyMissing {
        attribute: &'s str,
    },
    InvalidContext(&'s str),
    General(&'static str),
}

impl EvalError<'_> {
    pub fn code(&self) -> ErrorCode {
        match self {
            EvalError::FlagNotFound => ErrorCode::FlagNotFound,
            EvalError::TypeMismatch { .. } => ErrorCode::TypeMismatch,
            EvalError::Parse(_) => ErrorCode::ParseError,
            EvalError::TargetingKeyMissing { .. } => ErrorCode::TargetingKeyMissing,
            EvalError::InvalidContext(_) => ErrorCode::InvalidContext,
            EvalError::General(_) => ErrorCode::General,
        }
    }

    /// A sentence for people. Built by concatenation rather than `format!`, so the
    /// evaluator-only build carries no formatting machinery.
    pub fn message(&self, flag: &str) -> String {
        let mut out = String::new();
        let quoted = |out: &mut String, text: &str| {
            out.push('`');
            out.push_str(text);
            out.push('`');
        };
        match self {
            EvalError::FlagNotFound => {
                out.push_str("flag ");
                quoted(&mut out, flag);
                out.push_str(" does not exist");
            }
            EvalError::TypeMismatch { expected, actual } => {
                out.push_str("flag ");
                quoted(&mut out, flag);
                out.push_str(" is a ");
                out.push_str(actual.as_str());
                out.push_str(" flag, but a ");
                out.push_str(expected.as_str());
                out.push_str(" was requested");
            }
            EvalError::Parse(why) => {
                out.push_str("flag ");
                quoted(&mut out, flag);
                out.push_str(" has a configuration error: ");
                out.push_str(why);
            }
            EvalError::TargetingKeyMissing { attribute } => {
                out.push_str("flag ");
                quoted(&mut out, flag);
                out.push_str(" is rolled out by ");
                quoted(&mut out, attribute);
                out.push_str(", which the context lacks (or is not a string)");
            }
            EvalError::InvalidContext(why) => out.push_str(why),
            EvalError::General(why) => out.push_str(why),
        }
        out
    }
}

/// Why evaluation stopped with `GENERAL`: fixed messages, so an outcome stays a few integers.
pub(crate) const GENERAL_PREREQUISITES_TOO_DEEP: u32 = 0;
pub(crate) const GENERAL_SEGMENTS_TOO_DEEP: u32 = 1;
pub(crate) const GENERAL_OTHER_LAYOUT: u32 = 2;
pub(crate) const GENERAL_NO_DEFAULT: u32 = 3;
pub(crate) const GENERAL_GRAPH_TOO_LARGE: u32 = 4;

impl EvalError<'_> {
    /// The messages of `GENERAL` errors, by the number in the outcome's `aux` (larger numbers
    /// read as the last). Bindings that compose messages on their side use this table.
    pub const GENERAL_MESSAGES: [&'static str; 5] = [
        "prerequisites nest deeper than 32 flags",
        "segments nest deeper than 32 levels",
        "the context was bound to a snapshot with other attributes",
        "the flag has no default serve",
        "the flag reaches more than 128 segments and prerequisites",
    ];
}

fn general_message(code: u32) -> &'static str {
    let [prerequisites, segments, layout, no_default, too_large] = EvalError::GENERAL_MESSAGES;
    match code {
        GENERAL_PREREQUISITES_TOO_DEEP => prerequisites,
        GENERAL_SEGMENTS_TOO_DEEP => segments,
        GENERAL_OTHER_LAYOUT => layout,
        GENERAL_GRAPH_TOO_LARGE => too_large,
        _ => no_default,
    }
}

/// What an evaluation decided, in 12 bytes: small enough to be returned in registers through
/// the evaluator, and to cross a wasm boundary as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The variant's index in its flag, or [`Outcome::NO_VARIANT`] for "the caller's default".
    pub variant: u32,
    /// Depends on the reason: the rule's index (a rule decided), the prerequisite flag's index
    /// (`PREREQUISITE_FAILED`), the bucketBy attribute's slot (`TARGETING_KEY_MISSING`), the
    /// requested type (`TYPE_MISMATCH`), a message number (`GENERAL`); else `NONE`.
    pub aux: u32,
    pub reason: Reason,
    pub error: Option<ErrorCode>,
}

impl Outcome {
    pub const NO_VARIANT: u32 = u32::MAX;
    pub const NONE: u32 = u32::MAX;

    #[inline]
    pub fn served(variant: Option<u32>, reason: Reason) -> Outcome {
        Outcome {
            variant: variant.unwrap_or(Outcome::NO_VARIANT),
            aux: Outcome::NONE,
            reason,
            error: None,
        }
    }

    #[inline]
    pub(crate) fn rule(variant: u32, reason: Reason, rule: usize) -> Outcome {
        Outcome {
            variant,
            aux: rule as u32,
            reason,
            error: None,
        }
    }

    #[inline]
    pub fn error(code: ErrorCode, aux: u32) -> Outcome {
        Outcome {
            variant: Outcome::NO_VARIANT,
            aux,
            reason: Reason::Error,
            error: Some(code),
        }
    }
}

/// The outcome of one evaluation, with what it refers to: names and messages are looked up
/// only when asked for. `variant() == None` means the caller's default is served.
#[derive(Clone, Copy, Debug)]
pub struct Detail<'s> {
    pub(crate) snapshot: &'s Snapshot,
    pub(crate) context: &'s Context,
    /// The flag's index, when the flag exists.
    pub(crate) flag: Option<u32>,
    pub(crate) outcome: Outcome,
}

impl<'s> Detail<'s> {
    fn entry(&self) -> Option<&'s FlagEntry> {
        self.snapshot.flags.get(self.flag? as usize)
    }

    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The flag's position in its snapshot (sorted by key), when the flag exists: hosts that
    /// count evaluations index by it instead of comparing keys.
    pub fn flag_index(&self) -> Option<usize> {
        self.entry().and(self.flag).map(|i| i as usize)
    }

    /// The flag's key, when the flag exists.
    pub fn flag_key(&self) -> Option<&'s str> {
        self.entry().map(|e| &*e.key)
    }

    pub fn reason(&self) -> Reason {
        self.outcome.reason
    }

    pub fn variant(&self) -> Option<VariantRef<'s>> {
        let index = self.outcome.variant;
        let variant = self.entry()?.variants.get(index as usize)?;
        Some(VariantRef { index, variant })
    }

    pub fn variant_name(&self) -> Option<&'s str> {
        self.variant().map(|v| v.name())
    }

    /// The value as JSON text, or `None` for "the caller's default".
    pub fn value_json(&self) -> Option<&'s str> {
        self.variant().map(|v| v.json())
    }

    /// The id of the rule that decided, when a rule with an id did.
    pub fn rule_id(&self) -> Option<&'s str> {
        if self.outcome.error.is_some()
            || !matches!(self.outcome.reason, Reason::TargetingMatch | Reason::Split)
        {
            return None;
        }
        match &self.entry()?.body {
            Body::Live(settings) => settings.rules.get(self.outcome.aux as usize)?.id.as_deref(),
            _ => None,
        }
    }

    /// The prerequisite that failed, for `PREREQUISITE_FAILED`.
    pub fn prerequisite(&self) -> Option<&'s str> {
        if self.outcome.reason != Reason::PrerequisiteFailed {
            return None;
        }
        Some(&self.snapshot.flags.get(self.outcome.aux as usize)?.key)
    }

    pub fn error_code(&self) -> Option<ErrorCode> {
        self.outcome.error
    }

    pub fn error(&self) -> Option<EvalError<'s>> {
        let aux = self.outcome.aux;
        Some(match self.outcome.error? {
            ErrorCode::FlagNotFound => EvalError::FlagNotFound,
            ErrorCode::TypeMismatch => EvalError::TypeMismatch {
                expected: ValueType::from_index(aux),
                actual: self
                    .entry()
                    .and_then(|f| f.kind)
                    .map_or(ValueType::Object, ValueType::of),
            },
            ErrorCode::ParseError => match self.entry().map(|f| &f.body) {
                Some(Body::Broken(why)) => EvalError::Parse(why),
                _ => EvalError::Parse("the flag could not be read"),
            },
            ErrorCode::TargetingKeyMissing => EvalError::TargetingKeyMissing {
                attribute: if aux == crate::snapshot::NOW {
                    "$now"
                } else {
                    self.snapshot
                        .attributes
                        .get(aux as usize)
                        .map_or("targetingKey", |a| a.name())
                },
            },
            ErrorCode::InvalidContext => EvalError::InvalidContext(
                self.context.invalid.as_deref().unwrap_or("invalid context"),
            ),
            ErrorCode::General => EvalError::General(general_message(aux)),
        })
    }

    /// Writes `{"flag"?,"value","variant","reason","ruleId"?,"errorCode"?,"errorMessage"?,
    /// "prerequisite"?}`. `default_json` is the caller's default as JSON text, used when no
    /// variant is served. The one place the result's JSON shape is written (`EvaluationResult`
    /// reads it back, with the `json` feature).
    pub fn write_json(&self, out: &mut String, flag: &str, include_flag: bool, default_json: &str) {
        self.write_fields(out, flag, include_flag, false, default_json);
    }

    /// [`Detail::write_json`] with a choice of the optional members (`"enabled"` for the REST
    /// routes).
    #[cfg(feature = "json")]
    pub fn write_json_with(
        &self,
        out: &mut String,
        flag: &str,
        fields: crate::json::ResultFields,
        default_json: &str,
    ) {
        self.write_fields(out, flag, fields.flag, fields.enabled, default_json);
    }

    fn write_fields(
        &self,
        out: &mut String,
        flag: &str,
        include_flag: bool,
        include_enabled: bool,
        default_json: &str,
    ) {
        out.push('{');
        if include_flag {
            out.push_str("\"flag\":");
            write_json_string(out, flag);
            out.push(',');
        }
        let value = self.value_json().unwrap_or(default_json);
        if include_enabled && matches!(value, "true" | "false") {
            out.push_str("\"enabled\":");
            out.push_str(value);
            out.push(',');
        }
        out.push_str("\"value\":");
        out.push_str(value);
        out.push_str(",\"variant\":");
        match self.variant_name() {
            Some(name) => write_json_string(out, name),
            None => out.push_str("null"),
        }
        out.push_str(",\"reason\":\"");
        out.push_str(self.reason().as_str());
        out.push('"');
        if let Some(rule) = self.rule_id() {
            out.push_str(",\"ruleId\":");
            write_json_string(out, rule);
        }
        if let Some(error) = self.error() {
            out.push_str(",\"errorCode\":\"");
            out.push_str(error.code().as_str());
            out.push_str("\",\"errorMessage\":");
            write_json_string(out, &error.message(flag));
        }
        if let Some(p) = self.prerequisite() {
            out.push_str(",\"prerequisite\":");
            write_json_string(out, p);
        }
        out.push('}');
    }
}

/// Appends `s` as a JSON string literal. Runs without anything to escape are copied whole
/// (escapes are ASCII, so every cut falls on a character boundary).
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        start = i + 1;
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let n = usize::from(b);
            out.push_str("\\u00");
            out.push(char::from(HEX.get(n >> 4).copied().unwrap_or(b'0')));
            out.push(char::from(HEX.get(n & 15).copied().unwrap_or(b'0')));
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping as it was written first, one character at a time.
    fn reference(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    out.push_str("\\u00");
                    out.push_str(&alloc::format!("{:02x}", c as u32));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn json_strings_escape_as_before() {
        let mut all_controls = String::new();
        for c in 0u8..0x80 {
            all_controls.push(char::from(c));
        }
        for s in [
            "",
            "plain",
            "quote \" and \\ backslash",
            "ü-42 😀 \u{7f}\u{80}\u{2028}",
            "\"\"\n",
            "end\t",
            all_controls.as_str(),
        ] {
            let mut out = String::new();
            write_json_string(&mut out, s);
            assert_eq!(out, reference(s), "{s:?}");
        }
    }
}
