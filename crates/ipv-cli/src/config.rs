//! Resolving the global flags, the environment and the secret file into settings.
//!
//! Precedence, highest first:
//! * endpoint: `--endpoint` / `--emulator` > `--sandbox` / `--production` >
//!   `IPV_ENDPOINT` > the embedded emulator, but only when no app key or secret is
//!   configured at all: credentials without a target are a usage error at the first
//!   request (a command that spends money never guesses where it goes);
//! * secret: `--app-secret` > `--app-secret-file` > `IPV_APP_SECRET` > `IPV_APP_SECRET_FILE`;
//! * app key: `--app-key` > `IPV_APP_KEY`.
//!
//! Giving two rivals of the same rank on the command line (`--endpoint` with
//! `--sandbox`, `--app-secret` with `--app-secret-file`) is a usage error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ArgMatches;
use clap::parser::ValueSource;
use zeroize::Zeroizing;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::failure::{CmdResult, Failure};

/// The sandbox platform's base URL.
pub(crate) const SANDBOX_URL: &str = "https://sandbox.ipipv.com";
/// The production platform's base URL.
pub(crate) const PRODUCTION_URL: &str = "https://api.ipipv.com";

/// The app secret's bytes, wiped on drop and never shown by `Debug`.
#[derive(Clone)]
pub(crate) struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Where the secret came from, for messages that must not show the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretSource {
    /// `--app-secret` on the command line.
    Flag,
    /// `IPV_APP_SECRET`.
    Env,
    /// A file, named by `--app-secret-file` or `IPV_APP_SECRET_FILE`.
    File(PathBuf),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag => f.write_str("--app-secret"),
            Self::Env => f.write_str("IPV_APP_SECRET"),
            Self::File(path) => write!(f, "the file {}", path.display()),
        }
    }
}

/// Which platform to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A remote (or separately started) platform at this base URL.
    Remote(String),
    /// An emulator inside this process: asked for with `--emulator` (`true`), or no
    /// credentials and no endpoint configured at all (`false`).
    Embedded {
        /// Whether `--emulator` asked for it.
        asked: bool,
    },
    /// Credentials are configured but no endpoint: refused when a request is made.
    Missing,
}

/// What to tell someone who configured credentials but no target.
pub(crate) const NO_TARGET: &str = "an app key or secret is configured (IPV_APP_KEY, IPV_APP_SECRET, --app-key, --app-secret) but no endpoint: \
say where to send requests with --endpoint URL (or IPV_ENDPOINT=URL), --sandbox or --production; \
or pass --emulator to run against an emulator inside this process";

/// Everything the commands need from the global flags.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) target: Target,
    pub(crate) app_key: Option<String>,
    pub(crate) secret: Option<(Secret, SecretSource)>,
    pub(crate) output: OutputFormat,
    pub(crate) timeout: Option<Duration>,
}

impl Settings {
    /// Whether output is JSON.
    pub(crate) fn json(&self) -> bool {
        self.output == OutputFormat::Json
    }

    /// Resolves `args` (parsed from `matches`) by the precedence in the module docs.
    pub(crate) fn resolve(args: &GlobalArgs, matches: &ArgMatches) -> CmdResult<Self> {
        let from_flag = |id: &str| is_from_command_line(matches, id);

        let endpoint_flag = from_flag("endpoint");
        if endpoint_flag && (args.sandbox || args.production) {
            return Err(Failure::usage(
                "--endpoint cannot be combined with --sandbox or --production",
            ));
        }
        if endpoint_flag && args.emulator {
            return Err(Failure::usage(
                "--endpoint cannot be combined with --emulator",
            ));
        }
        let credentials = args.app_key.as_deref().is_some_and(|k| !k.is_empty())
            || args.app_secret.as_deref().is_some_and(|s| !s.is_empty())
            || args.app_secret_file.is_some();
        let target = if args.emulator {
            Target::Embedded { asked: true }
        } else if endpoint_flag {
            Target::Remote(non_empty_url(args.endpoint.as_deref())?)
        } else if args.sandbox {
            Target::Remote(SANDBOX_URL.to_owned())
        } else if args.production {
            Target::Remote(PRODUCTION_URL.to_owned())
        } else {
            match args.endpoint.as_deref() {
                Some(url) if !url.trim().is_empty() => Target::Remote(non_empty_url(Some(url))?),
                _ if credentials => Target::Missing,
                _ => Target::Embedded { asked: false },
            }
        };

        let secret_flag = from_flag("app_secret");
        let file_flag = from_flag("app_secret_file");
        if secret_flag && file_flag {
            return Err(Failure::usage(
                "--app-secret cannot be combined with --app-secret-file",
            ));
        }
        let secret = match (&args.app_secret, &args.app_secret_file) {
            (Some(s), _) if secret_flag => {
                Some((Secret::new(s.clone().into_bytes()), SecretSource::Flag))
            }
            (_, Some(path)) if file_flag => {
                Some((read_secret_file(path)?, SecretSource::File(path.clone())))
            }
            (Some(s), _) if !s.is_empty() => {
                Some((Secret::new(s.clone().into_bytes()), SecretSource::Env))
            }
            (_, Some(path)) => Some((read_secret_file(path)?, SecretSource::File(path.clone()))),
            _ => None,
        };

        Ok(Self {
            target,
            app_key: args.app_key.clone().filter(|k| !k.is_empty()),
            secret,
            output: args.output,
            timeout: args.timeout,
        })
    }
}

/// Whether argument `id` was given on the command line (not from the environment or a
/// default), looking through subcommand matches since global flags may follow them.
pub(crate) fn is_from_command_line(matches: &ArgMatches, id: &str) -> bool {
    let mut current = Some(matches);
    while let Some(m) = current {
        if matches!(m.try_get_raw(id), Ok(Some(_)))
            && m.value_source(id) == Some(ValueSource::CommandLine)
        {
            return true;
        }
        current = m.subcommand().map(|(_, sub)| sub);
    }
    false
}

fn non_empty_url(url: Option<&str>) -> CmdResult<String> {
    let url = url.unwrap_or_default().trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Failure::usage(format!(
            "--endpoint must be an http:// or https:// URL, got `{url}`"
        )));
    }
    Ok(url.to_owned())
}

/// Reads a secret file, dropping one trailing newline (`\n` or `\r\n`).
fn read_secret_file(path: &Path) -> CmdResult<Secret> {
    let mut bytes = std::fs::read(path).map_err(|err| {
        Failure::usage(format!(
            "cannot read the app secret file {}: {err}",
            path.display()
        ))
    })?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Ok(Secret::new(bytes))
}
