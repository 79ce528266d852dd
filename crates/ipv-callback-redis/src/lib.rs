//! A Redis [`CallbackStore`] for `ipv`'s callback receiver.
//!
//! Each callback key is one Redis string under a configurable prefix
//! (`ipv:cb:order:C2024…:1`):
//!
//! - held: `h:<token>`, expiring with the lease (`PX`), so a receiver that dies loses
//!   its claim when the lease runs out;
//! - done: `d`, expiring after the retention (default 7 days), so Redis stays bounded.
//!
//! Every operation is one small Lua script (`EVALSHA`), so reading "done or held" and
//! writing the claim happen in one atomic step:
//! [`claim`](CallbackStore::claim) sets the key `NX PX` when free (or renews this
//! token's own claim), [`complete`](CallbackStore::complete) swaps this token's claim
//! for the done marker, [`abandon`](CallbackStore::abandon) deletes the key only if
//! this token holds it. Leases are timed by the Redis server's clock.
//!
//! The connection is a [`redis::aio::ConnectionManager`]: it reconnects by itself after
//! the server comes back. Connecting and every command have a time limit, so a server
//! that is down makes each operation fail with a [`StoreError`] within about
//! [`RedisConfig::op_timeout`] and the receiver answers "retry later".
//!
//! Run Redis with persistence (AOF) when a restart must not forget done keys: a
//! forgotten key's late duplicate runs the handler again (harmless for a
//! level-triggered handler, but work).
//!
//! ```no_run
//! # async fn run() -> Result<(), ipv_callback_store::StoreError> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use ipv_callback_redis::{RedisConfig, RedisStore};
//! use ipv_callback_store::CallbackStore;
//!
//! let store = RedisStore::connect(
//!     RedisConfig::new("redis://cache.internal:6379/0")
//!         .prefix("shop1:ipv:cb:")
//!         .retention(Duration::from_secs(14 * 86_400)),
//! )
//! .await?;
//! let store: Arc<dyn CallbackStore> = Arc::new(store);
//! // Hand `store` to every receiver.
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::time::Duration;

use ipv_callback_store::{
    BoxFuture, CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN, StoreError,
};
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How to reach Redis and run the store.
#[derive(Clone)]
pub struct RedisConfig {
    url: String,
    prefix: String,
    retention: Duration,
    connect_timeout: Duration,
    op_timeout: Duration,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: leave it out.
        f.debug_struct("RedisConfig")
            .field("prefix", &self.prefix)
            .field("retention", &self.retention)
            .field("connect_timeout", &self.connect_timeout)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisConfig {
    /// The default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "ipv:cb:";

    /// A configuration for a `redis://[:password@]host:port/db` URL, with the defaults:
    /// prefix [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX), done keys kept 7 days, 3 s to
    /// connect and 5 s per operation.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            retention: Duration::from_secs(7 * 86_400),
            connect_timeout: Duration::from_secs(3),
            op_timeout: Duration::from_secs(5),
        }
    }

    /// The prefix put before every key (at most 64 bytes; checked by
    /// [`RedisStore::connect`]).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a done key is remembered (a duplicate after that runs the handler
    /// again). Choose it longer than the platform keeps retrying a callback.
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The limit on opening a connection.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The limit on one store operation.
    #[must_use]
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }
}

/// The longest key prefix accepted.
const MAX_PREFIX_LEN: usize = 64;

/// Claims a free key (`SET NX PX`) or renews this token's own claim.
/// Returns {1} claimed, {2} done, {3, pttl} busy.
const CLAIM: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'h:' .. ARGV[1], 'NX', 'PX', ARGV[2])
  return {1}
end
if v == 'd' then return {2} end
if v == 'h:' .. ARGV[1] then
  redis.call('SET', KEYS[1], v, 'XX', 'PX', ARGV[2])
  return {1}
end
return {3, redis.call('PTTL', KEYS[1])}
";

/// Swaps this token's claim for the done marker, kept for the retention.
/// Returns 1 recorded, 2 already done, 3 lease lost.
const COMPLETE: &str = r"
local v = redis.call('GET', KEYS[1])
if v == 'd' then return 2 end
if v == 'h:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'd', 'PX', ARGV[2])
  return 1
end
return 3
";

/// Deletes the key if this token holds it.
const ABANDON: &str = r"
if redis.call('GET', KEYS[1]) == 'h:' .. ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// A [`CallbackStore`] in Redis; see the [crate docs](crate).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    retention_ms: u64,
    op_timeout: Duration,
    claim: Script,
    complete: Script,
    abandon: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("retention_ms", &self.retention_ms)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
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

