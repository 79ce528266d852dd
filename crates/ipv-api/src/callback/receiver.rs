//! [`CallbackReceiver`]: from a query string to an answer, through a re-fetch, a lease
//! and the user's handler.

use std::collections::HashMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::Shared;
use ipv_callback_store::{CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN, MemoryStore};
use ipv_types::{Callback, CallbackKind};
use tokio::sync::Notify;
use tracing::Instrument as _;

use super::{CallbackHandler, CallbackReply, Delivery, Refetched};
use crate::client::Client;

/// One run in progress, shared by the callbacks that arrive while it runs.
type Flight = Shared<futures_util::future::BoxFuture<'static, CallbackReply>>;

/// Where the handler's view of a callback comes from.
enum Source {
    /// Re-fetched through the API (the default).
    Verify(Client),
    /// The query string, believed as sent (explicit opt-in).
    TrustQuery,
}

struct Inner<H> {
    handler: H,
    source: Source,
    store: Arc<dyn CallbackStore>,
    lease: Duration,
    handler_timeout: Duration,
    max_in_flight: usize,
    /// Runs in progress by callback (`kind:no`), each with its id.
    flights: Mutex<HashMap<String, (u64, Flight)>>,
    next_flight: AtomicU64,
    running: AtomicUsize,
    idle: Notify,
}

/// Turns callback queries into answers; see the [module docs](super).
///
/// Cheap to clone (the clones share everything). Answering needs a tokio runtime: each
/// run is a task of its own.
pub struct CallbackReceiver<H> {
    inner: Arc<Inner<H>>,
}

impl<H> Clone for CallbackReceiver<H> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> fmt::Debug for CallbackReceiver<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.inner.source {
            Source::Verify(_) => "verify",
            Source::TrustQuery => "trust-query",
        };
        f.debug_struct("CallbackReceiver")
            .field("mode", &mode)
            .field("store", &self.inner.store)
            .field("lease", &self.inner.lease)
            .field("handler_timeout", &self.inner.handler_timeout)
            .field("max_in_flight", &self.inner.max_in_flight)
            .finish_non_exhaustive()
    }
}

/// Configures a [`CallbackReceiver`]; from [`CallbackReceiver::builder`].
pub struct ReceiverBuilder<H> {
    handler: H,
    store: Option<Arc<dyn CallbackStore>>,
    lease: Duration,
    handler_timeout: Duration,
    max_in_flight: usize,
}

