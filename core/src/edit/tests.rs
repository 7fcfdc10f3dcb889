// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::model::{Environment, Rollout, Serve};
use alloc::boxed::Box;
use alloc::vec;
use serde_json::json;

fn doc() -> Document {
    crate::load(include_str!("../../../examples/tasks-app.json"))
        .unwrap()
        .document
}

const AT: Stamp<'static> = Stamp {
    actor: "ana",
    now_ms: 1_796_115_600_000,
};

fn flag(value: Value) -> Flag {
    crate::read_flag("x", value).unwrap()
}

fn settings<'d>(d: &'d Document, key: &str, env: &str) -> &'d Environment {
    &d.flags[key].environments[env]
}

#[test]
fn flag_writes_stamp_and_summarize() {
    let current = doc();
    let new_flag = flag(
        json!({"kind": "boolean", "variants": {"on": true, "off": false}, "createdBy": "forged"}),
    );
    let edit = Edit::PutFlag {
        key: "new-one".into(),
        flag: Box::new(new_flag),
    };
    let (d, a) = apply(&current, edit, AT).unwrap();
    assert!(a.created && a.action == Action::Create && a.changed);
    assert_eq!(a.summary, "created flag `new-one`");
    let f = &d.flags["new-one"];
    assert_eq!(f.created_by.as_deref(), Some("ana"));
    assert_eq!(f.updated_at.as_deref(), Some("2026-12-01T09:00:00Z"));
    let replaced = Edit::PutFlag {
        key: "new-one".into(),
        flag: Box::new(flag(json!({"kind": "boolean", "variants": {"on": true}}))),
    };
    let later = Stamp {
        actor: "ed",
        now_ms: AT.now_ms + 1,
    };
    let (d, a) = apply(&d, replaced, later).unwrap();
    assert_eq!(a.action, Action::Replace);
    assert_eq!(a.summary, "updated flag `new-one`: variant \"off\" removed");
    assert_eq!(d.flags["new-one"].created_by.as_deref(), Some("ana"));
    assert_eq!(d.flags["new-one"].updated_by.as_deref(), Some("ed"));
}

#[test]
fn patches_merge_and_point_at_what_does_not_read() {
    let current = doc();
    let edit = Edit::PatchFlag {
        key: "outbound_calling".into(),
        patch: json!({"description": "calls", "tags": null}),
    };
    let (d, a) = apply(&current, edit, AT).unwrap();
    assert_eq!(
        a.summary,
        "updated flag `outbound_calling`: description changed; tags \"communications, paid\" → none"
    );
    assert_eq!(
        d.flags["outbound_calling"].description.as_deref(),
        Some("calls")
    );
    assert!(d.flags["outbound_calling"].tags.is_empty());
    let bad = Edit::PatchFlag {
        key: "outbound_calling".into(),
        patch: json!({"environments": {"production": {"enabled": "yes"}}}),
    };
    match apply(&current, bad, AT) {
        Err(EditError::Invalid(d)) => assert_eq!(
            d[0].pointer,
            "/flags/outbound_calling/environments/production/enabled"
        ),
        other => panic!("{other:?}"),
    }
    let missing = Edit::PatchSegment {
        key: "nope".into(),
        patch: json!({}),
    };
    assert_eq!(
        apply(&current, missing, AT).unwrap_err(),
        EditError::SegmentNotFound("nope".into())
    );
}

#[test]
fn deletes_refuse_what_is_still_used() {
    let current = doc();
    let e = apply(
        &current,
        Edit::DeleteFlag {
            key: "enhanced-task-metadata".into(),
        },
        AT,
    )
    .unwrap_err();
    assert!(matches!(e, EditError::FlagInUse { .. }), "{e:?}");
    let e = apply(
        &current,
        Edit::DeleteSegment {
            key: "beta-testers".into(),
        },
        AT,
    )
    .unwrap_err();
    assert!(e.message().contains("is used by flag `"), "{}", e.message());
    assert_eq!(
        apply(&current, Edit::DeleteFlag { key: "nope".into() }, AT).unwrap_err(),
        EditError::FlagNotFound("nope".into())
    );
    let (d, _) = apply(
        &current,
        Edit::DeleteFlag {
            key: "checkout-button-color".into(),
        },
        AT,
    )
    .unwrap();
    assert!(!d.flags.contains_key("checkout-button-color"));
}

