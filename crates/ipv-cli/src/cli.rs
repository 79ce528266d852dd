//! The command tree: global flags, one subcommand per endpoint, and the tools.
//!
//! The doc comments here are the `--help` text. Each endpoint's argument struct holds
//! its request's fields with the request's own types (dictionary values, `u32` counts,
//! `QueryTime`s), named after the wire field; `commands::endpoints` builds the typed
//! request from it directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use ipv_types as t;

use crate::names::DictParser;

/// The whole command tree: the hand-written commands and flags of [`Cli`], and the 30
/// endpoint subcommands made from the request types.
#[must_use]
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    Cli::command().subcommands(crate::commands::endpoints::commands())
}

/// The tree `emulator serve --help` is shown from: the flags that choose a platform
/// are hidden (the emulator is one; it refuses them).
#[must_use]
pub fn command_for_serve_help() -> clap::Command {
    NOT_FOR_SERVE.iter().fold(command(), |command, id| {
        command.mut_arg(*id, |arg| arg.hide(true))
    })
}

/// Global flags that choose a platform or shape requests, which `emulator serve`
/// (a platform itself) has no use for.
pub(crate) const NOT_FOR_SERVE: &[&str] =
    &["endpoint", "sandbox", "production", "emulator", "timeout"];

/// `--now TIME`: the time expiry is measured from.
pub(crate) fn now_arg() -> clap::Arg {
    clap::Arg::new("now")
        .long("now")
        .value_name("TIME")
        .value_parser(parse_now)
        .help(
            "Measure expiry from this time (unix seconds, RFC 3339, or YYYY-MM-DD hh:mm:ss at \
             UTC+8; default: the emulator's clock against an emulator on this machine, else \
             this machine's clock)",
        )
}

/// Parses `--now`: unix seconds, RFC 3339, or the platform's `YYYY-MM-DD hh:mm:ss`
/// (UTC+8).
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_now(text: &str) -> Result<time::OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return time::OffsetDateTime::from_unix_timestamp(secs).map_err(|err| err.to_string());
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Ok(t);
    }
    text.parse::<t::QueryTime>()
        .map(t::QueryTime::instant)
        .map_err(|_| format!("`{text}` is not unix seconds, RFC 3339 or YYYY-MM-DD hh:mm:ss"))
}

/// Checks a callback path token: 16 to 128 characters of A-Z a-z 0-9 - _.
///
/// # Errors
/// A message saying what a token must be (the value itself is not repeated: it is a
/// secret).
pub fn parse_path_token(text: &str) -> Result<String, String> {
    let ok_chars = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if (16..=128).contains(&text.len()) && ok_chars {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "a path token is 16 to 128 characters of A-Z a-z 0-9 - _ (this one has {} characters{})",
            text.chars().count(),
            if ok_chars {
                ""
            } else {
                ", some of them others"
            }
        ))
    }
}
#[cfg(feature = "sync")]
pub mod sync;

