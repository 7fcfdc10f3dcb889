//! The Prometheus text exposition format (version 0.0.4), so operators can alert on Burgee
//! with what they already run. Each family gets `# HELP` and `# TYPE` once, before its
//! samples; label values escape backslash, double quote and newline; HELP text escapes
//! backslash and newline.

use alloc::string::String;
use core::fmt::Write;

/// One label value, escaped.
fn escape_label(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A sample value as the format writes floats.
fn value(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Writes metric families in the text format.
#[derive(Clone, Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// Starts a family: `kind` is `counter` or `gauge`.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) -> &mut Self {
        let _ = write!(self.out, "# HELP {name} ");
        escape_help(help, &mut self.out);
        let _ = writeln!(self.out, "\n# TYPE {name} {kind}");
        self
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: f64) -> &mut Self {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, text)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(label);
                self.out.push_str("=\"");
                escape_label(text, &mut self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        value(v, &mut self.out);
        self.out.push('\n');
        self
    }

    /// The text, every line ended by a newline.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Burgee's metrics: evaluation totals `(environment, flag, variant, reason, count)` (an empty
/// variant is the caller's default), custom event totals `(environment, event, count)`, and
/// the publication lag per environment in seconds, which the caller measures.
pub fn render<'a>(
    evaluations: impl IntoIterator<Item = (&'a str, &'a str, &'a str, &'a str, u64)>,
    events: impl IntoIterator<Item = (&'a str, &'a str, u64)>,
    publication_lag_s: impl IntoIterator<Item = (&'a str, f64)>,
) -> String {
    let mut e = Exposition::new();
    let name = "burgee_evaluations_total";
    e.family(
        name,
        "counter",
        "Flag evaluations counted at the edge and in clients, by environment, flag, variant and reason.",
    );
    for (environment, flag, variant, reason, n) in evaluations {
        let labels = [
            ("environment", environment),
            ("flag", flag),
            ("variant", variant),
            ("reason", reason),
        ];
        e.sample(name, &labels, n as f64);
    }
    let name = "burgee_events_total";
    e.family(
        name,
        "counter",
        "Custom events tracked, by environment and event.",
    );
    for (environment, event, n) in events {
        e.sample(
            name,
            &[("environment", environment), ("event", event)],
            n as f64,
        );
    }
    let name = "burgee_publication_lag_seconds";
    e.family(
        name,
        "gauge",
        "Seconds from a document write to its snapshot being served, by environment.",
    );
    for (environment, lag) in publication_lag_s {
        e.sample(name, &[("environment", environment)], lag);
    }
    e.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    /// Parses one sample line by the format's grammar, unescaping label values.
    fn parse(line: &str) -> (String, Vec<(String, String)>, String) {
        let (name, rest) = line.split_at(line.find(['{', ' ']).unwrap());
        let mut labels = Vec::new();
        let mut chars = rest.chars().peekable();
        if chars.peek() == Some(&'{') {
            chars.next();
            loop {
                let label: String = chars.by_ref().take_while(|c| *c != '=').collect();
                assert!(
                    label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{label}"
                );
                assert_eq!(chars.next(), Some('"'));
                let mut value = String::new();
                loop {
                    match chars.next().unwrap() {
                        '\\' => match chars.next().unwrap() {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("bad escape \\{other}"),
                        },
                        '"' => break,
                        '\n' => panic!("raw newline in a label value"),
                        c => value.push(c),
                    }
                }
                labels.push((label, value));
                match chars.next() {
                    Some(',') => continue,
                    Some('}') => break,
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(chars.next(), Some(' '));
        (name.into(), labels, chars.collect())
    }

    #[test]
    fn families_samples_and_escaping_follow_the_format() {
        let tricky = "a\\b\"c\nd";
        let text = render(
            [
                ("production", "checkout", "on", "SPLIT", 12),
                ("production", "checkout", "", "ERROR", 1),
                ("production", tricky, "on", "STATIC", 3),
            ],
            [("production", "purchase", 2)],
            [("production", 0.25), ("staging", f64::INFINITY)],
        );
        assert!(text.ends_with('\n'));
        let mut families = Vec::new();
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                families.push(rest.split(' ').next().unwrap().to_string());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert_eq!(Some(&name.to_string()), families.last());
                assert!(kind == "counter" || kind == "gauge");
            } else {
                let (name, labels, value) = parse(line);
                // A sample belongs to the family declared last.
                assert_eq!(Some(&name), families.last());
                samples.push((name, labels, value));
            }
        }
        assert_eq!(
            families,
            [
                "burgee_evaluations_total",
                "burgee_events_total",
                "burgee_publication_lag_seconds"
            ]
        );
        assert_eq!(samples.len(), 6);
        assert_eq!(samples[0].2, "12");
        assert_eq!(samples[2].1[1], ("flag".into(), tricky.into()));
        assert!(text.contains(r#"flag="a\\b\"c\nd""#));
        assert_eq!(samples[4].2, "0.25");
        assert_eq!(samples[5].2, "+Inf");
        assert!(text.contains(
            "burgee_evaluations_total{environment=\"production\",flag=\"checkout\",variant=\"on\",reason=\"SPLIT\"} 12\n"
        ));
    }

    #[test]
    fn help_text_escapes_backslash_and_newline() {
        let mut e = Exposition::new();
        e.family("x", "gauge", "one\\two\nthree")
            .sample("x", &[], f64::NAN);
        assert_eq!(
            e.finish(),
            "# HELP x one\\\\two\\nthree\n# TYPE x gauge\nx NaN\n"
        );
    }
}
