//! `burgee`: validate flag documents and evaluate flags from CI pipelines and terminals.
//!
//! Scripts outside this repository drive it, so its interface is a contract: exit 0 for
//! success, 1 for a document with errors (`validate`), 2 for a usage or input problem (a
//! missing file, text that is not JSON, an unknown environment), and one JSON result per line
//! from `eval`. It decides nothing about flags; that is burgee-core's job.

use std::io::{Read, Write};
use std::process::ExitCode;

use burgee_core::{Loaded, Severity, ValueType, load, time::parse_rfc3339};
use serde_json::Value;

const USAGE: &str = "\
burgee: validate Burgee flag documents and evaluate flags

USAGE:
    burgee validate FILE [--format text|json]
    burgee eval FILE --env ENV [--flag KEY] [--context JSON] [--now RFC3339]
                     [--default JSON] [--type boolean|string|number|object]
    burgee compile FILE --env ENV [--client-side] [--out PATH]

FILE may be `-` for standard input.

validate  exit 0 and a summary when the document has no errors (warnings are printed);
          exit 1 and every diagnostic (`severity[code] pointer: message`) otherwise.
eval      one JSON result per line:
          {\"flag\",\"value\",\"variant\",\"reason\",\"ruleId\"?,\"errorCode\"?,\"errorMessage\"?,\"prerequisite\"?}
          for one flag (--flag) or every flag in key order. --context is an OpenFeature
          evaluation context (default {}); --now the evaluation time (default: the clock);
          --default the caller's default value (default null); --type the type the caller
          expects (a flag of another kind answers TYPE_MISMATCH).

compile   the binary snapshot of one environment (what the edge publishes and the npm package
          loads), to --out or standard output; --client-side keeps only clientSide flags and
          the segments they use. Exit 1 (and the diagnostics) when the document has errors.

Exit 2 with a one-line error for a missing file, text that is not JSON, an unknown
environment or a bad option.";

/// A usage or input problem: one line on stderr, exit 2.
struct Fail(String);

type Result<T> = std::result::Result<T, Fail>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(Fail(message.into()))
}

#[derive(Default)]
struct Args {
    command: Option<String>,
    file: Option<String>,
    env: Option<String>,
    flag: Option<String>,
    context: Option<String>,
    now: Option<String>,
    default: Option<String>,
    value_type: Option<String>,
    format: Option<String>,
    out: Option<String>,
    client_side: bool,
}

fn parse_args(raw: impl Iterator<Item = String>) -> Result<Args> {
    let mut args = Args::default();
    let mut raw = raw.peekable();
    while let Some(arg) = raw.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--env" => &mut args.env,
            "--flag" => &mut args.flag,
            "--context" => &mut args.context,
            "--now" => &mut args.now,
            "--default" => &mut args.default,
            "--type" => &mut args.value_type,
            "--format" => &mut args.format,
            "--out" => &mut args.out,
            "--client-side" => {
                args.client_side = true;
                continue;
            }
            "-h" | "--help" | "help" => {
                args.command = Some("help".into());
                continue;
            }
            "-V" | "--version" => {
                args.command = Some("version".into());
                continue;
            }
            other if other.starts_with("--") => return fail(format!("unknown option {other}")),
            _ => {
                if args.command.is_none() {
                    args.command = Some(arg);
                } else if args.file.is_none() {
                    args.file = Some(arg);
                } else {
                    return fail(format!("unexpected argument {arg:?}"));
                }
                continue;
            }
        };
        let value = match inline {
            Some(v) => v,
            None => match raw.next() {
                Some(v) => v,
                None => return fail(format!("{name} needs a value")),
            },
        };
        if slot.replace(value).is_some() {
            return fail(format!("{name} given twice"));
        }
    }
    Ok(args)
}

fn read_document(file: Option<&str>) -> Result<(String, Loaded)> {
    let Some(file) = file else {
        return fail("missing FILE (see burgee --help)");
    };
    let text = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Fail(format!("cannot read standard input: {e}")))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| Fail(format!("cannot read {file}: {e}")))?
    };
    let loaded = load(&text).map_err(|d| Fail(format!("{file}: {}", d.message)))?;
    Ok((file.to_string(), loaded))
}

