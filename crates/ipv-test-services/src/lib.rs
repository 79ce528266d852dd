//! What the workspace's tests share: throwaway database servers, (feature `trace`)
//! `TraceCapture`, a `tracing` writer into memory, and (feature `callback-client`) plain
//! HTTP requests to a callback receiver.
//!
//! Throwaway database servers for tests and benches: [`PostgresServer`] and
//! [`RedisServer`] each start a real server on 127.0.0.1 with a free port and a
//! temporary data directory, can be stopped and started again on the same port and
//! data (to test outages), and stop on drop.
//!
//! The binaries come from Debian's `postgresql` and `redis-server` packages; `bash
//! .ci/services` installs them. When they are missing, [`PostgresServer::start`] and
//! [`RedisServer::start`] return an error that says so, and tests fail with it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "callback-client")]
pub mod callback_client;
mod postgres;
mod process;
mod redis;
#[cfg(feature = "trace")]
mod trace;

pub use postgres::PostgresServer;
pub use redis::RedisServer;
#[cfg(feature = "trace")]
pub use trace::TraceCapture;

/// Why a throwaway server could not be started, with what to do about it.
#[derive(Debug)]
pub struct ServiceError(String);

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServiceError {}

impl ServiceError {
    fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}
