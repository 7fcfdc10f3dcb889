//! Change requests as people read them: the list's filter as it is kept in the address (so a
//! filtered list can be shared), the approvals a request has, who may approve it, and every
//! refusal of the store in words that say what to do, never a code.

use burgee_api::{
    ChangeRequest, ChangeRequestBody, Code, Identity, MAX_APPROVALS, RequestStatus, highest_role,
};
use serde_json::Value;

use super::route::{query_pairs, query_string};
use crate::api::ApiError;

/// The list's filter: `#/requests?status=open&flag=x&environment=production&author=ada`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestQuery {
    pub status: Option<RequestStatus>,
    pub flag: String,
    pub environment: String,
    pub author: String,
}

impl RequestQuery {
    /// Reads the part after `?` (unknown names and a status that is none are ignored).
    pub fn parse(query: &str) -> RequestQuery {
        let mut q = RequestQuery::default();
        for (name, value) in query_pairs(query) {
            match name.as_str() {
                "status" => q.status = RequestStatus::parse(&value),
                "flag" => q.flag = value,
                "environment" => q.environment = value,
                "author" => q.author = value,
                _ => {}
            }
        }
        q
    }

    /// `?status=open&flag=x`, or nothing when no field is set: the address's and the API's.
    pub fn to_query(&self) -> String {
        query_string(&[
            (
                "status",
                self.status
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            ),
            ("flag", self.flag.clone()),
            ("environment", self.environment.clone()),
            ("author", self.author.clone()),
        ])
    }
}

/// "1 of 2 approvals".
pub fn approvals_words(r: &ChangeRequest) -> String {
    let need = r.approvals_required;
    format!(
        "{} of {need} approval{}",
        r.approvals(),
        if need == 1 { "" } else { "s" }
    )
}

/// Why `me` may not review (`verb`) request `r` at all, from their roles as the store checks
/// them: the general role, or, for someone whose role differs by environment, their role in
/// each environment the request changes.
fn may_not(r: &ChangeRequest, me: &Identity, verb: &str) -> Option<String> {
    let general = if me.environments.is_empty() {
        me.role
    } else {
        highest_role(me.role, &me.environments)
    };
    if !general.can_edit() {
        return Some(format!(
            "Viewers cannot {verb} change requests: an editor or admin must."
        ));
    }
    if me.environments.is_empty() {
        return None;
    }
    r.environments.iter().find_map(|e| {
        let role = me.role_in(e);
        (!role.can_edit()).then(|| {
            format!(
                "You are a {} in {e}: someone who may change {e} must {verb} this request.",
                role.as_str()
            )
        })
    })
}

/// Why `r` is no longer open, or `None` when it is.
fn closed(r: &ChangeRequest) -> Option<String> {
    (r.status != RequestStatus::Open)
        .then(|| format!("This request was {} already.", r.status.as_str()))
}

/// Why `me` may not approve `r`, or `None` when they may.
pub fn cannot_approve(r: &ChangeRequest, me: &Identity) -> Option<String> {
    closed(r)
        .or_else(|| may_not(r, me, "review"))
        .or_else(|| (r.author == me.name).then(|| SELF_APPROVAL.to_string()))
}

/// Why `me` may not reject `r`, or `None` when they may (its author may: that withdraws it).
pub fn cannot_reject(r: &ChangeRequest, me: &Identity) -> Option<String> {
    closed(r).or_else(|| may_not(r, me, "review"))
}

/// Why `r` cannot be applied by `me` yet, or `None` when it can be tried.
pub fn cannot_apply(r: &ChangeRequest, me: &Identity) -> Option<String> {
    if let Some(why) = closed(r).or_else(|| may_not(r, me, "apply")) {
        return Some(why);
    }
    let missing = usize::from(r.approvals_required).saturating_sub(r.approvals());
    (missing > 0).then(|| {
        format!(
            "It needs {missing} more approval{} by someone other than {}.",
            if missing == 1 { "" } else { "s" },
            r.author
        )
    })
}

/// The approvals as typed: a number from 0 to [`MAX_APPROVALS`].
pub fn parse_approvals(text: &str) -> Result<u8, String> {
    text.trim()
        .parse::<u8>()
        .ok()
        .filter(|n| *n <= MAX_APPROVALS)
        .ok_or_else(|| format!("Approvals: a number from 0 to {MAX_APPROVALS}"))
}

const SELF_APPROVAL: &str = "You made this request: someone else must approve it.";

/// What the notice says when a write became request `body` (`202`).
pub fn held_words(body: &ChangeRequestBody) -> String {
    let need = body.request.approvals_required;
    format!(
        "Change request #{} created: needs {need} approval{}",
        body.request.id,
        if need == 1 { "" } else { "s" }
    )
}