/// `ipv`: drive the ipipv open API v2 (or its local emulator) from a shell.
///
/// Say where to send requests with `--endpoint` (or `IPV_ENDPOINT`), `--sandbox` or
/// `--production`. With no credentials configured at all, or with `--emulator`,
/// commands run against an emulator started inside the process instead; credentials
/// without a target are refused, so nothing that spends money guesses where it goes.
#[derive(Parser)]
#[command(
    name = "ipv",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::failure::EXIT_CODES_HELP
)]
pub struct Cli {
    /// Flags every subcommand accepts, before or after its name.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Configuration and output flags, accepted anywhere on the command line.
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Base URL of the API, e.g. `https://sandbox.ipipv.com` (default: an embedded emulator).
    #[arg(long, global = true, env = "IPV_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// The app's public key (`appKey` in every request envelope).
    #[arg(long, global = true, env = "IPV_APP_KEY", value_name = "KEY")]
    pub app_key: Option<String>,
    /// The app secret (16, 24 or 32 bytes). Prefer the environment or a file: a flag
    /// shows up in the shell history and the process list.
    #[arg(
        long,
        global = true,
        env = "IPV_APP_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub app_secret: Option<String>,
    /// Read the app secret from this file (one trailing newline is ignored).
    #[arg(long, global = true, env = "IPV_APP_SECRET_FILE", value_name = "PATH")]
    pub app_secret_file: Option<PathBuf>,
    /// Use the sandbox platform, `https://sandbox.ipipv.com`.
    #[arg(long, global = true, conflicts_with = "production")]
    pub sandbox: bool,
    /// Use the production platform, `https://api.ipipv.com`.
    #[arg(long, global = true)]
    pub production: bool,
    /// Use an emulator started inside this process (with the configured app key and
    /// secret, or the demo app's), even when credentials are configured.
    #[arg(long, global = true, conflicts_with_all = ["sandbox", "production"])]
    pub emulator: bool,
    /// How to print results: a readable table or summary, or one JSON document with the
    /// wire's field names.
    #[arg(
        long,
        short = 'o',
        global = true,
        value_enum,
        default_value_t = OutputFormat::Table,
        value_name = "FORMAT"
    )]
    pub output: OutputFormat,
    /// Give up on one request after this long (`30`, `30s`, `500ms`, `2m`).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Log what happens to stderr (`-v` info, `-vv` debug, `-vvv` trace). Never logs the secret.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("endpoint", &self.endpoint)
            .field("app_key", &self.app_key)
            .field(
                "app_secret",
                &self.app_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("app_secret_file", &self.app_secret_file)
            .field("sandbox", &self.sandbox)
            .field("production", &self.production)
            .field("emulator", &self.emulator)
            .field("output", &self.output)
            .field("timeout", &self.timeout)
            .field("verbose", &self.verbose)
            .finish()
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// A table or a `field: value` summary for people.
    #[default]
    Table,
    /// Exactly one JSON document on stdout, with the wire's field names.
    Json,
}

/// Parses `30`, `30s`, `500ms`, `2m` into a duration.
///
/// # Errors
/// A message naming the accepted forms when the text is none of them.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else {
        (text, 1_000)
    };
    let value: u64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30, 30s, 500ms or 2m"))?;
    let ms = value
        .checked_mul(scale_ms)
        .ok_or_else(|| format!("`{text}` is too long"))?;
    if ms == 0 {
        return Err("a timeout must be longer than zero".to_owned());
    }
    Ok(Duration::from_millis(ms))
}

/// Parses a request time, `YYYY-MM-DD hh:mm:ss`.
///
/// # Errors
/// A message naming the layout when the text is not in it.
pub fn parse_query_time(text: &str) -> Result<t::QueryTime, String> {
    text.parse::<t::QueryTime>().map_err(|err| err.to_string())
}

/// Parses a window such as `3d`, `12h`, `90m`, `2w` or `3600s` (a bare number is days).
///
/// # Errors
/// A message naming the accepted forms when the text is none of them.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds: u64 = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" | "" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("`{text}` is not a window like 3d, 12h, 90m or 2w")),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a window like 3d, 12h, 90m or 2w"))?;
    value
        .checked_mul(seconds)
        .filter(|s| *s <= 100 * 366 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long a window"))
}

