//! Each environment's review policy: how many approvals a change there needs, whether it must
//! say why, and whether switching flags off skips review. Admins set it through the API
//! (`PUT /api/v1/environments/{env}/policy`); it is kept in the store's `meta` table, outside
//! the flag document, so that an edit of flags cannot lift it. `PROTECTED_ENVIRONMENTS`, the
//! deployment's own variable, can require a reason on top, and nothing in the API lifts that.

use std::collections::BTreeMap;

use burgee_api::{ApiError, Code, MAX_APPROVALS, PoliciesBody, Policy, PolicyBody, Route, RouteId};

use super::answer::{Answer, internal, parse_body};
use super::commit::Caller;
use super::protected::Protected;
use super::rows::{Rows, StoreResult};
use super::sql::Sql;

const META_KEY: &str = "policies";

/// The policies in force: the stored ones and the deployment's protection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    pub stored: BTreeMap<String, Policy>,
    pub protected: Protected,
}

impl Policies {
    pub fn load<S: Sql>(rows: &Rows<'_, S>, protected: Protected) -> StoreResult<Policies> {
        let stored = match rows.meta(META_KEY)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| format!("{META_KEY}: {e}"))?,
            None => BTreeMap::new(),
        };
        Ok(Policies { stored, protected })
    }

    pub fn of(&self, environment: &str) -> Policy {
        self.stored.get(environment).copied().unwrap_or_default()
    }

    /// Whether a change to `environment` must carry a reason.
    pub fn needs_reason(&self, environment: &str) -> bool {
        self.of(environment).reason_required || self.protected.needs_reason(environment)
    }

    /// The approvals a change to all of `environments` needs: the most any of them asks.
    pub fn approvals<'e>(&self, environments: impl IntoIterator<Item = &'e str>) -> u8 {
        environments
            .into_iter()
            .map(|e| self.of(e).approvals)
            .max()
            .unwrap_or(0)
    }

    /// Whether switching flags off in every one of `environments` that requires approvals
    /// skips them.
    pub fn kill_switch_exempt<'e>(&self, environments: impl IntoIterator<Item = &'e str>) -> bool {
        environments
            .into_iter()
            .map(|e| self.of(e))
            .all(|p| p.approvals == 0 || p.kill_switch_exempt)
    }
}

/// Reads the body of `PUT .../policy`: the whole policy, with approvals from 0 to 5.
pub fn parse(body: &serde_json::Value) -> Result<Policy, ApiError> {
    // Only an object: serde would read `[]` as a policy of defaults.
    let object = body.as_object().map(|_| body.clone()).unwrap_or_default();
    let policy: Policy = serde_json::from_value(object).map_err(|e| {
        ApiError::new(
            Code::InvalidBody,
            format!(
                "a policy is {{\"approvals\": 0..{MAX_APPROVALS}, \"reasonRequired\": bool, \"killSwitchExempt\": bool}}: {e}"
            ),
        )
    })?;
    if policy.approvals > MAX_APPROVALS {
        return Err(ApiError::new(
            Code::InvalidBody,
            format!("`approvals` is at most {MAX_APPROVALS}"),
        ));
    }
    Ok(policy)
}

/// Stores `policy` for `environment` (the default policy removes the entry).
pub fn save<S: Sql>(
    rows: &Rows<'_, S>,
    policies: &mut Policies,
    environment: &str,
    policy: Policy,
) -> StoreResult<()> {
    if policy == Policy::default() {
        policies.stored.remove(environment);
    } else {
        policies.stored.insert(environment.to_string(), policy);
    }
    let text = serde_json::to_string(&policies.stored).map_err(|e| e.to_string())?;
    rows.set_meta(META_KEY, &text)
}

/// Answers the policy routes (`None` for any other route). `at` is the store's version and
/// the time (epoch ms); `environments` the document's.
pub fn route<S: Sql>(
    rows: &Rows<'_, S>,
    policies: &mut Policies,
    route: &Route,
    caller: &Caller,
    body: &[u8],
    environments: &[String],
    (version, now_ms): (u64, i64),
) -> Option<Result<Answer, ApiError>> {
    let environment = route.param();
    let answer = |p: &Policies| {
        Answer::ok(&PolicyBody {
            environment: environment.to_string(),
            policy: p.of(environment),
            reason_required_by_deployment: p.protected.needs_reason(environment),
        })
    };
    match route.id {
        RouteId::Policies => Some(Answer::ok(&PoliciesBody {
            policies: policies.stored.clone(),
        })),
        RouteId::Policy => Some(answer(policies)),
        RouteId::PutPolicy => Some((|| {
            if !environments.iter().any(|e| e == environment) {
                return Err(ApiError::new(
                    Code::EnvironmentNotFound,
                    format!("the document has no environment `{environment}`"),
                ));
            }
            let policy = parse(&parse_body(body, burgee_api::MAX_BODY_BYTES)?)?;
            save(rows, policies, environment, policy).map_err(internal)?;
            let at = burgee_core::time::format_rfc3339(now_ms);
            let summary = format!("policy of `{environment}`: {}", policy.describe());
            let target = format!("environments/{environment}");
            rows.audit_event(&at, &caller.actor, "policy", &target, version, &summary)
                .map_err(internal)?;
            answer(policies)
        })()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::sql::native::memory;

    #[test]
    fn policies_are_stored_and_the_strictest_environment_decides() {
        let db = memory();
        let rows = Rows::new(&db);
        rows.ensure_schema().unwrap();
        let protected = Protected::parse(Some(r#"{"staging": {"reason": true}}"#)).unwrap();
        let mut p = Policies::load(&rows, protected.clone()).unwrap();
        assert_eq!(p.approvals(["production"]), 0);
        let two = parse(&serde_json::json!({"approvals": 2, "killSwitchExempt": true})).unwrap();
        save(&rows, &mut p, "production", two).unwrap();
        let p = Policies::load(&rows, protected).unwrap();
        assert_eq!(p.approvals(["staging", "production"]), 2);
        assert!(p.kill_switch_exempt(["staging", "production"]));
        assert!(
            p.needs_reason("staging"),
            "the deployment's protection stays"
        );
        assert!(!p.needs_reason("production"));
        assert_eq!(two.describe(), "2 approvals, kill switches exempt");
    }

    #[test]
    fn malformed_policies_are_refused() {
        for body in [
            serde_json::json!({"approvals": 6}),
            serde_json::json!({"approvals": -1}),
            serde_json::json!({"approvals": "2"}),
            serde_json::json!({"approvals": 1, "reason": true}),
            serde_json::json!([]),
        ] {
            assert_eq!(parse(&body).unwrap_err().code, Code::InvalidBody, "{body}");
        }
    }
}
