//! The one syntax for every key a document names: flags, segments, environments, variants and
//! rule ids. The store, the admin app's editors (as names are typed) and the validator all ask
//! this module, so a key one of them accepts is never refused by another. Custom event names
//! (what `track` records and `experiment.events` lists) have their own, looser syntax here too,
//! so the validator and the metrics intake agree on it.

/// The longest key, in bytes.
pub const KEY_MAX: usize = 128;

/// Whether `key` is a valid key: 1 to [`KEY_MAX`] ASCII characters, a letter or digit first, then
/// letters, digits, `.`, `_` or `-`.
pub fn valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    key.len() <= KEY_MAX
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why `key` is not valid, in words, naming it as `what` ("flag key", "environment"…).
pub fn key_problem(what: &str, key: &str) -> alloc::string::String {
    alloc::format!(
        "{what} {key:?} must start with a letter or digit and use only letters, digits, `.`, `_` and `-` (at most {KEY_MAX} characters)"
    )
}

/// The longest custom event name, in bytes.
pub const EVENT_NAME_MAX: usize = 64;

/// Whether `name` is a valid custom event name: 1 to [`EVENT_NAME_MAX`] printable ASCII
/// characters (space to `~`), not starting or ending with a space. Looser than keys, because
/// event names come from analytics plans (`Signed Up`, `checkout:completed`), and still safe to
/// print as a label or in a log line.
pub fn valid_event_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= EVENT_NAME_MAX
        && bytes.iter().all(|b| (b' '..=b'~').contains(b))
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
}

/// Why `name` is not a valid event name, in words.
pub fn event_name_problem(name: &str) -> alloc::string::String {
    alloc::format!(
        "event name {name:?} must be 1 to {EVENT_NAME_MAX} printable ASCII characters, not starting or ending with a space"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for good in [
            "a",
            "A9",
            "daily-planning",
            "v1.checkout",
            "outbound_calling",
            "9",
        ] {
            assert!(valid_key(good), "{good}");
        }
        for bad in ["", "-a", ".a", "_a", "a b", "a/b", "é", "a:b"] {
            assert!(!valid_key(bad), "{bad}");
        }
        assert!(valid_key(&"a".repeat(KEY_MAX)));
        assert!(!valid_key(&"a".repeat(KEY_MAX + 1)));
    }

    #[test]
    fn event_names() {
        for good in ["purchase", "Signed Up", "checkout:completed", "a", "~!"] {
            assert!(valid_event_name(good), "{good}");
        }
        for bad in ["", " a", "a ", "tab\there", "line\n", "é", "a\u{7f}"] {
            assert!(!valid_event_name(bad), "{bad:?}");
        }
        assert!(valid_event_name(&"e".repeat(EVENT_NAME_MAX)));
        assert!(!valid_event_name(&"e".repeat(EVENT_NAME_MAX + 1)));
    }
}
