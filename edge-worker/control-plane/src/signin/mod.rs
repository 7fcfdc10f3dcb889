//! Single sign-on: OpenID Connect's authorization code flow with PKCE, answered by the store
//! (which audits every sign-in) on the public routes `{api}/v1/auth/…`.
//!
//! - `GET {api}/v1/auth`: whether single sign-on is configured, for the app's sign-in page.
//! - `GET {api}/v1/auth/login?return=PATH`: a redirect to the provider's authorization
//!   endpoint (from its discovery document) with a fresh `state`, `nonce` and PKCE challenge,
//!   which a short-lived signed cookie keeps for the way back.
//! - `GET {api}/v1/auth/callback?code&state`: checks `state` against the cookie, redeems the
//!   code with the PKCE verifier, verifies the ID token ([`jwt`]) with the provider's keys,
//!   maps the person to a role ([`people`]), and sets the session cookies
//!   (`burgee_edge_shared::session`); then sends them back to the app.
//! - `POST {api}/v1/auth/logout`: clears the session cookies.
//!
//! A browser reaches login and callback by navigation, so their failures are redirects to the
//! app with `?signin=failed` (or `refused`, for a person no rule admits), the reason in the
//! audit log and the worker's log rather than in the address bar.

pub mod access;
pub mod jwt;
pub mod people;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use burgee_api::{ApiError, Code, RouteId, percent_encode};
use burgee_edge_shared::session::{
    CSRF_COOKIE, SESSION_COOKIE, SESSION_MS, Session, cookie, same, seal, set_cookie, unseal,
};
use burgee_edge_shared::{bindings, internal, query};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use worker::{Env, Request};

use crate::store::answer::Answer;
pub(crate) use crate::store::answer::log_error;
use people::Claimed;
pub(crate) use people::People;

/// The cookie that carries a sign-in's `state`, `nonce` and PKCE verifier to the callback.
const PENDING_COOKIE: &str = "burgee_signin";
/// How long a sign-in may take at the provider.
const PENDING_MS: i64 = 10 * 60_000;

/// The provider and this deployment's client.
struct Provider {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    name: String,
}

/// What the callback needs to remember, sealed in [`PENDING_COOKIE`].
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    back: String,
    exp: i64,
}

