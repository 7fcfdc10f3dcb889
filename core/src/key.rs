//! The one syntax for every key a document names: flags, segments, environments, variants and
//! rule ids. The store, the admin app's editors (as names are typed) and the validator all ask
//! this module, so a key one of them accepts is never refused by another.

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
}
