//! One condition of a rule, shared by flag rules and segment rules.

use burgee_core::model::{Clause, Extra, Op};

use crate::state::values::{format_ids, format_values, optional, parse_ids, parse_values};

#[derive(Clone, Debug, PartialEq)]
pub struct ClauseDraft {
    pub attribute: String,
    pub op: Op,
    /// The values as typed (see [`crate::state::values`]).
    pub values: String,
    pub negate: bool,
    /// The stored clause said `negate` (`false` too): it is written back as it was.
    negate_written: bool,
    extra: Extra,
}

/// One change to a clause, from its editor.
#[derive(Clone, Debug, PartialEq)]
pub enum ClauseEdit {
    Attribute(String),
    Op(Op),
    Values(String),
    Negate(bool),
    /// Adds or removes one segment key of an `inSegment` clause.
    ToggleSegment(String),
}

impl ClauseDraft {
    pub fn new() -> ClauseDraft {
        ClauseDraft {
            attribute: String::new(),
            op: Op::In,
            values: String::new(),
            negate: false,
            negate_written: false,
            extra: Extra::new(),
        }
    }

    pub fn from_model(clause: &Clause) -> ClauseDraft {
        ClauseDraft {
            attribute: clause.attribute.clone().unwrap_or_default(),
            op: clause.op.clone(),
            values: format_values(&clause.op, &clause.values),
            negate: clause.negate.unwrap_or(false),
            negate_written: clause.negate.is_some(),
            extra: clause.extra.clone(),
        }
    }

    pub fn to_model(&self) -> Clause {
        Clause {
            attribute: if self.op == Op::InSegment {
                None
            } else {
                optional(&self.attribute)
            },
            op: self.op.clone(),
            values: parse_values(&self.op, &self.values),
            negate: (self.negate || self.negate_written).then_some(self.negate),
            extra: self.extra.clone(),
        }
    }

    pub fn apply(&mut self, edit: ClauseEdit) {
        match edit {
            ClauseEdit::Attribute(a) => self.attribute = a,
            ClauseEdit::Op(op) => self.op = op,
            ClauseEdit::Values(v) => self.values = v,
            ClauseEdit::Negate(n) => self.negate = n,
            ClauseEdit::ToggleSegment(key) => {
                let mut keys = parse_ids(&self.values);
                if let Some(i) = keys.iter().position(|k| *k == key) {
                    keys.remove(i);
                } else {
                    keys.push(key);
                }
                self.values = format_ids(&keys);
            }
        }
    }

    /// The segment keys of an `inSegment` clause.
    pub fn segments(&self) -> Vec<String> {
        parse_ids(&self.values)
    }
}

impl Default for ClauseDraft {
    fn default() -> Self {
        ClauseDraft::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn segment_clauses_toggle_keys() {
        let mut clause = ClauseDraft::new();
        clause.apply(ClauseEdit::Op(Op::InSegment));
        clause.apply(ClauseEdit::ToggleSegment("beta".into()));
        clause.apply(ClauseEdit::ToggleSegment("staff".into()));
        clause.apply(ClauseEdit::ToggleSegment("beta".into()));
        assert_eq!(clause.segments(), vec!["staff".to_string()]);
        assert_eq!(
            serde_json::to_value(clause.to_model()).unwrap(),
            json!({"op": "inSegment", "values": ["staff"]})
        );
    }
}
