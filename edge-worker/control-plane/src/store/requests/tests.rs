// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::store::policy::{self, Policies};
use crate::store::sql::native::memory;
use burgee_api::{Policy, Role};

type Db = rusqlite::Connection;

fn person(name: &str) -> Caller {
    Caller {
        actor: name.into(),
        role: Role::Editor,
        environments: Default::default(),
        reason: None,
        bypass: false,
    }
}

fn toggle(flag: &str, environment: &str, enabled: bool) -> Edit {
    Edit::Toggle {
        flag: flag.into(),
        environment: environment.into(),
        enabled,
    }
}

/// A store with the example document at version 1 and `production` requiring one approval.
struct Store {
    db: Db,
    rules: Rules,
    now: i64,
}

impl Store {
    fn new(policy: Policy) -> Store {
        let db = memory();
        let rows = Rows::new(&db);
        rows.ensure_schema().unwrap();
        rows::ensure(&rows).unwrap();
        let example = burgee_core::load(include_str!("../../../../../examples/tasks-app.json"))
            .unwrap()
            .document;
        let import = Edit::ReplaceDocument {
            document: Box::new(example),
            import: true,
        };
        commit::commit(
            &rows,
            (0, &Document::default()),
            vec![import],
            &person("setup"),
            0,
            &1000.into(),
        )
        .unwrap();
        let mut policies = Policies::default();
        policy::save(&rows, &mut policies, "production", policy).unwrap();
        let rules = Rules {
            keep: 1000,
            policies,
        };
        Store {
            db,
            rules,
            now: 1_000,
        }
    }

    fn rows(&self) -> Rows<'_, Db> {
        Rows::new(&self.db)
    }

    /// A write as the store's front takes it: stored, or held as a request (its id).
    fn write(&mut self, who: &Caller, edits: Vec<Edit>) -> Result<Result<u64, u64>, ApiError> {
        self.now += 1000;
        let rows = self.rows();
        let (version, document) = rows.current().unwrap();
        let w = Write {
            edits,
            caller: who,
            now_ms: self.now,
            label: None,
            approved: false,
            hold: false,
        };
        match commit::write(&rows, (version, &document), w, &self.rules)? {
            Outcome::Committed(c) => Ok(Ok(c.version)),
            Outcome::Held(held) => {
                let ctx = self.ctx(&rows, version, &document);
                let answer = hold(&ctx, version, who, held)?;
                assert_eq!(answer.status, 202);
                let body: ChangeRequestBody = serde_json::from_str(&answer.body).unwrap();
                Ok(Err(body.request.id))
            }
        }
    }

    fn ctx<'a>(
        &'a self,
        rows: &'a Rows<'a, Db>,
        version: u64,
        document: &'a Document,
    ) -> Ctx<'a, Db> {
        Ctx {
            rows,
            version,
            document,
            rules: &self.rules,
            now_ms: self.now,
        }
    }

    /// `POST /api/v1/change-requests/{id}/{what}` by `who`.
    fn call(
        &mut self,
        who: &Caller,
        what: &str,
        id: u64,
        comment: &str,
    ) -> Result<ChangeRequestBody, ApiError> {
        self.now += 1000;
        let rows = self.rows();
        let (version, document) = rows.current().unwrap();
        let ctx = self.ctx(&rows, version, &document);
        let route = Route::parse("POST", &format!("/api/v1/change-requests/{id}/{what}")).unwrap();
        let body = serde_json::to_vec(&json!({ "comment": comment })).unwrap();
        let reply = handle(&ctx, &route, who, &body, &[])?;
        Ok(serde_json::from_str(&reply.answer.body).unwrap())
    }

    fn list(&self, query: &[(&str, &str)]) -> Vec<ChangeRequest> {
        let rows = self.rows();
        let (version, document) = rows.current().unwrap();
        let ctx = self.ctx(&rows, version, &document);
        let route = Route::parse("GET", "/api/v1/change-requests").unwrap();
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let reply = handle(&ctx, &route, &person("x"), &[], &query).unwrap();
        serde_json::from_str::<ChangeRequestsBody>(&reply.answer.body)
            .unwrap()
            .requests
    }

    fn enabled(&self, flag: &str, environment: &str) -> bool {
        self.rows().current().unwrap().1.flags[flag].environments[environment].is_enabled()
    }
}

fn one_approval() -> Policy {
    Policy {
        approvals: 1,
        ..Policy::default()
    }
}

