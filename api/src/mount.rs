//! Where a deployment mounts the admin app and the admin API.
//!
//! A worker that fronts a customer's site must not take their `/admin` or `/api`: both mounts
//! are variables (`ADMIN_PATH`, `ADMIN_API_PATH`). The route table keeps its canonical paths
//! (`/api/v1/…`); the edge translates a mounted path to its route path, and the app builds
//! mounted URLs from route paths, so the store and the table never see a mount.

/// The admin app's mount when `ADMIN_PATH` is not set.
pub const DEFAULT_APP_MOUNT: &str = "/admin";
/// The admin API's mount when `ADMIN_API_PATH` is not set: its routes are `{mount}/v1/…`.
pub const DEFAULT_API_MOUNT: &str = "/api";
/// Where every route path of the API starts, whatever the mount.
const API_ROUTES: &str = "/api";
/// Where the app's files are in the asset directory, whatever the mount.
const APP_FILES: &str = "/admin";

/// First path segments the edge's own routes use: no mount may take them.
const RESERVED: &[&str] = &["v1", "ofrep", "feature-flags", "env", "health"];

/// The app's and the API's mounts, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mounts {
    app: String,
    api: String,
}

/// What a request path is, given the mounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mounted {
    /// An admin-API path: the route path the table and the store know (`/api/v1/…`).
    Api(String),
    /// The app's mount without its trailing slash: redirect to `{app}/`.
    AppRoot,
    /// A file of the app (or a deep link): its path in the app's asset directory (`/admin/…`).
    App(String),
    /// Neither.
    Other,
}

/// Checks one mount: an absolute path of plain segments, no trailing slash, not the root and
/// not one of the edge's own paths.
fn check(name: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    let bad = |why: &str| Err(format!("{name} = {value:?}: {why}"));
    let Some(rest) = value.strip_prefix('/') else {
        return bad("it must start with `/`");
    };
    if rest.is_empty() {
        return bad("it cannot be the root (`/`): the edge's own routes are there");
    }
    if value.len() > 64 {
        return bad("it is longer than 64 characters");
    }
    for segment in rest.split('/') {
        let plain = segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if segment.is_empty() || segment == "." || segment == ".." || !plain {
            return bad(
                "each segment must be letters, digits, `-`, `_`, `.` or `~` (no empty, `.` or `..` segment, no trailing `/`)",
            );
        }
    }
    let first = rest.split('/').next().unwrap_or_default();
    if RESERVED.contains(&first) {
        return bad(&format!(
            "`/{first}` is one of the edge's own paths ({})",
            RESERVED.join(", ")
        ));
    }
    Ok(value.to_string())
}

/// `rest` of `path` after `mount`, if `path` is the mount or below it (segment-wise).
fn below<'p>(path: &'p str, mount: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(mount)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

impl Default for Mounts {
    fn default() -> Self {
        Mounts {
            app: DEFAULT_APP_MOUNT.into(),
            api: DEFAULT_API_MOUNT.into(),
        }
    }
}

impl Mounts {
    /// The mounts from the variables' values (`None`: the default), or why they cannot be used.
    pub fn parse(app: Option<&str>, api: Option<&str>) -> Result<Mounts, String> {
        let app = check("ADMIN_PATH", app.unwrap_or(DEFAULT_APP_MOUNT))?;
        let api = check("ADMIN_API_PATH", api.unwrap_or(DEFAULT_API_MOUNT))?;
        if app == api {
            return Err(format!(
                "ADMIN_PATH and ADMIN_API_PATH are both {app:?}: they must differ"
            ));
        }
        Ok(Mounts { app, api })
    }

    pub fn app(&self) -> &str {
        &self.app
    }

    pub fn api(&self) -> &str {
        &self.api
    }

    /// What `path` (a request's path, without its query) is. The API's `{mount}/v1` is looked
    /// at first, so the API may sit below the app's mount.
    pub fn classify(&self, path: &str) -> Mounted {
        if let Some(rest) = below(path, &self.api).and_then(|r| below(r, "/v1")) {
            return Mounted::Api(format!("{API_ROUTES}/v1{rest}"));
        }
        match below(path, &self.app) {
            Some("") => Mounted::AppRoot,
            Some(rest) => Mounted::App(format!("{APP_FILES}{rest}")),
            None => Mounted::Other,
        }
    }

