//! Evaluation over a compiled snapshot, step by step in the order docs/semantics.md describes
//! ("Evaluation order"): the first step that answers wins.
//!
//! The hot path allocates nothing: attributes come from context slots, literals were parsed at
//! compile time, results borrow from the snapshot. Each segment and prerequisite is decided at
//! most once per evaluation ([`seen`]), so an evaluation costs the size of the graph it reaches.
//! Depth guards make cycles that slipped past validation (or a snapshot built by hand) end in
//! `GENERAL` instead of a stack overflow.

mod seen;

use crate::MAX_DEPTH;
use crate::context::{Attr, Context};
use crate::detail::{
    Detail, ErrorCode, GENERAL_GRAPH_TOO_LARGE, GENERAL_NO_DEFAULT, GENERAL_OTHER_LAYOUT,
    GENERAL_PREREQUISITES_TOO_DEEP, GENERAL_SEGMENTS_TOO_DEEP, Outcome, Reason, ValueType,
};
use crate::snapshot::{
    Body, Clause, ClauseId, FlagEntry, NOW, Rollout, Serve, Snapshot, Target, Test,
};
use crate::time::parse_rfc3339;
use alloc::vec::Vec;
use core::cell::Cell;
use seen::{Node, Recall, Seen, Table};

#[cfg(test)]
extern crate std;

#[cfg(test)]
std::thread_local! {
    /// Flags and segments evaluated on this thread: how the tests see that each is evaluated
    /// once per evaluation.
    static VISITS: Cell<usize> = const { Cell::new(0) };
}

#[inline(always)]
fn visited() {
    #[cfg(test)]
    VISITS.with(|v| v.set(v.get() + 1));
}

/// Result of testing one candidate value: `None` when its type does not suit the operator.
type Check = Option<bool>;

fn any_str(values: &[alloc::boxed::Box<str>], f: impl Fn(&str) -> bool) -> bool {
    values.iter().any(|v| f(v))
}

const UNKNOWN: u8 = 0;
const NO: u8 = 1;
const YES: u8 = 2;

/// A clause's verdict, one byte so the rule loop stays in registers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    No,
    Yes,
    /// Segments nest deeper than `MAX_DEPTH`.
    TooDeep,
    /// The flag reaches more segments and prerequisites than `MAX_GRAPH`.
    TooLarge,
}

impl Verdict {
    /// The `GENERAL` error a verdict that decides nothing stops the flag with.
    #[cold]
    fn general(self) -> Outcome {
        let why = match self {
            Verdict::TooLarge => GENERAL_GRAPH_TOO_LARGE,
            _ => GENERAL_SEGMENTS_TOO_DEEP,
        };
        Outcome::error(ErrorCode::General, why)
    }
}

/// A prerequisite's outcome as its dependents use it, in the 32 bits [`Seen`] keeps: the
/// variant it served, or (top bit set) the `GENERAL` error that stops them too.
const GENERAL_BIT: u32 = 1 << 31;

fn pack(outcome: &Outcome) -> u32 {
    if outcome.error == Some(ErrorCode::General) {
        GENERAL_BIT | outcome.aux
    } else {
        outcome.variant & !GENERAL_BIT
    }
}

fn unpack(packed: u32) -> Result<u32, Outcome> {
    match packed {
        p if p & GENERAL_BIT != 0 => Err(Outcome::error(ErrorCode::General, p & !GENERAL_BIT)),
        p if p == !GENERAL_BIT => Ok(Outcome::NO_VARIANT),
        p => Ok(p),
    }
}

impl Verdict {
    #[inline]
    fn of(b: bool) -> Verdict {
        if b { Verdict::Yes } else { Verdict::No }
    }
}

#[inline]
fn roll(rollout: &Rollout, context: &Context) -> Option<u32> {
    match context.slot(rollout.slot) {
        Attr::Str(value) => rollout.pick(value.as_str()),
        _ => None,
    }
}

