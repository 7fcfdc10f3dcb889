//! The change preview: how many contexts would get a different variant if a change were
//! saved, and from what to what. The admin app's review and the `burgee push` command both show
//! it, from here, so their numbers for the same sample are the same.
//!
//! Both versions of the document are compiled and evaluated over the same sample of contexts,
//! so the counts are exactly what the edge would do for those contexts. Samples come from a
//! file or a paste (JSON lines) or are generated from what the flag's targeting reads: every
//! attribute its rules, targets, segments and prerequisites use, with the literals they compare
//! against (and neighbours of numbers), plus a distinct targeting key per context so that
//! rollouts spread. Generation is deterministic (hashes, not a random source), so a preview can
//! be repeated.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::model::{Clause, Document, Op};
use crate::time::format_rfc3339;

/// The label of "no variant" (the caller's default is served).
pub const DEFAULT_LABEL: &str = "(caller's default)";

/// Reads contexts given as JSON lines (blank lines ignored); `describe` words a line's JSON
/// syntax error (each host has its own way of saying it).
pub fn parse_json_lines(
    text: &str,
    describe: &dyn Fn(&serde_json::Error) -> String,
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {}", i + 1, describe(&e)))?;
        if !value.is_object() {
            return Err(format!(
                "line {}: a context is one JSON object per line, such as {{\"targetingKey\": \"u1\"}}",
                i + 1
            ));
        }
        out.push(value);
    }
    Ok(out)
}

/// What the targeting of a flag reads: attributes with the literals it compares against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reads {
    pub attributes: BTreeMap<String, Vec<Value>>,
    /// Targeting keys named explicitly (targets, segment include/exclude).
    pub keys: Vec<String>,
    /// Attributes rollouts bucket by (other than `targetingKey`).
    pub bucket_by: BTreeSet<String>,
}

impl Reads {
    fn clause(&mut self, clause: &Clause, document: &Document, seen: &mut BTreeSet<String>) {
        if clause.op == Op::InSegment {
            for v in &clause.values {
                if let Some(key) = v.as_str() {
                    self.segment(key, document, seen);
                }
            }
            return;
        }
        let Some(attribute) = clause.attribute.clone() else {
            return;
        };
        if attribute == "$now" {
            return;
        }
        if attribute == "targetingKey" || attribute == "userId" {
            self.keys.extend(
                clause
                    .values
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from)),
            );
            return;
        }
        let entry = self.attributes.entry(attribute).or_default();
        for v in &clause.values {
            for c in neighbours(&clause.op, v) {
                if !entry.contains(&c) {
                    entry.push(c);
                }
            }
        }
        if clause.op == Op::Exists && entry.is_empty() {
            entry.push(Value::Bool(true));
        }
    }

    fn segment(&mut self, key: &str, document: &Document, seen: &mut BTreeSet<String>) {
        if !seen.insert(format!("segment:{key}")) {
            return;
        }
        let Some(segment) = document.segments.get(key) else {
            return;
        };
        self.keys.extend(segment.include.iter().cloned());
        self.keys.extend(segment.exclude.iter().cloned());
        for rule in &segment.rules {
            for clause in &rule.clauses {
                self.clause(clause, document, seen);
            }
        }
    }

    /// Adds what flag `key` reads in `env`, and what its prerequisites read.
    pub fn flag(&mut self, document: &Document, key: &str, env: &str) {
        let mut seen = BTreeSet::new();
        self.flag_inner(document, key, env, &mut seen);
    }

    fn flag_inner(
        &mut self,
        document: &Document,
        key: &str,
        env: &str,
        seen: &mut BTreeSet<String>,
    ) {
        if !seen.insert(format!("flag:{key}")) {
            return;
        }
        let Some(flag) = document.flags.get(key) else {
            return;
        };
        for p in &flag.prerequisites {
            self.flag_inner(document, &p.flag, env, seen);
        }
        let Some(settings) = flag.environments.get(env) else {
            return;
        };
        for t in &settings.targets {
            match t.attribute.as_deref() {
                None | Some("targetingKey") | Some("userId") => self
                    .keys
                    .extend(t.values.iter().filter_map(|v| v.as_str().map(String::from))),
                Some(a) => {
                    let entry = self.attributes.entry(a.to_string()).or_default();
                    for v in &t.values {
                        if !entry.contains(v) {
                            entry.push(v.clone());
                        }
                    }
                }
            }
        }
        let serves = settings
            .rules
            .iter()
            .map(|r| &r.serve)
            .chain(settings.default_serve.iter())
            .chain(settings.schedule.iter().map(|s| &s.default_serve));
        for serve in serves {
            if let Some(r) = &serve.rollout
                && let Some(b) = &r.bucket_by
                && b != "targetingKey"
            {
                self.bucket_by.insert(b.clone());
            }
        }
        for rule in &settings.rules {
            for clause in &rule.clauses {
                self.clause(clause, document, seen);
            }
        }
    }
}