#[test]
fn a_request_goes_from_held_to_approved_to_applied_by_two_people() {
    let mut s = Store::new(one_approval());
    let (ana, bo) = (person("ana"), person("bo"));
    let id = s
        .write(&ana, vec![toggle("ai_voice_cloning", "production", true)])
        .unwrap()
        .unwrap_err();
    assert!(
        !s.enabled("ai_voice_cloning", "production"),
        "held: nothing written"
    );
    assert_eq!(s.rows().current().unwrap().0, 1);
    assert_eq!(
        s.write(&ana, vec![toggle("ai_voice_cloning", "staging", false)])
            .unwrap(),
        Ok(2),
        "staging needs no approval"
    );

    assert_eq!(
        s.call(&ana, "approve", id, "lgtm").unwrap_err().code,
        Code::SelfApproval
    );
    assert_eq!(
        s.call(&bo, "apply", id, "").unwrap_err().code,
        Code::ApprovalsMissing
    );
    let approved = s
        .call(&bo, "approve", id, "checked the dashboard")
        .unwrap()
        .request;
    assert_eq!(approved.reviews.len(), 1);
    assert_eq!(approved.approvals_required, 1);

    // The base (1) is no longer current (2): rebased onto 2, asked again.
    let stale = s.call(&ana, "apply", id, "").unwrap_err();
    assert_eq!(stale.code, Code::StaleBase, "{}", stale.message);
    let again = s.list(&[("status", "open")]);
    assert_eq!(again[0].base_version, 2);
    assert!(
        again[0].reviews.is_empty(),
        "approvals start again after a rebase"
    );
    assert_eq!(
        s.call(&ana, "apply", id, "").unwrap_err().code,
        Code::ApprovalsMissing
    );
    s.call(&bo, "approve", id, "still fine").unwrap();
    let applied = s.call(&ana, "apply", id, "").unwrap();
    assert_eq!(applied.request.status, RequestStatus::Applied);
    assert_eq!(applied.request.applied_version, Some(3));
    assert!(s.enabled("ai_voice_cloning", "production"));
    assert!(
        !s.enabled("ai_voice_cloning", "staging"),
        "the change made meanwhile stays"
    );
    assert_eq!(
        s.call(&bo, "apply", id, "").unwrap_err().code,
        Code::ChangeRequestClosed
    );

    let audit = s
        .rows()
        .audit(&crate::store::rows::AuditQuery {
            before: u64::MAX,
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for step in [
        "change-request",
        "change-request-approved",
        "change-request-rebased",
    ] {
        assert!(actions.contains(&step), "{step} in {actions:?}");
    }
    assert!(
        audit
            .iter()
            .any(|e| e.version == 3 && e.summary.starts_with("applied change request #1 by ana")),
        "{audit:?}"
    );
}

#[test]
fn a_rejected_request_changes_nothing_and_a_conflict_is_refused() {
    let mut s = Store::new(one_approval());
    let (ana, bo) = (person("ana"), person("bo"));
    let id = s
        .write(&ana, vec![toggle("ai_voice_cloning", "production", true)])
        .unwrap()
        .unwrap_err();
    assert_eq!(
        s.call(&bo, "reject", id, "").unwrap_err().code,
        Code::InvalidBody,
        "a rejection says why"
    );
    let rejected = s
        .call(&bo, "reject", id, "not during the freeze")
        .unwrap()
        .request;
    assert_eq!(rejected.status, RequestStatus::Rejected);
    assert_eq!(
        s.call(&bo, "approve", id, "").unwrap_err().code,
        Code::ChangeRequestClosed
    );
    assert_eq!(
        s.call(&ana, "apply", id, "").unwrap_err().code,
        Code::ChangeRequestClosed
    );
    assert!(!s.enabled("ai_voice_cloning", "production"));
    assert_eq!(s.rows().current().unwrap().0, 1);

    // Two requests for the same field: the first applied, the second cannot rebase.
    let rollout = |share| Edit::Rollout {
        flag: "daily-planning".into(),
        environment: "production".into(),
        share,
    };
    let first = s.write(&ana, vec![rollout(5000)]).unwrap().unwrap_err();
    let second = s.write(&bo, vec![rollout(2500)]).unwrap().unwrap_err();
    s.call(&bo, "approve", first, "ok").unwrap();
    s.call(&ana, "apply", first, "").unwrap();
    s.call(&ana, "approve", second, "ok").unwrap();
    let before = s.rows().current().unwrap();
    let conflict = s.call(&bo, "apply", second, "").unwrap_err();
    assert_eq!(conflict.code, Code::MergeConflict, "{}", conflict.message);
    assert!(
        conflict
            .message
            .contains("/flags/daily-planning/environments/production/defaultServe"),
        "{}",
        conflict.message
    );
    assert_eq!(
        s.rows().current().unwrap(),
        before,
        "the conflict changed nothing"
    );
    assert_eq!(
        s.list(&[("status", "open")])[0].id,
        second,
        "it stays open, to be made again"
    );
}

#[test]
fn kill_switches_may_be_exempt_and_tokens_may_bypass_both_audited() {
    let mut s = Store::new(Policy {
        approvals: 2,
        kill_switch_exempt: true,
        ..Policy::default()
    });
    let ana = person("ana");
    assert_eq!(
        s.write(&ana, vec![toggle("daily-planning", "production", false)])
            .unwrap(),
        Ok(2),
        "off: exempt"
    );
    assert!(
        s.write(&ana, vec![toggle("daily-planning", "production", true)])
            .unwrap()
            .is_err(),
        "on: held"
    );
    let deploy = Caller {
        bypass: true,
        ..person("deploy-bot")
    };
    assert_eq!(
        s.write(&deploy, vec![toggle("daily-planning", "production", true)])
            .unwrap(),
        Ok(3)
    );
    let history = s.rows().history(u64::MAX, 10).unwrap();
    assert!(
        history
            .iter()
            .any(|v| v.version == 2 && v.summary.contains("exempt from approval in production")),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|v| v.version == 3 && v.summary.contains("bypassed by deploy-bot's token")),
        "{history:?}"
    );
}

#[test]
fn reviewers_need_the_role_where_the_change_lands_and_requests_filter() {
    let mut s = Store::new(one_approval());
    let ana = person("ana");
    let id = s
        .write(&ana, vec![toggle("ai_voice_cloning", "production", true)])
        .unwrap()
        .unwrap_err();
    let viewer_in_production = Caller {
        environments: [("production".to_string(), Role::Viewer)].into(),
        ..person("cy")
    };
    assert_eq!(
        s.call(&viewer_in_production, "approve", id, "")
            .unwrap_err()
            .code,
        Code::Forbidden
    );
    assert_eq!(
        s.call(&ana, "approve", 99, "").unwrap_err().code,
        Code::ChangeRequestNotFound
    );
    assert_eq!(s.list(&[("flag", "ai_voice_cloning")]).len(), 1);
    assert_eq!(s.list(&[("flag", "daily-planning")]).len(), 0);
    assert_eq!(
        s.list(&[("environment", "production"), ("author", "ana")])
            .len(),
        1
    );
    assert_eq!(s.list(&[("status", "applied")]).len(), 0);
    let rows = s.rows();
    let (version, document) = rows.current().unwrap();
    let ctx = s.ctx(&rows, version, &document);
    let route = Route::parse("GET", "/api/v1/change-requests").unwrap();
    let bad = handle(
        &ctx,
        &route,
        &ana,
        &[],
        &[("status".into(), "merged".into())],
    )
    .unwrap_err();
    assert_eq!(bad.code, Code::InvalidParameter);
}

#[test]
fn a_document_proposed_on_an_older_version_is_held_on_that_version() {
    let mut s = Store::new(Policy::default());
    let ana = person("ana");
    assert_eq!(
        s.write(&ana, vec![toggle("daily-planning", "staging", false)])
            .unwrap(),
        Ok(2)
    );
    let rows = s.rows();
    let mut proposed = rows.document_at(1).unwrap().unwrap();
    proposed.flags.remove("sms_campaigns");
    let (version, document) = rows.current().unwrap();
    let ctx = s.ctx(&rows, version, &document);
    let route = Route::parse("POST", "/api/v1/change-requests").unwrap();
    let body =
        serde_json::to_vec(&json!({ "baseVersion": 1, "document": proposed, "reason": "unused" }))
            .unwrap();
    let reply = handle(&ctx, &route, &ana, &body, &[]).unwrap();
    assert_eq!(reply.answer.status, 202);
    let made: ChangeRequestBody = serde_json::from_str(&reply.answer.body).unwrap();
    assert_eq!((made.request.base_version, made.version), (1, 2));
    assert_eq!(made.request.flags, ["sms_campaigns"]);
    assert_eq!(made.request.approvals_required, 0);
    assert_eq!(made.request.reason.as_deref(), Some("unused"));
    // No approvals needed, but the base moved: rebased, then applied.
    assert_eq!(
        s.call(&ana, "apply", made.request.id, "").unwrap_err().code,
        Code::StaleBase
    );
    let applied = s.call(&ana, "apply", made.request.id, "").unwrap();
    assert_eq!(applied.request.applied_version, Some(3));
    let now = s.rows().current().unwrap().1;
    assert!(!now.flags.contains_key("sms_campaigns"));
    assert!(!now.flags["daily-planning"].environments["staging"].is_enabled());
}
