//! A restarted worker on the same state: nothing lost, and the versions go on.

use std::time::{Duration, Instant};

use serde_json::json;

use super::api::write;
use super::{ADMIN, Restarted, Saved};
use crate::e2e::{expect, expect_json};
use crate::{Result, http};

pub(super) fn intact_after_restart(f: &Restarted) -> Result {
    let now = Saved::read(f.addr)?;
    expect(now.document == f.before.document, || {
        "the document changed across the restart".into()
    })?;
    expect(now.history == f.before.history, || {
        "the history changed across the restart".into()
    })?;
    expect(now.audit == f.before.audit, || {
        "the audit log changed across the restart".into()
    })
}

pub(super) fn writes_after_restart(f: &Restarted) -> Result {
    let v = f.before.document["version"].as_u64().unwrap_or(0);
    let next = write(
        f.addr,
        "POST",
        "/api/v1/flags/daily-planning/toggle",
        ADMIN,
        &json!({"environment": "production", "enabled": true}),
        200,
    )?;
    expect(next == v + 1, || format!("version {next} after {v}"))?;
    let began = Instant::now();
    loop {
        let health = expect_json(&http::get(f.addr, "/health")?, 200)?;
        let published = health["snapshots"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["environment"] == json!("production")))
            .and_then(|x| x["version"].as_u64());
        if published == Some(next) {
            return Ok(());
        }
        expect(began.elapsed() < Duration::from_secs(3), || {
            format!("/health still reports {published:?}, want {next}")
        })?;
        std::thread::sleep(Duration::from_millis(50));
    }
}
