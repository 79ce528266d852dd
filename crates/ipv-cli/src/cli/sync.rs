//! `ipv sync ...`: the platform mirrored into PostgreSQL (feature `sync`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::parse_window;

/// `sync ...`.
#[derive(Subcommand)]
pub enum SyncCommand {
    /// Create or upgrade the mirror's schema (versioned migrations under an advisory
    /// lock; running it twice changes nothing).
    Migrate(SyncDbArgs),
    /// Mirror the account's whole history, the catalogue and the named dynamic
    /// accounts; resumable (kill it and start it again) and shared by several processes.
    Backfill(SyncBackfillArgs),
    /// Serve the callback URL and write what each callback names into the mirror, with
    /// revalidation every so often.
    Listen(SyncListenArgs),
    /// Re-fetch what changes without a callback (instances near or past expiry, orders
    /// not final, the balance) and report the drift.
    Revalidate(SyncRevalidateArgs),
    /// Rows per table, the backfill cursor, the last callback and the last revalidation.
    Status(SyncDbArgs),
}

/// The mirror's database.
#[derive(Args, Clone)]
pub struct SyncDbArgs {
    /// The database, `postgres://user:password@host:port/db`.
    #[arg(
        long,
        env = "IPV_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        required = true
    )]
    pub database: String,
    /// The schema the mirror's tables live in.
    #[arg(long, default_value = "ipipv", value_name = "NAME")]
    pub schema: String,
    /// Leave instance and proxy-user passwords out of the mirror.
    #[arg(long)]
    pub no_secrets: bool,
}

/// `sync backfill`.
#[derive(Args)]
pub struct SyncBackfillArgs {
    /// The database.
    #[command(flatten)]
    pub db: SyncDbArgs,
    /// Read nothing older than this (`YYYY-MM-DD` or `YYYY-MM-DD hh:mm:ss`, UTC+8 like
    /// the API's filters); default: the whole history.
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<ipv_types::QueryTime>,
    /// A dynamic main account (`appUsername`) to mirror (repeatable); those already in
    /// the mirror are refreshed too.
    #[arg(long = "account", value_name = "APP_USERNAME")]
    pub accounts: Vec<String>,
    /// A proxy user to mirror, `PRODUCT_NO:APP_USERNAME` (repeatable).
    #[arg(long = "proxy-user", value_name = "PRODUCT:USER")]
    pub proxy_users: Vec<String>,
    /// The length of one window (`30d`, `1w`, `12h`).
    #[arg(long, default_value = "30d", value_name = "WINDOW", value_parser = parse_window)]
    pub window: Duration,
    /// How long a claimed window stays this process's without progress.
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = super::parse_duration)]
    pub lease: Duration,
    /// Windows this process reads at once, each on its own connection and lease.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub workers: u16,
    /// Pages written in one transaction with the cursor past them (a kill redoes at
    /// most this many).
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=50))]
    pub pages_per_write: u16,
}

/// `sync listen`.
#[derive(Args)]
pub struct SyncListenArgs {
    /// The database (claims go to the same database).
    #[command(flatten)]
    pub db: SyncDbArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub addr: SocketAddr,
    /// Serve only under `/<TOKEN>/...` (404 elsewhere); required unless
    /// `--insecure-no-path-token`. 16 to 128 characters of A-Z a-z 0-9 - _.
    #[arg(
        long,
        env = "IPV_CALLBACK_PATH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub path_token: Option<String>,
    /// Serve callbacks on every path, with no secret token in the URL.
    #[arg(long, conflicts_with = "path_token")]
    pub insecure_no_path_token: bool,
    /// Revalidate this often (`15m`, `1h`; `0` turns it off).
    #[arg(long, default_value = "15m", value_name = "WINDOW", value_parser = parse_every)]
    pub revalidate_every: Duration,
    /// Revalidation re-fetches live instances expiring within this window.
    #[arg(long, default_value = "7d", value_name = "WINDOW", value_parser = parse_window)]
    pub horizon: Duration,
}

/// `sync revalidate`.
#[derive(Args)]
pub struct SyncRevalidateArgs {
    /// The database.
    #[command(flatten)]
    pub db: SyncDbArgs,
    /// Re-fetch live instances expiring within this window (or already past it).
    #[arg(long, default_value = "7d", value_name = "WINDOW", value_parser = parse_window)]
    pub horizon: Duration,
}

fn parse_since(text: &str) -> Result<ipv_types::QueryTime, String> {
    let text = text.trim();
    if text.len() == 10 {
        return format!("{text} 00:00:00")
            .parse()
            .map_err(|e: ipv_types::time::QueryTimeError| e.to_string());
    }
    super::parse_query_time(text)
}

fn parse_every(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    parse_window(text)
}
