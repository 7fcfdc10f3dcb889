//! ID tokens: a compact JWS whose signature is checked with the provider's published keys
//! (JWKS) and whose claims must name this deployment (issuer, audience, nonce, times).
//!
//! Only RS256 and ES256 are accepted, the two algorithms OpenID Connect providers sign ID
//! tokens with; `none` and the HMAC algorithms (which would make the client secret a
//! signing key) are refused before any key is looked at. The parsing and the claim rules are
//! plain functions, tested natively; the signature is checked with the runtime's WebCrypto
//! (`crypto.subtle`), so no RSA or elliptic-curve code is compiled into the worker.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// How far clocks may disagree, in seconds.
pub const SKEW_S: i64 = 60;

/// A token split into what is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt<'t> {
    pub alg: String,
    pub kid: Option<String>,
    pub claims: Value,
    /// `header.payload`: the signed text.
    pub signed: &'t str,
    pub signature: Vec<u8>,
}

fn part(text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "a part of the ID token is not base64url".to_string())
}

/// Splits and decodes a compact JWS; refuses algorithms other than RS256 and ES256.
pub fn parse(token: &str) -> Result<Jwt<'_>, String> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the ID token is not a compact JWS (three parts)".into());
    };
    let header: Value =
        serde_json::from_slice(&part(h)?).map_err(|_| "the ID token's header is not JSON")?;
    let alg = header["alg"].as_str().unwrap_or_default().to_string();
    if !matches!(alg.as_str(), "RS256" | "ES256") {
        return Err(format!(
            "ID tokens signed with {alg:?} are not accepted (RS256 or ES256)"
        ));
    }
    let claims: Value =
        serde_json::from_slice(&part(p)?).map_err(|_| "the ID token's claims are not JSON")?;
    Ok(Jwt {
        alg,
        kid: header["kid"].as_str().map(str::to_string),
        claims,
        signed: &token[..h.len() + 1 + p.len()],
        signature: part(s)?,
    })
}

/// What the claims must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub nonce: Option<&'a str>,
    pub now_s: i64,
}

/// Checks issuer, audience (and `azp` when there are several), expiry, issue time and nonce.
pub fn check_claims(claims: &Value, want: &Expected<'_>) -> Result<(), String> {
    if claims["iss"].as_str() != Some(want.issuer) {
        return Err(format!(
            "the ID token's issuer is {}, not {}",
            claims["iss"], want.issuer
        ));
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(a) => vec![a.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&want.audience) {
        return Err("the ID token is not for this client (aud)".into());
    }
    if audiences.len() > 1 && claims["azp"].as_str() != Some(want.audience) {
        return Err("the ID token names several audiences and this client is not its azp".into());
    }
    let time = |name: &str| claims[name].as_i64();
    match time("exp") {
        Some(exp) if exp + SKEW_S > want.now_s => {}
        _ => return Err("the ID token has expired".into()),
    }
    if time("iat").is_none_or(|iat| iat > want.now_s + SKEW_S)
        || time("nbf").is_some_and(|nbf| nbf > want.now_s + SKEW_S)
    {
        return Err("the ID token is not valid yet (iat, nbf)".into());
    }
    if let Some(nonce) = want.nonce
        && claims["nonce"].as_str() != Some(nonce)
    {
        return Err("the ID token's nonce is not this sign-in's".into());
    }
    Ok(())
}

/// The key of `jwks` that signed a token: by `kid` when the token names one, else the only
/// signing key of the algorithm's type.
pub fn pick_key<'k>(jwks: &'k Value, kid: Option<&str>, alg: &str) -> Option<&'k Value> {
    let kty = if alg == "ES256" { "EC" } else { "RSA" };
    let mut keys = jwks["keys"]
        .as_array()?
        .iter()
        .filter(|k| k["kty"] == kty && k["use"].as_str().is_none_or(|u| u == "sig"));
    match kid {
        Some(kid) => keys.find(|k| k["kid"].as_str() == Some(kid)),
        None => {
            let first = keys.next()?;
            keys.next().is_none().then_some(first)
        }
    }
}

