//! What every admin write does to the document, as pure functions.
//!
//! The Durable Object ([`crate::store`]) owns storage, ordering and publishing; everything it
//! decides about a write is here, so it is tested natively: reading and bounding request bodies,
//! `If-Match`, each operation (flags, segments, toggles, the operators' shortcuts, import,
//! restore), validation with burgee-core (a write whose result has any error is refused whole),
//! the audit summary, the structural diff between versions and which flags a change touches in
//! each environment (for the change stream).

use serde_json::{Map, Value, json};

pub use crate::access::MAX_BODY_BYTES;
/// Deepest JSON nesting the admin API reads.
pub const MAX_DEPTH: usize = 64;

/// An admin API error: status, stable code, message, optional details.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// `{ "error": { "code", "message", "details"? } }`.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(details), Some(fields)) = (&self.details, error.as_object_mut()) {
            fields.insert("details".into(), details.clone());
        }
        json!({ "error": error })
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Reads a JSON request body: at most [`MAX_BODY_BYTES`], JSON, nested at most [`MAX_DEPTH`].
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "payload_too_large",
            format!(
                "the body is {} bytes; at most {MAX_BODY_BYTES} are accepted",
                bytes.len()
            ),
        ));
    }
    // serde_json stops at 128 levels by itself; the explicit check gives the documented limit.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(400, "invalid_json", format!("the body is not JSON: {e}")))?;
    if depth(&value) > MAX_DEPTH {
        return Err(ApiError::new(
            400,
            "invalid_json",
            format!("the body nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    Ok(value)
}

/// Checks `If-Match` against the current version (`428` missing, `412` stale).
pub fn check_if_match(header: Option<&str>, current: u64) -> Result<(), ApiError> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(ApiError::new(
            428,
            "precondition_required",
            "writes must send If-Match with the version they are based on",
        )
        .with(json!({"currentVersion": current})));
    };
    let given = header
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<u64>()
        .map_err(|_| {
            ApiError::new(
                400,
                "invalid_if_match",
                format!("If-Match {header:?} is not a version"),
            )
        })?;
    if given != current {
        return Err(ApiError::new(
            412,
            "version_conflict",
            format!(
                "the document changed: you edited version {given}, the current one is {current}"
            ),
        )
        .with(json!({"currentVersion": current, "yourVersion": given})));
    }
    Ok(())
}

/// JSON Merge Patch (RFC 7396).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(target) = target.as_object_mut() {
                for (key, value) in fields {
                    if value.is_null() {
                        target.remove(key);
                    } else {
                        merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The two kinds of things the document keys: flags and segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Flag,
    Segment,
}

impl Item {
    /// The document member that holds them.
    pub fn member(self) -> &'static str {
        match self {
            Item::Flag => "flags",
            Item::Segment => "segments",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Item::Flag => "flag",
            Item::Segment => "segment",
        }
    }

    pub fn not_found(self, key: &str) -> ApiError {
        let code = match self {
            Item::Flag => "flag_not_found",
            Item::Segment => "segment_not_found",
        };
        ApiError::new(404, code, format!("{} `{key}` does not exist", self.noun()))
    }

    /// The flags a write to `key` concerns (for the audit log's flag filter).
    fn flags(self, key: &str) -> Vec<String> {
        match self {
            Item::Flag => vec![key.to_string()],
            Item::Segment => Vec::new(),
        }
    }

    /// Refuses to delete `key` while something still uses it.
    fn check_unused(self, doc: &Value, key: &str) -> Result<(), ApiError> {
        let (code, users, message, details) = match self {
            Item::Flag => {
                let users = dependents(doc, key);
                let message = format!(
                    "`{key}` is a prerequisite of {}; remove those first",
                    users.join(", ")
                );
                (
                    "flag_in_use",
                    users.clone(),
                    message,
                    json!({ "dependents": users }),
                )
            }
            Item::Segment => {
                let users = segment_users(doc, key);
                let message = format!(
                    "segment `{key}` is used by {}; remove those uses first",
                    users.join(", ")
                );
                (
                    "segment_in_use",
                    users.clone(),
                    message,
                    json!({ "usedBy": users }),
                )
            }
        };
        if users.is_empty() {
            Ok(())
        } else {
            Err(ApiError::new(422, code, message).with(details))
        }
    }
}

/// One write, before it is applied.
#[derive(Debug, Clone)]
pub enum Op {
    ReplaceDocument {
        document: Value,
        import: bool,
    },
    /// Create or replace a flag or segment.
    Put {
        item: Item,
        key: String,
        value: Value,
    },
    /// JSON Merge Patch of a flag or segment.
    Patch {
        item: Item,
        key: String,
        patch: Value,
    },
    Delete {
        item: Item,
        key: String,
    },
    Toggle {
        key: String,
        environment: String,
        enabled: bool,
    },
    Restore {
        version: u64,
        document: Value,
    },
    /// The operators' user/org shortcut: target `id` to the flag's `enabled` variant.
    Target {
        key: String,
        environment: String,
        attribute: Option<String>,
        id: String,
        enabled: bool,
    },
}

/// What a write does: the new document and what the audit log says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub document: Value,
    pub action: &'static str,
    pub target: String,
    /// The flags the write concerns (for filtering the audit log by flag).
    pub flags: Vec<String>,
    pub summary: String,
    /// A flag or segment was created (the API answers 201).
    pub created: bool,
}

