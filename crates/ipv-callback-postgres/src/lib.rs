//! A PostgreSQL [`CallbackStore`] for `ipv`'s callback receiver.
//!
//! Several receivers (processes, machines) share one table and agree through it on
//! which of them handles a callback key and whether it was handled already:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS ipv_callback_claims (
//!     key         text PRIMARY KEY,
//!     token       text,
//!     lease_until timestamptz,
//!     done_at     timestamptz
//! );
//! ```
//!
//! - [`claim`](CallbackStore::claim) is one atomic `INSERT ... ON CONFLICT (key) DO UPDATE
//!   ... WHERE done_at IS NULL AND (lease_until <= now() OR token = $2)`; leases are timed
//!   by the database's clock, so receivers' clocks need not agree.
//! - [`complete`](CallbackStore::complete) sets `done_at` where the key and token match;
//!   [`abandon`](CallbackStore::abandon) deletes the row where they match.
//! - [`PostgresStore::purge`] deletes done keys (and dead claims) older than a retention,
//!   so the table stays bounded: call it now and then (say hourly) from one receiver.
//!
//! Connections come from a bounded pool; connecting and every statement have a time
//! limit, so a database that is down makes each operation fail with a
//! [`StoreError`] within about [`PostgresConfig::op_timeout`]; the receiver answers
//! "retry later" and the pool reconnects once the database is back.
//!
//! ```no_run
//! # async fn run() -> Result<(), ipv_callback_store::StoreError> {
//! use std::sync::Arc;
//! use ipv_callback_postgres::{PostgresConfig, PostgresStore};
//! use ipv_callback_store::CallbackStore;
//!
//! let store = PostgresStore::connect(
//!     PostgresConfig::new("postgres://ipv@db.internal/ipv").table("ipv_callback_claims"),
//! )
//! .await?;
//! let store: Arc<dyn CallbackStore> = Arc::new(store);
//! // Hand `store` to every receiver's `CallbackServer`/receiver builder.
//! # Ok(()) }
//! ```
//!
//! TLS is not built in: run the database on loopback or a private network (a
//! `sslmode=require` URL fails to connect rather than going in clear).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use ipv_callback_store::{
    BoxFuture, CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN, StoreError,
};
use tokio_postgres::NoTls;

/// How to reach the database and run the store.
#[derive(Clone)]
pub struct PostgresConfig {
    url: String,
    table: String,
    pool_size: usize,
    connect_timeout: Duration,
    op_timeout: Duration,
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: leave it out.
        f.debug_struct("PostgresConfig")
            .field("table", &self.table)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

impl PostgresConfig {
    /// The default table name.
    pub const DEFAULT_TABLE: &'static str = "ipv_callback_claims";

    /// A configuration for a `postgres://user:password@host:port/db?...` URL (or a
    /// `key=value` connection string), with the defaults: table
    /// [`DEFAULT_TABLE`](Self::DEFAULT_TABLE), 16 connections, 3 s to connect and 5 s
    /// per operation.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            table: Self::DEFAULT_TABLE.to_owned(),
            pool_size: 16,
            connect_timeout: Duration::from_secs(3),
            op_timeout: Duration::from_secs(5),
        }
    }

    /// The table's name: ASCII letters, digits and `_`, not starting with a digit, at
    /// most 63 bytes (checked by [`PostgresStore::connect`]).
    #[must_use]
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The most connections the pool opens (at least 1).
    #[must_use]
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// The limit on opening one connection.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The limit on one store operation, waiting for a connection included.
    #[must_use]
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }
}

/// A [`CallbackStore`] in one PostgreSQL table; see the [crate docs](crate).
pub struct PostgresStore {
    pool: Pool,
    op_timeout: Duration,
    table: String,
    sql: Sql,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table", &self.table)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

/// The statements, with the table name in them.
struct Sql {
    claim: String,
    read: String,
    complete: String,
    abandon: String,
    purge: String,
}

impl Sql {
    fn new(table: &str) -> Self {
        let t = format!("\"{table}\"");
        Self {
            // One atomic statement: inserts a free key, or takes over an expired lease
            // (or renews this token's own), and returns a row only if it claimed.
            claim: format!(
                "INSERT INTO {t} AS c (key, token, lease_until, done_at) \
                 VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond', NULL) \
                 ON CONFLICT (key) DO UPDATE \
                 SET token = EXCLUDED.token, lease_until = EXCLUDED.lease_until \
                 WHERE c.done_at IS NULL AND (c.lease_until <= now() OR c.token = EXCLUDED.token) \
                 RETURNING 1"
            ),
            // Why a claim did not succeed; a statement of its own, so it sees the row
            // the claim conflicted with even if that row was committed after the claim
            // statement began.
            read: format!(
                "SELECT done_at IS NOT NULL, \
                 (extract(epoch FROM (lease_until - now())) * 1000)::bigint \
                 FROM {t} WHERE key = $1"
            ),
            complete: format!(
                "UPDATE {t} SET done_at = now(), lease_until = NULL \
                 WHERE key = $1 AND token = $2 AND done_at IS NULL RETURNING 1"
            ),
            abandon: format!("DELETE FROM {t} WHERE key = $1 AND token = $2 AND done_at IS NULL"),
            purge: format!(
                "DELETE FROM {t} WHERE done_at < now() - $1::bigint * interval '1 millisecond' \
                 OR (done_at IS NULL AND lease_until < now() - $1::bigint * interval '1 millisecond')"
            ),
        }
    }

