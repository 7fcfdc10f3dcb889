//! Three-way merge of the JSON of one flag or segment: a change made on `base` (`mine`) put on
//! top of what was saved since (`theirs`). The admin app's editor uses it after a `412`, and the
//! store uses it to rebase a change request whose base version is no longer current, so both
//! resolve the same edits the same way.
//!
//! A field only one side changed takes that side's value, so saving a description never turns
//! back on an environment someone switched off meanwhile. Objects merge field by field; any
//! other value (arrays included: rules and weights are ordered wholes) is one field. Where both
//! sides changed the same field differently, `mine` is kept and the field is named in the
//! answer (a JSON Pointer relative to the entry), so the caller can say whose change it
//! replaced, or refuse.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

/// Fields the store sets on every write: never a conflict, and the store's value is kept.
const STAMPS: [&str; 4] = ["createdAt", "createdBy", "updatedAt", "updatedBy"];

/// Merges `mine` onto `theirs` given their common `base`; the merge and the fields both sides
/// changed. `None` is an entry that does not exist (a new entry's base, or one deleted
/// meanwhile): `mine` always survives, and a deletion of something `mine` changed is reported
/// at the root (`""`).
pub fn three_way(
    base: Option<&Value>,
    mine: Value,
    theirs: Option<&Value>,
) -> (Value, Vec<String>) {
    let mut both_changed = Vec::new();
    let merged = match (base, theirs) {
        (Some(b), Some(t)) => merge(b, &mine, t, "", &mut both_changed),
        // Deleted meanwhile: `mine` comes back, which replaces their deletion.
        (Some(b), None) => {
            if *b != mine {
                both_changed.push(String::new());
            }
            mine
        }
        // New on both sides: the same key was created meanwhile.
        (None, Some(t)) => {
            let empty = Value::Object(Map::new());
            merge(&empty, &mine, t, "", &mut both_changed)
        }
        (None, None) => mine,
    };
    (merged, both_changed)
}

/// Appends one RFC 6901 reference token (`/`, with `~` and `/` escaped).
pub fn push_token(out: &mut String, token: &str) {
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

fn merge(base: &Value, mine: &Value, theirs: &Value, at: &str, out: &mut Vec<String>) -> Value {
    if mine == base || mine == theirs {
        return theirs.clone();
    }
    if theirs == base {
        return mine.clone();
    }
    match (base, mine, theirs) {
        (Value::Object(b), Value::Object(m), Value::Object(t)) => {
            // Each key once (the result is a map: its order is the map's own).
            let mut keys: Vec<&String> = Vec::new();
            for key in m.keys().chain(t.keys()).chain(b.keys()) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            let mut result = Map::new();
            for key in keys {
                let mut here = String::from(at);
                push_token(&mut here, key);
                if at.is_empty() && STAMPS.contains(&key.as_str()) {
                    if let Some(v) = t.get(key) {
                        result.insert(key.clone(), v.clone());
                    }
                    continue;
                }
                let merged = field(b.get(key), m.get(key), t.get(key), &here, out);
                if let Some(v) = merged {
                    result.insert(key.clone(), v);
                }
            }
            Value::Object(result)
        }
        _ => {
            out.push(at.to_string());
            mine.clone()
        }
    }
}

/// One field, each side possibly without it.
fn field(
    base: Option<&Value>,
    mine: Option<&Value>,
    theirs: Option<&Value>,
    at: &str,
    out: &mut Vec<String>,
) -> Option<Value> {
    if mine == base || mine == theirs {
        return theirs.cloned();
    }
    if theirs == base {
        return mine.cloned();
    }
    match (base, mine, theirs) {
        (Some(b), Some(m), Some(t)) => Some(merge(b, m, t, at, out)),
        // Added on both sides, differently: merge what they have in common (nothing).
        (None, Some(m), Some(t)) => Some(merge(&Value::Object(Map::new()), m, t, at, out)),
        // One side removed it, the other changed it: the draft wins either way.
        _ => {
            out.push(at.to_string());
            mine.cloned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped() {
        let (_, out) = three_way(
            Some(&json!({ "a/b~c": 1 })),
            json!({ "a/b~c": 2 }),
            Some(&json!({ "a/b~c": 3 })),
        );
        assert_eq!(out, ["/a~1b~0c"]);
    }

    #[test]
    fn stamps_are_theirs_and_one_sided_changes_both_survive() {
        let base = json!({ "a": 1, "b": { "c": 1, "d": 1 }, "updatedBy": "x" });
        let mine = json!({ "a": 2, "b": { "c": 1, "d": 1 }, "updatedBy": "me" });
        let theirs = json!({ "a": 1, "b": { "c": 1, "d": 5 }, "updatedBy": "them" });
        let (merged, conflicts) = three_way(Some(&base), mine, Some(&theirs));
        assert_eq!(
            merged,
            json!({ "a": 2, "b": { "c": 1, "d": 5 }, "updatedBy": "them" })
        );
        assert!(conflicts.is_empty());
    }
}
