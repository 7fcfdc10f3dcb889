//! The compiled form of one environment: what evaluation walks.
//!
//! Everything a decision needs is resolved here once, at compile time: variant names become
//! indices, attribute names become context slots, literals are parsed (numbers, semver,
//! timestamps), target and `in` lists are sorted for binary search, and rollouts carry running
//! weight sums. Nothing in here refers to serde_json, so the evaluator alone stays small.

mod lit_set;
mod manifest;
mod reads;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::hash::hash_str;
use crate::murmur3::{Murmur3, murmur3_x86_32, scale};

// Literals are built only by the compiler; decoded sets arrive already sorted.
#[cfg(feature = "compile")]
pub(crate) use lit_set::Lit;
pub(crate) use lit_set::LitSet;

/// The type of a flag's variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    String,
    Number,
    Json,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Json => "json",
        }
    }
}

/// The context slot of the targeting key: always slot 0.
pub(crate) const TARGETING_KEY: u32 = 0;
/// The pseudo-slot of `$now`, the evaluation time.
pub(crate) const NOW: u32 = u32::MAX;

/// An attribute a snapshot reads from contexts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AttrPath {
    /// `targetingKey`, with `userId` as its alias.
    TargetingKey,
    /// Any other attribute: a top-level key, or a dotted path into nested objects.
    Named(Box<str>),
}

impl AttrPath {
    pub(crate) fn name(&self) -> &str {
        match self {
            AttrPath::TargetingKey => "targetingKey",
            AttrPath::Named(n) => n,
        }
    }
}

/// One variant of a flag.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Variant {
    pub(crate) name: Box<str>,
    /// The value as compact JSON text, written verbatim into results.
    pub(crate) json: Box<str>,
}

/// A variant as results expose it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VariantRef<'s> {
    pub(crate) index: u32,
    pub(crate) variant: &'s Variant,
}

impl<'s> VariantRef<'s> {
    /// The variant's position among the flag's variants (sorted by name).
    pub fn index(&self) -> u32 {
        self.index
    }
    pub fn name(&self) -> &'s str {
        &self.variant.name
    }
    /// The variant's value as compact JSON text.
    pub fn json(&self) -> &'s str {
        &self.variant.json
    }
}
/// A parsed semver literal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SemverLit {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    pub(crate) pre: Box<str>,
}

