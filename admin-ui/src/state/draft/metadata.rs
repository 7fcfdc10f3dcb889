//! A flag's metadata as a team reads it: who owns the flag, the ticket it was made for, and
//! other notes as key/value pairs. Evaluation never reads metadata, so it is free-form; the
//! editor writes strings only, and a value the document already has that is no string (a
//! number, a list, an object written by some other tool) is kept as it is and shown, not
//! edited, so that saving a flag never loses what another tool wrote.

use burgee_core::Code;
use serde_json::{Map, Value};

use crate::state::fields::{Problem, key_pointer, pointer};

/// The key of the flag's owner (a person or a team).
pub const OWNER: &str = "owner";
/// The key of the ticket the flag was made for (an id, or a link).
pub const TICKET: &str = "ticket";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetadataDraft {
    pub owner: String,
    pub ticket: String,
    /// The other string values, in the document's order (by key), then as added.
    pub pairs: Vec<(String, String)>,
    /// The values that are no strings, written back unchanged.
    kept: Map<String, Value>,
    /// Whether the flag had a `metadata` object (so an empty one is written back).
    written: bool,
}

impl MetadataDraft {
    pub fn from_model(metadata: Option<&Map<String, Value>>) -> MetadataDraft {
        let mut draft = MetadataDraft {
            written: metadata.is_some(),
            ..MetadataDraft::default()
        };
        for (key, value) in metadata.into_iter().flatten() {
            match (key.as_str(), value) {
                (OWNER, Value::String(s)) => draft.owner = s.clone(),
                (TICKET, Value::String(s)) => draft.ticket = s.clone(),
                (_, Value::String(s)) => draft.pairs.push((key.clone(), s.clone())),
                _ => {
                    draft.kept.insert(key.clone(), value.clone());
                }
            }
        }
        draft
    }

    /// The values kept as they are, as compact JSON, by key.
    pub fn kept(&self) -> Vec<(String, String)> {
        let kept = self.kept.iter();
        kept.map(|(k, v)| (k.clone(), v.to_string())).collect()
    }

    /// The `metadata` object (`None` when it is empty and the flag had none), and the problems
    /// of the pairs at `base` (the flag's pointer): a value without a key, a key written twice
    /// or one that names the owner, the ticket or a kept value.
    pub fn to_model(&self, base: &str, problems: &mut Vec<Problem>) -> Option<Map<String, Value>> {
        let mut map = self.kept.clone();
        for (key, value) in [(OWNER, &self.owner), (TICKET, &self.ticket)] {
            let value = value.trim();
            if !value.is_empty() {
                map.insert(key.into(), Value::String(value.into()));
            }
        }
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            let at = key_pointer(&pointer(base, &["metadata", &i.to_string()]));
            let key = key.trim();
            let message = if key.is_empty() {
                (!value.is_empty()).then(|| "a note needs a key".to_string())
            } else if map.contains_key(key) {
                Some(format!("`{key}` is written twice"))
            } else {
                map.insert(key.into(), Value::String(value.clone()));
                None
            };
            if let Some(message) = message {
                problems.push(Problem::error(at, Code::InvalidKey.as_str(), message));
            }
        }
        (self.written || !map.is_empty()).then_some(map)
    }
}

/// A ticket is a link when it is an http(s) URL; any other scheme (`javascript:`) stays text.
pub fn ticket_link(ticket: &str) -> Option<&str> {
    let t = ticket.trim();
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    let link = lower.starts_with("https://") || lower.starts_with("http://");
    (link && !t.contains(char::is_whitespace)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(v: Value) -> Map<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn owner_ticket_and_notes_round_trip_and_other_values_are_kept() {
        let m = model(json!({"owner": "alice", "ticket": "T-1", "team": "a", "cost": {"eur": 3}}));
        let draft = MetadataDraft::from_model(Some(&m));
        assert_eq!(
            (draft.owner.as_str(), draft.ticket.as_str()),
            ("alice", "T-1")
        );
        assert_eq!(draft.pairs, [("team".to_string(), "a".to_string())]);
        assert_eq!(
            draft.kept(),
            [("cost".to_string(), r#"{"eur":3}"#.to_string())]
        );
        let mut problems = Vec::new();
        assert_eq!(draft.to_model("/flags/f", &mut problems), Some(m));
        assert!(problems.is_empty());
    }

    #[test]
    fn empty_is_none_unless_the_flag_had_an_object() {
        let mut problems = Vec::new();
        let none = MetadataDraft::from_model(None);
        assert_eq!(none.to_model("/flags/f", &mut problems), None);
        let empty = MetadataDraft::from_model(Some(&Map::new()));
        assert_eq!(empty.to_model("/flags/f", &mut problems), Some(Map::new()));
        let mut typed = none.clone();
        typed.owner = " bob ".into();
        typed.pairs.push((String::new(), String::new()));
        let written = typed.to_model("/flags/f", &mut problems);
        assert_eq!(written, Some(model(json!({"owner": "bob"}))));
        assert!(
            problems.is_empty(),
            "a blank row is no problem: {problems:?}"
        );
    }

    #[test]
    fn a_key_twice_or_a_value_without_a_key_is_an_error_at_its_key() {
        let mut draft = MetadataDraft::from_model(Some(&model(json!({"cost": 3}))));
        draft.owner = "alice".into();
        for key in ["owner", "cost", "team", "team", ""] {
            draft.pairs.push((key.into(), "x".into()));
        }
        let mut problems = Vec::new();
        draft.to_model("/flags/f", &mut problems);
        let at: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/flags/f/metadata/0#key",
                "/flags/f/metadata/1#key",
                "/flags/f/metadata/3#key",
                "/flags/f/metadata/4#key"
            ]
        );
    }

    #[test]
    fn only_http_and_https_tickets_are_links() {
        assert_eq!(
            ticket_link("https://x.test/T-1"),
            Some("https://x.test/T-1")
        );
        assert_eq!(ticket_link(" HTTP://x.test "), Some("HTTP://x.test"));
        for text in [
            "T-1",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://a b",
            "ftp://x",
        ] {
            assert_eq!(ticket_link(text), None, "{text}");
        }
    }
}