/// The subcommands written by hand: tools, and commands over several endpoints. The
/// 30 endpoint subcommands are made at run time from the request types (see
/// [`command`]).
#[derive(Subcommand)]
pub enum Command {
    /// Every instance over every page, as `ip:port:user:pass`, proxy URLs, CSV or JSON
    /// lines (endpoint `instance/list`, all pages).
    Export(ExportArgs),
    /// Instances that run out within a window, when, and what renewing each for one
    /// more period would cost (a local estimate from its product's prices).
    Expiring(ExpiringArgs),
    /// Send any JSON to any path: for endpoints newer than this tool.
    Raw(RawArgs),
    /// Run the local emulator of the platform.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Receive the platform's callbacks.
    #[command(subcommand)]
    Callback(CallbackCommand),
    /// Mirror the platform into PostgreSQL: migrate, backfill, listen, revalidate, status.
    #[cfg(feature = "sync")]
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Encrypt, decrypt and open captured traffic with the app secret.
    #[command(subcommand)]
    Codec(CodecCommand),
    /// Walk a reseller's day end to end against an embedded emulator, checking each step.
    Demo(DemoArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// The instance window and filters shared by `export` and `expiring`.
#[derive(Args, Clone, Debug)]
pub struct InstanceFilter {
    /// Only instances opened from this time, `YYYY-MM-DD hh:mm:ss` (UTC+8, the
    /// platform's zone; default: the platform's own window, a year back).
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub opened_from: Option<t::QueryTime>,
    /// Only instances opened until this time, `YYYY-MM-DD hh:mm:ss` (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub opened_until: Option<t::QueryTime>,
    /// Instances fetched a page, 1..100.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: u32,
}

/// How `export` writes instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ExportFormat {
    /// `ip:port:user:pass`, one a line.
    #[default]
    Plain,
    /// `socks5://user:pass@ip:port` or `http://...` by the instance's protocol, with
    /// the user and password percent-encoded.
    Url,
    /// CSV with a header: instance, status, protocol, address, credentials, expiry.
    Csv,
    /// One JSON object a line, with the wire's field names.
    Json,
}

/// `export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The output form.
    #[arg(long, value_enum, default_value_t = ExportFormat::Plain)]
    pub format: ExportFormat,
    /// Only instances in this status (repeatable), by name or number.
    #[arg(long, value_name = "STATUS", value_parser = DictParser::<t::InstanceStatus>::new())]
    pub status: Vec<t::InstanceStatus>,
    /// Only instances that expire within this window from now (`3d`, `12h`).
    #[arg(long, value_name = "WINDOW", value_parser = parse_window)]
    pub expiring_within: Option<Duration>,
    /// Measure expiry from this time (unix seconds, RFC 3339, or `YYYY-MM-DD hh:mm:ss`
    /// at UTC+8; default: the emulator's clock against an emulator on this machine,
    /// else this machine's clock).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<time::OffsetDateTime>,
    /// Which instances to list.
    #[command(flatten)]
    pub filter: InstanceFilter,
}

/// `expiring`.
#[derive(Args)]
pub struct ExpiringArgs {
    /// The window from now (`3d`, `12h`, `2w`).
    #[arg(long, value_name = "WINDOW", value_parser = parse_window, default_value = "3d")]
    pub within: Duration,
    /// Measure expiry from this time (unix seconds, RFC 3339, or `YYYY-MM-DD hh:mm:ss`
    /// at UTC+8; default: the emulator's clock against an emulator on this machine,
    /// else this machine's clock).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<time::OffsetDateTime>,
    /// Which instances to list.
    #[command(flatten)]
    pub filter: InstanceFilter,
}

/// `raw`.
#[derive(Args)]
pub struct RawArgs {
    /// The path, e.g. `/api/open/app/info/v2`, or just its middle, e.g. `info`.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// The request's JSON params (`-` reads stdin; absent: no params).
    #[arg(value_name = "JSON")]
    pub json: Option<String>,
}

/// `emulator ...`.
#[derive(Subcommand)]
pub enum EmulatorCommand {
    /// Run the emulator in the foreground until Ctrl-C or SIGTERM. Its app key and
    /// secret are the global `--app-key` / `--app-secret` (default: the demo app's).
    Serve(EmulatorServeArgs),
}