fn pick(i: usize, salt: &str, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let text = format!("{salt}:{i}");
    crate::murmur3::murmur3_x86_32(&[text.as_bytes()], 0x5eed) as usize % n
}

/// A clause's value and values on either side of it, so that a sample has contexts the clause
/// matches and contexts it does not: numbers ±1, times a day before and after, versions a
/// patch above and a pre-release below.
fn neighbours(op: &Op, value: &Value) -> Vec<Value> {
    const DAY: i64 = 86_400_000;
    let mut out = vec![value.clone()];
    match (op, value) {
        (Op::Lt | Op::Lte | Op::Gt | Op::Gte | Op::Eq, Value::Number(n)) => {
            if let Some(n) = n.as_f64() {
                out.extend([Value::from(n - 1.0), Value::from(n + 1.0)]);
            }
        }
        (Op::Before | Op::After, Value::Number(n)) => {
            if let Some(ms) = n.as_i64() {
                out.extend([Value::from(ms - DAY), Value::from(ms + DAY)]);
            }
        }
        (Op::Before | Op::After, Value::String(s)) => {
            if let Some(ms) = crate::time::parse_rfc3339(s) {
                out.extend([
                    Value::String(format_rfc3339(ms - DAY)),
                    Value::String(format_rfc3339(ms + DAY)),
                ]);
            }
        }
        (
            Op::SemverEq | Op::SemverLt | Op::SemverLte | Op::SemverGt | Op::SemverGte,
            Value::String(s),
        ) => {
            let core = s.trim_start_matches('v');
            let release = core.split(['-', '+']).next().unwrap_or(core);
            let mut parts: Vec<u64> = release.split('.').filter_map(|p| p.parse().ok()).collect();
            if !parts.is_empty() {
                parts.resize(3, 0);
                out.push(Value::String(format!("{release}-0")));
                let patch = parts.get(2).copied().unwrap_or(0) + 1;
                out.push(Value::String(format!(
                    "{}.{}.{patch}",
                    parts.first().copied().unwrap_or(0),
                    parts.get(1).copied().unwrap_or(0)
                )));
            }
        }
        _ => {}
    }
    out
}

/// `n` contexts exercising what `reads` lists. Every fourth context is one of the targeting
/// keys the targeting names (while they last), the rest are keys nobody lists: a flag with a
/// long user list still shows what its rules do for everyone else.
pub fn generate(reads: &Reads, n: usize) -> Vec<Value> {
    let mut keys: Vec<&String> = Vec::new();
    let mut seen = BTreeSet::new();
    for k in &reads.keys {
        if seen.insert(k) {
            keys.push(k);
        }
    }
    (0..n)
        .map(|i| {
            let mut object = Map::new();
            let key = (i % 4 == 0)
                .then(|| keys.get(i / 4))
                .flatten()
                .map(|k| k.to_string())
                .unwrap_or_else(|| format!("sample-{i}"));
            object.insert("targetingKey".into(), Value::String(key));
            for (attribute, literals) in &reads.attributes {
                // One more choice than the literals: the attribute is missing.
                let choice = pick(i, attribute, literals.len() + 2);
                let value = match literals.get(choice) {
                    Some(v) => Some(v.clone()),
                    None if choice == literals.len() => Some(other_than(literals)),
                    None => None,
                };
                if reads.bucket_by.contains(attribute) && i % 4 != 0 {
                    object.insert(attribute.clone(), Value::String(format!("{attribute}-{i}")));
                } else if let Some(v) = value {
                    object.insert(attribute.clone(), v);
                }
            }
            for attribute in &reads.bucket_by {
                object
                    .entry(attribute.clone())
                    .or_insert_with(|| Value::String(format!("{attribute}-{i}")));
            }
            Value::Object(object)
        })
        .collect()
}

/// A value of the literals' type that none of them is.
fn other_than(literals: &[Value]) -> Value {
    match literals.first() {
        Some(Value::Number(_)) => Value::from(-987_654.0),
        Some(Value::Bool(b)) => Value::Bool(!b),
        _ => Value::String("preview-other".into()),
    }
}

/// Contexts for a preview of `key` in `env`: what the old and the new version read.
pub fn sample_for(old: &Document, new: &Document, key: &str, env: &str, n: usize) -> Vec<Value> {
    let mut reads = Reads::default();
    reads.flag(old, key, env);
    reads.flag(new, key, env);
    generate(&reads, n)
}

