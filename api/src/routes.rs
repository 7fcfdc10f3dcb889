//! The admin API's routes: method, path pattern and the least role each needs, in one table.
//!
//! The edge worker matches a request against it to authenticate and authorise before anything
//! else happens (`401`/`403`/`405` without touching the store); the control plane dispatches
//! the same [`Route`] to its handler; the admin app builds its URLs from it. A route added here
//! is therefore authorised, dispatched and callable, or the build says which end lacks it.

use crate::role::Role;

/// Every admin route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteId {
    Whoami,
    Document,
    ReplaceDocument,
    Export,
    Import,
    Validate,
    Flags,
    Flag,
    PutFlag,
    PatchFlag,
    DeleteFlag,
    Toggle,
    Segments,
    Segment,
    PutSegment,
    PatchSegment,
    DeleteSegment,
    History,
    Version,
    Diff,
    Restore,
    Audit,
    Evaluate,
    Publication,
    /// Usage metrics of one flag (the metrics store answers, not the writer).
    Metrics,
    /// Every counter in the Prometheus text format.
    MetricsPrometheus,
    /// An experiment's readout for one flag and event.
    MetricsReadout,
    /// Every flag's use per environment (last evaluated, variants served): the list and the
    /// stale-flag page read it.
    MetricsUsage,
    /// Soft-deletes a flag.
    ArchiveFlag,
    /// Brings an archived flag back.
    UnarchiveFlag,
    AllOff,
    UndoAllOff,
    /// Test deployments only (`ALLOW_FAULT_INJECTION`): makes the store's KV writes fail.
    Faults,
    /// Public: how people sign in here (whether single sign-on is configured).
    AuthConfig,
    /// Public: starts an OpenID Connect sign-in (a redirect to the provider).
    AuthLogin,
    /// Public: the provider's redirect back; sets the session.
    AuthCallback,
    /// Public: ends the session (clears its cookies).
    AuthLogout,
    /// One flag as it was in an older version, as a new version.
    RevertFlag,
    RevertSegment,
    /// Every environment's review policy.
    Policies,
    /// One environment's review policy (approvals, reason, kill-switch exemption).
    Policy,
    PutPolicy,
    ChangeRequests,
    CreateChangeRequest,
    ChangeRequest,
    ApproveChangeRequest,
    RejectChangeRequest,
    ApplyChangeRequest,
    /// The operators' kill switch: `PUT /feature-flags/{key}`.
    ShortcutToggle,
    ShortcutUser,
    ShortcutOrg,
}

