//! Which data-plane route a request is for, decided without `worker::Router`.
//!
//! The router builds its matching tree on every request (measured: tens of microseconds, more
//! than an evaluation), and the evaluation routes are the ones every user request touches, so
//! they are matched here by a plain function of the method and path. Everything else (the admin
//! API, the origin fallback) still goes through the router.

use worker::Method;

/// A data-plane route and its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OfrepConfiguration,
    /// `GET /v1/snapshot/{env}`.
    Snapshot,
    /// `GET /v1/stream/{env}`: the change stream.
    Stream,
    OfrepBulk,
    OfrepOne {
        key: String,
    },
    RestAll,
    RestOne {
        key: String,
    },
    /// `OPTIONS` on any of the evaluation routes.
    Preflight,
    /// `POST /v1/metrics`: a client's usage batch.
    MetricsIngest,
    /// `OPTIONS /v1/metrics` (credentialed, for beacons).
    MetricsPreflight,
}

/// The route, and the environment named by the path (`/env/{env}/…` or the snapshot's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub route: Route,
    pub environment: Option<String>,
}

fn decode(segment: &str) -> String {
    burgee_api::percent_decode(segment)
}

/// The path of a request's URL as the runtime serialised it (scheme, host, then a path that
/// always starts with `/`), without its query or fragment, still percent-encoded.
pub fn path_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = url.get(after_scheme..).unwrap_or_default();
    // The host ends at the first `/`, `?` or `#`; only a `/` starts a path.
    let path = match rest.find(['/', '?', '#']) {
        Some(i) if rest.get(i..i + 1) == Some("/") => rest.get(i..).unwrap_or("/"),
        _ => "/",
    };
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path.get(..end).unwrap_or(path).to_string()
}

/// Matches a data-plane route; `None` for anything else.
pub fn route(method: &Method, path: &str) -> Option<Matched> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let (environment, rest) = match segments.as_slice() {
        ["env", env, rest @ ..] if !env.is_empty() => (Some(decode(env)), rest),
        rest => (None, rest),
    };
    let get = matches!(method, Method::Get | Method::Head);
    let options = *method == Method::Options;
    let post = *method == Method::Post;
    let route = match rest {
        ["health"] | ["feature-flags", "health"] if get && environment.is_none() => Route::Health,
        ["ofrep", "v1", "configuration"] if get && environment.is_none() => {
            Route::OfrepConfiguration
        }
        ["v1", "snapshot", env] if environment.is_none() && !env.is_empty() => {
            let route = if options {
                Route::Preflight
            } else if get {
                Route::Snapshot
            } else {
                return None;
            };
            return Some(Matched {
                route,
                environment: Some(decode(env)),
            });
        }
        ["v1", "stream", env] if environment.is_none() && !env.is_empty() => {
            let route = if options {
                Route::Preflight
            } else if get {
                Route::Stream
            } else {
                return None;
            };
            return Some(Matched {
                route,
                environment: Some(decode(env)),
            });
        }
        ["v1", "metrics"] if post => Route::MetricsIngest,
        ["v1", "metrics"] if options => Route::MetricsPreflight,
        ["ofrep", "v1", "evaluate", "flags"] if post => Route::OfrepBulk,
        ["ofrep", "v1", "evaluate", "flags", key] if post && !key.is_empty() => {
            Route::OfrepOne { key: decode(key) }
        }
        ["ofrep", "v1", "evaluate", "flags"] | ["ofrep", "v1", "evaluate", "flags", _]
            if options =>
        {
            Route::Preflight
        }
        ["feature-flags"] if get => Route::RestAll,
        ["feature-flags", key] if get && !key.is_empty() => Route::RestOne { key: decode(key) },
        ["feature-flags"] | ["feature-flags", _] if options => Route::Preflight,
        _ => return None,
    };
    Some(Matched { route, environment })
}

