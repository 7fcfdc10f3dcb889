//! How the two scripts address each other: the headers the data plane vouches for a caller
//! with, the relays' paths, and which relay serves a location.
//!
//! None of these are public routes: the control plane has no route of its own, and Durable
//! Objects are reachable only through bindings, so a client can never send these headers to
//! the store (the data plane overwrites them on every forwarded request).

/// The authenticated caller's name (the audit log's actor).
pub const ACTOR: &str = "X-Burgee-Actor";
/// The authenticated caller's role.
pub const ROLE: &str = "X-Burgee-Role";
/// Why the caller makes a write, percent-encoded UTF-8 (a client's `X-Burgee-Reason`, which the
/// front door passes on).
pub const REASON: &str = "X-Burgee-Reason";
/// Cloudflare Access's assertion (`Cf-Access-Jwt-Assertion`) of a request with no token and no
/// session, for the store to verify; with the request's `Origin`, for writes.
pub const ACCESS_ASSERTION: &str = "X-Burgee-Access-Assertion";
pub const ORIGIN: &str = "X-Burgee-Origin";
/// The caller's roles that differ by environment (`burgee_api::roles_to_header`).
pub const ENVIRONMENT_ROLES: &str = "X-Burgee-Environment-Roles";
/// `1` when the caller's token may write without the approvals an environment requires.
pub const BYPASS_APPROVALS: &str = "X-Burgee-Bypass-Approvals";
/// The environment a shortcut names by header.
pub const ENVIRONMENT: &str = "X-Burgee-Environment";
/// The project a forwarded request is for (the store remembers it to name its relays).
pub const PROJECT: &str = "X-Burgee-Project";
/// The name of the relay an isolate asks (the relay registers under it with the writer).
pub const RELAY_NAME: &str = "X-Burgee-Relay";
/// The revision of a snapshot a relay serves or receives.
pub const REVISION: &str = "X-Burgee-Revision";

/// Relay paths (a relay is a Durable Object; these are its own `fetch` paths).
pub mod relay {
    /// `GET`: the beacon, JSON. `PUT` (writer only): a new beacon and change log.
    pub const BEACON: &str = "/beacon";
    /// `GET /snapshot/<key>`: the bytes and [`super::REVISION`]. `PUT` (writer only): new bytes.
    pub const SNAPSHOT: &str = "/snapshot/";
    /// `GET /changes?environment=<env>&since=<version>`: [`crate::beacon::Changes`].
    pub const CHANGES: &str = "/changes";
}

/// The writer's path a relay pulls its whole state from when it starts empty.
pub const RELAY_STATE: &str = "/internal/relay-state";

/// On a forwarded admin request: the data plane refused it. `unauthenticated`: a token or
/// session that does not verify (the store counts and audits the failed sign-in and answers
/// `401`, or `429` past the limit); `anonymous`: nothing presented (`401`, not counted); any
/// other value is the message of a `403`.
pub const DENIED: &str = "X-Burgee-Denied";
/// On every forwarded admin request: the client's address (`CF-Connecting-IP`), which failed
/// sign-ins are counted by.
pub const CLIENT_ADDRESS: &str = "X-Burgee-Client-Address";

/// On forwarded sign-in requests: where the admin API and app are mounted, so the store can
/// name the callback URL, scope the cookies and send people back to the app.
pub const API_MOUNT: &str = "X-Burgee-Api-Mount";
pub const APP_MOUNT: &str = "X-Burgee-App-Mount";

/// The Durable Object location hints the relays can be placed at.
pub const REGIONS: &[&str] = &[
    "wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me",
];

/// The relay of a project in a region (`global` when the deployment runs one relay).
pub fn relay_name(project: &str, region: &str) -> String {
    format!("{project}:relay:{region}")
}

/// The configured region nearest a location, from the request's continent and longitude
/// (Cloudflare's `request.cf`). `configured` is the deployment's list (`RELAY_REGIONS`); with
/// one entry (or none: `global`) every location uses it.
pub fn region_for<'a>(
    configured: &'a [String],
    continent: Option<&str>,
    longitude: Option<f32>,
) -> &'a str {
    let wanted = match (continent, longitude) {
        (Some("NA"), Some(lon)) if lon < -100.0 => "wnam",
        (Some("NA"), _) => "enam",
        (Some("SA"), _) => "sam",
        (Some("EU"), Some(lon)) if lon > 20.0 => "eeur",
        (Some("EU"), _) => "weur",
        (Some("AS"), Some(lon)) if lon < 60.0 => "me",
        (Some("AS"), _) => "apac",
        (Some("OC"), _) => "oc",
        (Some("AF"), _) => "afr",
        _ => "enam",
    };
    configured
        .iter()
        .find(|r| *r == wanted)
        .or_else(|| configured.first())
        .map_or("global", String::as_str)
}

/// The metrics store's path that takes an isolate's batch of counts (`POST`, JSON).
pub const METRICS_INGEST: &str = "/internal/metrics";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_pick_their_region_or_the_first() {
        let all: Vec<String> = REGIONS.iter().map(|r| r.to_string()).collect();
        assert_eq!(region_for(&all, Some("EU"), Some(2.3)), "weur");
        assert_eq!(region_for(&all, Some("EU"), Some(37.6)), "eeur");
        assert_eq!(region_for(&all, Some("NA"), Some(-122.4)), "wnam");
        assert_eq!(region_for(&all, Some("AS"), Some(139.7)), "apac");
        assert_eq!(region_for(&all, None, None), "enam");
        let two = vec!["weur".to_string(), "enam".to_string()];
        assert_eq!(region_for(&two, Some("OC"), Some(151.2)), "weur");
        assert_eq!(region_for(&[], Some("EU"), None), "global");
        assert_eq!(relay_name("default", "weur"), "default:relay:weur");
    }
}