#[test]
fn a_toggle_to_the_same_state_changes_nothing() {
    let current = doc();
    let on = settings(&current, "outbound_calling", "production").is_enabled();
    let toggle = |enabled| Edit::Toggle {
        flag: "outbound_calling".into(),
        environment: "production".into(),
        enabled,
    };
    let (same, a) = apply(&current, toggle(on), AT).unwrap();
    assert!(!a.changed);
    assert_eq!(same, current);
    let (flipped, a) = apply(&current, toggle(!on), AT).unwrap();
    assert!(a.changed);
    assert_eq!(
        settings(&flipped, "outbound_calling", "production").enabled,
        Some(!on)
    );
    let moon = Edit::Toggle {
        flag: "outbound_calling".into(),
        environment: "moon".into(),
        enabled: false,
    };
    assert_eq!(
        apply(&current, moon, AT).unwrap_err(),
        EditError::EnvironmentNotFound("moon".into())
    );
}

fn target(key: &str, attribute: Option<&str>, id: &str, enabled: bool) -> Edit {
    Edit::Target {
        flag: key.into(),
        environment: "production".into(),
        attribute: attribute.map(String::from),
        id: id.into(),
        enabled,
    }
}

fn targeted(d: &Document, key: &str, variant_value: bool, id: &str) -> bool {
    let f = &d.flags[key];
    settings(d, key, "production").targets.iter().any(|t| {
        f.variants[&t.variant].as_bool() == Some(variant_value)
            && t.values.iter().any(|v| v.as_str() == Some(id))
    })
}

#[test]
fn targets_move_an_id_between_the_two_variants() {
    let current = doc();
    let (on, _) = apply(
        &current,
        target("outbound_calling", None, "user-9", true),
        AT,
    )
    .unwrap();
    assert!(targeted(&on, "outbound_calling", true, "user-9"));
    let (off, _) = apply(&on, target("outbound_calling", None, "user-9", false), AT).unwrap();
    assert!(!targeted(&off, "outbound_calling", true, "user-9"));
    assert!(targeted(&off, "outbound_calling", false, "user-9"));
    let e = apply(
        &current,
        target("checkout-button-color", None, "u", true),
        AT,
    )
    .unwrap_err();
    assert_eq!(e, EditError::NotBoolean("checkout-button-color".into()));
    let (org, a) = apply(
        &current,
        target("sms_campaigns", Some("orgId"), "org-new", true),
        AT,
    )
    .unwrap();
    assert!(a.summary.starts_with("targeted org `org-new`"));
    assert!(crate::validate(&org).iter().all(|d| !d.is_error()));
}

