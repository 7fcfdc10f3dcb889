//! The compiled form of one environment: what evaluation walks.
//!
//! Everything a decision needs is resolved here once, at compile time: variant names become
//! indices, attribute names become context slots, literals are parsed (numbers, semver,
//! timestamps), target and `in` lists are sorted for binary search, and rollouts carry running
//! weight sums. Nothing in here refers to serde_json, so the evaluator alone stays small.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::hash::{Text, hash_str};
use crate::murmur3::{Murmur3, murmur3_x86_32, scale};

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

/// A set of literals. Strings are kept sorted by hash, hashes in their own dense array: a lookup
/// starts at the position the (uniform) hash predicts, compares integers in one or two cache
/// lines, and reads string bytes only on a hit. Target lists run to thousands of ids, so the
/// strings share one allocation (`text`, cut at `ends`) rather than one each: a snapshot
/// decodes (and is freed) in a fraction of the allocations.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LitSet {
    /// Two bits per member (sets of up to `FILTERED` members): most lookups are misses, and
    /// this answers nearly all of them with one predictable test instead of a search.
    pub(crate) filter: [u64; 4],
    pub(crate) hashes: Vec<u64>,
    /// The strings one after another, in set order; string `i` ends at byte `ends[i]`.
    pub(crate) text: Box<str>,
    pub(crate) ends: Vec<u32>,
    pub(crate) nums: Vec<f64>,
    pub(crate) bools: [bool; 2],
}

/// Sets larger than this skip the filter (it would be mostly ones).
const FILTERED: usize = 96;

/// The two filter bits of a hash, from bits the sorted order does not use first.
#[inline]
fn filter_bits(h: u64) -> [usize; 2] {
    [(h & 0xff) as usize, ((h >> 8) & 0xff) as usize]
}

impl LitSet {
    pub(crate) fn from_lits(lits: impl IntoIterator<Item = Lit>) -> Self {
        let mut set = LitSet::default();
        let mut strs: Vec<(u64, Box<str>)> = Vec::new();
        for lit in lits {
            match lit {
                Lit::Str(s) => strs.push((hash_str(&s), s)),
                Lit::Num(n) => set.nums.push(n),
                Lit::Bool(b) => {
                    if let Some(slot) = set.bools.get_mut(usize::from(b)) {
                        *slot = true;
                    }
                }
            }
        }
        strs.sort_unstable();
        strs.dedup();
        let mut text = alloc::string::String::new();
        for (h, s) in &strs {
            text.push_str(s);
            set.hashes.push(*h);
            set.ends.push(text.len() as u32);
        }
        set.text = text.into_boxed_str();
        set.filter = set.build_filter();
        set
    }