/// Whether two documents differ in nothing but the stamps a write puts on its flag or segment
/// (`updatedAt`, `updatedBy`).
pub fn same_but_stamps(a: &Value, b: &Value) -> bool {
    let strip = |doc: &Value| {
        let mut doc = doc.clone();
        for member in ["flags", "segments"] {
            if let Some(entries) = doc.get_mut(member).and_then(Value::as_object_mut) {
                for entry in entries.values_mut() {
                    if let Some(fields) = entry.as_object_mut() {
                        fields.remove("updatedAt");
                        fields.remove("updatedBy");
                    }
                }
            }
        }
        doc
    };
    strip(a) == strip(b)
}

/// The object member `key` of the document, created when missing or not an object.
fn object_at<'a>(doc: &'a mut Value, key: &str) -> Result<&'a mut Map<String, Value>, ApiError> {
    let fields = doc.as_object_mut().ok_or_else(|| {
        ApiError::new(500, "internal", "the stored document is not a JSON object")
    })?;
    let member = fields
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !member.is_object() {
        *member = Value::Object(Map::new());
    }
    member
        .as_object_mut()
        .ok_or_else(|| ApiError::new(500, "internal", "the document member is not an object"))
}

fn must_be_object(v: &Value, what: &str) -> Result<(), ApiError> {
    if v.is_object() {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "invalid_body",
            format!("{what} must be a JSON object"),
        ))
    }
}

/// Flags whose prerequisites name `key`.
fn dependents(doc: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(flags) = doc.get("flags").and_then(Value::as_object) {
        for (name, flag) in flags {
            let needs = flag
                .get("prerequisites")
                .and_then(Value::as_array)
                .is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.get("flag").and_then(Value::as_str) == Some(key))
                });
            if needs && name != key {
                out.push(name.clone());
            }
        }
    }
    out
}

/// Flags and segments whose rules use segment `key`.
fn segment_users(doc: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let uses = |rules: Option<&Value>| {
        rules.and_then(Value::as_array).is_some_and(|rules| {
            rules.iter().any(|r| {
                r.get("clauses")
                    .and_then(Value::as_array)
                    .is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c.get("op").and_then(Value::as_str) == Some("inSegment")
                                && c.get("values")
                                    .and_then(Value::as_array)
                                    .is_some_and(|vs| vs.iter().any(|v| v.as_str() == Some(key)))
                        })
                    })
            })
        })
    };
    if let Some(flags) = doc.get("flags").and_then(Value::as_object) {
        for (name, flag) in flags {
            let used = flag
                .get("environments")
                .and_then(Value::as_object)
                .is_some_and(|envs| envs.values().any(|e| uses(e.get("rules"))));
            if used {
                out.push(format!("flag `{name}`"));
            }
        }
    }
    if let Some(segments) = doc.get("segments").and_then(Value::as_object) {
        for (name, segment) in segments {
            if name != key && uses(segment.get("rules")) {
                out.push(format!("segment `{name}`"));
            }
        }
    }
    out
}

