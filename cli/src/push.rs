//! `burgee push`: validate, summarize, preview, then write with `If-Match`.
//!
//! The preview is the admin app's (`burgee_core::preview`): for every flag whose evaluation may
//! change in an environment of the pushed document, both versions are evaluated over the same
//! sample of contexts, generated from what the flag reads or read from `--contexts`.

use burgee_core::graph::changed_flags;
use burgee_core::model::Document;
use burgee_core::preview::{Preview, Versions, parse_json_lines, sample_for};
use burgee_core::time::format_rfc3339;
use serde_json::Value;

use crate::args::Args;
use crate::local::{read_document, read_text, refuse_errors};
use crate::remote::{Live, Store, answer, print_changes};
use crate::{Fail, Io, Result, say};

/// Where the preview's contexts come from.
enum Sample {
    Generated(usize),
    Given(String, Vec<Value>),
}

/// The largest share of a sample one changed flag flips, in percent, and where.
struct Largest {
    percent: f64,
    at: String,
}

fn sample(args: &Args, io: &mut dyn Io) -> Result<Sample> {
    if let Some(path) = args.contexts.as_deref() {
        if args.sample.is_some() {
            return Err(Fail::usage("--contexts and --sample exclude each other"));
        }
        let text = read_text(io, path)?;
        let describe = |e: &serde_json::Error| format!("not valid JSON: {e}");
        let contexts =
            parse_json_lines(&text, &describe).map_err(|e| Fail::usage(format!("{path}: {e}")))?;
        if contexts.is_empty() {
            return Err(Fail::usage(format!(
                "{path} has no contexts (one JSON object per line)"
            )));
        }
        return Ok(Sample::Given(path.to_string(), contexts));
    }
    match args.sample.as_deref() {
        None => Ok(Sample::Generated(1000)),
        Some(text) => match text.parse::<usize>() {
            Ok(n @ 1..=100_000) => Ok(Sample::Generated(n)),
            _ => Err(Fail::usage(format!(
                "--sample {text:?} is not a whole number from 1 to 100000"
            ))),
        },
    }
}

fn max_flip(args: &Args) -> Result<Option<f64>> {
    let Some(text) = args.max_flip.as_deref() else {
        return Ok(None);
    };
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(Some(p)),
        _ => Err(Fail::usage(format!(
            "--max-flip {text:?} is not a percentage from 0 to 100"
        ))),
    }
}

/// `changed` of `total` as a percentage with one decimal.
fn share(p: &Preview) -> (f64, String) {
    let percent = if p.total == 0 {
        0.0
    } else {
        p.changed as f64 * 100.0 / p.total as f64
    };
    (percent, format!("{percent:.1} %"))
}

fn moves(p: &Preview) -> String {
    let moves: Vec<String> = p
        .transitions
        .iter()
        .map(|t| format!("{} → {} {}", t.from, t.to, t.count))
        .collect();
    if moves.is_empty() {
        "no context changes variant".into()
    } else {
        moves.join(", ")
    }
}

/// Prints the preview of every flag whose evaluation may change (the core's
/// `graph::changed_flags`: its own settings, a segment it uses, a flag it requires) in every
/// environment of `after`; answers the largest share flipped.
fn preview(io: &mut dyn Io, sample: &Sample, live: &Document, after: &Document) -> Result<Largest> {
    let mut largest = Largest {
        percent: 0.0,
        at: String::new(),
    };
    let source = match sample {
        Sample::Generated(n) => format!("{n} contexts generated from what each flag reads"),
        Sample::Given(path, c) => format!("the {} contexts of {path}", c.len()),
    };
    say(io, &format!("preview over {source}:"))?;
    let now = io.now_millis();
    let mut any = false;
    for env in &after.environments {
        for key in changed_flags(live, after, env) {
            any = true;
            let generated;
            let contexts: &[Value] = match sample {
                Sample::Generated(n) => {
                    generated = sample_for(live, after, &key, env, *n);
                    &generated
                }
                Sample::Given(_, c) => c,
            };
            let (at_now, steps) = Versions::new(live, after, &key, env).over_time(contexts, now);
            let mut report = |when: String, p: &Preview| -> Result<()> {
                let (percent, text) = share(p);
                if percent > largest.percent {
                    largest = Largest {
                        percent,
                        at: format!("{key} in {env}{when}"),
                    };
                }
                say(
                    io,
                    &format!(
                        "  flag {key}, {env}{when}: {} of {} flip ({text}): {}",
                        p.changed,
                        p.total,
                        moves(p)
                    ),
                )
            };
            report(String::new(), &at_now)?;
            for (at, p) in &steps {
                report(format!(" from {}", format_rfc3339(*at)), p)?;
            }
        }
    }
    if !any {
        say(io, "  no flag evaluates differently")?;
    }
    Ok(largest)
}

pub fn push(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let file = args.positional(0, "FILE")?;
    args.at_most(1)?;
    let limit = max_flip(args)?;
    let sample = sample(args, io)?;
    let loaded = read_document(io, file)?;
    refuse_errors(io, file, &loaded, "nothing pushed")?;
    let store = Store::new(args, io)?;
    let live = store.live(io)?;
    let after = &loaded.document;
    let base = after.version.unwrap_or(live.version);
    let changes = print_changes(io, file, &store, &live, after)?;
    if changes.is_empty() {
        say(io, "nothing to push")?;
        return Ok(0);
    }
    if base != live.version {
        say(
            io,
            &format!(
                "note: {file} is based on version {base}, the store is at version {}: the summary above undoes what was saved since",
                live.version
            ),
        )?;
    }
    let largest = preview(io, &sample, &live.document, after)?;
    if let Some(limit) = limit
        && largest.percent > limit
    {
        return Err(Fail::refused(format!(
            "{} flips {:.1} % of the sample, over --max-flip {limit}; nothing pushed",
            largest.at, largest.percent
        )));
    }
    if args.dry_run {
        if base != live.version {
            return Err(conflict(file, &store, base, live.version));
        }
        say(io, "dry run: nothing pushed")?;
        return Ok(0);
    }
    // A stale base is still sent: the store's 412 is the one word on conflicts.
    write(io, file, &store, &live, base)
}

/// The answer to a push onto a version the store has left behind.
fn conflict(file: &str, store: &Store, base: u64, current: u64) -> Fail {
    Fail::refused(format!(
        "version conflict: {file} is based on version {base}, but the store is at version {current} \
(someone saved meanwhile); nothing was pushed. Pull again (burgee pull --url {} -o FILE), \
re-apply your change, and push",
        store.url
    ))
}

fn write(io: &mut dyn Io, file: &str, store: &Store, live: &Live, base: u64) -> Result<u8> {
    let text = read_text(io, file)?;
    let response = store.call(io, "PUT", "/api/v1/document", Some(text), Some(base))?;
    if response.status == 412 {
        let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
        let current = body["error"]["details"]["currentVersion"]
            .as_u64()
            .unwrap_or(live.version);
        return Err(conflict(file, store, base, current));
    }
    let body = answer(io, &response)?;
    if response.status == 202 {
        let id = &body["request"]["id"];
        say(
            io,
            &format!("held for review as change request {id}: written once approved and applied"),
        )?;
        return Ok(0);
    }
    let version = body["version"].as_u64().unwrap_or(0);
    say(io, &format!("pushed {file}: version {version}"))?;
    Ok(0)
}