#[inline]
fn matches_target(target: &Target, context: &Context) -> bool {
    let one = |a: &Attr| match a {
        Attr::Str(s) => target.values.contains_str(s),
        Attr::Num(n) => target.values.contains_num(*n),
        Attr::Bool(b) => target.values.contains_bool(*b),
        _ => false,
    };
    match context.slot(target.slot) {
        Attr::List(items) => items.iter().any(one),
        other => one(other),
    }
}

impl Test {
    #[inline(always)]
    fn check(&self, candidate: &Attr) -> Check {
        match candidate {
            Attr::Str(s) => match self {
                Test::In(set) => Some(set.contains_str(s)),
                Test::StartsWith(vs) => Some(any_str(vs, |v| s.as_str().starts_with(v))),
                Test::EndsWith(vs) => Some(any_str(vs, |v| s.as_str().ends_with(v))),
                Test::Contains(vs) => Some(any_str(vs, |v| crate::search::contains(s.as_str(), v))),
                Test::Semver(cmp, vs) => {
                    let version = crate::semver::Version::parse(s.as_str())?;
                    Some(vs.iter().any(|v| cmp.holds(version.precedence(&v.view()))))
                }
                Test::Before(vs) => Some(before_after(parse_rfc3339(s.as_str())? as f64, vs, true)),
                Test::After(vs) => Some(before_after(parse_rfc3339(s.as_str())? as f64, vs, false)),
                _ => None,
            },
            Attr::Num(n) => match self {
                Test::In(set) => Some(set.contains_num(*n)),
                Test::Number(cmp, vs) => Some(
                    vs.iter()
                        .any(|v| n.partial_cmp(v).is_some_and(|o| cmp.holds(o))),
                ),
                Test::Before(vs) => Some(before_after(*n, vs, true)),
                Test::After(vs) => Some(before_after(*n, vs, false)),
                _ => None,
            },
            Attr::Bool(b) => match self {
                Test::In(set) => Some(set.contains_bool(*b)),
                _ => None,
            },
            Attr::Missing | Attr::List(_) | Attr::Other => None,
        }
    }
}

fn before_after(at: f64, values: &[i64], before: bool) -> bool {
    values.iter().any(|&v| {
        let v = v as f64;
        if before { at < v } else { at > v }
    })
}

