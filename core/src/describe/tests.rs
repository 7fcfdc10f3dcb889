#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Value, json};

use super::*;
use crate::model::{Document, Flag, Segment};

fn flag(value: Value) -> Flag {
    serde_json::from_value(value).unwrap()
}

fn rollout(on: u64, off: u64) -> Value {
    json!({"rollout": {"weights": [{"variant": "on", "weight": on}, {"variant": "off", "weight": off}]}})
}

fn base() -> Value {
    json!({
        "kind": "boolean",
        "variants": {"on": true, "off": false},
        "environments": {
            "production": {"enabled": true, "defaultServe": rollout(10, 90)},
            "staging": {"enabled": true, "defaultServe": {"variant": "on"}}
        }
    })
}

fn lines(before: Value, after: Value) -> Vec<String> {
    flag_changes(Some(&flag(before)), Some(&flag(after)))
}

#[test]
fn a_rollout_share_and_the_kill_switch_read_as_sentences_by_environment() {
    let mut after = base();
    after["environments"]["production"]["defaultServe"] = rollout(25, 75);
    after["environments"]["production"]["enabled"] = json!(false);
    after["environments"]["staging"]["rules"] = json!([{
        "id": "beta", "clauses": [{"attribute": "plan", "op": "in", "values": ["vip"]}],
        "serve": {"variant": "on"}
    }]);
    assert_eq!(
        lines(base(), after),
        [
            "production: kill switch on → off",
            "production: rollout of on 10 % → 25 %",
            "production: rollout of off 90 % → 75 %",
            "staging: rule \"beta\" added (serves on)",
        ]
    );
}

#[test]
fn the_entry_fields_variants_and_prerequisites_each_have_a_line() {
    let mut after = base();
    after["description"] = json!("new words");
    after["tags"] = json!(["team-a"]);
    after["variants"]["maybe"] = json!(true);
    after["prerequisites"] = json!([{"flag": "other", "variant": "on"}]);
    after["metadata"] = json!({"owner": "x"});
    after["lifecycle"] = json!("permission");
    after["futureField"] = json!(1);
    assert_eq!(
        lines(base(), after),
        [
            "description changed",
            "tags none → \"team-a\"",
            "variant \"maybe\" added (true)",
            "prerequisite \"other\" added (serves on)",
            "owner none → \"x\"",
            "lifecycle release (unset) → permission",
            "futureField changed",
        ]
    );
}

#[test]
fn metadata_reads_key_by_key_with_the_owner_and_ticket_by_name() {
    let mut before = base();
    before["metadata"] = json!({"owner": "alice", "ticket": "T-1", "team": "a", "cost": 3});
    let mut after = base();
    after["metadata"] = json!({"owner": "bob", "team": "a", "cost": {"eur": 4}, "slack": "#f"});
    assert_eq!(
        lines(before, after),
        [
            "metadata \"cost\" 3 → {\"eur\":4}",
            "owner \"alice\" → \"bob\"",
            "metadata \"slack\" none → \"#f\"",
            "ticket \"T-1\" → none",
        ]
    );
    // Written empty where there was none: said, though no key changed.
    let mut empty = base();
    empty["metadata"] = json!({});
    assert_eq!(lines(base(), empty), ["metadata changed"]);
}

#[test]
fn rules_changed_removed_and_moved_and_serves_switched() {
    let rule = |id: &str, variant: &str| json!({"id": id, "clauses": [{"attribute": "a", "op": "exists"}], "serve": {"variant": variant}});
    let mut before = base();
    before["environments"]["staging"]["rules"] =
        json!([rule("a", "on"), rule("b", "on"), rule("c", "on")]);
    let mut after = base();
    after["environments"]["staging"]["rules"] = json!([rule("b", "on"), rule("a", "off")]);
    after["environments"]["staging"]["defaultServe"] = rollout(1, 1);
    assert_eq!(
        lines(before, after),
        [
            "staging: rule \"a\" serves on → off",
            "staging: rule \"c\" removed",
            "staging: rules reordered",
            "staging: default serves on → on 50 % / off 50 %",
        ]
    );
}

#[test]
fn targets_schedule_and_an_unwritten_environment() {
    let mut after = base();
    after["environments"]["staging"]["targets"] =
        json!([{"values": ["u1", "u2"], "variant": "on"}]);
    after["environments"]["staging"]["schedule"] =
        json!([{"at": "2030-01-01T00:00:00Z", "defaultServe": {"variant": "off"}}]);
    after["environments"]["dev"] = json!({"enabled": true, "offVariant": "off"});
    let mut before = base();
    before["environments"]["staging"]["targets"] =
        json!([{"values": ["u1", "u3"], "variant": "on"}]);
    assert_eq!(
        lines(before, after),
        [
            "dev: kill switch off (unset) → on",
            "dev: off variant none → \"off\"",
            "staging: target key → on: added \"u2\"",
            "staging: target key → on: removed \"u3\"",
            "staging: schedule changed (0 → 1 steps)",
        ]
    );
}

