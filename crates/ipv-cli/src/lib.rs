//! The `ipv` command line for the ipipv open API v2.
//!
//! The binary is a thin `main` over [`run`]; the command tree is in [`cli`], where each
//! endpoint's argument struct holds its request's fields with the request's own types,
//! and the typed request is built from it directly. With nothing configured, or with
//! `--emulator`, commands run against an emulator started inside the process.
//!
//! Exit codes: 0 success, 1 the API answered with an error code, 2 usage (including
//! every clap error), 3 transport or any other failure, 4 an order followed to its end
//! did not succeed, 5 a demo check did not hold.
//!
//! ```
//! use clap::Parser;
//! use ipv_cli::cli::{Cli, Command, OutputFormat};
//!
//! // Global flags are accepted after the subcommand as well as before it.
//! let cli = Cli::try_parse_from(["ipv", "order", "O123", "--output", "json"])?;
//! assert_eq!(cli.global.output, OutputFormat::Json);
//! let Command::Order(order) = cli.command else { panic!("not `order`") };
//! assert_eq!(order.order_no, "O123");
//! assert_eq!(order.page_size, 10);
//! # Ok::<(), clap::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub mod cli;
mod commands;
mod config;
mod failure;
mod ids;
mod names;
mod output;
mod progress;
mod session;
mod wait;

use cli::{Cli, Command};
use config::Settings;
use failure::{CmdResult, Failure};

/// Parses `args` (the first is the program name), runs the command and returns the
/// exit code: 0 ok, 1 API error, 2 usage, 3 transport or other failure, 4 an order
/// that finished failed, 5 a failed demo check.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(err) => {
            // clap prints help and version to stdout (exit 0), errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(2);
        }
    };
    init_logging(cli.global.verbose);
    match run_parsed(cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn run_parsed(cli: Cli, matches: &clap::ArgMatches) -> CmdResult {
    let settings = Settings::resolve(&cli.global, matches)?;
    match cli.command {
        Command::Codec(command) => commands::codec::run(&settings, &command),
        Command::Completions(args) => commands::completions::run(args.shell),
        command => runtime()?.block_on(run_async(settings, command)),
    }
}

/// The runtime for commands that talk to a server or are one.
fn runtime() -> CmdResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| Failure::other(format!("cannot start the async runtime: {err}")))
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
        command => {
            let session = session::Session::open(&settings).await?;
            let result = commands::endpoints::run(&session, command).await;
            session.close().await;
            result
        }
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