/// A refusal of a review or apply route, from its code and details, in words; `before` is the
/// request as the page showed it. A stale base also brings the request as it was rebased.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub words: String,
    /// The request after the store rebased it (`stale_base`).
    pub rebased: Option<ChangeRequest>,
}

impl Refusal {
    pub fn new(
        code: Code,
        message: &str,
        details: Option<&Value>,
        before: &ChangeRequest,
    ) -> Refusal {
        let detail = |name: &str| details.and_then(|d| d.get(name));
        let mut rebased = None;
        let words = match code {
            Code::SelfApproval => SELF_APPROVAL.to_string(),
            Code::ApprovalsMissing => format!(
                "Not applied: it has {}; approvals by others are still missing.",
                approvals_words(before)
            ),
            Code::StaleBase => {
                rebased = detail("request")
                    .and_then(|r| serde_json::from_value::<ChangeRequest>(r.clone()).ok());
                let onto = rebased
                    .as_ref()
                    .map(|r| r.base_version)
                    .or_else(|| detail("version").and_then(Value::as_u64));
                match onto {
                    Some(m) => format!(
                        "Version {} changed since; the request was rebased onto {m} and needs its approvals again.",
                        before.base_version
                    ),
                    None => format!(
                        "Version {} changed since; the request was rebased and needs its approvals again.",
                        before.base_version
                    ),
                }
            }
            Code::MergeConflict => {
                let fields: Vec<String> = detail("fields")
                    .and_then(|f| serde_json::from_value(f.clone()).ok())
                    .unwrap_or_default();
                format!(
                    "Not applied: changes saved since version {} touch the same fields ({}). Make a new request from the current version.",
                    before.base_version,
                    fields.join(", ")
                )
            }
            Code::ChangeRequestClosed => {
                "This request was closed already (rejected or applied): reload it.".into()
            }
            Code::Forbidden => format!(
                "Your role may not change {}: someone who may must do this.",
                before.environments.join(", ")
            ),
            Code::InvalidBody => "Say why you reject it: a rejection needs a comment.".into(),
            _ => message.to_string(),
        };
        Refusal { words, rebased }
    }

