//! Cloudflare Access: when the worker sits behind an Access application, Access signs every
//! request it lets through with a JWT in `Cf-Access-Jwt-Assertion`. The front door passes that
//! assertion on when a request has no token and no session, and the store accepts it as the
//! person it names: signed by the team's keys (`{team}/cdn-cgi/access/certs`), issued by the
//! team domain, for this application's audience tag, not expired; the role comes from
//! `ADMIN_USERS` like any sign-in (Access has verified the email).
//!
//! Access sends its assertion on every request the browser makes, cross-site ones included, so
//! a write that names another origin (`Origin`) than its own is refused: that is what a forged
//! form or script from elsewhere sends. Verified assertions are kept until they expire (at most
//! [`CACHE_MAX`]), so a person's requests cost one signature check per store object.

use std::cell::RefCell;
use std::collections::HashMap;

use burgee_api::{ApiError, Code, EnvironmentRoles, Role};
use burgee_edge_shared::bindings;
use serde_json::Value;

use super::jwt;
use super::people::{Claimed, People};

/// Assertions kept verified.
const CACHE_MAX: usize = 1_000;

/// The person an assertion names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub role: Role,
    pub environments: EnvironmentRoles,
}

/// The team and application, from `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`.
#[derive(Debug)]
pub struct Team {
    pub domain: String,
    pub audience: String,
}

impl Team {
    pub fn of(env: &worker::Env) -> Option<Team> {
        let text = |name| bindings::setting(env, name);
        Some(Team {
            domain: text(bindings::ACCESS_TEAM_DOMAIN)?
                .trim_end_matches('/')
                .to_string(),
            audience: text(bindings::ACCESS_AUD)?,
        })
    }
}

thread_local! {
    static VERIFIED: RefCell<HashMap<String, (Person, i64)>> = RefCell::new(HashMap::new());
    static KEYS: RefCell<Option<(String, Value)>> = const { RefCell::new(None) };
}

fn refused(why: impl Into<String>) -> ApiError {
    ApiError::new(Code::Unauthenticated, why.into())
}

/// The person `assertion` names, verified, at `now_ms`.
pub async fn person(
    team: &Team,
    people: &People,
    assertion: &str,
    now_ms: i64,
) -> Result<Person, ApiError> {
    let cached = VERIFIED.with(|v| v.borrow().get(assertion).cloned());
    if let Some((person, exp_ms)) = cached
        && exp_ms > now_ms
    {
        return Ok(person);
    }
    let token = jwt::parse(assertion).map_err(refused)?;
    let mut keys = team_keys(team, false).await?;
    if jwt::pick_key(&keys, token.kid.as_deref(), &token.alg).is_none() {
        keys = team_keys(team, true).await?;
    }
    let key = jwt::pick_key(&keys, token.kid.as_deref(), &token.alg)
        .ok_or_else(|| refused("no key of the Access team signed the assertion"))?;
    if !jwt::verify_signature(key, &token).await.map_err(refused)? {
        return Err(refused("the Access assertion's signature does not verify"));
    }
    let expected = jwt::Expected {
        issuer: &team.domain,
        audience: &team.audience,
        nonce: None,
        now_s: now_ms / 1000,
    };
    jwt::check_claims(&token.claims, &expected).map_err(refused)?;
    let email = token.claims["email"].as_str();
    let Some((role, environments)) = people.role_of(&Claimed {
        email,
        email_verified: true,
    }) else {
        return Err(ApiError::new(
            Code::Forbidden,
            format!(
                "{} may not use this admin API (ADMIN_USERS)",
                email.unwrap_or("this Access identity")
            ),
        ));
    };
    let person = Person {
        name: email.unwrap_or_default().to_string(),
        role,
        environments,
    };
    let exp_ms = token.claims["exp"]
        .as_i64()
        .unwrap_or(0)
        .saturating_mul(1000);
    VERIFIED.with(|v| {
        let mut v = v.borrow_mut();
        if v.len() >= CACHE_MAX {
            v.retain(|_, (_, exp)| *exp > now_ms);
            if v.len() >= CACHE_MAX {
                v.clear();
            }
        }
        v.insert(assertion.to_string(), (person.clone(), exp_ms));
    });
    Ok(person)
}

/// The team's signing keys, fetched once per object (again when an assertion names a key
/// they lack: Access rotates them).
async fn team_keys(team: &Team, refresh: bool) -> Result<Value, ApiError> {
    let cached = KEYS.with(|k| k.borrow().clone());
    if let Some((domain, keys)) = cached
        && domain == team.domain
        && !refresh
    {
        return Ok(keys);
    }
    let url = format!("{}/cdn-cgi/access/certs", team.domain);
    let keys = super::get_json(&url).await.map_err(|e| {
        super::log_error(&format!("Access: {e}"));
        ApiError::new(
            Code::OriginUnreachable,
            "the Access team's keys could not be read",
        )
    })?;
    KEYS.with(|k| *k.borrow_mut() = Some((team.domain.clone(), keys.clone())));
    Ok(keys)
}

/// Whether a write's `Origin` (if it sends one) is the request's own origin.
pub fn same_origin(origin: Option<&str>, url: &str) -> bool {
    origin.is_none_or(|o| {
        url.strip_prefix(o)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_from_another_origin_is_refused() {
        let url = "https://flags.example/api/v1/flags/x";
        assert!(
            same_origin(None, url),
            "no Origin: not a browser's cross-site request"
        );
        assert!(same_origin(Some("https://flags.example"), url));
        assert!(!same_origin(Some("https://evil.example"), url));
        assert!(!same_origin(Some("https://flags.example.evil"), url));
        assert!(!same_origin(Some("https://flags.ex"), url));
        assert!(!same_origin(Some("null"), url));
    }
}
