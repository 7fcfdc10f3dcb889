//! The change preview: how many contexts would get a different variant if the draft were
//! saved, and from what to what.
//!
//! Both versions of the document are compiled by the core and evaluated over the same sample
//! of contexts, so the counts are exactly what the edge would do for those contexts. Samples
//! are pasted (JSON lines) or generated from what the flag's targeting reads: every attribute
//! its rules, targets, segments and prerequisites use, with the literals they compare against
//! (and neighbours of numbers), plus a distinct targeting key per context so that rollouts
//! spread. Generation is deterministic (hashes, not a random source), so a preview can be
//! repeated.

use std::collections::{BTreeMap, BTreeSet};

use burgee_core::model::{Clause, Document, Op};
use burgee_core::time::format_rfc3339;
use serde_json::{Map, Value};

use super::json_errors::describe;
use super::order::sort_with;

/// The label of "no variant" (the caller's default is served).
pub const DEFAULT_LABEL: &str = "(caller's default)";

/// Reads contexts pasted as JSON lines (blank lines ignored).
pub fn parse_json_lines(text: &str) -> Result<Vec<Value>, String> {
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
    burgee_core::murmur3::murmur3_x86_32(&[text.as_bytes()], 0x5eed) as usize % n
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
            if let Some(ms) = burgee_core::time::parse_rfc3339(s) {
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
    let mut v: Vec<(String, usize)> = map.into_iter().collect();
    sort_with(&mut v, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Both versions of the document compiled for one environment, to compare flag `key` over the
/// same contexts at any time.
pub struct Versions<'a> {
    key: &'a str,
    before: burgee_core::Snapshot,
    after: burgee_core::Snapshot,
    dependents: BTreeSet<String>,
    /// The times of the new version's scheduled steps of `key` in the environment.
    steps: Vec<i64>,
}

impl std::fmt::Debug for Versions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
                    .filter_map(|step| burgee_core::time::parse_rfc3339(&step.at))
                    .collect()
            })
            .unwrap_or_default();
        steps.sort_unstable();
        steps.dedup();
        Versions {
            key,
            before: burgee_core::compile(old, env).snapshot,
            after: burgee_core::compile(new, env).snapshot,
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
        let mut transitions: Vec<Transition> = moves
            .into_iter()
            .map(|((from, to), count)| Transition { from, to, count })
            .collect();
        sort_with(&mut transitions, |a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.from.cmp(&b.from))
                .then_with(|| a.to.cmp(&b.to))
        });
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
mod tests {
    use super::*;
    use crate::state::fixtures::example;
    use serde_json::json;

    #[test]
    fn json_lines_with_line_numbers() {
        assert_eq!(
            parse_json_lines("{\"targetingKey\":\"a\"}\n\n{\"x\":1}\n")
                .unwrap()
                .len(),
            2
        );
        let err = parse_json_lines("{}\n{oops").unwrap_err();
        assert!(err.starts_with("line 2: not valid JSON: "), "{err}");
        let err = parse_json_lines("{}\n[{\"targetingKey\":\"a\"}]").unwrap_err();
        assert!(
            err.starts_with("line 2: a context is one JSON object"),
            "{err}"
        );
        assert!(parse_json_lines("42").is_err());
    }

    #[test]
    fn samples_read_what_the_rules_read() {
        let doc = example();
        let mut reads = Reads::default();
        reads.flag(&doc, "daily-planning", "production");
        assert!(!reads.attributes.is_empty(), "{reads:?}");
        let sample = generate(&reads, 200);
        assert_eq!(sample.len(), 200);
        assert_eq!(sample, generate(&reads, 200), "deterministic");
        // Every literal the rules compare against shows up in some context.
        for (attribute, literals) in &reads.attributes {
            if reads.bucket_by.contains(attribute) {
                continue;
            }
            for l in literals {
                assert!(
                    sample.iter().any(|c| c.get(attribute) == Some(l)),
                    "{attribute} = {l}"
                );
            }
        }
    }

    #[test]
    fn no_change_no_transitions() {
        let doc = example();
        let contexts = sample_for(&doc, &doc, "daily-planning", "production", 300);
        let p = Versions::new(&doc, &doc, "daily-planning", "production").at(&contexts, 0);
        assert_eq!(p.total, 300);
        assert_eq!(p.changed, 0);
        assert!(p.transitions.is_empty());
        assert_eq!(p.before, p.after);
    }

    #[test]
    fn switching_off_moves_everyone_on_to_off() {
        let doc = example();
        let key = "enhanced-task-metadata";
        let mut new = doc.clone();
        new.flags
            .get_mut(key)
            .unwrap()
            .environments
            .get_mut("production")
            .unwrap()
            .enabled = Some(false);
        let contexts = sample_for(&doc, &new, key, "production", 400);
        let p = Versions::new(&doc, &new, key, "production").at(&contexts, 0);
        let on_before = p
            .before
            .iter()
            .find(|(v, _)| v == "on")
            .map_or(0, |(_, c)| *c);
        assert_eq!(p.changed, on_before);
        assert!(
            p.transitions.iter().all(|t| t.to == "off"),
            "{:?}",
            p.transitions
        );
        // daily-planning requires it: its users change too.
        assert!(
            p.dependents
                .iter()
                .any(|(k, n)| k == "daily-planning" && *n > 0),
            "{:?}",
            p.dependents
        );
    }