fn stamp(flag: &mut Value, previous: Option<&Value>, actor: &str, now: &str) {
    let Some(fields) = flag.as_object_mut() else {
        return;
    };
    match previous {
        Some(old) => {
            for k in ["createdAt", "createdBy"] {
                match old.get(k) {
                    Some(v) => {
                        fields.insert(k.into(), v.clone());
                    }
                    None => {
                        fields.remove(k);
                    }
                }
            }
        }
        None => {
            fields.insert("createdAt".into(), Value::String(now.into()));
            fields.insert("createdBy".into(), Value::String(actor.into()));
        }
    }
    fields.insert("updatedAt".into(), Value::String(now.into()));
    fields.insert("updatedBy".into(), Value::String(actor.into()));
}

fn flag_keys(doc: &Value) -> Vec<String> {
    doc.get("flags")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Applies one operation to the current document. The result is not yet validated: see
/// [`validate`].
pub fn apply(current: &Value, op: Op, actor: &str, now: &str) -> Result<Change, ApiError> {
    let mut doc = current.clone();
    match op {
        Op::ReplaceDocument { document, import } => {
            must_be_object(&document, "the document")?;
            let mut document = document;
            let before: Vec<String> = flag_keys(current);
            let after: Vec<String> = flag_keys(&document);
            let mut flags: Vec<String> = before.iter().chain(after.iter()).cloned().collect();
            flags.sort();
            flags.dedup();
            if let Some(fields) = document.as_object_mut() {
                fields.remove("version");
            }
            Ok(Change {
                summary: format!(
                    "{} the document: {} flags, {} segments",
                    if import { "imported" } else { "replaced" },
                    after.len(),
                    document
                        .get("segments")
                        .and_then(Value::as_object)
                        .map_or(0, Map::len)
                ),
                document,
                action: if import { "import" } else { "replace-document" },
                target: "document".into(),
                flags,
                created: false,
            })
        }
        Op::Restore {
            version,
            mut document,
        } => {
            if let Some(fields) = document.as_object_mut() {
                fields.remove("version");
            }
            let mut flags: Vec<String> = flag_keys(current)
                .into_iter()
                .chain(flag_keys(&document))
                .collect();
            flags.sort();
            flags.dedup();
            Ok(Change {
                document,
                action: "restore",
                target: "document".into(),
                flags,
                summary: format!("restored version {version}"),
                created: false,
            })
        }
        Op::Put {
            item,
            key,
            mut value,
        } => {
            must_be_object(&value, &format!("a {}", item.noun()))?;
            let previous = current
                .get(item.member())
                .and_then(|m| m.get(&key))
                .cloned();
            if item == Item::Flag {
                stamp(&mut value, previous.as_ref(), actor, now);
            }
            let created = previous.is_none();
            object_at(&mut doc, item.member())?.insert(key.clone(), value);
            Ok(Change {
                document: doc,
                action: if created { "create" } else { "replace" },
                target: format!("{}/{key}", item.member()),
                flags: item.flags(&key),
                summary: format!(
                    "{} {} `{key}`",
                    if created { "created" } else { "replaced" },
                    item.noun()
                ),
                created,
            })
        }
        Op::Patch { item, key, patch } => {
            must_be_object(&patch, "a merge patch")?;
            let previous = current
                .get(item.member())
                .and_then(|m| m.get(&key))
                .cloned()
                .ok_or_else(|| item.not_found(&key))?;
            let mut value = previous.clone();
            merge_patch(&mut value, &patch);
            if item == Item::Flag {
                stamp(&mut value, Some(&previous), actor, now);
            }
            let fields: Vec<String> = patch
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            object_at(&mut doc, item.member())?.insert(key.clone(), value);
            Ok(Change {
                document: doc,
                action: "patch",
                target: format!("{}/{key}", item.member()),
                flags: item.flags(&key),
                summary: format!("patched {} `{key}` ({})", item.noun(), fields.join(", ")),
                created: false,
            })
        }
        Op::Delete { item, key } => {
            if current
                .get(item.member())
                .and_then(|m| m.get(&key))
                .is_none()
            {
                return Err(item.not_found(&key));
            }
            item.check_unused(current, &key)?;
            object_at(&mut doc, item.member())?.remove(&key);
            Ok(Change {
                document: doc,
                action: "delete",
                target: format!("{}/{key}", item.member()),
                flags: item.flags(&key),
                summary: format!("deleted {} `{key}`", item.noun()),
                created: false,
            })
        }
        Op::Toggle {
            key,
            environment,
            enabled,
        } => {
            toggle(&mut doc, &key, &environment, enabled, actor, now)?;
            Ok(Change {
                document: doc,
                action: "toggle",
                target: format!("flags/{key}"),
                flags: vec![key.clone()],
                summary: format!(
                    "turned `{key}` {} in {environment}",
                    if enabled { "on" } else { "off" }
                ),
                created: false,
            })
        }
        Op::Target {
            key,
            environment,
            attribute,
            id,
            enabled,
        } => {
            target(
                &mut doc,
                &key,
                &environment,
                attribute.as_deref(),
                &id,
                enabled,
                actor,
                now,
            )?;
            let who = attribute.as_deref().map_or("user", |_| "org");
            Ok(Change {
                document: doc,
                action: "target",
                target: format!("flags/{key}"),
                flags: vec![key.clone()],
                summary: format!(
                    "targeted {who} `{id}` to {} for `{key}` in {environment}",
                    if enabled { "on" } else { "off" }
                ),
                created: false,
            })
        }
    }
}

fn known_environment(doc: &Value, environment: &str) -> Result<(), ApiError> {
    let known = doc
        .get("environments")
        .and_then(Value::as_array)
        .is_some_and(|envs| envs.iter().any(|e| e.as_str() == Some(environment)));
    if known {
        Ok(())
    } else {
        Err(ApiError::new(
            404,
            "environment_not_found",
            format!("environment `{environment}` is not one of the document's environments"),
        ))
    }
}

fn settings_mut<'a>(
    doc: &'a mut Value,
    key: &str,
    environment: &str,
) -> Result<&'a mut Map<String, Value>, ApiError> {
    known_environment(doc, environment)?;
    let flag = doc
        .get_mut("flags")
        .and_then(|f| f.get_mut(key))
        .filter(|f| f.is_object())
        .ok_or_else(|| {
            ApiError::new(
                404,
                "flag_not_found",
                format!("flag `{key}` does not exist"),
            )
        })?;
    if !flag.get("environments").is_some_and(Value::is_object)
        && let Some(fields) = flag.as_object_mut()
    {
        fields.insert("environments".into(), Value::Object(Map::new()));
    }
    let envs = flag
        .get_mut("environments")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            ApiError::new(500, "internal", "the flag's environments are not an object")
        })?;
    let settings = envs
        .entry(environment.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !settings.is_object() {
        *settings = Value::Object(Map::new());
    }
    settings
        .as_object_mut()
        .ok_or_else(|| ApiError::new(500, "internal", "environment settings are not an object"))
}

