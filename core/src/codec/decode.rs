//! Reading a snapshot's binary form, built for untrusted input (see the parent module's docs).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::snapshot::{
    AttrPath, Body, Clause, ClauseId, Cmp, FlagEntry, Kind, LitSet, NOW, Prerequisite, Rollout,
    Rule, SegmentEntry, SemverLit, Serve, Settings, Snapshot, Target, Test, Variant, index_of,
    layout_of,
};

use super::{DecodeError, MAGIC};

/// Reads the binary format. A failed read records the first error, moves to the end of the
/// input and answers a default (zero, empty), so every read after it fails at once and every
/// count reads zero: decoding never branches on errors item by item, and the first error is
/// what [`Snapshot::decode`] reports. (One error path instead of one per `?` keeps the
/// decoder small in the browser's wasm.)
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    error: Option<DecodeError>,
    /// Bytes the decoder may still allocate for lists: [`ALLOCATION_FACTOR`] times the input.
    /// A count is checked against what is left before its list is allocated, so a few bytes
    /// that declare millions of items fail at once instead of reserving gigabytes.
    budget: usize,
}

/// How many bytes of lists a decoded snapshot may hold per byte of its encoding. A real
/// snapshot holds about 4 (the benchmark document: strings are held once, as encoded); the
/// densest valid encoding (empty rules, one byte each, held as 24-byte lists) about 24.
pub(crate) const ALLOCATION_FACTOR: usize = 32;

impl<'a> Reader<'a> {
    #[cold]
    fn fail(&mut self, error: DecodeError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.at = self.bytes.len();
    }

    /// Fails with `Invalid(what)` unless `ok`.
    fn check(&mut self, ok: bool, what: &'static str) {
        if !ok {
            self.fail(DecodeError::Invalid(what));
        }
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> &'a [u8] {
        let bytes = self.bytes;
        match self
            .at
            .checked_add(n)
            .and_then(|end| bytes.get(self.at..end))
        {
            Some(taken) => {
                self.at += n;
                taken
            }
            None => {
                self.fail(DecodeError::Truncated);
                &[]
            }
        }
    }

    fn u8(&mut self) -> u8 {
        match self.bytes.get(self.at) {
            Some(&b) => {
                self.at += 1;
                b
            }
            None => {
                self.fail(DecodeError::Truncated);
                0
            }
        }
    }

    fn bool(&mut self) -> bool {
        let b = self.u8();
        self.check(b <= 1, "a flag byte is neither 0 nor 1");
        b == 1
    }

