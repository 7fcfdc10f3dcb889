// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::store::sql::native::memory;
use burgee_core::edit::{Edit, Stamp, apply};

fn example() -> Document {
    burgee_core::load(include_str!("../../../../../examples/tasks-app.json"))
        .unwrap()
        .document
}

const AT: Stamp<'static> = Stamp {
    actor: "ana",
    now_ms: 1_796_115_600_000,
};

/// Applies `edit` to the current document and commits it as the next version.
fn write(rows: &Rows<'_, rusqlite::Connection>, edit: Edit, keep: u64) -> (u64, Document) {
    let (version, before) = rows.current().unwrap();
    let (mut after, applied) = apply(&before, edit, AT).unwrap();
    let entries = EntryChanges::between(&before, &after);
    let version = version + 1;
    after.version = Some(version);
    rows.commit(&Commit {
        version,
        at: "2026-12-01T09:00:00Z",
        actor: "ana",
        applied: &applied,
        after: &after,
        entries: &entries,
        changes: &[ChangeEntry {
            version,
            environment: "production".into(),
            flags: applied.flags.clone(),
        }],
        reason: "the test says so",
        keep,
    })
    .unwrap();
    (version, after)
}

fn toggle(flag: &str, enabled: bool) -> Edit {
    Edit::Toggle {
        flag: flag.into(),
        environment: "production".into(),
        enabled,
    }
}

fn count(db: &rusqlite::Connection, query: &str) -> u64 {
    int(&db.run(query, &[]).unwrap()[0], "n")
}

#[test]
fn every_kept_version_reads_back_and_a_toggle_writes_one_row() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    assert_eq!(rows.current().unwrap(), (0, empty_document()));
    let import = Edit::ReplaceDocument {
        document: Box::new(example()),
        import: true,
    };
    let (v1, d1) = write(&rows, import, 1000);
    let entries_after_import = count(&db, "SELECT COUNT(*) AS n FROM entries");
    let on = d1.flags["outbound_calling"].environments["production"].is_enabled();
    let (v2, d2) = write(&rows, toggle("outbound_calling", !on), 1000);
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM entries"),
        entries_after_import + 1,
        "a kill switch stores one flag row"
    );
    let delete = Edit::DeleteFlag {
        key: "checkout-button-color".into(),
    };
    let (v3, d3) = write(&rows, delete, 1000);
    assert_eq!(rows.current().unwrap(), (v3, d3.clone()));
    let unversioned = |mut d: Document| {
        d.version = None;
        Some(d)
    };
    assert_eq!(rows.document_at(v1).unwrap(), unversioned(d1));
    assert_eq!(rows.document_at(v2).unwrap(), unversioned(d2));
    assert_eq!(rows.document_at(v3).unwrap(), unversioned(d3));
    assert_eq!(rows.document_at(0).unwrap(), Some(empty_document()));
    assert_eq!(rows.document_at(99).unwrap(), None);
    let history = rows.history(u64::MAX >> 12, 10).unwrap();
    let versions: Vec<u64> = history.iter().map(|v| v.version).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(history[2].action, "import");
    assert_eq!(rows.history(3, 1).unwrap()[0].version, 2);
}

#[test]
fn the_history_keeps_only_the_newest_versions() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let import = Edit::ReplaceDocument {
        document: Box::new(example()),
        import: false,
    };
    write(&rows, import, 2);
    let mut on = true;
    let mut last = (0, empty_document());
    for _ in 0..5 {
        on = !on;
        last = write(&rows, toggle("outbound_calling", on), 2);
    }
    let (v, d) = last;
    assert_eq!(v, 6);
    assert_eq!(rows.document_at(4).unwrap(), None, "trimmed");
    assert!(rows.document_at(5).unwrap().is_some());
    let mut plain = d.clone();
    plain.version = None;
    assert_eq!(rows.document_at(6).unwrap(), Some(plain));
    assert_eq!(rows.current().unwrap(), (6, d));
    // Rows closed before the oldest kept version are gone; the import's untouched rows stay.
    let closed = count(
        &db,
        "SELECT COUNT(*) AS n FROM entries WHERE until IS NOT NULL",
    );
    assert_eq!(closed, 1, "only the row version 5 needs");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM versions"), 2);
}

