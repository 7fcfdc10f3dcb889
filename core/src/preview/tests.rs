//! The preview's samples and counts on the example document and small hand-made ones.

use super::*;
use alloc::string::ToString;

use serde_json::json;

#[test]
fn json_lines_with_line_numbers() {
    assert_eq!(
        parse_json_lines("{\"targetingKey\":\"a\"}\n\n{\"x\":1}\n", &describe)
            .unwrap()
            .len(),
        2
    );
    let err = parse_json_lines("{}\n{oops", &describe).unwrap_err();
    assert!(err.starts_with("line 2: not valid JSON: "), "{err}");
    let err = parse_json_lines("{}\n[{\"targetingKey\":\"a\"}]", &describe).unwrap_err();
    assert!(
        err.starts_with("line 2: a context is one JSON object"),
        "{err}"
    );
    assert!(parse_json_lines("42", &describe).is_err());
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

fn example() -> Document {
    crate::load(include_str!("../../../examples/tasks-app.json"))
        .unwrap()
        .document
}

fn describe(e: &serde_json::Error) -> String {
    format!("not valid JSON: {e}")
}
