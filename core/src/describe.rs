//! What a change did, in words: the lines a person reads before a save, in the history and in
//! the audit log, instead of JSON Pointers. The admin app and the store both word a change here,
//! so the review before a save and the history after it never say it differently.
//!
//! Every field of the model is compared. A field without a sentence of its own still gets one
//! ("experiment changed"): a change is never left out. The one exception is the stamps the store
//! puts on every write (`createdAt`, `createdBy`, `updatedAt`, `updatedBy`, `archivedAt`,
//! `archivedBy`): nobody made them, so they would only hide the change that was made. Lines
//! come in a fixed order: the entry's own fields, variants, prerequisites, then each
//! environment by name, each prefixed with it.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::model::{Clause, Document, Environment, Extra, Flag, Rollout, Rule, Segment, Serve};

mod settings;
pub use settings::{SideBySide, copy_changes, side_by_side};

/// What became of one flag or segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Created,
    Removed,
    Changed,
}

/// One flag or segment a change touched, and what it did to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryChange {
    /// `flag` or `segment`.
    pub noun: &'static str,
    pub key: String,
    pub fate: Fate,
    pub lines: Vec<String>,
}

/// What changed between two documents: their own fields (environments, `$schema`), then every
/// segment and every flag touched, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentChanges {
    pub document: Vec<String>,
    pub entries: Vec<EntryChange>,
}

impl DocumentChanges {
    pub fn between(before: &Document, after: &Document) -> DocumentChanges {
        let mut document = Vec::new();
        let list = |e: &Vec<String>| e.join(", ");
        was(
            &mut document,
            "environments",
            &before.environments,
            &after.environments,
            list,
        );
        was(
            &mut document,
            "$schema",
            &before.schema,
            &after.schema,
            |s| shown(s.as_deref()),
        );
        extra(&mut document, &before.extra, &after.extra);
        let mut entries = Vec::new();
        entries_of(
            &mut entries,
            "segment",
            &before.segments,
            &after.segments,
            segment_changes,
        );
        entries_of(
            &mut entries,
            "flag",
            &before.flags,
            &after.flags,
            flag_changes,
        );
        DocumentChanges { document, entries }
    }

    pub fn is_empty(&self) -> bool {
        self.document.is_empty() && self.entries.is_empty()
    }
}

fn entries_of<T: PartialEq>(
    out: &mut Vec<EntryChange>,
    noun: &'static str,
    before: &alloc::collections::BTreeMap<String, T>,
    after: &alloc::collections::BTreeMap<String, T>,
    lines: fn(Option<&T>, Option<&T>) -> Vec<String>,
) {
    let keys: alloc::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let (a, b) = (before.get(key), after.get(key));
        let lines = lines(a, b);
        if lines.is_empty() {
            continue;
        }
        let fate = match (a, b) {
            (None, _) => Fate::Created,
            (_, None) => Fate::Removed,
            _ => Fate::Changed,
        };
        out.push(EntryChange {
            noun,
            key: key.clone(),
            fate,
            lines,
        });
    }
}

/// The first `max` lines joined, then how many more there are: a summary that stays short.
pub fn summarize(lines: &[String], max: usize) -> String {
    joined(lines, max, "; ")
}

fn joined(items: &[String], max: usize, separator: &str) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let mut text = shown.join(separator);
    if items.len() > max {
        text.push_str(&format!(" and {} more", items.len() - max));
    }
    text
}

/// What changed in a flag (`None`: it does not exist on that side).
pub fn flag_changes(before: Option<&Flag>, after: Option<&Flag>) -> Vec<String> {
    entry(before, after, flag_fields)
}

/// What changed in a segment (`None`: it does not exist on that side).
pub fn segment_changes(before: Option<&Segment>, after: Option<&Segment>) -> Vec<String> {
    entry(before, after, segment_fields)
}

