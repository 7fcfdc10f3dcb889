//! Signed-in people's sessions: what the control plane issues after an OpenID Connect sign-in
//! and the data plane's admin front door checks on every request that carries no token.
//!
//! A session is a cookie, `burgee_session=<payload>.<mac>`: the payload is the base64url JSON
//! of [`Session`], the MAC its HMAC-SHA256 under the deployment's `SESSION_SECRET`. Nothing
//! is stored server-side, so both scripts can check a session without asking the store; the
//! price is that a session cannot be revoked before it expires ([`SESSION_MS`], 12 hours)
//! other than by rotating the secret, and a role changed in `ADMIN_USERS` applies at the next
//! sign-in. Writes made with a session must also send its CSRF token as
//! [`CSRF_HEADER`]: the app reads it from the [`CSRF_COOKIE`] (double submit; a page on
//! another origin can neither read the cookie nor set the header).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use burgee_api::{EnvironmentRoles, Role};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "burgee_session";
/// The cookie the app reads the CSRF token from (not HttpOnly).
pub const CSRF_COOKIE: &str = "burgee_csrf";
/// The header a session's write must carry, equal to the session's CSRF token.
pub const CSRF_HEADER: &str = "X-Burgee-CSRF";
/// How long a session lasts.
pub const SESSION_MS: i64 = 12 * 3_600_000;
/// The longest session cookie accepted (a larger one is not parsed).
const MAX_COOKIE_BYTES: usize = 4_096;

/// A signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The audit log's name for them: their email, else the provider's subject.
    pub name: String,
    pub role: Role,
    /// Roles that differ by environment (from `ADMIN_USERS`).
    #[serde(default, skip_serializing_if = "EnvironmentRoles::is_empty")]
    pub environments: EnvironmentRoles,
    /// Expiry, epoch milliseconds.
    pub exp: i64,
    /// The CSRF token their writes must send.
    pub csrf: String,
    /// How they signed in: `oidc` or `access`.
    pub via: String,
}

/// HMAC-SHA256 (RFC 2104), with the `hmac` crate the data plane already links for context
/// tokens.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // `new_from_slice` takes a key of any length for HMAC: it cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Equal in time independent of where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// `payload.mac` for any serialisable value (sessions, and the sign-in's short-lived state).
pub fn seal<T: Serialize>(value: &T, secret: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default());
    let mac = URL_SAFE_NO_PAD.encode(hmac_sha256(secret, payload.as_bytes()));
    format!("{payload}.{mac}")
}

/// The value [`seal`] sealed, if `sealed` is exactly that under `secret`.
pub fn unseal<T: for<'de> Deserialize<'de>>(sealed: &str, secret: &[u8]) -> Option<T> {
    if sealed.len() > MAX_COOKIE_BYTES || secret.is_empty() {
        return None;
    }
    let (payload, mac) = sealed.split_once('.')?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    if !same(&mac, &hmac_sha256(secret, payload.as_bytes())) {
        return None;
    }
    // `from_str`, as the configuration's JSON is read: one copy of the parser's code.
    let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    serde_json::from_str(&json).ok()
}

impl Session {
    /// The session in a `Cookie` header, if it is genuine and not expired at `now_ms`.
    pub fn from_cookies(cookie_header: &str, secret: &[u8], now_ms: i64) -> Option<Session> {
        let sealed = cookie(cookie_header, SESSION_COOKIE)?;
        unseal::<Session>(sealed, secret).filter(|s| s.exp > now_ms)
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value: HttpOnly unless `script_readable`, `Secure` on https, SameSite=Lax
/// (the provider's redirect back is a top-level navigation, which Lax lets through).
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_s: i64,
    https: bool,
    script_readable: bool,
) -> String {
    let mut out = format!("{name}={value}; Path={path}; Max-Age={max_age_s}; SameSite=Lax");
    if !script_readable {
        out.push_str("; HttpOnly");
    }
    if https {
        out.push_str("; Secure");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session(exp: i64) -> Session {
        Session {
            name: "ada@example.com".into(),
            role: Role::Editor,
            environments: EnvironmentRoles::new(),
            exp,
            csrf: "c5rf".into(),
            via: "oidc".into(),
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_sealed_session_opens_only_unchanged_unexpired_and_under_its_secret() {
        let sealed = seal(&session(2_000), b"secret");
        let header = format!("other=1; {SESSION_COOKIE}={sealed}; x=y");
        assert_eq!(
            Session::from_cookies(&header, b"secret", 1_000),
            Some(session(2_000))
        );
        assert_eq!(
            Session::from_cookies(&header, b"secret", 2_000),
            None,
            "expired"
        );
        assert_eq!(
            Session::from_cookies(&header, b"other", 1_000),
            None,
            "wrong secret"
        );
        assert_eq!(
            Session::from_cookies(&header, b"", 1_000),
            None,
            "no secret"
        );
        // A payload edited to claim admin keeps the old MAC: refused.
        let (_, mac) = sealed.split_once('.').unwrap();
        let mut admin = session(2_000);
        admin.role = Role::Admin;
        let forged = format!(
            "{}.{mac}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin).unwrap())
        );
        let header = format!("{SESSION_COOKIE}={forged}");
        assert_eq!(Session::from_cookies(&header, b"secret", 1_000), None);
        assert_eq!(Session::from_cookies("", b"secret", 1_000), None);
        let long = format!("{SESSION_COOKIE}={}", "a".repeat(5_000));
        assert_eq!(Session::from_cookies(&long, b"secret", 1_000), None);
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        assert_eq!(cookie("a=1; ab=2", "ab"), Some("2"));
        assert_eq!(cookie("xa=1", "a"), None);
        let c = set_cookie("n", "v", "/", 60, true, false);
        assert_eq!(c, "n=v; Path=/; Max-Age=60; SameSite=Lax; HttpOnly; Secure");
    }
}