/// `(route, method, pattern, least role)`. `{name}` matches one non-empty path segment.
const TABLE: &[(RouteId, &str, &str, Role)] = &[
    (RouteId::Whoami, "GET", "/api/v1/whoami", Role::Viewer),
    (RouteId::Document, "GET", "/api/v1/document", Role::Viewer),
    (
        RouteId::ReplaceDocument,
        "PUT",
        "/api/v1/document",
        Role::Editor,
    ),
    (RouteId::Export, "GET", "/api/v1/export", Role::Viewer),
    (RouteId::Import, "POST", "/api/v1/import", Role::Admin),
    (RouteId::Validate, "POST", "/api/v1/validate", Role::Viewer),
    (RouteId::Flags, "GET", "/api/v1/flags", Role::Viewer),
    (RouteId::Flag, "GET", "/api/v1/flags/{key}", Role::Viewer),
    (RouteId::PutFlag, "PUT", "/api/v1/flags/{key}", Role::Editor),
    (
        RouteId::PatchFlag,
        "PATCH",
        "/api/v1/flags/{key}",
        Role::Editor,
    ),
    (
        RouteId::DeleteFlag,
        "DELETE",
        "/api/v1/flags/{key}",
        Role::Editor,
    ),
    (
        RouteId::Toggle,
        "POST",
        "/api/v1/flags/{key}/toggle",
        Role::Editor,
    ),
    (RouteId::Segments, "GET", "/api/v1/segments", Role::Viewer),
    (
        RouteId::Segment,
        "GET",
        "/api/v1/segments/{key}",
        Role::Viewer,
    ),
    (
        RouteId::PutSegment,
        "PUT",
        "/api/v1/segments/{key}",
        Role::Editor,
    ),
    (
        RouteId::PatchSegment,
        "PATCH",
        "/api/v1/segments/{key}",
        Role::Editor,
    ),
    (
        RouteId::DeleteSegment,
        "DELETE",
        "/api/v1/segments/{key}",
        Role::Editor,
    ),
    (RouteId::History, "GET", "/api/v1/history", Role::Viewer),
    (
        RouteId::Version,
        "GET",
        "/api/v1/history/{version}",
        Role::Viewer,
    ),
    (RouteId::Diff, "GET", "/api/v1/diff", Role::Viewer),
    (
        RouteId::Restore,
        "POST",
        "/api/v1/restore/{version}",
        Role::Admin,
    ),
    (RouteId::Audit, "GET", "/api/v1/audit", Role::Viewer),
    (RouteId::Evaluate, "POST", "/api/v1/evaluate", Role::Viewer),
    (
        RouteId::Publication,
        "GET",
        "/api/v1/publication",
        Role::Viewer,
    ),
    (RouteId::Metrics, "GET", "/api/v1/metrics", Role::Viewer),
    (
        RouteId::MetricsPrometheus,
        "GET",
        "/api/v1/metrics/prometheus",
        Role::Viewer,
    ),
    (
        RouteId::MetricsReadout,
        "GET",
        "/api/v1/metrics/readout",
        Role::Viewer,
    ),
    (
        RouteId::MetricsUsage,
        "GET",
        "/api/v1/metrics/usage",
        Role::Viewer,
    ),
    (
        RouteId::ArchiveFlag,
        "POST",
        "/api/v1/flags/{key}/archive",
        Role::Editor,
    ),
    (
        RouteId::UnarchiveFlag,
        "POST",
        "/api/v1/flags/{key}/unarchive",
        Role::Editor,
    ),
    (
        RouteId::AllOff,
        "POST",
        "/api/v1/environments/{env}/all-off",
        Role::Editor,
    ),
    (
        RouteId::UndoAllOff,
        "POST",
        "/api/v1/environments/{env}/all-off/undo",
        Role::Editor,
    ),
    (RouteId::Faults, "PUT", "/api/v1/test/faults", Role::Admin),
    (RouteId::AuthConfig, "GET", "/api/v1/auth", Role::Viewer),
    (
        RouteId::AuthLogin,
        "GET",
        "/api/v1/auth/login",
        Role::Viewer,
    ),
    (
        RouteId::AuthCallback,
        "GET",
        "/api/v1/auth/callback",
        Role::Viewer,
    ),
    (
        RouteId::AuthLogout,
        "POST",
        "/api/v1/auth/logout",
        Role::Viewer,
    ),
    (
        RouteId::RevertFlag,
        "POST",
        "/api/v1/flags/{key}/revert",
        Role::Editor,
    ),
    (
        RouteId::RevertSegment,
        "POST",
        "/api/v1/segments/{key}/revert",
        Role::Editor,
    ),
    (RouteId::Policies, "GET", "/api/v1/policies", Role::Viewer),
    (
        RouteId::Policy,
        "GET",
        "/api/v1/environments/{env}/policy",
        Role::Viewer,
    ),
    (
        RouteId::PutPolicy,
        "PUT",
        "/api/v1/environments/{env}/policy",
        Role::Admin,
    ),
    (
        RouteId::ChangeRequests,
        "GET",
        "/api/v1/change-requests",
        Role::Viewer,
    ),
    (
        RouteId::CreateChangeRequest,
        "POST",
        "/api/v1/change-requests",
        Role::Editor,
    ),
    (
        RouteId::ChangeRequest,
        "GET",
        "/api/v1/change-requests/{id}",
        Role::Viewer,
    ),
    (
        RouteId::ApproveChangeRequest,
        "POST",
        "/api/v1/change-requests/{id}/approve",
        Role::Editor,
    ),
    (
        RouteId::RejectChangeRequest,
        "POST",
        "/api/v1/change-requests/{id}/reject",
        Role::Editor,
    ),
    (
        RouteId::ApplyChangeRequest,
        "POST",
        "/api/v1/change-requests/{id}/apply",
        Role::Editor,
    ),
    (
        RouteId::ShortcutToggle,
        "PUT",
        "/feature-flags/{key}",
        Role::Editor,
    ),
    (
        RouteId::ShortcutUser,
        "POST",
        "/feature-flags/{key}/user/{id}",
        Role::Editor,
    ),
    (
        RouteId::ShortcutOrg,
        "POST",
        "/feature-flags/{key}/org/{id}",
        Role::Editor,
    ),
];

