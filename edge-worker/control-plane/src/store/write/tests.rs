// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;
use crate::store::sql::native::memory;

fn request<'a>(body: &'a [u8], query: &'a [(String, String)]) -> Request<'a> {
    Request {
        body,
        query,
        environment: None,
        default_environment: "production",
        keep: 1000,
    }
}

fn plan_of(method: &str, path: &str, body: &str) -> Result<Plan, ApiError> {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let route = Route::parse(method, path).unwrap();
    write::plan(&route, &request(body.as_bytes(), &[]), &rows).expect("a write")
}

use crate::store::write;

#[test]
fn bodies_of_the_wrong_shape_are_400_with_a_reason() {
    let e = plan_of("PUT", "/api/v1/flags/x", "[1]").unwrap_err();
    assert_eq!(
        (e.status, e.message.as_str()),
        (400, "a flag must be a JSON object")
    );
    let e = plan_of("PATCH", "/api/v1/segments/x", "3").unwrap_err();
    assert_eq!(e.message, "a merge patch must be a JSON object");
    let e = plan_of("POST", "/api/v1/flags/x/toggle", r#"{"enabled": true}"#).unwrap_err();
    assert_eq!(e.message, "`environment` (a string) is required");
    let e = plan_of("PUT", "/feature-flags/x", r#"{"enabled": "yes"}"#).unwrap_err();
    assert_eq!(e.message, "send {\"enabled\": true | false}");
    let e = plan_of("PUT", "/api/v1/document", "{").unwrap_err();
    assert_eq!(e.code, Code::InvalidJson);
}

#[test]
fn entries_that_do_not_read_are_422_at_their_field() {
    let e = plan_of("PUT", "/api/v1/flags/x", r#"{"kind": 5, "variants": {}}"#).unwrap_err();
    assert_eq!((e.status, e.code), (422, Code::InvalidDocument));
    let pointer = e.details.unwrap()["diagnostics"][0]["pointer"].clone();
    assert_eq!(pointer, "/flags/x/kind");
    let doc = r#"{"environments": ["p"], "flags": {"good": {"kind": "boolean", "variants": {"on": true}}, "bad": {"kind": "boolean"}}}"#;
    let e = plan_of("POST", "/api/v1/import", doc).unwrap_err();
    assert_eq!(
        e.code,
        Code::InvalidDocument,
        "a flag that does not read is refused, not dropped"
    );
}

#[test]
fn shortcuts_need_no_if_match_and_take_a_rollout_share() {
    let p = plan_of(
        "PUT",
        "/feature-flags/new-checkout",
        r#"{"enabled": true, "rolloutPercentage": 12.5}"#,
    )
    .unwrap();
    assert!(!p.if_match);
    assert_eq!(
        p.edits,
        vec![
            Edit::Rollout {
                flag: "new-checkout".into(),
                environment: "production".into(),
                share: 1250
            },
            Edit::Toggle {
                flag: "new-checkout".into(),
                environment: "production".into(),
                enabled: true
            }
        ]
    );
    for bad in ["12.345", "101", "-1", "\"10\""] {
        let body = format!(r#"{{"enabled": true, "rolloutPercentage": {bad}}}"#);
        let e = plan_of("PUT", "/feature-flags/x", &body).unwrap_err();
        assert_eq!(e.code, Code::InvalidBody, "{bad}");
    }
    let p = plan_of("POST", "/feature-flags/f/org/o-1", r#"{"enabled": false}"#).unwrap();
    assert!(
        matches!(&p.edits[0], Edit::Target { attribute: Some(a), id, enabled: false, .. } if a == "orgId" && id == "o-1")
    );
    let p = plan_of(
        "PUT",
        "/api/v1/flags/x",
        r#"{"kind": "boolean", "variants": {"on": true}}"#,
    );
    assert!(p.unwrap().if_match);
}

#[test]
fn the_shortcut_environment_is_the_query_then_the_header_then_the_default() {
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let route = Route::parse("PUT", "/feature-flags/f").unwrap();
    let env_of = |query: &[(String, String)], header: Option<&str>| {
        let mut r = request(br#"{"enabled": false}"#, query);
        r.environment = header;
        match write::plan(&route, &r, &rows).unwrap().unwrap().reply {
            Reply::Shortcut { environment, .. } => environment,
            other => panic!("{other:?}"),
        }
    };
    let q = vec![("env".to_string(), "staging".to_string())];
    assert_eq!(env_of(&q, Some("dev")), "staging");
    assert_eq!(env_of(&[], Some("dev")), "dev");
    assert_eq!(env_of(&[], None), "production");
}

#[test]
fn restores_and_undos_need_something_to_act_on() {
    let e = plan_of("POST", "/api/v1/restore/7", "{}").unwrap_err();
    assert_eq!((e.status, e.code), (404, Code::VersionNotFound));
    assert_eq!(
        e.message,
        "version 7 is not in the history (it keeps the last 1000)"
    );
    let e = plan_of("POST", "/api/v1/restore/x", "{}").unwrap_err();
    assert_eq!(e.code, Code::InvalidParameter);
    let e = plan_of("POST", "/api/v1/environments/production/all-off/undo", "").unwrap_err();
    assert_eq!((e.status, e.code), (409, Code::NothingToUndo));
    let p = plan_of("POST", "/api/v1/environments/production/all-off", "").unwrap();
    assert_eq!(
        p.reply,
        Reply::Switched {
            environment: "production".into()
        }
    );
}

#[test]
fn refusals_keep_their_details() {
    let e = refusal(EditError::FlagInUse {
        flag: "a".into(),
        dependents: vec!["b".into()],
    });
    assert_eq!(
        (e.status, e.details.unwrap()),
        (422, json!({"dependents": ["b"]}))
    );
    let e = refusal(EditError::SegmentInUse {
        segment: "s".into(),
        users: vec![SegmentUser::Flag("f".into())],
    });
    assert_eq!(e.details.unwrap(), json!({"usedBy": ["flag `f`"]}));
    assert_eq!(
        refusal(EditError::NotBoolean("x".into())).code,
        Code::NotABooleanFlag
    );
    assert_eq!(
        refusal(EditError::EnvironmentNotFound("m".into())).status,
        404
    );
}

#[test]
fn a_revert_brings_back_one_entry_as_it_was_and_leaves_the_rest() {
    use crate::store::commit::{Caller, commit};
    let db = memory();
    let rows = Rows::new(&db);
    rows.ensure_schema().unwrap();
    let who = Caller {
        actor: "ana".into(),
        role: burgee_api::Role::Editor,
        environments: Default::default(),
        reason: None,
        bypass: false,
    };
    let example = burgee_core::load(include_str!("../../../../../examples/tasks-app.json"))
        .unwrap()
        .document;
    let import = Edit::ReplaceDocument {
        document: Box::new(example),
        import: true,
    };
    let v1 = commit(
        &rows,
        (0, &Document::default()),
        vec![import],
        &who,
        0,
        &1000.into(),
    )
    .unwrap();
    let off = |flag: &str| Edit::Toggle {
        flag: flag.into(),
        environment: "production".into(),
        enabled: false,
    };
    let v2 = commit(
        &rows,
        (1, &v1.document),
        vec![off("daily-planning"), off("sms_campaigns")],
        &who,
        1,
        &1000.into(),
    )
    .unwrap();
    let revert = |path: &str, body: &str| {
        let route = Route::parse("POST", path).unwrap();
        write::plan(&route, &request(body.as_bytes(), &[]), &rows).expect("a write")
    };
    let plan = revert("/api/v1/flags/daily-planning/revert", r#"{"version": 1}"#).unwrap();
    assert_eq!(
        plan.label.as_deref(),
        Some("reverted flag `daily-planning` to version 1")
    );
    assert!(
        plan.if_match,
        "a revert is based on a version, like any edit"
    );
    let v3 = commit(&rows, (2, &v2.document), plan.edits, &who, 2, &1000.into()).unwrap();
    assert!(v3.document.flags["daily-planning"].environments["production"].is_enabled());
    assert!(
        !v3.document.flags["sms_campaigns"].environments["production"].is_enabled(),
        "the other flag stays"
    );
    // A segment that did not exist then is deleted; a version the history lacks is a 404.
    let plan = revert("/api/v1/segments/nobody/revert", r#"{"version": 1}"#).unwrap();
    assert_eq!(
        plan.edits,
        vec![Edit::DeleteSegment {
            key: "nobody".into()
        }]
    );
    assert_eq!(
        revert("/api/v1/flags/x/revert", r#"{"version": 9}"#)
            .unwrap_err()
            .code,
        Code::VersionNotFound
    );
    assert_eq!(
        revert("/api/v1/flags/x/revert", r#"{"version": "1"}"#)
            .unwrap_err()
            .code,
        Code::InvalidBody
    );
}
