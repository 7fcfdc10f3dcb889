//! Reading a batch from JSON by hand, from the parsed [`Value`] every receiver already links,
//! rather than with derived deserializers: the edge worker's size is budgeted, and a derived
//! reader costs a copy of the JSON parser's struct machinery per type (five here, measured:
//! several kilobytes gzip). The rules are serde's: unknown fields are ignored, absent optional
//! fields are empty, and a field of the wrong type is an error naming where it is.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::{Attribution, Batch, BatchError, CountEntry, EventEntry, SketchBytes, SketchEntry};

type Fields = Map<String, Value>;

fn wrong(at: &str, what: &str) -> BatchError {
    BatchError::Json(format!("`{at}` must be {what}"))
}

fn object<'v>(v: &'v Value, at: &str) -> Result<&'v Fields, BatchError> {
    v.as_object().ok_or_else(|| wrong(at, "an object"))
}

fn field<'v>(m: &'v Fields, name: &str) -> Option<&'v Value> {
    m.get(name).filter(|v| !v.is_null())
}

fn whole(m: &Fields, name: &str, at: &str) -> Result<Option<u64>, BatchError> {
    field(m, name)
        .map(|v| {
            v.as_u64()
                .ok_or_else(|| wrong(&format!("{at}.{name}"), "a whole number"))
        })
        .transpose()
}

fn required_whole(m: &Fields, name: &str, at: &str) -> Result<u64, BatchError> {
    whole(m, name, at)?.ok_or_else(|| wrong(&format!("{at}.{name}"), "present"))
}

fn time(m: &Fields, name: &str) -> Result<i64, BatchError> {
    field(m, name)
        .and_then(Value::as_i64)
        .ok_or_else(|| wrong(name, "a time in epoch milliseconds"))
}

fn text(m: &Fields, name: &str, at: &str) -> Result<Option<String>, BatchError> {
    field(m, name)
        .map(|v| {
            v.as_str()
                .map(ToString::to_string)
                .ok_or_else(|| wrong(&format!("{at}.{name}"), "a string"))
        })
        .transpose()
}

fn required_text(m: &Fields, name: &str, at: &str) -> Result<String, BatchError> {
    text(m, name, at)?.ok_or_else(|| wrong(&format!("{at}.{name}"), "present"))
}

fn list<'v>(m: &'v Fields, name: &str, at: &str) -> Result<&'v [Value], BatchError> {
    match field(m, name) {
        None => Ok(&[]),
        Some(v) => v
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| wrong(&format!("{at}{name}"), "a list")),
    }
}

fn sketch(m: &Fields, name: &str, at: &str) -> Result<Option<SketchBytes>, BatchError> {
    text(m, name, at)?
        .map(|t| {
            STANDARD
                .decode(t.as_bytes())
                .map(SketchBytes)
                .map_err(|_| wrong(&format!("{at}.{name}"), "standard base64"))
        })
        .transpose()
}

/// The batch in `text` (not yet validated).
pub(super) fn batch(json: &str) -> Result<Batch, BatchError> {
    let root: Value = serde_json::from_str(json).map_err(|e| BatchError::Json(e.to_string()))?;
    let m = object(&root, "batch")?;
    let version = required_whole(m, "version", "batch")?;
    let counts = list(m, "counts", "")?
        .iter()
        .enumerate()
        .map(|(i, v)| count(v, &format!("counts[{i}]")))
        .collect::<Result<_, _>>()?;
    let sketches = list(m, "sketches", "")?
        .iter()
        .enumerate()
        .map(|(i, v)| sketch_entry(v, &format!("sketches[{i}]")))
        .collect::<Result<_, _>>()?;
    let events = list(m, "events", "")?
        .iter()
        .enumerate()
        .map(|(i, v)| event(v, &format!("events[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(Batch {
        version: u32::try_from(version).unwrap_or(u32::MAX),
        start: time(m, "start")?,
        end: time(m, "end")?,
        counts,
        sketches,
        events,
        overflow: whole(m, "overflow", "batch")?.unwrap_or(0),
        targeting_key: text(m, "targetingKey", "batch")?,
    })
}

fn count(v: &Value, at: &str) -> Result<CountEntry, BatchError> {
    let m = object(v, at)?;
    Ok(CountEntry {
        environment: required_text(m, "environment", at)?,
        flag: required_text(m, "flag", at)?,
        variant: text(m, "variant", at)?,
        reason: required_text(m, "reason", at)?,
        count: required_whole(m, "count", at)?,
    })
}

fn sketch_entry(v: &Value, at: &str) -> Result<SketchEntry, BatchError> {
    let m = object(v, at)?;
    Ok(SketchEntry {
        environment: required_text(m, "environment", at)?,
        flag: required_text(m, "flag", at)?,
        variant: text(m, "variant", at)?,
        sketch: sketch(m, "sketch", at)?
            .ok_or_else(|| wrong(&format!("{at}.sketch"), "present"))?,
    })
}

fn event(v: &Value, at: &str) -> Result<EventEntry, BatchError> {
    let m = object(v, at)?;
    let value = field(m, "value")
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| wrong(&format!("{at}.value"), "a number"))
        })
        .transpose()?;
    let attributed = list(m, "attributed", &format!("{at}."))?
        .iter()
        .enumerate()
        .map(|(i, v)| attribution(v, &format!("{at}.attributed[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(EventEntry {
        environment: required_text(m, "environment", at)?,
        name: required_text(m, "name", at)?,
        value,
        count: required_whole(m, "count", at)?,
        attributed,
    })
}

fn attribution(v: &Value, at: &str) -> Result<Attribution, BatchError> {
    let m = object(v, at)?;
    Ok(Attribution {
        flag: required_text(m, "flag", at)?,
        variant: required_text(m, "variant", at)?,
        count: required_whole(m, "count", at)?,
        contexts: sketch(m, "contexts", at)?,
    })
}
