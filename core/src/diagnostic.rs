//! What validation reports: where (a JSON Pointer), what (a stable code), and a message a person
//! can act on. Errors stop the store from publishing; warnings do not.

use alloc::string::String;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $name:literal,)*) => {
        /// A diagnostic's stable identifier (docs/semantics.md, "Diagnostic codes").
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }
        }
    };
}

codes! {
    InvalidJson = "invalid-json",
    WrongType = "wrong-type",
    MissingField = "missing-field",
    UnknownField = "unknown-field",
    MisplacedField = "misplaced-field",
    InvalidKey = "invalid-key",
    DuplicateEnvironment = "duplicate-environment",
    UnknownEnvironment = "unknown-environment",
    InvalidKind = "invalid-kind",
    NoVariants = "no-variants",
    WrongKind = "wrong-kind",
    UnknownVariant = "unknown-variant",
    InvalidServe = "invalid-serve",
    InvalidWeight = "invalid-weight",
    ZeroTotalWeight = "zero-total-weight",
    UnknownPrerequisite = "unknown-prerequisite",
    ServerOnlyPrerequisite = "server-only-prerequisite",
    PrerequisiteCycle = "prerequisite-cycle",
    PrerequisiteTooDeep = "prerequisite-too-deep",
    UnknownSegment = "unknown-segment",
    SegmentCycle = "segment-cycle",
    GraphTooLarge = "graph-too-large",
    InvalidValue = "invalid-value",
    InvalidSemver = "invalid-semver",
    InvalidTimestamp = "invalid-timestamp",
    DuplicateRuleId = "duplicate-rule-id",
    UnknownOperator = "unknown-operator",
    MissingAttribute = "missing-attribute",
    EmptyValues = "empty-values",
    ShadowedTarget = "shadowed-target",
    DuplicateScheduleTime = "duplicate-schedule-time",
    MissingDefaultServe = "missing-default-serve",
    MissingOffVariant = "missing-off-variant",
    InvalidLifecycle = "invalid-lifecycle",
    InvalidEvent = "invalid-event",
    DuplicateEvent = "duplicate-event",
    ArchivedPrerequisite = "archived-prerequisite",
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// RFC 6901 pointer into the document; `""` is the whole document.
    pub pointer: String,
    pub message: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl core::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{severity}[{}] {pointer}: {}",
            self.code.as_str(),
            self.message
        )
    }
}
