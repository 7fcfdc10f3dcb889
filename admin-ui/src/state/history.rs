//! How the app groups the store's diffs for people: by flag and segment, with pointers shown
//! relative to their entry. The versions, diffs and audit entries themselves are the admin API's
//! contract (`burgee-api`) and the core's [`JsonChange`].

use burgee_core::describe::{DocumentChanges, Fate, summarize};
use burgee_core::json::{DiffOp, JsonChange};
use serde_json::Value;

use super::fields::is_within;

/// A change is one of these in the diff's JSON (and in the CSS classes `op-add`…).
pub fn op_name(op: DiffOp) -> &'static str {
    match op {
        DiffOp::Add => "add",
        DiffOp::Remove => "remove",
        DiffOp::Replace => "replace",
    }
}

/// The changes about one flag, one segment, or the rest of the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// `flag daily-planning`, `segment beta`, `document`.
    pub label: String,
    /// The pointer the changes are relative to.
    pub prefix: String,
    pub changes: Vec<JsonChange>,
}

pub(crate) fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Groups changes by the flag or segment they are in, keeping the diff's order.
pub fn group(changes: &[JsonChange]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for change in changes {
        let mut tokens = change.pointer.split('/').skip(1);
        let (label, prefix) = match (tokens.next(), tokens.next()) {
            (Some("flags"), Some(key)) => {
                (format!("flag {}", unescape(key)), format!("/flags/{key}"))
            }
            (Some("segments"), Some(key)) => (
                format!("segment {}", unescape(key)),
                format!("/segments/{key}"),
            ),
            _ => ("document".to_string(), String::new()),
        };
        match groups.iter_mut().find(|g| g.prefix == prefix) {
            Some(g) => g.changes.push(change.clone()),
            None => groups.push(Group {
                label,
                prefix,
                changes: vec![change.clone()],
            }),
        }
    }
    groups
}

/// A pointer relative to its group, for people: `environments › production › enabled`
/// (the whole entry when it is the group itself).
pub fn relative(pointer: &str, prefix: &str) -> String {
    let rest = pointer.strip_prefix(prefix).unwrap_or(pointer);
    let parts: Vec<String> = rest.split('/').skip(1).map(unescape).collect();
    if parts.is_empty() {
        "(whole entry)".into()
    } else {
        parts.join(" › ")
    }
}

/// The changes inside `prefix` (a flag's pointer, say).
pub fn touching(changes: &[JsonChange], prefix: &str) -> Vec<JsonChange> {
    changes
        .iter()
        .filter(|c| is_within(&c.pointer, prefix) || is_within(prefix, &c.pointer))
        .cloned()
        .collect()
}

/// A JSON value in a diff, shortened for a table cell.
pub fn show(value: &Option<Value>) -> String {
    match value {
        None => String::new(),
        Some(v) => super::values::short_json(v, 160),
    }
}

/// A restore's list: `creates flag x`, `removes segment y`, `changes flag z: …`.
pub fn restore_list(changes: &DocumentChanges) -> Vec<String> {
    let mut list: Vec<String> = changes
        .entries
        .iter()
        .map(|e| {
            let verb = match e.fate {
                Fate::Created => "creates",
                Fate::Removed => "removes",
                Fate::Changed => "changes",
            };
            let what = format!("{verb} {} {}", e.noun, e.key);
            match e.fate {
                Fate::Changed => format!("{what}: {}", summarize(&e.lines, 3)),
                _ => what,
            }
        })
        .collect();
    if !changes.document.is_empty() {
        list.push(format!(
            "changes the document: {}",
            summarize(&changes.document, 3)
        ));
    }
    if list.is_empty() {
        list.push("changes nothing: it is the same as now".into());
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes() -> Vec<JsonChange> {
        serde_json::from_value(json!([
            {"pointer": "/flags/a/environments/production/enabled", "op": "replace", "before": true, "after": false},
            {"pointer": "/segments/beta", "op": "add", "after": {"include": ["u1"]}},
            {"pointer": "/flags/a/tags/0", "op": "remove", "before": "x"},
            {"pointer": "/flags/a~1b", "op": "remove", "before": {}},
            {"pointer": "/environments/3", "op": "add", "after": "qa"}
        ]))
        .unwrap()
    }

    #[test]
    fn changes_group_by_entry() {
        let groups = group(&changes());
        let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(
            labels,
            vec!["flag a", "segment beta", "flag a/b", "document"]
        );
        assert_eq!(groups[0].changes.len(), 2);
        assert_eq!(
            relative(&groups[0].changes[0].pointer, &groups[0].prefix),
            "environments › production › enabled"
        );
        assert_eq!(
            relative("/segments/beta", "/segments/beta"),
            "(whole entry)"
        );
    }

    #[test]
    fn changes_touching_a_flag() {
        assert_eq!(touching(&changes(), "/flags/a").len(), 2);
        // A whole-document replacement touches every flag.
        let whole = vec![JsonChange {
            pointer: String::new(),
            op: DiffOp::Replace,
            before: None,
            after: None,
        }];
        assert_eq!(touching(&whole, "/flags/a").len(), 1);
    }

    #[test]
    fn values_and_ops_for_people() {
        assert_eq!(show(&Some(json!({"a": 1}))), "{\"a\":1}");
        assert_eq!(show(&None), "");
        for op in [DiffOp::Add, DiffOp::Remove, DiffOp::Replace] {
            assert_eq!(json!(op_name(op)), serde_json::to_value(op).unwrap());
        }
    }

    #[test]
    fn a_restore_lists_what_it_creates_removes_and_changes() {
        let now = crate::state::fixtures::example();
        let mut old = now.clone();
        old.flags.remove("daily-planning");
        old.segments.clear();
        if let Some(f) = old.flags.get_mut("max-upload-mb") {
            f.description = Some("as it was".into());
        }
        let list = restore_list(&DocumentChanges::between(&now, &old));
        assert_eq!(
            list,
            [
                "removes segment beta-testers",
                "removes flag daily-planning",
                "changes flag max-upload-mb: description changed",
            ]
        );
        assert_eq!(
            restore_list(&DocumentChanges::between(&now, &now)),
            ["changes nothing: it is the same as now"]
        );
    }
}