/// An audit entry the store writes for a sign-in: (actor, action, summary).
pub type Audited = Option<(String, &'static str, String)>;

fn text(env: &Env, name: &str) -> Option<String> {
    bindings::setting(env, name)
}

fn provider(env: &Env) -> Option<Provider> {
    let issuer = text(env, bindings::OIDC_ISSUER)?;
    Some(Provider {
        name: text(env, bindings::OIDC_PROVIDER_NAME).unwrap_or_else(|| issuer.clone()),
        client_id: text(env, bindings::OIDC_CLIENT_ID)?,
        client_secret: text(env, bindings::OIDC_CLIENT_SECRET),
        issuer: issuer.trim_end_matches('/').to_string(),
    })
}

/// Where the admin API and app are mounted, and this request's origin.
struct Place {
    origin: String,
    api: String,
    app: String,
    https: bool,
}

impl Place {
    fn of(req: &Request) -> Place {
        let url = req.inner().url();
        let header = |name| req.headers().get(name).ok().flatten();
        let origin = url
            .find("://")
            .and_then(|at| {
                url[at + 3..]
                    .find('/')
                    .map(|end| url[..at + 3 + end].to_string())
            })
            .unwrap_or(url.clone());
        Place {
            https: url.starts_with("https://"),
            origin,
            api: header(internal::API_MOUNT)
                .unwrap_or_else(|| burgee_api::DEFAULT_API_MOUNT.into()),
            app: header(internal::APP_MOUNT)
                .unwrap_or_else(|| burgee_api::DEFAULT_APP_MOUNT.into()),
        }
    }

    fn callback(&self) -> String {
        format!("{}{}/v1/auth/callback", self.origin, self.api)
    }

    /// `path` when it is a plain path inside the app, else the app's root.
    fn back(&self, path: Option<&str>) -> String {
        let root = format!("{}/", self.app);
        path.filter(|p| {
            (p.starts_with(&root) || *p == self.app)
                && !p.contains("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control)
        })
        .map_or(root, str::to_string)
    }

    fn redirect(&self, location: &str, cookies: Vec<String>) -> Answer {
        let mut answer = Answer {
            status: 302,
            body: json!({"redirect": location}).to_string(),
            etag: None,
            headers: vec![("Location", location.to_string())],
        };
        for c in cookies {
            answer = answer.header("Set-Cookie", c);
        }
        answer
    }

    fn failed(&self, why: &str) -> Answer {
        self.redirect(
            &format!("{}/?signin={why}", self.app),
            vec![self.clear(PENDING_COOKIE)],
        )
    }

    fn clear(&self, name: &str) -> String {
        set_cookie(
            name,
            "",
            &self.cookie_path(name),
            0,
            self.https,
            name == CSRF_COOKIE,
        )
    }

    fn cookie_path(&self, name: &str) -> String {
        match name {
            PENDING_COOKIE => format!("{}/v1/auth", self.api),
            CSRF_COOKIE => "/".into(),
            _ => self.api.clone(),
        }
    }
}

/// 32 random bytes, base64url.
fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom_fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(target_arch = "wasm32")]
fn getrandom_fill(out: &mut [u8]) -> Result<(), ApiError> {
    use worker::js_sys::{Function, Reflect, Uint8Array, global};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let fail = |_| ApiError::new(Code::Internal, "no random source");
    let crypto = Reflect::get(&global(), &JsValue::from_str("crypto")).map_err(fail)?;
    let fill: Function = Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| ApiError::new(Code::Internal, "no random source"))?;
    let array = Uint8Array::new_with_length(out.len() as u32);
    fill.call1(&crypto, &array).map_err(fail)?;
    array.copy_to(out);
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
fn getrandom_fill(_out: &mut [u8]) -> Result<(), ApiError> {
    Err(ApiError::new(
        Code::Internal,
        "sign-in runs only in the worker",
    ))
}

fn secret(env: &Env) -> Result<Vec<u8>, ApiError> {
    text(env, bindings::SESSION_SECRET)
        .map(String::into_bytes)
        .ok_or_else(|| ApiError::new(Code::Misconfigured, "single sign-on needs SESSION_SECRET"))
}

pub(crate) async fn get_json(url: &str) -> Result<Value, String> {
    // A request from the string, not `Fetch::Url`: parsing a `Url` links the url crate and
    // its IDNA tables (over 100 KB gzip).
    let request = Request::new(url, worker::Method::Get).map_err(|e| format!("{url}: {e}"))?;
    let mut r = worker::Fetch::Request(request)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if r.status_code() != 200 {
        return Err(format!("{url} answered {}", r.status_code()));
    }
    r.json().await.map_err(|e| format!("{url}: {e}"))
}

/// The provider's discovery document and keys, fetched once per isolate (keys again when a
/// token names one they lack: the provider rotated them).
async fn discovery(p: &Provider, refresh_keys: bool) -> Result<(Value, Value), String> {
    thread_local! {
        static CACHE: std::cell::RefCell<Option<(String, Value, Value)>> = const { std::cell::RefCell::new(None) };
    }
    let cached = CACHE.with(|c| c.borrow().clone());
    if let Some((issuer, doc, keys)) = cached
        && issuer == p.issuer
        && !refresh_keys
    {
        return Ok((doc, keys));
    }
    let doc = get_json(&format!("{}/.well-known/openid-configuration", p.issuer)).await?;
    if doc["issuer"].as_str().map(|i| i.trim_end_matches('/')) != Some(p.issuer.as_str()) {
        return Err(format!(
            "the discovery document names issuer {}",
            doc["issuer"]
        ));
    }
    let keys = get_json(doc["jwks_uri"].as_str().ok_or("no jwks_uri")?).await?;
    CACHE.with(|c| *c.borrow_mut() = Some((p.issuer.clone(), doc.clone(), keys.clone())));
    Ok((doc, keys))
}

/// Answers a sign-in route; the second value is what the store audits.
pub async fn handle(
    route: RouteId,
    req: &Request,
    env: &Env,
    now_ms: i64,
) -> (Result<Answer, ApiError>, Audited) {
    let place = Place::of(req);
    let Some(p) = provider(env) else {
        return match route {
            RouteId::AuthConfig => (Answer::ok(&json!({"singleSignOn": false})), None),
            RouteId::AuthLogout => (logout(&place, req, env, now_ms), None),
            _ => (
                Err(ApiError::new(
                    Code::FeatureDisabled,
                    "single sign-on is not configured here",
                )),
                None,
            ),
        };
    };
    match route {
        RouteId::AuthConfig => (
            Answer::ok(&json!({"singleSignOn": true, "provider": p.name,
                "login": format!("{}/v1/auth/login", place.api)})),
            None,
        ),
        RouteId::AuthLogin => (login(&p, &place, req, env, now_ms).await, None),
        RouteId::AuthCallback => callback(&p, &place, req, env, now_ms).await,
        RouteId::AuthLogout => {
            let who = session_of(req, env, now_ms).map(|s| s.name);
            let audited =
                who.map(|name| (name.clone(), "signed-out", format!("{name} signed out")));
            (logout(&place, req, env, now_ms), audited)
        }
        _ => (
            Err(ApiError::new(Code::NotFound, "not a sign-in route")),
            None,
        ),
    }
}

fn session_of(req: &Request, env: &Env, now_ms: i64) -> Option<Session> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    Session::from_cookies(&header, &secret(env).ok()?, now_ms)
}

