// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::store::sql::native::memory;
use burgee_api::Role;
use burgee_core::model::Flag;

fn caller() -> Caller {
    Caller {
        actor: "ana".into(),
        role: Role::Editor,
        environments: Default::default(),
        reason: None,
        bypass: false,
    }
}

fn example() -> Document {
    burgee_core::load(include_str!("../../../../../examples/tasks-app.json"))
        .unwrap()
        .document
}

fn import(rows: &Rows<'_, rusqlite::Connection>) -> Committed {
    let edit = Edit::ReplaceDocument {
        document: Box::new(example()),
        import: true,
    };
    commit(
        rows,
        (0, &Document::default()),
        vec![edit],
        &caller(),
        0,
        &1000.into(),
    )
    .unwrap()
}

#[test]
fn a_write_is_stored_whole_and_a_repeated_switch_not_at_all() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let first = import(&rows);
    assert_eq!(first.version, 1);
    assert_eq!(
        first.publication.built.len(),
        6,
        "3 environments, 2 snapshots each"
    );
    assert_eq!(rows.current().unwrap(), (1, first.document.clone()));
    let on = first.document.flags["outbound_calling"].environments["production"].is_enabled();
    let toggle = |enabled| Edit::Toggle {
        flag: "outbound_calling".into(),
        environment: "production".into(),
        enabled,
    };
    let same = commit(
        &rows,
        (1, &first.document),
        vec![toggle(on)],
        &caller(),
        5,
        &1000.into(),
    )
    .unwrap();
    assert_eq!(same.version, 1);
    assert!(
        same.applied
            .summary
            .ends_with("(it already was: nothing written)")
    );
    assert!(same.publication.built.is_empty());
    assert_eq!(
        rows.history(100, 10).unwrap().len(),
        1,
        "no version, no history"
    );
    let flipped = commit(
        &rows,
        (1, &first.document),
        vec![toggle(!on)],
        &caller(),
        9,
        &1000.into(),
    )
    .unwrap();
    assert_eq!(flipped.version, 2);
    assert_eq!(rows.current().unwrap().1, flipped.document);
    let audit = rows
        .audit(&super::super::rows::AuditQuery {
            before: 1 << 40,
            limit: 5,
            flag: None,
            actor: Some("ana"),
        })
        .unwrap();
    assert_eq!(audit.len(), 2);
}

#[test]
fn documents_over_the_limits_are_refused_and_store_nothing() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let base = import(&rows);
    let mut many = base.document.clone();
    let flag: Flag = base.document.flags["outbound_calling"].clone();
    for i in 0..=MAX_FLAGS {
        many.flags.insert(format!("generated-{i}"), flag.clone());
    }
    let edit = Edit::ReplaceDocument {
        document: Box::new(many),
        import: false,
    };
    let e = commit(
        &rows,
        (1, &base.document),
        vec![edit],
        &caller(),
        0,
        &1000.into(),
    )
    .unwrap_err();
    assert_eq!((e.status, e.code), (422, Code::LimitExceeded));
    let mut big = flag.clone();
    big.description = Some("x".repeat(MAX_ENTRY_BYTES));
    let edit = Edit::PutFlag {
        key: "huge".into(),
        flag: Box::new(big),
    };
    let e = commit(
        &rows,
        (1, &base.document),
        vec![edit],
        &caller(),
        0,
        &1000.into(),
    )
    .unwrap_err();
    assert_eq!((e.status, e.code), (413, Code::DocumentTooLarge));
    assert_eq!(rows.current().unwrap().0, 1, "nothing was stored");
}