/// `created`, `deleted`, or the lines `fields` words.
fn entry<T>(
    before: Option<&T>,
    after: Option<&T>,
    fields: fn(&T, &T) -> Vec<String>,
) -> Vec<String> {
    match (before, after) {
        (None, None) => Vec::new(),
        (None, Some(_)) => alloc::vec!["created".into()],
        (Some(_), None) => alloc::vec!["deleted".into()],
        (Some(a), Some(b)) => fields(a, b),
    }
}

fn flag_fields(a: &Flag, b: &Flag) -> Vec<String> {
    let mut out = Vec::new();
    was(&mut out, "name", &a.name, &b.name, |s| shown(s.as_deref()));
    if a.description != b.description {
        out.push("description changed".into());
    }
    was(&mut out, "tags", &a.tags, &b.tags, |t| {
        shown(Some(&t.join(", ")))
    });
    was(&mut out, "kind", &a.kind, &b.kind, |k| k.as_str().into());
    was(
        &mut out,
        "client-side",
        &a.client_side,
        &b.client_side,
        |c| on_off(c.unwrap_or(false)).into(),
    );
    keyed(
        &mut out,
        "variant",
        &pairs(a.variants.iter()),
        &pairs(b.variants.iter()),
        &|v| compact(v),
        &|out, label, x, y| out.push(format!("{label}: {} → {}", compact(x), compact(y))),
    );
    let prerequisites = |f: &Flag| -> Vec<(String, String)> {
        let p = f.prerequisites.iter();
        p.map(|p| (p.flag.clone(), p.variant.clone())).collect()
    };
    let (pa, pb) = (prerequisites(a), prerequisites(b));
    let serves = |v: &String| format!("serves {v}");
    let start = out.len();
    keyed(
        &mut out,
        "prerequisite",
        &refs(&pa),
        &refs(&pb),
        &serves,
        &|out, label, x, y| {
            out.push(format!("{label}: {x} → {y}"));
        },
    );
    // What the keys do not show (fields this version does not know).
    unworded(
        &mut out,
        start,
        "prerequisites",
        &a.prerequisites,
        &b.prerequisites,
    );
    metadata(&mut out, a.metadata.as_ref(), b.metadata.as_ref());
    was(&mut out, "lifecycle", &a.lifecycle, &b.lifecycle, |l| {
        l.as_ref().map_or("release (unset)", |l| l.as_str()).into()
    });
    was(
        &mut out,
        "expected lifetime",
        &a.expected_lifetime_days,
        &b.expected_lifetime_days,
        |d| d.map_or("the lifecycle's".into(), |d| format!("{d} days")),
    );
    changed(&mut out, "experiment", &a.experiment, &b.experiment);
    if a.archived != b.archived {
        out.push(
            if b.is_archived() {
                "archived"
            } else {
                "restored from the archive"
            }
            .into(),
        );
    }
    extra(&mut out, &a.extra, &b.extra);
    let names: alloc::collections::BTreeSet<&String> =
        a.environments.keys().chain(b.environments.keys()).collect();
    for name in names {
        let none = Environment::default();
        let x = a.environments.get(name).unwrap_or(&none);
        let y = b.environments.get(name).unwrap_or(&none);
        let start = out.len();
        environment(&mut out, x, y);
        if x == y && a.environments.contains_key(name) != b.environments.contains_key(name) {
            out.push("settings written out".into());
        }
        for line in out.iter_mut().skip(start) {
            *line = format!("{name}: {line}");
        }
    }
    out
}

fn segment_fields(a: &Segment, b: &Segment) -> Vec<String> {
    let mut out = Vec::new();
    if a.description != b.description {
        out.push("description changed".into());
    }
    members(&mut out, "included", &a.include, &b.include);
    members(&mut out, "excluded", &a.exclude, &b.exclude);
    fn rules(s: &Segment) -> Vec<(String, &crate::model::SegmentRule)> {
        let r = s.rules.iter().enumerate();
        r.map(|(i, r)| (rule_name(r.id.as_deref(), i), r)).collect()
    }
    let conditions = |r: &crate::model::SegmentRule| format!("{} conditions", r.clauses.len());
    keyed(
        &mut out,
        "rule",
        &rules(a),
        &rules(b),
        &conditions,
        &|out, label, x, y| {
            let words = (&x.clauses, &x.description, &x.extra);
            rule(out, label, words, (&y.clauses, &y.description, &y.extra));
        },
    );
    extra(&mut out, &a.extra, &b.extra);
    out
}

