//! The `ipv` command line for the ipipv open API v2.
//!
//! The binary is a thin `main` over [`run`]. The 30 endpoint subcommands are made
//! from the request types of `ipv-types` and the endpoint table of `ipv-api` (their
//! flags are the requests' wire fields, see `docs/cli.md`); the tools are in [`cli`].
//! With nothing configured, or with `--emulator`, commands run against an emulator
//! started inside the process.
//!
//! Exit codes: 0 success, 1 the API answered with an error code, 2 usage, 3 transport
//! or any other failure, 4 an order that is not what was asked (it finished failed, or
//! the platform answered with another order), 5 a demo check did not hold, 6 the app
//! key or secret was refused.
//!
//! ```
//! use ipv_cli::cli::command;
//!
//! // Global flags are accepted after the subcommand as well as before it, and every
//! // field of a request is a flag of its command.
//! let matches = command().try_get_matches_from([
//!     "ipv", "order", "O123", "--page-size", "20", "--output", "json",
//! ])?;
//! let (name, order) = matches.subcommand().unwrap();
//! assert_eq!(name, "order");
//! assert_eq!(order.get_one::<String>("pageSize").map(String::as_str), Some("20"));
//! # Ok::<(), clap::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::OsString;
use std::process::ExitCode;

use clap::FromArgMatches as _;

pub mod cli;
mod clock;
mod commands;
mod config;
mod failure;
mod flags;
mod ids;
mod names;
mod output;
mod progress;
mod session;
mod shape;
mod show;
mod wait;

use cli::{Command, GlobalArgs, OutputFormat};
use config::Settings;
use failure::{CmdResult, Failure};

/// Parses `args` (the first is the program name), runs the command and returns the
/// exit code (see the crate docs and `docs/cli.md`).
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let matches = match cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(err) if err.kind() == clap::error::ErrorKind::DisplayHelp && asks_serve(&args) => {
            let err = cli::command_for_serve_help()
                .try_get_matches_from(&args)
                .err()
                .unwrap_or(err);
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
        Err(err) => {
            // clap prints help and version to stdout (exit 0), errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let global = match GlobalArgs::from_arg_matches(&matches) {
        Ok(global) => global,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(2);
        }
    };
    init_logging(global.verbose);
    match run_parsed(&global, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// Whether the command line names `emulator serve` (its first two words).
fn asks_serve(args: &[OsString]) -> bool {
    let mut words = args
        .iter()
        .skip(1)
        .filter(|a| !a.to_string_lossy().starts_with('-'));
    words.next().is_some_and(|w| w == "emulator") && words.next().is_some_and(|w| w == "serve")
}

fn run_parsed(global: &GlobalArgs, matches: &clap::ArgMatches) -> CmdResult {
    let settings = Settings::resolve(global, matches)?;
    let Some((name, sub)) = matches.subcommand() else {
        return Err(Failure::usage("no command given: see `ipv --help`"));
    };
    if let Some(row) = commands::endpoints::row_for(name) {
        let prepared = commands::endpoints::prepare(row, sub)?;
        return runtime()?.block_on(async {
            let session = session::Session::open(&settings).await?;
            let result = prepared.run(&session).await;
            session.close().await;
            result
        });
    }
    let command =
        Command::from_arg_matches(matches).map_err(|err| Failure::usage(err.to_string()))?;
    refuse_what_does_not_apply(&command, global, matches)?;
    match command {
        Command::Codec(command) => commands::codec::run(&settings, &command),
        Command::Completions(args) => commands::completions::run(args.shell),
        Command::Export(mut args) => {
            args.format = export_format(&args, global, sub)?;
            runtime()?.block_on(with_session(&settings, |session| {
                Box::pin(async move { commands::reseller::export(session, &args).await })
            }))
        }
        command => runtime()?.block_on(run_async(settings, command)),
    }
}

/// `-o json` applies to every command that prints results; where it cannot (a
/// completion script, raw bytes, a server's log), it is refused rather than ignored.
/// `emulator serve` is a platform: it refuses the flags that choose one.
fn refuse_what_does_not_apply(
    command: &Command,
    global: &GlobalArgs,
    matches: &clap::ArgMatches,
) -> CmdResult {
    let json = global.output == OutputFormat::Json;
    let what = match command {
        Command::Completions(_) => Some("completions (prints a shell script)"),
        Command::Codec(cli::CodecCommand::Encrypt | cli::CodecCommand::Decrypt) => {
            Some("codec encrypt/decrypt (print raw bytes or base64)")
        }
        Command::Emulator(_) => Some("emulator serve (prints where it listens)"),
        _ => None,
    };
    if let (true, Some(what)) = (json, what) {
        return Err(Failure::usage(format!("-o json does not apply to {what}")));
    }
    if matches!(command, Command::Emulator(_)) {
        for id in cli::NOT_FOR_SERVE {
            if config::is_from_command_line(matches, id) {
                return Err(Failure::usage(format!(
                    "emulator serve is the platform: --{} does not apply to it",
                    id.replace('_', "-")
                )));
            }
        }
    }
    Ok(())
}

/// The export format: `-o json` means JSON lines; an explicit other `--format` with it
/// is a contradiction.
fn export_format(
    args: &cli::ExportArgs,
    global: &GlobalArgs,
    matches: &clap::ArgMatches,
) -> CmdResult<cli::ExportFormat> {
    if global.output != OutputFormat::Json {
        return Ok(args.format);
    }
    let explicit = matches!(
        matches.value_source("format"),
        Some(clap::parser::ValueSource::CommandLine)
    );
    if explicit && args.format != cli::ExportFormat::Json {
        return Err(Failure::usage(
            "-o json prints JSON lines; it cannot be combined with another --format",
        ));
    }
    Ok(cli::ExportFormat::Json)
}

/// The runtime for commands that talk to a server or are one.
fn runtime() -> CmdResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| Failure::other(format!("cannot start the async runtime: {err}")))
}

type SessionFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = CmdResult> + 'a>>;

/// Opens a session, runs `body` with it, and closes it.
async fn with_session<F>(settings: &Settings, body: F) -> CmdResult
where
    F: for<'a> FnOnce(&'a session::Session) -> SessionFuture<'a>,
{
    let session = session::Session::open(settings).await?;
    let result = body(&session).await;
    session.close().await;
    result
}

async fn run_async(settings: Settings, command: Command) -> CmdResult {
    match command {
        Command::Emulator(cli::EmulatorCommand::Serve(args)) => {
            commands::emulator::serve(&settings, &args).await
        }
        Command::Callback(cli::CallbackCommand::Listen(args)) => {
            commands::callbacks::listen(&settings, &args).await
        }
        Command::Demo(args) => commands::demo::run(&settings, &args).await,
        #[cfg(feature = "sync")]
        Command::Sync(command) => commands::sync::run(&settings, command).await,
        Command::Expiring(args) => {
            with_session(&settings, |session| {
                Box::pin(async move { commands::reseller::expiring(session, &args).await })
            })
            .await
        }
        Command::Raw(args) => {
            with_session(&settings, |session| {
                Box::pin(async move {
                    commands::raw::run(session, &args.path, args.json.as_deref()).await
                })
            })
            .await
        }
        Command::Codec(_) | Command::Completions(_) | Command::Export(_) => Err(Failure::other(
            "internal: this command runs without the runtime",
        )),
    }
}

/// Logs to stderr at a level set by `-v` count; silent without it.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    use std::io::IsTerminal as _;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .try_init();
}
