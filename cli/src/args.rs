//! The command line: a command, its positional arguments and `--name value` options (also
//! `--name=value`). Which options a command takes is checked by the command.

use crate::Fail;

#[derive(Debug, Default)]
pub struct Args {
    pub command: Option<String>,
    /// The arguments after the command that are not options (FILE, KEY, PERCENT).
    pub positionals: Vec<String>,
    pub env: Option<String>,
    pub flag: Option<String>,
    pub context: Option<String>,
    pub now: Option<String>,
    pub default: Option<String>,
    pub value_type: Option<String>,
    pub format: Option<String>,
    pub out: Option<String>,
    pub url: Option<String>,
    pub max_flip: Option<String>,
    pub contexts: Option<String>,
    pub sample: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub client_side: bool,
    pub dry_run: bool,
}

impl Args {
    /// The `n`th positional argument (0: the first after the command), named `what` in the
    /// error when it is missing.
    pub fn positional(&self, n: usize, what: &str) -> Result<&str, Fail> {
        self.positionals.get(n).map(String::as_str).ok_or_else(|| {
            let command = self.command.as_deref().unwrap_or("burgee");
            Fail::usage(format!("{command} needs {what} (see burgee --help)"))
        })
    }

    /// Refuses positional arguments past the first `n`.
    pub fn at_most(&self, n: usize) -> Result<(), Fail> {
        match self.positionals.get(n) {
            Some(extra) => Err(Fail::usage(format!("unexpected argument {extra:?}"))),
            None => Ok(()),
        }
    }

    /// The value of an option the command requires.
    pub fn required<'a>(&self, value: &'a Option<String>, name: &str) -> Result<&'a str, Fail> {
        value.as_deref().ok_or_else(|| {
            let command = self.command.as_deref().unwrap_or("burgee");
            Fail::usage(format!("{command} needs {name}"))
        })
    }
}

pub fn parse(raw: &[String]) -> Result<Args, Fail> {
    let mut args = Args::default();
    let mut raw = raw.iter();
    while let Some(arg) = raw.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let slot = match name {
            "--env" => &mut args.env,
            "--flag" => &mut args.flag,
            "--context" => &mut args.context,
            "--now" => &mut args.now,
            "--default" => &mut args.default,
            "--type" => &mut args.value_type,
            "--format" => &mut args.format,
            "--out" | "-o" => &mut args.out,
            "--url" => &mut args.url,
            "--max-flip" => &mut args.max_flip,
            "--contexts" => &mut args.contexts,
            "--sample" => &mut args.sample,
            "--from" => &mut args.from,
            "--to" => &mut args.to,
            "--reason" => &mut args.reason,
            "--client-side" => {
                args.client_side = true;
                continue;
            }
            "--dry-run" => {
                args.dry_run = true;
                continue;
            }
            "-h" | "--help" => {
                args.command = Some("help".into());
                continue;
            }
            "help" if args.command.is_none() => {
                args.command = Some("help".into());
                continue;
            }
            "-V" | "--version" => {
                args.command = Some("version".into());
                continue;
            }
            "--token" => {
                return Err(Fail::usage(
                    "the token comes from the BURGEE_TOKEN environment variable, never the command line",
                ));
            }
            other if other.starts_with("--") => {
                return Err(Fail::usage(format!("unknown option {other}")));
            }
            _ => {
                if args.command.is_none() {
                    args.command = Some(arg.clone());
                } else {
                    args.positionals.push(arg.clone());
                }
                continue;
            }
        };
        let value = match inline {
            Some(v) => v,
            None => match raw.next() {
                Some(v) => v.clone(),
                None => return Err(Fail::usage(format!("{name} needs a value"))),
            },
        };
        if slot.replace(value).is_some() {
            return Err(Fail::usage(format!("{name} given twice")));
        }
    }
    Ok(args)
}
