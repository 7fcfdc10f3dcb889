//! Where the app is: the part of the URL after `#`.
//!
//! The app lives at `/admin/` with relative asset URLs, so every screen must be the same
//! document: routes are fragments (`/admin/#/flags/daily-planning`), which need no fallback
//! routing on the server and survive a reload. Creating is `#/new/flag`, outside `#/flags/`, so
//! that every key, `new` included, has its own page.
//!
//! What follows a flag's key is the part of its page on screen (`#/flags/x/env/production`,
//! `#/flags/x/preview`): the same page, so it is not part of the [`Route`]; the editor reads it
//! with [`Route::part`] and writes it with [`Route::href_with`]. Keys in fragments are
//! percent-encoded as the admin API's paths are.

use burgee_api::{percent_decode, percent_encode};

use super::audit::AuditQuery;
use super::review::RequestQuery;

/// The `name=value` pairs of the part after `?` in an address, decoded and trimmed.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(&value.replace('+', " ")).trim().to_string();
            (name.to_string(), value)
        })
        .collect()
}

/// `?a=1&b=2` from the pairs whose value is not empty, or nothing when none is.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let joined: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(n, v)| format!("{n}={}", percent_encode(v.trim())))
        .collect();
    if joined.is_empty() {
        String::new()
    } else {
        format!("?{}", joined.join("&"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Flags,
    NewFlag,
    Flag(String),
    Segments,
    NewSegment,
    Segment(String),
    Evaluate,
    History,
    Stale,
    /// The change requests, filtered (`#/requests?status=open`).
    Requests(RequestQuery),
    /// One change request (`#/requests/4`).
    Request(u64),
    /// The store's audit log, filtered (`#/audit?actor=ada&env=production`).
    Audit(AuditQuery),
    NotFound(String),
}

impl Route {
    /// Reads `#/flags/x` (or `/flags/x`, or nothing for the start page).
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] | ["flags"] => Route::Flags,
            ["requests"] => Route::Requests(RequestQuery::parse(query)),
            ["requests", id] => match id.parse() {
                Ok(id) => Route::Request(id),
                Err(_) => Route::NotFound(path.to_string()),
            },
            ["new", "flag"] => Route::NewFlag,
            ["flags", key, ..] => Route::Flag(percent_decode(key)),
            ["segments"] => Route::Segments,
            ["new", "segment"] => Route::NewSegment,
            ["segments", key] => Route::Segment(percent_decode(key)),
            ["evaluate"] => Route::Evaluate,
            ["history"] => Route::History,
            ["stale"] => Route::Stale,
            ["audit"] => Route::Audit(AuditQuery::parse(query)),
            _ => Route::NotFound(path.to_string()),
        }
    }

    /// What follows a flag's key (`env/production` in `#/flags/x/env/production`), decoded
    /// segment by segment; `None` on any other route or with nothing after the key.
    pub fn part(hash: &str) -> Option<Vec<String>> {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let path = path.split('?').next().unwrap_or_default();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            ["flags", _, rest @ ..] if !rest.is_empty() => {
                Some(rest.iter().map(|p| percent_decode(p)).collect())
            }
            _ => None,
        }
    }

    /// The link to a part of this route's page (`#/flags/x/env/production`).
    pub fn href_with(&self, part: &[&str]) -> String {
        let mut href = self.href();
        for p in part {
            href.push('/');
            href.push_str(&percent_encode(p));
        }
        href
    }

    /// The link to this route (`#/flags/x`).
    pub fn href(&self) -> String {
        match self {
            Route::Flags => "#/flags".into(),
            Route::NewFlag => "#/new/flag".into(),
            Route::Flag(key) => format!("#/flags/{}", percent_encode(key)),
            Route::Segments => "#/segments".into(),
            Route::NewSegment => "#/new/segment".into(),
            Route::Segment(key) => format!("#/segments/{}", percent_encode(key)),
            Route::Evaluate => "#/evaluate".into(),
            Route::History => "#/history".into(),
            Route::Stale => "#/stale".into(),
            Route::Requests(query) => format!("#/requests{}", query.to_query()),
            Route::Request(id) => format!("#/requests/{id}"),
            Route::Audit(query) => format!("#/audit{}", query.to_query()),
            Route::NotFound(path) => format!("#/{path}"),
        }
    }

    /// The navigation section the route belongs to.
    pub fn section(&self) -> &'static str {
        match self {
            Route::Flags | Route::NewFlag | Route::Flag(_) => "flags",
            Route::Segments | Route::NewSegment | Route::Segment(_) => "segments",
            Route::Evaluate => "evaluate",
            Route::History => "history",
            Route::Stale => "stale",
            Route::Requests(_) | Route::Request(_) => "requests",
            Route::Audit(_) => "audit",
            Route::NotFound(_) => "",
        }
    }

    /// The page title.
    pub fn title(&self) -> String {
        match self {
            Route::Flags => "Flags".into(),
            Route::NewFlag => "New flag".into(),
            Route::Flag(key) => format!("Flag {key}"),
            Route::Segments => "Segments".into(),
            Route::NewSegment => "New segment".into(),
            Route::Segment(key) => format!("Segment {key}"),
            Route::Evaluate => "Evaluate as".into(),
            Route::History => "History".into(),
            Route::Stale => "Stale flags".into(),
            Route::Requests(_) => "Change requests".into(),
            Route::Request(id) => format!("Change request #{id}"),
            Route::Audit(_) => "Audit log".into(),
            Route::NotFound(_) => "Not found".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_round_trip() {
        for route in [
            Route::Flags,
            Route::NewFlag,
            Route::Flag("daily-planning".into()),
            Route::Flag("a b/c".into()),
            // Any key is a flag's page, `new` too: creating lives elsewhere.
            Route::Flag("new".into()),
            Route::Segment("new".into()),
            Route::Segments,
            Route::NewSegment,
            Route::Segment("beta".into()),
            Route::Evaluate,
            Route::History,
            Route::Stale,
            Route::Requests(RequestQuery::default()),
            Route::Requests(RequestQuery::parse("status=open&flag=a%20b")),
            Route::Request(4),
            Route::Audit(AuditQuery::default()),
            Route::Audit(AuditQuery::parse("actor=ada&env=production&flag=a%20b")),
        ] {
            assert_eq!(Route::parse(&route.href()), route, "{}", route.href());
        }
        assert_eq!(Route::parse(""), Route::Flags);
        assert_eq!(Route::parse("#/"), Route::Flags);
        assert_eq!(
            Route::parse("#/nope/x/y"),
            Route::NotFound("nope/x/y".into())
        );
        assert_eq!(Route::Flag("x".into()).section(), "flags");
    }

    #[test]
    fn a_flag_page_part_is_the_same_route() {
        let flag = Route::Flag("a b".into());
        for part in [
            &["env", "production"][..],
            &["env", "eu/west"],
            &["preview"],
        ] {
            let href = flag.href_with(part);
            assert_eq!(Route::parse(&href), flag, "{href}");
            assert_eq!(
                Route::part(&href),
                Some(part.iter().map(|p| p.to_string()).collect())
            );
        }
        assert_eq!(flag.href_with(&[]), flag.href());
        assert_eq!(Route::part(&flag.href()), None);
        assert_eq!(Route::part("#/segments/x/y"), None);
    }
}