#[test]
fn invalid_results_are_refused_with_pointers() {
    let current = doc();
    let edit = Edit::PatchFlag {
        key: "outbound_calling".into(),
        patch: json!({"environments": {"production": {"offVariant": "nope"}}}),
    };
    match apply(&current, edit, AT) {
        Err(EditError::Invalid(d)) => assert!(
            d.iter()
                .any(|d| d.pointer == "/flags/outbound_calling/environments/production/offVariant")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rollout_share_keeps_buckets_and_scale() {
    let mut current = doc();
    let f = current.flags.get_mut("outbound_calling").unwrap();
    let settings = f.environments.get_mut("production").unwrap();
    settings.default_serve = Some(Serve {
        rollout: Some(Rollout {
            salt: Some("keep-me".into()),
            weights: split_weights("on", "off", 500),
            ..Rollout::default()
        }),
        ..Serve::default()
    });
    let edit = |share| Edit::Rollout {
        flag: "outbound_calling".into(),
        environment: "production".into(),
        share,
    };
    let (d, a) = apply(&current, edit(2500), AT).unwrap();
    assert_eq!(
        a.summary,
        "rolled `outbound_calling` out to 25 % in production"
    );
    let r = settings_of(&d)
        .default_serve
        .clone()
        .unwrap()
        .rollout
        .unwrap();
    assert_eq!(r.salt.as_deref(), Some("keep-me"));
    let weights: Vec<(String, Value)> = r
        .weights
        .into_iter()
        .map(|w| (w.variant, w.weight))
        .collect();
    assert_eq!(
        weights,
        vec![("on".into(), json!(25)), ("off".into(), json!(75))]
    );
    let (d, a) = apply(&current, edit(3333), AT).unwrap();
    assert!(a.summary.contains("33.33 %"), "{}", a.summary);
    let r = settings_of(&d)
        .default_serve
        .clone()
        .unwrap()
        .rollout
        .unwrap();
    assert_eq!(r.weights[0].weight, json!(3333));
    assert_eq!(r.weights[1].weight, json!(6667));
    assert_eq!(
        apply(&current, edit(10_001), AT).unwrap_err(),
        EditError::ShareOutOfRange(10_001)
    );
}

fn settings_of(d: &Document) -> &Environment {
    settings(d, "outbound_calling", "production")
}

#[test]
fn everything_off_and_back_exactly() {
    let current = doc();
    let was_on: Vec<String> = current
        .flags
        .iter()
        .filter(|(_, f)| {
            f.environments
                .get("production")
                .is_some_and(Environment::is_enabled)
        })
        .map(|(k, _)| k.clone())
        .collect();
    assert!(was_on.len() >= 2, "the example has flags on in production");
    let off = Edit::AllOff {
        environment: "production".into(),
    };
    let (d, a) = apply(&current, off.clone(), AT).unwrap();
    assert_eq!(a.flags, was_on);
    assert!(d.flags.values().all(|f| {
        f.environments
            .get("production")
            .is_none_or(|e| !e.is_enabled())
    }));
    let (again, a2) = apply(&d, off, AT).unwrap();
    assert!(!a2.changed && again == d, "nothing left to switch off");
    // Someone switches one back on meanwhile: the restore leaves it alone.
    let first = was_on[0].clone();
    let (d, _) = apply(
        &d,
        Edit::Toggle {
            flag: first.clone(),
            environment: "production".into(),
            enabled: true,
        },
        AT,
    )
    .unwrap();
    let restore = Edit::RestoreStates {
        environment: "production".into(),
        version: 7,
        flags: was_on.clone(),
    };
    let (back, a) = apply(&d, restore, AT).unwrap();
    assert_eq!(a.flags, was_on[1..].to_vec());
    assert!(a.summary.contains(&first), "{}", a.summary);
    for key in &was_on {
        assert!(settings(&back, key, "production").is_enabled(), "{key}");
    }
    let unchanged: Vec<&String> = current
        .flags
        .keys()
        .filter(|k| !was_on.contains(k))
        .collect();
    for key in unchanged {
        assert_eq!(
            back.flags[key]
                .environments
                .get("production")
                .map(|e| e.enabled),
            current.flags[key]
                .environments
                .get("production")
                .map(|e| e.enabled),
            "{key}"
        );
    }
}

#[test]
fn entry_changes_name_rows() {
    let a = doc();
    let on = settings(&a, "outbound_calling", "staging").is_enabled();
    let (b, _) = apply(
        &a,
        Edit::Toggle {
            flag: "outbound_calling".into(),
            environment: "staging".into(),
            enabled: !on,
        },
        AT,
    )
    .unwrap();
    let changes = EntryChanges::between(&a, &b);
    assert_eq!(changes.flags, vec!["outbound_calling".to_string()]);
    assert!(changes.segments.is_empty() && !changes.top);
    let mut c = b.clone();
    c.environments.push("qa".into());
    c.segments.remove("beta-testers");
    let changes = EntryChanges::between(&b, &c);
    assert!(changes.top && changes.segments == vec!["beta-testers".to_string()]);
    assert!(EntryChanges::between(&c, &c).is_empty());
}

#[test]
fn archive_is_refused_while_live_flags_require_it_and_restores_whole() {
    let current = doc();
    let archive = |flag: &str| Edit::Archive { flag: flag.into() };
    let e = apply(&current, archive("enhanced-task-metadata"), AT).unwrap_err();
    assert_eq!(
        e,
        EditError::FlagInUse {
            flag: "enhanced-task-metadata".into(),
            dependents: vec!["daily-planning".into()],
        }
    );
    assert_eq!(
        apply(&current, archive("nope"), AT).unwrap_err(),
        EditError::FlagNotFound("nope".into())
    );
    // Archive the dependent first; then its prerequisite may go too.
    let (d, a) = apply(&current, archive("daily-planning"), AT).unwrap();
    assert_eq!(a.action, Action::Archive);
    assert_eq!(a.summary, "archived flag `daily-planning`");
    assert!(a.changed && a.flags == vec!["daily-planning".to_string()]);
    let f = &d.flags["daily-planning"];
    assert_eq!(f.archived, Some(true));
    assert_eq!(f.archived_at.as_deref(), Some("2026-12-01T09:00:00Z"));
    assert_eq!(f.archived_by.as_deref(), Some("ana"));
    assert_eq!(f.updated_by.as_deref(), Some("ana"));
    assert!(
        !crate::compile(&d, "production")
            .snapshot
            .flag_keys()
            .any(|k| k == "daily-planning")
    );
    let (d, _) = apply(&d, archive("enhanced-task-metadata"), AT).unwrap();
    // Archiving it again changes nothing.
    let (same, a) = apply(&d, archive("enhanced-task-metadata"), AT).unwrap();
    assert!(!a.changed && same == d);
    // Restoring the dependent while its prerequisite is archived leaves an error: refused.
    let unarchive = |flag: &str| Edit::Unarchive { flag: flag.into() };
    match apply(&d, unarchive("daily-planning"), AT).unwrap_err() {
        EditError::Invalid(diagnostics) => assert!(
            diagnostics
                .iter()
                .any(|d| d.code == crate::Code::ArchivedPrerequisite),
            "{diagnostics:?}"
        ),
        other => panic!("{other:?}"),
    }
    let (d, _) = apply(&d, unarchive("enhanced-task-metadata"), AT).unwrap();
    let (d, a) = apply(&d, unarchive("daily-planning"), AT).unwrap();
    assert_eq!(a.action, Action::Unarchive);
    assert_eq!(a.summary, "restored archived flag `daily-planning`");
    let f = &d.flags["daily-planning"];
    assert!(f.archived.is_none() && f.archived_at.is_none() && f.archived_by.is_none());
    let (same, a) = apply(&d, unarchive("daily-planning"), AT).unwrap();
    assert!(!a.changed && same == d);
}

#[test]
fn lifecycle_defaults_and_permission_flags_are_permanent() {
    use crate::model::Lifecycle;
    let with = |lifecycle: Option<&str>, days: Option<u64>| {
        let mut f = flag(json!({"kind": "boolean", "variants": {"on": true}}));
        f.lifecycle = lifecycle.map(Lifecycle::from_name);
        f.expected_lifetime_days = days;
        f.expected_lifetime_days()
    };
    assert_eq!(with(None, None), Some(40));
    assert_eq!(with(Some("release"), None), Some(40));
    assert_eq!(with(Some("experiment"), None), Some(40));
    assert_eq!(with(Some("operational"), None), Some(7));
    assert_eq!(with(Some("permission"), None), None);
    assert_eq!(with(Some("permission"), Some(3)), None);
    assert_eq!(with(Some("operational"), Some(3)), Some(3));
    assert_eq!(with(Some("someday"), None), None);
}

#[test]
fn replace_and_patch_keep_the_archive_state() {
    let (archived, _) = apply(
        &doc(),
        Edit::Archive {
            flag: "checkout-button-color".into(),
        },
        AT,
    )
    .unwrap();
    // A patch cannot restore it, a replace cannot either, and neither can archive a live one.
    let patch = Edit::PatchFlag {
        key: "checkout-button-color".into(),
        patch: json!({"archived": null, "description": "still archived"}),
    };
    let (d, _) = apply(&archived, patch, AT).unwrap();
    assert!(d.flags["checkout-button-color"].is_archived());
    let mut replacement = d.flags["checkout-button-color"].clone();
    replacement.archived = None;
    let put = Edit::PutFlag {
        key: "checkout-button-color".into(),
        flag: Box::new(replacement),
    };
    let (d, _) = apply(&d, put, AT).unwrap();
    let f = &d.flags["checkout-button-color"];
    assert!(f.is_archived() && f.archived_by.as_deref() == Some("ana"));
    let sneaky = Edit::PatchFlag {
        key: "outbound_calling".into(),
        patch: json!({"archived": true}),
    };
    let (d, _) = apply(&d, sneaky, AT).unwrap();
    assert!(!d.flags["outbound_calling"].is_archived());
    // A new flag starts live whatever it says.
    let new_flag = flag(json!({"kind": "boolean", "variants": {"on": true}, "archived": true}));
    let put = Edit::PutFlag {
        key: "fresh".into(),
        flag: Box::new(new_flag),
    };
    let (d, _) = apply(&d, put, AT).unwrap();
    assert!(!d.flags["fresh"].is_archived());
}

#[test]
fn promote_copies_one_environments_settings_whole() {
    let doc = crate::load(include_str!("../../../examples/tasks-app.json"))
        .unwrap()
        .document;
    let stamp = Stamp {
        actor: "ana",
        now_ms: 0,
    };
    let promote = |from: &str, to: &str| Edit::Promote {
        flag: "daily-planning".into(),
        from: from.into(),
        to: to.into(),
    };
    let (after, applied) = apply(&doc, promote("production", "staging"), stamp).unwrap();
    let f = &after.flags["daily-planning"];
    assert_eq!(f.environments["staging"], f.environments["production"]);
    assert_eq!(applied.action, Action::Promote);
    assert_eq!(
        applied.summary,
        "promoted `daily-planning` from production to staging"
    );
    assert_eq!(
        apply(&doc, promote("prod", "staging"), stamp).unwrap_err(),
        EditError::EnvironmentNotFound("prod".into())
    );
    assert_eq!(
        apply(&doc, promote("production", "qa"), stamp).unwrap_err(),
        EditError::EnvironmentNotFound("qa".into())
    );
}

#[test]
fn summaries_say_what_changed_at_most_three_lines_then_how_many_more() {
    let current = doc();
    let mut flag = current.flags["daily-planning"].clone();
    for env in ["development", "staging", "production"] {
        let settings = flag.environments.get_mut(env).unwrap();
        settings.enabled = Some(!settings.is_enabled());
    }
    flag.description = Some("new words".into());
    let edit = Edit::PutFlag {
        key: "daily-planning".into(),
        flag: Box::new(flag),
    };
    let (_, a) = apply(&current, edit, AT).unwrap();
    assert!(
        a.summary.starts_with(
            "updated flag `daily-planning`: description changed; development: kill switch"
        ),
        "{}",
        a.summary
    );
    assert!(a.summary.ends_with(" and 1 more"), "{}", a.summary);

    let same = Edit::PutFlag {
        key: "daily-planning".into(),
        flag: Box::new(current.flags["daily-planning"].clone()),
    };
    let (_, a) = apply(&current, same, AT).unwrap();
    assert_eq!(a.summary, "saved unchanged flag `daily-planning`");

    let patch = Edit::PatchSegment {
        key: "beta-testers".into(),
        patch: json!({"include": ["someone-new"], "description": "testers"}),
    };
    let (d, a) = apply(&current, patch, AT).unwrap();
    assert!(
        a.summary.starts_with(
            "updated segment `beta-testers`: description changed; included: added someone-new"
        ),
        "{}",
        a.summary
    );
    let mut segment = d.segments["beta-testers"].clone();
    segment.include.clear();
    let put = Edit::PutSegment {
        key: "beta-testers".into(),
        segment: Box::new(segment),
    };
    let (_, a) = apply(&d, put, AT).unwrap();
    assert_eq!(
        a.summary,
        "updated segment `beta-testers`: included: removed someone-new"
    );
}