async fn login(
    p: &Provider,
    place: &Place,
    req: &Request,
    env: &Env,
    now_ms: i64,
) -> Result<Answer, ApiError> {
    let secret = secret(env)?;
    let (doc, _) = discovery(p, false).await.map_err(|e| {
        log_error(&format!("sign-in: the provider's discovery failed: {e}"));
        ApiError::new(
            Code::OriginUnreachable,
            "the sign-in provider could not be reached",
        )
    })?;
    let endpoint = doc["authorization_endpoint"].as_str().unwrap_or_default();
    let url = req.inner().url();
    let pending = Pending {
        state: random_token()?,
        nonce: random_token()?,
        verifier: random_token()?,
        back: place.back(query::param(&query::query_pairs(&url), "return")),
        exp: now_ms + PENDING_MS,
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
    let params = [
        ("response_type", "code"),
        ("client_id", p.client_id.as_str()),
        ("redirect_uri", &place.callback()),
        ("scope", "openid email profile"),
        ("state", &pending.state),
        ("nonce", &pending.nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    let join = if endpoint.contains('?') { '&' } else { '?' };
    let location = format!("{endpoint}{join}{}", query.join("&"));
    let cookie = set_cookie(
        PENDING_COOKIE,
        &seal(&pending, &secret),
        &place.cookie_path(PENDING_COOKIE),
        PENDING_MS / 1000,
        place.https,
        false,
    );
    Ok(place.redirect(&location, vec![cookie]))
}

/// Redeems the code and checks the ID token; answers the person's claims.
async fn redeem(
    p: &Provider,
    place: &Place,
    pending: &Pending,
    code: &str,
    now_ms: i64,
) -> Result<Value, String> {
    let (doc, _) = discovery(p, false).await?;
    let endpoint = doc["token_endpoint"].as_str().ok_or("no token_endpoint")?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &place.callback()),
        ("code_verifier", &pending.verifier),
        ("client_id", &p.client_id),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", percent_encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let headers = worker::Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("Content-Type", "application/x-www-form-urlencoded")?;
    set("Accept", "application/json")?;
    if let Some(secret) = &p.client_secret {
        let basic = format!(
            "{}:{}",
            percent_encode(&p.client_id),
            percent_encode(secret)
        );
        set(
            "Authorization",
            &format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(basic)
            ),
        )?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_headers(headers.clone())
        .with_body(Some(form.into()));
    let request = Request::new_with_init(endpoint, &init).map_err(|e| e.to_string())?;
    let mut answer = worker::Fetch::Request(request)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status_code();
    let tokens: Value = answer.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!(
            "the token endpoint answered {status}: {}",
            tokens["error"]
        ));
    }
    let id_token = tokens["id_token"]
        .as_str()
        .ok_or("the token endpoint sent no id_token")?;
    let token = jwt::parse(id_token)?;
    let (_, mut keys) = discovery(p, false).await?;
    if jwt::pick_key(&keys, token.kid.as_deref(), &token.alg).is_none() {
        keys = discovery(p, true).await?.1;
    }
    let key = jwt::pick_key(&keys, token.kid.as_deref(), &token.alg)
        .ok_or("no key of the provider signed the ID token")?;
    if !jwt::verify_signature(key, &token).await? {
        return Err("the ID token's signature does not verify".into());
    }
    let expected = jwt::Expected {
        issuer: &p.issuer,
        audience: &p.client_id,
        nonce: Some(&pending.nonce),
        now_s: now_ms / 1000,
    };
    jwt::check_claims(&token.claims, &expected)?;
    let mut claims = token.claims;
    if claims["email"].is_null() {
        // Many providers put the email in the ID token only when asked for it by claims; the
        // userinfo endpoint always has it for the `email` scope.
        let endpoint = doc["userinfo_endpoint"].as_str();
        let access = tokens["access_token"].as_str();
        if let (Some(endpoint), Some(access)) = (endpoint, access) {
            let info = userinfo(endpoint, access).await?;
            // The userinfo answer must be about the same person (OpenID Connect Core 5.3.2).
            if info["sub"] != claims["sub"] {
                return Err("the userinfo endpoint answered for another subject".into());
            }
            for name in ["email", "email_verified", "name"] {
                if claims[name].is_null() && !info[name].is_null() {
                    claims[name] = info[name].clone();
                }
            }
        }
    }
    Ok(claims)
}