/// A request matched to a route, with its decoded path parameters in pattern order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub id: RouteId,
    pub params: Vec<String>,
}

/// Why a request is not an admin route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Miss {
    /// No admin path looks like this.
    NotAdmin,
    /// The path is an admin route's, the method is not: the methods it takes.
    MethodNotAllowed(Vec<&'static str>),
}

fn segments(path: &str) -> Vec<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let trimmed = path.trim_end_matches('/');
    trimmed.split('/').skip(1).collect()
}

/// Matches `path` against a pattern; the decoded parameters when it fits.
fn fit(pattern: &str, path: &[&str]) -> Option<Vec<String>> {
    let pattern = segments(pattern);
    if pattern.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, s) in pattern.iter().zip(path) {
        if p.starts_with('{') {
            if s.is_empty() {
                return None;
            }
            params.push(percent_decode(s));
        } else if p != s {
            return None;
        }
    }
    Some(params)
}

impl Route {
    /// The route of `method` and `path` (the path may carry a query, which is ignored).
    pub fn parse(method: &str, path: &str) -> Result<Route, Miss> {
        let path = segments(path);
        let mut allowed = Vec::new();
        for (id, m, pattern, _) in TABLE {
            if let Some(params) = fit(pattern, &path) {
                if *m == method || (*m == "GET" && method == "HEAD") {
                    return Ok(Route { id: *id, params });
                }
                allowed.push(*m);
            }
        }
        if allowed.is_empty() {
            Err(Miss::NotAdmin)
        } else {
            Err(Miss::MethodNotAllowed(allowed))
        }
    }

    /// The first path parameter (a key, an environment or a version).
    pub fn param(&self) -> &str {
        self.params.first().map_or("", String::as_str)
    }
}

impl RouteId {
    /// Whether the metrics store answers this route (the writer answers every other one).
    pub fn is_metrics(self) -> bool {
        matches!(
            self,
            RouteId::Metrics
                | RouteId::MetricsPrometheus
                | RouteId::MetricsReadout
                | RouteId::MetricsUsage
        )
    }

    /// The environments' review policies and the change requests (the writer answers them
    /// outside the plan of a write: they hold, review and apply writes).
    pub fn is_review(self) -> bool {
        matches!(
            self,
            RouteId::Policies
                | RouteId::Policy
                | RouteId::PutPolicy
                | RouteId::ChangeRequests
                | RouteId::CreateChangeRequest
                | RouteId::ChangeRequest
                | RouteId::ApproveChangeRequest
                | RouteId::RejectChangeRequest
                | RouteId::ApplyChangeRequest
        )
    }

