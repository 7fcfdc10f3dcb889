//! The operators' edits of one environment: the kill switch, per-id targets, a rollout share,
//! and switching everything off and back.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

use super::{Action, Applied, EditError, Stamp};
use crate::model::{Document, Environment, Kind, Rollout, Serve, Target, Weight};

use super::entries::{applied, on_off, touch};

/// The settings of `flag` in `environment`, created empty when the flag has none there yet.
pub(super) fn settings_mut<'d>(
    doc: &'d mut Document,
    flag: &str,
    environment: &str,
) -> Result<&'d mut Environment, EditError> {
    if !doc.environments.iter().any(|e| e == environment) {
        return Err(EditError::EnvironmentNotFound(environment.into()));
    }
    let flag_entry = doc
        .flags
        .get_mut(flag)
        .ok_or_else(|| EditError::FlagNotFound(flag.into()))?;
    Ok(flag_entry
        .environments
        .entry(environment.to_string())
        .or_default())
}

/// The variant of a boolean flag whose value is `value`.
pub(super) fn boolean_variant(
    doc: &Document,
    flag: &str,
    value: bool,
) -> Result<String, EditError> {
    let f = doc
        .flags
        .get(flag)
        .ok_or_else(|| EditError::FlagNotFound(flag.into()))?;
    if f.kind != Kind::Boolean {
        return Err(EditError::NotBoolean(flag.into()));
    }
    f.variants
        .iter()
        .find(|(_, v)| v.as_bool() == Some(value))
        .map(|(name, _)| name.clone())
        .ok_or_else(|| EditError::NoVariantFor {
            flag: flag.into(),
            value,
        })
}

pub(super) fn target(
    doc: &mut Document,
    flag: String,
    environment: String,
    attribute: Option<String>,
    id: String,
    enabled: bool,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    let wanted = boolean_variant(doc, &flag, enabled)?;
    let other = boolean_variant(doc, &flag, !enabled).ok();
    // `targetingKey` written out and left out are the same attribute.
    let normal = |a: Option<&str>| a.filter(|a| *a != "targetingKey").map(str::to_string);
    let wanted_attribute = normal(attribute.as_deref());
    let settings = settings_mut(doc, &flag, &environment)?;
    let same_attribute = |t: &Target| normal(t.attribute.as_deref()) == wanted_attribute;
    let is_id = |v: &Value| v.as_str() == Some(id.as_str());
    for t in settings.targets.iter_mut() {
        if same_attribute(t) && Some(&t.variant) == other.as_ref() {
            t.values.retain(|v| !is_id(v));
        }
    }
    settings.targets.retain(|t| !t.values.is_empty());
    match settings
        .targets
        .iter_mut()
        .find(|t| same_attribute(t) && t.variant == wanted)
    {
        Some(t) => {
            if !t.values.iter().any(is_id) {
                t.values.push(Value::String(id.clone()));
            }
        }
        None => settings.targets.push(Target {
            attribute: attribute.clone(),
            values: alloc::vec![Value::String(id.clone())],
            variant: wanted,
            ..Target::default()
        }),
    }
    touch(doc, &flag, stamp);
    let who = if attribute.is_some() { "org" } else { "user" };
    let summary = format!(
        "targeted {who} `{id}` to {} for `{flag}` in {environment}",
        on_off(enabled)
    );
    Ok(applied(
        Action::Target,
        &format!("flags/{flag}"),
        [flag],
        summary,
    ))
}

/// The weights of a two-way split giving `share` basis points to `on`: out of 100 when the
/// share is a whole percentage, else out of 10,000.
pub fn split_weights(on: &str, off: &str, share: u32) -> Vec<Weight> {
    let (on_weight, total) = if share.is_multiple_of(100) {
        (share / 100, 100)
    } else {
        (share, 10_000)
    };
    let weight = |variant: &str, w: u32| Weight {
        variant: variant.into(),
        weight: Value::from(w),
        ..Weight::default()
    };
    alloc::vec![weight(on, on_weight), weight(off, total - on_weight)]
}