#[test]
fn edits_of_one_write_are_one_version_with_every_summary() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let base = import(&rows);
    let edits = vec![
        Edit::Rollout {
            flag: "outbound_calling".into(),
            environment: "production".into(),
            share: 1000,
        },
        Edit::Toggle {
            flag: "outbound_calling".into(),
            environment: "production".into(),
            enabled: true,
        },
    ];
    let c = commit(
        &rows,
        (1, &base.document),
        edits,
        &caller(),
        0,
        &1000.into(),
    )
    .unwrap();
    assert_eq!(c.version, 2);
    assert!(
        c.applied
            .summary
            .starts_with("rolled `outbound_calling` out to 10 %"),
        "{}",
        c.applied.summary
    );
    assert_eq!(c.applied.flags, vec!["outbound_calling".to_string()]);
}

#[test]
fn a_role_that_differs_by_environment_guards_what_that_environment_serves() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let first = import(&rows);
    let releaser_only_in_staging = Caller {
        actor: "sam".into(),
        role: Role::Editor,
        environments: [("production".to_string(), Role::Viewer)].into(),
        reason: None,
        bypass: false,
    };
    let toggle = |environment: &str| Edit::Toggle {
        flag: "outbound_calling".into(),
        environment: environment.into(),
        enabled: !first.document.flags["outbound_calling"].environments[environment].is_enabled(),
    };
    let refused = commit(
        &rows,
        (1, &first.document),
        vec![toggle("production")],
        &releaser_only_in_staging,
        10,
        &1000.into(),
    )
    .unwrap_err();
    assert_eq!(refused.status, 403);
    assert!(
        refused.message.contains("`production`"),
        "{}",
        refused.message
    );
    assert_eq!(rows.current().unwrap().0, 1, "nothing was written");
    let staged = commit(
        &rows,
        (1, &first.document),
        vec![toggle("staging")],
        &releaser_only_in_staging,
        10,
        &1000.into(),
    )
    .unwrap();
    assert_eq!(staged.version, 2);
    // A change to what every environment serves (the flag's variants) needs production too.
    let mut flag: Flag = staged.document.flags["outbound_calling"].clone();
    flag.description = Some("only words".into());
    let words = commit(
        &rows,
        (2, &staged.document),
        vec![Edit::PutFlag {
            key: "outbound_calling".into(),
            flag: Box::new(flag),
        }],
        &releaser_only_in_staging,
        20,
        &1000.into(),
    )
    .unwrap();
    assert_eq!(
        words.version, 3,
        "a description changes what no environment serves"
    );
}

#[test]
fn a_protected_environment_needs_a_reason_which_history_and_audit_keep() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let first = import(&rows);
    let rules = Rules {
        keep: 1000,
        policies: Policies {
            protected: super::super::protected::Protected::parse(Some(
                r#"{"production": {"reason": true}}"#,
            ))
            .unwrap(),
            ..Policies::default()
        },
    };
    let toggle = |environment: &str| Edit::Toggle {
        flag: "outbound_calling".into(),
        environment: environment.into(),
        enabled: !first.document.flags["outbound_calling"].environments[environment].is_enabled(),
    };
    let refused = commit(
        &rows,
        (1, &first.document),
        vec![toggle("production")],
        &caller(),
        10,
        &rules,
    )
    .unwrap_err();
    assert_eq!((refused.status, refused.code), (422, Code::ReasonRequired));
    assert_eq!(rows.current().unwrap().0, 1, "nothing was written");
    let staging = commit(
        &rows,
        (1, &first.document),
        vec![toggle("staging")],
        &caller(),
        10,
        &rules,
    )
    .unwrap();
    assert_eq!(staging.version, 2, "staging is not protected");
    let why = Caller {
        reason: Some("checkout errors at 25 % — rolling back".into()),
        ..caller()
    };
    let done = commit(
        &rows,
        (2, &staging.document),
        vec![toggle("production")],
        &why,
        20,
        &rules,
    )
    .unwrap();
    assert_eq!(done.version, 3);
    let entry = rows.version_entry(3).unwrap().unwrap();
    assert_eq!(
        entry.reason.as_deref(),
        Some("checkout errors at 25 % — rolling back")
    );
    assert_eq!(rows.version_entry(2).unwrap().unwrap().reason, None);
}
