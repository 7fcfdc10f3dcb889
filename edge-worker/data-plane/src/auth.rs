//! Admin API tokens: who is calling and what they may do.
//!
//! Tokens are never stored: the `ADMIN_TOKENS` secret holds a JSON list of
//! `{"name", "role", "sha256"}` (the hex SHA-256 of each token), and a request's bearer token is
//! hashed and compared with every entry in constant time, so neither a timing difference nor a
//! leaked configuration reveals a token. The name becomes the actor of every audit entry.

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use burgee_api::{EnvironmentRoles, Role};

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    pub role: Role,
    /// Lowercase hex SHA-256 of the token.
    pub sha256: String,
    /// Roles that differ by environment (`{"production": "viewer"}`).
    #[serde(default)]
    pub environments: EnvironmentRoles,
    /// Writes without the approvals an environment requires (automation reviewed elsewhere).
    #[serde(default, rename = "bypassApprovals")]
    pub bypass_approvals: bool,
}

/// The configured tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    entries: Vec<([u8; 32], String, Role, EnvironmentRoles, bool)>,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// Roles that differ by environment; the store checks them for each environment a write
    /// changes.
    pub environments: EnvironmentRoles,
    /// A token that may write without approvals (never a person's session).
    pub bypass: bool,
}

/// Why a request is not allowed: `401` or `403`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No token, or one that matches no entry.
    Unauthenticated,
    /// A valid token whose role is too low.
    Forbidden { needed: Role, has: Role },
}

pub(crate) fn hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        let byte = digit(*pair.first()?)? * 16 + digit(*pair.get(1)?)?;
        *out.get_mut(i)? = byte as u8;
    }
    Some(out)
}

/// Hex SHA-256 of a token, as the configuration stores it.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The entry whose stored SHA-256 is that of `token`, comparing with every entry in constant
/// time (no early exit), so timing reveals neither which entry matched nor how much of a hash.
pub(crate) fn find<'a, T>(
    entries: &'a [T],
    token: &str,
    hash: impl Fn(&T) -> &[u8; 32],
) -> Option<&'a T> {
    if token.is_empty() {
        return None;
    }
    let digest = Sha256::digest(token.as_bytes());
    let mut found = None;
    for entry in entries {
        let mut diff = 0u8;
        for (a, b) in hash(entry).iter().zip(digest.iter()) {
            diff |= a ^ b;
        }
        if diff == 0 && found.is_none() {
            found = Some(entry);
        }
    }
    found
}

impl Tokens {
    /// Parses the `ADMIN_TOKENS` secret. An absent secret means no token is valid.
    pub fn parse(secret: Option<&str>) -> Result<Tokens, String> {
        let Some(text) = secret.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Tokens::default());
        };
        let entries: Vec<TokenEntry> = serde_json::from_str(text).map_err(|e| {
            format!("ADMIN_TOKENS is not a JSON list of {{name, role, sha256}}: {e}")
        })?;
        let mut out = Tokens::default();
        for e in entries {
            let hash = hex32(&e.sha256.to_ascii_lowercase()).ok_or_else(|| {
                format!(
                    "ADMIN_TOKENS entry {:?}: sha256 must be 64 hex digits",
                    e.name
                )
            })?;
            out.entries
                .push((hash, e.name, e.role, e.environments, e.bypass_approvals));
        }
        Ok(out)
    }

    /// The caller presenting `authorization` (an `Authorization` header value), if any token
    /// matches. Every entry is compared, whatever matched first.
    pub fn authenticate(&self, authorization: Option<&str>) -> Option<Caller> {
        let token = authorization?.strip_prefix("Bearer ")?.trim();
        find(&self.entries, token, |e| &e.0).map(|(_, name, role, environments, bypass)| Caller {
            name: name.clone(),
            role: *role,
            environments: environments.clone(),
            bypass: *bypass,
        })
    }

    /// Authenticates and checks the role in one step. Out of line: the admin API and `/health`
    /// share one copy (the data plane's size is budgeted).
    #[inline(never)]
    pub fn authorize(&self, authorization: Option<&str>, needed: Role) -> Result<Caller, Denied> {
        let caller = self
            .authenticate(authorization)
            .ok_or(Denied::Unauthenticated)?;
        let highest = burgee_api::highest_role(caller.role, &caller.environments);
        if highest < needed {
            return Err(Denied::Forbidden {
                needed,
                has: highest,
            });
        }
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> String {
        format!(
            r#"[{{"name":"ana","role":"admin","sha256":"{}"}},{{"name":"ed","role":"editor","sha256":"{}"}},{{"name":"vi","role":"viewer","sha256":"{}"}}]"#,
            token_hash("admin-token"),
            token_hash("editor-token"),
            token_hash("viewer-token").to_uppercase()
        )
    }

    #[test]
    fn roles_are_ordered_and_checked() {
        let tokens = Tokens::parse(Some(&config())).unwrap();
        let ok = |t: &str, needed| tokens.authorize(Some(&format!("Bearer {t}")), needed);
        assert_eq!(ok("admin-token", Role::Admin).unwrap().name, "ana");
        assert_eq!(ok("editor-token", Role::Editor).unwrap().name, "ed");
        assert_eq!(ok("viewer-token", Role::Viewer).unwrap().name, "vi");
        assert_eq!(
            ok("viewer-token", Role::Editor),
            Err(Denied::Forbidden {
                needed: Role::Editor,
                has: Role::Viewer
            })
        );
        assert_eq!(
            ok("editor-token", Role::Admin).unwrap_err(),
            Denied::Forbidden {
                needed: Role::Admin,
                has: Role::Editor
            }
        );
        assert_eq!(ok("nope", Role::Viewer), Err(Denied::Unauthenticated));
        assert_eq!(
            tokens.authorize(None, Role::Viewer),
            Err(Denied::Unauthenticated)
        );
        assert_eq!(
            tokens.authorize(Some("Basic abc"), Role::Viewer),
            Err(Denied::Unauthenticated)
        );
        assert_eq!(
            tokens.authorize(Some("Bearer "), Role::Viewer),
            Err(Denied::Unauthenticated)
        );
    }

    #[test]
    fn configuration_errors_are_reported_and_absence_allows_nobody() {
        assert!(Tokens::parse(Some("not json")).is_err());
        assert!(Tokens::parse(Some(r#"[{"name":"x","role":"root","sha256":"00"}]"#)).is_err());
        assert!(Tokens::parse(Some(r#"[{"name":"x","role":"admin","sha256":"zz"}]"#)).is_err());
        let none = Tokens::parse(None).unwrap();
        assert_eq!(none.authenticate(Some("Bearer anything")), None);
    }

    #[test]
    fn known_hash() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