    fn create(table: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS \"{table}\" (\
             key text PRIMARY KEY, token text, lease_until timestamptz, done_at timestamptz)"
        )
    }
}

/// A store failure with a message of our own (no credentials in it).
#[derive(Debug)]
struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

fn failure(text: impl Into<String>) -> StoreError {
    Box::new(Failure(text.into()))
}

fn valid_table(table: &str) -> bool {
    !table.is_empty()
        && table.len() <= 63
        && table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !table.as_bytes()[0].is_ascii_digit()
}

fn lease_millis(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis())
        .unwrap_or(i64::MAX)
        .clamp(1, 366 * 86_400_000)
}

impl PostgresStore {
    /// Connects (one connection, to check the database answers), and creates the table
    /// if it is missing.
    ///
    /// # Errors
    /// A bad URL or table name, a database that does not answer within the timeouts, or
    /// a failure creating the table.
    pub async fn connect(config: PostgresConfig) -> Result<Self, StoreError> {
        if !valid_table(&config.table) {
            return Err(failure(format!(
                "table name {:?} is not a plain identifier (letters, digits, _; at most 63 bytes)",
                config.table.chars().take(80).collect::<String>()
            )));
        }
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e| failure(format!("bad PostgreSQL connection URL: {e}")))?;
        pg.connect_timeout(config.connect_timeout);
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(Runtime::Tokio1)
            .timeouts(Timeouts {
                wait: Some(config.op_timeout),
                create: Some(config.connect_timeout),
                recycle: Some(config.connect_timeout),
            })
            .build()
            .map_err(|e| failure(format!("cannot build the connection pool: {e}")))?;
        let store = Self {
            pool,
            op_timeout: config.op_timeout,
            sql: Sql::new(&config.table),
            table: config.table,
        };
        let create = Sql::create(&store.table);
        store
            .run(async |client| {
                // Receivers starting together may race to create the table; one loses
                // with a unique violation on the catalogue and finds it made.
                if let Err(first) = client.batch_execute(&create).await {
                    client
                        .batch_execute(&create)
                        .await
                        .map_err(|_| db_error("creating the table", &first))?;
                }
                Ok(())
            })
            .await?;
        Ok(store)
    }

    /// The table's name.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The store's connection pool, for a crate that keeps more in the same database
    /// (`ipv-sync` mirrors the platform there) with the same limits and timeouts.
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The limit on one operation (waiting for a connection included).
    #[must_use]
    pub fn op_timeout(&self) -> Duration {
        self.op_timeout
    }

    /// Deletes keys done more than `retention` ago, and claims whose lease ran out more
    /// than `retention` ago and were never completed; returns how many rows went.
    ///
    /// A duplicate callback arriving after its key was purged is handled again, which a
    /// level-triggered handler takes in its stride: choose a retention longer than the
    /// platform keeps retrying (days, not minutes).
    ///
    /// # Errors
    /// A database error or timeout.
    pub async fn purge(&self, retention: Duration) -> Result<u64, StoreError> {
        let millis = lease_millis(retention);
        let sql = &self.sql.purge;
        self.run(async |client| {
            let statement = client
                .prepare_cached(sql)
                .await
                .map_err(|e| db_error("preparing purge", &e))?;
            client
                .execute(&statement, &[&millis])
                .await
                .map_err(|e| db_error("purging", &e))
        })
        .await
    }

    /// Runs `op` on a pooled connection within the operation time limit.
    async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&deadpool_postgres::Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let work = async {
            let client =
                self.pool.get().await.map_err(|e| {
                    failure(format!("no PostgreSQL connection: {}", pool_error(&e)))
                })?;
            op(&client).await
        };
        tokio::time::timeout(self.op_timeout, work)
            .await
            .map_err(|_| {
                failure(format!(
                    "PostgreSQL did not answer within {:?}",
                    self.op_timeout
                ))
            })?
    }

    async fn claim_once(
        &self,
        key: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        if key.len() > MAX_KEY_LEN {
            return Err(failure(format!(
                "callback key of {} bytes is over the {MAX_KEY_LEN}-byte limit",
                key.len()
            )));
        }
        let millis = lease_millis(lease);
        let sql = &self.sql;
        self.run(async |client| {
            let claim = client
                .prepare_cached(&sql.claim)
                .await
                .map_err(|e| db_error("preparing claim", &e))?;
            let read = client
                .prepare_cached(&sql.read)
                .await
                .map_err(|e| db_error("preparing claim", &e))?;
            // A row the claim conflicted with may vanish (abandoned) or its lease end
            // between the two statements: then claim again, a few times at most.
            for _ in 0..3 {
                let claimed = client
                    .query_opt(&claim, &[&key, &token.as_str(), &millis])
                    .await
                    .map_err(|e| db_error("claiming", &e))?;
                if claimed.is_some() {
                    return Ok(Claim::Claimed);
                }
                let row = client
                    .query_opt(&read, &[&key])
                    .await
                    .map_err(|e| db_error("reading a claim", &e))?;
                let Some(row) = row else { continue };
                let done: bool = row.try_get(0).map_err(|e| db_error("reading", &e))?;
                if done {
                    return Ok(Claim::Done);
                }
                let left: Option<i64> = row.try_get(1).map_err(|e| db_error("reading", &e))?;
                match left {
                    Some(ms) if ms > 0 => {
                        return Ok(Claim::Busy {
                            lease_left: Some(Duration::from_millis(ms.unsigned_abs())),
                        });
                    }
                    _ => continue,
                }
            }
            // Still contended: another receiver is at it. Retry later.
            Ok(Claim::Busy { lease_left: None })
        })
        .await
    }

    async fn complete_once(&self, key: &str, token: &LeaseToken) -> Result<Completion, StoreError> {
        let sql = &self.sql;
        self.run(async |client| {
            let complete = client
                .prepare_cached(&sql.complete)
                .await
                .map_err(|e| db_error("preparing complete", &e))?;
            let recorded = client
                .query_opt(&complete, &[&key, &token.as_str()])
                .await
                .map_err(|e| db_error("completing", &e))?;
            if recorded.is_some() {
                return Ok(Completion::Recorded);
            }
            // Done stays done (until purged), so this read cannot be overtaken.
            let read = client
                .prepare_cached(&sql.read)
                .await
                .map_err(|e| db_error("preparing complete", &e))?;
            let row = client
                .query_opt(&read, &[&key])
                .await
                .map_err(|e| db_error("reading a claim", &e))?;
            let done = match row {
                Some(row) => row
                    .try_get::<_, bool>(0)
                    .map_err(|e| db_error("reading", &e))?,
                None => false,
            };
            Ok(if done {
                Completion::AlreadyDone
            } else {
                Completion::LeaseLost
            })
        })
        .await
    }

    async fn is_done_once(&self, key: &str) -> Result<bool, StoreError> {
        let sql = &self.sql.read;
        self.run(async |client| {
            let read = client
                .prepare_cached(sql)
                .await
                .map_err(|e| db_error("preparing a read", &e))?;
            let row = client
                .query_opt(&read, &[&key])
                .await
                .map_err(|e| db_error("reading a key", &e))?;
            match row {
                Some(row) => row
                    .try_get::<_, bool>(0)
                    .map_err(|e| db_error("reading", &e)),
                None => Ok(false),
            }
        })
        .await
    }

    async fn abandon_once(&self, key: &str, token: &LeaseToken) -> Result<(), StoreError> {
        let sql = &self.sql.abandon;
        self.run(async |client| {
            let abandon = client
                .prepare_cached(sql)
                .await
                .map_err(|e| db_error("preparing abandon", &e))?;
            client
                .execute(&abandon, &[&key, &token.as_str()])
                .await
                .map_err(|e| db_error("abandoning", &e))?;
            Ok(())
        })
        .await
    }
}

