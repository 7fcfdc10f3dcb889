//! Who the visitor is: the context of a request, from a signed token (an HS256 JWT in
//! `Authorization: Bearer …` or the token cookie; its claims become attributes and `sub` the
//! targeting key), else, where the deployment allows it, the plain user cookie or header (a
//! targeting key only).
//!
//! A gate is only as strong as the identity it is given, and a cookie or header is whatever the
//! visitor types: so once a context secret (`CONTEXT_SECRET`) is configured, only a token
//! identifies, unless GATES sets `trustUnsignedIdentity` (without a secret nothing could be
//! signed, so the cookie and header are all there is). A token must carry a numeric `exp`
//! (else it would be valid forever once leaked), unless GATES sets `allowTokensWithoutExp`; an
//! `exp` or `nbf` that is not a number is refused either way, never read as absent. A token
//! that fails any check is ignored: the visitor is anonymous, never shown an error page.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::Gates;

/// A cookie's value from a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'=' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// Base64url without padding (RFC 4648 §5), as JWTs carry their parts.
pub fn base64url_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            let index = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
        }
    }
    out
}

/// Signs `claims` as an HS256 token with `secret`: what a backend that hands its visitors a
/// context token does, and what [`verify_token`] accepts.
pub fn sign_token(claims: &Value, secret: &[u8], alg: &str) -> String {
    let head = base64url_encode(
        serde_json::json!({"alg": alg, "typ": "JWT"})
            .to_string()
            .as_bytes(),
    );
    let body = base64url_encode(claims.to_string().as_bytes());
    let signed = format!("{head}.{body}");
    let signature = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(signed.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    format!("{signed}.{}", base64url_encode(&signature))
}

/// A time claim: absent (`Ok(None)`), a number of seconds, or `Err` for anything else.
fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, ()> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(()),
        Some(_) => Err(()),
    }
}

/// Verifies an HS256 JWT and returns its claims, or `None` for anything that is not a valid,
/// current token signed with `secret` (including one without `exp`, unless
/// `allow_without_exp`, and one whose `exp` or `nbf` is not a number).
pub fn verify_token(
    token: &str,
    secret: &[u8],
    now_seconds: i64,
    allow_without_exp: bool,
) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || secret.is_empty() {
        return None;
    }
    let header: Value = serde_json::from_slice(&base64url(header)?).ok()?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return None;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(token.get(..token.rfind('.')?)?.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&base64url(signature)?).ok()?;
    let Value::Object(claims) = serde_json::from_slice(&base64url(payload)?).ok()? else {
        return None;
    };
    let exp = time_claim(&claims, "exp").ok()?;
    let nbf = time_claim(&claims, "nbf").ok()?;
    let now = now_seconds as f64;
    if (exp.is_none() && !allow_without_exp)
        || exp.is_some_and(|exp| now >= exp)
        || nbf.is_some_and(|nbf| now < nbf)
    {
        return None;
    }
    Some(claims)
}

/// Registered JWT claims that are about the token, not the person.
const TOKEN_CLAIMS: &[&str] = &["iss", "aud", "exp", "nbf", "iat", "jti"];

