//! What a flag serves in one environment, in words, for the flag list: "on for 25 %", "off for
//! everyone", "scheduled: 50 % on Dec 8". A status that names the configuration ("rollout",
//! a green "on") can hide that everyone gets `false`; this says what people get. The wording,
//! and the colour the list shows it in ([`Tone`]), are decided here and nowhere else.

use burgee_core::model::{Environment, Flag, Kind, Serve};
use burgee_core::time::{format_rfc3339, parse_rfc3339};
use serde_json::Value;

/// How what is served is coloured: by what people get, never by the kill switch alone (an
/// enabled flag whose default serves the off variant is no green "on").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Everyone gets the on variant (or, for other kinds, one variant that is not the off one).
    On,
    /// Some get it: a rollout, a split, targeting first, or a scheduled step to come.
    Partial,
    /// Everyone gets the off variant, or the callers' defaults.
    Off,
}

impl Tone {
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::On => "on",
            Tone::Partial => "partial",
            Tone::Off => "off",
        }
    }
}

/// What one environment serves: in words, and its colour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub words: String,
    pub tone: Tone,
}

/// What `flag` serves in `env` at `now_ms`, and its next scheduled step if there is one.
pub fn served(flag: &Flag, env: &str, now_ms: i64) -> Served {
    let Some(settings) = flag.environments.get(env).filter(|s| s.is_enabled()) else {
        return switched_off(flag, flag.environments.get(env));
    };
    let targeting = targeting(settings);
    let everyone = if targeting.is_empty() {
        "everyone"
    } else {
        "everyone else"
    };
    let mut steps: Vec<(i64, &Serve)> = settings
        .schedule
        .iter()
        .filter_map(|s| Some((parse_rfc3339(&s.at)?, &s.default_serve)))
        .collect();
    steps.sort_by_key(|(at, _)| *at);
    let current = steps
        .iter()
        .rev()
        .find(|(at, _)| *at <= now_ms)
        .map(|(_, serve)| *serve)
        .or(settings.default_serve.as_ref());
    let (mut text, mut tone) = match current {
        Some(serve) => (
            serving(flag, serve, everyone),
            serve_tone(flag, serve, settings.off_variant.as_deref()),
        ),
        None => (format!("callers' defaults for {everyone}"), Tone::Off),
    };
    if !targeting.is_empty() {
        text.push_str(&format!(" ({targeting} first)"));
        tone = Tone::Partial;
    }
    if let Some((at, serve)) = steps.iter().find(|(at, _)| *at > now_ms) {
        text.push_str(&format!(
            "; scheduled: {} on {}",
            step_words(flag, serve),
            short_date(*at)
        ));
        tone = Tone::Partial;
    }
    Served { words: text, tone }
}

/// Who gets the on variant under `serve`, alone (no targeting, no schedule).
fn serve_tone(flag: &Flag, serve: &Serve, off_variant: Option<&str>) -> Tone {
    if let Some(v) = &serve.variant {
        return match boolean(flag, v) {
            Some(true) => Tone::On,
            Some(false) => Tone::Off,
            None if Some(v.as_str()) == off_variant => Tone::Off,
            None => Tone::On,
        };
    }
    match on_share(flag, serve) {
        Some(p) if p <= 0.0 => Tone::Off,
        Some(p) if p >= 100.0 => Tone::On,
        Some(_) => Tone::Partial,
        None if shares(serve).is_empty() => Tone::Off,
        None => Tone::Partial,
    }
}

/// A disabled environment (or none): everyone gets the off variant.
fn switched_off(flag: &Flag, settings: Option<&Environment>) -> Served {
    let off = |words: String| Served {
        words,
        tone: Tone::Off,
    };
    match settings.and_then(|s| s.off_variant.as_deref()) {
        None => off("off for everyone (callers' defaults)".into()),
        Some(v) => match boolean(flag, v) {
            Some(false) => off("off for everyone".into()),
            Some(true) => Served {
                words: "switched off, yet on for everyone".into(),
                tone: Tone::On,
            },
            None => off(format!("switched off: {v} for everyone")),
        },
    }
}

