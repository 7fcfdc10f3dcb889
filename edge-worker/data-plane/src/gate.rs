//! Edge gating in front of an origin, without HTTP: which routes a flag gates, where a
//! request's context comes from ([`identity`]), how a path is read before it is matched
//! ([`path`]), and what the origin and the browser are handed ([`page`]).
//!
//! Everything here is pure, so the security-relevant decisions are tested natively. The
//! principle throughout: the visitor controls the request, so nothing in it may choose how it is
//! judged. The environment is the deployment's (GATES' `environment`, else
//! `ENVIRONMENT_DEFAULT`; never `X-Burgee-Environment`), a path is matched in one canonical form
//! (the one the origin then receives), and an identity counts only when signed, unless the
//! deployment says otherwise (`trustUnsignedIdentity`, `allowTokensWithoutExp`: [`identity`]).

pub mod identity;
pub mod page;
pub mod path;

pub use identity::{base64url_encode, cookie, request_context, sign_token, verify_token};
pub use page::ascii_json;

use serde::Deserialize;

/// Gating configuration (the `GATES` variable, JSON; see the README).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gates {
    /// Routes a flag must be on for; the first matching prefix decides.
    #[serde(default)]
    pub routes: Vec<GatedRoute>,
    /// The environment gated and proxied requests are evaluated in (else
    /// `ENVIRONMENT_DEFAULT`); never the request's.
    #[serde(default)]
    pub environment: Option<String>,
    /// Cookie holding a plain targeting key.
    #[serde(default = "default_user_cookie")]
    pub user_cookie: String,
    /// Header holding a plain targeting key.
    #[serde(default = "default_user_header")]
    pub user_header: String,
    /// Cookie holding a signed token (also accepted as `Authorization: Bearer`).
    #[serde(default = "default_token_cookie")]
    pub token_cookie: String,
    /// Inject the evaluated flags into HTML responses.
    #[serde(default = "yes")]
    pub bootstrap: bool,
    /// With `CONTEXT_SECRET` set, also take the user cookie or header (unsigned, so anyone can
    /// send any) as the visitor. Off by default: with a secret, only tokens identify.
    #[serde(default)]
    pub trust_unsigned_identity: bool,
    /// Accept tokens without an `exp` claim (which would otherwise be valid forever).
    #[serde(default)]
    pub allow_tokens_without_exp: bool,
}

impl Default for Gates {
    fn default() -> Self {
        Gates {
            routes: Vec::new(),
            environment: None,
            user_cookie: default_user_cookie(),
            user_header: default_user_header(),
            token_cookie: default_token_cookie(),
            bootstrap: true,
            trust_unsigned_identity: false,
            allow_tokens_without_exp: false,
        }
    }
}

fn default_user_cookie() -> String {
    "burgee_uid".into()
}
fn default_user_header() -> String {
    "x-burgee-user".into()
}
fn default_token_cookie() -> String {
    "burgee_token".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatedRoute {
    /// A path prefix (`/beta/` gates everything under it; `/beta` also gates `/beta` itself),
    /// held in the canonical form of [`path::normalize`] and matched regardless of ASCII case.
    pub prefix: String,
    /// The flag that must be on.
    pub flag: String,
}

impl Gates {
    /// Parses the `GATES` variable; an absent or empty one means no gated routes and the
    /// default context sources.
    pub fn parse(text: Option<&str>) -> Result<Gates, String> {
        let mut gates: Gates = match text.map(str::trim) {
            None | Some("") => return Ok(Gates::default()),
            Some(text) => {
                serde_json::from_str(text).map_err(|e| format!("GATES is not valid: {e}"))?
            }
        };
        for route in &mut gates.routes {
            route.prefix = path::normalize(&route.prefix).map_err(|why| {
                format!(
                    "GATES: the prefix `{}` is not a plain path: {why}",
                    route.prefix
                )
            })?;
        }
        if let Some(environment) = &gates.environment
            && !burgee_core::valid_key(environment)
        {
            return Err("GATES: `environment` is not an environment name".into());
        }
        Ok(gates)
    }

    /// The flag gating `path` (in the form [`path::normalize`] gives), if any. Prefixes match
    /// regardless of ASCII case: many origins serve `/Beta/` as `/beta/`, and a gate must not
    /// be walked around by spelling.
    pub fn gate_for(&self, path: &str) -> Option<&str> {
        let starts = |prefix: &str| {
            path.get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        };
        self.routes
            .iter()
            .find(|r| {
                starts(&r.prefix)
                    || r.prefix
                        .strip_suffix('/')
                        .is_some_and(|bare| path.eq_ignore_ascii_case(bare))
            })
            .map(|r| r.flag.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_match_prefixes() {
        let gates = Gates::parse(Some(r#"{"routes": [{"prefix": "/ai/", "flag": "advanced-ai-features"}, {"prefix": "/planning", "flag": "daily-planning"}]}"#)).unwrap();
        assert_eq!(gates.gate_for("/ai/chat"), Some("advanced-ai-features"));
        assert_eq!(gates.gate_for("/ai"), Some("advanced-ai-features"));
        assert_eq!(gates.gate_for("/planning/today"), Some("daily-planning"));
        assert_eq!(gates.gate_for("/"), None);
        assert!(Gates::parse(Some(r#"{"routs": []}"#)).is_err());
        assert_eq!(Gates::parse(None).unwrap().user_cookie, "burgee_uid");
    }

    #[test]
    fn prefixes_match_regardless_of_case_and_are_canonical() {
        let gates = Gates::parse(Some(
            r#"{"routes": [{"prefix": "//Calls/./", "flag": "c"}, {"prefix": "/caf%c3%a9/", "flag": "e"}]}"#,
        ))
        .unwrap();
        assert_eq!(gates.routes[0].prefix, "/Calls/");
        for path in ["/calls/x", "/CALLS/x", "/cAlLs", "/calls/"] {
            assert_eq!(gates.gate_for(path), Some("c"), "{path}");
        }
        assert_eq!(gates.gate_for("/callsx"), None);
        assert_eq!(gates.gate_for("/CAF%C3%A9/menu"), Some("e"));
        assert!(Gates::parse(Some(r#"{"routes": [{"prefix": "/a%2Fb", "flag": "x"}]}"#)).is_err());
    }

    #[test]
    fn the_options_and_their_defaults() {
        let defaults = Gates::parse(Some("{}")).unwrap();
        assert_eq!(defaults, Gates::default());
        assert!(!defaults.trust_unsigned_identity && !defaults.allow_tokens_without_exp);
        assert_eq!(defaults.environment, None);
        let set = Gates::parse(Some(
            r#"{"environment": "staging", "trustUnsignedIdentity": true, "allowTokensWithoutExp": true}"#,
        ))
        .unwrap();
        assert_eq!(set.environment.as_deref(), Some("staging"));
        assert!(set.trust_unsigned_identity && set.allow_tokens_without_exp);
        assert!(Gates::parse(Some(r#"{"environment": "no such env!"}"#)).is_err());
    }
}