/// Whether `signature` is `jwk`'s over `signed`, checked by the runtime's WebCrypto.
#[cfg(target_arch = "wasm32")]
pub async fn verify_signature(jwk: &Value, jwt: &Jwt<'_>) -> Result<bool, String> {
    use worker::js_sys::{Array, Function, JSON, Object, Promise, Reflect, Uint8Array, global};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;

    let js = |e: JsValue| format!("WebCrypto: {e:?}");
    let get = |on: &JsValue, name: &str| Reflect::get(on, &JsValue::from_str(name)).map_err(js);
    let subtle = get(&get(&global(), "crypto")?, "subtle")?;
    let object = |pairs: &[(&str, JsValue)]| -> Result<JsValue, String> {
        let o = Object::new();
        for (k, v) in pairs {
            Reflect::set(&o, &JsValue::from_str(k), v).map_err(js)?;
        }
        Ok(o.into())
    };
    let sha256 = object(&[("name", "SHA-256".into())])?;
    let (import, verify) = if jwt.alg == "ES256" {
        (
            object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())])?,
            object(&[("name", "ECDSA".into()), ("hash", sha256)])?,
        )
    } else {
        let name: JsValue = "RSASSA-PKCS1-v1_5".into();
        (
            object(&[("name", name.clone()), ("hash", sha256)])?,
            object(&[("name", name)])?,
        )
    };
    let key_data = JSON::parse(&jwk.to_string()).map_err(js)?;
    let call = |name: &str, args: &[JsValue]| -> Result<Promise, String> {
        let f: Function = get(&subtle, name)?.dyn_into().map_err(js)?;
        let list: Array = args.iter().collect();
        f.apply(&subtle, &list).map_err(js)?.dyn_into().map_err(js)
    };
    let usages: Array = [JsValue::from_str("verify")].iter().collect();
    let import = call(
        "importKey",
        &["jwk".into(), key_data, import, false.into(), usages.into()],
    )?;
    let key = JsFuture::from(import).await.map_err(js)?;
    let signature = Uint8Array::from(jwt.signature.as_slice());
    let data = Uint8Array::from(jwt.signed.as_bytes());
    let checked = call("verify", &[verify, key, signature.into(), data.into()])?;
    Ok(JsFuture::from(checked).await.map_err(js)?.as_bool() == Some(true))
}

/// Natively there is no WebCrypto: nothing verifies.
#[cfg(not(target_arch = "wasm32"))]
pub async fn verify_signature(_jwk: &Value, _jwt: &Jwt<'_>) -> Result<bool, String> {
    Err("ID tokens are verified only in the worker".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn token(header: Value, claims: &Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.{}",
            enc(&header),
            enc(claims),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    fn claims() -> Value {
        json!({"iss": "https://id.example", "aud": "burgee", "exp": 2_000, "iat": 1_000,
            "nonce": "n1", "sub": "42", "email": "ada@example.com"})
    }

    const WANT: Expected<'static> = Expected {
        issuer: "https://id.example",
        audience: "burgee",
        nonce: Some("n1"),
        now_s: 1_500,
    };

    #[test]
    fn only_rs256_and_es256_tokens_parse() {
        let t = token(json!({"alg": "RS256", "kid": "k1"}), &claims());
        let jwt = parse(&t).unwrap();
        assert_eq!(
            (jwt.alg.as_str(), jwt.kid.as_deref()),
            ("RS256", Some("k1"))
        );
        assert_eq!(jwt.signature, b"sig");
        assert_eq!(jwt.signed.matches('.').count(), 1);
        for alg in ["none", "HS256", ""] {
            let t = token(json!({"alg": alg}), &claims());
            assert!(parse(&t).unwrap_err().contains("not accepted"), "{alg}");
        }
        assert!(parse("a.b").is_err());
        assert!(parse("a.b.c.d").is_err());
        assert!(parse("!.b.c").is_err());
    }

    #[test]
    fn claims_must_name_this_client_now_and_this_sign_in() {
        assert_eq!(check_claims(&claims(), &WANT), Ok(()));
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut c = claims();
            edit(&mut c);
            check_claims(&c, &WANT)
        };
        assert!(with(&|c| c["iss"] = json!("https://evil.example")).is_err());
        assert!(with(&|c| c["aud"] = json!("other")).is_err());
        assert!(
            with(&|c| c["aud"] = json!(["other", "burgee"])).is_err(),
            "azp required"
        );
        assert_eq!(
            with(&|c| {
                c["aud"] = json!(["other", "burgee"]);
                c["azp"] = json!("burgee");
            }),
            Ok(())
        );
        assert!(
            with(&|c| c["exp"] = json!(1_400)).is_err(),
            "expired past the skew"
        );
        assert_eq!(
            with(&|c| c["exp"] = json!(1_450)),
            Ok(()),
            "within the skew"
        );
        assert!(with(&|c| c["iat"] = json!(9_000)).is_err());
        assert!(with(&|c| c["nbf"] = json!(9_000)).is_err());
        assert!(with(&|c| c["nonce"] = json!("n2")).is_err());
        assert!(
            with(&|c| c
                .as_object_mut()
                .unwrap()
                .remove("nonce")
                .map(|_| ())
                .unwrap())
            .is_err()
        );
    }

    #[test]
    fn keys_are_picked_by_kid_or_by_being_the_only_one() {
        let jwks = json!({"keys": [
            {"kty": "RSA", "kid": "a", "use": "sig", "n": "x", "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "use": "enc", "n": "y", "e": "AQAB"},
            {"kty": "EC", "kid": "c", "crv": "P-256", "x": "x", "y": "y"}]});
        assert_eq!(pick_key(&jwks, Some("a"), "RS256").unwrap()["kid"], "a");
        assert!(
            pick_key(&jwks, Some("b"), "RS256").is_none(),
            "an encryption key"
        );
        assert!(
            pick_key(&jwks, Some("c"), "RS256").is_none(),
            "another type"
        );
        assert_eq!(pick_key(&jwks, None, "ES256").unwrap()["kid"], "c");
        assert_eq!(pick_key(&jwks, None, "RS256").unwrap()["kid"], "a");
        assert!(pick_key(&json!({}), None, "RS256").is_none());
    }
}