async fn userinfo(endpoint: &str, access_token: &str) -> Result<Value, String> {
    let headers = worker::Headers::new();
    headers
        .set("Authorization", &format!("Bearer {access_token}"))
        .map_err(|e| e.to_string())?;
    headers
        .set("Accept", "application/json")
        .map_err(|e| e.to_string())?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let request = Request::new_with_init(endpoint, &init).map_err(|e| e.to_string())?;
    let mut answer = worker::Fetch::Request(request)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status_code() != 200 {
        return Err(format!(
            "the userinfo endpoint answered {}",
            answer.status_code()
        ));
    }
    answer.json().await.map_err(|e| e.to_string())
}

async fn callback(
    p: &Provider,
    place: &Place,
    req: &Request,
    env: &Env,
    now_ms: i64,
) -> (Result<Answer, ApiError>, Audited) {
    let secret = match secret(env) {
        Ok(s) => s,
        Err(e) => return (Err(e), None),
    };
    let url = req.inner().url();
    let pairs = query::query_pairs(&url);
    let param = |name| query::param(&pairs, name);
    let cookies = req
        .headers()
        .get("Cookie")
        .ok()
        .flatten()
        .unwrap_or_default();
    let pending = cookie(&cookies, PENDING_COOKIE)
        .and_then(|c| unseal::<Pending>(c, &secret))
        .filter(|p| p.exp > now_ms);
    let failed = |why: String| {
        log_error(&format!("sign-in failed: {why}"));
        let audited = Some((
            "anonymous".to_string(),
            "sign-in-failed",
            format!("single sign-on failed: {why}"),
        ));
        (Ok(place.failed("failed")), audited)
    };
    let Some(pending) = pending else {
        return failed(
            "no sign-in in progress in this browser (or it took over 10 minutes)".into(),
        );
    };
    if !param("state").is_some_and(|s| same(s.as_bytes(), pending.state.as_bytes())) {
        return failed("the state does not match this browser's sign-in".into());
    }
    if let Some(error) = param("error") {
        return failed(format!("the provider answered {error}"));
    }
    let Some(code) = param("code") else {
        return failed("the provider sent no code".into());
    };
    let claims = match redeem(p, place, &pending, code, now_ms).await {
        Ok(claims) => claims,
        Err(why) => return failed(why),
    };
    let email = claims["email"].as_str();
    let verified = claims["email_verified"] == true || claims["email_verified"] == "true";
    let people = match People::parse(text(env, bindings::ADMIN_USERS).as_deref()) {
        Ok(people) => people,
        Err(why) => return failed(why),
    };
    let name = email
        .or(claims["sub"].as_str())
        .unwrap_or("unknown")
        .to_string();
    let Some((role, environments)) = people.role_of(&Claimed {
        email,
        email_verified: verified,
    }) else {
        let audited = Some((
            name.clone(),
            "sign-in-refused",
            format!("{name} may not sign in here (ADMIN_USERS)"),
        ));
        return (Ok(place.failed("refused")), audited);
    };
    let csrf = match random_token() {
        Ok(t) => t,
        Err(e) => return (Err(e), None),
    };
    let session = Session {
        name: name.clone(),
        role,
        environments,
        exp: now_ms + SESSION_MS,
        csrf: csrf.clone(),
        via: "oidc".into(),
    };
    let max_age = SESSION_MS / 1000;
    let cookies = vec![
        set_cookie(
            SESSION_COOKIE,
            &seal(&session, &secret),
            &place.cookie_path(SESSION_COOKIE),
            max_age,
            place.https,
            false,
        ),
        set_cookie(
            CSRF_COOKIE,
            &csrf,
            &place.cookie_path(CSRF_COOKIE),
            max_age,
            place.https,
            true,
        ),
        place.clear(PENDING_COOKIE),
    ];
    let audited = Some((
        name.clone(),
        "signed-in",
        format!("{name} signed in with {} as {}", p.name, role.as_str()),
    ));
    (Ok(place.redirect(&pending.back, cookies)), audited)
}