    /// The sign-in routes, which anyone may call (their `min_role` is nominal): the front door
    /// forwards them without asking who is calling.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            RouteId::AuthConfig | RouteId::AuthLogin | RouteId::AuthCallback | RouteId::AuthLogout
        )
    }

    fn row(self) -> (&'static str, &'static str, Role) {
        TABLE
            .iter()
            .find(|(id, ..)| *id == self)
            .map_or(("GET", "/", Role::Admin), |(_, m, p, r)| (*m, *p, *r))
    }

    pub const ALL: &'static [RouteId] = &[
        RouteId::Whoami,
        RouteId::Document,
        RouteId::ReplaceDocument,
        RouteId::Export,
        RouteId::Import,
        RouteId::Validate,
        RouteId::Flags,
        RouteId::Flag,
        RouteId::PutFlag,
        RouteId::PatchFlag,
        RouteId::DeleteFlag,
        RouteId::Toggle,
        RouteId::Segments,
        RouteId::Segment,
        RouteId::PutSegment,
        RouteId::PatchSegment,
        RouteId::DeleteSegment,
        RouteId::History,
        RouteId::Version,
        RouteId::Diff,
        RouteId::Restore,
        RouteId::Audit,
        RouteId::Evaluate,
        RouteId::Publication,
        RouteId::Metrics,
        RouteId::MetricsPrometheus,
        RouteId::MetricsReadout,
        RouteId::MetricsUsage,
        RouteId::ArchiveFlag,
        RouteId::UnarchiveFlag,
        RouteId::AllOff,
        RouteId::UndoAllOff,
        RouteId::Faults,
        RouteId::AuthConfig,
        RouteId::AuthLogin,
        RouteId::AuthCallback,
        RouteId::AuthLogout,
        RouteId::RevertFlag,
        RouteId::RevertSegment,
        RouteId::Policies,
        RouteId::Policy,
        RouteId::PutPolicy,
        RouteId::ChangeRequests,
        RouteId::CreateChangeRequest,
        RouteId::ChangeRequest,
        RouteId::ApproveChangeRequest,
        RouteId::RejectChangeRequest,
        RouteId::ApplyChangeRequest,
        RouteId::ShortcutToggle,
        RouteId::ShortcutUser,
        RouteId::ShortcutOrg,
    ];

    pub fn method(self) -> &'static str {
        self.row().0
    }

    pub fn pattern(self) -> &'static str {
        self.row().1
    }

    /// The least role that may call it.
    pub fn min_role(self) -> Role {
        self.row().2
    }

    /// Whether it changes the store (and so needs `If-Match`, except for the shortcuts).
    pub fn writes(self) -> bool {
        !matches!(self.method(), "GET" | "HEAD")
            && !matches!(self, RouteId::Validate | RouteId::Evaluate)
            && !self.is_public()
    }

    /// The path with `params` filled in, in order, percent-encoded.
    pub fn path(self, params: &[&str]) -> String {
        let mut params = params.iter();
        let mut out = String::new();
        for segment in segments(self.pattern()) {
            out.push('/');
            if segment.starts_with('{') {
                out.push_str(&percent_encode(params.next().copied().unwrap_or_default()));
            } else {
                out.push_str(segment);
            }
        }
        out
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `%XX` escapes of a path segment (`+` stays `+`); invalid escapes stay as written and
/// invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? * 16 + hex(*bytes.get(i + 2)?)?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for one path segment or
/// query value.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(method: &str, path: &str) -> Option<RouteId> {
        Route::parse(method, path).ok().map(|r| r.id)
    }

    #[test]
    fn every_route_parses_its_own_path() {
        for route in RouteId::ALL {
            let params: Vec<&str> = segments(route.pattern())
                .iter()
                .filter(|s| s.starts_with('{'))
                .map(|_| "a b/c")
                .collect();
            let path = route.path(&params);
            let parsed = Route::parse(route.method(), &path);
            assert_eq!(parsed.as_ref().map(|r| r.id), Ok(*route), "{path}");
            assert!(parsed.is_ok_and(|r| r.params.iter().all(|p| p == "a b/c")));
        }
        assert_eq!(RouteId::ALL.len(), TABLE.len());
    }

    #[test]
    fn roles_and_misses() {
        assert_eq!(RouteId::Document.min_role(), Role::Viewer);
        assert_eq!(RouteId::PatchFlag.min_role(), Role::Editor);
        assert_eq!(RouteId::Restore.min_role(), Role::Admin);
        assert_eq!(RouteId::Import.min_role(), Role::Admin);
        assert_eq!(id("GET", "/api/v1/flags/x/"), Some(RouteId::Flag));
        assert_eq!(id("HEAD", "/api/v1/document"), Some(RouteId::Document));
        assert_eq!(id("GET", "/api/v1/flags?x=1"), Some(RouteId::Flags));
        assert_eq!(
            Route::parse("DELETE", "/api/v1/document"),
            Err(Miss::MethodNotAllowed(vec!["GET", "PUT"]))
        );
        assert_eq!(
            Route::parse("POST", "/api/v1/flags/x"),
            Err(Miss::MethodNotAllowed(vec![
                "GET", "PUT", "PATCH", "DELETE"
            ]))
        );
        assert_eq!(Route::parse("GET", "/api/v1/nothing"), Err(Miss::NotAdmin));
        assert_eq!(
            Route::parse("GET", "/feature-flags/x"),
            Err(Miss::MethodNotAllowed(vec!["PUT"]))
        );
        assert_eq!(
            Route::parse("GET", "/api/v1/flags//toggle"),
            Err(Miss::NotAdmin)
        );
        assert!(RouteId::Toggle.writes() && !RouteId::Validate.writes());
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_encode("daily-planning"), "daily-planning");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
        assert_eq!(percent_decode("a%20b%2Fc+d"), "a b/c+d");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
