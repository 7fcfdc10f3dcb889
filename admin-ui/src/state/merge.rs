//! Putting an editor's changes on top of a version someone else saved meanwhile (after a
//! `412`): the core's three-way merge ([`burgee_core::merge`]), which the store also uses to
//! rebase change requests, over the editor's typed entries. `base` is what the editor started
//! from, `mine` the draft, `theirs` what the store has now.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The merge and the fields (JSON Pointers, relative to the entry) both sides changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged<T> {
    pub value: T,
    pub both_changed: Vec<String>,
}

/// Merges `mine` onto `theirs` given their common `base`. `None` is an entry that does not
/// exist (a new draft's base, or one deleted meanwhile): a draft always survives, and a
/// deletion of something the draft changed is reported at the root (`""`).
pub fn three_way<T: Serialize + DeserializeOwned>(
    base: Option<&T>,
    mine: &T,
    theirs: Option<&T>,
) -> Result<Merged<T>, String> {
    // Through text, not `to_value`/`from_value`: the app already turns every model type into
    // and out of JSON text (the API), and a second way would compile all of them again (wasm).
    let json = |v: &T| {
        serde_json::to_string(v)
            .and_then(|text| serde_json::from_str::<Value>(&text))
            .map_err(|e| e.to_string())
    };
    let base_v = base.map(json).transpose()?;
    let theirs_v = theirs.map(json).transpose()?;
    let (merged, both_changed) =
        burgee_core::merge::three_way(base_v.as_ref(), json(mine)?, theirs_v.as_ref());
    let value = serde_json::to_string(&merged)
        .and_then(|text| serde_json::from_str(&text))
        .map_err(|e| e.to_string())?;
    Ok(Merged {
        value,
        both_changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burgee_core::model::Flag;
    use serde_json::json;

    fn flag(v: Value) -> Flag {
        serde_json::from_value(v).unwrap()
    }

    fn base() -> Flag {
        flag(json!({
            "name": "Daily planning", "description": "Old", "kind": "boolean",
            "variants": { "on": true, "off": false },
            "environments": {
                "production": { "enabled": true, "offVariant": "off", "defaultServe": { "variant": "on" } },
                "staging": { "enabled": true, "offVariant": "off", "defaultServe": { "variant": "off" } }
            },
            "updatedAt": "2026-12-01T00:00:00Z", "updatedBy": "maya"
        }))
    }

    #[test]
    fn a_description_saved_over_a_kill_switch_keeps_the_switch_off() {
        let mut mine = base();
        mine.description = Some("New".into());
        let mut theirs = base();
        theirs.environments.get_mut("production").unwrap().enabled = Some(false);
        theirs.updated_by = Some("priya".into());
        let merged = three_way(Some(&base()), &mine, Some(&theirs)).unwrap();
        assert_eq!(merged.value.description.as_deref(), Some("New"));
        assert_eq!(merged.value.environments["production"].enabled, Some(false));
        assert_eq!(merged.value.updated_by.as_deref(), Some("priya"));
        assert!(merged.both_changed.is_empty(), "{:?}", merged.both_changed);
    }

    #[test]
    fn the_same_field_changed_on_both_sides_keeps_mine_and_says_so() {
        let mut mine = base();
        mine.environments.get_mut("production").unwrap().enabled = Some(false);
        mine.name = Some("Mine".into());
        let mut theirs = base();
        theirs.name = Some("Theirs".into());
        theirs.environments.get_mut("staging").unwrap().enabled = Some(false);
        let merged = three_way(Some(&base()), &mine, Some(&theirs)).unwrap();
        assert_eq!(merged.value.name.as_deref(), Some("Mine"));
        assert_eq!(merged.value.environments["production"].enabled, Some(false));
        assert_eq!(merged.value.environments["staging"].enabled, Some(false));
        assert_eq!(merged.both_changed, ["/name"]);
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict_and_removals_merge() {
        let mut mine = base();
        mine.description = None;
        mine.name = Some("Same".into());
        let mut theirs = base();
        theirs.name = Some("Same".into());
        theirs.environments.remove("staging");
        let merged = three_way(Some(&base()), &mine, Some(&theirs)).unwrap();
        assert_eq!(merged.value.description, None);
        assert!(!merged.value.environments.contains_key("staging"));
        assert!(merged.both_changed.is_empty());
        // A field they removed and I changed: mine, named.
        let mut mine = base();
        mine.environments.get_mut("staging").unwrap().enabled = Some(false);
        let merged = three_way(Some(&base()), &mine, Some(&theirs)).unwrap();
        assert_eq!(merged.value.environments["staging"].enabled, Some(false));
        assert_eq!(merged.both_changed, ["/environments/staging"]);
    }

    #[test]
    fn deleted_meanwhile_or_created_meanwhile() {
        let mut mine = base();
        mine.description = Some("New".into());
        let gone = three_way(Some(&base()), &mine, None).unwrap();
        assert_eq!(gone.value, mine);
        assert_eq!(gone.both_changed, [""]);
        // A new draft whose key someone else created: fields they set differently are named.
        let created = three_way(None, &mine, Some(&base())).unwrap();
        assert_eq!(created.value.description.as_deref(), Some("New"));
        assert_eq!(created.both_changed, ["/description"]);
        let untouched = three_way(Some(&base()), &base(), None).unwrap();
        assert!(untouched.both_changed.is_empty());
    }

    #[test]
    fn arrays_are_whole_values() {
        let rules = |id: &str| json!([{ "id": id, "clauses": [], "serve": { "variant": "on" } }]);
        let with_rules = |r: Value| {
            let mut v = serde_json::to_value(base()).unwrap();
            v["environments"]["production"]["rules"] = r;
            flag(v)
        };
        let merged = three_way(
            Some(&base()),
            &with_rules(rules("mine")),
            Some(&with_rules(rules("theirs"))),
        )
        .unwrap();
        assert_eq!(
            merged.value.environments["production"].rules[0]
                .id
                .as_deref(),
            Some("mine")
        );
        assert_eq!(merged.both_changed, ["/environments/production/rules"]);
    }
}