    fn varint(&mut self) -> u64 {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8();
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return v;
            }
        }
        self.fail(DecodeError::Invalid("a number is too long"));
        0
    }

    fn u32(&mut self) -> u32 {
        let v = self.varint();
        let small = u32::try_from(v).ok();
        self.check(small.is_some(), "a number is too large");
        small.unwrap_or(0)
    }

    /// A count of items that each take at least one byte: never more than the bytes left, so
    /// garbage cannot make us allocate.
    fn count(&mut self) -> usize {
        let n = self.varint();
        let left = (self.bytes.len() - self.at.min(self.bytes.len())) as u64;
        if n > left {
            self.fail(DecodeError::Truncated);
            return 0;
        }
        n as usize
    }

    fn i64(&mut self) -> i64 {
        let v = self.varint();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    fn f64(&mut self) -> f64 {
        let raw: [u8; 8] = self.take(8).try_into().unwrap_or_default();
        f64::from_le_bytes(raw)
    }

    fn str(&mut self) -> &'a str {
        let n = self.count();
        let bytes = self.take(n);
        let text = core::str::from_utf8(bytes).ok();
        self.check(text.is_some(), "text is not UTF-8");
        text.unwrap_or_default()
    }

    fn boxed(&mut self) -> Box<str> {
        self.str().into()
    }

    /// Takes `bytes` from the allocation budget; fails (and answers `false`) past it.
    fn spend(&mut self, bytes: usize) -> bool {
        match self.budget.checked_sub(bytes) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => {
                self.fail(DecodeError::Invalid(
                    "the snapshot declares more than its size can hold",
                ));
                false
            }
        }
    }

    fn many<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let mut n = self.count();
        if !self.spend(n.saturating_mul(core::mem::size_of::<T>())) {
            n = 0;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self));
        }
        out
    }

    /// A list of strings as one text cut at `ends` (see [`LitSet`]): the lengths first, then
    /// the bytes, so the text is allocated once, at its size, and validated in one go. The
    /// third vector holds where each string starts in the input (the set reuses it for hashes).
    fn joined(&mut self) -> (Box<str>, Vec<u32>, Vec<u64>) {
        let clean = self.error.is_none();
        let mut n = self.count();
        // Per string: its end, its start and (in the set) its hash.
        if !self.spend(n.saturating_mul(20)) {
            n = 0;
        }
        let mut ends = Vec::with_capacity(n);
        let mut starts: Vec<u64> = Vec::with_capacity(n);
        let mut total: usize = 0;
        for _ in 0..n {
            let len = self.count();
            starts.push(self.at as u64);
            self.take(len);
            total += len;
            ends.push(total as u32);
        }
        let mut bytes = Vec::with_capacity(total);
        let mut from = 0;
        for (&start, &end) in starts.iter().zip(&ends) {
            let (start, end) = (start as usize, end as usize);
            let piece = self.bytes.get(start..start + (end - from));
            from = end;
            if clean && self.error.is_some() {
                // Cut short: report what reading string by string would have met first.
                let Some(piece) = piece else { break };
                if core::str::from_utf8(piece).is_err() {
                    self.error = Some(DecodeError::Invalid("text is not UTF-8"));
                    break;
                }
            } else {
                bytes.extend_from_slice(piece.unwrap_or_default());
            }
        }
        let text = alloc::string::String::from_utf8(bytes).unwrap_or_default();
        // Valid as a whole and cut at character boundaries: every string is valid.
        let valid =
            text.len() == total && ends.iter().all(|&end| text.is_char_boundary(end as usize));
        self.check(valid, "text is not UTF-8");
        (text.into_boxed_str(), ends, starts)
    }

    fn lit_set(&mut self) -> LitSet {
        let (text, ends, buffer) = self.joined();
        let nums = self.many(Self::f64);
        let bools = self.u8();
        self.check(bools <= 3, "a boolean set has unknown bits");
        let set = LitSet::from_sorted(text, ends, buffer, nums, [bools & 1 != 0, bools & 2 != 0]);
        self.check(set.is_some(), "a set of literals is not in order");
        set.unwrap_or_default()
    }

    fn cmp(&mut self) -> Cmp {
        match self.u8() {
            0 => Cmp::Eq,
            1 => Cmp::Lt,
            2 => Cmp::Lte,
            3 => Cmp::Gt,
            4 => Cmp::Gte,
            _ => {
                self.fail(DecodeError::Invalid("unknown comparison"));
                Cmp::Eq
            }
        }
    }

    fn clause(&mut self) -> Clause {
        let slot = match self.u32() {
            0 => NOW,
            n => n - 1,
        };
        let negate = self.bool();
        let test = match self.u8() {
            0 => Test::In(self.lit_set()),
            1 => Test::StartsWith(self.many(Self::boxed)),
            2 => Test::EndsWith(self.many(Self::boxed)),
            3 => Test::Contains(self.many(Self::boxed)),
            4 => {
                let cmp = self.cmp();
                Test::Number(cmp, self.many(Self::f64))
            }
            5 => {
                let cmp = self.cmp();
                Test::Semver(
                    cmp,
                    self.many(|r| SemverLit {
                        major: r.varint(),
                        minor: r.varint(),
                        patch: r.varint(),
                        pre: r.boxed(),
                    }),
                )
            }
            6 => Test::Before(self.many(Self::i64)),
            7 => Test::After(self.many(Self::i64)),
            8 => Test::InSegment(self.many(Self::u32)),
            9 => Test::Exists,
            10 => Test::Never,
            _ => {
                self.fail(DecodeError::Invalid("unknown clause operator"));
                Test::Never
            }
        };
        Clause { slot, negate, test }
    }

    fn serve(&mut self) -> Serve {
        match self.u8() {
            0 => Serve::Variant(self.u32()),
            1 => {
                let slot = self.u32();
                let salt = self.str();
                let steps = self.many(|r| (r.u32(), r.u32()));
                let total = self.u32();
                self.check(
                    total != 0 && steps.is_sorted_by_key(|step| step.0),
                    "a rollout's weights are not increasing",
                );
                Serve::Rollout(Rollout::new(slot, salt, steps, total))
            }
            _ => {
                self.fail(DecodeError::Invalid("unknown serve"));
                Serve::Variant(0)
            }
        }
    }

    fn settings(&mut self) -> Settings {
        let enabled = self.bool();
        let off = self.u32().checked_sub(1);
        let prerequisites = self.many(|r| Prerequisite {
            flag: r.u32(),
            variant: r.u32(),
        });
        let targets = self.many(|r| Target {
            slot: r.u32(),
            values: r.lit_set(),
            variant: r.u32(),
        });
        let rules = self.many(|r| Rule {
            id: if r.bool() { Some(r.boxed()) } else { None },
            clauses: r.many(Self::u32),
            serve: r.serve(),
        });
        let default = if self.bool() {
            Some(self.serve())
        } else {
            None
        };
        let schedule = self.many(|r| (r.i64(), r.serve()));
        self.check(
            schedule.is_sorted_by_key(|step| step.0),
            "schedule steps are not in time order",
        );
        Settings {
            enabled,
            off,
            prerequisites,
            targets,
            rules,
            default,
            schedule,
        }
    }

    fn flag(&mut self) -> FlagEntry {
        let key = self.boxed();
        let kind = match self.u8() {
            0 => Some(Kind::Boolean),
            1 => Some(Kind::String),
            2 => Some(Kind::Number),
            3 => Some(Kind::Json),
            4 => None,
            _ => {
                self.fail(DecodeError::Invalid("unknown flag kind"));
                None
            }
        };
        let variants = self.many(|r| Variant {
            name: r.boxed(),
            json: r.boxed(),
        });
        let body = match self.u8() {
            0 => Body::Live(self.settings()),
            1 => Body::Broken(self.boxed()),
            2 => Body::Forced(self.u32()),
            _ => {
                self.fail(DecodeError::Invalid("unknown flag body"));
                Body::Forced(0)
            }
        };
        FlagEntry {
            hash: crate::hash::hash_str(&key),
            key,
            kind,
            variants,
            body,
        }
    }
}