/// The evaluation context of a request (see the module docs for the sources and their trust).
pub fn request_context(
    gates: &Gates,
    cookie_header: Option<&str>,
    authorization: Option<&str>,
    user_header: Option<&str>,
    secret: Option<&[u8]>,
    now_seconds: i64,
) -> Value {
    let mut context = Map::new();
    if let Some(secret) = secret {
        let token = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .or_else(|| cookie(cookie_header, &gates.token_cookie));
        let claims = token.and_then(|t| {
            verify_token(
                t.trim(),
                secret,
                now_seconds,
                gates.allow_tokens_without_exp,
            )
        });
        if let Some(claims) = claims {
            for (name, value) in claims {
                match name.as_str() {
                    "sub" => {
                        if let Value::String(_) = value {
                            context.insert("targetingKey".into(), value);
                        }
                    }
                    n if TOKEN_CLAIMS.contains(&n) => {}
                    _ => {
                        context.insert(name, value);
                    }
                }
            }
            return Value::Object(context);
        }
        if !gates.trust_unsigned_identity {
            return Value::Object(context);
        }
    }
    let key = cookie(cookie_header, &gates.user_cookie).or(user_header.filter(|h| !h.is_empty()));
    if let Some(key) = key {
        context.insert("targetingKey".into(), Value::String(key.into()));
    }
    Value::Object(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        base64url_encode(bytes)
    }

    fn token(claims: Value, secret: &[u8], alg: &str) -> String {
        sign_token(&claims, secret, alg)
    }

    /// Gates that trust the user cookie and header as well as tokens.
    fn trusting() -> Gates {
        Gates {
            trust_unsigned_identity: true,
            ..Gates::default()
        }
    }

    fn context_of(gates: &Gates, t: &str, secret: Option<&[u8]>) -> Value {
        request_context(
            gates,
            Some("burgee_uid=plain"),
            Some(&format!("Bearer {t}")),
            None,
            secret,
            1_900_000_000,
        )
    }

    #[test]
    fn base64url_round_trip() {
        for text in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"abcd",
            &[0xff, 0xfe, 0x00, 0x10],
        ] {
            assert_eq!(base64url(&b64(text)).unwrap(), text);
        }
        assert!(base64url("a+b").is_none());
    }

    #[test]
    fn valid_tokens_become_contexts() {
        let secret = b"s3cret";
        let t = token(
            json!({"sub": "user-7", "role": "admin", "orgId": "org-7", "exp": 2_000_000_000, "iat": 1}),
            secret,
            "HS256",
        );
        let gates = Gates::default();
        let ctx = request_context(
            &gates,
            None,
            Some(&format!("Bearer {t}")),
            None,
            Some(secret),
            1_900_000_000,
        );
        assert_eq!(
            ctx,
            json!({"targetingKey": "user-7", "role": "admin", "orgId": "org-7"})
        );
        let cookie_header = format!("a=b; burgee_token={t}; c=d");
        let ctx = request_context(
            &gates,
            Some(&cookie_header),
            None,
            None,
            Some(secret),
            1_900_000_000,
        );
        assert_eq!(ctx["targetingKey"], "user-7");
    }

    #[test]
    fn bad_tokens_mean_anonymous_never_an_error() {
        let secret = b"s3cret";
        let gates = trusting();
        let cases = [
            token(json!({"sub": "u", "exp": 2e9}), b"other", "HS256"),
            token(json!({"sub": "u", "exp": 2e9}), secret, "none"),
            token(json!({"sub": "u", "exp": 10}), secret, "HS256"),
            token(
                json!({"sub": "u", "exp": 2e9, "nbf": 3_000_000_000i64}),
                secret,
                "HS256",
            ),
            "garbage".into(),
            "a.b.c".into(),
            "a.b".into(),
        ];
        for t in cases {
            // With unsigned identities trusted, the cookie is what is left.
            assert_eq!(
                context_of(&gates, &t, Some(secret)),
                json!({"targetingKey": "plain"}),
                "{t}"
            );
        }
        let tampered = {
            let good = token(json!({"sub": "u", "exp": 2e9}), secret, "HS256");
            let mut parts: Vec<&str> = good.split('.').collect();
            let evil = b64(json!({"sub": "admin", "role": "admin", "exp": 2e9})
                .to_string()
                .as_bytes());
            parts[1] = &evil;
            parts.join(".")
        };
        assert_eq!(
            request_context(
                &gates,
                None,
                Some(&format!("Bearer {tampered}")),
                None,
                Some(secret),
                0
            ),
            json!({})
        );
        // Without a configured secret no token is trusted.
        let t = token(json!({"sub": "u", "exp": 2e9}), secret, "HS256");
        assert_eq!(
            request_context(
                &Gates::default(),
                None,
                Some(&format!("Bearer {t}")),
                Some("h"),
                None,
                0
            ),
            json!({"targetingKey": "h"})
        );
    }

    #[test]
    fn with_a_secret_unsigned_identities_count_only_when_gates_trust_them() {
        let secret = b"s3cret";
        let strict = Gates::default();
        for (cookie_header, header) in [(Some("burgee_uid=admin"), None), (None, Some("admin"))] {
            let ask = |gates: &Gates, secret: Option<&[u8]>| {
                request_context(gates, cookie_header, None, header, secret, 0)
            };
            assert_eq!(ask(&strict, Some(secret)), json!({}));
            assert_eq!(
                ask(&trusting(), Some(secret)),
                json!({"targetingKey": "admin"})
            );
            // No secret: nothing could be signed, so the plain sources are all there is.
            assert_eq!(ask(&strict, None), json!({"targetingKey": "admin"}));
        }
    }

    #[test]
    fn tokens_must_expire_with_numeric_times() {
        let secret = b"s3cret";
        let verify = |claims: Value, allow_without_exp: bool| {
            let t = token(claims, secret, "HS256");
            verify_token(&t, secret, 1_900_000_000, allow_without_exp).is_some()
        };
        assert!(verify(json!({"sub": "u", "exp": 2_000_000_000}), false));
        assert!(verify(json!({"sub": "u", "exp": 2.0e9, "nbf": 1}), false));
        assert!(!verify(json!({"sub": "u"}), false), "no exp");
        assert!(verify(json!({"sub": "u"}), true), "no exp, allowed");
        for bad in [json!("2000000000"), json!(null), json!(true), json!([1])] {
            assert!(!verify(json!({"sub": "u", "exp": bad}), false), "exp {bad}");
            assert!(!verify(json!({"sub": "u", "exp": bad}), true), "exp {bad}");
            assert!(
                !verify(json!({"sub": "u", "exp": 2e9, "nbf": bad}), true),
                "nbf {bad}"
            );
        }
        let lenient = Gates {
            allow_tokens_without_exp: true,
            ..Gates::default()
        };
        let t = token(json!({"sub": "u"}), secret, "HS256");
        assert_eq!(context_of(&Gates::default(), &t, Some(secret)), json!({}));
        assert_eq!(
            context_of(&lenient, &t, Some(secret)),
            json!({"targetingKey": "u"})
        );
    }

    #[test]
    fn cookies() {
        assert_eq!(
            cookie(Some("a=1; burgee_uid=u-9 ; b=2"), "burgee_uid"),
            Some("u-9")
        );
        assert_eq!(cookie(Some("a=1"), "burgee_uid"), None);
        assert_eq!(cookie(Some("burgee_uid="), "burgee_uid"), None);
        assert_eq!(cookie(None, "x"), None);
    }
}