/// A data-plane path asked with a method it does not take (`405`, not `404`): `/health` and
/// the OFREP and REST evaluation paths. (Admin methods on `/feature-flags/…` are the router's.)
pub fn known_path(path: &str) -> bool {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    matches!(path, "/health" | "/ofrep/v1/configuration")
        || path.ends_with("/v1/metrics")
        || path.ends_with("/ofrep/v1/evaluate/flags")
        || path.contains("/ofrep/v1/evaluate/flags/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(method: Method, path: &str) -> Option<(Route, Option<&'static str>)> {
        route(&method, path).map(|m| {
            let env: Option<&'static str> = m.environment.map(|e| &*Box::leak(e.into_boxed_str()));
            (m.route, env)
        })
    }

    #[test]
    fn paths_of_urls() {
        for (url, path) in [
            ("https://example.com/", "/"),
            ("https://example.com", "/"),
            (
                "http://127.0.0.1:8787/ofrep/v1/evaluate/flags",
                "/ofrep/v1/evaluate/flags",
            ),
            (
                "https://example.com/feature-flags?userId=a/b",
                "/feature-flags",
            ),
            ("https://example.com/a%3F%23b#/frag?x", "/a%3F%23b"),
            ("https://example.com?q=/x", "/"),
        ] {
            assert_eq!(path_of(url), path, "{url}");
        }
    }

    #[test]
    fn data_plane_routes() {
        assert_eq!(m(Method::Get, "/health"), Some((Route::Health, None)));
        assert_eq!(m(Method::Head, "/health"), Some((Route::Health, None)));
        assert_eq!(
            m(Method::Get, "/feature-flags/health"),
            Some((Route::Health, None))
        );
        assert_eq!(
            m(Method::Post, "/ofrep/v1/evaluate/flags"),
            Some((Route::OfrepBulk, None))
        );
        assert_eq!(
            m(
                Method::Post,
                "/env/staging/ofrep/v1/evaluate/flags/my%2Dflag"
            ),
            Some((
                Route::OfrepOne {
                    key: "my-flag".into()
                },
                Some("staging")
            ))
        );
        assert_eq!(
            m(Method::Options, "/ofrep/v1/evaluate/flags/x"),
            Some((Route::Preflight, None))
        );
        assert_eq!(
            m(Method::Get, "/feature-flags"),
            Some((Route::RestAll, None))
        );
        assert_eq!(
            m(Method::Get, "/feature-flags/"),
            Some((Route::RestAll, None))
        );
        assert_eq!(
            m(Method::Get, "/env/dev/feature-flags/a"),
            Some((Route::RestOne { key: "a".into() }, Some("dev")))
        );
        assert_eq!(
            m(Method::Get, "/v1/snapshot/production"),
            Some((Route::Snapshot, Some("production")))
        );
        assert_eq!(
            m(Method::Options, "/v1/snapshot/production"),
            Some((Route::Preflight, Some("production")))
        );
        assert_eq!(
            m(Method::Get, "/ofrep/v1/configuration"),
            Some((Route::OfrepConfiguration, None))
        );
        assert_eq!(
            m(Method::Post, "/env/staging/v1/metrics"),
            Some((Route::MetricsIngest, Some("staging")))
        );
        assert_eq!(
            m(Method::Options, "/v1/metrics"),
            Some((Route::MetricsPreflight, None))
        );
    }

    #[test]
    fn everything_else_is_left_to_the_router() {
        for (method, path) in [
            (Method::Post, "/health"),
            (Method::Get, "/ofrep/v1/evaluate/flags"),
            (Method::Put, "/feature-flags/x"),
            (Method::Post, "/feature-flags/x/user/u1"),
            (Method::Get, "/"),
            (Method::Get, "/admin/"),
            (Method::Get, "/v1/snapshot/"),
            (Method::Get, "/env//feature-flags"),
            (Method::Get, "/calls/dashboard"),
            (Method::Get, "/v1/metrics"),
        ] {
            assert_eq!(route(&method, path), None, "{method:?} {path}");
        }
    }
}
