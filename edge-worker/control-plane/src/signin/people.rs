//! Who may sign in, and with which role: the `ADMIN_USERS` variable, a JSON list of rules
//! `{"email": "ada@example.com", "role": "admin"}` or `{"domain": "example.com", "role":
//! "viewer"}`, each with optional roles that differ by environment (`"environments":
//! {"production": "viewer"}`). A person's role is their email's rule, else their domain's; a domain rule
//! applies only to an email the provider says is verified (anyone can claim an address
//! otherwise). Nobody matches: the sign-in is refused. Emails compare without case.

use burgee_api::{EnvironmentRoles, Role};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    role: Role,
    /// Roles that differ by environment, e.g. `{"production": "viewer"}`.
    #[serde(default)]
    environments: EnvironmentRoles,
}

/// The configured rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    rules: Vec<Rule>,
}

/// What the provider says of the person signing in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claimed<'a> {
    pub email: Option<&'a str>,
    pub email_verified: bool,
}

impl People {
    /// Parses `ADMIN_USERS`; absent or empty: nobody may sign in.
    pub fn parse(text: Option<&str>) -> Result<People, String> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(People::default());
        };
        let rules: Vec<Rule> = serde_json::from_str(text).map_err(|e| {
            format!("ADMIN_USERS is not a JSON list of {{email | domain, role}}: {e}")
        })?;
        for rule in &rules {
            if rule.email.is_some() == rule.domain.is_some() {
                return Err(
                    "each ADMIN_USERS rule names exactly one of `email` and `domain`".into(),
                );
            }
        }
        Ok(People { rules })
    }

    /// The role of the person, and their roles that differ by environment, if any rule admits
    /// them.
    pub fn role_of(&self, who: &Claimed<'_>) -> Option<(Role, EnvironmentRoles)> {
        let email = who.email?.trim();
        let by_email = self.rules.iter().find(|r| {
            r.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        if let Some(rule) = by_email {
            return Some((rule.role, rule.environments.clone()));
        }
        let (_, domain) = email.rsplit_once('@')?;
        self.rules
            .iter()
            .filter(|_| who.email_verified)
            .find(|r| {
                r.domain
                    .as_deref()
                    .is_some_and(|d| d.trim_start_matches('@').eq_ignore_ascii_case(domain))
            })
            .map(|r| (r.role, r.environments.clone()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails_first_then_verified_domains() {
        let people = People::parse(Some(
            r#"[{"email": "Ada@Example.com", "role": "admin"}, {"domain": "example.com", "role": "viewer", "environments": {"staging": "editor"}}]"#,
        ))
        .unwrap();
        let who = |email, email_verified| Claimed {
            email: Some(email),
            email_verified,
        };
        let role = |email, verified| people.role_of(&who(email, verified)).map(|(r, _)| r);
        assert_eq!(role("ada@example.com", false), Some(Role::Admin));
        assert_eq!(role("bob@example.com", true), Some(Role::Viewer));
        let (_, environments) = people.role_of(&who("bob@example.com", true)).unwrap();
        assert_eq!(environments.get("staging"), Some(&Role::Editor));
        assert_eq!(
            people.role_of(&who("bob@example.com", false)),
            None,
            "unverified"
        );
        assert_eq!(people.role_of(&who("eve@evil.com", true)), None);
        assert_eq!(people.role_of(&who("bob@notexample.com", true)), None);
        assert_eq!(people.role_of(&Claimed::default()), None);
        assert_eq!(
            People::parse(None)
                .unwrap()
                .role_of(&who("ada@example.com", true)),
            None
        );
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for bad in [
            r#"[{"role": "admin"}]"#,
            r#"[{"email": "a@b", "domain": "b", "role": "admin"}]"#,
            r#"[{"email": "a@b", "role": "owner"}]"#,
            r#"{"email": "a@b"}"#,
        ] {
            assert!(
                People::parse(Some(bad))
                    .unwrap_err()
                    .contains("ADMIN_USERS"),
                "{bad}"
            );
        }
    }
}
