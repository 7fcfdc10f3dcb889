//! Which flags the prerequisite picker offers, and why not the others.
//!
//! The picker offers only flags that keep the graph acyclic: a flag may not require itself or
//! any flag that already (transitively) requires it. The graph and its walks are the core's
//! ([`Prerequisites`]); what is shown about each candidate is decided here.

use burgee_core::graph::Prerequisites;
use burgee_core::model::{Document, Flag};

/// What Save asks when the draft of flag `key` flips its kill switch in some environment (its
/// `enabled`): a checkbox in the editor must not switch production off unseen, nor leave
/// unsaid which flags require this one and so change with it. `None` when no switch moved.
pub fn kill_switch_question(
    document: &Document,
    key: &str,
    original: &Flag,
    entry: &Flag,
) -> Option<(String, String)> {
    let moved: Vec<(&String, bool)> = entry
        .environments
        .iter()
        .filter_map(|(env, settings)| {
            let was = original
                .environments
                .get(env)
                .is_some_and(|s| s.is_enabled());
            (was != settings.is_enabled()).then_some((env, settings.is_enabled()))
        })
        .collect();
    if moved.is_empty() {
        return None;
    }
    let said: Vec<String> = moved
        .iter()
        .map(|(env, on)| format!("{} in {env}", if *on { "on" } else { "off" }))
        .collect();
    let title = format!("Turn {key} {}?", said.join(", "));
    let mut body = String::new();
    for (env, on) in &moved {
        body.push_str(&if *on {
            format!("{env} starts serving {key}'s targeting and default within seconds. ")
        } else {
            format!("Every context in {env} gets {key}'s off variant within seconds. ")
        });
    }
    let dependents = document.prerequisites().all_dependents(key);
    if dependents.is_empty() {
        body.push_str("No flag requires this one.");
    } else {
        let list: Vec<&str> = dependents.iter().map(String::as_str).collect();
        body.push_str(&format!(
            "These flags require it and may change too: {}.",
            list.join(", ")
        ));
    }
    Some((title, body))
}

/// Whether a flag may be added as a prerequisite, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eligibility {
    Allowed,
    Itself,
    /// It requires this flag (perhaps through others): adding it would make a cycle. The path
    /// from the candidate back to this flag.
    Cycle(Vec<String>),
    AlreadyRequired,
    /// A client-side flag may only require client-side flags.
    ServerOnly,
}

impl Eligibility {
    pub fn reason(&self) -> Option<String> {
        match self {
            Eligibility::Allowed => None,
            Eligibility::Itself => Some("this flag".into()),
            Eligibility::Cycle(path) => Some(format!("would make a cycle: {}", path.join(" → "))),
            Eligibility::AlreadyRequired => Some("already a prerequisite".into()),
            Eligibility::ServerOnly => {
                Some("server-only: a client-side flag may only require client-side flags".into())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub key: String,
    pub eligibility: Eligibility,
}

/// Could `key` (client-side or not) require `candidate`, given the prerequisites in `graph`
/// (the draft's own among them)?
pub fn eligibility(
    graph: &Prerequisites,
    document: &Document,
    key: &str,
    client_side: bool,
    candidate: &str,
) -> Eligibility {
    if candidate == key {
        return Eligibility::Itself;
    }
    if graph.required_by(key).iter().any(|t| t == candidate) {
        return Eligibility::AlreadyRequired;
    }
    if let Some(path) = graph.path(candidate, key) {
        return Eligibility::Cycle(path);
    }
    let candidate_client_side = document
        .flags
        .get(candidate)
        .is_some_and(|f| f.is_client_side());
    if client_side && !candidate_client_side {
        return Eligibility::ServerOnly;
    }
    Eligibility::Allowed
}

/// Every other flag of the document, with whether `key` may require it.
pub fn candidates(
    graph: &Prerequisites,
    document: &Document,
    key: &str,
    client_side: bool,
) -> Vec<Candidate> {
    document
        .flags
        .keys()
        .filter(|k| k.as_str() != key)
        .map(|k| Candidate {
            key: k.clone(),
            eligibility: eligibility(graph, document, key, client_side, k),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        // c requires b, b requires a; d stands alone and is client-side.
        let text = r#"{"environments":["p"],"flags":{
            "a":{"kind":"boolean","variants":{"on":true}},
            "b":{"kind":"boolean","variants":{"on":true},"prerequisites":[{"flag":"a","variant":"on"}]},
            "c":{"kind":"boolean","variants":{"on":true},"prerequisites":[{"flag":"b","variant":"on"}]},
            "d":{"kind":"boolean","clientSide":true,"variants":{"on":true}}
        }}"#;
        burgee_core::load(text).unwrap().document
    }

    #[test]
    fn the_picker_cannot_make_a_cycle() {
        let d = doc();
        let g = d.prerequisites();
        let of = |key, client_side, candidate| eligibility(&g, &d, key, client_side, candidate);
        assert_eq!(
            of("a", false, "c"),
            Eligibility::Cycle(vec!["c".into(), "b".into(), "a".into()])
        );
        assert_eq!(of("a", false, "a"), Eligibility::Itself);
        assert_eq!(of("c", false, "b"), Eligibility::AlreadyRequired);
        assert_eq!(of("c", false, "a"), Eligibility::Allowed);
        assert_eq!(of("d", true, "a"), Eligibility::ServerOnly);
        assert_eq!(of("a", false, "d"), Eligibility::Allowed);
        let allowed: Vec<String> = candidates(&g, &d, "a", false)
            .into_iter()
            .filter(|c| c.eligibility == Eligibility::Allowed)
            .map(|c| c.key)
            .collect();
        assert_eq!(allowed, vec!["d".to_string()]);
    }

    #[test]
    fn the_draft_replaces_the_saved_edges() {
        let d = doc();
        // In the draft, b no longer requires a: now a may require c.
        let g = d.prerequisites().with("b", Vec::new());
        assert_eq!(eligibility(&g, &d, "a", false, "c"), Eligibility::Allowed);
        assert!(
            Eligibility::Cycle(vec!["c".into(), "a".into()])
                .reason()
                .unwrap()
                .contains("c → a")
        );
    }

    #[test]
    fn a_moved_kill_switch_names_the_flags_that_require_it() {
        let doc = crate::state::fixtures::example();
        let key = "enhanced-task-metadata";
        let original = doc.flags[key].clone();
        assert_eq!(kill_switch_question(&doc, key, &original, &original), None);
        let mut off = original.clone();
        if let Some(p) = off.environments.get_mut("production") {
            p.enabled = Some(false);
        }
        let (title, body) = kill_switch_question(&doc, key, &original, &off).unwrap();
        assert_eq!(title, "Turn enhanced-task-metadata off in production?");
        assert!(
            body.contains("require it and may change too: daily-planning."),
            "{body}"
        );
        let (_, body) =
            kill_switch_question(&doc, "daily-planning", &doc.flags["daily-planning"], &{
                let mut f = doc.flags["daily-planning"].clone();
                if let Some(p) = f.environments.get_mut("production") {
                    p.enabled = Some(false);
                }
                f
            })
            .unwrap();
        assert!(body.ends_with("No flag requires this one."), "{body}");
    }
}
