//! What the origin and the browser are handed: which request headers reach the origin, the
//! evaluated flags as a header and as a bootstrap script, and how a page that carries them is
//! cached.
//!
//! The flags handed on are the client-side ones only (the public snapshot's): the origin may
//! echo its header into a page, and the bootstrap script is in the page, so neither carries a
//! flag the document keeps off the client. A page with a bootstrap is personalised: its
//! validators are the origin's, for a page that did not have the script, so they go, and no
//! shared cache may keep it.

/// The largest `X-Burgee-Flags` value sent to the origin, in bytes. Past it the header is left
/// out and `X-Burgee-Flags-Omitted: too-large` sent instead (servers commonly refuse requests
/// whose headers exceed 8–16 KB in all, and a cut JSON text would be no flags at all); the
/// bootstrap script, which has no such limit, still carries every client-side flag.
pub const FLAGS_HEADER_LIMIT: usize = 8 * 1024;

/// The `X-Burgee-Flags-Omitted` value sent in place of a flags header over the limit.
pub const FLAGS_OMITTED: &str = "too-large";

/// JSON text with every non-ASCII character and `<`, `>`, `&` escaped, so it is safe in an
/// HTTP header and inside an HTML `<script>` element. (Outside strings JSON text is ASCII
/// without those characters, so escaping the text escapes exactly the strings.)
pub fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str("\\u");
                    for shift in [12, 8, 4, 0] {
                        let digit = u32::from((*unit >> shift) & 15);
                        out.push(char::from_digit(digit, 16).unwrap_or('0'));
                    }
                }
            }
        }
    }
    out
}

/// The `X-Burgee-Flags` value for the flags' values (JSON text), or `None` past
/// [`FLAGS_HEADER_LIMIT`].
pub fn flags_header(values_json: &str) -> Option<String> {
    Some(ascii_json(values_json)).filter(|v| v.len() <= FLAGS_HEADER_LIMIT)
}

/// The bootstrap element for a page, around its JSON (already [`ascii_json`]).
pub fn bootstrap_script(json: &str) -> String {
    format!("<script id=\"burgee-bootstrap\" type=\"application/json\">{json}</script>")
}

/// Whether a request header is passed on to the origin: not `Host` (the origin's own), and no
/// `X-Burgee-*` header, which only the edge may set.
pub fn forwarded(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name != "host" && !name.starts_with("x-burgee-")
}

/// Whether an answer with this status gets a bootstrap when it is HTML: not an empty answer
/// (`204`, `205`, `304`), not a range of a page (`206`), not a redirect.
pub fn injectable(status: u16) -> bool {
    matches!(status, 200..=203 | 207..=299 | 400..=599)
}

/// Headers of a personalised page that are dropped or replaced: the body's length and
/// encoding change, the origin's validators describe another body, and its caching is
/// replaced by [`PERSONALISED_CACHE_CONTROL`] and [`personalised_vary`].
pub fn dropped_from_personalised(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "content-length"
            | "content-encoding"
            | "etag"
            | "last-modified"
            | "cache-control"
            | "expires"
            | "vary"
    )
}

pub const PERSONALISED_CACHE_CONTROL: &str = "private, no-store";

/// The `Vary` of a personalised page: the origin's names, and what the visitor's context
/// comes from (the cookie, the token, and the user header when it is trusted), each name once
/// whatever its case; `*` (varies on everything) stays `*`.
pub fn personalised_vary(origin: Option<&str>, user_header: Option<&str>) -> String {
    let mut names: Vec<&str> = Vec::new();
    let given = origin.unwrap_or_default().split(',');
    for name in given.chain(["Cookie", "Authorization"]).chain(user_header) {
        let name = name.trim();
        if name == "*" {
            return "*".into();
        }
        if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name);
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn the_bootstrap_cannot_close_its_script() {
        let data = ascii_json(
            &json!({"flags": {"x": "</script><script>alert(1)</script>", "ü": true, "e": "😀 & \u{2028}"}})
                .to_string(),
        );
        assert!(!data.contains("</script>") && !data.contains('<') && data.is_ascii());
        assert!(
            data.contains("\\u00fc") && data.contains("\\ud83d\\ude00"),
            "{data}"
        );
        assert!(
            data.contains("\\u2028") && data.contains("\\u0026"),
            "{data}"
        );
        let parsed: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(parsed["flags"]["ü"], true);
        assert_eq!(parsed["flags"]["x"], "</script><script>alert(1)</script>");
        assert_eq!(parsed["flags"]["e"], "😀 & \u{2028}");
        assert_eq!(
            bootstrap_script("{}"),
            "<script id=\"burgee-bootstrap\" type=\"application/json\">{}</script>"
        );
    }

    #[test]
    fn the_flags_header_has_a_cap() {
        assert_eq!(
            flags_header(r#"{"a":"é"}"#).as_deref(),
            Some(r#"{"a":"\u00e9"}"#)
        );
        let at_limit = format!("\"{}\"", "x".repeat(FLAGS_HEADER_LIMIT - 2));
        assert!(flags_header(&at_limit).is_some());
        let over = format!("\"{}\"", "x".repeat(FLAGS_HEADER_LIMIT - 1));
        assert!(flags_header(&over).is_none());
        // The cap counts the escaped header, not the JSON.
        let escaped_over = format!("\"{}\"", "é".repeat(FLAGS_HEADER_LIMIT / 6 + 1));
        assert!(flags_header(&escaped_over).is_none());
    }

    #[test]
    fn only_the_edge_sets_burgee_headers() {
        for name in [
            "X-Burgee-Environment",
            "x-burgee-flags",
            "X-BURGEE-USER",
            "x-burgee-",
        ] {
            assert!(!forwarded(name), "{name}");
        }
        assert!(!forwarded("Host"));
        for name in [
            "Cookie",
            "Authorization",
            "X-Burgee",
            "x-burgeeflags",
            "Accept",
        ] {
            assert!(forwarded(name), "{name}");
        }
    }

    #[test]
    fn which_answers_get_a_bootstrap() {
        for status in [200, 201, 203, 404, 500] {
            assert!(injectable(status), "{status}");
        }
        for status in [101, 204, 205, 206, 301, 302, 304, 307] {
            assert!(!injectable(status), "{status}");
        }
    }

    #[test]
    fn personalised_pages_are_not_shared() {
        for name in [
            "ETag",
            "last-modified",
            "Cache-Control",
            "Content-Length",
            "Vary",
        ] {
            assert!(dropped_from_personalised(name), "{name}");
        }
        for name in ["Content-Type", "Set-Cookie", "X-Frame-Options"] {
            assert!(!dropped_from_personalised(name), "{name}");
        }
        assert_eq!(personalised_vary(None, None), "Cookie, Authorization");
        assert_eq!(
            personalised_vary(Some("Accept-Encoding"), None),
            "Accept-Encoding, Cookie, Authorization"
        );
        assert_eq!(
            personalised_vary(
                Some("cookie, Accept-Encoding,,authorization"),
                Some("X-User")
            ),
            "cookie, Accept-Encoding, authorization, X-User"
        );
        assert_eq!(personalised_vary(Some("Origin, *"), None), "*");
    }
}
