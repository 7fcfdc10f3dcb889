//! Copy-able code that reads one flag: with the npm package, through OpenFeature, and over
//! REST (OFREP). Written from the flag's kind and a default of that kind, so what is pasted
//! compiles and asks for the right type.

use burgee_core::model::Kind;
use serde_json::Value;

/// One snippet: what it is for, and the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub title: &'static str,
    pub code: String,
}

/// What a snippet needs to know about where it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The edge worker's origin, e.g. `https://flags.example.com`.
    pub origin: String,
    pub environment: String,
}

/// The default a reader of `kind` passes, as JavaScript: the flag's off value when it has one
/// of that kind, else the kind's zero.
fn default_js(kind: &Kind, off: Option<&Value>) -> String {
    let fits = |v: &&Value| match kind {
        Kind::Boolean => v.is_boolean(),
        Kind::String => v.is_string(),
        Kind::Number => v.is_number(),
        Kind::Json => v.is_object() || v.is_array(),
        Kind::Unknown(_) => true,
    };
    match (off.filter(fits), kind) {
        (Some(v), _) => v.to_string(),
        (None, Kind::Boolean) => "false".into(),
        (None, Kind::String) => "\"\"".into(),
        (None, Kind::Number) => "0".into(),
        (None, Kind::Json) => "{}".into(),
        (None, Kind::Unknown(_)) => "null".into(),
    }
}

/// The OpenFeature client's typed getter for `kind`.
fn openfeature_getter(kind: &Kind) -> &'static str {
    match kind {
        Kind::Boolean => "getBooleanValue",
        Kind::String => "getStringValue",
        Kind::Number => "getNumberValue",
        Kind::Json | Kind::Unknown(_) => "getObjectValue",
    }
}

/// A key as a JavaScript string literal (JSON's escaping is JavaScript's).
fn literal(key: &str) -> String {
    Value::from(key).to_string()
}

/// The three snippets for flag `key` of `kind` whose off value is `off`.
pub fn snippets(key: &str, kind: &Kind, off: Option<&Value>, place: &Place) -> Vec<Snippet> {
    let k = literal(key);
    let d = default_js(kind, off);
    let url = literal(&place.origin);
    let env = literal(&place.environment);
    let read = if *kind == Kind::Boolean {
        format!("flags.isEnabled({k}, {d})")
    } else {
        format!("flags.value({k}, {d})")
    };
    let npm = format!(
        "import {{ createClient }} from \"burgee\";\n\nconst flags = createClient({{\n  url: {url},\n  environment: {env},\n  context: {{ targetingKey: user.id }},\n}});\n\nconst value = {read};"
    );
    let openfeature = format!(
        "import {{ OpenFeature }} from \"@openfeature/web-sdk\";\nimport {{ createClient }} from \"burgee\";\nimport {{ BurgeeProvider }} from \"burgee/openfeature\";\n\nconst flags = createClient({{ url: {url}, environment: {env} }});\nawait OpenFeature.setProviderAndWait(new BurgeeProvider(flags));\nawait OpenFeature.setContext({{ targetingKey: user.id }});\n\nconst value = OpenFeature.getClient().{getter}({k}, {d});",
        getter = openfeature_getter(kind)
    );
    let path = burgee_api::percent_encode(key);
    let env_path = burgee_api::percent_encode(&place.environment);
    let rest = format!(
        "curl -s -X POST \\\n  {origin}/env/{env_path}/ofrep/v1/evaluate/flags/{path} \\\n  -H 'Content-Type: application/json' \\\n  -H \"Authorization: Bearer $BURGEE_EVALUATION_KEY\" \\\n  -d '{{\"context\": {{\"targetingKey\": \"user-1\"}}}}'",
        origin = place.origin.trim_end_matches('/'),
    );
    vec![
        Snippet {
            title: "npm package",
            code: npm,
        },
        Snippet {
            title: "OpenFeature",
            code: openfeature,
        },
        Snippet {
            title: "REST (OFREP)",
            code: rest,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn place() -> Place {
        Place {
            origin: "https://flags.example.com".into(),
            environment: "production".into(),
        }
    }

    #[test]
    fn each_kind_reads_with_its_own_type_and_default() {
        let b = snippets(
            "new-checkout",
            &Kind::Boolean,
            Some(&json!(false)),
            &place(),
        );
        assert!(
            b[0].code
                .contains("flags.isEnabled(\"new-checkout\", false)")
        );
        assert!(
            b[1].code
                .contains("getBooleanValue(\"new-checkout\", false)")
        );
        let s = snippets("banner", &Kind::String, Some(&json!("Hello")), &place());
        assert!(s[0].code.contains("flags.value(\"banner\", \"Hello\")"));
        assert!(s[1].code.contains("getStringValue(\"banner\", \"Hello\")"));
        let n = snippets("max", &Kind::Number, None, &place());
        assert!(n[1].code.contains("getNumberValue(\"max\", 0)"));
        let j = snippets("cfg", &Kind::Json, Some(&json!(true)), &place());
        assert!(
            j[0].code.contains("flags.value(\"cfg\", {})"),
            "an off value of another kind is not used"
        );
    }

    #[test]
    fn keys_and_environments_are_escaped_where_they_go() {
        let odd = Place {
            origin: "https://flags.example.com/".into(),
            environment: "eu west".into(),
        };
        let r = snippets("a\"b/c", &Kind::Boolean, None, &odd);
        assert!(
            r[0].code.contains("flags.isEnabled(\"a\\\"b/c\", false)"),
            "{}",
            r[0].code
        );
        assert!(r[0].code.contains("environment: \"eu west\""));
        assert!(
            r[2].code.contains(
                "https://flags.example.com/env/eu%20west/ofrep/v1/evaluate/flags/a%22b%2Fc"
            ),
            "{}",
            r[2].code
        );
    }
}
