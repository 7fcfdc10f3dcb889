//! `burgee`: validate flag documents, evaluate flags, and move documents and rollout steps
//! between a repository and a running Burgee, from CI pipelines and terminals.
//!
//! Scripts outside this repository drive it, so its interface is a contract: exit 0 for done
//! (or nothing to do), 1 for refused (a document with errors, a version conflict, a preview
//! over `--max-flip`, a store's 4xx), 2 for a usage, file or network problem, and one JSON
//! result per line from `eval`. It decides nothing about flags; that is burgee-core's job.
//!
//! The commands run against an [`Io`]: the native binary's (`main.rs`) or the npm package's
//! (Node, through the full wasm build), so both hosts give the same outputs.

mod args;
pub mod io;
mod local;
mod push;
mod remote;

pub use io::{FileError, Io, Request, Response};

const USAGE: &str = "\
burgee: validate Burgee flag documents, evaluate flags, and push them to a running Burgee

USAGE:
    burgee validate FILE [--format text|json]
    burgee eval FILE --env ENV [--flag KEY] [--context JSON] [--now RFC3339]
                     [--default JSON] [--type boolean|string|number|object]
    burgee compile FILE --env ENV [--client-side] [--out PATH]
    burgee pull --url URL [-o FILE]
    burgee diff FILE --url URL
    burgee push FILE --url URL [--dry-run] [--max-flip PERCENT]
                     [--contexts FILE.jsonl | --sample N]
    burgee rollout KEY PERCENT --env ENV --url URL
    burgee promote KEY --from ENV --to ENV --url URL
    (push, rollout and promote also take --reason TEXT: why, kept in history and audit)

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

Against a running Burgee (--url: its admin origin; the token comes from the BURGEE_TOKEN
environment variable, never from the command line):
pull      the store's document, with the version it came from as its \"version\" field, to
          -o FILE (or standard output).
diff      what pushing FILE would change, per flag and environment, in the admin app's words.
push      validates FILE, prints the same summary and a change preview (per flag and
          environment whose evaluation may change, the share of a sample of contexts whose
          variant flips: generated from
          what the flag reads, --sample N of them (default 1000), or read from --contexts, one
          JSON object per line), then writes it with If-Match: FILE's \"version\" (a file
          without one is written onto the version just compared). --dry-run writes nothing;
          --max-flip refuses a push whose preview flips more than PERCENT of a sample.
rollout   gives a boolean flag's true variant PERCENT of ENV (0-100, two decimals at most).
promote   copies a flag's settings in one environment to another, in one version.

EXIT CODES:
    0  done, or nothing to do
    1  refused: an invalid document, a version conflict (412: someone saved meanwhile; pull
       again, re-apply, push), a preview over --max-flip, or another refusal by the store (4xx)
    2  a usage, file or network error (one line on standard error)";

/// Why a command stopped early: a message on standard error and the exit code.
#[derive(Debug)]
pub struct Fail {
    code: u8,
    message: String,
}

impl Fail {
    /// A usage, file or network problem: exit 2.
    pub fn usage(message: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            message: message.into(),
        }
    }

    /// The document or the store says no: exit 1.
    pub fn refused(message: impl Into<String>) -> Fail {
        Fail {
            code: 1,
            message: message.into(),
        }
    }
}

type Result<T> = std::result::Result<T, Fail>;

/// Writes one line to standard output.
fn say(io: &mut dyn Io, text: &str) -> Result<()> {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    io.write_stdout(line.as_bytes())
        .map_err(|e| Fail::usage(format!("cannot write output: {e}")))
}

/// `n noun` or `n nouns`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Runs the command line `args` (without the program name) and answers the exit code.
pub fn run(args: &[String], io: &mut dyn Io) -> u8 {
    match dispatch(args, io) {
        Ok(code) => code,
        Err(Fail { code, message }) => {
            io.write_stderr(&format!("burgee: {message}\n"));
            code
        }
    }
}

fn dispatch(raw: &[String], io: &mut dyn Io) -> Result<u8> {
    let args = args::parse(raw)?;
    match args.command.as_deref() {
        Some("validate") => local::validate(&args, io),
        Some("eval") => local::eval(&args, io),
        Some("compile") => local::compile(&args, io),
        Some("pull") => remote::pull(&args, io),
        Some("diff") => remote::diff(&args, io),
        Some("push") => remote::push(&args, io),
        Some("rollout") => remote::rollout(&args, io),
        Some("promote") => remote::promote(&args, io),
        Some("version") => {
            say(io, &format!("burgee {}", env!("CARGO_PKG_VERSION")))?;
            Ok(0)
        }
        Some("help") => {
            say(io, USAGE)?;
            Ok(0)
        }
        None => {
            io.write_stderr(USAGE);
            io.write_stderr("\n");
            Ok(2)
        }
        Some(other) => Err(Fail::usage(format!(
            "unknown command {other:?} (validate, eval, compile, pull, diff, push, rollout or promote)"
        ))),
    }
}