/// `emulator serve`.
#[derive(Args)]
pub struct EmulatorServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Where the emulator sends callbacks (overrides the app's default).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Load state from this file at start and save it there on exit.
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// Allow a non-loopback `--addr` (and control requests addressed to any host name):
    /// anyone who can reach the address can read the emulator's state, and anyone who
    /// sees the control token can reset it and move its clock.
    #[arg(long)]
    pub allow_remote: bool,
    /// The token state-changing control requests (and the dashboard) must carry in the
    /// `X-Emulator-Token` header; default: a fresh random one, printed at start. 16 to
    /// 256 characters from `A-Z a-z 0-9 - . _ ~`.
    #[arg(
        long,
        env = "IPV_EMULATOR_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub control_token: Option<String>,
    /// How long each new order stays pending, then processing, before it completes
    /// (`5s`, `250ms`, `2m`; half pending, half processing; default 50ms, `0` completes
    /// orders inside the call that creates them).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub order_delay: Option<Duration>,
    /// Give every static product at least N distinct addresses in stock (default: the
    /// seeded 40 to 500 each), so one account can hold up to N instances of a product;
    /// at most 500000. Applies to a fresh state, not to one loaded from --state-file.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500_000))]
    pub addresses_per_product: Option<u32>,
}

/// `callback ...`.
#[derive(Subcommand)]
pub enum CallbackCommand {
    /// Receive callbacks, fetch what each names, and print it as one JSON line; a
    /// callback is acknowledged only once printed.
    Listen(CallbackListenArgs),
}

/// `callback listen`.
#[derive(Args)]
pub struct CallbackListenArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub addr: SocketAddr,
    /// Believe callbacks as sent instead of fetching what they name (needs no
    /// credentials; a forged callback is printed like a genuine one).
    #[arg(long, alias = "no-fetch")]
    pub trust_query: bool,
    /// Serve only under `/<TOKEN>/...` (404 elsewhere); register the callback URL with
    /// the token in it. 16 to 128 characters of A-Z a-z 0-9 - _.
    #[arg(
        long,
        env = "IPV_CALLBACK_PATH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        value_parser = parse_path_token
    )]
    pub path_token: Option<String>,
    /// Listen without a path token: anyone who finds the address can send callbacks
    /// (each one costs a re-fetch). Without this flag, a missing --path-token is an
    /// error.
    #[arg(long, conflicts_with = "path_token")]
    pub insecure_no_path_token: bool,
    /// Serve only connections from this network, e.g. 203.0.113.0/24 or
    /// 2001:db8::/32 (repeatable; others are closed unread).
    #[arg(long = "allow-from", value_name = "CIDR")]
    pub allow_from: Vec<ipv_api::callback::Cidr>,
    /// Where claims and handled callbacks are recorded: `memory` (the default; one
    /// listener), or `postgres://user:pw@host/db` / `redis://host:6379` shared by
    /// several listeners behind one callback URL.
    #[arg(
        long,
        env = "IPV_CALLBACK_STORE",
        value_name = "STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// Callbacks waiting to be printed before new ones wait (each is acknowledged only
    /// once printed).
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub queue: usize,
}

/// `codec ...`.
#[derive(Subcommand)]
pub enum CodecCommand {
    /// Raw bytes on stdin -> base64 ciphertext on stdout.
    Encrypt,
    /// Base64 ciphertext on stdin -> raw bytes on stdout.
    Decrypt,
    /// A captured request or response envelope (JSON) on stdin -> its decrypted
    /// params / data as JSON on stdout; the envelope's other fields go to stderr.
    Open(CodecOpenArgs),
}

/// `codec open`.
#[derive(Args)]
pub struct CodecOpenArgs {
    /// Print `{"envelope": {...}, "payload": ...}` on stdout instead of the payload alone.
    #[arg(long)]
    pub with_envelope: bool,
}

/// `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Days to advance the emulator clock between renewing and releasing.
    #[arg(long, default_value_t = 20, value_name = "DAYS")]
    pub advance_days: u32,
    /// Mark steps `[ok]` / `[FAILED]` instead of ✓ / ✗ (the default without a UTF-8 locale).
    #[arg(long)]
    pub ascii: bool,
}

/// `completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}