impl<H> fmt::Debug for ReceiverBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverBuilder")
            .field("store", &self.store)
            .field("lease", &self.lease)
            .field("handler_timeout", &self.handler_timeout)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl<H: CallbackHandler> ReceiverBuilder<H> {
    /// The store claims and completed keys go to (default: a [`MemoryStore`], which is
    /// right for one receiver process; several receivers need a shared store).
    #[must_use]
    pub fn store(mut self, store: impl CallbackStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Like [`store`](Self::store), for a store already behind an `Arc`.
    #[must_use]
    pub fn shared_store(mut self, store: Arc<dyn CallbackStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How long a claim holds a key (default 60 s). If this receiver dies mid-handling,
    /// another one can take the key over after this long. It must be longer than the
    /// [handler timeout](Self::handler_timeout).
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long the re-fetch, and then the handler, may each take (default 30 s). A
    /// handler still running then is stopped, its key abandoned, and the platform told
    /// to retry later.
    #[must_use]
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// How many distinct callbacks may be in progress at once (default 1,024); past
    /// that, new ones are told to retry later.
    #[must_use]
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max.max(1);
        self
    }

    /// A verifying receiver: each callback is re-fetched through `client`.
    ///
    /// # Panics
    /// If the lease is not longer than the handler timeout (a configuration bug: a
    /// slow handler would lose its key to another receiver while still running).
    #[must_use]
    pub fn build(self, client: Client) -> CallbackReceiver<H> {
        self.finish(Source::Verify(client))
    }

    /// A receiver that believes the query string as sent; see
    /// [`CallbackReceiver::trusting_query`].
    ///
    /// # Panics
    /// As [`build`](Self::build).
    #[must_use]
    pub fn build_trusting_query(self) -> CallbackReceiver<H> {
        self.finish(Source::TrustQuery)
    }

    fn finish(self, source: Source) -> CallbackReceiver<H> {
        assert!(
            self.lease > self.handler_timeout,
            "callback lease ({:?}) must be longer than the handler timeout ({:?})",
            self.lease,
            self.handler_timeout
        );
        CallbackReceiver {
            inner: Arc::new(Inner {
                handler: self.handler,
                source,
                store: self
                    .store
                    .unwrap_or_else(|| Arc::new(MemoryStore::default())),
                lease: self.lease,
                handler_timeout: self.handler_timeout,
                max_in_flight: self.max_in_flight,
                flights: Mutex::new(HashMap::new()),
                next_flight: AtomicU64::new(0),
                running: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        }
    }
}

impl<H: CallbackHandler> CallbackReceiver<H> {
    /// The default lease.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
    /// The default handler (and re-fetch) timeout.
    pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default bound on callbacks in progress.
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

    /// A verifying receiver (the default behaviour; see the [module docs](super)): each
    /// callback is re-fetched through `client`, and `handler` gets what the API said.
    /// Keys go to an in-memory store.
    #[must_use]
    pub fn new(client: Client, handler: H) -> Self {
        Self::builder(handler).build(client)
    }

    /// A receiver that believes the query string as sent, for receivers without API
    /// credentials: the handler gets `fetched: None`. A forged callback reaches the
    /// handler and, for an order, uses up the key of the genuine one; prefer
    /// [`new`](Self::new) wherever the API can be called.
    #[must_use]
    pub fn trusting_query(handler: H) -> Self {
        Self::builder(handler).build_trusting_query()
    }

    /// A builder for the store, lease and limits.
    #[must_use]
    pub fn builder(handler: H) -> ReceiverBuilder<H> {
        ReceiverBuilder {
            handler,
            store: None,
            lease: Self::DEFAULT_LEASE,
            handler_timeout: Self::DEFAULT_HANDLER_TIMEOUT,
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
        }
    }

    /// How many runs (re-fetch and handler) are in progress now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// Completes once no run is in progress.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Answers one callback, given the request's query string (with or without the
    /// `?`). Must be called within a tokio runtime.
    ///
    /// The run happens in a task of its own: if this future is dropped (the caller
    /// went away), the run still finishes and its outcome is recorded in the store.
    pub async fn handle(&self, query: &str) -> CallbackReply {
        let callback = match Callback::parse_query(query) {
            Ok(callback) => callback,
            Err(err) => {
                // Answering anything but success would make the platform send the
                // same garbage forever; nothing is done with it.
                tracing::warn!(error = %err, "ignored an unparseable callback (answered success)");
                return CallbackReply::success();
            }
        };
        let flight_key = match self.inner.source {
            Source::Verify(_) => format!("{}:{}", callback.kind, callback.no),
            Source::TrustQuery => query_key(&callback),
        };
        match self.join_or_start(flight_key, callback) {
            Ok(flight) => flight.await,
            Err(reply) => reply,
        }
    }

    /// The run in progress for `key`, or a new one.
    fn join_or_start(&self, key: String, callback: Callback) -> Result<Flight, CallbackReply> {
        let mut flights = self
            .inner
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, flight)) = flights.get(&key) {
            return Ok(flight.clone());
        }
        if flights.len() >= self.inner.max_in_flight {
            tracing::warn!("too many callbacks in progress; asked the platform to retry");
            return Err(CallbackReply::retry_later(
                "too many callbacks in progress; call again later",
            ));
        }
        let id = self.inner.next_flight.fetch_add(1, Ordering::Relaxed);
        self.inner.running.fetch_add(1, Ordering::SeqCst);
        let guard = FlightGuard {
            inner: Arc::clone(&self.inner),
            key: key.clone(),
            id,
        };
        let span = tracing::info_span!(
            "ipv_api.callback",
            kind = %callback.kind,
            no = ?callback.no,
        );
        let inner = Arc::clone(&self.inner);
        let task = tokio::spawn(
            async move {
                let _guard = guard;
                let reply = process(&inner, callback).await;
                tracing::debug!(status = reply.status, "callback answered");
                reply
            }
            .instrument(span),
        );
        let flight = async move {
            task.await.unwrap_or_else(|err| {
                tracing::error!(error = %err, "callback run failed");
                CallbackReply::retry_later("callback handling failed; call again later")
            })
        }
        .boxed()
        .shared();
        flights.insert(key, (id, flight.clone()));
        Ok(flight)
    }
}

/// Ends a run's bookkeeping however the run ends.
struct FlightGuard<H> {
    inner: Arc<Inner<H>>,
    key: String,
    id: u64,
}

impl<H> Drop for FlightGuard<H> {
    fn drop(&mut self) {
        {
            let mut flights = self
                .inner
                .flights
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if flights.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
                flights.remove(&self.key);
            }
        }
        if self.inner.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}

/// The key of a callback believed as sent: `type:no:op` for orders, `type:no` else.
fn query_key(callback: &Callback) -> String {
    match (callback.kind, callback.op) {
        (CallbackKind::Order, Some(op)) => {
            format!("{}:{}:{}", callback.kind, callback.no, op.as_i64())
        }
        _ => format!("{}:{}", callback.kind, callback.no),
    }
}

/// A fresh random lease token.
fn lease_token() -> LeaseToken {
    LeaseToken::new(format!("{:032x}", rand::random::<u128>()))
}

async fn process<H: CallbackHandler>(inner: &Inner<H>, callback: Callback) -> CallbackReply {
    let (key, remember, fetched) = match &inner.source {
        Source::TrustQuery => (
            query_key(&callback),
            callback.kind == CallbackKind::Order,
            None,
        ),
        Source::Verify(client) => {
            let fetched = match tokio::time::timeout(
                inner.handler_timeout,
                client.refetch(&callback),
            )
            .await
            {
                Err(_) => {
                    tracing::warn!("timed out fetching what the callback names");
                    return CallbackReply::retry_later(
                        "timed out fetching what the callback names; call again later",
                    );
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "could not fetch what the callback names");
                    return CallbackReply::retry_later(
                        "could not fetch what the callback names; call again later",
                    );
                }
                Ok(Ok(None)) => {
                    // Forged, or about something long gone: nothing to do, and the
                    // platform should stop calling.
                    tracing::warn!(
                        "ignored a callback naming nothing that exists (answered success)"
                    );
                    return CallbackReply::success();
                }
                Ok(Ok(Some(fetched))) => fetched,
            };
            if let Refetched::Order(order) = &fetched
                && !fetched.is_final()
            {
                // Early (or forged): the genuine callback comes once it is final.
                tracing::info!(status = %order.status, "order not final yet; asked the platform to retry");
                return CallbackReply::retry_later(format!(
                    "order is {}, not final yet; call again later",
                    order.status
                ));
            }
            let remember = matches!(fetched, Refetched::Order(_));
            (fetched.key(), remember, Some(fetched))
        }
    };
    if key.len() > MAX_KEY_LEN {
        tracing::error!(
            len = key.len(),
            "callback key over the store's limit (the API returned an over-long number)"
        );
        return CallbackReply::retry_later("callback key too long; call again later");
    }
    run_claimed(inner, &key, remember, Delivery { callback, fetched }).await
}