/// Each metadata key that changed, by name: `owner "alice" → "bob"`, `metadata "team" none →
/// "payments"` (the owner and the ticket are the keys the admin app names; a value that is no
/// string reads as compact JSON).
fn metadata(out: &mut Vec<String>, a: Option<&Map<String, Value>>, b: Option<&Map<String, Value>>) {
    let start = out.len();
    let keys = a.into_iter().chain(b).flat_map(|m| m.keys());
    let names: alloc::collections::BTreeSet<&String> = keys.collect();
    let get = |m: Option<&Map<String, Value>>, name: &str| m.and_then(|m| m.get(name)).cloned();
    for name in names {
        let label = match name.as_str() {
            "owner" | "ticket" => name.clone(),
            _ => format!("metadata \"{name}\""),
        };
        was(out, &label, &get(a, name), &get(b, name), |v| match v {
            Some(Value::String(s)) => shown(Some(s)),
            Some(v) => compact(v),
            None => "none".into(),
        });
    }
    // An empty map written or dropped: no key says it.
    unworded(out, start, "metadata", &a, &b);
}

/// The lines of one environment's settings, without its name.
fn environment(out: &mut Vec<String>, a: &Environment, b: &Environment) {
    was(out, "kill switch", &a.enabled, &b.enabled, |e| match e {
        Some(e) => on_off(*e).into(),
        None => "off (unset)".into(),
    });
    was(out, "off variant", &a.off_variant, &b.off_variant, |v| {
        shown(v.as_deref())
    });
    fn targets(e: &Environment) -> Vec<(String, &Vec<Value>)> {
        let t = e.targets.iter();
        t.map(|t| {
            let attribute = t.attribute.as_deref().unwrap_or("key");
            (format!("{attribute} → {}", t.variant), &t.values)
        })
        .collect()
    }
    let count = |v: &Vec<Value>| format!("{} ids", v.len());
    let start = out.len();
    keyed(
        out,
        "target",
        &targets(a),
        &targets(b),
        &count,
        &|out, label, x, y| {
            let text = |v: &Vec<Value>| v.iter().map(compact).collect::<Vec<_>>();
            members(out, label, &text(x), &text(y));
        },
    );
    unworded(out, start, "targets", &a.targets, &b.targets);
    fn rules(e: &Environment) -> Vec<(String, &Rule)> {
        let r = e.rules.iter().enumerate();
        r.map(|(i, r)| (rule_name(r.id.as_deref(), i), r)).collect()
    }
    let serves = |r: &Rule| format!("serves {}", serve_text(Some(&r.serve)));
    keyed(
        out,
        "rule",
        &rules(a),
        &rules(b),
        &serves,
        &|out, label, x, y| {
            let words = (&x.clauses, &x.description, &x.extra);
            rule(out, label, words, (&y.clauses, &y.description, &y.extra));
            serve(out, label, Some(&x.serve), Some(&y.serve));
        },
    );
    serve(
        out,
        "default",
        a.default_serve.as_ref(),
        b.default_serve.as_ref(),
    );
    if a.schedule != b.schedule {
        let (x, y) = (a.schedule.len(), b.schedule.len());
        out.push(format!("schedule changed ({x} → {y} steps)"));
    }
    extra(out, &a.extra, &b.extra);
}

/// What a rule's conditions, description and unknown fields say of it, both kinds of rule.
type RuleWords<'r> = (&'r Vec<Clause>, &'r Option<String>, &'r Extra);

fn rule(out: &mut Vec<String>, label: &str, a: RuleWords<'_>, b: RuleWords<'_>) {
    changed(out, &format!("{label} conditions"), a.0, b.0);
    changed(out, &format!("{label} description"), a.1, b.1);
    extra_of(out, label, a.2, b.2);
}

