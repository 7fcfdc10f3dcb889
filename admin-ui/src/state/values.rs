//! Text in inputs ↔ typed JSON values in the document.
//!
//! People type lists (`admin, owner`), numbers and times into text inputs; the document holds
//! typed JSON. Parsing here is deliberately lenient and never rejects anything: a token that is
//! not what its operator expects is kept (as a string) so that the core's validator reports it,
//! at its element of `values`, with the same message the store would give. The one judge of what
//! is valid is the core.

use super::json_errors::describe;
use burgee_core::model::{Kind, Op};
use burgee_core::time::{format_rfc3339, parse_rfc3339};
use serde_json::Value;

/// What an optional text field holds: the text trimmed, `None` when nothing is left.
pub fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// What a clause's operator compares, which decides how its values are read and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// `exists`: no values.
    None,
    /// Strings only (`startsWith`, `contains`, semver operators).
    Text,
    /// Numbers (`eq`, `lt`, …).
    Number,
    /// RFC 3339 strings or epoch milliseconds (`before`, `after`).
    Time,
    /// Ids: strings, numbers or booleans (`in`, and targets).
    Id,
    /// Segment keys (`inSegment`).
    Segment,
}

pub fn value_kind(op: &Op) -> ValueKind {
    match op {
        Op::Exists => ValueKind::None,
        Op::StartsWith
        | Op::EndsWith
        | Op::Contains
        | Op::SemverEq
        | Op::SemverLt
        | Op::SemverLte
        | Op::SemverGt
        | Op::SemverGte => ValueKind::Text,
        Op::Eq | Op::Lt | Op::Lte | Op::Gt | Op::Gte => ValueKind::Number,
        Op::Before | Op::After => ValueKind::Time,
        Op::InSegment => ValueKind::Segment,
        Op::In | Op::Unknown(_) => ValueKind::Id,
    }
}

/// A short phrase for the operator, for the select and for summaries.
pub fn op_label(op: &Op) -> &'static str {
    match op {
        Op::In => "is one of",
        Op::StartsWith => "starts with",
        Op::EndsWith => "ends with",
        Op::Contains => "contains",
        Op::Eq => "=",
        Op::Lt => "<",
        Op::Lte => "≤",
        Op::Gt => ">",
        Op::Gte => "≥",
        Op::SemverEq => "semver =",
        Op::SemverLt => "semver <",
        Op::SemverLte => "semver ≤",
        Op::SemverGt => "semver >",
        Op::SemverGte => "semver ≥",
        Op::Before => "before",
        Op::After => "after",
        Op::InSegment => "in segment",
        Op::Exists => "exists",
        Op::Unknown(_) => "unknown operator",
    }
}

/// A hint for the values input of an operator.
pub fn values_hint(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::None => "",
        ValueKind::Text => "comma-separated text; quote a value that contains a comma",
        ValueKind::Number => "comma-separated numbers",
        ValueKind::Time => "RFC 3339 times (2026-12-01T09:00:00Z) or epoch milliseconds",
        ValueKind::Id => "comma-separated; 42 and true are typed, \"42\" is text",
        ValueKind::Segment => "segment keys",
    }
}

/// Splits a list typed into one input: commas or new lines separate; a token that starts with
/// `"` is a JSON string (so it may hold commas); blanks are dropped.
pub fn split_list(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            return out;
        }
        if rest.starts_with('"')
            && let Some((s, len)) = quoted(rest)
        {
            out.push(Token::Quoted(s));
            rest = rest.get(len..).unwrap_or_default();
            continue;
        }
        let end = rest.find([',', '\n']).unwrap_or(rest.len());
        let token = rest.get(..end).unwrap_or_default().trim();
        if !token.is_empty() {
            out.push(Token::Bare(token.to_string()));
        }
        rest = rest.get(end..).unwrap_or_default();
    }
}

/// One element of a typed list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// Written in quotes: always text.
    Quoted(String),
    Bare(String),
}

/// A JSON string at the start of `text`: its value and its length in bytes.
fn quoted(text: &str) -> Option<(String, usize)> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                let literal = text.get(..=i)?;
                return serde_json::from_str::<String>(literal)
                    .ok()
                    .map(|s| (s, i + 1));
            }
            _ => {}
        }
    }
    None
}

