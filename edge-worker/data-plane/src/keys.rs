//! Evaluation keys: optional credentials for the data plane (OFREP, REST, snapshots, the
//! change stream).
//!
//! Without the `EVALUATION_KEYS` secret the evaluation routes are public, as a CDN-side flag
//! service usually is (flags are evaluated for the context the caller sends). With it, every
//! evaluation request must present one of its keys, and each key may be limited to some
//! environments: `[{"name": "web", "sha256": "<hex>", "environments": ["production"]}]`
//! (`environments` absent: all). Keys are stored hashed and compared in constant time, like
//! admin tokens ([`crate::auth`]). They decide who may read which environment's flags, never
//! who may change them.
//!
//! A key has a kind, as LaunchDarkly's SDK keys do: `"kind": "client"` (the default, for keys
//! that ship in a browser or an app) sees only the flags marked `clientSide`, exactly as a
//! caller without a key does; `"kind": "server"` (for backends, kept secret) sees every flag.
//! The safe side is the default: a key whose entry names no kind, or any kind but `server`
//! (a typo), can never reveal a server-only flag.
//!
//! A request presents its key as `X-API-Key: <key>` or `Authorization: Bearer <key>` (the two
//! OFREP security schemes), or, for `GET` routes and usage beacons only, as `?key=<key>` (a
//! browser's `EventSource` and `navigator.sendBeacon` cannot send headers).

use serde::Deserialize;

use crate::auth::{find, hex32};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    sha256: String,
    #[serde(default)]
    environments: Option<Vec<String>>,
    /// `client` (the default) or `server`.
    #[serde(default)]
    kind: Option<String>,
}

/// What a caller may see: only the `clientSide` flags, or every flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// No key, or a client key: the public (client-side) snapshot.
    Client,
    /// A server key: the full snapshot.
    Server,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    hash: [u8; 32],
    name: String,
    /// `None`: every environment.
    environments: Option<Vec<String>>,
    audience: Audience,
}

/// The configured keys; empty means the evaluation routes are public.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationKeys {
    keys: Vec<Key>,
}

/// Why a request may not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyDenied {
    /// No key, or one that is not configured: `401`.
    Unauthenticated,
    /// A valid key that does not cover this environment: `403`.
    Forbidden { name: String, environment: String },
}

impl EvaluationKeys {
    /// Parses the secret; an absent or empty secret means no keys (public routes).
    pub fn parse(secret: Option<&str>) -> Result<EvaluationKeys, String> {
        let Some(text) = secret.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(EvaluationKeys::default());
        };
        let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
            format!(
                "EVALUATION_KEYS is not a JSON list of {{name, sha256, environments?, kind?}}: {e}"
            )
        })?;
        let mut keys = Vec::with_capacity(entries.len());
        for e in entries {
            let hash = hex32(&e.sha256.to_ascii_lowercase()).ok_or_else(|| {
                format!(
                    "EVALUATION_KEYS entry {:?}: sha256 must be 64 hex digits",
                    e.name
                )
            })?;
            // Anything but `server` is a client key: a typo can never reveal a server flag.
            let audience = match e.kind.as_deref() {
                Some("server") => Audience::Server,
                _ => Audience::Client,
            };
            keys.push(Key {
                hash,
                name: e.name,
                environments: e.environments,
                audience,
            });
        }
        Ok(EvaluationKeys { keys })
    }

    /// Whether evaluation needs a key at all.
    pub fn required(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The name and audience of the key that may read `environment`, or why not. Always
    /// `Ok(("", Client))` when no keys are configured.
    pub fn check(
        &self,
        presented: Option<&str>,
        environment: &str,
    ) -> Result<(&str, Audience), KeyDenied> {
        if !self.required() {
            return Ok(("", Audience::Client));
        }
        let key = presented
            .and_then(|k| find(&self.keys, k.trim(), |k| &k.hash))
            .ok_or(KeyDenied::Unauthenticated)?;
        match &key.environments {
            Some(allowed) if !allowed.iter().any(|e| e == environment) => {
                Err(KeyDenied::Forbidden {
                    name: key.name.clone(),
                    environment: environment.to_string(),
                })
            }
            _ => Ok((&key.name, key.audience)),
        }
    }
}