#[test]
fn audit_filters_and_the_undo_of_all_off() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let import = Edit::ReplaceDocument {
        document: Box::new(example()),
        import: true,
    };
    write(&rows, import, 1000);
    assert_eq!(rows.undoable_all_off("production").unwrap(), None);
    let off = Edit::AllOff {
        environment: "production".into(),
    };
    let (v, _) = write(&rows, off, 1000);
    let (at, flags) = rows.undoable_all_off("production").unwrap().unwrap();
    assert_eq!(at, v);
    assert!(flags.contains(&"outbound_calling".to_string()), "{flags:?}");
    let by_flag = rows
        .audit(&AuditQuery {
            before: u64::MAX >> 12,
            limit: 10,
            flag: Some("outbound_calling"),
            actor: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_flag.len(), 2, "the import and the all-off name it");
    assert_eq!(by_flag[0].action, "all-off");
    let in_env = |environment, from: Option<&str>| {
        rows.audit(&AuditQuery {
            before: u64::MAX >> 12,
            limit: 10,
            environment: Some(environment),
            from: from.map(String::from),
            ..Default::default()
        })
        .unwrap()
    };
    assert_eq!(in_env("production", None)[0].action, "all-off");
    assert_eq!(in_env("production", None)[0].environments, ["production"]);
    assert!(
        in_env("staging", None)
            .iter()
            .all(|e| e.action != "all-off"),
        "all-off of production only"
    );
    assert!(
        in_env("production", Some("2999-01-01T00:00:00Z")).is_empty(),
        "nothing after"
    );
    let restore = Edit::RestoreStates {
        environment: "production".into(),
        version: at,
        flags,
    };
    write(&rows, restore, 1000);
    assert_eq!(rows.undoable_all_off("production").unwrap(), None, "undone");
    let nobody = rows
        .audit(&AuditQuery {
            before: u64::MAX >> 12,
            limit: 10,
            flag: None,
            actor: Some("bob"),
            ..Default::default()
        })
        .unwrap();
    assert!(nobody.is_empty());
    assert_eq!(rows.changes_since(1).unwrap().len(), 2);
}

#[test]
fn publication_state_round_trips() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let k = StoredKey {
        revision: 4,
        published: 3,
        revision_at: 1_000.5,
        hash: "abc".into(),
        attempts: 2,
        last_error: Some("429".into()),
        failing_since: Some(900.0),
        last_write_at: None,
        behind_since: Some(950.0),
    };
    rows.save_key("snapshot:production", &k).unwrap();
    assert_eq!(rows.publication().unwrap()["snapshot:production"], k);
    rows.log_publication("t", "snapshot:production", 4, "KV answered 429")
        .unwrap();
    assert_eq!(
        rows.publication_log(5).unwrap()[0].message,
        "KV answered 429"
    );
    rows.forget_key("snapshot:production").unwrap();
    assert!(rows.publication().unwrap().is_empty());
}

#[test]
fn a_store_of_the_first_layout_is_migrated_with_its_history() {
    let db = memory();
    for statement in [
        "CREATE TABLE versions (version INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, summary TEXT NOT NULL, document TEXT NOT NULL)",
        "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, version INTEGER NOT NULL, summary TEXT NOT NULL, flags TEXT NOT NULL)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ] {
        db.run(statement, &[]).unwrap();
    }
    let d1 = example();
    let (d2, _) = apply(&d1, toggle("outbound_calling", false), AT).unwrap();
    for (v, d) in [(1u64, &d1), (2, &d2)] {
        let mut text = serde_json::to_value(d).unwrap();
        text["version"] = v.into();
        db.run(
            "INSERT INTO versions VALUES (?, 't', 'old', 'import', 's', ?)",
            &[v.into(), text.to_string().into()],
        )
        .unwrap();
    }
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let mut d2 = d2;
    d2.version = Some(2);
    assert_eq!(rows.current().unwrap(), (2, d2));
    assert_eq!(rows.document_at(1).unwrap(), Some(d1));
    assert_eq!(rows.history(100, 10).unwrap().len(), 2);
    rows.ensure_schema().unwrap();
    assert_eq!(rows.history(100, 10).unwrap().len(), 2, "migrates once");
}