fn number(text: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Number(_)) => Some(tidy_numbers(v)),
        _ => None,
    }
}

/// Whole numbers written as floats (`1e2`, `100.0`, `-0`) as the integers they are, at any
/// depth: what is typed reads back the way the store and the edge print it (`100`).
pub fn tidy_numbers(value: Value) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer up to it is exact
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(tidy_numbers).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, tidy_numbers(v))).collect())
        }
        other => other,
    }
}

/// Reads a clause's values for its operator.
pub fn parse_values(op: &Op, text: &str) -> Vec<Value> {
    let kind = value_kind(op);
    if kind == ValueKind::None {
        return Vec::new();
    }
    split_list(text)
        .into_iter()
        .map(|token| match token {
            Token::Quoted(s) => Value::String(s),
            Token::Bare(s) => match kind {
                ValueKind::Number | ValueKind::Time => number(&s).unwrap_or(Value::String(s)),
                ValueKind::Id => match s.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => number(&s).unwrap_or(Value::String(s)),
                },
                _ => Value::String(s),
            },
        })
        .collect()
}

/// Writes values back as the list [`parse_values`] reads (quoting text that would otherwise
/// read differently).
pub fn format_values(op: &Op, values: &[Value]) -> String {
    let kind = value_kind(op);
    let items: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => {
                let bare_reads_back = match kind {
                    ValueKind::Number | ValueKind::Time => number(s).is_none(),
                    ValueKind::Id => number(s).is_none() && s != "true" && s != "false",
                    _ => true,
                };
                let plain = !s.is_empty()
                    && s.trim() == s
                    && !s.starts_with('"')
                    && !s.contains([',', '\n']);
                if plain && bare_reads_back {
                    s.clone()
                } else {
                    Value::String(s.clone()).to_string()
                }
            }
            other => other.to_string(),
        })
        .collect();
    items.join(", ")
}

/// Reads a list of plain ids (segment members, target values as text).
pub fn parse_ids(text: &str) -> Vec<String> {
    split_list(text)
        .into_iter()
        .map(|t| match t {
            Token::Quoted(s) | Token::Bare(s) => s,
        })
        .collect()
}

pub fn format_ids(ids: &[String]) -> String {
    let values: Vec<Value> = ids.iter().cloned().map(Value::String).collect();
    format_values(&Op::StartsWith, &values)
}

/// Text as an error message quotes it: `` `abc` ``, or "an empty value".
fn quote(text: &str) -> String {
    match text.trim() {
        "" => "an empty value".into(),
        t => format!("`{t}`"),
    }
}

/// Reads a variant's value as typed into its input, for the flag's kind.
pub fn parse_variant(kind: &Kind, text: &str) -> Result<Value, String> {
    match kind {
        Kind::String => Ok(Value::String(text.to_string())),
        Kind::Boolean => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "{} is neither true nor false: choose one",
                quote(text)
            )),
        },
        Kind::Number => number(text.trim())
            .ok_or_else(|| format!("{} is not a number (such as 3 or 0.25)", quote(text))),
        Kind::Json | Kind::Unknown(_) => serde_json::from_str::<Value>(text)
            .map(tidy_numbers)
            .map_err(|e| describe(&e)),
    }
}

/// Shows a variant's value in its input: strings bare for string flags, JSON otherwise.
pub fn format_variant(kind: &Kind, value: &Value) -> String {
    match (kind, value) {
        (Kind::String, Value::String(s)) => s.clone(),
        (_, v) => v.to_string(),
    }
}

/// The value a new variant starts with, and the one the model holds for a variant whose text
/// does not parse (so references to it stay valid while its input shows the error).
pub fn zero_value(kind: &Kind) -> Value {
    match kind {
        Kind::Boolean => Value::Bool(false),
        Kind::String => Value::String(String::new()),
        Kind::Number => Value::from(0),
        Kind::Json | Kind::Unknown(_) => Value::Null,
    }
}

