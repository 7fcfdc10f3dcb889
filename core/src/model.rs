//! The flag document as people write it: the public contract (docs/semantics.md, "The
//! document"; schema/burgee.schema.json).
//!
//! These types are what the admin app edits and the store saves, so they must round-trip:
//! fields this version does not know are kept in `extra` and written back (the validator warns
//! about them), and optional scalars stay `Option` so that saving never adds or drops a field
//! the author wrote. The structs are declared through `wire_struct!` rather than serde's
//! `flatten`, because `flatten` buffers the object and loses the path of a type error, and the
//! validator's JSON Pointers depend on that path.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields a document carries that this version of Burgee does not know.
pub type Extra = BTreeMap<String, Value>;

/// Which optional fields are left out when written.
trait Skip {
    fn skip(&self) -> bool;
}

impl<T> Skip for Option<T> {
    fn skip(&self) -> bool {
        self.is_none()
    }
}

impl<T> Skip for Vec<T> {
    fn skip(&self) -> bool {
        self.is_empty()
    }
}

impl<K, V> Skip for BTreeMap<K, V> {
    fn skip(&self) -> bool {
        self.is_empty()
    }
}

macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $json:literal $field:ident : $ty:ty [$mode:ident] ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Fields this version does not know, kept so that saving never loses them.
            pub extra: Extra,
        }

        impl $name {
            /// The JSON names of the fields this version knows.
            pub const FIELDS: &'static [&'static str] = &[$($json),*];
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                $( if !wire_struct!(@skip $mode, &self.$field) {
                    map.serialize_entry($json, &self.$field)?;
                } )*
                for (key, value) in &self.extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct FieldVisitor;
                impl<'de> Visitor<'de> for FieldVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an object")
                    }
                    #[allow(non_snake_case)]
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        $( let mut $field: Option<$ty> = None; )*
                        let mut extra = Extra::new();
                        while let Some(key) = map.next_key::<String>()? {
                            match key.as_str() {
                                $( $json => $field = Some(field_value(&mut map)?), )*
                                _ => {
                                    let value: Value = map.next_value()?;
                                    extra.insert(key, value);
                                }
                            }
                        }
                        Ok($name {
                            $( $field: wire_struct!(@finish $mode, $field, $json, A), )*
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(FieldVisitor)
            }
        }
    };
    (@skip req, $value:expr) => { false };
    (@skip opt, $value:expr) => { Skip::skip($value) };
    (@finish req, $field:ident, $json:literal, $A:ident) => {
        $field.ok_or_else(|| <$A::Error as de::Error>::missing_field($json))?
    };
    (@finish opt, $field:ident, $json:literal, $A:ident) => { $field.unwrap_or_default() };
}

/// One field's value. Not inlined: inlined, every field's reader became part of its struct's
/// `visit_map` (16 to 22 KB of wasm each for flags and environments), which a JavaScript engine
/// compiles whole and optimizes, at more than linear cost in its size, while the first
/// document loads. Apart, a type's reader is also shared by every struct with a field of it.
#[inline(never)]
fn field_value<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A) -> Result<T, A::Error> {
    map.next_value()
}

/// A name-valued enum that tolerates names it does not know (they are validation errors, not
/// parse failures, so one odd flag never fails the document).
macro_rules! name_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $json:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $name {
            $($variant,)*
            Unknown(String),
        }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($json),*];

            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $json,)*
                    $name::Unknown(s) => s,
                }
            }

            pub fn from_name(name: &str) -> Self {
                match name {
                    $($json => $name::$variant,)*
                    other => $name::Unknown(other.into()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = String::deserialize(deserializer)?;
                Ok($name::from_name(&name))
            }
        }
    };
}