pub(super) fn rollout(
    doc: &mut Document,
    flag: String,
    environment: String,
    share: u32,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    if share > 10_000 {
        return Err(EditError::ShareOutOfRange(share));
    }
    let on = boolean_variant(doc, &flag, true)?;
    let off = boolean_variant(doc, &flag, false)?;
    let settings = settings_mut(doc, &flag, &environment)?;
    let kept = settings
        .default_serve
        .as_ref()
        .and_then(|s| s.rollout.as_ref());
    let serve = Serve {
        rollout: Some(Rollout {
            bucket_by: kept.and_then(|r| r.bucket_by.clone()),
            salt: kept.and_then(|r| r.salt.clone()),
            weights: split_weights(&on, &off, share),
            ..Rollout::default()
        }),
        ..Serve::default()
    };
    settings.default_serve = Some(serve);
    touch(doc, &flag, stamp);
    let percent = format!("{}.{:02}", share / 100, share % 100);
    let percent = percent.trim_end_matches('0').trim_end_matches('.');
    let summary = format!("rolled `{flag}` out to {percent} % in {environment}");
    Ok(applied(
        Action::Rollout,
        &format!("flags/{flag}"),
        [flag],
        summary,
    ))
}

pub(super) fn all_off(
    doc: &mut Document,
    environment: String,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    if !doc.environments.contains(&environment) {
        return Err(EditError::EnvironmentNotFound(environment));
    }
    let on: Vec<String> = doc
        .flags
        .iter()
        .filter(|(_, f)| {
            f.environments
                .get(&environment)
                .is_some_and(Environment::is_enabled)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for key in &on {
        if let Some(settings) = doc
            .flags
            .get_mut(key)
            .and_then(|f| f.environments.get_mut(&environment))
        {
            settings.enabled = Some(false);
        }
        touch(doc, key, stamp);
    }
    let summary = format!(
        "switched off every flag in {environment} ({} were on)",
        on.len()
    );
    Ok(applied(
        Action::AllOff,
        &format!("environments/{environment}"),
        on,
        summary,
    ))
}

pub(super) fn restore_states(
    doc: &mut Document,
    environment: String,
    version: u64,
    flags: Vec<String>,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    if !doc.environments.contains(&environment) {
        return Err(EditError::EnvironmentNotFound(environment));
    }
    let mut restored = Vec::new();
    let mut skipped = Vec::new();
    for key in flags {
        let settings = doc
            .flags
            .get_mut(&key)
            .and_then(|f| f.environments.get_mut(&environment));
        match settings {
            Some(s) if !s.is_enabled() => {
                s.enabled = Some(true);
                restored.push(key);
            }
            _ => skipped.push(key),
        }
    }
    for key in &restored {
        touch(doc, key, stamp);
    }
    let mut summary = format!(
        "switched back on {} flag(s) in {environment} that version {version} switched off",
        restored.len()
    );
    if !skipped.is_empty() {
        summary.push_str(&format!(
            "; left alone (deleted or switched on since): {}",
            skipped.join(", ")
        ));
    }
    Ok(applied(
        Action::RestoreStates,
        &format!("environments/{environment}"),
        restored,
        summary,
    ))
}

/// [`Edit::Promote`](super::Edit::Promote): `to` gets `from`'s settings, whole.
pub(super) fn promote(
    doc: &mut Document,
    flag: String,
    from: String,
    to: String,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    if !doc.environments.contains(&from) {
        return Err(EditError::EnvironmentNotFound(from));
    }
    let settings = doc
        .flags
        .get(&flag)
        .and_then(|f| f.environments.get(&from))
        .cloned()
        .unwrap_or_default();
    *settings_mut(doc, &flag, &to)? = settings;
    touch(doc, &flag, stamp);
    let summary = format!("promoted `{flag}` from {from} to {to}");
    Ok(applied(
        Action::Promote,
        &format!("flags/{flag}"),
        [flag],
        summary,
    ))
}