/// A variant's text, typed for a flag of kind `from`, rewritten for kind `to` without losing
/// what converts: `500` ↔ `"500"`, `true` ↔ `"true"`, a JSON value ↔ its JSON text (text that
/// is not JSON becomes a JSON string). What cannot convert (`"blue"` as a number) keeps its
/// text, so that its input shows why; converting back then gives the original again.
pub fn convert_variant(from: &Kind, to: &Kind, text: &str) -> String {
    if from == to {
        return text.to_string();
    }
    let Ok(value) = parse_variant(from, text) else {
        return text.to_string();
    };
    match (to, value) {
        (Kind::Json | Kind::Unknown(_), Value::String(s))
            if serde_json::from_str::<Value>(&s).is_ok() =>
        {
            s
        }
        (Kind::Json | Kind::Unknown(_), v) => v.to_string(),
        // Text read as a boolean or a number: it parses, or shows its error.
        (_, Value::String(s)) => s,
        (_, v) => v.to_string(),
    }
}

/// A short rendering of a JSON value for tables (long values are cut).
pub fn short_json(value: &Value, max: usize) -> String {
    let text = value.to_string();
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

// -- time ------------------------------------------------------------------------------------
// Written and read by the core (`burgee_core::time`), shown here for people.

/// Epoch milliseconds → `2026-12-08 09:00 UTC`, for people.
pub fn display_time(ms: i64) -> String {
    let text = format_rfc3339(ms);
    let date = text.get(..10).unwrap_or_default();
    let time = text.get(11..16).unwrap_or_default();
    format!("{date} {time} UTC")
}

/// A store timestamp (RFC 3339) for people; text that is not a time as it is.
pub fn display_stamp(at: &str) -> String {
    parse_rfc3339(at).map_or_else(|| at.to_string(), display_time)
}

/// A schedule step's `at` → the value of an `<input type="datetime-local">` showing UTC
/// (`2026-12-08T09:00:00`); empty when `at` is not a time.
pub fn at_to_input(at: &str) -> String {
    match parse_rfc3339(at) {
        Some(ms) => format_rfc3339(ms).trim_end_matches('Z').to_string(),
        None => String::new(),
    }
}

pub const DAY_MS: i64 = 86_400_000;

/// 09:00 UTC on the day after `now_ms`: where new schedule steps and ramps start by default
/// (a time in the future, at the start of a working day).
pub fn tomorrow_morning(now_ms: i64) -> i64 {
    (now_ms.div_euclid(DAY_MS) + 1) * DAY_MS + 9 * 3_600_000
}

/// The value of a `datetime-local` input (read as UTC) → RFC 3339. Inputs without seconds
/// (`2026-12-08T09:00`) get `:00`.
pub fn input_to_at(input: &str) -> String {
    let input = input.trim();
    if input.is_empty() {
        return String::new();
    }
    if input.len() == 16 {
        format!("{input}:00Z")
    } else {
        format!("{input}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_read_back_as_integers() {
        let v = parse_variant(&Kind::Number, "1e2").unwrap();
        assert_eq!(format_variant(&Kind::Number, &v), "100");
        let v = parse_variant(&Kind::Json, r#"{"a": [1e2, 0.5, -0.0, 1e300]}"#).unwrap();
        assert_eq!(v.to_string(), r#"{"a":[100,0.5,0,1e+300]}"#);
        let e = parse_variant(&Kind::Json, "{\"a\":").unwrap_err();
        assert!(e.contains("ends before the value is complete"), "{e}");
    }
    #[test]
    fn lists_split_on_commas_and_lines_with_quotes() {
        assert_eq!(
            split_list(" a, b ,\n\"c, d\",, e\"f "),
            vec![
                Token::Bare("a".into()),
                Token::Bare("b".into()),
                Token::Quoted("c, d".into()),
                Token::Bare("e\"f".into()),
            ]
        );
        assert!(split_list(" , \n").is_empty());
        // An unterminated quote is text.
        assert_eq!(split_list("\"abc"), vec![Token::Bare("\"abc".into())]);
    }

    #[test]
    fn values_are_typed_by_operator() {
        assert_eq!(
            parse_values(&Op::In, "admin, 42, true, \"7\""),
            vec![json!("admin"), json!(42), json!(true), json!("7")]
        );
        assert_eq!(
            parse_values(&Op::StartsWith, "42, x"),
            vec![json!("42"), json!("x")]
        );
        // Not a number: kept as text, for the core to report at its element.
        assert_eq!(
            parse_values(&Op::Gt, "1.5, abc"),
            vec![json!(1.5), json!("abc")]
        );
        assert_eq!(
            parse_values(&Op::Before, "2026-12-01T09:00:00Z, 1700000000000"),
            vec![json!("2026-12-01T09:00:00Z"), json!(1_700_000_000_000_i64)]
        );
        assert!(parse_values(&Op::Exists, "anything").is_empty());
    }

    #[test]
    fn values_round_trip_through_text() {
        let cases: Vec<(Op, Vec<Value>)> = vec![
            (
                Op::In,
                vec![
                    json!("a"),
                    json!(1),
                    json!("1"),
                    json!(false),
                    json!("true"),
                ],
            ),
            (
                Op::In,
                vec![json!("x, y"), json!(" padded "), json!(""), json!("\"q")],
            ),
            (Op::Contains, vec![json!("42"), json!("a,b")]),
            (Op::Gte, vec![json!(2.5), json!("oops")]),
            (Op::After, vec![json!("2026-01-01T00:00:00Z"), json!(5)]),
            (Op::InSegment, vec![json!("beta-testers")]),
        ];
        for (op, values) in cases {
            let text = format_values(&op, &values);
            assert_eq!(parse_values(&op, &text), values, "{op:?} via {text:?}");
        }
    }

    #[test]
    fn ids_round_trip() {
        let ids = vec!["u1".to_string(), "a,b".into(), "42".into()];
        assert_eq!(parse_ids(&format_ids(&ids)), ids);
    }

    #[test]
    fn variant_values_by_kind() {
        assert_eq!(parse_variant(&Kind::Boolean, " true "), Ok(json!(true)));
        assert!(parse_variant(&Kind::Boolean, "yes").is_err());
        assert_eq!(
            parse_variant(&Kind::String, " spaced "),
            Ok(json!(" spaced "))
        );
        assert_eq!(parse_variant(&Kind::Number, "0.25"), Ok(json!(0.25)));
        assert!(parse_variant(&Kind::Number, "\"1\"").is_err());
        assert_eq!(
            parse_variant(&Kind::Json, r#"{"a":[1]}"#),
            Ok(json!({"a": [1]}))
        );
        let err = parse_variant(&Kind::Json, "{").unwrap_err();
        assert!(err.starts_with("not valid JSON"), "{err}");
        assert!(!err.contains("line"), "{err}");
        for (kind, v) in [
            (Kind::String, json!("x")),
            (Kind::Number, json!(3)),
            (Kind::Json, json!({"k": null})),
            (Kind::Boolean, json!(false)),
        ] {
            assert_eq!(parse_variant(&kind, &format_variant(&kind, &v)), Ok(v));
        }
        // Messages quote what was typed.
        assert_eq!(
            parse_variant(&Kind::Boolean, "#1f6feb"),
            Err("`#1f6feb` is neither true nor false: choose one".into())
        );
        assert_eq!(
            parse_variant(&Kind::Number, " "),
            Err("an empty value is not a number (such as 3 or 0.25)".into())
        );
    }

    #[test]
    fn zero_values_are_of_their_kind() {
        for kind in [Kind::Boolean, Kind::String, Kind::Number, Kind::Json] {
            let text = format_variant(&kind, &zero_value(&kind));
            assert_eq!(
                parse_variant(&kind, &text),
                Ok(zero_value(&kind)),
                "{kind:?}"
            );
        }
    }

    /// Follows `text` through a list of kinds, as the kind select does.
    fn through(text: &str, kinds: &[Kind]) -> String {
        let mut text = text.to_string();
        for pair in kinds.windows(2) {
            text = convert_variant(&pair[0], &pair[1], &text);
        }
        text
    }

    #[test]
    fn kind_changes_convert_values_both_ways() {
        use Kind::*;
        assert_eq!(through("true", &[Boolean, String, Boolean]), "true");
        assert_eq!(through("false", &[Boolean, String]), "false");
        assert_eq!(through("500", &[Number, String]), "500");
        assert_eq!(through("500", &[Number, String, Number]), "500");
        assert_eq!(through("0.25", &[Number, Json, Number]), "0.25");
        assert_eq!(
            through(r#"{"a":[1]}"#, &[Json, String]),
            r#"{"a":[1]}"#,
            "a JSON value as text"
        );
        assert_eq!(
            through(r#"{"a":[1]}"#, &[Json, String, Json]),
            r#"{"a":[1]}"#
        );
        assert_eq!(through("hello", &[String, Json]), r#""hello""#);
        assert_eq!(through("hello", &[String, Json, String]), "hello");
        assert_eq!(through("42", &[String, Json]), "42");
        assert_eq!(
            through("true", &[Boolean, String, Number, Json, Boolean, String]),
            "true",
            "the QA sequence"
        );
        // What cannot convert keeps its text and shows an error; going back restores it.
        let blue = through("#1f6feb", &[String, Boolean]);
        assert_eq!(blue, "#1f6feb");
        assert!(parse_variant(&Boolean, &blue).is_err());
        assert_eq!(through("#1f6feb", &[String, Boolean, String]), "#1f6feb");
        assert!(parse_variant(&Number, &through("true", &[Boolean, Number])).is_err());
        assert!(parse_variant(&Boolean, &through("1", &[Number, Boolean])).is_err());
        // Text that does not parse for its own kind is left alone.
        assert_eq!(convert_variant(&Number, &String, "abc"), "abc");
        assert_eq!(convert_variant(&Json, &Number, "{"), "{");
    }

    #[test]
    fn tomorrow_morning_is_the_next_day_at_nine() {
        // 2026-12-08T09:00:00Z and 23:59 that day, both → 2026-12-09T09:00:00Z.
        let nine = 1_796_720_400_000;
        assert_eq!(
            format_rfc3339(tomorrow_morning(nine)),
            "2026-12-09T09:00:00Z"
        );
        assert_eq!(
            format_rfc3339(tomorrow_morning(nine + 15 * 3_600_000 - 60_000)),
            "2026-12-09T09:00:00Z"
        );
        assert_eq!(
            format_rfc3339(tomorrow_morning(nine - 9 * 3_600_000)),
            "2026-12-09T09:00:00Z",
            "from midnight"
        );
    }

    #[test]
    fn times_convert_both_ways() {
        assert_eq!(display_time(1_796_720_400_000), "2026-12-08 09:00 UTC");
        assert_eq!(display_time(-1000), "1969-12-31 23:59 UTC");
        assert_eq!(display_time(1_796_720_400_250), "2026-12-08 09:00 UTC");
        assert_eq!(
            at_to_input("2026-12-08T10:00:00+01:00"),
            "2026-12-08T09:00:00"
        );
        // The core writes milliseconds only when there are some; the input shows them.
        assert_eq!(
            at_to_input("2026-12-08T09:00:00.250Z"),
            "2026-12-08T09:00:00.250"
        );
        assert_eq!(at_to_input("nonsense"), "");
        assert_eq!(input_to_at("2026-12-08T09:00"), "2026-12-08T09:00:00Z");
        assert_eq!(input_to_at("2026-12-08T09:00:30"), "2026-12-08T09:00:30Z");
        assert_eq!(input_to_at(" "), "");
        for ms in [0, 951_782_400_000, 1_709_164_800_000, 4_102_444_800_000] {
            let input = at_to_input(&format_rfc3339(ms));
            assert_eq!(parse_rfc3339(&input_to_at(&input)), Some(ms), "{input}");
        }
        assert_eq!(
            display_stamp("2026-12-08T09:00:00Z"),
            "2026-12-08 09:00 UTC"
        );
        assert_eq!(
            display_stamp("2026-12-08T09:00:00.999Z"),
            "2026-12-08 09:00 UTC"
        );
        assert_eq!(display_stamp("yesterday"), "yesterday");
    }
}