fn touch(doc: &mut Value, key: &str, actor: &str, now: &str) {
    if let Some(fields) = doc
        .get_mut("flags")
        .and_then(|f| f.get_mut(key))
        .and_then(Value::as_object_mut)
    {
        fields.insert("updatedAt".into(), Value::String(now.into()));
        fields.insert("updatedBy".into(), Value::String(actor.into()));
    }
}

fn toggle(
    doc: &mut Value,
    key: &str,
    environment: &str,
    enabled: bool,
    actor: &str,
    now: &str,
) -> Result<(), ApiError> {
    settings_mut(doc, key, environment)?.insert("enabled".into(), Value::Bool(enabled));
    touch(doc, key, actor, now);
    Ok(())
}

/// Adds `id` to the target that serves the flag's `enabled` value, and removes it from the
/// other boolean value's targets, for `attribute` (`None`: the targeting key).
#[allow(clippy::too_many_arguments)]
fn target(
    doc: &mut Value,
    key: &str,
    environment: &str,
    attribute: Option<&str>,
    id: &str,
    enabled: bool,
    actor: &str,
    now: &str,
) -> Result<(), ApiError> {
    let flag = doc.get("flags").and_then(|f| f.get(key)).ok_or_else(|| {
        ApiError::new(
            404,
            "flag_not_found",
            format!("flag `{key}` does not exist"),
        )
    })?;
    if flag.get("kind").and_then(Value::as_str) != Some("boolean") {
        return Err(ApiError::new(
            422,
            "not_a_boolean_flag",
            format!("`{key}` is not a boolean flag; target its variants in the admin API instead"),
        ));
    }
    let variant_for = |value: bool| {
        flag.get("variants")
            .and_then(Value::as_object)
            .and_then(|vs| {
                vs.iter()
                    .find(|(_, v)| v.as_bool() == Some(value))
                    .map(|(k, _)| k.clone())
            })
    };
    let wanted = variant_for(enabled).ok_or_else(|| {
        ApiError::new(
            422,
            "no_such_variant",
            format!("`{key}` has no variant whose value is {enabled}"),
        )
    })?;
    let other = variant_for(!enabled);
    let settings = settings_mut(doc, key, environment)?;
    let targets = settings
        .entry("targets")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !targets.is_array() {
        *targets = Value::Array(Vec::new());
    }
    let Some(list) = targets.as_array_mut() else {
        return Ok(());
    };
    // `targetingKey` written out and left out are the same attribute.
    let normal = |a: Option<&str>| a.filter(|a| *a != "targetingKey").map(str::to_string);
    let wanted_attribute = normal(attribute);
    let same_attribute =
        |t: &Value| normal(t.get("attribute").and_then(Value::as_str)) == wanted_attribute;
    // Out of the other variant's targets for this attribute.
    for t in list.iter_mut() {
        if same_attribute(t)
            && t.get("variant").and_then(Value::as_str) == other.as_deref()
            && let Some(values) = t.get_mut("values").and_then(Value::as_array_mut)
        {
            values.retain(|v| v.as_str() != Some(id));
        }
    }
    list.retain(|t| {
        !t.get("values")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    });
    // Into the wanted variant's target (created if there is none).
    let existing = list.iter_mut().find(|t| {
        same_attribute(t) && t.get("variant").and_then(Value::as_str) == Some(wanted.as_str())
    });
    match existing {
        Some(t) => {
            if let Some(values) = t.get_mut("values").and_then(Value::as_array_mut)
                && !values.iter().any(|v| v.as_str() == Some(id))
            {
                values.push(Value::String(id.into()));
            }
        }
        None => {
            let mut t = json!({"values": [id], "variant": wanted});
            if let (Some(attr), Some(fields)) = (attribute, t.as_object_mut()) {
                fields.insert("attribute".into(), Value::String(attr.into()));
            }
            list.push(t);
        }
    }
    touch(doc, key, actor, now);
    Ok(())
}

