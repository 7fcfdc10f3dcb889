//! The admin API's contract, in one place for both of its ends.
//!
//! The edge worker (which authenticates and forwards), the control plane (which answers) and
//! the admin app (which calls) must agree on every route, the role each needs, the shape of
//! every error and the types of history and audit entries. When each kept its own copy they
//! drifted; here they are written once, and the app depends on this crate instead of on the
//! worker. It carries no I/O and no compiler: only names, shapes and the route table.

mod error;
mod metrics;
mod mount;
mod review;
mod role;
mod routes;
mod types;

pub use error::{ApiError, Code, ErrorBody, ErrorDetail};
pub use metrics::{MetricsBody, MetricsPoint, ReadoutBody, UsageBody, UsageEntry};
pub use mount::{DEFAULT_API_MOUNT, DEFAULT_APP_MOUNT, Mounted, Mounts, mounted};
pub use review::{
    ChangeRequest, ChangeRequestBody, ChangeRequestsBody, MAX_APPROVALS, NewChangeRequest,
    PoliciesBody, Policy, PolicyBody, RequestStatus, Review, Verdict,
};
pub use role::{EnvironmentRoles, Role, highest_role, role_in, roles_from_header, roles_to_header};
pub use routes::{Miss, Route, RouteId, percent_decode, percent_encode};
pub use types::*;