impl SemverLit {
    pub(crate) fn view(&self) -> crate::semver::Version<'_> {
        crate::semver::Version {
            major: self.major,
            minor: self.minor,
            patch: self.patch,
            pre: &self.pre,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Cmp {
    pub(crate) fn holds(self, ord: Ordering) -> bool {
        match self {
            Cmp::Eq => ord == Ordering::Equal,
            Cmp::Lt => ord == Ordering::Less,
            Cmp::Lte => ord != Ordering::Greater,
            Cmp::Gt => ord == Ordering::Greater,
            Cmp::Gte => ord != Ordering::Less,
        }
    }
}

/// What a clause tests, with its literals already parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Test {
    In(LitSet),
    StartsWith(Vec<Box<str>>),
    EndsWith(Vec<Box<str>>),
    Contains(Vec<Box<str>>),
    Number(Cmp, Vec<f64>),
    Semver(Cmp, Vec<SemverLit>),
    Before(Vec<i64>),
    After(Vec<i64>),
    InSegment(Vec<u32>),
    Exists,
    /// An operator this evaluator does not know: never matches, negated or not.
    Never,
}

impl Test {
    /// A small number per kind of test (also its tag in the binary snapshot format).
    pub(crate) fn tag(&self) -> u8 {
        match self {
            Test::In(_) => 0,
            Test::StartsWith(_) => 1,
            Test::EndsWith(_) => 2,
            Test::Contains(_) => 3,
            Test::Number(..) => 4,
            Test::Semver(..) => 5,
            Test::Before(_) => 6,
            Test::After(_) => 7,
            Test::InSegment(_) => 8,
            Test::Exists => 9,
            Test::Never => 10,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Clause {
    pub(crate) slot: u32,
    pub(crate) negate: bool,
    pub(crate) test: Test,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rollout {
    pub(crate) slot: u32,
    pub(crate) salt: Box<str>,
    /// The hash state after the salt, so evaluation only hashes the bucketBy value.
    pub(crate) salted: Murmur3,
    /// `(running sum of weights, variant)`; the variant is the first whose sum exceeds the
    /// bucket. Zero-weight entries are dropped at compile time.
    pub(crate) steps: Vec<(u32, u32)>,
    pub(crate) total: u32,
}

impl Rollout {
    /// The variant for a bucketBy value.
    pub(crate) fn new(slot: u32, salt: &str, steps: Vec<(u32, u32)>, total: u32) -> Rollout {
        let mut salted = Murmur3::new(0);
        salted.update(salt.as_bytes());
        Rollout {
            slot,
            salt: salt.into(),
            salted,
            steps,
            total,
        }
    }

    #[inline]
    pub(crate) fn pick(&self, value: &str) -> Option<u32> {
        let mut m = self.salted;
        m.update(value.as_bytes());
        let bucket = scale(m.finish(), self.total);
        self.steps
            .iter()
            .find(|(sum, _)| *sum > bucket)
            .map(|&(_, v)| v)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Serve {
    Variant(u32),
    Rollout(Rollout),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Target {
    pub(crate) slot: u32,
    pub(crate) values: LitSet,
    pub(crate) variant: u32,
}

/// Clauses are stored once per snapshot ([`Snapshot::clauses`]) and referred to by index:
/// flags repeat the same rules ("admins", "beta testers"), and a bulk evaluation then decides
/// each distinct clause once per context.
pub(crate) type ClauseId = u32;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rule {
    pub(crate) id: Option<Box<str>>,
    pub(crate) clauses: Vec<ClauseId>,
    pub(crate) serve: Serve,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Prerequisite {
    pub(crate) flag: u32,
    /// The required variant's index in the prerequisite's variants; `u32::MAX` when that flag
    /// could not be loaded, so the requirement can never hold.
    pub(crate) variant: u32,
}

/// The compiled settings of a flag in the snapshot's environment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Settings {
    pub(crate) enabled: bool,
    pub(crate) off: Option<u32>,
    pub(crate) prerequisites: Vec<Prerequisite>,
    pub(crate) targets: Vec<Target>,
    pub(crate) rules: Vec<Rule>,
    /// `None` only when the environment is disabled, where it is never reached.
    pub(crate) default: Option<Serve>,
    /// `(at, serve)`, sorted by `at` (epoch ms).
    pub(crate) schedule: Vec<(i64, Serve)>,
}

impl Settings {
    /// True when the answer cannot depend on the context or the time.
    pub(crate) fn is_static(&self) -> bool {
        self.prerequisites.is_empty()
            && self.targets.is_empty()
            && self.rules.is_empty()
            && self.schedule.is_empty()
            && matches!(self.default, Some(Serve::Variant(_)))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Body {
    Live(Settings),
    /// The document has an error in this flag: every evaluation is an `ERROR` / `PARSE_ERROR`.
    Broken(Box<str>),
    /// Pinned by a deployment override.
    Forced(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FlagEntry {
    pub(crate) key: Box<str>,
    /// `hash_str(key)`.
    pub(crate) hash: u64,
    /// `None` when the flag could not be loaded at all.
    pub(crate) kind: Option<Kind>,
    pub(crate) variants: Vec<Variant>,
    pub(crate) body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SegmentEntry {
    pub(crate) key: Box<str>,
    pub(crate) broken: bool,
    pub(crate) include: LitSet,
    pub(crate) exclude: LitSet,
    pub(crate) rules: Vec<Vec<ClauseId>>,
}

/// One environment of one document version, compiled for evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub(crate) environment: Box<str>,
    pub(crate) version: u64,
    /// The context slots: `attributes[0]` is always the targeting key.
    pub(crate) attributes: Vec<AttrPath>,
    /// Identifies the slot layout, so a context bound to another layout is refused.
    pub(crate) layout: u64,
    /// Sorted by key.
    pub(crate) flags: Vec<FlagEntry>,
    /// Every distinct clause of every rule (flags' and segments'), referred to by index.
    pub(crate) clauses: Vec<Clause>,
    /// Open-addressing table of indices into `flags` (`u32::MAX` is empty), by key hash.
    pub(crate) index: Vec<u32>,
    pub(crate) segments: Vec<SegmentEntry>,
}

/// Why [`Snapshot::force`] refused an override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForceError {
    UnknownFlag,
    /// The value is neither `true`/`false` for a boolean flag nor a variant name.
    UnknownVariant,
}

/// Builds the key table of [`Snapshot::index`]: at most half full, so a lookup probes one or
/// two slots.
pub(crate) fn index_of(flags: &[FlagEntry]) -> Vec<u32> {
    let size = (flags.len() * 2).next_power_of_two().max(2);
    let mask = size - 1;
    let mut table = alloc::vec![u32::MAX; size];
    for (i, flag) in flags.iter().enumerate() {
        let mut at = (flag.hash as usize) & mask;
        while table.get(at).is_some_and(|&x| x != u32::MAX) {
            at = (at + 1) & mask;
        }
        if let Some(slot) = table.get_mut(at) {
            *slot = i as u32;
        }
    }
    table
}

pub(crate) fn layout_of(attributes: &[AttrPath]) -> u64 {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(attributes.len() * 2);
    for a in attributes {
        parts.push(a.name().as_bytes());
        parts.push(b"\0");
    }
    let lo = murmur3_x86_32(&parts, 0);
    let hi = murmur3_x86_32(&parts, 0x9e37_79b9);
    (u64::from(hi) << 32) | u64::from(lo) | ((attributes.len() as u64) << 56)
}

impl Snapshot {
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The document version this snapshot was compiled from.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn set_version(&mut self, version: u64) {
        self.version = version;
    }

    /// Flag keys, sorted.
    pub fn flag_keys(&self) -> impl Iterator<Item = &str> {
        self.flags.iter().map(|f| &*f.key)
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The attribute names contexts are read for, in slot order. Hosts that marshal contexts
    /// themselves (the npm package) read exactly these and nothing else.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(AttrPath::name)
    }

    pub(crate) fn find(&self, key: &str) -> Option<usize> {
        let mask = self.index.len().checked_sub(1)?;
        let h = hash_str(key);
        let mut at = (h as usize) & mask;
        loop {
            let i = *self.index.get(at)?;
            if i == u32::MAX {
                return None;
            }
            let flag = self.flags.get(i as usize)?;
            if flag.hash == h && *flag.key == *key {
                return Some(i as usize);
            }
            at = (at + 1) & mask;
        }
    }

    /// The kind of a flag, if it exists and could be loaded.
    pub fn kind(&self, key: &str) -> Option<Kind> {
        self.flags.get(self.find(key)?)?.kind
    }

    /// Whether the flag exists and has a variant of that name (what usage counts may name).
    pub fn has_variant(&self, key: &str, variant: &str) -> bool {
        self.find(key)
            .and_then(|i| self.flags.get(i))
            .is_some_and(|f| f.variants.iter().any(|v| &*v.name == variant))
    }

    /// Pins a flag to one variant at this deployment (the worker's `FF_<KEY>` variables):
    /// `"true"`/`"false"` pick the variant with that value of a boolean flag, anything else must
    /// name a variant. Evaluation then answers that variant with reason `STATIC`.
    pub fn force(&mut self, key: &str, value: &str) -> Result<(), ForceError> {
        let i = self.find(key).ok_or(ForceError::UnknownFlag)?;
        let flag = self.flags.get_mut(i).ok_or(ForceError::UnknownFlag)?;
        let by_name = flag.variants.iter().position(|v| &*v.name == value);
        let by_value = match (flag.kind, value) {
            (Some(Kind::Boolean), "true" | "false") => {
                flag.variants.iter().position(|v| &*v.json == value)
            }
            _ => None,
        };
        let index = by_name.or(by_value).ok_or(ForceError::UnknownVariant)?;
        flag.body = Body::Forced(index as u32);
        Ok(())
    }
}
