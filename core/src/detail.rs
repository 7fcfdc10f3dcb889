//! Results are data: a variant (or none, meaning "the caller's default"), a reason, and the
//! error inside the reason. Every host serialises them with [`Detail::write_json`], so the CLI,
//! the worker and the npm package return byte-for-byte the same shape.

use alloc::format;
use alloc::string::String;

use crate::snapshot::{Kind, VariantRef};

/// Why a result is what it is (OpenFeature's names, plus `PREREQUISITE_FAILED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
pub enum ErrorCode {
    FlagNotFound,
    TypeMismatch,
    ParseError,
    TargetingKeyMissing,
    InvalidContext,
    General,
}

impl ErrorCode {
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
pub enum ValueType {
    Boolean,
    String,
    Number,
    Object,
}

impl ValueType {
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

    pub fn message(&self, flag: &str) -> String {
        match self {
            EvalError::FlagNotFound => format!("flag `{flag}` does not exist"),
            EvalError::TypeMismatch { expected, actual } => format!(
                "flag `{flag}` is a {} flag, but a {} was requested",
                actual.as_str(),
                expected.as_str()
            ),
            EvalError::Parse(why) => format!("flag `{flag}` has a configuration error: {why}"),
            EvalError::TargetingKeyMissing { attribute } => format!(
                "flag `{flag}` is rolled out by `{attribute}`, which the context lacks (or is not a string)"
            ),
            EvalError::InvalidContext(why) => String::from(*why),
            EvalError::General(why) => String::from(*why),
        }
    }
}

/// The outcome of one evaluation. `variant == None` means the caller's default is served.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detail<'s> {
    pub variant: Option<VariantRef<'s>>,
    pub reason: Reason,
    /// The id of the rule that decided, when a rule did.
    pub rule_id: Option<&'s str>,
    /// The prerequisite that failed, for `PREREQUISITE_FAILED`.
    pub prerequisite: Option<&'s str>,
    pub error: Option<EvalError<'s>>,
}

impl<'s> Detail<'s> {
    pub(crate) fn error(error: EvalError<'s>) -> Self {
        Detail {
            variant: None,
            reason: Reason::Error,
            rule_id: None,
            prerequisite: None,
            error: Some(error),
        }
    }

    pub(crate) fn served(variant: Option<VariantRef<'s>>, reason: Reason) -> Self {
        Detail {
            variant,
            reason,
            rule_id: None,
            prerequisite: None,
            error: None,
        }
    }

    pub fn variant_name(&self) -> Option<&'s str> {
        self.variant.map(|v| v.name())
    }

    /// The value as JSON text, or `None` for "the caller's default".
    pub fn value_json(&self) -> Option<&'s str> {
        self.variant.map(|v| v.json())
    }

    pub fn error_code(&self) -> Option<ErrorCode> {
        self.error.map(|e| e.code())
    }

    /// Writes `{"flag"?,"value","variant","reason","ruleId"?,"errorCode"?,"errorMessage"?,
    /// "prerequisite"?}`. `default_json` is the caller's default as JSON text, used when no
    /// variant is served.
    pub fn write_json(&self, out: &mut String, flag: &str, include_flag: bool, default_json: &str) {
        out.push('{');
        if include_flag {
            out.push_str("\"flag\":");
            write_json_string(out, flag);
            out.push(',');
        }
        out.push_str("\"value\":");
        out.push_str(self.value_json().unwrap_or(default_json));
        out.push_str(",\"variant\":");
        match self.variant_name() {
            Some(name) => write_json_string(out, name),
            None => out.push_str("null"),
        }
        out.push_str(",\"reason\":\"");
        out.push_str(self.reason.as_str());
        out.push('"');
        if let Some(rule) = self.rule_id {
            out.push_str(",\"ruleId\":");
            write_json_string(out, rule);
        }
        if let Some(error) = &self.error {
            out.push_str(",\"errorCode\":\"");
            out.push_str(error.code().as_str());
            out.push_str("\",\"errorMessage\":");
            write_json_string(out, &error.message(flag));
        }
        if let Some(p) = self.prerequisite {
            out.push_str(",\"prerequisite\":");
            write_json_string(out, p);
        }
        out.push('}');
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX.get(n >> 4).copied().unwrap_or(b'0')));
                out.push(char::from(HEX.get(n & 15).copied().unwrap_or(b'0')));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