    /// The refusal `e` stands for; an error that is no refusal says what it is.
    pub fn from_error(e: &ApiError, before: &ChangeRequest) -> Refusal {
        match e {
            ApiError::Refused {
                code,
                message,
                details,
            } => Refusal::new(*code, message, details.as_ref(), before),
            ApiError::Forbidden(m) => Refusal::new(Code::Forbidden, m, None, before),
            ApiError::Other {
                code: Code::InvalidBody,
                message,
                ..
            } => Refusal::new(Code::InvalidBody, message, None, before),
            other => Refusal {
                words: other.to_string(),
                rebased: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burgee_api::{Policy, Review, Role};
    use serde_json::json;

    fn request() -> ChangeRequest {
        ChangeRequest {
            id: 4,
            status: RequestStatus::Open,
            author: "ada".into(),
            created_at: "2026-12-07T04:00:00Z".into(),
            base_version: 12,
            summary: "changed a".into(),
            reason: None,
            environments: vec!["production".into()],
            flags: vec!["a".into()],
            segments: vec![],
            approvals_required: 1,
            reviews: vec![],
            applied_version: None,
            document: None,
        }
    }

    fn person(name: &str, role: Role) -> Identity {
        Identity {
            name: name.into(),
            role,
            environments: Default::default(),
        }
    }

    fn review(actor: &str, verdict: &str) -> Review {
        Review {
            actor: actor.into(),
            verdict: verdict.into(),
            comment: String::new(),
            at: "2026-12-07T04:01:00Z".into(),
        }
    }

    #[test]
    fn the_filter_round_trips_through_the_address() {
        let q = RequestQuery {
            status: Some(RequestStatus::Open),
            flag: "a b".into(),
            environment: String::new(),
            author: "ada@example.com".into(),
        };
        assert_eq!(
            q.to_query(),
            "?status=open&flag=a%20b&author=ada%40example.com"
        );
        assert_eq!(RequestQuery::parse(&q.to_query()[1..]), q);
        assert_eq!(RequestQuery::default().to_query(), "");
        let odd = RequestQuery::parse("status=maybe&flag=&x=1&environment=production");
        assert_eq!(odd.status, None);
        assert_eq!(odd.environment, "production");
        assert_eq!(odd.flag, "");
    }

    #[test]
    fn approvals_count_other_people_once() {
        let mut r = request();
        r.reviews = vec![
            review("ada", "approve"),
            review("bo", "approve"),
            review("bo", "approve"),
        ];
        assert_eq!(r.approvals(), 1);
        assert_eq!(approvals_words(&r), "1 of 1 approval");
        assert_eq!(cannot_apply(&r, &person("ada", Role::Editor)), None);
        r.approvals_required = 2;
        assert_eq!(
            cannot_apply(&r, &person("ada", Role::Editor)).as_deref(),
            Some("It needs 1 more approval by someone other than ada.")
        );
    }

    #[test]
    fn who_may_approve() {
        let r = request();
        let bo = person("bo", Role::Editor);
        assert_eq!(cannot_approve(&r, &bo), None);
        assert_eq!(
            cannot_approve(&r, &person("ada", Role::Admin)).as_deref(),
            Some(SELF_APPROVAL)
        );
        // The author may withdraw it: rejecting is not approving.
        assert_eq!(cannot_reject(&r, &person("ada", Role::Editor)), None);
        let viewer = person("bo", Role::Viewer);
        assert!(cannot_approve(&r, &viewer).unwrap().starts_with("Viewers"));
        assert!(cannot_reject(&r, &viewer).is_some());
        let mut done = r.clone();
        done.status = RequestStatus::Applied;
        assert_eq!(
            cannot_approve(&done, &bo).as_deref(),
            Some("This request was applied already.")
        );
        assert!(cannot_apply(&done, &bo).is_some());
    }

    #[test]
    fn a_role_in_one_of_its_environments_decides() {
        let mut r = request();
        r.environments = vec!["staging".into(), "production".into()];
        let mut cy = person("cy", Role::Editor);
        cy.environments = [("production".to_string(), Role::Viewer)].into();
        let said = "You are a viewer in production: someone who may change production must review this request.";
        assert_eq!(cannot_approve(&r, &cy).as_deref(), Some(said));
        assert_eq!(cannot_reject(&r, &cy).as_deref(), Some(said));
        assert!(cannot_apply(&r, &cy).unwrap().contains("must apply"));
        // Only in staging: production is not theirs to hold back.
        r.environments = vec!["staging".into()];
        assert_eq!(cannot_approve(&r, &cy), None);
        // A viewer in general who edits production may review a production request.
        let mut dee = person("dee", Role::Viewer);
        dee.environments = [("production".to_string(), Role::Editor)].into();
        r.environments = vec!["production".into()];
        assert_eq!(cannot_approve(&r, &dee), None);
        r.environments = vec!["staging".into()];
        assert!(
            cannot_approve(&r, &dee)
                .unwrap()
                .contains("viewer in staging")
        );
    }

    #[test]
    fn refusals_are_words() {
        let r = request();
        let mut moved = r.clone();
        moved.base_version = 15;
        let stale = Refusal::new(
            Code::StaleBase,
            "internal words",
            Some(&json!({ "request": moved, "version": 15 })),
            &r,
        );
        assert_eq!(
            stale.words,
            "Version 12 changed since; the request was rebased onto 15 and needs its approvals again."
        );
        assert_eq!(stale.rebased.map(|r| r.base_version), Some(15));
        let conflict = Refusal::new(
            Code::MergeConflict,
            "",
            Some(&json!({ "fields": ["/flags/a/environments/production/enabled"] })),
            &r,
        );
        assert!(
            conflict
                .words
                .contains("/flags/a/environments/production/enabled"),
            "{}",
            conflict.words
        );
        assert_eq!(
            Refusal::new(Code::SelfApproval, "x", None, &r).words,
            SELF_APPROVAL
        );
        for code in [
            Code::ApprovalsMissing,
            Code::ChangeRequestClosed,
            Code::Forbidden,
            Code::InvalidBody,
        ] {
            let words = Refusal::new(code, "raw", None, &r).words;
            assert!(!words.contains('_') && words != "raw", "{code:?}: {words}");
        }
    }

    #[test]
    fn policies_in_words() {
        let strict = Policy {
            approvals: 2,
            reason_required: true,
            kill_switch_exempt: true,
        };
        assert_eq!(
            strict.describe(),
            "2 approvals, a reason required, kill switches exempt"
        );
        assert_eq!(parse_approvals(" 5 "), Ok(5));
        assert!(parse_approvals("6").is_err());
        assert!(parse_approvals("-1").is_err());
    }

    #[test]
    fn a_held_write_says_what_it_needs() {
        let body = ChangeRequestBody {
            request: request(),
            version: 12,
        };
        assert_eq!(
            held_words(&body),
            "Change request #4 created: needs 1 approval"
        );
    }
}
