//! The flag list: one summary row per flag, search, filters, sort and counts.
//!
//! Rows are computed once per loaded document; typing in the search box then only filters
//! precomputed lowercase text, which keeps it responsive with hundreds of flags.

use burgee_core::model::{Document, Flag};
use burgee_core::time::parse_rfc3339;

use super::order::sort_with;

/// What a flag does in one environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Disabled (the kill switch is off), or no settings there.
    Off,
    /// On, serving one variant to everyone.
    On,
    /// On, with targets or rules.
    Targeted,
    /// On, with a percentage rollout somewhere.
    Rollout,
    /// On, with scheduled steps.
    Scheduled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Off,
        Status::On,
        Status::Targeted,
        Status::Rollout,
        Status::Scheduled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Off => "off",
            Status::On => "on",
            Status::Targeted => "targeted",
            Status::Rollout => "rollout",
            Status::Scheduled => "scheduled",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_on(self) -> bool {
        self != Status::Off
    }
}

pub fn status(flag: &Flag, env: &str) -> Status {
    let Some(settings) = flag.environments.get(env) else {
        return Status::Off;
    };
    if !settings.is_enabled() {
        return Status::Off;
    }
    if !settings.schedule.is_empty() {
        return Status::Scheduled;
    }
    let rollout = settings
        .default_serve
        .as_ref()
        .is_some_and(|s| s.rollout.is_some())
        || settings.rules.iter().any(|r| r.serve.rollout.is_some());
    if rollout {
        Status::Rollout
    } else if !settings.targets.is_empty() || !settings.rules.is_empty() {
        Status::Targeted
    } else {
        Status::On
    }
}

/// One line of the flag list.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub key: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub kind: String,
    pub client_side: bool,
    /// `metadata.owner` when it is text, else empty.
    pub owner: String,
    pub updated_at: String,
    pub updated_by: String,
    /// `updated_at` as epoch milliseconds, for sorting: the text does not sort by time (the core
    /// writes `.mmm` only when a time is not a whole second).
    updated_ms: Option<i64>,
    /// One per environment of the document, in its order.
    pub statuses: Vec<Status>,
    /// What each environment serves, in words and colour ([`super::served::served`]), in the
    /// same order.
    pub served: Vec<super::served::Served>,
    /// Key, name, description, owner and tags, lowercased, for search.
    haystack: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Key,
    Name,
    /// Most recently changed first.
    Updated,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Key, Sort::Name, Sort::Updated];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Key => "key",
            Sort::Name => "name",
            Sort::Updated => "updated",
        }
    }

    pub fn parse(text: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .unwrap_or_default()
    }
}

/// What the list shows. Empty strings mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub query: String,
    pub tag: String,
    /// The environment that `status` is about; with no environment, a flag matches a status
    /// when any environment has it.
    pub env: String,
    pub status: Option<Status>,
    pub sort: Sort,
}

impl Filter {
    /// Reads the list's address (`#/flags?q=checkout&tag=web&env=production&status=off&sort=name`).
    pub fn parse(query: &str) -> Filter {
        let mut f = Filter::default();
        for (name, value) in super::route::query_pairs(query) {
            match name.as_str() {
                "q" => f.query = value,
                "tag" => f.tag = value,
                "env" => f.env = value,
                "status" => f.status = Status::parse(&value),
                "sort" => f.sort = Sort::parse(&value),
                _ => {}
            }
        }
        f
    }

    /// The filter as the part after `#/flags` (nothing for the default list).
    pub fn to_query(&self) -> String {
        let sort = if self.sort == Sort::default() {
            String::new()
        } else {
            self.sort.as_str().to_string()
        };
        super::route::query_string(&[
            ("q", self.query.clone()),
            ("tag", self.tag.clone()),
            ("env", self.env.clone()),
            (
                "status",
                self.status
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            ),
            ("sort", sort),
        ])
    }
}

/// The live flags' rows: archived flags are not in the list (see [`archived`]).
pub fn rows(document: &Document) -> Vec<Row> {
    document
        .flags
        .iter()
        .filter(|(_, flag)| !flag.is_archived())
        .map(|(key, flag)| {
            let name = flag.name.clone().unwrap_or_default();
            let description = flag.description.clone().unwrap_or_default();
            // The list's "client-side" pill is found by its words too.
            let client = if flag.is_client_side() {
                "\nclient-side"
            } else {
                ""
            };
            let owner = flag
                .metadata
                .as_ref()
                .and_then(|m| m.get("owner"))
                .and_then(|o| o.as_str())
                .unwrap_or_default()
                .to_string();
            let haystack = format!(
                "{key}\n{name}\n{description}\n{owner}\n{}{client}",
                flag.tags.join("\n")
            )
            .to_lowercase();
            Row {
                key: key.clone(),
                name,
                description,
                tags: flag.tags.clone(),
                kind: flag.kind.as_str().to_string(),
                client_side: flag.is_client_side(),
                owner,
                updated_at: flag.updated_at.clone().unwrap_or_default(),
                updated_ms: flag.updated_at.as_deref().and_then(parse_rfc3339),
                updated_by: flag.updated_by.clone().unwrap_or_default(),
                statuses: document
                    .environments
                    .iter()
                    .map(|e| status(flag, e))
                    .collect(),
                served: document
                    .environments
                    .iter()
                    .map(|e| super::served::served(flag, e, crate::now_ms()))
                    .collect(),
                haystack,
            }
        })
        .collect()
}