/// The key a request presents: `X-API-Key`, else a bearer token, else (where the route
/// allows it: `GET`s and usage beacons) `?key=`.
pub fn presented<'a>(
    api_key: Option<&'a str>,
    authorization: Option<&'a str>,
    query_key: Option<&'a str>,
    query_key_allowed: bool,
) -> Option<&'a str> {
    api_key
        .filter(|k| !k.trim().is_empty())
        .or_else(|| authorization.and_then(|a| a.strip_prefix("Bearer ")))
        .or(if query_key_allowed { query_key } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token_hash;

    fn keys() -> EvaluationKeys {
        EvaluationKeys::parse(Some(&format!(
            r#"[{{"name":"web","sha256":"{}","environments":["production"]}},{{"name":"ops","sha256":"{}","kind":"server"}},{{"name":"app","sha256":"{}","kind":"client"}}]"#,
            token_hash("web-key"),
            token_hash("ops-key").to_uppercase(),
            token_hash("app-key")
        )))
        .unwrap()
    }

    #[test]
    fn no_secret_means_public() {
        let none = EvaluationKeys::parse(None).unwrap();
        assert!(!none.required());
        assert_eq!(none.check(None, "production"), Ok(("", Audience::Client)));
        assert_eq!(EvaluationKeys::parse(Some("  ")).unwrap(), none);
    }

    #[test]
    fn keys_are_checked_per_environment() {
        let k = keys();
        assert_eq!(
            k.check(Some("web-key"), "production"),
            Ok(("web", Audience::Client))
        );
        assert_eq!(
            k.check(Some("web-key"), "staging"),
            Err(KeyDenied::Forbidden {
                name: "web".into(),
                environment: "staging".into()
            })
        );
        assert_eq!(
            k.check(Some("ops-key"), "staging"),
            Ok(("ops", Audience::Server))
        );
        assert_eq!(
            k.check(Some("nope"), "production"),
            Err(KeyDenied::Unauthenticated)
        );
        assert_eq!(
            k.check(Some(""), "production"),
            Err(KeyDenied::Unauthenticated)
        );
        assert_eq!(k.check(None, "production"), Err(KeyDenied::Unauthenticated));
    }

    #[test]
    fn only_server_keys_see_server_flags_and_client_is_the_default() {
        let k = keys();
        for (key, audience) in [
            ("web-key", Audience::Client),
            ("app-key", Audience::Client),
            ("ops-key", Audience::Server),
        ] {
            assert_eq!(
                k.check(Some(key), "production").map(|(_, a)| a),
                Ok(audience),
                "{key}"
            );
        }
        let wrong_kind = format!(
            r#"[{{"name":"x","sha256":"{}","kind":"Server"}}]"#,
            token_hash("x")
        );
        let wrong = EvaluationKeys::parse(Some(&wrong_kind)).unwrap();
        assert_eq!(
            wrong.check(Some("x"), "production").map(|(_, a)| a),
            Ok(Audience::Client),
            "kinds are exact, and a wrong one is the safe one"
        );
    }

    #[test]
    fn bad_configuration_is_reported() {
        assert!(EvaluationKeys::parse(Some("{}")).is_err());
        assert!(EvaluationKeys::parse(Some(r#"[{"name":"x","sha256":"abc"}]"#)).is_err());
        assert!(
            EvaluationKeys::parse(Some(r#"[{"name":"x","sha256":"abc","role":"admin"}]"#)).is_err()
        );
    }

    #[test]
    fn where_the_key_comes_from() {
        assert_eq!(
            presented(Some("a"), Some("Bearer b"), Some("c"), true),
            Some("a")
        );
        assert_eq!(
            presented(None, Some("Bearer b"), Some("c"), true),
            Some("b")
        );
        assert_eq!(presented(None, None, Some("c"), true), Some("c"));
        assert_eq!(
            presented(None, None, Some("c"), false),
            None,
            "no query keys on POST"
        );
        assert_eq!(presented(Some(" "), Some("Basic x"), None, false), None);
    }
}