impl Snapshot {
    /// Evaluates one flag. `expected` is the type the caller asks for, if it asks for one.
    pub fn evaluate<'s>(
        &'s self,
        key: &str,
        context: &'s Context,
        now: i64,
        expected: Option<ValueType>,
    ) -> Detail<'s> {
        let flag = self.find(key);
        let outcome = match flag {
            Some(index) => self.outcome(index, context, now, expected),
            None => Outcome::error(ErrorCode::FlagNotFound, Outcome::NONE),
        };
        Detail {
            snapshot: self,
            context,
            flag: flag.map(|i| i as u32),
            outcome,
        }
    }

    /// Evaluates every flag for one context, in key order.
    pub fn evaluate_all<'s>(
        &'s self,
        context: &'s Context,
        now: i64,
    ) -> impl Iterator<Item = (&'s str, Detail<'s>)> + 's {
        let memo = self.memo();
        self.flags.iter().enumerate().map(move |(i, flag)| {
            let detail = Detail {
                snapshot: self,
                context,
                flag: Some(i as u32),
                outcome: self.outcome_with(i, context, now, None, &memo),
            };
            (&*flag.key, detail)
        })
    }

    /// Every flag's outcome for one context, in key order, into `out` (cleared first): the
    /// bulk call for bindings, deciding each distinct clause once.
    pub fn outcomes(&self, context: &Context, now: i64, out: &mut Vec<Outcome>) {
        let memo = self.memo();
        out.clear();
        out.extend((0..self.flags.len()).map(|i| self.outcome_with(i, context, now, None, &memo)));
    }

    /// One cell per distinct clause: unknown until a rule first needs it in this call.
    fn memo(&self) -> Vec<Cell<u8>> {
        alloc::vec![Cell::new(UNKNOWN); self.clauses.len()]
    }

    /// The index of a flag, for hosts that evaluate by index ([`Snapshot::outcome`]).
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.find(key)
    }

    /// The compact outcome of the flag at `index`: what bindings pass across as integers.
    pub fn outcome(
        &self,
        index: usize,
        context: &Context,
        now: i64,
        expected: Option<ValueType>,
    ) -> Outcome {
        self.outcome_with(index, context, now, expected, &[])
    }

    fn outcome_with(
        &self,
        index: usize,
        context: &Context,
        now: i64,
        expected: Option<ValueType>,
        memo: &[Cell<u8>],
    ) -> Outcome {
        let Some(flag) = self.flags.get(index) else {
            return Outcome::error(ErrorCode::FlagNotFound, Outcome::NONE);
        };
        if let Body::Broken(_) = &flag.body {
            return Outcome::error(ErrorCode::ParseError, Outcome::NONE);
        }
        if let (Some(expected), Some(kind)) = (expected, flag.kind)
            && ValueType::of(kind) != expected
        {
            return Outcome::error(ErrorCode::TypeMismatch, expected as u32);
        }
        if context.invalid.is_some() {
            return Outcome::error(ErrorCode::InvalidContext, Outcome::NONE);
        }
        if !context.fits(self) {
            return Outcome::error(ErrorCode::General, GENERAL_OTHER_LAYOUT);
        }
        let mut seen = Seen::none();
        let outcome = self.flag(flag, context, now, 0, memo, &mut seen);
        if seen.needed() {
            return self.flag_with_table(flag, context, now, memo);
        }
        outcome
    }

    /// Evaluates a flag that reaches segments or prerequisites, with a table to remember
    /// them in (kept out of the common path's stack frame: see [`Seen`]).
    #[inline(never)]
    fn flag_with_table(
        &self,
        flag: &FlagEntry,
        context: &Context,
        now: i64,
        memo: &[Cell<u8>],
    ) -> Outcome {
        let mut table = Table::new();
        self.flag(flag, context, now, 0, memo, &mut Seen::with(&mut table))
    }

    fn flag(
        &self,
        flag: &FlagEntry,
        context: &Context,
        now: i64,
        depth: usize,
        memo: &[Cell<u8>],
        seen: &mut Seen<'_>,
    ) -> Outcome {
        visited();
        let settings = match &flag.body {
            Body::Live(settings) => settings,
            Body::Broken(_) => return Outcome::error(ErrorCode::ParseError, Outcome::NONE),
            Body::Forced(v) => return Outcome::served(Some(*v), Reason::Static),
        };
        if !settings.enabled {
            return Outcome::served(settings.off, Reason::Disabled);
        }
        for prerequisite in &settings.prerequisites {
            let Some(required) = self.flags.get(prerequisite.flag as usize) else {
                continue;
            };
            let node = Node::Flag(prerequisite.flag);
            let packed = match seen.recall(node) {
                Recall::Known(packed) => packed,
                Recall::NoTable => {
                    return Outcome::error(ErrorCode::General, GENERAL_GRAPH_TOO_LARGE);
                }
                Recall::Unknown => {
                    if depth >= MAX_DEPTH {
                        return Outcome::error(ErrorCode::General, GENERAL_PREREQUISITES_TOO_DEEP);
                    }
                    let packed = pack(&self.flag(required, context, now, depth + 1, memo, seen));
                    if !seen.remember(node, packed) {
                        return Outcome::error(ErrorCode::General, GENERAL_GRAPH_TOO_LARGE);
                    }
                    packed
                }
            };
            let variant = match unpack(packed) {
                Ok(variant) => variant,
                Err(general) => return general,
            };
            if variant == Outcome::NO_VARIANT || variant != prerequisite.variant {
                let mut outcome = Outcome::served(settings.off, Reason::PrerequisiteFailed);
                outcome.aux = prerequisite.flag;
                return outcome;
            }
        }
        for target in &settings.targets {
            if matches_target(target, context) {
                return Outcome::served(Some(target.variant), Reason::TargetingMatch);
            }
        }
        'rules: for (i, rule) in settings.rules.iter().enumerate() {
            for &id in &rule.clauses {
                match self.remembered(id, context, now, memo, seen) {
                    Verdict::Yes => {}
                    Verdict::No => continue 'rules,
                    undecided => return undecided.general(),
                }
            }
            match &rule.serve {
                Serve::Variant(v) => return Outcome::rule(*v, Reason::TargetingMatch, i),
                Serve::Rollout(rollout) => {
                    if let Some(v) = roll(rollout, context) {
                        return Outcome::rule(v, Reason::Split, i);
                    }
                    // No bucketBy value: this rule cannot place the user; try the next one.
                }
            }
        }
        let serve = match settings.schedule.iter().rev().find(|(at, _)| *at <= now) {
            Some((_, step)) => step,
            None => match &settings.default {
                Some(serve) => serve,
                None => return Outcome::error(ErrorCode::General, GENERAL_NO_DEFAULT),
            },
        };
        match serve {
            Serve::Variant(v) => {
                let reason = if settings.is_static() {
                    Reason::Static
                } else {
                    Reason::Default
                };
                Outcome::served(Some(*v), reason)
            }
            Serve::Rollout(rollout) => match roll(rollout, context) {
                Some(v) => Outcome::served(Some(v), Reason::Split),
                None => Outcome::error(ErrorCode::TargetingKeyMissing, rollout.slot),
            },
        }
    }

    /// A flag rule's clause, decided once per bulk call (`memo` is empty for single calls).
    #[inline(always)]
    fn remembered(
        &self,
        id: ClauseId,
        context: &Context,
        now: i64,
        memo: &[Cell<u8>],
        seen: &mut Seen<'_>,
    ) -> Verdict {
        let cell = memo.get(id as usize);
        match cell.map(Cell::get) {
            Some(YES) => return Verdict::Yes,
            Some(NO) => return Verdict::No,
            _ => {}
        }
        let Some(clause) = self.clauses.get(id as usize) else {
            return Verdict::No;
        };
        let verdict = self.clause(clause, context, now, 0, seen);
        if let Some(cell) = cell {
            match verdict {
                Verdict::Yes => cell.set(YES),
                Verdict::No => cell.set(NO),
                Verdict::TooDeep | Verdict::TooLarge => {}
            }
        }
        verdict
    }

    /// Whether a clause holds. `depth` counts segments nested around it. Always inlined: it
    /// runs for every clause of every rule, and a call costs more than most tests.
    #[inline(always)]
    fn clause(
        &self,
        clause: &Clause,
        context: &Context,
        now: i64,
        depth: usize,
        seen: &mut Seen<'_>,
    ) -> Verdict {
        let now_attr;
        let attr = if clause.slot == NOW {
            now_attr = Attr::Num(now as f64);
            &now_attr
        } else {
            context.slot(clause.slot)
        };
        match &clause.test {
            Test::Never => return Verdict::No,
            Test::InSegment(segments) => {
                return self.in_segments(segments, clause.negate, context, now, depth, seen);
            }
            Test::Exists => return Verdict::of(matches!(attr, Attr::Missing) == clause.negate),
            _ => {}
        }
        let matched = match attr {
            Attr::Missing => return Verdict::No,
            Attr::List(items) => {
                let mut typed = items.is_empty();
                let mut matched = false;
                for item in items {
                    if let Some(m) = clause.test.check(item) {
                        typed = true;
                        if m {
                            matched = true;
                            break;
                        }
                    }
                }
                if !typed {
                    return Verdict::No;
                }
                matched
            }
            scalar => match clause.test.check(scalar) {
                Some(m) => m,
                None => return Verdict::No,
            },
        };
        Verdict::of(matched != clause.negate)
    }

    #[inline(never)]
    fn in_segments(
        &self,
        segments: &[u32],
        negate: bool,
        context: &Context,
        now: i64,
        depth: usize,
        seen: &mut Seen<'_>,
    ) -> Verdict {
        let mut member = false;
        for &s in segments {
            let node = Node::Segment(s);
            let verdict = match seen.recall(node) {
                Recall::Known(known) => Verdict::of(known == 1),
                Recall::NoTable => return Verdict::TooLarge,
                Recall::Unknown => {
                    let verdict = self.in_segment(s, context, now, depth, seen);
                    let decided = matches!(verdict, Verdict::Yes | Verdict::No);
                    if decided && !seen.remember(node, u32::from(verdict == Verdict::Yes)) {
                        return Verdict::TooLarge;
                    }
                    verdict
                }
            };
            match verdict {
                Verdict::Yes => {
                    member = true;
                    break;
                }
                Verdict::No => {}
                undecided => return undecided,
            }
        }
        Verdict::of(member != negate)
    }

    fn in_segment(
        &self,
        index: u32,
        context: &Context,
        now: i64,
        depth: usize,
        seen: &mut Seen<'_>,
    ) -> Verdict {
        visited();
        if depth > MAX_DEPTH {
            return Verdict::TooDeep;
        }
        let Some(segment) = self.segments.get(index as usize) else {
            return Verdict::No;
        };
        if segment.broken {
            return Verdict::No;
        }
        if let Some(key) = context.targeting_key() {
            if segment.exclude.contains_str(key) {
                return Verdict::No;
            }
            if segment.include.contains_str(key) {
                return Verdict::Yes;
            }
        }
        'rules: for rule in &segment.rules {
            for &id in rule {
                let Some(clause) = self.clauses.get(id as usize) else {
                    continue 'rules;
                };
                match self.clause(clause, context, now, depth + 1, seen) {
                    Verdict::Yes => {}
                    Verdict::No => continue 'rules,
                    undecided => return undecided,
                }
            }
            return Verdict::Yes;
        }
        Verdict::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Prerequisite, Settings, TARGETING_KEY};
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;
    use serde_json::json;

    fn snapshot(doc: serde_json::Value, env: &str) -> Snapshot {
        crate::load_value(doc).unwrap().compile(env).snapshot
    }

    #[test]
    fn force_pins_a_variant_with_reason_static() {
        let mut s = snapshot(
            json!({"environments": ["prod"], "flags": {
                "a": {"kind": "boolean", "variants": {"on": true, "off": false},
                      "environments": {"prod": {"enabled": false, "offVariant": "off"}}},
                "c": {"kind": "string", "variants": {"red": "#f00", "blue": "#00f"},
                      "environments": {"prod": {"enabled": true, "offVariant": "red",
                          "rules": [{"id": "x", "clauses": [], "serve": {"variant": "red"}}],
                          "defaultServe": {"variant": "red"}}}}}}),
            "prod",
        );
        assert_eq!(s.force("a", "true"), Ok(()));
        assert_eq!(s.force("c", "blue"), Ok(()));
        assert_eq!(
            s.force("c", "green"),
            Err(crate::ForceError::UnknownVariant)
        );
        assert_eq!(s.force("zz", "true"), Err(crate::ForceError::UnknownFlag));
        let ctx = s.context(&json!({}));
        let a = s.evaluate("a", &ctx, 0, None);
        assert_eq!((a.value_json(), a.reason()), (Some("true"), Reason::Static));
        let c = s.evaluate("c", &ctx, 0, None);
        assert_eq!(
            (c.variant_name(), c.reason()),
            (Some("blue"), Reason::Static)
        );
    }

    #[test]
    fn prerequisite_depth_guard_answers_general() {
        // A 40-long chain the validator would refuse, built by marking the broken flags live.
        let mut flags = serde_json::Map::new();
        for i in 0..40 {
            let mut f = json!({"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off", "defaultServe": {"variant": "on"}}}});
            if i < 39 {
                f["prerequisites"] = json!([{"flag": format!("f{:02}", i + 1), "variant": "on"}]);
            }
            flags.insert(format!("f{i:02}"), f);
        }
        let mut s = snapshot(json!({"environments": ["prod"], "flags": flags}), "prod");
        assert!(
            matches!(s.flags[0].body, Body::Broken(_)),
            "validation refuses the chain"
        );
        for i in 0..40 {
            s.flags[i].body = Body::Live(Settings {
                enabled: true,
                off: Some(0),
                prerequisites: if i < 39 {
                    vec![Prerequisite {
                        flag: i as u32 + 1,
                        variant: 1,
                    }]
                } else {
                    vec![]
                },
                targets: vec![],
                rules: vec![],
                default: Some(crate::snapshot::Serve::Variant(1)),
                schedule: vec![],
            });
        }
        let ctx = s.context(&json!({}));
        let deep = s.evaluate("f00", &ctx, 0, None);
        assert_eq!(deep.error_code(), Some(crate::ErrorCode::General));
        let shallow = s.evaluate("f10", &ctx, 0, None);
        assert_eq!(
            (shallow.variant_name(), shallow.reason()),
            (Some("on"), Reason::Default)
        );
    }

    #[test]
    fn segment_depth_guard_answers_general() {
        let mut s = snapshot(
            json!({"environments": ["prod"], "segments": {"s": {"rules": [{"clauses": []}]}},
                   "flags": {"a": {"kind": "boolean", "variants": {"on": true, "off": false},
                   "environments": {"prod": {"enabled": true, "offVariant": "off",
                       "rules": [{"id": "r", "clauses": [{"op": "inSegment", "values": ["s"]}], "serve": {"variant": "on"}}],
                       "defaultServe": {"variant": "off"}}}}}}),
            "prod",
        );
        // Make the segment contain itself, as a hand-built snapshot could.
        s.clauses.push(crate::snapshot::Clause {
            slot: TARGETING_KEY,
            negate: false,
            test: Test::InSegment(vec![0]),
        });
        s.segments[0].rules = vec![vec![s.clauses.len() as u32 - 1]];
        let ctx = s.context(&json!({"targetingKey": "u"}));
        assert_eq!(
            s.evaluate("a", &ctx, 0, None).error_code(),
            Some(crate::ErrorCode::General)
        );
    }

    /// A flag whose rule names the first level of `levels` levels of segments, each segment
    /// naming the segments of the next level its `links` pick (every one when `links` is empty
    /// for it); the last level admits `plan: gold`.
    fn layered(widths: &[usize], links: &[Vec<bool>]) -> serde_json::Value {
        let name = |level: usize, i: usize| format!("s{level:02}-{i}");
        let mut segments = serde_json::Map::new();
        for (level, &width) in widths.iter().enumerate() {
            for i in 0..width {
                let clause = match widths.get(level + 1) {
                    Some(&below) => {
                        let picks = links.get(level * 3 + i).cloned().unwrap_or_default();
                        let mut named: Vec<String> = (0..below)
                            .filter(|&j| picks.get(j).copied().unwrap_or(true))
                            .map(|j| name(level + 1, j))
                            .collect();
                        if named.is_empty() {
                            named.push(name(level + 1, 0));
                        }
                        json!({"op": "inSegment", "values": named})
                    }
                    None => json!({"attribute": "plan", "op": "in", "values": ["gold"]}),
                };
                segments.insert(name(level, i), json!({"rules": [{"clauses": [clause]}]}));
            }
        }
        let top: Vec<String> = (0..widths[0]).map(|i| name(0, i)).collect();
        json!({"environments": ["prod"], "segments": segments, "flags": {"f": {
            "kind": "boolean", "variants": {"on": true, "off": false},
            "environments": {"prod": {"enabled": true, "offVariant": "off",
                "rules": [{"id": "r", "clauses": [{"op": "inSegment", "values": top}], "serve": {"variant": "on"}}],
                "defaultServe": {"variant": "off"}}}}}})
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// However the levels are linked, one evaluation decides each segment at most once,
        /// and its answer is membership: a path down to the last level exists (every segment
        /// names at least one below it, so one always does) and the context has the plan.
        #[test]
        fn each_segment_is_decided_once_per_evaluation(
            widths in proptest::collection::vec(1usize..=3, 1..=32),
            links in proptest::collection::vec(proptest::collection::vec(proptest::bool::ANY, 3), 96),
            gold in proptest::bool::ANY,
        ) {
            let doc = layered(&widths, &links);
            let s = snapshot(doc, "prod");
            let ctx = s.context(&json!({"targetingKey": "u", "plan": if gold { "gold" } else { "free" }}));
            VISITS.with(|v| v.set(0));
            let got = s.evaluate("f", &ctx, 0, None);
            let visits = VISITS.with(Cell::get);
            let segments: usize = widths.iter().sum();
            // The flag twice (it starts without a table, see `Seen`), each segment once.
            proptest::prop_assert!(visits <= segments + 2, "{visits} visits for {segments} segments");
            proptest::prop_assert_eq!(got.variant_name(), Some(if gold { "on" } else { "off" }));
        }
    }

    #[test]
    fn a_ladder_of_diamonds_is_linear_in_its_size() {
        // 32 levels of two segments that both name both below: 2^32 paths, 64 segments.
        let doc = layered(&[2; 32], &[]);
        let s = snapshot(doc, "prod");
        for (plan, want) in [("free", "off"), ("gold", "on")] {
            let ctx = s.context(&json!({"targetingKey": "u", "plan": plan}));
            VISITS.with(|v| v.set(0));
            assert_eq!(s.evaluate("f", &ctx, 0, None).variant_name(), Some(want));
            let visits = VISITS.with(Cell::get);
            assert!(visits <= 66, "{plan}: {visits} visits");
            // The bulk call decides each one once per flag too.
            VISITS.with(|v| v.set(0));
            let mut out = Vec::new();
            s.outcomes(&ctx, 0, &mut out);
            assert!(VISITS.with(Cell::get) <= 66);
        }
    }

    #[test]
    fn a_hand_built_snapshot_that_reaches_too_much_answers_general() {
        // 129 segments, none admitting the context; the valid flag names 128 of them, and the
        // snapshot is then edited by hand to name the 129th as well.
        let mut doc = layered(&[crate::MAX_GRAPH], &[]);
        doc["segments"]["extra"] = json!({"include": ["someone-else"]});
        let mut s = snapshot(doc, "prod");
        let extra = s.segments.iter().position(|g| &*g.key == "extra").unwrap() as u32;
        let ctx = s.context(&json!({"targetingKey": "u", "plan": "free"}));
        assert_eq!(s.evaluate("f", &ctx, 0, None).variant_name(), Some("off"));
        for clause in &mut s.clauses {
            if let Test::InSegment(named) = &mut clause.test {
                named.push(extra);
            }
        }
        let got = s.evaluate("f", &ctx, 0, None);
        assert_eq!(got.error_code(), Some(crate::ErrorCode::General));
        assert_eq!(got.outcome.aux, GENERAL_GRAPH_TOO_LARGE);
    }

    #[test]
    fn a_context_bound_elsewhere_is_refused_unless_the_layout_matches() {
        let doc = |attr: &str| {
            json!({"environments": ["prod"], "flags": {"a": {"kind": "boolean",
            "variants": {"on": true, "off": false}, "environments": {"prod": {"enabled": true, "offVariant": "off",
            "rules": [{"id": "r", "clauses": [{"attribute": attr, "op": "in", "values": ["x"]}], "serve": {"variant": "on"}}],
            "defaultServe": {"variant": "off"}}}}}})
        };
        let one = snapshot(doc("plan"), "prod");
        let same_layout = snapshot(doc("plan"), "prod");
        let other = snapshot(doc("role"), "prod");
        let ctx = one.context(&json!({"plan": "x"}));
        assert!(ctx.fits(&same_layout));
        assert_eq!(
            same_layout.evaluate("a", &ctx, 0, None).variant_name(),
            Some("on")
        );
        assert!(!ctx.fits(&other));
        assert_eq!(
            other.evaluate("a", &ctx, 0, None).error_code(),
            Some(crate::ErrorCode::General)
        );
    }
}
