//! Protected environments: where a change must say why. `PROTECTED_ENVIRONMENTS`, a variable
//! of the control script, is JSON `{"production": {"reason": true}}`. It lives in the
//! deployment's configuration, not in the flag document, so that nobody who may edit flags can
//! lift the protection with an edit.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Protection {
    /// A write that changes what the environment serves must carry a reason.
    #[serde(default)]
    reason: bool,
}

/// The protected environments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protected(BTreeMap<String, Protection>);

impl Protected {
    /// Parses `PROTECTED_ENVIRONMENTS`; absent or empty: nothing is protected.
    pub fn parse(text: Option<&str>) -> Result<Protected, String> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Protected::default());
        };
        serde_json::from_str(text).map(Protected).map_err(|e| {
            format!(
                "PROTECTED_ENVIRONMENTS is not {{\"<environment>\": {{\"reason\": true}}}}: {e}"
            )
        })
    }

    /// Whether a change to `environment` must carry a reason.
    pub fn needs_reason(&self, environment: &str) -> bool {
        self.0.get(environment).is_some_and(|p| p.reason)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn protection_is_per_environment_and_malformed_configuration_is_refused() {
        let p =
            Protected::parse(Some(r#"{"production": {"reason": true}, "staging": {}}"#)).unwrap();
        assert!(p.needs_reason("production"));
        assert!(!p.needs_reason("staging"));
        assert!(!p.needs_reason("development"));
        assert_eq!(Protected::parse(None).unwrap(), Protected::default());
        assert!(Protected::parse(Some(r#"{"production": {"reasons": true}}"#)).is_err());
        assert!(Protected::parse(Some("[]")).is_err());
    }
}