    #[test]
    fn a_rollout_change_moves_a_share() {
        let doc: Document = serde_json::from_value(json!({
            "environments": ["p"],
            "flags": {"f": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"p": {"enabled": true, "offVariant": "off",
                    "defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}]}}}}}}
        }))
        .unwrap();
        let mut new = doc.clone();
        new.flags.get_mut("f").unwrap().environments.get_mut("p").unwrap().default_serve =
            serde_json::from_value(json!({"rollout": {"weights": [{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}]}})).unwrap();
        let contexts = sample_for(&doc, &new, "f", "p", 2000);
        let p = Versions::new(&doc, &new, "f", "p").at(&contexts, 0);
        // Buckets are sticky: growing "on" only moves people off → on.
        assert_eq!(p.transitions.len(), 1);
        assert_eq!(
            (p.transitions[0].from.as_str(), p.transitions[0].to.as_str()),
            ("off", "on")
        );
        assert!((700..=900).contains(&p.changed), "{}", p.changed);
    }

    /// One flag `f` in environment `p` with these settings, and the same flag with `edit`
    /// applied to its settings' JSON.
    fn before_after(settings: Value, edit: impl Fn(&mut Value)) -> (Document, Document) {
        let doc = |s: Value| -> Document {
            serde_json::from_value(json!({
                "environments": ["p"],
                "flags": {"f": {"kind": "boolean", "variants": {"on": true, "off": false},
                    "environments": {"p": s}}}
            }))
            .unwrap()
        };
        let mut edited = settings.clone();
        edit(&mut edited);
        (doc(settings), doc(edited))
    }

    #[test]
    fn a_long_user_list_leaves_room_for_everyone_else() {
        let ids: Vec<String> = (0..500).map(|i| format!("u{i}")).collect();
        let (old, new) = before_after(
            json!({"enabled": true, "offVariant": "off",
                "targets": [{"values": ids, "variant": "off"}],
                "rules": [{"clauses": [{"attribute": "plan", "op": "in", "values": ["pro"]}], "serve": {"variant": "on"}}],
                "defaultServe": {"variant": "off"}}),
            |s| s["rules"][0]["serve"]["variant"] = json!("off"),
        );
        let contexts = sample_for(&old, &new, "f", "p", 1000);
        let listed = contexts
            .iter()
            .filter(|c| {
                c["targetingKey"]
                    .as_str()
                    .is_some_and(|k| k.starts_with('u'))
            })
            .count();
        assert_eq!(listed, 250, "every fourth context is a listed user");
        let p = Versions::new(&old, &new, "f", "p").at(&contexts, 0);
        assert!(p.changed > 100, "the rule's change shows: {}", p.changed);
        assert_eq!(p.transitions[0].from, "on");
    }

    #[test]
    fn time_and_version_rules_get_contexts_on_both_sides() {
        for (clause, attribute) in [
            (
                json!({"attribute": "signedUpAt", "op": "after", "values": ["2026-11-15T00:00:00Z"]}),
                "signedUpAt",
            ),
            (
                json!({"attribute": "signedUpAt", "op": "before", "values": [1_763_164_800_000_i64]}),
                "signedUpAt",
            ),
            (
                json!({"attribute": "app", "op": "semverGte", "values": ["v2.4"]}),
                "app",
            ),
        ] {
            let (old, new) = before_after(
                json!({"enabled": true, "offVariant": "off",
                    "rules": [{"clauses": [clause], "serve": {"variant": "off"}}],
                    "defaultServe": {"variant": "off"}}),
                |s| s["rules"][0]["serve"]["variant"] = json!("on"),
            );
            let contexts = sample_for(&old, &new, "f", "p", 200);
            let p = Versions::new(&old, &new, "f", "p").at(&contexts, 0);
            assert!(p.changed > 0, "{attribute}: some contexts match");
            assert!(p.changed < 200, "{attribute}: some do not");
        }
    }

    #[test]
    fn a_schedule_is_previewed_at_each_step() {
        const DAY: i64 = 86_400_000;
        let (old, new) = before_after(
            json!({"enabled": true, "offVariant": "off", "defaultServe": {"variant": "off"}}),
            |s| {
                s["schedule"] = json!([
                    {"at": format_rfc3339(DAY), "defaultServe": {"rollout": {"weights": [
                        {"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}]}}},
                    {"at": format_rfc3339(2 * DAY), "defaultServe": {"variant": "on"}},
                    // A step already started is part of "now".
                    {"at": format_rfc3339(0), "defaultServe": {"variant": "off"}}
                ])
            },
        );
        let contexts = sample_for(&old, &new, "f", "p", 1000);
        let (now, steps) = Versions::new(&old, &new, "f", "p").over_time(&contexts, DAY / 2);
        assert_eq!(now.changed, 0, "nothing changes before the first step");
        let times: Vec<i64> = steps.iter().map(|(at, _)| *at).collect();
        assert_eq!(times, vec![DAY, 2 * DAY]);
        assert!(
            (400..=600).contains(&steps[0].1.changed),
            "{}",
            steps[0].1.changed
        );
        assert_eq!(
            steps[1].1.changed, 1000,
            "everyone gets on at the last step"
        );
        assert_eq!(steps[1].1.after, vec![("on".to_string(), 1000)]);
    }
}
