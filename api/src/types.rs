//! The bodies the admin API reads and answers, and its limits.
//!
//! Types that carry a document or a flag are generic over it (`D`): the store fills them with
//! the core's typed model, the admin app reads them into the same model, and this crate never
//! needs the compiler.

use std::collections::BTreeMap;

use burgee_core::EvaluationResult;
use burgee_core::json::JsonChange;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::role::Role;

/// Largest body of an entry write (a flag, a segment, a patch) and of every other route.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest body of a whole-document write (`PUT /document`, `import`).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Deepest JSON nesting the API reads.
pub const MAX_DEPTH: usize = 64;
/// Most flags a document may hold.
pub const MAX_FLAGS: usize = 10_000;
/// Most segments a document may hold.
pub const MAX_SEGMENTS: usize = 10_000;
/// Largest stored form of one flag, one segment, or the rest of the document (environments and
/// unknown top-level fields), in bytes of JSON.
pub const MAX_ENTRY_BYTES: usize = 1024 * 1024;
/// Largest compiled snapshot of one environment, in bytes (Workers KV takes 25 MiB a value).
pub const MAX_SNAPSHOT_BYTES: usize = 20 * 1024 * 1024;

/// The largest body the route takes.
pub fn body_limit(route: crate::RouteId) -> usize {
    match route {
        crate::RouteId::ReplaceDocument
        | crate::RouteId::Import
        | crate::RouteId::Validate
        | crate::RouteId::CreateChangeRequest => MAX_DOCUMENT_BYTES,
        _ => MAX_BODY_BYTES,
    }
}

/// `GET /api/v1/whoami`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub role: Role,
    /// Roles that differ by environment (`{"production": "viewer"}`): what the caller may do
    /// there, as the store checks it, so that an app can say so before asking.
    #[serde(default, skip_serializing_if = "crate::EnvironmentRoles::is_empty")]
    pub environments: crate::EnvironmentRoles,
}

impl Identity {
    /// The caller's role in `environment` ([`crate::role_in`]).
    pub fn role_in(&self, environment: &str) -> Role {
        crate::role_in(self.role, &self.environments, environment)
    }
}

/// The answer of a write: the version it made (or the current one, when it changed nothing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub version: u64,
    #[serde(default)]
    pub summary: String,
}

/// `GET /api/v1/document`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentBody<D> {
    pub version: u64,
    pub document: D,
}

/// One version in the history: who made it, when (RFC 3339), how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEntry {
    pub version: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub summary: String,
    /// Why, in the author's words (`X-Burgee-Reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /api/v1/history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryBody {
    pub versions: Vec<VersionEntry>,
}

/// `GET /api/v1/history/{version}`: the entry and the whole document as it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionDocument<D> {
    #[serde(flatten)]
    pub entry: VersionEntry,
    pub document: D,
}

/// `GET /api/v1/diff`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffBody {
    pub from: u64,
    pub to: u64,
    pub changes: Vec<JsonChange>,
}

/// One entry of the audit log (never trimmed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// `flags/<key>`, `segments/<key>`, `environments/<env>` or `document`.
    pub target: String,
    pub version: u64,
    pub summary: String,
    /// The flags the change concerns.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Why, in the author's words (`X-Burgee-Reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The environments whose service the change reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// `GET /api/v1/audit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditBody {
    pub entries: Vec<AuditEntry>,
}

/// `POST /api/v1/flags/{key}/toggle`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToggleRequest {
    pub environment: String,
    pub enabled: bool,
}

/// `POST /api/v1/evaluate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluateRequest {
    pub environment: String,
    #[serde(default)]
    pub context: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
}

/// The answer of `POST /api/v1/evaluate`: every flag as the store's current version evaluates it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluateBody {
    pub version: u64,
    pub environment: String,
    pub results: BTreeMap<String, EvaluationResult>,
}

/// The answer of the `/feature-flags` shortcuts: the flag's settings in that environment now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShortcutBody<S> {
    pub version: u64,
    pub flag: String,
    pub environment: String,
    pub settings: S,
}

/// The answer of the all-off shortcut and its undo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchedBody {
    pub version: u64,
    pub environment: String,
    pub summary: String,
    /// The flags it switched.
    pub flags: Vec<String>,
}

/// How far one published key (`snapshot:<env>`, `public:<env>`) is behind the store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPublication {
    /// The store version whose content the key must hold.
    pub revision: u64,
    /// The version the key is known to hold in Workers KV.
    pub published: u64,
    /// Epoch ms when `revision` was committed.
    pub revision_at: f64,
    /// Epoch ms since when the key has been behind (the first commit KV lacks); `None` while it
    /// holds its revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behind_since: Option<f64>,
    /// Consecutive failed writes of this key.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Epoch ms of the first failure of the current run of failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<f64>,
}

/// One failed or late publication, for `GET /api/v1/publication`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicationEvent {
    pub at: String,
    pub key: String,
    pub revision: u64,
    pub message: String,
}

/// `GET /api/v1/publication`: the store's version, each key's state, and recent failures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicationBody {
    pub version: u64,
    pub keys: BTreeMap<String, KeyPublication>,
    pub events: Vec<PublicationEvent>,
}
