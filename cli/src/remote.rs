//! The commands against a running Burgee: `pull`, `diff`, `push` (in `push.rs`), `rollout`
//! and `promote`, over the admin API (edge-worker/API.md). The token comes from
//! `BURGEE_TOKEN`; a refusal by the store (4xx) is exit 1, a network error or a failing store
//! (5xx) exit 2.

use burgee_core::describe::{DocumentChanges, Fate, copy_changes};
use burgee_core::model::Document;
use serde_json::{Value, json};

use crate::args::Args;
use crate::{Fail, Io, Request, Response, Result, count, say};

pub use crate::push::push;

/// A running Burgee: its origin, the caller's token, and the reason its writes give.
pub struct Store {
    pub url: String,
    token: Option<String>,
    reason: Option<String>,
}

/// The store's document and its version.
pub struct Live {
    pub version: u64,
    pub document: Document,
    /// The document as the store sent it, with `version` set.
    pub json: Value,
}

impl Store {
    pub fn new(args: &Args, io: &mut dyn Io) -> Result<Store> {
        let url = args.required(&args.url, "--url URL")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Fail::usage(format!(
                "--url {url:?} is not an http:// or https:// address"
            )));
        }
        let token = io.env_var("BURGEE_TOKEN").filter(|t| !t.is_empty());
        Ok(Store {
            url: url.trim_end_matches('/').to_string(),
            token,
            reason: args.reason.clone(),
        })
    }

    /// Sends one request; a network error is exit 2, any HTTP answer is returned.
    pub fn call(
        &self,
        io: &mut dyn Io,
        method: &str,
        path: &str,
        body: Option<String>,
        if_match: Option<u64>,
    ) -> Result<Response> {
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        if let Some(token) = &self.token {
            headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        if let Some(reason) = self.reason.as_deref().filter(|_| method != "GET") {
            headers.push(("x-burgee-reason".into(), encode(reason)));
        }
        if let Some(version) = if_match {
            headers.push(("if-match".into(), format!("\"{version}\"")));
        }
        let request = Request {
            method: method.into(),
            url: format!("{}{path}", self.url),
            headers,
            body,
        };
        io.http(&request)
            .map_err(|e| Fail::usage(format!("cannot reach {}: {e}", self.url)))
    }

    /// The store's document now.
    pub fn live(&self, io: &mut dyn Io) -> Result<Live> {
        let response = self.call(io, "GET", "/api/v1/document", None, None)?;
        let body = answer(io, &response)?;
        let version = body.get("version").and_then(Value::as_u64).unwrap_or(0);
        let mut json = body.get("document").cloned().unwrap_or(Value::Null);
        if let Some(object) = json.as_object_mut() {
            object.insert("version".into(), Value::from(version));
        }
        let document = burgee_core::load_value(json.clone())
            .map_err(|d| Fail::usage(format!("the store's document does not load: {}", d.message)))?
            .document;
        Ok(Live {
            version,
            document,
            json,
        })
    }
}

/// The JSON body of a 2xx answer; a 4xx is a refusal (exit 1, with the store's error and any
/// diagnostics on standard error), anything else exit 2.
pub fn answer(io: &mut dyn Io, response: &Response) -> Result<Value> {
    let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    if (200..300).contains(&response.status) {
        return Ok(body);
    }
    let error = &body["error"];
    let code = error["code"].as_str().unwrap_or("");
    let message = error["message"].as_str().unwrap_or(&response.body);
    for d in error["details"]["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let text = |k: &str| d[k].as_str().unwrap_or("").to_string();
        io.write_stderr(&format!(
            "{}[{}] {}: {}\n",
            text("severity"),
            text("code"),
            text("pointer"),
            text("message")
        ));
    }
    let mut text = format!("the store answered {} {code}: {message}", response.status);
    if response.status == 401 {
        text.push_str(" (set BURGEE_TOKEN to a token of the store)");
    }
    Err(if (400..500).contains(&response.status) {
        Fail::refused(text)
    } else {
        Fail::usage(text)
    })
}

/// A path segment or query value, percent-encoded.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn pull(args: &Args, io: &mut dyn Io) -> Result<u8> {
    args.at_most(0)?;
    let store = Store::new(args, io)?;
    let live = store.live(io)?;
    let mut text = serde_json::to_string_pretty(&live.json)
        .map_err(|e| Fail::usage(format!("cannot write the document: {e}")))?;
    text.push('\n');
    let doc = &live.document;
    let what = format!(
        "version {} of {}: {}, {}",
        live.version,
        store.url,
        count(doc.flags.len(), "flag"),
        count(doc.segments.len(), "segment")
    );
    match args.out.as_deref() {
        Some(path) if path != "-" => {
            io.write_file(path, text.as_bytes())
                .map_err(|e| Fail::usage(format!("cannot write {path}: {e}")))?;
            say(io, &format!("{path}: {what}"))?;
        }
        _ => {
            io.write_stdout(text.as_bytes())
                .map_err(|e| Fail::usage(format!("cannot write output: {e}")))?;
            io.write_stderr(&format!("burgee: pulled {what}\n"));
        }
    }
    Ok(0)
}