/// A serve's change: per variant when both are the same rollout but for its weights
/// (`rollout of on 10 % → 25 %`), else what it serves (`default serves off → on`).
fn serve(out: &mut Vec<String>, label: &str, a: Option<&Serve>, b: Option<&Serve>) {
    if a == b {
        return;
    }
    fn rollout(s: Option<&Serve>) -> Option<&Rollout> {
        s.and_then(|s| s.rollout.as_ref())
    }
    let same_variants = |x: &Rollout, y: &Rollout| {
        let names = |r: &Rollout| {
            r.weights
                .iter()
                .map(|w| w.variant.clone())
                .collect::<Vec<_>>()
        };
        names(x) == names(y)
    };
    let variant = |s: Option<&Serve>| s.and_then(|s| s.variant.clone());
    match (rollout(a), rollout(b)) {
        (Some(x), Some(y)) if same_variants(x, y) && variant(a) == variant(b) => {
            let prefix = if label == "default" {
                String::new()
            } else {
                format!("{label}: ")
            };
            let (px, py) = (shares(x), shares(y));
            for ((name, p), (_, q)) in px.iter().zip(py.iter()).filter(|(p, q)| p != q) {
                out.push(format!("{prefix}rollout of {name} {p} → {q}"));
            }
            was(
                out,
                &format!("{prefix}rollout bucketed by"),
                &x.bucket_by,
                &y.bucket_by,
                |b| b.as_deref().unwrap_or("key").into(),
            );
            changed(out, &format!("{prefix}rollout salt"), &x.salt, &y.salt);
            if x.weights != y.weights && px == py {
                out.push(format!("{prefix}rollout weights rescaled"));
            }
            extra_of(out, &format!("{prefix}rollout"), &x.extra, &y.extra);
            let (sx, sy) = (a.map(|s| &s.extra), b.map(|s| &s.extra));
            if sx != sy {
                out.push(format!("{label} serve changed"));
            }
        }
        _ => {
            let (x, y) = (serve_text(a), serve_text(b));
            let what = if x == y {
                "serve changed".into()
            } else {
                format!("serves {x} → {y}")
            };
            out.push(format!("{label} {what}"));
        }
    }
}

/// Each variant of a rollout with its share (`on 10 %`), in the order written.
fn shares(r: &Rollout) -> Vec<(String, String)> {
    let total: u64 = r.weights.iter().filter_map(|w| w.weight.as_u64()).sum();
    let share = |w: &Value| match (w.as_u64(), total) {
        (Some(w), 1..) => {
            let bp = (u128::from(w) * 10_000 + u128::from(total) / 2) / u128::from(total);
            let text = format!("{}.{:02}", bp / 100, bp % 100);
            format!("{} %", text.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => format!("weight {}", compact(w)),
    };
    r.weights
        .iter()
        .map(|w| (w.variant.clone(), share(&w.weight)))
        .collect()
}

/// What a serve serves, in a few words: a variant, a rollout's shares, or nothing.
fn serve_text(s: Option<&Serve>) -> String {
    match s {
        Some(Serve {
            rollout: Some(r), ..
        }) => {
            let parts: Vec<String> = shares(r)
                .into_iter()
                .map(|(v, p)| format!("{v} {p}"))
                .collect();
            parts.join(" / ")
        }
        Some(Serve {
            variant: Some(v), ..
        }) => v.clone(),
        _ => "nothing".into(),
    }
}

fn rule_name(id: Option<&str>, index: usize) -> String {
    id.map_or_else(|| format!("#{}", index + 1), |id| format!("\"{id}\""))
}

/// Words the change of one entry of a list, given its label (`rule "beta"`).
type Worder<T> = dyn Fn(&mut Vec<String>, &str, &T, &T);

/// A list compared by key: what was added (`rule "beta" added (serves vip)`), removed, changed
/// (`changed` words it, given the label `rule "beta"`) or moved. Whatever it does not word
/// (keys written twice) is "<noun>s changed".
fn keyed<T: PartialEq + ?Sized>(
    out: &mut Vec<String>,
    noun: &str,
    a: &[(String, &T)],
    b: &[(String, &T)],
    added: &dyn Fn(&T) -> String,
    changed: &Worder<T>,
) {
    let start = out.len();
    fn find<'l, T: ?Sized>(list: &[(String, &'l T)], key: &str) -> Option<&'l T> {
        list.iter().find(|(k, _)| k == key).map(|e| e.1)
    }
    for (key, y) in b {
        let label = format!("{noun} {key}");
        match find(a, key) {
            None => out.push(format!("{label} added ({})", added(y))),
            Some(x) if x != *y => changed(out, &label, x, y),
            Some(_) => {}
        }
    }
    for (key, _) in a.iter().filter(|(k, _)| find(b, k).is_none()) {
        out.push(format!("{noun} {key} removed"));
    }
    let common = |x: &[(String, &T)], y: &[(String, &T)]| -> Vec<String> {
        let kept = x.iter().filter(|(k, _)| find(y, k).is_some());
        kept.map(|(k, _)| k.clone()).collect()
    };
    if common(a, b) != common(b, a) {
        out.push(format!("{noun}s reordered"));
    }
    if out.len() == start && a != b {
        out.push(format!("{noun}s changed"));
    }
}