fn validate(args: &Args, out: &mut impl Write) -> Result<ExitCode> {
    let (file, loaded) = read_document(args.file.as_deref())?;
    let diagnostics = loaded.validate();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let write = |out: &mut dyn Write, text: String| {
        writeln!(out, "{text}").map_err(|e| Fail(format!("cannot write output: {e}")))
    };
    match args.format.as_deref() {
        None | Some("text") => {
            let mut sorted: Vec<_> = diagnostics.iter().collect();
            sorted.sort_by_key(|d| d.severity != Severity::Error);
            for d in sorted {
                write(out, d.to_string())?;
            }
            let doc = &loaded.document;
            let flags = doc.flags.len() + loaded.broken_flags.len();
            let segments = doc.segments.len() + loaded.broken_segments.len();
            let verdict = if errors == 0 { "ok" } else { "invalid" };
            write(
                out,
                format!(
                    "{file}: {verdict}: {}, {}, {}; {}, {}",
                    count(flags, "flag"),
                    count(segments, "segment"),
                    count(doc.environments.len(), "environment"),
                    count(errors, "error"),
                    count(warnings, "warning"),
                ),
            )?;
        }
        Some("json") => {
            let report = serde_json::json!({
                "valid": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics,
            });
            write(out, report.to_string())?;
        }
        Some(other) => return fail(format!("unknown format {other:?} (text or json)")),
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn eval(args: &Args, out: &mut impl Write) -> Result<ExitCode> {
    let (file, loaded) = read_document(args.file.as_deref())?;
    let Some(env) = args.env.as_deref() else {
        return fail("eval needs --env ENV");
    };
    if !loaded.document.environments.iter().any(|e| e == env) {
        return fail(format!(
            "unknown environment {env:?}; {file} has: {}",
            loaded.document.environments.join(", ")
        ));
    }
    let context: Value = match args.context.as_deref() {
        None => Value::Object(serde_json::Map::new()),
        Some(text) => {
            serde_json::from_str(text).map_err(|e| Fail(format!("--context is not JSON: {e}")))?
        }
    };
    let now = match args.now.as_deref() {
        None => now_millis(),
        Some(text) => parse_rfc3339(text)
            .ok_or_else(|| Fail(format!("--now {text:?} is not an RFC 3339 time")))?,
    };
    let default = match args.default.as_deref() {
        None => "null".to_string(),
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| Fail(format!("--default is not JSON: {e}")))?
            .to_string(),
    };
    let expected = match args.value_type.as_deref() {
        None => None,
        Some(t) => Some(ValueType::parse(t).ok_or_else(|| {
            Fail(format!(
                "--type {t:?} is not one of boolean, string, number, object"
            ))
        })?),
    };
    let compilation = loaded.compile(env);
    let errors = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .count();
    if errors > 0 {
        eprintln!(
            "burgee: warning: {file} has {errors} errors (see burgee validate); broken flags answer PARSE_ERROR"
        );
    }
    let snapshot = &compilation.snapshot;
    let context = snapshot.context(&context);
    let mut line = String::new();
    let mut emit = |key: &str, detail: burgee_core::Detail<'_>| -> Result<()> {
        line.clear();
        detail.write_json(&mut line, key, true, &default);
        writeln!(out, "{line}").map_err(|e| Fail(format!("cannot write output: {e}")))
    };
    match args.flag.as_deref() {
        Some(key) => emit(key, snapshot.evaluate(key, &context, now, expected))?,
        None => {
            for key in snapshot.flag_keys() {
                emit(key, snapshot.evaluate(key, &context, now, expected))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compile(args: &Args) -> Result<ExitCode> {
    let (file, loaded) = read_document(args.file.as_deref())?;
    let Some(env) = args.env.as_deref() else {
        return fail("compile needs --env ENV");
    };
    if !loaded.document.environments.iter().any(|e| e == env) {
        return fail(format!(
            "unknown environment {env:?}; {file} has: {}",
            loaded.document.environments.join(", ")
        ));
    }
    let diagnostics = loaded.validate();
    if diagnostics.iter().any(|d| d.is_error()) {
        for d in diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{d}");
        }
        eprintln!("burgee: {file} has errors; no snapshot written");
        return Ok(ExitCode::from(1));
    }
    let compilation = if args.client_side {
        burgee_core::compile_client_side(&loaded.document, env)
    } else {
        loaded.compile(env)
    };
    let bytes = compilation.snapshot.encode();
    match args.out.as_deref() {
        Some(path) => {
            std::fs::write(path, &bytes).map_err(|e| Fail(format!("cannot write {path}: {e}")))?
        }
        None => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| Fail(format!("cannot write output: {e}")))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run() -> Result<ExitCode> {
    let args = parse_args(std::env::args().skip(1))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let code = match args.command.as_deref() {
        Some("validate") => validate(&args, &mut out)?,
        Some("eval") => eval(&args, &mut out)?,
        Some("compile") => compile(&args)?,
        Some("version") => {
            let _ = writeln!(out, "burgee {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("help") | None => {
            let _ = writeln!(out, "{USAGE}");
            if args.command.is_none() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Some(other) => {
            return fail(format!(
                "unknown command {other:?} (validate, eval or compile)"
            ));
        }
    };
    out.flush()
        .map_err(|e| Fail(format!("cannot write output: {e}")))?;
    Ok(code)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(Fail(message)) => {
            eprintln!("burgee: {message}");
            ExitCode::from(2)
        }
    }
}