#[test]
fn what_the_keys_do_not_show_still_has_a_line() {
    let mut before = base();
    before["environments"]["staging"]["targets"] = json!([{"values": ["u1"], "variant": "on"}]);
    before["prerequisites"] = json!([{"flag": "other", "variant": "on"}]);
    let mut after = before.clone();
    after["environments"]["staging"]["targets"][0]["note"] = json!("x");
    after["prerequisites"][0]["note"] = json!("x");
    assert_eq!(
        lines(before, after),
        ["prerequisites changed", "staging: targets changed"]
    );
}

#[test]
fn stamps_are_no_change_and_a_same_flag_has_no_lines() {
    let mut after = base();
    after["updatedAt"] = json!("2030-01-01T00:00:00Z");
    after["updatedBy"] = json!("someone");
    assert!(lines(base(), after).is_empty());
    assert_eq!(flag_changes(None, Some(&flag(base()))), ["created"]);
    assert_eq!(flag_changes(Some(&flag(base())), None), ["deleted"]);
}

#[test]
fn segments_read_their_members_and_rules() {
    let before: Segment = serde_json::from_value(json!({"include": ["a", "b"]})).unwrap();
    let after: Segment = serde_json::from_value(json!({
        "include": ["b", "c", "d", "e", "f"],
        "rules": [{"id": "staff", "clauses": [{"attribute": "email", "op": "endsWith", "values": ["@x"]}]}]
    }))
    .unwrap();
    assert_eq!(
        segment_changes(Some(&before), Some(&after)),
        [
            "included: added c, d, e and 1 more",
            "included: removed a",
            "rule \"staff\" added (1 conditions)",
        ]
    );
}

#[test]
fn a_document_lists_what_it_creates_removes_and_changes() {
    let doc = |flags: Value| -> Document {
        serde_json::from_value(json!({"environments": ["production", "staging"], "flags": flags}))
            .unwrap()
    };
    let mut changed = base();
    changed["environments"]["staging"]["enabled"] = json!(false);
    let before = doc(json!({"kept": base(), "gone": base(), "edited": base()}));
    let after = doc(json!({"kept": base(), "edited": changed, "new": base()}));
    let changes = DocumentChanges::between(&before, &after);
    let seen: Vec<(&str, Fate, &[String])> = changes
        .entries
        .iter()
        .map(|e| (e.key.as_str(), e.fate, e.lines.as_slice()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "edited",
                Fate::Changed,
                &["staging: kill switch on → off".into()][..]
            ),
            ("gone", Fate::Removed, &["deleted".into()][..]),
            ("new", Fate::Created, &["created".into()][..]),
        ]
    );
    assert!(changes.document.is_empty());
    assert!(DocumentChanges::between(&before, &before).is_empty());
}

#[test]
fn a_summary_keeps_the_first_lines_and_counts_the_rest() {
    let lines: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|s| (*s).into())
        .collect();
    assert_eq!(summarize(&lines, 3), "a; b; c and 2 more");
    assert_eq!(summarize(&lines[..2], 3), "a; b");
}

#[test]
fn two_environments_side_by_side_and_what_a_copy_changes() {
    let mut before = base();
    before["environments"]["staging"]["targets"] =
        json!([{"values": ["u1", "u2"], "variant": "on"}]);
    before["environments"]["staging"]["offVariant"] = json!("off");
    let f = flag(before);
    let (staging, production) = (
        f.environments.get("staging"),
        f.environments.get("production"),
    );
    let rows = side_by_side(staging, production);
    let words: Vec<(&str, &str, &str, bool)> = rows
        .iter()
        .map(|r| (r.field, r.left.as_str(), r.right.as_str(), r.differs))
        .collect();
    assert_eq!(
        words,
        [
            ("kill switch", "on", "on", false),
            ("off variant", "\"off\"", "none", true),
            ("default", "serves on", "serves on 10 % / off 90 %", true),
            ("targets", "key → on: \"u1\", \"u2\"", "none", true),
            ("rules", "none", "none", false),
            ("schedule", "none", "none", false),
        ]
    );
    assert_eq!(
        copy_changes(staging, production),
        [
            "off variant none → \"off\"",
            "target key → on added (2 ids)",
            "default serves on 10 % / off 90 % → on",
        ]
    );
    // No settings on one side reads as the defaults; copying equal settings changes nothing.
    assert_eq!(side_by_side(None, None)[0].left, "off (unset)");
    assert!(copy_changes(staging, staging).is_empty());
}