/// Prints what writing `after` over the store's `live` document changes, per flag and
/// environment, in the core's words; answers the changes.
pub fn print_changes(
    io: &mut dyn Io,
    file: &str,
    store: &Store,
    live: &Live,
    after: &Document,
) -> Result<DocumentChanges> {
    let changes = DocumentChanges::between(&live.document, after);
    let against = format!("version {} of {}", live.version, store.url);
    if changes.is_empty() {
        say(io, &format!("{file}: no changes against {against}"))?;
        return Ok(changes);
    }
    let flags = changes.entries.iter().filter(|e| e.noun == "flag").count();
    let segments = changes.entries.len() - flags;
    say(
        io,
        &format!(
            "{file} against {against}: {} and {} change",
            count(flags, "flag"),
            count(segments, "segment")
        ),
    )?;
    for line in &changes.document {
        say(io, &format!("  document: {line}"))?;
    }
    for entry in &changes.entries {
        let fate = match entry.fate {
            Fate::Created => "created",
            Fate::Removed => "removed",
            Fate::Changed => "changed",
        };
        say(io, &format!("  {} {} {fate}", entry.noun, entry.key))?;
        for line in &entry.lines {
            say(io, &format!("    {line}"))?;
        }
    }
    Ok(changes)
}

pub fn diff(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let file = args.positional(0, "FILE")?;
    args.at_most(1)?;
    let loaded = crate::local::read_document(io, file)?;
    let store = Store::new(args, io)?;
    let live = store.live(io)?;
    print_changes(io, file, &store, &live, &loaded.document)?;
    if let Some(base) = loaded.document.version
        && base != live.version
    {
        say(
            io,
            &format!(
                "note: {file} was pulled at version {base}; the store is at version {} (a push would be refused: pull again and re-apply)",
                live.version
            ),
        )?;
    }
    Ok(0)
}

/// The version a shortcut's answer carries.
fn version_of(body: &Value) -> String {
    body["version"]
        .as_u64()
        .map_or_else(|| "?".into(), |v| v.to_string())
}

pub fn rollout(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let key = args.positional(0, "KEY")?;
    let percent = args.positional(1, "PERCENT")?;
    args.at_most(2)?;
    let env = args.required(&args.env, "--env ENV")?;
    let percentage: serde_json::Number = serde_json::from_str(percent.trim_end_matches('%'))
        .map_err(|_| Fail::usage(format!("PERCENT {percent:?} is not a number")))?;
    let store = Store::new(args, io)?;
    let body = json!({ "percentage": percentage }).to_string();
    let path = format!("/feature-flags/{}/rollout?env={}", encode(key), encode(env));
    let response = store.call(io, "PUT", &path, Some(body), None)?;
    let answer = answer(io, &response)?;
    say(
        io,
        &format!(
            "{key}: {percentage} % of {env} on: version {}",
            version_of(&answer)
        ),
    )?;
    Ok(0)
}

pub fn promote(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let key = args.positional(0, "KEY")?;
    args.at_most(1)?;
    let from = args.required(&args.from, "--from ENV")?;
    let to = args.required(&args.to, "--to ENV")?;
    let store = Store::new(args, io)?;
    let live = store.live(io)?;
    if let Some(flag) = live.document.flags.get(key) {
        let lines = copy_changes(flag.environments.get(from), flag.environments.get(to));
        if lines.is_empty() && live.document.environments.iter().any(|e| e == to) {
            say(
                io,
                &format!(
                    "{key}: {to} already has {from}'s settings (version {}); nothing to do",
                    live.version
                ),
            )?;
            return Ok(0);
        }
        for line in lines {
            say(io, &format!("  {line}"))?;
        }
    }
    let body = json!({ "from": from, "to": to }).to_string();
    let path = format!("/api/v1/flags/{}/promote", encode(key));
    let response = store.call(io, "POST", &path, Some(body), None)?;
    let answer = answer(io, &response)?;
    say(
        io,
        &format!(
            "{key}: {from}'s settings promoted to {to}: version {}",
            version_of(&answer)
        ),
    )?;
    Ok(0)
}
