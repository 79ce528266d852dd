//! The ipipv platform mirrored into PostgreSQL, kept true.
//!
//! A reseller's storefront reads its own tables all day; `ipv-sync` keeps them equal to
//! the platform:
//!
//! - [`Mirror::connect`] opens the database (one pool, shared with the callback store
//!   of `ipv-callback-postgres`) and applies the embedded, versioned [migrations](migrate)
//!   under an advisory lock: tables `orders`, `instances`, `products`, `main_users`,
//!   `main_user_balances`, `proxy_users`, `balance_history` and the engine's state, in a
//!   schema of their own (default `ipipv`).
//! - [`backfill`] reads the account's whole history window by window (newest first,
//!   until a window and all before it are empty), the catalogue and the named dynamic
//!   accounts; its cursor lives in the database, windows are claimed with leases, and
//!   pages stream into batched upserts.
//! - [`SyncHandler`] is a [`CallbackHandler`](ipv_api::callback::CallbackHandler) to mount
//!   in a `CallbackReceiver`: it fetches what the callback names and writes it in one
//!   transaction.
//! - [`revalidate`] re-fetches what changes without a callback (instances near or past
//!   expiry, orders not final, the balance) and counts the drift.
//! - [`status`] reports rows per table, the backfill cursor, the last callback and the
//!   last revalidation.
//!
//! **Older never overwrites newer.** Every row carries `fetched_at`, when its data was
//! fetched (taken just before the request was sent); every write is
//! `INSERT ... ON CONFLICT ... DO UPDATE ... WHERE t.fetched_at <= EXCLUDED.fetched_at`,
//! so a slow page, a late callback or two processes racing never move a row backwards.
//! The stamps come from the writers' clocks: keep the machines' clocks synchronised.
//!
//! ```no_run
//! # async fn run(client: ipv_api::Client) -> Result<(), ipv_sync::SyncError> {
//! use ipv_sync::{BackfillOptions, Mirror, RevalidateOptions, SyncConfig};
//!
//! let mirror = Mirror::connect(SyncConfig::new("postgres://ipv@db.internal/shop")).await?;
//! let report = ipv_sync::backfill(&client, &mirror, &BackfillOptions::default(), &|_| {}).await?;
//! println!("{} instances, {} orders", report.instances, report.orders);
//!
//! // Live: hand the handler and the shared store to a receiver.
//! let receiver = ipv_api::callback::CallbackReceiver::builder(ipv_sync::SyncHandler::new(
//!     client.clone(),
//!     mirror.clone(),
//! ))
//! .shared_store(mirror.callback_store())
//! .build(client.clone());
//! # let _ = receiver;
//!
//! let drift = ipv_sync::revalidate(&client, &mirror, &RevalidateOptions::default()).await?;
//! println!("{drift:?}");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backfill;
mod columns;
mod handler;
mod lease;
pub mod migrate;
mod mirror;
mod revalidate;
mod rows;
mod status;

pub use backfill::{
    BackfillOptions, BackfillProgress, BackfillReport, MAX_PAGES_PER_WRITE, MAX_WORKERS, backfill,
};
pub use handler::SyncHandler;
pub use migrate::MigrationReport;
pub use mirror::{Mirror, SyncConfig};
pub use revalidate::{RevalidateOptions, RevalidationReport, revalidate};
pub use status::{BackfillCursor, LastRevalidation, Status, status};

/// What went wrong; messages never hold the database URL or a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The database failed or did not answer.
    #[error("database: {0}")]
    Database(String),
    /// The platform's API failed.
    #[error("API: {0}")]
    Api(#[from] ipv_api::Error),
    /// A configuration value is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Another process holds the lease this work needs.
    #[error("busy: {0}")]
    Busy(String),
}

impl SyncError {
    pub(crate) fn db(doing: &str, error: &tokio_postgres::Error) -> Self {
        let detail = match error.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => error.to_string(),
        };
        SyncError::Database(format!("{doing}: {detail}"))
    }

    pub(crate) fn pool(error: deadpool_postgres::PoolError) -> Self {
        let detail = match &error {
            deadpool_postgres::PoolError::Backend(e) => e
                .as_db_error()
                .map_or_else(|| e.to_string(), |db| db.message().to_owned()),
            other => other.to_string(),
        };
        SyncError::Database(format!("no connection: {detail}"))
    }
}

/// Whether `name` is a plain SQL identifier we may quote without escaping.
pub(crate) fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// A checked identifier, quoted.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// A throwaway PostgreSQL and a connection to it, for this crate's unit tests.
#[cfg(test)]
pub(crate) async fn test_postgres() -> (ipv_test_services::PostgresServer, tokio_postgres::Client) {
    let pg = tokio::task::spawn_blocking(ipv_test_services::PostgresServer::start)
        .await
        .expect("join")
        .expect("PostgreSQL");
    let (db, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    (pg, db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_plain() {
        assert!(valid_identifier("ipipv"));
        assert!(valid_identifier("shop_2"));
        assert!(!valid_identifier("2shop"));
        assert!(!valid_identifier("a\"b"));
        assert!(!valid_identifier("a;drop"));
        assert!(!valid_identifier(""));
    }
}