fn pairs<'a, T>(entries: impl Iterator<Item = (&'a String, &'a T)>) -> Vec<(String, &'a T)>
where
    T: 'a,
{
    entries.map(|(k, v)| (format!("\"{k}\""), v)).collect()
}

fn refs(list: &[(String, String)]) -> Vec<(String, &String)> {
    list.iter().map(|(k, v)| (format!("\"{k}\""), v)).collect()
}

/// Ids added to and removed from a list (`included: added a, b, c and 2 more`).
fn members(out: &mut Vec<String>, label: &str, a: &[String], b: &[String]) {
    let added: Vec<String> = b.iter().filter(|v| !a.contains(v)).cloned().collect();
    let removed: Vec<String> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
    if !added.is_empty() {
        out.push(format!("{label}: added {}", joined(&added, 3, ", ")));
    }
    if !removed.is_empty() {
        out.push(format!("{label}: removed {}", joined(&removed, 3, ", ")));
    }
    if added.is_empty() && removed.is_empty() && a != b {
        out.push(format!("{label}: reordered"));
    }
}

/// `label A → B` when the field differs.
fn was<T: PartialEq>(
    out: &mut Vec<String>,
    label: &str,
    a: &T,
    b: &T,
    show: impl Fn(&T) -> String,
) {
    if a != b {
        out.push(format!("{label} {} → {}", show(a), show(b)));
    }
}

/// `label changed` when the field differs but nothing since `start` said how.
fn unworded<T: PartialEq>(out: &mut Vec<String>, start: usize, label: &str, a: &T, b: &T) {
    if out.len() == start {
        changed(out, label, a, b);
    }
}

/// `label changed` when the field differs: fields whose values say little in a line.
fn changed<T: PartialEq>(out: &mut Vec<String>, label: &str, a: &T, b: &T) {
    if a != b {
        out.push(format!("{label} changed"));
    }
}

/// Fields this version does not know, each by name.
fn extra(out: &mut Vec<String>, a: &Extra, b: &Extra) {
    let names: alloc::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names.into_iter().filter(|n| a.get(*n) != b.get(*n)) {
        out.push(format!("{name} changed"));
    }
}

fn extra_of(out: &mut Vec<String>, label: &str, a: &Extra, b: &Extra) {
    let start = out.len();
    extra(out, a, b);
    for line in out.iter_mut().skip(start) {
        *line = format!("{label} {line}");
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn shown(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.is_empty() => format!("\"{t}\""),
        _ => "none".to_owned(),
    }
}

/// A value as compact JSON, cut to a length a line can carry.
fn compact(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

#[cfg(test)]
mod tests;
