//! The checks of the CLI suite (see `mod.rs`), each on every host.

use burgee_core::model::Document;
use burgee_core::preview::{Versions, sample_for};
use serde_json::{Value, json};

use super::{ADMIN, EDITOR, Fixture, Host, shown};
use crate::e2e::expect;
use crate::{Failed, Result};

/// The flag the edits change: a 10 % rollout in production that they take to 50 %.
const ROLLOUT_FLAG: &str = "daily-planning";
/// A boolean flag the admin edits meanwhile, and the rollout and promote steps use.
const OTHER_FLAG: &str = "outbound_calling";

fn read_json(path: &str) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Failed(format!("cannot read {path}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Failed(format!("{path} is not JSON: {e}")))
}

fn write_json(path: &str, value: &Value) -> Result {
    std::fs::write(path, value.to_string()).map_err(|e| Failed(format!("cannot write {path}: {e}")))
}

/// `burgee pull` on `host` into `name`; answers the pulled document.
fn pull(f: &Fixture, host: &Host, name: &str) -> Result<(String, Value)> {
    let path = f.path(name);
    let out = f.burgee(host, &["pull", "--url", &f.url, "-o", &path], Some(EDITOR))?;
    expect(out.status.code() == Some(0), || {
        format!("{}: pull: {}", host.name, shown(&out))
    })?;
    Ok((path.clone(), read_json(&path)?))
}

/// The pulled document with `ROLLOUT_FLAG`'s production rollout at `on` % on.
fn with_rollout(doc: &Value, on: u64) -> Value {
    let mut doc = doc.clone();
    doc["flags"][ROLLOUT_FLAG]["environments"]["production"]["defaultServe"] = json!({"rollout": {
        "weights": [{"variant": "on", "weight": on}, {"variant": "off", "weight": 100 - on}]}});
    doc
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn pull_then_push_unchanged(f: &Fixture) -> Result {
    for host in &f.hosts {
        let before = f.version()?;
        let (path, pulled) = pull(f, host, &format!("{}-pulled.json", host.name))?;
        expect(pulled["version"] == json!(before), || {
            format!(
                "{}: the pulled file says version {}, the store {before}",
                host.name, pulled["version"]
            )
        })?;
        let live = f.live()?;
        let mut document = live["document"].clone();
        document["version"] = json!(before);
        expect(pulled == document, || {
            format!("{}: the pulled file is not the store's document", host.name)
        })?;
        let out = f.burgee(host, &["push", &path, "--url", &f.url], Some(EDITOR))?;
        expect(
            code(&out) == Some(0) && stdout(&out).contains("no changes against version"),
            || format!("{}: push unchanged: {}", host.name, shown(&out)),
        )?;
        expect(f.version()? == before, || {
            format!("{}: an unchanged push made a version", host.name)
        })?;
    }
    Ok(())
}

pub fn diff_in_words(f: &Fixture) -> Result {
    for host in &f.hosts {
        let (path, pulled) = pull(f, host, &format!("{}-diff.json", host.name))?;
        let before = f.version()?;
        write_json(&path, &with_rollout(&pulled, 50))?;
        let out = f.burgee(host, &["diff", &path, "--url", &f.url], Some(EDITOR))?;
        let text = stdout(&out);
        expect(
            code(&out) == Some(0)
                && text.contains(&format!("  flag {ROLLOUT_FLAG} changed\n"))
                && text.contains(
                    "    production: rollout of on 10 % → 50 %\n    production: rollout of off 90 % → 50 %\n",
                ),
            || format!("{}: diff: {}", host.name, shown(&out)),
        )?;
        expect(f.version()? == before, || {
            format!("{}: diff wrote", host.name)
        })?;
    }
    Ok(())
}

/// The production weights of `ROLLOUT_FLAG` in the store.
fn live_weights(f: &Fixture) -> Result<Value> {
    Ok(
        f.live()?["document"]["flags"][ROLLOUT_FLAG]["environments"]["production"]["defaultServe"]
            ["rollout"]["weights"]
            .clone(),
    )
}

pub fn dry_run_then_push(f: &Fixture) -> Result {
    for (i, host) in f.hosts.iter().enumerate() {
        let (path, pulled) = pull(f, host, &format!("{}-dry.json", host.name))?;
        let before = f.version()?;
        let old_weights = live_weights(f)?;
        let on = 20 + 10 * i as u64;
        write_json(&path, &with_rollout(&pulled, on))?;
        let out = f.burgee(
            host,
            &["push", &path, "--url", &f.url, "--dry-run"],
            Some(EDITOR),
        )?;
        expect(
            code(&out) == Some(0)
                && stdout(&out).contains(&format!("  flag {ROLLOUT_FLAG}, production: "))
                && stdout(&out).ends_with("dry run: nothing pushed\n"),
            || format!("{}: push --dry-run: {}", host.name, shown(&out)),
        )?;
        expect(
            f.version()? == before && live_weights(f)? == old_weights,
            || format!("{}: a dry run wrote", host.name),
        )?;
        let out = f.burgee(host, &["push", &path, "--url", &f.url], Some(EDITOR))?;
        expect(
            code(&out) == Some(0)
                && stdout(&out).ends_with(&format!("pushed {path}: version {}\n", before + 1)),
            || format!("{}: push: {}", host.name, shown(&out)),
        )?;
        expect(f.version()? == before + 1, || {
            format!("{}: push made no version", host.name)
        })?;
        let weights = live_weights(f)?;
        expect(weights[0]["weight"] == json!(on), || {
            format!(
                "{}: the store has {weights} after pushing {on} %",
                host.name
            )
        })?;
    }
    Ok(())
}

pub fn concurrent_edit_conflict(f: &Fixture) -> Result {
    for host in &f.hosts {
        let (path, pulled) = pull(f, host, &format!("{}-conflict.json", host.name))?;
        write_json(&path, &with_rollout(&pulled, 77))?;
        // Meanwhile an admin switches another flag off in staging.
        let staging = format!("/api/v1/flags/{OTHER_FLAG}/toggle");
        let pulled_version = pulled["version"].as_u64().unwrap_or(0);
        let auth = format!("Bearer {ADMIN}");
        let etag = format!("\"{pulled_version}\"");
        let body = json!({"environment": "staging", "enabled": false}).to_string();
        let r = crate::http::request(
            f.addr,
            "POST",
            &staging,
            &[
                ("Authorization", &auth),
                ("If-Match", &etag),
                ("Content-Type", "application/json"),
            ],
            Some(body.as_bytes()),
        )?;
        expect(r.status == 200, || {
            format!("the admin's toggle: {} {}", r.status, r.text())
        })?;
        let after_admin = f.live()?;
        let out = f.burgee(host, &["push", &path, "--url", &f.url], Some(EDITOR))?;
        let err = stderr(&out);
        expect(
            code(&out) == Some(1)
                && err.contains(&format!(
                    "is based on version {pulled_version}, but the store is at version {}",
                    pulled_version + 1
                ))
                && err.contains("Pull again"),
            || format!("{}: push over an admin's edit: {}", host.name, shown(&out)),
        )?;
        expect(f.live()? == after_admin, || {
            format!("{}: the conflicting push wrote", host.name)
        })?;
        expect(
            after_admin["document"]["flags"][OTHER_FLAG]["environments"]["staging"]["enabled"]
                == json!(false),
            || "the admin's edit is not in the store".into(),
        )?;
        // Put the flag back for the next host.
        let back = json!({"environment": "staging", "enabled": true}).to_string();
        let etag = format!("\"{}\"", pulled_version + 1);
        crate::http::request(
            f.addr,
            "POST",
            &staging,
            &[
                ("Authorization", &auth),
                ("If-Match", &etag),
                ("Content-Type", "application/json"),
            ],
            Some(back.as_bytes()),
        )?;
    }
    Ok(())
}

pub fn max_flip_refuses(f: &Fixture) -> Result {
    for host in &f.hosts {
        let (path, pulled) = pull(f, host, &format!("{}-flip.json", host.name))?;
        let before = f.live()?;
        let now_on =
            pulled["flags"][ROLLOUT_FLAG]["environments"]["production"]["defaultServe"]["rollout"]
                ["weights"][0]["weight"]
                .as_u64()
                .unwrap_or(0);
        write_json(
            &path,
            &with_rollout(&pulled, if now_on > 50 { 5 } else { 95 }),
        )?;
        let out = f.burgee(
            host,
            &["push", &path, "--url", &f.url, "--max-flip", "5"],
            Some(EDITOR),
        )?;
        expect(
            code(&out) == Some(1) && stderr(&out).contains("over --max-flip 5; nothing pushed"),
            || format!("{}: push --max-flip 5: {}", host.name, shown(&out)),
        )?;
        expect(f.live()? == before, || {
            format!("{}: a refused push wrote", host.name)
        })?;
    }
    Ok(())
}

/// `changed of total` from the preview line of `key` in `env`.
fn printed(text: &str, key: &str, env: &str) -> Option<(usize, usize)> {
    let prefix = format!("  flag {key}, {env}: ");
    let rest = text.lines().find_map(|l| l.strip_prefix(&prefix))?;
    let mut words = rest.split(' ');
    let changed = words.next()?.parse().ok()?;
    let total = words.nth(1)?.parse().ok()?;
    Some((changed, total))
}

pub fn preview_numbers(f: &Fixture) -> Result {
    let live = f.live()?;
    let old: Document = serde_json::from_value(live["document"].clone())
        .map_err(|e| Failed(format!("the store's document: {e}")))?;
    let mut edited = live["document"].clone();
    edited["version"] = live["version"].clone();
    let edited = with_rollout(&edited, 65);
    let new: Document = serde_json::from_value(edited.clone())
        .map_err(|e| Failed(format!("the edited document: {e}")))?;
    // A contexts file: 300 users, some of them with the attributes the flag's rule reads.
    let contexts: Vec<Value> = (0..300)
        .map(|i| json!({"targetingKey": format!("ctx-{i}"), "plan": if i % 3 == 0 { "pro" } else { "free" }}))
        .collect();
    let lines: Vec<String> = contexts.iter().map(Value::to_string).collect();
    let contexts_path = f.path("contexts.jsonl");
    std::fs::write(&contexts_path, lines.join("\n")).map_err(|e| Failed(e.to_string()))?;
    let path = f.path("preview.json");
    write_json(&path, &edited)?;
    let versions = Versions::new(&old, &new, ROLLOUT_FLAG, "production");
    let from_file = versions.at(&contexts, 0);
    let generated = versions.at(&sample_for(&old, &new, ROLLOUT_FLAG, "production", 700), 0);
    expect(from_file.changed > 0 && generated.changed > 0, || {
        "the edit changes nobody".into()
    })?;
    for host in &f.hosts {
        for (args, want) in [
            (vec!["--contexts", contexts_path.as_str()], &from_file),
            (vec!["--sample", "700"], &generated),
        ] {
            let mut all = vec!["push", path.as_str(), "--url", &f.url, "--dry-run"];
            all.extend(args.iter().copied());
            let out = f.burgee(host, &all, Some(EDITOR))?;
            let got = printed(&stdout(&out), ROLLOUT_FLAG, "production");
            expect(
                code(&out) == Some(0) && got == Some((want.changed, want.total)),
                || {
                    format!(
                        "{} {args:?}: printed {got:?}, burgee_core::preview says {} of {}: {}",
                        host.name,
                        want.changed,
                        want.total,
                        shown(&out)
                    )
                },
            )?;
        }
    }
    Ok(())
}

/// The newest audit entry's action.
fn last_action(f: &Fixture) -> Result<String> {
    let r = f.call("GET", "/api/v1/audit?limit=1", None)?;
    Ok(r.json()?["entries"][0]["action"]
        .as_str()
        .unwrap_or("")
        .to_string())
}

pub fn rollout_and_promote(f: &Fixture) -> Result {
    for (i, host) in f.hosts.iter().enumerate() {
        let before = f.version()?;
        let percent = format!("{}.5", 20 + i);
        let out = f.burgee(
            host,
            &[
                "rollout", OTHER_FLAG, &percent, "--env", "staging", "--url", &f.url,
            ],
            Some(EDITOR),
        )?;
        expect(
            code(&out) == Some(0)
                && stdout(&out)
                    == format!(
                        "{OTHER_FLAG}: {percent} % of staging on: version {}\n",
                        before + 1
                    ),
            || format!("{}: rollout: {}", host.name, shown(&out)),
        )?;
        expect(f.version()? == before + 1, || {
            format!("{}: rollout: not one version", host.name)
        })?;
        expect(last_action(f)? == "rollout", || {
            format!("{}: rollout not audited", host.name)
        })?;
        let promote = [
            "promote",
            OTHER_FLAG,
            "--from",
            "staging",
            "--to",
            "production",
            "--url",
            &f.url,
        ];
        let out = f.burgee(host, &promote, Some(EDITOR))?;
        expect(code(&out) == Some(0), || {
            format!("{}: promote: {}", host.name, shown(&out))
        })?;
        expect(f.version()? == before + 2, || {
            format!("{}: promote: not one version", host.name)
        })?;
        expect(last_action(f)? == "promote", || {
            format!("{}: promote not audited", host.name)
        })?;
        let envs = &f.live()?["document"]["flags"][OTHER_FLAG]["environments"];
        expect(envs["staging"] == envs["production"], || {
            format!(
                "{}: production is not staging after promote: {envs}",
                host.name
            )
        })?;
        let out = f.burgee(host, &promote, Some(EDITOR))?;
        expect(
            code(&out) == Some(0) && stdout(&out).contains("nothing to do"),
            || format!("{}: promote again: {}", host.name, shown(&out)),
        )?;
        expect(f.version()? == before + 2, || {
            format!("{}: promoting again wrote", host.name)
        })?;
    }
    Ok(())
}

/// Runs `args` on `host`; fails unless it exits 1 (refused) with `says` on standard error.
fn refused(f: &Fixture, host: &Host, args: &[&str], token: Option<&str>, says: &str) -> Result {
    let out = f.burgee(host, args, token)?;
    expect(code(&out) == Some(1) && stderr(&out).contains(says), || {
        format!(
            "{}: {args:?} should be refused with {says:?}: {}",
            host.name,
            shown(&out)
        )
    })
}

pub fn store_refusals(f: &Fixture) -> Result {
    for host in &f.hosts {
        let before = f.version()?;
        let url = f.url.as_str();
        refused(
            f,
            host,
            &["pull", "--url", url],
            None,
            "401 unauthenticated",
        )?;
        refused(f, host, &["pull", "--url", url], None, "set BURGEE_TOKEN")?;
        let string_flag = [
            "rollout",
            "checkout-button-color",
            "10",
            "--env",
            "staging",
            "--url",
            url,
        ];
        refused(f, host, &string_flag, Some(EDITOR), "422")?;
        let too_much = [
            "rollout", OTHER_FLAG, "101", "--env", "staging", "--url", url,
        ];
        refused(f, host, &too_much, Some(EDITOR), "400")?;
        expect(f.version()? == before, || {
            format!("{}: a refusal wrote", host.name)
        })?;
    }
    Ok(())
}

/// examples/ci/burgee-ci.sh `check` then `deploy` with `BURGEE` set to `host`.
fn ci_script(
    f: &Fixture,
    host: &Host,
    step: &str,
    file: &str,
    max_flip: &str,
) -> Result<std::process::Output> {
    let script = crate::root().join("examples/ci/burgee-ci.sh");
    let mut burgee = host.program.to_string_lossy().into_owned();
    for p in &host.prefix {
        burgee.push(' ');
        burgee.push_str(p);
    }
    std::process::Command::new("sh")
        .arg(&script)
        .arg(step)
        .current_dir(&f.dir)
        .env("BURGEE", burgee)
        .env("FLAGS_FILE", file)
        .env("BURGEE_URL", &f.url)
        .env("BURGEE_TOKEN", EDITOR)
        .env("BURGEE_MAX_FLIP", max_flip)
        .output()
        .map_err(|e| Failed(format!("cannot run {}: {e}", script.display())))
}

/// The CI recipe's shell steps against the worker: a file kept in a repository (no version),
/// checked, deployed (one version), deployed again (nothing to do); a large change refused.
pub fn ci_recipe(f: &Fixture) -> Result {
    for host in &f.hosts {
        let (path, mut kept) = pull(f, host, &format!("{}-repo.json", host.name))?;
        if let Some(object) = kept.as_object_mut() {
            object.remove("version");
        }
        let now_on = kept["flags"][ROLLOUT_FLAG]["environments"]["production"]["defaultServe"]["rollout"]
            ["weights"][0]["weight"]
            .as_u64()
            .unwrap_or(0);
        let small = if now_on >= 50 { now_on - 1 } else { now_on + 1 };
        write_json(&path, &with_rollout(&kept, small))?;
        let out = ci_script(f, host, "check", &path, "10")?;
        expect(
            code(&out) == Some(0) && stdout(&out).contains(&format!("flag {ROLLOUT_FLAG} changed")),
            || format!("{}: check: {}", host.name, shown(&out)),
        )?;
        let before = f.version()?;
        let out = ci_script(f, host, "deploy", &path, "10")?;
        expect(code(&out) == Some(0) && f.version()? == before + 1, || {
            format!("{}: deploy of a 1 % step: {}", host.name, shown(&out))
        })?;
        let out = ci_script(f, host, "deploy", &path, "10")?;
        expect(
            code(&out) == Some(0)
                && f.version()? == before + 1
                && stdout(&out).contains("nothing to push"),
            || format!("{}: deploy again: {}", host.name, shown(&out)),
        )?;
        write_json(&path, &with_rollout(&kept, if small > 50 { 2 } else { 98 }))?;
        let out = ci_script(f, host, "deploy", &path, "10")?;
        expect(code(&out) == Some(1) && f.version()? == before + 1, || {
            format!("{}: deploy of a large change: {}", host.name, shown(&out))
        })?;
    }
    Ok(())
}
