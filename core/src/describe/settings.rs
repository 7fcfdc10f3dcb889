//! One flag's settings in two environments, field by field and in the words its changes are
//! worded in: the admin app's side-by-side comparison before it copies one environment's
//! settings over another's (`POST …/promote`), and the lines saying what that copy changes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{compact, environment, joined, on_off, rule_name, serve_text, shown};
use crate::model::Environment;

/// One field of the settings on both sides, in words, and whether the settings differ there
/// (two settings may read alike and still differ: a condition's values, a salt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideBySide {
    pub field: &'static str,
    pub left: String,
    pub right: String,
    pub differs: bool,
}

/// The settings of `left` and `right` side by side (`None`: the flag has no settings there,
/// which evaluates as switched off).
pub fn side_by_side(left: Option<&Environment>, right: Option<&Environment>) -> Vec<SideBySide> {
    let none = Environment::default();
    let (a, b) = (left.unwrap_or(&none), right.unwrap_or(&none));
    let row = |field, words: fn(&Environment) -> String, differs: bool| SideBySide {
        field,
        left: words(a),
        right: words(b),
        differs,
    };
    let mut rows = Vec::from([
        row("kill switch", kill_switch, a.enabled != b.enabled),
        row("off variant", off_variant, a.off_variant != b.off_variant),
        row("default", default, a.default_serve != b.default_serve),
        row("targets", targets, a.targets != b.targets),
        row("rules", rules, a.rules != b.rules),
        row("schedule", schedule, a.schedule != b.schedule),
    ]);
    if a.extra != b.extra {
        rows.push(row(
            "other settings",
            |e| compact(&serde_json::to_value(&e.extra).unwrap_or_default()),
            true,
        ));
    }
    rows
}

/// What copying `from`'s settings over `to`'s changes in `to`, in the review's words.
pub fn copy_changes(from: Option<&Environment>, to: Option<&Environment>) -> Vec<String> {
    let none = Environment::default();
    let mut out = Vec::new();
    environment(&mut out, to.unwrap_or(&none), from.unwrap_or(&none));
    out
}

fn kill_switch(e: &Environment) -> String {
    match e.enabled {
        Some(on) => on_off(on).into(),
        None => "off (unset)".into(),
    }
}

fn off_variant(e: &Environment) -> String {
    shown(e.off_variant.as_deref())
}

fn default(e: &Environment) -> String {
    format!("serves {}", serve_text(e.default_serve.as_ref()))
}

fn targets(e: &Environment) -> String {
    let list: Vec<String> = e
        .targets
        .iter()
        .map(|t| {
            let ids: Vec<String> = t.values.iter().map(compact).collect();
            let attribute = t.attribute.as_deref().unwrap_or("key");
            format!("{attribute} → {}: {}", t.variant, joined(&ids, 3, ", "))
        })
        .collect();
    none_or(&list)
}

fn rules(e: &Environment) -> String {
    let list: Vec<String> = e
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = rule_name(r.id.as_deref(), i);
            let serves = serve_text(Some(&r.serve));
            format!(
                "rule {name} ({} conditions) serves {serves}",
                r.clauses.len()
            )
        })
        .collect();
    none_or(&list)
}

fn schedule(e: &Environment) -> String {
    let list: Vec<String> = e
        .schedule
        .iter()
        .map(|s| format!("at {} serves {}", s.at, serve_text(Some(&s.default_serve))))
        .collect();
    none_or(&list)
}

fn none_or(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.join("; ")
    }
}
