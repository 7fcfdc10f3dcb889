//! Reviewed changes: each environment's policy (how many approvals a change there needs,
//! whether it must say why, whether the kill switch may skip review) and the change requests
//! that wait for those approvals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The most approvals an environment can require.
pub const MAX_APPROVALS: u8 = 5;

/// `PUT /api/v1/environments/{env}/policy`, and what `GET` answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Approvals by other people a change needs before it is applied (0: none, written at
    /// once).
    #[serde(default)]
    pub approvals: u8,
    /// A change must say why (`X-Burgee-Reason`).
    #[serde(default)]
    pub reason_required: bool,
    /// Switching flags off (a kill switch, all-off) skips the approvals, audited as exempt.
    #[serde(default)]
    pub kill_switch_exempt: bool,
}

impl Policy {
    /// The policy in words: "1 approval, a reason required, kill switches exempt".
    pub fn describe(&self) -> String {
        let mut parts = vec![match self.approvals {
            0 => "no approvals".to_string(),
            1 => "1 approval".to_string(),
            n => format!("{n} approvals"),
        }];
        if self.reason_required {
            parts.push("a reason required".into());
        }
        if self.kill_switch_exempt {
            parts.push("kill switches exempt".into());
        }
        parts.join(", ")
    }
}

/// `GET /api/v1/environments/{env}/policy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyBody {
    pub environment: String,
    pub policy: Policy,
    /// The deployment's own configuration requires a reason here (`PROTECTED_ENVIRONMENTS`),
    /// whatever the policy says.
    #[serde(default)]
    pub reason_required_by_deployment: bool,
}

/// `GET /api/v1/policies`: every environment that has a policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliciesBody {
    pub policies: BTreeMap<String, Policy>,
}

/// Where a change request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for approvals, or approved and not applied yet.
    Open,
    Rejected,
    Applied,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Applied => "applied",
        }
    }

    pub fn parse(text: &str) -> Option<RequestStatus> {
        [
            RequestStatus::Open,
            RequestStatus::Rejected,
            RequestStatus::Applied,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One person's answer to a change request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub actor: String,
    /// `approve` or `reject`.
    pub verdict: String,
    pub comment: String,
    pub at: String,
}

/// A change waiting for approval. `document` (the whole proposed document) is in the answer
/// of one request, not in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequest {
    pub id: u64,
    pub status: RequestStatus,
    pub author: String,
    pub created_at: String,
    /// The version the change was made on; applying it needs that version to be current.
    pub base_version: u64,
    /// What it changes, in words.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The environments whose service it changes.
    pub environments: Vec<String>,
    /// The flags it changes.
    pub flags: Vec<String>,
    pub segments: Vec<String>,
    /// Approvals needed, from the policies of its environments now.
    pub approvals_required: u8,
    /// Approvals and rejections since it was made (or last rebased).
    pub reviews: Vec<Review>,
    /// The version it became when applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
}

impl ChangeRequest {
    /// Approvals by people other than the author in the current round (each person once).
    pub fn approvals(&self) -> usize {
        let mut people: Vec<&str> = self
            .reviews
            .iter()
            .filter(|v| v.verdict == "approve" && v.actor != self.author)
            .map(|v| v.actor.as_str())
            .collect();
        people.sort_unstable();
        people.dedup();
        people.len()
    }
}

/// `GET /api/v1/change-requests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeRequestsBody {
    pub requests: Vec<ChangeRequest>,
}

/// `POST /api/v1/change-requests`: the whole document as it should become, on `baseVersion`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewChangeRequest {
    pub base_version: u64,
    pub document: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/v1/change-requests/{id}/approve | reject | apply`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    #[serde(default)]
    pub comment: String,
}

/// The answer of a write that became a change request (`202`), and of approve and reject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequestBody {
    pub request: ChangeRequest,
    /// The version the store is at.
    pub version: u64,
}