impl Row {
    /// Every word of the query appears somewhere in the key, name, description or tags.
    pub fn matches_query(&self, words: &[String]) -> bool {
        words.iter().all(|w| self.haystack.contains(w.as_str()))
    }
}

/// The rows the filter lets through, in its order (indices into `rows`).
pub fn apply(rows: &[Row], environments: &[String], filter: &Filter) -> Vec<usize> {
    let words: Vec<String> = filter
        .query
        .to_lowercase()
        .split_whitespace()
        .map(String::from)
        .collect();
    let env_index = environments.iter().position(|e| *e == filter.env);
    let mut out: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.matches_query(&words))
        .filter(|(_, r)| filter.tag.is_empty() || r.tags.contains(&filter.tag))
        .filter(|(_, r)| match (filter.status, env_index) {
            (None, _) => true,
            (Some(s), Some(i)) => r.statuses.get(i) == Some(&s),
            (Some(s), None) => r.statuses.contains(&s),
        })
        .map(|(i, _)| i)
        .collect();
    match filter.sort {
        Sort::Key => {} // the document's map is ordered by key already
        Sort::Name => sort_with(&mut out, |&a, &b| {
            let (ra, rb) = (&rows[a], &rows[b]);
            let name = |r: &Row| {
                if r.name.is_empty() {
                    r.key.to_lowercase()
                } else {
                    r.name.to_lowercase()
                }
            };
            name(ra).cmp(&name(rb)).then_with(|| ra.key.cmp(&rb.key))
        }),
        Sort::Updated => sort_with(&mut out, |&a, &b| {
            let (ra, rb) = (&rows[a], &rows[b]);
            rb.updated_ms
                .cmp(&ra.updated_ms)
                .then_with(|| ra.key.cmp(&rb.key))
        }),
    }
    out
}

/// For each environment, how many flags are in each status (in [`Status::ALL`] order).
pub fn counts(rows: &[Row], environments: &[String]) -> Vec<(String, [usize; 5])> {
    environments
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let mut c = [0usize; 5];
            for r in rows {
                if let Some(s) = r.statuses.get(i)
                    && let Some(k) = Status::ALL.iter().position(|x| x == s)
                    && let Some(slot) = c.get_mut(k)
                {
                    *slot += 1;
                }
            }
            (env.clone(), c)
        })
        .collect()
}

/// Every tag in use, sorted.
pub fn tags(document: &Document) -> Vec<String> {
    let mut out: Vec<String> = document
        .flags
        .values()
        .flat_map(|f| f.tags.iter().cloned())
        .collect();
    sort_with(&mut out, |a, b| a.cmp(b));
    out.dedup();
    out
}

/// The archived flags' keys and when they were archived, in key order.
pub fn archived(document: &Document) -> Vec<(String, String)> {
    document
        .flags
        .iter()
        .filter(|(_, flag)| flag.is_archived())
        .map(|(key, flag)| (key.clone(), flag.archived_at.clone().unwrap_or_default()))
        .collect()
}

/// The environment a page that evaluates starts on: production if there is one, else the
/// first.
pub fn preferred_env(environments: &[String]) -> String {
    environments
        .iter()
        .find(|e| is_production(e))
        .or(environments.first())
        .cloned()
        .unwrap_or_default()
}