/// How many contexts went from one variant to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub count: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    pub total: usize,
    pub changed: usize,
    /// Only the changes, most frequent first.
    pub transitions: Vec<Transition>,
    /// Variant → count, before and after.
    pub before: Vec<(String, usize)>,
    pub after: Vec<(String, usize)>,
    /// Flags that require this one (directly or not) and change for some contexts too.
    pub dependents: Vec<(String, usize)>,
}

fn label(variant: Option<&str>) -> String {
    variant.map_or_else(|| DEFAULT_LABEL.to_string(), String::from)
}

fn tally(map: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let counts: Vec<usize> = map.values().copied().collect();
    reorder(map.into_iter().collect(), &counts)
}

/// `items` (in key order) most frequent first, equal counts keeping their order. One sort of
/// positions serves every list, so the admin app's wasm carries one copy of the sort.
fn reorder<T>(items: Vec<T>, counts: &[usize]) -> Vec<T> {
    let mut positions: Vec<usize> = (0..items.len()).collect();
    positions.sort_by_key(|&i| core::cmp::Reverse(counts.get(i).copied().unwrap_or(0)));
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    positions
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Both versions of the document compiled for one environment, to compare flag `key` over the
/// same contexts at any time.
pub struct Versions<'a> {
    key: &'a str,
    before: crate::Snapshot,
    after: crate::Snapshot,
    dependents: BTreeSet<String>,
    /// The times of the new version's scheduled steps of `key` in the environment.
    steps: Vec<i64>,
}

impl core::fmt::Debug for Versions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Versions({})", self.key)
    }
}

impl<'a> Versions<'a> {
    pub fn new(old: &Document, new: &Document, key: &'a str, env: &str) -> Versions<'a> {
        let mut dependents: BTreeSet<String> = old.prerequisites().all_dependents(key);
        dependents.extend(new.prerequisites().all_dependents(key));
        let mut steps: Vec<i64> = new
            .flags
            .get(key)
            .and_then(|f| f.environments.get(env))
            .map(|s| {
                s.schedule
                    .iter()
                    .filter_map(|step| crate::time::parse_rfc3339(&step.at))
                    .collect()
            })
            .unwrap_or_default();
        steps.sort_unstable();
        steps.dedup();
        Versions {
            key,
            before: crate::compile(old, env).snapshot,
            after: crate::compile(new, env).snapshot,
            dependents,
            steps,
        }
    }

    /// What a draft's schedule will do, step by step: the comparison at `now`, then at the
    /// time of each later scheduled step (both versions evaluated at that time). A schedule
    /// changes what is served on its own, so a draft whose steps are all in the future changes
    /// nobody now and everybody later; each step is shown.
    pub fn over_time(&self, contexts: &[Value], now: i64) -> (Preview, Vec<(i64, Preview)>) {
        let steps = self
            .steps
            .iter()
            .filter(|at| **at > now)
            .map(|at| (*at, self.at(contexts, *at)))
            .collect();
        (self.at(contexts, now), steps)
    }

    /// Evaluates both versions over `contexts` at `now`.
    pub fn at(&self, contexts: &[Value], now: i64) -> Preview {
        let (key, before_snapshot, after_snapshot) = (self.key, &self.before, &self.after);
        let mut moves: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut before: BTreeMap<String, usize> = BTreeMap::new();
        let mut after: BTreeMap<String, usize> = BTreeMap::new();
        let mut dependent_changes: BTreeMap<String, usize> = BTreeMap::new();
        let mut changed = 0;
        for context in contexts {
            let a = before_snapshot.context(context);
            let b = after_snapshot.context(context);
            let from = label(before_snapshot.evaluate(key, &a, now, None).variant_name());
            let to = label(after_snapshot.evaluate(key, &b, now, None).variant_name());
            *before.entry(from.clone()).or_default() += 1;
            *after.entry(to.clone()).or_default() += 1;
            if from != to {
                changed += 1;
                *moves.entry((from, to)).or_default() += 1;
            }
            for d in &self.dependents {
                let x = before_snapshot.evaluate(d, &a, now, None).variant_name();
                let y = after_snapshot.evaluate(d, &b, now, None).variant_name();
                if x != y {
                    *dependent_changes.entry(d.clone()).or_default() += 1;
                }
            }
        }
        // `moves` is in (from, to) order already: most frequent first, then that order.
        let counts: Vec<usize> = moves.values().copied().collect();
        let transitions = reorder(
            moves
                .into_iter()
                .map(|((from, to), count)| Transition { from, to, count })
                .collect(),
            &counts,
        );
        Preview {
            total: contexts.len(),
            changed,
            transitions,
            before: tally(before),
            after: tally(after),
            dependents: tally(dependent_changes),
        }
    }
}

#[cfg(test)]
mod tests;