/// A database error as a store error: what we were doing and the server's message
/// (which names no credentials).
fn db_error(doing: &str, error: &tokio_postgres::Error) -> StoreError {
    let detail = match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    };
    failure(format!("PostgreSQL error {doing}: {detail}"))
}

fn pool_error(error: &deadpool_postgres::PoolError) -> String {
    match error {
        deadpool_postgres::PoolError::Backend(e) => e
            .as_db_error()
            .map_or_else(|| e.to_string(), |db| db.message().to_owned()),
        other => other.to_string(),
    }
}

impl CallbackStore for PostgresStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(self.claim_once(key, token, lease))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<Completion, StoreError>> {
        Box::pin(self.complete_once(key, token))
    }

    fn abandon<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.abandon_once(key, token))
    }

    fn is_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(self.is_done_once(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert!(valid_table("ipv_callback_claims"));
        assert!(valid_table("_t1"));
        assert!(!valid_table(""));
        assert!(!valid_table("1t"));
        assert!(!valid_table("a\"b"));
        assert!(!valid_table("a;drop table x"));
        assert!(!valid_table(&"a".repeat(64)));
    }

    #[test]
    fn lease_millis_is_clamped() {
        assert_eq!(lease_millis(Duration::ZERO), 1);
        assert_eq!(lease_millis(Duration::from_secs(2)), 2000);
        assert_eq!(lease_millis(Duration::MAX), 366 * 86_400_000);
    }

    #[test]
    fn debug_leaves_the_url_out() {
        let config = PostgresConfig::new("postgres://u:hunter2@h/db");
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
