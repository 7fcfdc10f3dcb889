//! Edge gating in front of an origin, without HTTP: where the request's context comes from,
//! which routes a flag gates, and what the origin and the browser are handed.
//!
//! The context of a request is built, in order of trust, from a signed token (an HS256 JWT in
//! `Authorization: Bearer …` or the token cookie; its claims become attributes and `sub` the
//! targeting key), then the plain user cookie or header (a targeting key only). A token whose
//! signature, algorithm or time window is wrong is ignored: the visitor is anonymous, never
//! shown an error page. Everything here is pure so it is tested natively.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Sha256;

/// Gating configuration (the `GATES` variable, JSON; see the README).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gates {
    /// Routes a flag must be on for; the first matching prefix decides.
    #[serde(default)]
    pub routes: Vec<GatedRoute>,
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
}

impl Default for Gates {
    fn default() -> Self {
        Gates {
            routes: Vec::new(),
            user_cookie: default_user_cookie(),
            user_header: default_user_header(),
            token_cookie: default_token_cookie(),
            bootstrap: true,
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
    /// A path prefix (`/beta/` gates everything under it; `/beta` also gates `/beta` itself).
    pub prefix: String,
    /// The flag that must be on.
    pub flag: String,
}

impl Gates {
    /// Parses the `GATES` variable; an absent or empty one means no gated routes and the
    /// default context sources.
    pub fn parse(text: Option<&str>) -> Result<Gates, String> {
        match text.map(str::trim) {
            None | Some("") => Ok(Gates::default()),
            Some(text) => {
                serde_json::from_str(text).map_err(|e| format!("GATES is not valid: {e}"))
            }
        }
    }

    /// The flag gating `path`, if any.
    pub fn gate_for(&self, path: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|r| {
                path.starts_with(&r.prefix)
                    || r.prefix.strip_suffix('/').is_some_and(|bare| path == bare)
            })
            .map(|r| r.flag.as_str())
    }
}

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

/// Verifies an HS256 JWT and returns its claims, or `None` for anything that is not a valid,
/// current token signed with `secret`.
pub fn verify_token(token: &str, secret: &[u8], now_seconds: i64) -> Option<Map<String, Value>> {
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
    mac.update(token.get(..header_and_payload_len(token)?)?.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&base64url(signature)?).ok()?;
    let Value::Object(claims) = serde_json::from_slice(&base64url(payload)?).ok()? else {
        return None;
    };
    let time = |name: &str| claims.get(name).and_then(Value::as_f64);
    if time("exp").is_some_and(|exp| (now_seconds as f64) >= exp)
        || time("nbf").is_some_and(|nbf| (now_seconds as f64) < nbf)
    {
        return None;
    }
    Some(claims)
}

fn header_and_payload_len(token: &str) -> Option<usize> {
    token.rfind('.')
}

/// Registered JWT claims that are about the token, not the person.
const TOKEN_CLAIMS: &[&str] = &["iss", "aud", "exp", "nbf", "iat", "jti"];

/// The evaluation context of a request (see the module docs for the order of sources).
pub fn request_context(
    gates: &Gates,
    cookie_header: Option<&str>,
    authorization: Option<&str>,
    user_header: Option<&str>,
    secret: Option<&[u8]>,
    now_seconds: i64,
) -> Value {
    let token = authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .or_else(|| cookie(cookie_header, &gates.token_cookie));
    if let (Some(token), Some(secret)) = (token, secret)
        && let Some(claims) = verify_token(token.trim(), secret, now_seconds)
    {
        let mut context = Map::new();
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
    let mut context = Map::new();
    let key = cookie(cookie_header, &gates.user_cookie).or(user_header.filter(|h| !h.is_empty()));
    if let Some(key) = key {
        context.insert("targetingKey".into(), Value::String(key.into()));
    }
    Value::Object(context)
}

/// JSON with every non-ASCII character and `<` escaped, so it is safe in an HTTP header and
/// inside an HTML `<script>` element.
pub fn ascii_json(value: &Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

/// Puts the bootstrap `<script>` into an HTML page: before `</head>`, else after the opening
/// `<body …>`, else at the start.
pub fn inject_bootstrap(html: &str, bootstrap_json: &str) -> String {
    let script = format!(
        "<script id=\"burgee-bootstrap\" type=\"application/json\">{bootstrap_json}</script>"
    );
    let lower = html.to_ascii_lowercase();
    let at = lower.find("</head>").or_else(|| {
        lower
            .find("<body")
            .and_then(|start| lower[start..].find('>').map(|end| start + end + 1))
    });
    match at {
        Some(i) => format!("{}{script}{}", &html[..i], &html[i..]),
        None => format!("{script}{html}"),
    }
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
        let gates = Gates::default();
        let cases = [
            token(json!({"sub": "u"}), b"other", "HS256"),
            token(json!({"sub": "u"}), secret, "none"),
            token(json!({"sub": "u", "exp": 10}), secret, "HS256"),
            token(
                json!({"sub": "u", "nbf": 3_000_000_000i64}),
                secret,
                "HS256",
            ),
            "garbage".into(),
            "a.b.c".into(),
            "a.b".into(),
        ];
        for t in cases {
            let ctx = request_context(
                &gates,
                Some("burgee_uid=plain"),
                Some(&format!("Bearer {t}")),
                None,
                Some(secret),
                1_900_000_000,
            );
            assert_eq!(ctx, json!({"targetingKey": "plain"}), "{t}");
        }
        let tampered = {
            let good = token(json!({"sub": "u"}), secret, "HS256");
            let mut parts: Vec<&str> = good.split('.').collect();
            let evil = b64(json!({"sub": "admin", "role": "admin"})
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
        let t = token(json!({"sub": "u"}), secret, "HS256");
        assert_eq!(
            request_context(
                &gates,
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
    fn cookies() {
        assert_eq!(
            cookie(Some("a=1; burgee_uid=u-9 ; b=2"), "burgee_uid"),
            Some("u-9")
        );
        assert_eq!(cookie(Some("a=1"), "burgee_uid"), None);
        assert_eq!(cookie(Some("burgee_uid="), "burgee_uid"), None);
        assert_eq!(cookie(None, "x"), None);
    }

    #[test]
    fn bootstrap_goes_into_the_head_and_cannot_close_the_script() {
        let data =
            ascii_json(&json!({"flags": {"x": "</script><script>alert(1)</script>", "ü": true}}));
        assert!(!data.contains("</script>") && data.is_ascii());
        let page = inject_bootstrap(
            "<html><HEAD><title>t</title></HEAD><body>hi</body></html>",
            &data,
        );
        assert!(page.starts_with("<html><HEAD><title>t</title><script id=\"burgee-bootstrap\""));
        assert!(page.ends_with("</script></HEAD><body>hi</body></html>"));
        let body_only = inject_bootstrap("<body class=\"x\"><p>hi</p></body>", "{}");
        assert!(body_only.starts_with("<body class=\"x\"><script id=\"burgee-bootstrap\""));
        assert!(inject_bootstrap("plain", "{}").ends_with("</script>plain"));
        let parsed: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(parsed["flags"]["ü"], true);
    }
}