/// Refuses a document with any error diagnostic (`422`, the diagnostics in `details`).
pub fn validate(document: &Value) -> Result<(), ApiError> {
    let loaded = burgee_core::load_value(document.clone()).map_err(|d| {
        ApiError::new(422, "invalid_document", d.message.clone()).with(json!({"diagnostics": [d]}))
    })?;
    let diagnostics = loaded.validate();
    if diagnostics.iter().any(|d| d.is_error()) {
        let count = diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(ApiError::new(
            422,
            "invalid_document",
            format!("the change leaves {count} error(s) in the document; nothing was saved"),
        )
        .with(json!({"diagnostics": diagnostics})));
    }
    Ok(())
}

/// A structural diff: the JSON Pointers that differ, with the values before and after.
/// Arrays are compared whole (a rule list that changed is one replacement).
pub fn diff(before: &Value, after: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    diff_at(&mut String::new(), before, after, &mut out);
    out
}

fn diff_at(pointer: &mut String, before: &Value, after: &Value, out: &mut Vec<Value>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_at(pointer, x, y, out),
                    (Some(x), None) => {
                        out.push(json!({"pointer": pointer, "op": "remove", "before": x}))
                    }
                    (None, Some(y)) => {
                        out.push(json!({"pointer": pointer, "op": "add", "after": y}))
                    }
                    (None, None) => {}
                }
                pointer.truncate(len);
            }
        }
        (x, y) if x != y => {
            out.push(json!({"pointer": pointer, "op": "replace", "before": x, "after": y}))
        }
        _ => {}
    }
}