    /// The number of strings in the set.
    pub(crate) fn str_count(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th string, in set order.
    #[inline]
    pub(crate) fn str_at(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }

    #[inline]
    fn may_contain(&self, h: u64) -> bool {
        filter_bits(h).iter().all(|&bit| {
            self.filter
                .get(bit >> 6)
                .is_some_and(|word| word & (1 << (bit & 63)) != 0)
        })
    }

    /// A set from strings already in set order (sorted by hash, then text; no duplicates), as
    /// the binary format stores them, given as `text` cut at `ends`: no sorting at decode
    /// time. `None` if out of order, or if a cut is not at a character boundary. `hashes` is
    /// any vector to fill (its contents are dropped), so a decoder can lend one it is done with.
    pub(crate) fn from_sorted(
        text: Box<str>,
        ends: Vec<u32>,
        mut hashes: Vec<u64>,
        nums: Vec<f64>,
        bools: [bool; 2],
    ) -> Option<Self> {
        hashes.clear();
        let mut start = 0;
        let mut last: Option<(u64, &str)> = None;
        for &end in &ends {
            let s = text.get(start..end as usize)?;
            start = end as usize;
            let h = hash_str(s);
            if last.is_some_and(|before| before >= (h, s)) {
                return None;
            }
            last = Some((h, s));
            hashes.push(h);
        }
        if start != text.len() {
            return None;
        }
        let mut set = LitSet {
            filter: [u64::MAX; 4],
            hashes,
            text,
            ends,
            nums,
            bools,
        };
        set.filter = set.build_filter();
        Some(set)
    }

    fn build_filter(&self) -> [u64; 4] {
        if self.hashes.len() > FILTERED {
            return [u64::MAX; 4];
        }
        let mut filter = [0u64; 4];
        for &h in &self.hashes {
            for bit in filter_bits(h) {
                if let Some(word) = filter.get_mut(bit >> 6) {
                    *word |= 1 << (bit & 63);
                }
            }
        }
        filter
    }

    /// The first position whose hash is not below `h`.
    fn lower_bound(&self, h: u64) -> usize {
        let hashes = &self.hashes;
        let n = hashes.len();
        if n <= 8 {
            return hashes.iter().take_while(|&&x| x < h).count();
        }
        // Interpolate, then gallop towards the answer and finish with a binary search.
        let guess = ((u128::from(h) * n as u128) >> 64) as usize;
        let below = |i: usize| hashes.get(i).is_some_and(|&x| x < h);
        let (mut lo, mut hi) = if below(guess) {
            let mut step = 1;
            let mut lo = guess + 1;
            while lo + step <= n && below(lo + step - 1) {
                lo += step;
                step *= 2;
            }
            (lo, (lo + step).min(n))
        } else {
            let mut step = 1;
            let mut hi = guess;
            while hi >= step && !below(hi - step) {
                hi -= step;
                step *= 2;
            }
            (hi.saturating_sub(step), hi)
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    #[inline]
    pub(crate) fn contains_str(&self, s: &Text) -> bool {
        self.may_contain(s.hash()) && self.search(s)
    }

    #[inline(never)]
    fn search(&self, s: &Text) -> bool {
        let h = s.hash();
        let mut i = self.lower_bound(h);
        while self.hashes.get(i) == Some(&h) {
            if self.str_at(i) == Some(s.as_str()) {
                return true;
            }
            i += 1;
        }
        false
    }

    #[inline]
    pub(crate) fn contains_num(&self, n: f64) -> bool {
        self.nums.contains(&n)
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

/// Appends a decimal integer (no `core::fmt`: see `EvalError::message`).
fn push_int(out: &mut alloc::string::String, n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in digits.iter().take(len).rev() {
        out.push(char::from(d));
    }
}

/// Appends a small integer, or `-1` for `u32::MAX` (the "none" of outcomes).
fn push_index(out: &mut alloc::string::String, n: u32) {
    if n == u32::MAX {
        out.push_str("-1");
    } else {
        push_int(out, u64::from(n));
    }
}

/// What bindings need to know about a snapshot without calling into it for every evaluation.
impl Snapshot {
    /// True when some evaluation can depend on the time (a schedule, or a clause on `$now`);
    /// otherwise outcomes depend on the context alone, and bindings may keep them for as long
    /// as the context stays the same.
    pub fn reads_clock(&self) -> bool {
        self.clauses.iter().any(|c| c.slot == NOW)
            || self
                .flags
                .iter()
                .any(|f| matches!(&f.body, Body::Live(s) if !s.schedule.is_empty()))
    }

    /// The outcome of the flag at `index` when it cannot depend on the context or the time
    /// (forced, disabled, broken, or a single-variant default with no targeting), for a
    /// context that is valid. Bindings answer such flags without evaluating.
    pub fn static_outcome(&self, index: usize) -> Option<crate::Outcome> {
        use crate::{ErrorCode, Outcome, Reason};
        let flag = self.flags.get(index)?;
        match &flag.body {
            Body::Forced(v) => Some(Outcome::served(Some(*v), Reason::Static)),
            Body::Broken(_) => Some(Outcome::error(ErrorCode::ParseError, Outcome::NONE)),
            Body::Live(s) if !s.enabled => Some(Outcome::served(s.off, Reason::Disabled)),
            Body::Live(s) if s.is_static() => match s.default {
                Some(Serve::Variant(v)) => Some(Outcome::served(Some(v), Reason::Static)),
                _ => None,
            },
            Body::Live(_) => None,
        }
    }

    /// Writes the snapshot's manifest as JSON, for bindings that resolve names and values on
    /// their side of a boundary:
    /// `{"version","environment","clock","attributes":[…],"flags":[[…]…]}` (`clock` is
    /// [`Snapshot::reads_clock`]) where each flag is an array
    /// (arrays parse faster than objects) of seven entries: the key; the type
    /// of its variants as a [`crate::ValueType`] index (a `json` flag is `3`, object), or `-1`
    /// when the flag could not be loaded; the variants' names; their values (the variants' JSON
    /// verbatim); the rules' ids (`null` for a rule without one); [`Snapshot::static_outcome`]
    /// as `[variant, reason, error]` integers (see [`crate::Outcome`]; `-1` for none) or `null`;
    /// and, for a flag with a document error, what is wrong (the `PARSE_ERROR` message says
    /// it), else `null`.
    pub fn write_manifest(&self, out: &mut alloc::string::String) {
        use crate::detail::write_json_string;
        out.reserve(256 + 96 * self.flags.len());
        out.push_str("{\"version\":");
        push_int(out, self.version);
        out.push_str(",\"environment\":");
        write_json_string(out, &self.environment);
        out.push_str(if self.reads_clock() {
            ",\"clock\":true,\"attributes\":["
        } else {
            ",\"clock\":false,\"attributes\":["
        });
        for (i, a) in self.attributes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_string(out, a.name());
        }
        out.push_str("],\"flags\":[");
        for (i, f) in self.flags.iter().enumerate() {
            out.push_str(if i > 0 { ",[" } else { "[" });
            write_json_string(out, &f.key);
            out.push_str(match f.kind {
                Some(Kind::Boolean) => ",0,[",
                Some(Kind::String) => ",1,[",
                Some(Kind::Number) => ",2,[",
                Some(Kind::Json) => ",3,[",
                None => ",-1,[",
            });
            for (j, v) in f.variants.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_json_string(out, &v.name);
            }
            out.push_str("],[");
            for (j, v) in f.variants.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(&v.json);
            }
            out.push_str("],[");
            if let Body::Live(s) = &f.body {
                for (j, r) in s.rules.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    match &r.id {
                        Some(id) => write_json_string(out, id),
                        None => out.push_str("null"),
                    }
                }
            }
            out.push_str("],");
            match self.static_outcome(i) {
                Some(o) => {
                    out.push('[');
                    push_index(out, o.variant);
                    out.push(',');
                    push_index(out, u32::from(o.reason as u8));
                    out.push(',');
                    push_index(out, o.error.map_or(u32::MAX, |e| u32::from(e as u8)));
                    out.push(']');
                }
                None => out.push_str("null"),
            }
            out.push(',');
            match &f.body {
                Body::Broken(why) => write_json_string(out, why),
                _ => out.push_str("null"),
            }
            out.push(']');
        }
        out.push_str("]}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn integers_are_written_like_format() {
        for n in [0u64, 7, 10, 99, 4_294_967_295, u64::MAX] {
            let mut out = alloc::string::String::new();
            push_int(&mut out, n);
            assert_eq!(out, format!("{n}"));
        }
        for (n, text) in [
            (0u32, "0"),
            (42, "42"),
            (u32::MAX - 1, "4294967294"),
            (u32::MAX, "-1"),
        ] {
            let mut out = alloc::string::String::new();
            push_index(&mut out, n);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn lit_set_lookup_agrees_with_a_scan() {
        for n in [0usize, 1, 2, 7, 8, 9, 20, 100, 1000, 5000] {
            let members: Vec<alloc::string::String> = (0..n).map(|i| format!("user-{i}")).collect();
            let set = LitSet::from_lits(members.iter().map(|m| Lit::Str(m.as_str().into())));
            assert!(set.hashes.windows(2).all(|w| w[0] <= w[1]));
            for probe in 0..(n + 50) {
                let text = Text::new(&format!("user-{probe}"));
                assert_eq!(set.contains_str(&text), probe < n, "n={n} probe={probe}");
                let h = text.hash();
                let naive = set.hashes.iter().take_while(|&&x| x < h).count();
                assert_eq!(set.lower_bound(h), naive, "n={n} probe={probe}");
            }
            for h in [0u64, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
                let naive = set.hashes.iter().take_while(|&&x| x < h).count();
                assert_eq!(set.lower_bound(h), naive, "n={n} h={h}");
            }
        }
    }

    /// Over the whole corpus: a snapshot that says it does not read the clock gives the same
    /// outcomes at any time, for every context of its cases; and the corpus has both kinds.
    #[test]
    fn snapshots_that_do_not_read_the_clock_are_timeless() {
        extern crate std;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
        let (mut timeless, mut clocked) = (0, 0);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name == "murmur3.json" || name == "validation.json" {
                continue;
            }
            let file: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let loaded = crate::load_value(file["document"].clone()).unwrap();
            for env in loaded.document.environments.clone() {
                let snapshot = loaded.compile(&env).snapshot;
                if snapshot.reads_clock() {
                    clocked += 1;
                    continue;
                }
                timeless += 1;
                for case in file["cases"].as_array().unwrap() {
                    let context = snapshot.context(&case["context"]);
                    let at = |now: i64| {
                        let mut out = Vec::new();
                        snapshot.outcomes(&context, now, &mut out);
                        out
                    };
                    let reference = at(1_767_225_600_000);
                    for now in [i64::MIN, -1, 0, 1_800_000_000_000, i64::MAX] {
                        assert_eq!(at(now), reference, "{name} {env} at {now}");
                    }
                }
            }
        }
        assert!(
            timeless > 5 && clocked > 0,
            "{timeless} timeless, {clocked} clocked"
        );
    }
}