name_enum! {
    /// The type of a flag's variants.
    Kind {
        Boolean = "boolean",
        String = "string",
        Number = "number",
        Json = "json",
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Kind {
    fn default() -> Self {
        Kind::Boolean
    }
}

name_enum! {
    /// A clause operator (docs/semantics.md, "Operators").
    Op {
        In = "in",
        StartsWith = "startsWith",
        EndsWith = "endsWith",
        Contains = "contains",
        Eq = "eq",
        Lt = "lt",
        Lte = "lte",
        Gt = "gt",
        Gte = "gte",
        SemverEq = "semverEq",
        SemverLt = "semverLt",
        SemverLte = "semverLte",
        SemverGt = "semverGt",
        SemverGte = "semverGte",
        Before = "before",
        After = "after",
        InSegment = "inSegment",
        Exists = "exists",
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Op {
    fn default() -> Self {
        Op::In
    }
}

wire_struct! {
    /// One project's flags: versioned as a whole.
    Document {
        "$schema" schema: Option<String> [opt],
        /// Set by the store on every accepted write, never by clients.
        "version" version: Option<u64> [opt],
        "environments" environments: Vec<String> [req],
        "segments" segments: BTreeMap<String, Segment> [opt],
        "flags" flags: BTreeMap<String, Flag> [req],
    }
}

wire_struct! {
    /// A reusable audience: explicit members, explicit non-members, and rules.
    Segment {
        "description" description: Option<String> [opt],
        "include" include: Vec<String> [opt],
        "exclude" exclude: Vec<String> [opt],
        "rules" rules: Vec<SegmentRule> [opt],
    }
}

wire_struct! {
    /// Any rule whose clauses all match makes the context a member.
    SegmentRule {
        "id" id: Option<String> [opt],
        "description" description: Option<String> [opt],
        "clauses" clauses: Vec<Clause> [req],
    }
}

wire_struct! {
    Flag {
        "name" name: Option<String> [opt],
        "description" description: Option<String> [opt],
        "tags" tags: Vec<String> [opt],
        "kind" kind: Kind [req],
        /// May this flag's rules ship to browsers in the public snapshot.
        "clientSide" client_side: Option<bool> [opt],
        /// Typed values, all of `kind`, by variant name.
        "variants" variants: BTreeMap<String, Value> [req],
        "prerequisites" prerequisites: Vec<Prerequisite> [opt],
        "environments" environments: BTreeMap<String, Environment> [opt],
        /// Free-form data for people and tools; never read by evaluation.
        "metadata" metadata: Option<Map<String, Value>> [opt],
        "createdAt" created_at: Option<String> [opt],
        "createdBy" created_by: Option<String> [opt],
        "updatedAt" updated_at: Option<String> [opt],
        "updatedBy" updated_by: Option<String> [opt],
        /// What kind of flag this is, for stale-flag rules; never read by evaluation.
        "lifecycle" lifecycle: Option<Lifecycle> [opt],
        /// How long a temporary flag is expected to live, from `createdAt`.
        "expectedLifetimeDays" expected_lifetime_days: Option<u64> [opt],
        /// The custom events that measure this flag as an experiment.
        "experiment" experiment: Option<Experiment> [opt],
        /// Soft-deleted: left out of every snapshot, kept in the document so it can be restored.
        "archived" archived: Option<bool> [opt],
        "archivedAt" archived_at: Option<String> [opt],
        "archivedBy" archived_by: Option<String> [opt],
    }
}

impl Flag {
    pub fn is_client_side(&self) -> bool {
        self.client_side.unwrap_or(false)
    }

    /// Soft-deleted: in no snapshot.
    pub fn is_archived(&self) -> bool {
        self.archived.unwrap_or(false)
    }

    /// The expected lifetime in days: the one written, else the lifecycle's default; `None` for
    /// a permanent flag (a `permission` flag, or an unknown lifecycle, without one written).
    /// A flag without a lifecycle is a `release` flag.
    pub fn expected_lifetime_days(&self) -> Option<u64> {
        let lifecycle = self.lifecycle.clone().unwrap_or_default();
        match self.expected_lifetime_days {
            Some(days) if lifecycle != Lifecycle::Permission => Some(days),
            _ => lifecycle.default_lifetime_days(),
        }
    }

    /// The events named by `experiment.events`.
    pub fn experiment_events(&self) -> &[String] {
        self.experiment
            .as_ref()
            .map_or(&[], |e| e.events.as_slice())
    }
}

name_enum! {
    /// Why a flag exists, which says how long it should live (docs/semantics.md, "Lifecycle").
    Lifecycle {
        Release = "release",
        Experiment = "experiment",
        Operational = "operational",
        Permission = "permission",
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::Release
    }
}

impl Lifecycle {
    /// Days a flag of this lifecycle is expected to live when the document gives none: `None`
    /// for permanent flags (permissions, and lifecycles this version does not know).
    pub fn default_lifetime_days(&self) -> Option<u64> {
        match self {
            Lifecycle::Release | Lifecycle::Experiment => Some(40),
            Lifecycle::Operational => Some(7),
            Lifecycle::Permission | Lifecycle::Unknown(_) => None,
        }
    }

    /// Release, experiment and operational flags are meant to be removed one day.
    pub fn is_temporary(&self) -> bool {
        self.default_lifetime_days().is_some()
    }
}

wire_struct! {
    /// The custom events whose conversions the experiment readout counts per variant.
    Experiment {
        "events" events: Vec<String> [opt],
    }
}

wire_struct! {
    /// Another flag that must serve `variant` (for the same context) before this one is on.
    Prerequisite {
        "flag" flag: String [req],
        "variant" variant: String [req],
    }
}

wire_struct! {
    /// A flag's settings in one environment.
    Environment {
        /// The kill switch; off unless set.
        "enabled" enabled: Option<bool> [opt],
        "offVariant" off_variant: Option<String> [opt],
        "targets" targets: Vec<Target> [opt],
        "rules" rules: Vec<Rule> [opt],
        "defaultServe" default_serve: Option<Serve> [opt],
        "schedule" schedule: Vec<ScheduleStep> [opt],
    }
}

impl Environment {
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(false)
    }
}

wire_struct! {
    /// Individual overrides: contexts whose `attribute` is one of `values` get `variant`.
    Target {
        "attribute" attribute: Option<String> [opt],
        "values" values: Vec<Value> [req],
        "variant" variant: String [req],
    }
}

wire_struct! {
    Rule {
        "id" id: Option<String> [opt],
        "description" description: Option<String> [opt],
        "clauses" clauses: Vec<Clause> [req],
        "serve" serve: Serve [req],
    }
}

wire_struct! {
    Clause {
        "attribute" attribute: Option<String> [opt],
        "op" op: Op [req],
        "values" values: Vec<Value> [opt],
        "negate" negate: Option<bool> [opt],
    }
}

wire_struct! {
    /// Exactly one of `variant` or `rollout`.
    Serve {
        "variant" variant: Option<String> [opt],
        "rollout" rollout: Option<Rollout> [opt],
    }
}

wire_struct! {
    Rollout {
        "bucketBy" bucket_by: Option<String> [opt],
        "salt" salt: Option<String> [opt],
        "weights" weights: Vec<Weight> [req],
    }
}

wire_struct! {
    Weight {
        "variant" variant: String [req],
        /// A non-negative integer. Kept as the JSON written, so saving never turns `25` into
        /// `25.0` and a bad weight is reported with the validator's message, not serde's.
        "weight" weight: Value [req],
    }
}

wire_struct! {
    /// From `at` on (until a later step), `defaultServe` replaces the environment's.
    ScheduleStep {
        "at" at: String [req],
        "defaultServe" default_serve: Serve [req],
    }
}

impl Serve {
    pub fn variant(name: &str) -> Serve {
        Serve {
            variant: Some(name.into()),
            ..Serve::default()
        }
    }
}