/// Environments that ask for confirmation before their kill switch moves.
pub fn is_production(env: &str) -> bool {
    matches!(
        env.to_ascii_lowercase().as_str(),
        "production" | "prod" | "live"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_goes_into_the_address_and_back() {
        let f = Filter {
            query: "new checkout".into(),
            tag: "web&mobile".into(),
            env: "production".into(),
            status: Some(Status::Off),
            sort: Sort::Updated,
        };
        let q = f.to_query();
        assert_eq!(
            q,
            "?q=new%20checkout&tag=web%26mobile&env=production&status=off&sort=updated"
        );
        assert_eq!(Filter::parse(q.trim_start_matches('?')), f);
        assert_eq!(
            Filter::default().to_query(),
            "",
            "the default list has a plain address"
        );
        let odd = Filter::parse("status=nonsense&sort=sideways&q=+a+&unknown=1");
        assert_eq!(
            (odd.status, odd.sort, odd.query.as_str()),
            (None, Sort::Key, "a")
        );
    }
    use crate::state::fixtures::example;

    #[test]
    fn production_comes_first_else_the_first() {
        let envs = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(preferred_env(&envs(&["dev", "Prod", "qa"])), "Prod");
        assert_eq!(preferred_env(&envs(&["dev", "qa"])), "dev");
        assert_eq!(preferred_env(&[]), "");
    }

    #[test]
    fn statuses_follow_the_settings() {
        let doc = example();
        let flags = &doc.flags;
        for (key, flag) in flags {
            for env in &doc.environments {
                let s = status(flag, env);
                let settings = flag.environments.get(env);
                assert_eq!(
                    s == Status::Off,
                    !settings.is_some_and(|e| e.is_enabled()),
                    "{key} in {env}"
                );
            }
        }
    }

    #[test]
    fn client_side_flags_are_found_by_the_pill_s_words() {
        let doc = example();
        let rows = rows(&doc);
        let found = apply(
            &rows,
            &doc.environments,
            &Filter {
                query: "client-side".into(),
                ..Filter::default()
            },
        );
        let expected = doc.flags.values().filter(|f| f.is_client_side()).count();
        assert!(expected > 0);
        assert_eq!(found.len(), expected);
    }

    #[test]
    fn search_filters_and_sorts() {
        let doc = example();
        let rows = rows(&doc);
        let envs = doc.environments.clone();
        let all = apply(&rows, &envs, &Filter::default());
        assert_eq!(all.len(), doc.flags.len());
        let found = apply(
            &rows,
            &envs,
            &Filter {
                query: "PLANNING daily".into(),
                ..Filter::default()
            },
        );
        assert!(found.iter().any(|&i| rows[i].key == "daily-planning"));
        assert!(found.iter().all(|&i| rows[i].haystack.contains("daily")));
        let tag = &rows[0].tags[0];
        let tagged = apply(
            &rows,
            &envs,
            &Filter {
                tag: tag.clone(),
                ..Filter::default()
            },
        );
        assert!(tagged.iter().all(|&i| rows[i].tags.contains(tag)));
        let off_in_prod = apply(
            &rows,
            &envs,
            &Filter {
                env: "production".into(),
                status: Some(Status::Off),
                ..Filter::default()
            },
        );
        let prod = envs.iter().position(|e| e == "production").unwrap();
        assert!(
            off_in_prod
                .iter()
                .all(|&i| rows[i].statuses[prod] == Status::Off)
        );
        let by_name = apply(
            &rows,
            &envs,
            &Filter {
                sort: Sort::Name,
                ..Filter::default()
            },
        );
        assert_eq!(by_name.len(), rows.len());
    }

    #[test]
    fn most_recently_updated_first_to_the_millisecond() {
        let mut doc = example();
        let stamps = [
            ("daily-planning", "2026-12-01T09:00:00.250Z"),
            ("checkout-button-color", "2026-12-01T09:00:00Z"),
            ("enhanced-task-metadata", "2026-12-01T10:00:00+02:00"),
        ];
        for flag in doc.flags.values_mut() {
            flag.updated_at = None;
        }
        for (key, at) in stamps {
            doc.flags.get_mut(key).unwrap().updated_at = Some(at.into());
        }
        let rows = rows(&doc);
        let sorted = apply(
            &rows,
            &doc.environments,
            &Filter {
                sort: Sort::Updated,
                ..Filter::default()
            },
        );
        let first: Vec<&str> = sorted[..3].iter().map(|&i| rows[i].key.as_str()).collect();
        assert_eq!(
            first,
            [
                "daily-planning",
                "checkout-button-color",
                "enhanced-task-metadata"
            ]
        );
        assert_eq!(sorted.len(), rows.len(), "never updated: last");
    }

    #[test]
    fn counts_add_up() {
        let doc = example();
        let rows = rows(&doc);
        for (_, c) in counts(&rows, &doc.environments) {
            assert_eq!(c.iter().sum::<usize>(), rows.len());
        }
        assert!(is_production("Production") && !is_production("staging"));
        assert_eq!(Status::parse("rollout"), Some(Status::Rollout));
        assert_eq!(Sort::parse("updated"), Sort::Updated);
    }

    #[test]
    fn archived_flags_leave_the_list() {
        let mut doc = example();
        let total = rows(&doc).len();
        let flag = doc.flags.get_mut("daily-planning").unwrap();
        flag.archived = Some(true);
        flag.archived_at = Some("2026-12-01T09:00:00Z".into());
        let live = rows(&doc);
        assert_eq!(live.len(), total - 1);
        assert!(live.iter().all(|r| r.key != "daily-planning"));
        assert_eq!(
            archived(&doc),
            [(
                "daily-planning".to_string(),
                "2026-12-01T09:00:00Z".to_string()
            )]
        );
    }
}
