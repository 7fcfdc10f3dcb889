//! serde_json's errors in words a person typing JSON into a form can act on: "expected ident
//! at line 1 column 2" says little to someone who typed `yes`.

/// What is wrong with some JSON text, and where (the column, for one-line inputs).
pub fn describe(e: &serde_json::Error) -> String {
    let raw = e.to_string();
    let what = raw
        .rfind(" at line ")
        .and_then(|i| raw.get(..i))
        .unwrap_or(&raw);
    let plain = if what == "expected ident" || what == "expected value" {
        "a value is missing, or is text without \"quotes\" (only numbers, true, false and null go without)"
    } else if what.starts_with("EOF while parsing") {
        "it ends before the value is complete"
    } else if what == "trailing characters" || what == "trailing comma" {
        "something follows where it should end"
    } else if what == "key must be a string" {
        "object keys need \"quotes\""
    } else {
        what
    };
    if e.line() > 1 {
        format!(
            "not valid JSON: {plain} (line {}, column {})",
            e.line(),
            e.column()
        )
    } else {
        format!("not valid JSON: {plain} (column {})", e.column())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match serde_json::from_str::<serde_json::Value>(text) {
            Err(e) => describe(&e),
            Ok(v) => panic!("{text} parsed as {v}"),
        }
    }

    #[test]
    fn common_slips_read_plainly() {
        assert_eq!(
            error("{\"plan\": pro}"),
            "not valid JSON: a value is missing, or is text without \"quotes\" (only numbers, true, false and null go without) (column 10)"
        );
        assert!(error("[trux]").contains("without \"quotes\""));
        assert!(error("{\"a\": 1,").contains("ends before the value is complete"));
        assert!(error("[1] x").contains("something follows"));
        assert!(error("{a: 1}").contains("keys need"));
        let e = error("{\n\"a\": }");
        assert!(e.contains("(line 2, column "), "{e}");
    }
}
