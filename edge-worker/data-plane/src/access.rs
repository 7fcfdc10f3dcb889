//! Who may call which admin route: the one place the role policy lives. The data-plane worker
//! authenticates admin requests with it before it forwards them to the control plane's
//! Durable Object (see [`crate::routes`]).

/// Largest request body the admin API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The admin routes, and the role each needs. `None`: not an admin route (the data plane's, or
/// unknown). The change stream is public and not listed here.
pub fn required_role(method: &str, path: &str) -> Option<crate::auth::Role> {
    use crate::auth::Role::{Admin, Editor, Viewer};
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    Some(match (method, segments.as_slice()) {
        (
            "GET",
            [
                "api",
                "v1",
                "whoami" | "document" | "export" | "flags" | "segments" | "history" | "diff"
                | "audit",
            ],
        ) => Viewer,
        ("GET", ["api", "v1", "flags" | "segments" | "history", _]) => Viewer,
        ("POST", ["api", "v1", "evaluate" | "validate"]) => Viewer,
        ("PUT", ["api", "v1", "document"]) => Editor,
        ("PUT" | "PATCH" | "DELETE", ["api", "v1", "flags" | "segments", _]) => Editor,
        ("POST", ["api", "v1", "flags", _, "toggle"]) => Editor,
        ("POST", ["api", "v1", "import"]) => Admin,
        ("POST", ["api", "v1", "restore", _]) => Admin,
        ("PUT", ["feature-flags", _]) => Editor,
        ("POST", ["feature-flags", _, "user" | "org", _]) => Editor,
        _ => return None,
    })
}

/// The methods an admin path takes (for `405` and `Allow` when it is called with another).
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    ["GET", "PUT", "PATCH", "POST", "DELETE"]
        .into_iter()
        .filter(|m| required_role(m, path).is_some())
        .collect()
}

/// Every admin route with a representative path, for tests that go through them all.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/whoami"),
    ("GET", "/api/v1/document"),
    ("PUT", "/api/v1/document"),
    ("GET", "/api/v1/export"),
    ("POST", "/api/v1/import"),
    ("POST", "/api/v1/validate"),
    ("GET", "/api/v1/flags"),
    ("GET", "/api/v1/flags/outbound_calling"),
    ("PUT", "/api/v1/flags/outbound_calling"),
    ("PATCH", "/api/v1/flags/outbound_calling"),
    ("DELETE", "/api/v1/flags/checkout-button-color"),
    ("POST", "/api/v1/flags/outbound_calling/toggle"),
    ("GET", "/api/v1/segments"),
    ("GET", "/api/v1/segments/beta-testers"),
    ("PUT", "/api/v1/segments/beta-testers"),
    ("PATCH", "/api/v1/segments/beta-testers"),
    ("DELETE", "/api/v1/segments/beta-testers"),
    ("GET", "/api/v1/history"),
    ("GET", "/api/v1/history/1"),
    ("GET", "/api/v1/diff"),
    ("POST", "/api/v1/restore/1"),
    ("GET", "/api/v1/audit"),
    ("POST", "/api/v1/evaluate"),
    ("PUT", "/feature-flags/outbound_calling"),
    ("POST", "/feature-flags/outbound_calling/user/u1"),
    ("POST", "/feature-flags/outbound_calling/org/o1"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn every_listed_route_has_a_role() {
        for (method, path) in ROUTES {
            assert!(required_role(method, path).is_some(), "{method} {path}");
        }
        assert_eq!(required_role("GET", "/api/v1/document"), Some(Role::Viewer));
        assert_eq!(
            required_role("PATCH", "/api/v1/flags/x"),
            Some(Role::Editor)
        );
        assert_eq!(
            required_role("POST", "/api/v1/restore/3"),
            Some(Role::Admin)
        );
        assert_eq!(required_role("POST", "/api/v1/import"), Some(Role::Admin));
        assert_eq!(
            required_role("GET", "/feature-flags/x"),
            None,
            "the REST read is the data plane's"
        );
        assert_eq!(required_role("DELETE", "/api/v1/document"), None);
        assert_eq!(allowed_methods("/api/v1/document"), ["GET", "PUT"]);
        assert_eq!(
            allowed_methods("/api/v1/flags/x"),
            ["GET", "PUT", "PATCH", "DELETE"]
        );
        assert!(allowed_methods("/api/v1/nothing").is_empty());
    }
}
