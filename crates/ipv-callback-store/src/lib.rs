//! The store contract behind `ipv`'s callback receiver.
//!
//! The platform calls a reseller's callback URL until it is answered `success`, and it
//! may call several receivers (processes, machines) with the same callback. A
//! [`CallbackStore`] lets them agree, through an atomic claim with a lease, on which
//! one handles a callback key and whether it was handled already:
//!
//! 1. [`CallbackStore::claim`] the key for a lease. The answer is one of
//!    - [`Claim::Claimed`]: this receiver holds the key until the lease runs out; it
//!      runs the handler, then [`complete`](CallbackStore::complete)s the key (answer
//!      `success`) or [`abandon`](CallbackStore::abandon)s it (answer "retry later");
//!    - [`Claim::Done`]: a receiver completed the key; answer `success` at once;
//!    - [`Claim::Busy`]: another receiver holds an unexpired lease; answer "retry
//!      later", never `success`, since that receiver may still fail.
//! 2. A receiver that dies mid-handling never completes nor abandons: its lease runs
//!    out and the next claim of the key (by any receiver) succeeds.
//!
//! Every operation names the claim by its [`LeaseToken`], so a receiver whose lease
//! already passed to another cannot complete or abandon the other's claim.
//!
//! A store that fails (a database down) returns a [`StoreError`]; the receiver then
//! answers "retry later", never `success`.
//!
//! Keys are short strings (`order:C2024…:1`) of at most [`MAX_KEY_LEN`] bytes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

mod memory;

/// The README's example, compiled and run as a doctest so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
#[cfg(feature = "conformance")]
pub mod conformance;

pub use memory::MemoryStore;

/// A boxed, sendable future: what the store's methods return, so the trait stays
/// object-safe (`Arc<dyn CallbackStore>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An error from a store (a database being down, say). Its text may be logged, so a
/// store keeps credentials out of it.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// The longest key a store must accept, in bytes. Receivers refuse longer callback
/// numbers at parsing, before any store sees them.
pub const MAX_KEY_LEN: usize = 256;

/// Names one claim: a random token the receiver draws for each claim, so that only
/// the holder of a lease can complete or abandon it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LeaseToken(String);

impl LeaseToken {
    /// A token from its text (at most 64 bytes of printable ASCII, as drawn by the
    /// receiver).
    ///
    /// # Panics
    /// Never; an over-long or odd text is the caller's bug, kept as given.
    #[must_use]
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token's text, as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are not secrets, but they are noise in logs: show a prefix.
        let shown: String = self.0.chars().take(8).collect();
        write!(f, "LeaseToken({shown}…)")
    }
}

/// The answer to [`CallbackStore::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this receiver's until the lease runs out: handle it, then complete
    /// or abandon it.
    Claimed,
    /// The key was completed: answer `success` without handling it again.
    Done,
    /// Another receiver holds the key. Answer "retry later". `lease_left` is how long
    /// its lease still runs, where the store knows.
    Busy {
        /// The time left on the holder's lease, if known.
        lease_left: Option<Duration>,
    },
}

/// The answer to [`CallbackStore::complete`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The key is now done, recorded by this claim.
    Recorded,
    /// The key was already done (another receiver completed it after this lease ran
    /// out). The work is done either way.
    AlreadyDone,
    /// This claim's lease ran out and another receiver holds the key now; the key is
    /// not recorded as done by this call. Handlers are level-triggered, so the work
    /// this receiver did is still correct; the other holder will complete the key.
    LeaseLost,
}

/// Where callback receivers record claims and completed keys; see the [crate docs](crate).
///
/// Implementations must make [`claim`](Self::claim) atomic: two concurrent claims of a
/// free (or expired) key never both get [`Claim::Claimed`].
pub trait CallbackStore: Send + Sync + fmt::Debug {
    /// Claims `key` for `lease`, under `token`.
    ///
    /// Claimed if the key is free or its previous lease ran out (or is held by this
    /// same token, which renews the lease); Done if completed; Busy otherwise.
    fn claim<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>>;

    /// Records `key` as done, if `token` still holds it (or it is done already).
    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<Completion, StoreError>>;

    /// Gives up the claim `token` holds on `key`, so the next claim succeeds at once.
    /// Does nothing if the token no longer holds it.
    fn abandon<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Whether `key` was completed, read without claiming it. A receiver asks before it
    /// spends anything (an API call) on a callback that may be a duplicate.
    ///
    /// The default answers `false` ("not known to be done"), which is always safe: the
    /// caller then does the work and learns the truth from [`claim`](Self::claim).
    fn is_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let _ = key;
        Box::pin(std::future::ready(Ok(false)))
    }
}
