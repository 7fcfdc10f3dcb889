//! The segment editor's state, built like the flag editor's ([`super::draft`]).

use burgee_core::model::{Extra, Segment, SegmentRule};

use super::draft::ClauseDraft;
use super::fields::segment_pointer;
use super::values::{format_ids, optional, parse_ids};

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRuleDraft {
    pub id: String,
    pub description: String,
    pub clauses: Vec<ClauseDraft>,
    extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentDraft {
    pub key: String,
    pub is_new: bool,
    pub description: String,
    /// Targeting keys, comma or line separated.
    pub include: String,
    pub exclude: String,
    pub rules: Vec<SegmentRuleDraft>,
    base: Segment,
}

impl SegmentRuleDraft {
    pub fn new() -> SegmentRuleDraft {
        SegmentRuleDraft {
            id: String::new(),
            description: String::new(),
            clauses: vec![ClauseDraft::new()],
            extra: Extra::new(),
        }
    }
}

impl Default for SegmentRuleDraft {
    fn default() -> Self {
        SegmentRuleDraft::new()
    }
}

impl SegmentDraft {
    pub fn new_segment(key: &str) -> SegmentDraft {
        SegmentDraft {
            key: key.into(),
            is_new: true,
            description: String::new(),
            include: String::new(),
            exclude: String::new(),
            rules: Vec::new(),
            base: Segment::default(),
        }
    }

    pub fn from_segment(key: &str, segment: &Segment) -> SegmentDraft {
        SegmentDraft {
            key: key.into(),
            is_new: false,
            description: segment.description.clone().unwrap_or_default(),
            include: format_ids(&segment.include),
            exclude: format_ids(&segment.exclude),
            rules: segment
                .rules
                .iter()
                .map(|r| SegmentRuleDraft {
                    id: r.id.clone().unwrap_or_default(),
                    description: r.description.clone().unwrap_or_default(),
                    clauses: r.clauses.iter().map(ClauseDraft::from_model).collect(),
                    extra: r.extra.clone(),
                })
                .collect(),
            base: segment.clone(),
        }
    }

    pub fn to_segment(&self) -> Segment {
        let mut segment = self.base.clone();
        segment.description = optional(&self.description);
        segment.include = parse_ids(&self.include);
        segment.exclude = parse_ids(&self.exclude);
        segment.rules = self
            .rules
            .iter()
            .map(|r| SegmentRule {
                id: optional(&r.id),
                description: optional(&r.description),
                clauses: r.clauses.iter().map(ClauseDraft::to_model).collect(),
                extra: r.extra.clone(),
            })
            .collect();
        segment
    }

    pub fn pointer(&self) -> String {
        segment_pointer(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fields::pointer;
    use burgee_core::model::Op;
    use serde_json::json;

    #[test]
    fn segments_round_trip_and_edit() {
        let segment: Segment = serde_json::from_value(json!({
            "description": "Beta", "include": ["u1", "u2"], "exclude": ["u3"], "x-team": "a",
            "rules": [{"id": "staff", "clauses": [{"attribute": "email", "op": "endsWith", "values": ["@example.com"]}]}]
        }))
        .unwrap();
        let mut draft = SegmentDraft::from_segment("beta", &segment);
        assert_eq!(draft.include, "u1, u2");
        assert_eq!(
            serde_json::to_value(draft.to_segment()).unwrap(),
            serde_json::to_value(&segment).unwrap()
        );
        draft.include = "u1\nu9".into();
        draft.rules.push(SegmentRuleDraft::new());
        draft.rules[1].clauses[0].op = Op::Exists;
        draft.rules[1].clauses[0].attribute = "beta".into();
        let back = draft.to_segment();
        assert_eq!(back.include, vec!["u1".to_string(), "u9".into()]);
        assert_eq!(
            serde_json::to_value(&back.rules[1]).unwrap(),
            json!({"clauses": [{"attribute": "beta", "op": "exists"}]})
        );
        assert_eq!(
            pointer(&draft.pointer(), &["rules", "1"]),
            "/segments/beta/rules/1"
        );
    }
}