fn redis_error(doing: &str, error: &redis::RedisError) -> StoreError {
    // The error's own text names the failing kind and the server's message, never the
    // URL's password.
    failure(format!("Redis error {doing}: {error}"))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, 366 * 86_400_000)
}

impl RedisStore {
    /// Connects to Redis.
    ///
    /// # Errors
    /// A bad URL or prefix, or a server that does not answer within the timeouts.
    pub async fn connect(config: RedisConfig) -> Result<Self, StoreError> {
        if config.prefix.len() > MAX_PREFIX_LEN {
            return Err(failure(format!(
                "key prefix of {} bytes is over the {MAX_PREFIX_LEN}-byte limit",
                config.prefix.len()
            )));
        }
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| failure(format!("bad Redis URL: {}", e.kind_text())))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.op_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let connection = tokio::time::timeout(
            config.connect_timeout + config.op_timeout,
            ConnectionManager::new_with_config(client, manager_config),
        )
        .await
        .map_err(|_| failure("Redis did not answer in time while connecting"))?
        .map_err(|e| redis_error("connecting", &e))?;
        Ok(Self {
            connection,
            prefix: config.prefix,
            retention_ms: millis(config.retention),
            op_timeout: config.op_timeout,
            claim: Script::new(CLAIM),
            complete: Script::new(COMPLETE),
            abandon: Script::new(ABANDON),
        })
    }

    /// The key prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, key: &str) -> Result<String, StoreError> {
        if key.len() > MAX_KEY_LEN {
            return Err(failure(format!(
                "callback key of {} bytes is over the {MAX_KEY_LEN}-byte limit",
                key.len()
            )));
        }
        Ok(format!("{}{key}", self.prefix))
    }

    async fn eval<T: redis::FromRedisValue>(
        &self,
        doing: &str,
        script: &Script,
        key: &str,
        token: &LeaseToken,
        arg: u64,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = script.key(key);
        invocation.arg(token.as_str()).arg(arg);
        tokio::time::timeout(
            self.op_timeout,
            invocation.invoke_async::<T>(&mut connection),
        )
        .await
        .map_err(|_| {
            failure(format!(
                "Redis did not answer within {:?} {doing}",
                self.op_timeout
            ))
        })?
        .map_err(|e| redis_error(doing, &e))
    }

    async fn claim_once(
        &self,
        key: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let key = self.key(key)?;
        let answer: Vec<i64> = self
            .eval("claiming", &self.claim, &key, token, millis(lease))
            .await?;
        match answer.as_slice() {
            [1] => Ok(Claim::Claimed),
            [2] => Ok(Claim::Done),
            [3, left] => Ok(Claim::Busy {
                lease_left: u64::try_from(*left).ok().map(Duration::from_millis),
            }),
            other => Err(failure(format!(
                "the claim script answered {other:?}, which it never should"
            ))),
        }
    }

    async fn complete_once(&self, key: &str, token: &LeaseToken) -> Result<Completion, StoreError> {
        let key = self.key(key)?;
        let answer: i64 = self
            .eval("completing", &self.complete, &key, token, self.retention_ms)
            .await?;
        match answer {
            1 => Ok(Completion::Recorded),
            2 => Ok(Completion::AlreadyDone),
            3 => Ok(Completion::LeaseLost),
            other => Err(failure(format!(
                "the complete script answered {other}, which it never should"
            ))),
        }
    }

    async fn is_done_once(&self, key: &str) -> Result<bool, StoreError> {
        let key = self.key(key)?;
        let mut connection = self.connection.clone();
        let value: Option<String> = tokio::time::timeout(
            self.op_timeout,
            redis::cmd("GET").arg(&key).query_async(&mut connection),
        )
        .await
        .map_err(|_| {
            failure(format!(
                "Redis did not answer within {:?} reading a key",
                self.op_timeout
            ))
        })?
        .map_err(|e| redis_error("reading a key", &e))?;
        Ok(value.as_deref() == Some("d"))
    }

    async fn abandon_once(&self, key: &str, token: &LeaseToken) -> Result<(), StoreError> {
        let key = self.key(key)?;
        let _: i64 = self
            .eval("abandoning", &self.abandon, &key, token, 0)
            .await?;
        Ok(())
    }
}

/// A short description of a URL error, without echoing the URL.
trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for redis::RedisError {
    fn kind_text(&self) -> String {
        format!("{:?}", self.kind())
    }
}

impl CallbackStore for RedisStore {
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
    fn millis_is_clamped() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
        assert_eq!(millis(Duration::MAX), 366 * 86_400_000);
    }

    #[test]
    fn debug_leaves_the_url_out() {
        let config = RedisConfig::new("redis://:hunter2@h:6379/0");
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