fn logout(place: &Place, _req: &Request, _env: &Env, _now_ms: i64) -> Result<Answer, ApiError> {
    let mut answer = Answer::ok(&json!({"signedOut": true}))?;
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        answer = answer.header("Set-Cookie", place.clear(name));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Place {
        Place {
            origin: "https://flags.example".into(),
            api: "/api".into(),
            app: "/admin".into(),
            https: true,
        }
    }

    #[test]
    fn people_are_sent_back_only_inside_the_app() {
        let p = place();
        assert_eq!(
            p.back(Some("/admin/flags/x?env=production")),
            "/admin/flags/x?env=production"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/admin/",
            "/admin//x",
            "/administrator",
            "/admin/\\x",
            "/api/v1/document",
        ] {
            assert_eq!(p.back(Some(bad)), "/admin/", "{bad}");
        }
        assert_eq!(p.back(None), "/admin/");
        assert_eq!(p.callback(), "https://flags.example/api/v1/auth/callback");
    }

    #[test]
    fn cookies_are_scoped_and_cleared_where_they_were_set() {
        let p = place();
        assert!(p.clear(SESSION_COOKIE).contains("Path=/api; Max-Age=0"));
        assert!(p.clear(PENDING_COOKIE).contains("Path=/api/v1/auth;"));
        let csrf = p.clear(CSRF_COOKIE);
        assert!(csrf.contains("Path=/;") && !csrf.contains("HttpOnly"));
        let failed = p.failed("refused");
        assert_eq!(failed.status, 302);
        assert!(
            failed
                .headers
                .contains(&("Location", "/admin/?signin=refused".to_string()))
        );
    }
}
