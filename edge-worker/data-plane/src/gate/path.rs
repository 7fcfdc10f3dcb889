//! Request paths in the one form the gate matches and the origin receives.
//!
//! A gate that compares the path as received is walked around by every other spelling an origin
//! reads as the same resource: `//calls/x`, `/%63alls/x`, `/calls;p/x`, `/x/../calls/x`. So the
//! path is first brought to one form: escapes of unreserved characters decoded (other escapes
//! kept, with upper-case hex), `;` parameters dropped, empty and `.` segments removed, `..`
//! segments resolved (also spelled `%2e`). Case is kept here; prefixes match regardless of
//! ASCII case ([`super::Gates::gate_for`]).
//!
//! The origin is sent this form, not the original: then the gate has decided for exactly the
//! path the origin serves, with no second reading of it that could differ. (The price: `;`
//! parameters, which some Java servers use for sessions, do not reach the origin.)
//!
//! A path that cannot be brought to one form without guessing how the origin would read it is
//! refused: an encoded `/`, `\` or `;` inside a segment (one origin splits there, another does
//! not), a backslash, a control character (raw or encoded), an invalid escape, an encoded `%`
//! (`%252e` is `.` to an origin that decodes twice), a `..` that climbs above the root.

/// Why a path is refused.
pub type Refusal = &'static str;

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Appends one segment (without its `;` parameters) to `out` with its escapes decided.
fn decode(segment: &[u8], out: &mut Vec<u8>) -> Result<(), Refusal> {
    let mut bytes = segment.iter();
    while let Some(&b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let mut digit = || {
            bytes
                .next()
                .and_then(|&d| hex(d))
                .ok_or("an invalid percent escape")
        };
        let byte = digit()? << 4 | digit()?;
        match byte {
            b'/' | b'\\' | b';' => return Err("an encoded `/`, `\\` or `;` inside a segment"),
            b'%' => return Err("an encoded `%` (read once or twice?)"),
            0..=0x1f | 0x7f => return Err("a control character"),
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => {
                out.push(b);
            }
            b => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.extend([b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
        }
    }
    Ok(())
}

/// The canonical form of a request path (no query), or why it has none.
pub fn normalize(path: &str) -> Result<String, Refusal> {
    let rest = path.strip_prefix('/').ok_or("it does not start with `/`")?;
    if path.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') {
        return Err("a control character or a backslash");
    }
    let mut out = Vec::with_capacity(path.len());
    let mut segment = Vec::new();
    let mut trailing_slash = false;
    for raw in rest.split('/') {
        segment.clear();
        decode(
            raw.split(';').next().unwrap_or_default().as_bytes(),
            &mut segment,
        )?;
        trailing_slash = true;
        match &segment[..] {
            b"" | b"." => {}
            b".." => {
                let parent = out.iter().rposition(|&b| b == b'/');
                out.truncate(parent.ok_or("a `..` segment above the root")?);
            }
            _ => {
                out.push(b'/');
                out.extend_from_slice(&segment);
                trailing_slash = false;
            }
        }
    }
    if trailing_slash || out.is_empty() {
        out.push(b'/');
    }
    // Only ASCII escapes were replaced, by ASCII bytes: still UTF-8.
    String::from_utf8(out).map_err(|_| "an invalid percent escape")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_path_become_one_path() {
        for (path, canonical) in [
            ("/calls/x", "/calls/x"),
            ("//calls/x", "/calls/x"),
            ("///calls//x//", "/calls/x/"),
            ("/CALLS/x", "/CALLS/x"),
            ("/%63alls/x", "/calls/x"),
            ("/%63%61LLS/x", "/caLLS/x"),
            ("/calls;p/x", "/calls/x"),
            ("/calls;jsessionid=1/x;y=z", "/calls/x"),
            ("/x/../calls/x", "/calls/x"),
            ("/x/%2e%2e/calls/x", "/calls/x"),
            ("/x/.%2E/calls/x", "/calls/x"),
            ("/./calls/./x", "/calls/x"),
            ("/%2e/calls/x", "/calls/x"),
            ("/calls/x/..", "/calls/"),
            ("/calls/..", "/"),
            ("/calls/.", "/calls/"),
            ("/", "/"),
            ("/;p", "/"),
            ("/a%7e%2D%5f%2E", "/a~-_."),
            ("/caf%c3%a9/%20x%3f", "/caf%C3%A9/%20x%3F"),
            ("/café", "/café"),
        ] {
            assert_eq!(normalize(path), Ok(canonical.to_string()), "{path}");
        }
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        for path in [
            "/calls%2Fx",
            "/calls%2fx",
            "/calls%5Cx",
            "/calls%3Bp/x",
            "/calls\\x",
            "/calls/\u{0}",
            "/calls/\t",
            "/calls/\u{7f}",
            "/calls/%00",
            "/calls/%0a",
            "/calls/%7F",
            "/calls/%zz",
            "/calls/%2",
            "/calls/%",
            "/%252e%252e/calls",
            "/a%25b",
            "/a%25",
            "/%2e%2e/calls",
            "/../calls",
            "/a/../../calls",
            "calls/x",
            "",
        ] {
            assert!(normalize(path).is_err(), "{path:?}: {:?}", normalize(path));
        }
    }

    #[test]
    fn the_canonical_form_is_a_fixed_point() {
        for path in ["//a/./b/../c;d/%7e/%c3%a9/", "/x/y", "/%20"] {
            let once = normalize(path).unwrap();
            assert_eq!(normalize(&once), Ok(once.clone()), "{path}");
        }
    }
}
