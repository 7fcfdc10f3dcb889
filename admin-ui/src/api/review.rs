//! The calls of four eyes: the environments' review policies and the change requests, which
//! the requests pages make (the writes that become requests are the app's ordinary writes,
//! answered [`ApiError::Held`]).

use burgee_api::{
    ChangeRequest, ChangeRequestBody, ChangeRequestsBody, PoliciesBody, Policy, PolicyBody,
    RouteId, Verdict,
};

use super::{Api, ApiError, decode, to_json};
use crate::state::review::RequestQuery;

impl Api {
    /// The requests `query` selects, newest first.
    pub async fn change_requests(
        &self,
        query: &RequestQuery,
    ) -> Result<Vec<ChangeRequest>, ApiError> {
        let route = RouteId::ChangeRequests;
        let url = format!("{}{}", route.path(&[]), query.to_query());
        Ok(self.get::<ChangeRequestsBody>(route, &url).await?.requests)
    }

    /// Request `id` with the whole document it proposes.
    pub async fn change_request(&self, id: u64) -> Result<ChangeRequestBody, ApiError> {
        let route = RouteId::ChangeRequest;
        self.get(route, &route.path(&[&id.to_string()])).await
    }

    /// Approves (`approve`) or rejects request `id`, with `comment`.
    pub async fn review_request(
        &self,
        id: u64,
        approve: bool,
        comment: &str,
    ) -> Result<ChangeRequestBody, ApiError> {
        let route = if approve {
            RouteId::ApproveChangeRequest
        } else {
            RouteId::RejectChangeRequest
        };
        let body = to_json(&Verdict {
            comment: comment.to_string(),
        })?;
        let url = route.path(&[&id.to_string()]);
        decode(&self.send(route, &url, None, Some(body)).await?)
    }

    /// Writes request `id` as a new version.
    pub async fn apply_request(&self, id: u64) -> Result<ChangeRequestBody, ApiError> {
        let route = RouteId::ApplyChangeRequest;
        let url = route.path(&[&id.to_string()]);
        decode(&self.send(route, &url, None, None).await?)
    }

    /// Every environment that has a review policy.
    pub async fn policies(&self) -> Result<PoliciesBody, ApiError> {
        let route = RouteId::Policies;
        self.get(route, &route.path(&[])).await
    }

    /// Environment `environment`'s policy, and whether the deployment requires a reason there.
    pub async fn policy(&self, environment: &str) -> Result<PolicyBody, ApiError> {
        let route = RouteId::Policy;
        self.get(route, &route.path(&[environment])).await
    }

    /// Those of `environments` where a write must say why (their policy or the deployment
    /// requires it). One that cannot be asked counts as not requiring it: the store still
    /// refuses the write without a reason, and that refusal is shown.
    pub async fn needing_reason(&self, environments: &[String]) -> Vec<String> {
        let mut needing = Vec::new();
        for env in environments {
            if let Ok(p) = self.policy(env).await
                && (p.policy.reason_required || p.reason_required_by_deployment)
            {
                needing.push(env.clone());
            }
        }
        needing
    }

    pub async fn put_policy(
        &self,
        environment: &str,
        policy: &Policy,
    ) -> Result<PolicyBody, ApiError> {
        let route = RouteId::PutPolicy;
        let url = route.path(&[environment]);
        decode(&self.send(route, &url, None, Some(to_json(policy)?)).await?)
    }
}
