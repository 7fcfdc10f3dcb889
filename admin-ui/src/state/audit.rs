//! The store's audit log as a team reads it: who did what, where and when, across every flag
//! and segment. The filter lives in the address (`#/audit?actor=ada&env=production`) so that a
//! filtered log can be shared and survives a reload; the same filter, in the API's names, is
//! what the page asks the store for. A flag's own Audit tab is this filter with its key alone.

use super::route::{query_pairs, query_string};
use super::values::input_to_at;

/// The audit page's filter. `from` and `to` are as typed in a `datetime-local` field (UTC,
/// `2026-12-07T09:00`); `from` is inclusive, `to` exclusive, as the store reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: String,
    /// A flag's key: the entries about changes that concern it.
    pub flag: String,
    pub env: String,
    pub from: String,
    pub to: String,
}

impl AuditQuery {
    /// The entries about one flag.
    pub fn of_flag(key: &str) -> AuditQuery {
        AuditQuery {
            flag: key.to_string(),
            ..AuditQuery::default()
        }
    }

    /// Reads the part after `?` in the address (unknown names are ignored).
    pub fn parse(query: &str) -> AuditQuery {
        let mut q = AuditQuery::default();
        for (name, value) in query_pairs(query) {
            match name.as_str() {
                "actor" => q.actor = value,
                "flag" => q.flag = value,
                "env" => q.env = value,
                "from" => q.from = value,
                "to" => q.to = value,
                _ => {}
            }
        }
        q
    }

    /// `?actor=ada&env=production`, or nothing when no field is set: the address's.
    pub fn to_query(&self) -> String {
        query_string(&[
            ("actor", self.actor.clone()),
            ("flag", self.flag.clone()),
            ("env", self.env.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
        ])
    }

    /// The same filter in the API's names and forms (`&actor=ada&environment=production&from=
    /// 2026-12-07T09:00:00Z`), to follow `?limit=`.
    pub fn to_api(&self) -> String {
        query_string(&[
            ("flag", self.flag.clone()),
            ("actor", self.actor.clone()),
            ("environment", self.env.clone()),
            ("from", input_to_at(&self.from)),
            ("to", input_to_at(&self.to)),
        ])
        .replacen('?', "&", 1)
    }

    /// Whether any field is set.
    pub fn is_empty(&self) -> bool {
        self == &AuditQuery::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_round_trips_through_the_address() {
        let q = AuditQuery {
            actor: "ada@example.com".into(),
            flag: "a b".into(),
            env: "production".into(),
            from: "2026-12-07T09:00".into(),
            to: String::new(),
        };
        assert_eq!(
            q.to_query(),
            "?actor=ada%40example.com&flag=a%20b&env=production&from=2026-12-07T09%3A00"
        );
        assert_eq!(AuditQuery::parse(&q.to_query()[1..]), q);
        assert_eq!(AuditQuery::default().to_query(), "");
        assert!(AuditQuery::parse("x=1&actor=").is_empty());
    }

    #[test]
    fn the_api_gets_its_own_names_and_times() {
        let q = AuditQuery {
            env: "production".into(),
            from: "2026-12-07T09:00".into(),
            to: "2026-12-08T00:00".into(),
            ..AuditQuery::of_flag("a")
        };
        assert_eq!(
            q.to_api(),
            "&flag=a&environment=production&from=2026-12-07T09%3A00%3A00Z&to=2026-12-08T00%3A00%3A00Z"
        );
        assert_eq!(AuditQuery::default().to_api(), "");
    }
}