type Result<T> = core::result::Result<T, DecodeError>;

/// Every index in a decoded snapshot points at something, so evaluation never meets a
/// dangling reference (it would not panic either, but it would answer nonsense).
fn check_references(s: &Snapshot) -> Result<()> {
    let bad = DecodeError::Invalid;
    let slot_ok = |slot: u32| slot == NOW || (slot as usize) < s.attributes.len();
    let clause_ok = |id: &ClauseId| (*id as usize) < s.clauses.len();
    let serve_ok = |serve: &Serve, variants: usize| match serve {
        Serve::Variant(v) => (*v as usize) < variants,
        Serve::Rollout(r) => {
            // `bucketBy: "$now"` is the evaluation time: a number, so it never buckets, but the
            // document is valid and its snapshot must travel.
            slot_ok(r.slot)
                && r.steps.iter().all(|&(_, v)| (v as usize) < variants)
                && r.steps.last().is_none_or(|&(sum, _)| sum <= r.total)
        }
    };
    for c in &s.clauses {
        if !slot_ok(c.slot) {
            return Err(bad("a clause reads an unknown attribute"));
        }
        if let Test::InSegment(segments) = &c.test
            && segments.iter().any(|&i| i as usize >= s.segments.len())
        {
            return Err(bad("a clause names an unknown segment"));
        }
    }
    for seg in &s.segments {
        if !seg.rules.iter().flatten().all(clause_ok) {
            return Err(bad("a segment rule names an unknown clause"));
        }
    }
    for f in &s.flags {
        let n = f.variants.len();
        match &f.body {
            Body::Live(st) => {
                let ok = st.off.is_none_or(|v| (v as usize) < n)
                    && st
                        .prerequisites
                        .iter()
                        .all(|p| (p.flag as usize) < s.flags.len())
                    && st
                        .targets
                        .iter()
                        .all(|t| slot_ok(t.slot) && (t.variant as usize) < n)
                    && st
                        .rules
                        .iter()
                        .all(|r| r.clauses.iter().all(clause_ok) && serve_ok(&r.serve, n))
                    && st.default.as_ref().is_none_or(|d| serve_ok(d, n))
                    && st.schedule.iter().all(|(_, d)| serve_ok(d, n));
                if !ok {
                    return Err(bad("a flag refers to something that does not exist"));
                }
            }
            Body::Forced(v) if (*v as usize) >= n => {
                return Err(bad("a forced flag names an unknown variant"));
            }
            _ => {}
        }
    }
    Ok(())
}

impl Snapshot {
    /// Reads a snapshot written by [`Snapshot::encode`]. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Snapshot> {
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(DecodeError::BadMagic);
        }
        let mut r = Reader {
            bytes,
            at: 4,
            error: None,
            budget: bytes.len().saturating_mul(ALLOCATION_FACTOR),
        };
        let version = r.varint();
        let environment = r.boxed();
        let mut attributes = alloc::vec![AttrPath::TargetingKey];
        attributes.extend(r.many(|r| AttrPath::Named(r.boxed())));
        let clauses = r.many(Reader::clause);
        let segments = r.many(|r| SegmentEntry {
            key: r.boxed(),
            broken: r.bool(),
            include: r.lit_set(),
            exclude: r.lit_set(),
            rules: r.many(|r| r.many(Reader::u32)),
        });
        let flags = r.many(Reader::flag);
        if let Some(error) = r.error {
            return Err(error);
        }
        if r.at != bytes.len() {
            return Err(DecodeError::TrailingBytes);
        }
        // Before the key table is built: equal keys would make building it quadratic.
        if !flags.is_sorted_by(|a, b| a.key < b.key) {
            return Err(DecodeError::Invalid("flags are not sorted by key"));
        }
        let layout = layout_of(&attributes);
        let index = index_of(&flags);
        let snapshot = Snapshot {
            environment,
            version,
            attributes,
            layout,
            flags,
            clauses,
            index,
            segments,
        };
        check_references(&snapshot)?;
        Ok(snapshot)
    }
}
