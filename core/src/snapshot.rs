//! The compiled form of one environment: what evaluation walks.
//!
//! Everything a decision needs is resolved here once, at compile time: variant names become
//! indices, attribute names become context slots, literals are parsed (numbers, semver,
//! timestamps), target and `in` lists are sorted for binary search, and rollouts carry running
//! weight sums. Nothing in here refers to serde_json, so the evaluator alone stays small.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::murmur3::murmur3_x86_32;

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

/// A literal in an `in` clause or a target list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
}

/// A set of literals, strings sorted for binary search (target lists run to thousands of ids).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LitSet {
    pub(crate) strs: Vec<Box<str>>,
    pub(crate) nums: Vec<f64>,
    pub(crate) bools: [bool; 2],
}

impl LitSet {
    pub(crate) fn from_lits(lits: impl IntoIterator<Item = Lit>) -> Self {
        let mut set = LitSet::default();
        for lit in lits {
            match lit {
                Lit::Str(s) => set.strs.push(s),
                Lit::Num(n) => set.nums.push(n),
                Lit::Bool(b) => {
                    if let Some(slot) = set.bools.get_mut(usize::from(b)) {
                        *slot = true;
                    }
                }
            }
        }
        set.strs.sort_unstable();
        set.strs.dedup();
        set
    }

    pub(crate) fn contains_str(&self, s: &str) -> bool {
        self.strs.binary_search_by(|x| (**x).cmp(s)).is_ok()
    }

    pub(crate) fn contains_num(&self, n: f64) -> bool {
        self.nums.iter().any(|&x| x == n)
    }

    pub(crate) fn contains_bool(&self, b: bool) -> bool {
        self.bools.get(usize::from(b)).copied().unwrap_or(false)
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
    /// `(running sum of weights, variant)`; the variant is the first whose sum exceeds the
    /// bucket. Zero-weight entries are dropped at compile time.
    pub(crate) steps: Vec<(u32, u32)>,
    pub(crate) total: u32,
}

impl Rollout {
    /// The variant for a bucketBy value.
    pub(crate) fn pick(&self, value: &str) -> Option<u32> {
        let h = murmur3_x86_32(&[self.salt.as_bytes(), value.as_bytes()], 0);
        let bucket = ((u64::from(h) * u64::from(self.total)) >> 32) as u32;
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

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rule {
    pub(crate) id: Option<Box<str>>,
    pub(crate) clauses: Vec<Clause>,
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
    pub(crate) rules: Vec<Vec<Clause>>,
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
    pub(crate) segments: Vec<SegmentEntry>,
}

/// Why [`Snapshot::force`] refused an override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForceError {
    UnknownFlag,
    /// The value is neither `true`/`false` for a boolean flag nor a variant name.
    UnknownVariant,
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
        self.flags.binary_search_by(|f| (*f.key).cmp(key)).ok()
    }

    /// The kind of a flag, if it exists and could be loaded.
    pub fn kind(&self, key: &str) -> Option<Kind> {
        self.flags.get(self.find(key)?)?.kind
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
