// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::store::commit::{Caller, commit};
use crate::store::sql::native::memory;
use burgee_core::edit::Edit;

fn body(a: &Answer) -> Value {
    serde_json::from_str(&a.body).unwrap()
}

fn stored() -> (rusqlite::Connection, Document) {
    let db = memory();
    let document = {
        let rows = Rows::new(&db);
        rows.ensure_schema().unwrap();
        let example = burgee_core::load(include_str!("../../../../../examples/tasks-app.json"))
            .unwrap()
            .document;
        let caller = Caller {
            actor: "ana".into(),
            role: Role::Admin,
            environments: Default::default(),
            reason: None,
            bypass: false,
        };
        let edit = Edit::ReplaceDocument {
            document: Box::new(example),
            import: true,
        };
        let first = commit(
            &rows,
            (0, &Document::default()),
            vec![edit],
            &caller,
            0,
            &1000.into(),
        )
        .unwrap();
        let toggle = Edit::Toggle {
            flag: "outbound_calling".into(),
            environment: "staging".into(),
            enabled: !first.document.flags["outbound_calling"].environments["staging"].is_enabled(),
        };
        commit(
            &rows,
            (1, &first.document),
            vec![toggle],
            &caller,
            1,
            &1000.into(),
        )
        .unwrap()
        .document
    };
    (db, document)
}

#[test]
fn entries_and_the_document_carry_the_version() {
    let (_, doc) = stored();
    let a = document(2, &doc).unwrap();
    assert_eq!((a.etag, body(&a)["version"].as_u64()), (Some(2), Some(2)));
    let a = entry(2, &doc, "outbound_calling", false).unwrap();
    assert_eq!(body(&a)["flag"]["kind"], "boolean");
    let e = entry(2, &doc, "nope", true).unwrap_err();
    assert_eq!((e.status, e.code), (404, Code::SegmentNotFound));
    let a = export(2, &doc).unwrap();
    assert_eq!(body(&a)["version"], 2);
    assert_eq!(a.headers[0].1, "attachment; filename=\"burgee-v2.json\"");
}

#[test]
fn history_versions_and_diffs() {
    let (db, _) = stored();
    let rows = Rows::new(&db);
    let h = body(&history(&rows, &[]).unwrap());
    assert_eq!(h["versions"][0]["version"], 2);
    assert_eq!(h["versions"][1]["action"], "import");
    let v = body(&version(&rows, "1", 1000).unwrap());
    assert_eq!(
        (v["version"].as_u64(), v["document"]["version"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        version(&rows, "9", 1000).unwrap_err().code,
        Code::VersionNotFound
    );
    let d = body(&diff(&rows, 2, &[], 1000).unwrap());
    assert_eq!(
        d["changes"][0]["pointer"],
        "/flags/outbound_calling/environments/staging/enabled"
    );
    let all = body(&diff(&rows, 2, &[("from".into(), "0".into())], 1000).unwrap());
    assert!(all["changes"].as_array().unwrap().len() > 1);
    let q = [("limit".to_string(), "many".to_string())];
    assert_eq!(history(&rows, &q).unwrap_err().code, Code::InvalidParameter);
}

#[test]
fn the_audit_log_by_actor_needs_an_admin() {
    let (db, _) = stored();
    let rows = Rows::new(&db);
    let q = [("actor".to_string(), "ana".to_string())];
    assert_eq!(
        audit(&rows, Role::Editor, &q).unwrap_err().code,
        Code::Forbidden
    );
    let a = body(&audit(&rows, Role::Admin, &q).unwrap());
    assert_eq!(a["entries"].as_array().unwrap().len(), 2);
    let f = [("flag".to_string(), "outbound_calling".to_string())];
    assert_eq!(
        body(&audit(&rows, Role::Viewer, &f).unwrap())["entries"][0]["action"],
        "toggle"
    );
}

#[test]
fn evaluation_reads_the_current_version_and_validation_saves_nothing() {
    let (_, doc) = stored();
    let mut cache = Compiled::new();
    let request = br#"{"environment": "production", "context": {"targetingKey": "u1"}, "flags": ["outbound_calling"]}"#;
    let a = body(&evaluate(&mut cache, 2, &doc, request, 0).unwrap());
    assert_eq!(a["version"], 2);
    assert_eq!(a["results"].as_object().unwrap().len(), 1);
    assert!(a["results"]["outbound_calling"]["reason"].is_string());
    let e = evaluate(&mut cache, 2, &doc, br#"{"environment": "moon"}"#, 0).unwrap_err();
    assert_eq!(e.code, Code::EnvironmentNotFound);
    let e = evaluate(&mut cache, 2, &doc, br#"{"context": {}}"#, 0).unwrap_err();
    assert_eq!(e.code, Code::InvalidBody);
    let v = body(
        &validate(br#"{"environments": [], "flags": {"a": {"kind": "nope", "variants": {}}}}"#)
            .unwrap(),
    );
    assert_eq!(v["valid"], false);
    assert!(!v["diagnostics"].as_array().unwrap().is_empty());
}
