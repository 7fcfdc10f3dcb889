//! The commands that need no store: `validate`, `eval` and `compile`.

use burgee_core::{Loaded, Severity, ValueType, load, time::parse_rfc3339};
use serde_json::Value;

use crate::args::Args;
use crate::{Fail, Io, Result, count, say};

/// The text of FILE (`-`: standard input).
pub fn read_text(io: &mut dyn Io, file: &str) -> Result<String> {
    let bytes = if file == "-" {
        io.read_stdin()
            .map_err(|e| Fail::usage(format!("cannot read standard input: {e}")))?
    } else {
        io.read_file(file)
            .map_err(|e| Fail::usage(format!("cannot read {file}: {e}")))?
    };
    String::from_utf8(bytes).map_err(|_| Fail::usage(format!("{file} is not UTF-8 text")))
}

/// FILE, loaded (text that is not a document is a usage error: exit 2).
pub fn read_document(io: &mut dyn Io, file: &str) -> Result<Loaded> {
    let text = read_text(io, file)?;
    load(&text).map_err(|d| Fail::usage(format!("{file}: {}", d.message)))
}

/// Exit 1 with every error diagnostic on standard error when `loaded` has errors.
pub fn refuse_errors(io: &mut dyn Io, file: &str, loaded: &Loaded, what: &str) -> Result<()> {
    let diagnostics = loaded.validate();
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    if errors.is_empty() {
        return Ok(());
    }
    for d in &errors {
        io.write_stderr(&format!("{d}\n"));
    }
    Err(Fail::refused(format!("{file} has errors; {what}")))
}

pub fn validate(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let file = args.positional(0, "FILE")?;
    args.at_most(1)?;
    let format = args.format.as_deref().unwrap_or("text");
    if format != "text" && format != "json" {
        return Err(Fail::usage(format!(
            "unknown format {format:?} (text or json)"
        )));
    }
    let loaded = read_document(io, file)?;
    let diagnostics = loaded.validate();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if format == "json" {
        let report = serde_json::json!({
            "valid": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": diagnostics,
        });
        say(io, &report.to_string())?;
    } else {
        let mut sorted: Vec<_> = diagnostics.iter().collect();
        sorted.sort_by_key(|d| d.severity != Severity::Error);
        for d in sorted {
            say(io, &d.to_string())?;
        }
        let doc = &loaded.document;
        let flags = doc.flags.len() + loaded.broken_flags.len();
        let segments = doc.segments.len() + loaded.broken_segments.len();
        let verdict = if errors == 0 { "ok" } else { "invalid" };
        say(
            io,
            &format!(
                "{file}: {verdict}: {}, {}, {}; {}, {}",
                count(flags, "flag"),
                count(segments, "segment"),
                count(doc.environments.len(), "environment"),
                count(errors, "error"),
                count(warnings, "warning"),
            ),
        )?;
    }
    Ok(if errors == 0 { 0 } else { 1 })
}

/// The environment `--env` names, which the document must have.
fn environment<'a>(args: &'a Args, file: &str, loaded: &Loaded) -> Result<&'a str> {
    let env = args.required(&args.env, "--env ENV")?;
    if !loaded.document.environments.iter().any(|e| e == env) {
        return Err(Fail::usage(format!(
            "unknown environment {env:?}; {file} has: {}",
            loaded.document.environments.join(", ")
        )));
    }
    Ok(env)
}

/// What `eval` reads from its options: the context, the time, the caller's default and type.
struct EvalOptions {
    context: Value,
    now: i64,
    default: String,
    expected: Option<ValueType>,
}

fn eval_options(args: &Args, io: &mut dyn Io) -> Result<EvalOptions> {
    let context = match args.context.as_deref() {
        None => Value::Object(serde_json::Map::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Fail::usage(format!("--context is not JSON: {e}")))?,
    };
    let now = match args.now.as_deref() {
        None => io.now_millis(),
        Some(text) => parse_rfc3339(text)
            .ok_or_else(|| Fail::usage(format!("--now {text:?} is not an RFC 3339 time")))?,
    };
    let default = match args.default.as_deref() {
        None => "null".to_string(),
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| Fail::usage(format!("--default is not JSON: {e}")))?
            .to_string(),
    };
    let expected = match args.value_type.as_deref() {
        None => None,
        Some(t) => Some(ValueType::parse(t).ok_or_else(|| {
            Fail::usage(format!(
                "--type {t:?} is not one of boolean, string, number, object"
            ))
        })?),
    };
    Ok(EvalOptions {
        context,
        now,
        default,
        expected,
    })
}

pub fn eval(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let file = args.positional(0, "FILE")?;
    args.at_most(1)?;
    let loaded = read_document(io, file)?;
    let env = environment(args, file, &loaded)?;
    let options = eval_options(args, io)?;
    let compilation = loaded.compile(env);
    let errors = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .count();
    if errors > 0 {
        io.write_stderr(&format!(
            "burgee: warning: {file} has {errors} errors (see burgee validate); broken flags answer PARSE_ERROR\n"
        ));
    }
    let snapshot = &compilation.snapshot;
    let context = snapshot.context(&options.context);
    let keys: Vec<&str> = match args.flag.as_deref() {
        Some(key) => vec![key],
        None => snapshot.flag_keys().collect(),
    };
    let mut lines = String::new();
    for key in keys {
        let detail = snapshot.evaluate(key, &context, options.now, options.expected);
        detail.write_json(&mut lines, key, true, &options.default);
        lines.push('\n');
    }
    io.write_stdout(lines.as_bytes())
        .map_err(|e| Fail::usage(format!("cannot write output: {e}")))?;
    Ok(0)
}

pub fn compile(args: &Args, io: &mut dyn Io) -> Result<u8> {
    let file = args.positional(0, "FILE")?;
    args.at_most(1)?;
    let loaded = read_document(io, file)?;
    let env = environment(args, file, &loaded)?;
    refuse_errors(io, file, &loaded, "no snapshot written")?;
    let compilation = if args.client_side {
        burgee_core::compile_client_side(&loaded.document, env)
    } else {
        loaded.compile(env)
    };
    let bytes = compilation.snapshot.encode();
    match args.out.as_deref() {
        Some(path) if path != "-" => io
            .write_file(path, &bytes)
            .map_err(|e| Fail::usage(format!("cannot write {path}: {e}")))?,
        _ => io
            .write_stdout(&bytes)
            .map_err(|e| Fail::usage(format!("cannot write output: {e}")))?,
    }
    Ok(0)
}