    /// Whether `path` is in the route table's own namespace (`/api/…`) while the API is
    /// mounted elsewhere: such a path is not the admin API's here (the origin's, or a `404`).
    pub fn unmounted_api_path(&self, path: &str) -> bool {
        self.api != API_ROUTES && below(path, API_ROUTES).is_some()
    }
}

/// The URL path of route path `route_path` (`/api/v1/…`) under the API mount `api`.
pub fn mounted(api: &str, route_path: &str) -> String {
    match below(route_path, API_ROUTES) {
        Some(rest) => format!("{}{rest}", api.trim_end_matches('/')),
        None => route_path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_admin_and_api() {
        let m = Mounts::parse(None, None).unwrap();
        assert_eq!(m, Mounts::default());
        assert_eq!(
            m.classify("/api/v1/flags/x"),
            Mounted::Api("/api/v1/flags/x".into())
        );
        assert_eq!(m.classify("/api/v1"), Mounted::Api("/api/v1".into()));
        assert_eq!(m.classify("/admin"), Mounted::AppRoot);
        assert_eq!(m.classify("/admin/"), Mounted::App("/admin/".into()));
        assert_eq!(
            m.classify("/admin/boot.js"),
            Mounted::App("/admin/boot.js".into())
        );
        for other in [
            "/administrator",
            "/api",
            "/api/v2/x",
            "/apiv1",
            "/",
            "/calls",
        ] {
            assert_eq!(m.classify(other), Mounted::Other, "{other}");
        }
        assert!(!m.unmounted_api_path("/api/v1/flags"));
    }

    #[test]
    fn custom_mounts_free_admin_and_api_for_the_site() {
        let m = Mounts::parse(Some("/_burgee/admin"), Some("/_burgee/api")).unwrap();
        assert_eq!(
            m.classify("/_burgee/api/v1/document"),
            Mounted::Api("/api/v1/document".into())
        );
        assert_eq!(m.classify("/_burgee/admin"), Mounted::AppRoot);
        assert_eq!(
            m.classify("/_burgee/admin/style.css"),
            Mounted::App("/admin/style.css".into())
        );
        for site in [
            "/admin/",
            "/admin",
            "/api/v1/document",
            "/_burgee",
            "/_burgee/apix/v1",
        ] {
            assert_eq!(m.classify(site), Mounted::Other, "{site}");
        }
        assert!(m.unmounted_api_path("/api/v1/document"));
        assert!(m.unmounted_api_path("/api"));
        assert!(!m.unmounted_api_path("/apis"));
        assert_eq!(
            mounted(m.api(), "/api/v1/flags/a%2Fb"),
            "/_burgee/api/v1/flags/a%2Fb"
        );
        assert_eq!(mounted(m.api(), "/feature-flags/x"), "/feature-flags/x");
    }

    #[test]
    fn the_api_may_sit_below_the_app() {
        let m = Mounts::parse(Some("/flags"), Some("/flags/api")).unwrap();
        assert_eq!(
            m.classify("/flags/api/v1/whoami"),
            Mounted::Api("/api/v1/whoami".into())
        );
        assert_eq!(
            m.classify("/flags/api/other"),
            Mounted::App("/admin/api/other".into())
        );
    }

    #[test]
    fn bad_mounts_are_refused_with_the_variable_named() {
        for (app, api, names) in [
            ("admin", "/api", "ADMIN_PATH"),
            ("/", "/api", "ADMIN_PATH"),
            ("/admin/", "/api", "ADMIN_PATH"),
            ("/a//b", "/api", "ADMIN_PATH"),
            ("/a/../b", "/api", "ADMIN_PATH"),
            ("/a b", "/api", "ADMIN_PATH"),
            ("/a%2Fb", "/api", "ADMIN_PATH"),
            ("/admin", "/v1", "ADMIN_API_PATH"),
            ("/admin", "/feature-flags/x", "ADMIN_API_PATH"),
            ("/health", "/api", "ADMIN_PATH"),
            ("/same", "/same", "both"),
        ] {
            let e = Mounts::parse(Some(app), Some(api)).unwrap_err();
            assert!(e.contains(names), "{app} {api}: {e}");
        }
        let long = format!("/{}", "a".repeat(64));
        assert!(Mounts::parse(Some(&long), None).is_err());
    }
}