/// "2 rules, 1 target list", or empty.
fn targeting(settings: &Environment) -> String {
    let count = |n: usize, one: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {one}s")),
    };
    [
        count(settings.targets.len(), "target list"),
        count(settings.rules.len(), "rule"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// The boolean value of variant `v` of a boolean flag.
fn boolean(flag: &Flag, v: &str) -> Option<bool> {
    (flag.kind == Kind::Boolean)
        .then(|| flag.variants.get(v).and_then(Value::as_bool))
        .flatten()
}

/// Each variant of a rollout with its share in percent (of the total weight).
fn shares(serve: &Serve) -> Vec<(&str, f64)> {
    let Some(rollout) = &serve.rollout else {
        return Vec::new();
    };
    let weight = |w: &Value| w.as_f64().unwrap_or(0.0).max(0.0);
    let total: f64 = rollout.weights.iter().map(|w| weight(&w.weight)).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    rollout
        .weights
        .iter()
        .map(|w| (w.variant.as_str(), weight(&w.weight) * 100.0 / total))
        .collect()
}

fn percent(p: f64) -> String {
    if (p - p.round()).abs() < 0.005 {
        format!("{p:.0} %")
    } else {
        format!("{p:.2} %").replace(".00", "")
    }
}

/// The share of a boolean flag's rollout that gets `true` (`None`: not such a rollout).
fn on_share(flag: &Flag, serve: &Serve) -> Option<f64> {
    let shares = shares(serve);
    if shares.is_empty() || shares.iter().any(|(v, _)| boolean(flag, v).is_none()) {
        return None;
    }
    Some(
        shares
            .iter()
            .filter(|(v, _)| boolean(flag, v) == Some(true))
            .map(|(_, p)| p)
            .sum(),
    )
}

/// What a serve gives `everyone` ("everyone" or "everyone else").
fn serving(flag: &Flag, serve: &Serve, everyone: &str) -> String {
    if let Some(v) = &serve.variant {
        return match boolean(flag, v) {
            Some(true) => format!("on for {everyone}"),
            Some(false) => format!("off for {everyone}"),
            None => format!("{v} for {everyone}"),
        };
    }
    let of = if everyone == "everyone" {
        ""
    } else {
        " of the rest"
    };
    match on_share(flag, serve) {
        Some(p) if p <= 0.0 => format!("off for {everyone}"),
        Some(p) if p >= 100.0 => format!("on for {everyone}"),
        Some(p) => format!("on for {}{of}", percent(p)),
        None => {
            let parts: Vec<String> = shares(serve)
                .into_iter()
                .map(|(v, p)| format!("{v} {}", percent(p)))
                .collect();
            if parts.is_empty() {
                format!("callers' defaults for {everyone}")
            } else {
                format!("split{of}: {}", parts.join(", "))
            }
        }
    }
}

/// A scheduled step in a few words: "50 %", "on", "off", a variant's name, or its split.
fn step_words(flag: &Flag, serve: &Serve) -> String {
    if let Some(v) = &serve.variant {
        return match boolean(flag, v) {
            Some(true) => "on".into(),
            Some(false) => "off".into(),
            None => v.clone(),
        };
    }
    match on_share(flag, serve) {
        Some(p) if p <= 0.0 => "off".into(),
        Some(p) if p >= 100.0 => "on".into(),
        Some(p) => percent(p),
        None => shares(serve)
            .into_iter()
            .map(|(v, p)| format!("{v} {}", percent(p)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// "Dec 8" (UTC).
fn short_date(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let text = format_rfc3339(ms);
    let month: usize = text.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let day: u32 = text.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    format!("{} {day}", MONTHS[month.clamp(1, 12) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flag(production: Value) -> Flag {
        serde_json::from_value(
            json!({"kind": "boolean", "variants": {"on": true, "off": false},
            "environments": {"production": production}}),
        )
        .unwrap()
    }

    const DEC_7: &str = "2026-12-07T12:00:00Z";

    fn now() -> i64 {
        parse_rfc3339(DEC_7).unwrap()
    }

    fn rollout(on: u32) -> Value {
        json!({"rollout": {"weights": [{"variant": "on", "weight": on}, {"variant": "off", "weight": 100 - on}]}})
    }

    #[test]
    fn what_people_get_not_how_it_is_configured() {
        let said = |production: Value| served(&flag(production), "production", now()).words;
        // A green "on" that gives everyone `false`.
        assert_eq!(
            said(json!({"enabled": true, "defaultServe": {"variant": "off"}})),
            "off for everyone"
        );
        assert_eq!(
            said(json!({"enabled": false, "offVariant": "off"})),
            "off for everyone"
        );
        assert_eq!(
            said(json!({"enabled": false})),
            "off for everyone (callers' defaults)"
        );
        assert_eq!(
            said(json!({"enabled": true, "defaultServe": rollout(25)})),
            "on for 25 %"
        );
        assert_eq!(
            said(json!({"enabled": true, "defaultServe": rollout(0)})),
            "off for everyone"
        );
        assert_eq!(
            said(json!({"enabled": true, "defaultServe": {"variant": "on"},
                "rules": [{"clauses": [], "serve": {"variant": "off"}}],
                "targets": [{"values": ["u1"], "variant": "off"}]})),
            "on for everyone else (1 target list, 1 rule first)"
        );
        assert_eq!(
            said(json!({"enabled": true, "defaultServe": rollout(10),
                "rules": [{"clauses": [], "serve": {"variant": "on"}}, {"clauses": [], "serve": {"variant": "on"}}]})),
            "on for 10 % of the rest (2 rules first)"
        );
        assert_eq!(
            served(&flag(json!({})), "staging", now()).words,
            "off for everyone (callers' defaults)"
        );
    }

    #[test]
    fn the_colour_is_what_people_get() {
        let tone = |production: Value| served(&flag(production), "production", now()).tone;
        // Enabled, yet everyone gets the off variant: not green.
        assert_eq!(
            tone(json!({"enabled": true, "defaultServe": {"variant": "off"}})),
            Tone::Off
        );
        assert_eq!(
            tone(json!({"enabled": true, "defaultServe": {"variant": "on"}})),
            Tone::On
        );
        assert_eq!(
            tone(json!({"enabled": true, "defaultServe": rollout(25)})),
            Tone::Partial
        );
        assert_eq!(
            tone(json!({"enabled": true, "defaultServe": rollout(100)})),
            Tone::On
        );
        assert_eq!(
            tone(json!({"enabled": true, "defaultServe": {"variant": "off"},
                "rules": [{"clauses": [], "serve": {"variant": "on"}}]})),
            Tone::Partial
        );
        assert_eq!(
            tone(
                json!({"enabled": true, "defaultServe": {"variant": "off"}, "schedule": [
                {"at": "2026-12-08T09:00:00Z", "defaultServe": {"variant": "on"}}]})
            ),
            Tone::Partial
        );
        assert_eq!(
            tone(json!({"enabled": false, "offVariant": "off"})),
            Tone::Off
        );
        assert_eq!(tone(json!({"enabled": true})), Tone::Off);
    }

    #[test]
    fn the_schedule_in_force_and_the_next_step() {
        let f = flag(
            json!({"enabled": true, "defaultServe": {"variant": "off"}, "schedule": [
                {"at": "2026-12-06T09:00:00Z", "defaultServe": rollout(25)},
                {"at": "2026-12-08T09:00:00Z", "defaultServe": rollout(50)},
                {"at": "2026-12-09T09:00:00Z", "defaultServe": {"variant": "on"}}
            ]}),
        );
        assert_eq!(
            served(&f, "production", now()).words,
            "on for 25 %; scheduled: 50 % on Dec 8"
        );
        let before = parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
        assert_eq!(
            served(&f, "production", before).words,
            "off for everyone; scheduled: 25 % on Dec 6"
        );
        let after = parse_rfc3339("2026-12-10T00:00:00Z").unwrap();
        assert_eq!(served(&f, "production", after).words, "on for everyone");
    }

    #[test]
    fn other_kinds_name_their_variants() {
        let f: Flag = serde_json::from_value(json!({"kind": "string",
            "variants": {"blue": "#00f", "green": "#0f0"},
            "environments": {"production": {"enabled": true, "defaultServe": {"rollout": {"weights": [
                {"variant": "blue", "weight": 1}, {"variant": "green", "weight": 3}]}}},
                "staging": {"enabled": false, "offVariant": "blue"}}}))
        .unwrap();
        assert_eq!(
            served(&f, "production", now()).words,
            "split: blue 25 %, green 75 %"
        );
        assert_eq!(
            served(&f, "staging", now()).words,
            "switched off: blue for everyone"
        );
        assert_eq!(percent(33.333), "33.33 %");
        assert_eq!(short_date(now()), "Dec 7");
    }
}
