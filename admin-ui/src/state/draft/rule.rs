//! An environment's target lists and rules, which are looked at in that order.

use burgee_core::model::{Extra, Op, Rule, Target};

use super::{ClauseDraft, ServeDraft};
use crate::state::values::{format_values, optional, parse_values};

#[derive(Clone, Debug, PartialEq)]
pub struct TargetDraft {
    /// Empty means `targetingKey` (which is written back only if the stored list said it).
    pub attribute: String,
    pub values: String,
    pub variant: String,
    pub(super) extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleDraft {
    pub id: String,
    pub description: String,
    pub clauses: Vec<ClauseDraft>,
    pub serve: ServeDraft,
    extra: Extra,
}

impl TargetDraft {
    pub(super) fn from_model(t: &Target) -> TargetDraft {
        TargetDraft {
            attribute: t.attribute.clone().unwrap_or_default(),
            values: format_values(&Op::In, &t.values),
            variant: t.variant.clone(),
            extra: t.extra.clone(),
        }
    }

    pub(super) fn to_model(&self) -> Target {
        Target {
            attribute: optional(&self.attribute),
            values: parse_values(&Op::In, &self.values),
            variant: self.variant.clone(),
            extra: self.extra.clone(),
        }
    }

    /// How many ids are listed.
    pub fn count(&self) -> usize {
        parse_values(&Op::In, &self.values).len()
    }
}

impl RuleDraft {
    pub fn new(variant: &str) -> RuleDraft {
        RuleDraft {
            id: String::new(),
            description: String::new(),
            clauses: vec![ClauseDraft::new()],
            serve: ServeDraft::variant(variant),
            extra: Extra::new(),
        }
    }

    pub(super) fn from_model(rule: &Rule) -> RuleDraft {
        RuleDraft {
            id: rule.id.clone().unwrap_or_default(),
            description: rule.description.clone().unwrap_or_default(),
            clauses: rule.clauses.iter().map(ClauseDraft::from_model).collect(),
            serve: ServeDraft::from_model(Some(&rule.serve)),
            extra: rule.extra.clone(),
        }
    }

    pub(super) fn to_model(&self) -> Rule {
        Rule {
            id: optional(&self.id),
            description: optional(&self.description),
            clauses: self.clauses.iter().map(ClauseDraft::to_model).collect(),
            serve: self.serve.to_required(),
            extra: self.extra.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{ClauseEdit, FlagDraft, move_item};
    use burgee_core::model::Kind;
    use serde_json::json;

    #[test]
    fn rules_move_and_clauses_edit() {
        let mut draft = FlagDraft::new_flag("f", Kind::Boolean, &envs());
        let env = draft.env_mut("production").unwrap();
        env.add_rule("on");
        env.add_rule("off");
        env.rules[0].id = "first".into();
        env.rules[1].id = "second".into();
        assert!(move_item(&mut env.rules, 1, -1));
        assert!(!move_item(&mut env.rules, 0, -1));
        assert_eq!(env.rules[0].id, "second");
        let clause = &mut env.rules[0].clauses[0];
        clause.apply(ClauseEdit::Attribute("plan".into()));
        clause.apply(ClauseEdit::Values("pro, 3".into()));
        clause.apply(ClauseEdit::Negate(true));
        let (flag, _) = draft.to_flag();
        let rule = &flag.environments["production"].rules[0];
        assert_eq!(
            serde_json::to_value(&rule.clauses[0]).unwrap(),
            json!({"attribute": "plan", "op": "in", "values": ["pro", 3], "negate": true})
        );
    }
}