/// The flags whose evaluation in `environment` may differ between two documents: their
/// definition or that environment's settings changed, or a segment or prerequisite they use did
/// (conservatively: any segment change counts for every flag using segments).
pub fn changed_flags(before: &Value, after: &Value, environment: &str) -> Vec<String> {
    let flags = |doc: &Value| {
        doc.get("flags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (a, b) = (flags(before), flags(after));
    let view = |flag: &Value| {
        let mut f = flag.clone();
        if let Some(fields) = f.as_object_mut() {
            let env = fields
                .get("environments")
                .and_then(|e| e.get(environment))
                .cloned();
            fields.remove("environments");
            for k in [
                "name",
                "description",
                "tags",
                "metadata",
                "createdAt",
                "createdBy",
                "updatedAt",
                "updatedBy",
            ] {
                fields.remove(k);
            }
            fields.insert("__settings".into(), env.unwrap_or(Value::Null));
        }
        f
    };
    let segments_changed = before.get("segments") != after.get("segments");
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changed: Vec<String> = keys
        .into_iter()
        .filter(|k| {
            let (x, y) = (a.get(*k).map(view), b.get(*k).map(view));
            x != y
                || (segments_changed
                    && y.as_ref()
                        .is_some_and(|f| f.to_string().contains("inSegment")))
        })
        .cloned()
        .collect();
    // Flags whose prerequisites changed change too, transitively.
    loop {
        let more: Vec<String> = b
            .iter()
            .filter(|(k, _)| !changed.contains(k))
            .filter(|(_, f)| {
                f.get("prerequisites")
                    .and_then(Value::as_array)
                    .is_some_and(|ps| {
                        ps.iter().any(|p| {
                            p.get("flag")
                                .and_then(Value::as_str)
                                .is_some_and(|n| changed.iter().any(|c| c == n))
                        })
                    })
            })
            .map(|(k, _)| k.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        changed.extend(more);
    }
    changed.sort();
    changed
}

/// RFC 3339 (UTC, milliseconds) of epoch milliseconds.
pub fn rfc3339(ms: f64) -> String {
    let ms = ms.max(0.0) as i64;
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::from_str(include_str!("../../examples/tasks-app.json")).unwrap()
    }

    #[test]
    fn bodies_are_bounded() {
        assert_eq!(parse_body(b"{oops").unwrap_err().code, "invalid_json");
        assert_eq!(
            parse_body(&vec![b' '; MAX_BODY_BYTES + 1])
                .unwrap_err()
                .status,
            413
        );
        let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
        assert_eq!(
            parse_body(deep.as_bytes()).unwrap_err().code,
            "invalid_json"
        );
        assert_eq!(parse_body(br#"{"a":1}"#).unwrap(), json!({"a": 1}));
    }

    #[test]
    fn if_match() {
        assert_eq!(check_if_match(None, 3).unwrap_err().status, 428);
        assert_eq!(check_if_match(Some("\"2\""), 3).unwrap_err().status, 412);
        assert_eq!(check_if_match(Some("abc"), 3).unwrap_err().status, 400);
        assert!(check_if_match(Some("\"3\""), 3).is_ok());
        assert!(check_if_match(Some("3"), 3).is_ok());
        assert!(check_if_match(Some("W/\"3\""), 3).is_ok());
        assert_eq!(
            check_if_match(Some("\"2\""), 3).unwrap_err().details,
            Some(json!({"currentVersion": 3, "yourVersion": 2}))
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1, 2]});
        merge_patch(&mut t, &json!({"a": [3], "b": {"x": 1}}));
        assert_eq!(t, json!({"a": [3], "b": {"x": 1}}));
    }

    #[test]
    fn flag_writes_stamp_and_summarize() {
        let current = doc();
        let new_flag = json!({"kind": "boolean", "variants": {"on": true, "off": false}, "createdBy": "forged"});
        let c = apply(
            &current,
            Op::Put {
                item: Item::Flag,
                key: "new-one".into(),
                value: new_flag,
            },
            "ana",
            "2026-11-22T00:00:00.000Z",
        )
        .unwrap();
        assert!(c.created && c.action == "create");
        let f = &c.document["flags"]["new-one"];
        assert_eq!(
            (f["createdBy"].as_str(), f["updatedBy"].as_str()),
            (Some("ana"), Some("ana"))
        );
        let replaced = apply(
            &c.document,
            Op::Put {
                item: Item::Flag,
                key: "new-one".into(),
                value: json!({"kind": "boolean", "variants": {"on": true }}),
            },
            "ed",
            "2026-11-23T00:00:00.000Z",
        )
        .unwrap();
        assert_eq!(replaced.document["flags"]["new-one"]["createdBy"], "ana");
        assert_eq!(replaced.document["flags"]["new-one"]["updatedBy"], "ed");
        assert!(validate(&replaced.document).is_ok());
    }

    #[test]
    fn deletes_refuse_what_is_still_used() {
        let current = doc();
        let e = apply(
            &current,
            Op::Delete {
                item: Item::Flag,
                key: "enhanced-task-metadata".into(),
            },
            "a",
            "t",
        )
        .unwrap_err();
        assert_eq!((e.status, e.code), (422, "flag_in_use"));
        let e = apply(
            &current,
            Op::Delete {
                item: Item::Segment,
                key: "beta-testers".into(),
            },
            "a",
            "t",
        )
        .unwrap_err();
        assert_eq!((e.status, e.code), (422, "segment_in_use"));
        assert_eq!(
            apply(
                &current,
                Op::Delete {
                    item: Item::Flag,
                    key: "nope".into()
                },
                "a",
                "t"
            )
            .unwrap_err()
            .status,
            404
        );
        assert!(
            apply(
                &current,
                Op::Delete {
                    item: Item::Flag,
                    key: "checkout-button-color".into()
                },
                "a",
                "t"
            )
            .is_ok()
        );
    }

    #[test]
    fn a_toggle_to_the_same_state_changes_nothing_but_stamps() {
        let current = doc();
        let on = current["flags"]["outbound_calling"]["environments"]["production"]["enabled"]
            .as_bool()
            .unwrap_or(false);
        let same = apply(
            &current,
            Op::Toggle {
                key: "outbound_calling".into(),
                environment: "production".into(),
                enabled: on,
            },
            "a",
            "t",
        )
        .unwrap();
        assert!(same_but_stamps(&current, &same.document));
        let flipped = apply(
            &current,
            Op::Toggle {
                key: "outbound_calling".into(),
                environment: "production".into(),
                enabled: !on,
            },
            "a",
            "t",
        )
        .unwrap();
        assert!(!same_but_stamps(&current, &flipped.document));
    }

    #[test]
    fn toggles_and_targets() {
        let current = doc();
        let c = apply(
            &current,
            Op::Toggle {
                key: "outbound_calling".into(),
                environment: "production".into(),
                enabled: false,
            },
            "a",
            "t",
        )
        .unwrap();
        assert_eq!(
            c.document["flags"]["outbound_calling"]["environments"]["production"]["enabled"],
            false
        );
        assert_eq!(
            apply(
                &current,
                Op::Toggle {
                    key: "outbound_calling".into(),
                    environment: "moon".into(),
                    enabled: false
                },
                "a",
                "t"
            )
            .unwrap_err()
            .status,
            404
        );
        let on = apply(
            &current,
            Op::Target {
                key: "outbound_calling".into(),
                environment: "production".into(),
                attribute: None,
                id: "user-9".into(),
                enabled: true,
            },
            "a",
            "t",
        )
        .unwrap();
        let targets =
            on.document["flags"]["outbound_calling"]["environments"]["production"]["targets"]
                .to_string();
        assert!(targets.contains("user-9"), "{targets}");
        let off = apply(
            &on.document,
            Op::Target {
                key: "outbound_calling".into(),
                environment: "production".into(),
                attribute: None,
                id: "user-9".into(),
                enabled: false,
            },
            "a",
            "t",
        )
        .unwrap();
        let t = &off.document["flags"]["outbound_calling"]["environments"]["production"]["targets"];
        let on_variant_has = t
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["variant"] == "on" && t["values"].to_string().contains("user-9"));
        let off_variant_has = t
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["variant"] == "off" && t["values"].to_string().contains("user-9"));
        assert!(!on_variant_has && off_variant_has, "{t}");
        assert!(validate(&off.document).is_ok());
        let e = apply(
            &current,
            Op::Target {
                key: "checkout-button-color".into(),
                environment: "production".into(),
                attribute: None,
                id: "u".into(),
                enabled: true,
            },
            "a",
            "t",
        )
        .unwrap_err();
        assert_eq!(e.status, 422);
        let org = apply(
            &current,
            Op::Target {
                key: "sms_campaigns".into(),
                environment: "production".into(),
                attribute: Some("orgId".into()),
                id: "org-new".into(),
                enabled: true,
            },
            "a",
            "t",
        )
        .unwrap();
        assert!(validate(&org.document).is_ok());
    }

    #[test]
    fn invalid_results_are_refused_with_pointers() {
        let current = doc();
        let c = apply(
            &current,
            Op::Patch {
                item: Item::Flag,
                key: "outbound_calling".into(),
                patch: json!({"environments": {"production": {"offVariant": "nope" }}}),
            },
            "a",
            "t",
        )
        .unwrap();
        let e = validate(&c.document).unwrap_err();
        assert_eq!((e.status, e.code), (422, "invalid_document"));
        assert!(
            e.details
                .unwrap()
                .to_string()
                .contains("/flags/outbound_calling/environments/production/offVariant")
        );
    }

    #[test]
    fn diffs_and_changed_flags() {
        let a = doc();
        let b = apply(
            &a,
            Op::Toggle {
                key: "outbound_calling".into(),
                environment: "production".into(),
                enabled: false,
            },
            "x",
            "t",
        )
        .unwrap()
        .document;
        let d = diff(&a, &b);
        assert!(d.iter().any(|c| c["pointer"]
            == "/flags/outbound_calling/environments/production/enabled"
            && c["op"] == "replace"));
        assert_eq!(
            changed_flags(&a, &b, "production"),
            vec!["outbound_calling".to_string()]
        );
        assert!(changed_flags(&a, &b, "staging").is_empty());
        let c = apply(
            &a,
            Op::Toggle {
                key: "enhanced-task-metadata".into(),
                environment: "production".into(),
                enabled: false,
            },
            "x",
            "t",
        )
        .unwrap()
        .document;
        let changed = changed_flags(&a, &c, "production");
        assert!(
            changed.contains(&"daily-planning".to_string()),
            "dependents change too: {changed:?}"
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_115_600_123.0), "2026-12-01T09:00:00.123Z");
        assert_eq!(
            burgee_core::time::parse_rfc3339(&rfc3339(951_782_400_500.0)),
            Some(951_782_400_500)
        );
    }
}