/// Claim, handle, then complete (`remember`) or release the key.
async fn run_claimed<H: CallbackHandler>(
    inner: &Inner<H>,
    key: &str,
    remember: bool,
    delivery: Delivery,
) -> CallbackReply {
    let store = &inner.store;
    let token = lease_token();
    match store.claim(key, &token, inner.lease).await {
        Ok(Claim::Claimed) => {}
        Ok(Claim::Done) => return CallbackReply::success(),
        Ok(Claim::Busy { lease_left }) => {
            tracing::info!(
                key,
                ?lease_left,
                "callback key held by another run; asked to retry"
            );
            return CallbackReply::retry_later("this callback is being handled; call again later");
        }
        Err(err) => {
            tracing::warn!(error = %err, "callback store failed to claim");
            return CallbackReply::retry_later("callback store unavailable; call again later");
        }
    }
    let run = AssertUnwindSafe(inner.handler.handle(delivery)).catch_unwind();
    let failure = match tokio::time::timeout(inner.handler_timeout, run).await {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(err))) => {
            tracing::warn!(error = %err, "callback handler failed");
            Some(err.to_string())
        }
        Ok(Err(_panic)) => {
            tracing::error!("callback handler panicked");
            Some("handler panicked".to_owned())
        }
        Err(_) => {
            tracing::warn!(timeout = ?inner.handler_timeout, "callback handler timed out");
            Some("handler timed out".to_owned())
        }
    };
    if let Some(msg) = failure {
        abandon(inner, key, &token).await;
        return CallbackReply::retry_later(msg);
    }
    if !remember {
        // Instance and product callbacks each announce a new change: release the key
        // instead of recording it, so the next one runs the handler again.
        abandon(inner, key, &token).await;
        return CallbackReply::success();
    }
    match store.complete(key, &token).await {
        Ok(Completion::Recorded | Completion::AlreadyDone) => CallbackReply::success(),
        Ok(Completion::LeaseLost) => {
            // Handled (level-triggered: the work is correct), but the lease ran out and
            // another run holds the key; that run completes it.
            tracing::warn!(key, "lease ran out before the key was completed");
            CallbackReply::success()
        }
        Err(err) => {
            // Not recorded: a retry runs the (level-triggered) handler again, which is
            // better than a success the store does not know about.
            tracing::warn!(error = %err, "callback store failed to complete");
            abandon(inner, key, &token).await;
            CallbackReply::retry_later("callback store unavailable; call again later")
        }
    }
}

async fn abandon<H>(inner: &Inner<H>, key: &str, token: &LeaseToken) {
    if let Err(err) = inner.store.abandon(key, token).await {
        // The lease runs out by itself.
        tracing::warn!(error = %err, "callback store failed to abandon a claim");
    }
}
