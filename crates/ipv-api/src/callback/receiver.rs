//! [`CallbackReceiver`]: from a query string to an answer, through a re-fetch, a lease
//! and the user's handler.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::Shared;
use ipv_callback_store::{CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN, MemoryStore};
use ipv_types::text::for_terminal;
use ipv_types::{Callback, CallbackKind};
use tokio::sync::Notify;
use tracing::Instrument as _;

use super::limits::{Budget, NegativeCache, RefetchLimits, Refused, Spent};
use super::recovery::Orphans;
use super::refetch::{OrderLookup, order_key};
use super::{CallbackHandler, CallbackReply, Delivery, Refetched};
use crate::client::Client;
use crate::error::Error;
use crate::retry::RetryPolicy;

/// One run in progress, shared by the callbacks that arrive while it runs.
type Flight = Shared<futures_util::future::BoxFuture<'static, CallbackReply>>;

/// Where the handler's view of a callback comes from.
enum Source {
    /// Re-fetched through the API (the default).
    Verify(Client),
    /// The query string, believed as sent (explicit opt-in).
    TrustQuery,
}

/// Runs in progress by callback (`kind:no`), each with its id, and how many of each
/// kind.
#[derive(Default)]
struct Flights {
    map: HashMap<String, (u64, Flight)>,
    per_kind: [usize; 3],
}

fn kind_index(kind: CallbackKind) -> usize {
    match kind {
        CallbackKind::Order => 0,
        CallbackKind::Instance => 1,
        CallbackKind::Product => 2,
    }
}

struct Inner<H> {
    handler: H,
    source: Source,
    store: Arc<dyn CallbackStore>,
    lease: Duration,
    handler_timeout: Duration,
    max_in_flight: usize,
    max_in_flight_per_kind: usize,
    flights: Mutex<Flights>,
    next_flight: AtomicU64,
    running: AtomicUsize,
    idle: Notify,
    budget: Budget,
    nothing: NegativeCache,
    orphans: Arc<Orphans>,
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
            .field("max_in_flight_per_kind", &self.inner.max_in_flight_per_kind)
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
    max_in_flight_per_kind: Option<usize>,
    refetch_limits: RefetchLimits,
    negative_ttl: Duration,
    negative_max: usize,
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

    /// How many distinct callbacks of one kind (order, instance, product) may be in
    /// progress at once (default: a third of [`max_in_flight`](Self::max_in_flight)),
    /// so a flood of one kind leaves room for the others.
    #[must_use]
    pub fn max_in_flight_per_kind(mut self, max: usize) -> Self {
        self.max_in_flight_per_kind = Some(max.max(1));
        self
    }

    /// What a verifying receiver may spend on re-fetches (defaults in
    /// [`RefetchLimits`]): budgets per source and in all, and a back-off after the
    /// platform answers 429 or 503. A callback past a limit is told to retry later,
    /// without a call.
    #[must_use]
    pub fn refetch_limits(mut self, limits: RefetchLimits) -> Self {
        self.refetch_limits = limits;
        self
    }

    /// How long a number that named nothing is remembered (default 60 s), and how many
    /// at most (default 10,000, within 2 MiB). A repeat within that time is told to
    /// retry later without a call; a zero time turns the memory off.
    #[must_use]
    pub fn negative_cache(mut self, ttl: Duration, max_entries: usize) -> Self {
        self.negative_ttl = ttl;
        self.negative_max = max_entries;
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
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::default()));
        // One call per callback: a retry inside the client would multiply what each
        // forgery costs, and the platform calls again anyway.
        let source = match source {
            Source::Verify(client) => Source::Verify(client.with_retry_policy(RetryPolicy::none())),
            Source::TrustQuery => Source::TrustQuery,
        };
        CallbackReceiver {
            inner: Arc::new(Inner {
                handler: self.handler,
                source,
                orphans: Orphans::new(Arc::clone(&store), MAX_ORPHANS),
                store,
                lease: self.lease,
                handler_timeout: self.handler_timeout,
                max_in_flight: self.max_in_flight,
                max_in_flight_per_kind: self
                    .max_in_flight_per_kind
                    .unwrap_or((self.max_in_flight / 3).max(1)),
                flights: Mutex::new(Flights::default()),
                next_flight: AtomicU64::new(0),
                running: AtomicUsize::new(0),
                idle: Notify::new(),
                budget: Budget::new(self.refetch_limits),
                nothing: NegativeCache::new(
                    self.negative_ttl,
                    self.negative_max,
                    NEGATIVE_MAX_BYTES,
                ),
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
    /// How long a number that named nothing is remembered by default.
    pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(60);
    /// How many numbers that named nothing are remembered at most by default.
    pub const DEFAULT_NEGATIVE_MAX: usize = 10_000;

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
            max_in_flight_per_kind: None,
            refetch_limits: RefetchLimits::default(),
            negative_ttl: Self::DEFAULT_NEGATIVE_TTL,
            negative_max: Self::DEFAULT_NEGATIVE_MAX,
        }
    }

    /// How many runs (re-fetch and handler) are in progress now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// How many callbacks are waiting on a run that an identical callback started
    /// (duplicates that joined it instead of starting their own), for tests and metrics.
    #[must_use]
    pub fn joined(&self) -> usize {
        let flights = self
            .inner
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Each run's future is held by the table and by the callback that started it;
        // every other holder is a duplicate waiting on it.
        flights
            .map
            .values()
            .filter_map(|(_, flight)| flight.strong_count())
            .map(|holders| holders.saturating_sub(2))
            .sum()
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

    /// How many claims left behind by store failures wait to be abandoned (see the
    /// [module docs](super)).
    #[must_use]
    pub fn orphaned_claims(&self) -> usize {
        self.inner.orphans.len()
    }

    /// Answers one callback, given the request's query string (with or without the
    /// `?`). Must be called within a tokio runtime.
    ///
    /// The run happens in a task of its own: if this future is dropped (the caller
    /// went away), the run still finishes and its outcome is recorded in the store.
    ///
    /// Without the sender's address, only the all-sources re-fetch budgets apply; an
    /// HTTP server should call [`handle_from`](Self::handle_from).
    pub async fn handle(&self, query: &str) -> CallbackReply {
        self.answer(query, None).await
    }

    /// [`handle`](Self::handle) for a callback sent from `peer`, whose re-fetches
    /// also come out of that source's own budget (see [`RefetchLimits`]): one sender
    /// of forgeries runs out of it, and other senders (the platform) do not.
    pub async fn handle_from(&self, query: &str, peer: IpAddr) -> CallbackReply {
        self.answer(query, Some(peer)).await
    }

    async fn answer(&self, query: &str, peer: Option<IpAddr>) -> CallbackReply {
        let callback = match Callback::parse_query(query) {
            Ok(callback) => callback,
            Err(err) => {
                // Answering anything but success would make the platform send the
                // same garbage forever; nothing is done with it.
                let error = for_terminal(&err.to_string()).into_owned();
                tracing::warn!(%error, "ignored an unparseable callback (answered success)");
                return CallbackReply::success();
            }
        };
        let flight_key = match self.inner.source {
            Source::Verify(_) => format!("{}:{}", callback.kind, callback.no),
            Source::TrustQuery => query_key(&callback),
        };
        match self.join_or_start(flight_key, callback, peer) {
            Ok(flight) => flight.await,
            Err(reply) => reply,
        }
    }

    /// The run in progress for `key`, or a new one.
    fn join_or_start(
        &self,
        key: String,
        callback: Callback,
        peer: Option<IpAddr>,
    ) -> Result<Flight, CallbackReply> {
        let mut flights = self
            .inner
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, flight)) = flights.map.get(&key) {
            return Ok(flight.clone());
        }
        let kind = kind_index(callback.kind);
        if flights.map.len() >= self.inner.max_in_flight
            || flights.per_kind[kind] >= self.inner.max_in_flight_per_kind
        {
            tracing::warn!(kind = %callback.kind, "too many callbacks in progress; asked the platform to retry");
            return Err(CallbackReply::retry_later(
                "too many callbacks in progress; call again later",
            ));
        }
        let id = self.inner.next_flight.fetch_add(1, Ordering::Relaxed);
        self.inner.running.fetch_add(1, Ordering::SeqCst);
        flights.per_kind[kind] += 1;
        let guard = FlightGuard {
            inner: Arc::clone(&self.inner),
            key: key.clone(),
            id,
            kind,
        };
        let span = tracing::info_span!(
            "ipv_api.callback",
            kind = %callback.kind,
            no = %for_terminal(&callback.no),
        );
        let inner = Arc::clone(&self.inner);
        let task = tokio::spawn(
            async move {
                let _guard = guard;
                let reply = process(&inner, callback, peer).await;
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
        flights.map.insert(key, (id, flight.clone()));
        Ok(flight)
    }
}

/// Ends a run's bookkeeping however the run ends.
struct FlightGuard<H> {
    inner: Arc<Inner<H>>,
    key: String,
    id: u64,
    kind: usize,
}

impl<H> Drop for FlightGuard<H> {
    fn drop(&mut self) {
        {
            let mut flights = self
                .inner
                .flights
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if flights
                .map
                .get(&self.key)
                .is_some_and(|(id, _)| *id == self.id)
            {
                flights.map.remove(&self.key);
            }
            flights.per_kind[self.kind] = flights.per_kind[self.kind].saturating_sub(1);
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

async fn process<H: CallbackHandler>(
    inner: &Inner<H>,
    callback: Callback,
    peer: Option<IpAddr>,
) -> CallbackReply {
    let (key, remember, fetched) = match &inner.source {
        Source::TrustQuery => (
            query_key(&callback),
            callback.kind == CallbackKind::Order,
            None,
        ),
        Source::Verify(client) => {
            let fetched = match verify(inner, client, &callback, peer).await {
                Ok(fetched) => fetched,
                Err(reply) => return reply,
            };
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

/// What a verifying receiver learns before it may run the handler, spending as little
/// as it can: the store first (a completed order costs no call), then the memory of
/// numbers that named nothing, then the re-fetch budgets, then one call at a time.
/// `Err` is the answer when the handler must not run.
async fn verify<H>(
    inner: &Inner<H>,
    client: &Client,
    callback: &Callback,
    peer: Option<IpAddr>,
) -> Result<Refetched, CallbackReply> {
    if let (CallbackKind::Order, Some(op)) = (callback.kind, callback.op) {
        // The key the order will have if `no` is its platform number and `op` its type.
        let key = format!("{}:{}:{}", callback.kind, callback.no, op.as_i64());
        if key.len() <= MAX_KEY_LEN {
            done_already(inner, &key).await?;
        }
    }
    let nothing_key = format!("{}:{}", callback.kind, callback.no);
    if inner.nothing.contains(&nothing_key) {
        tracing::debug!("callback names a number that named nothing a moment ago");
        return Err(CallbackReply::retry_later(
            "this number named nothing a moment ago; call again later",
        ));
    }
    let mut spent = Spent::default();
    take_lookup(inner, peer, true, &mut spent)?;
    let fetch = refetch_within_budget(inner, client, callback, peer, &mut spent);
    let found = match tokio::time::timeout(inner.handler_timeout, fetch).await {
        Err(_) => {
            tracing::warn!("timed out fetching what the callback names");
            return Err(CallbackReply::retry_later(
                "timed out fetching what the callback names; call again later",
            ));
        }
        Ok(Err(reply)) => return Err(reply),
        Ok(Ok(found)) => found,
    };
    let Some(fetched) = found else {
        // Forged, or about something long gone: nothing to do, and the platform
        // should stop calling. A repeat within a while costs no call.
        inner.nothing.insert(&nothing_key);
        tracing::warn!("ignored a callback naming nothing that exists (answered success)");
        return Err(CallbackReply::success());
    };
    inner.budget.found(peer, spent);
    if let Refetched::Order(order) = &fetched
        && !fetched.is_final()
    {
        // Early (or forged): the genuine callback comes once it is final.
        let status = for_terminal(&order.status.to_string()).into_owned();
        tracing::info!(%status, "order not final yet; asked the platform to retry");
        return Err(CallbackReply::retry_later(format!(
            "order is {status}, not final yet; call again later"
        )));
    }
    Ok(fetched)
}

/// `Err(success)` when the store says `key` is done, `Err(retry later)` when it
/// cannot say.
async fn done_already<H>(inner: &Inner<H>, key: &str) -> Result<(), CallbackReply> {
    match inner.store.is_done(key).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(CallbackReply::success()),
        Err(err) => {
            tracing::warn!(error = %err, "callback store failed to read a key");
            Err(CallbackReply::retry_later(
                "callback store unavailable; call again later",
            ))
        }
    }
}

fn take_lookup<H>(
    inner: &Inner<H>,
    peer: Option<IpAddr>,
    first: bool,
    spent: &mut Spent,
) -> Result<(), CallbackReply> {
    inner
        .budget
        .take_lookup(peer, first, spent)
        .map_err(|refused| match refused {
            Refused::Budget => {
                tracing::debug!("re-fetch budget spent; asked the platform to retry");
                CallbackReply::retry_later("too many callbacks to verify; call again later")
            }
            Refused::BackingOff => {
                CallbackReply::retry_later("the API asked us to slow down; call again later")
            }
        })
}

/// The re-fetch itself: one call per step, each step within the budget; a 429 or 503
/// ends it and starts the back-off. `Ok(None)`: the callback names nothing.
async fn refetch_within_budget<H>(
    inner: &Inner<H>,
    client: &Client,
    callback: &Callback,
    peer: Option<IpAddr>,
    spent: &mut Spent,
) -> Result<Option<Refetched>, CallbackReply> {
    if callback.kind != CallbackKind::Order {
        return client
            .refetch_other(callback)
            .await
            .map_err(|err| fetch_failed(inner, &err));
    }
    let mut found = client
        .order_first_page(&callback.no, false)
        .await
        .map_err(|err| fetch_failed(inner, &err))?;
    if found == OrderLookup::NoSuchOrder {
        // Maybe the caller's own number: one more lookup, out of the budget too.
        take_lookup(inner, peer, false, spent)?;
        found = client
            .order_first_page(&callback.no, true)
            .await
            .map_err(|err| fetch_failed(inner, &err))?;
    }
    let OrderLookup::Found(order) = found else {
        return Ok(None);
    };
    if !order.status.is_final() {
        // Only the status matters for an order not final yet: skip its other pages.
        return Ok(Some(Refetched::Order(order)));
    }
    // Its real key may differ from the callback's (`no` was the caller's number): a
    // completed order's further pages are not worth a call either. The lookup found
    // something either way: its lookup tokens go back.
    inner.budget.found(peer, std::mem::take(spent));
    done_already(inner, &order_key(&order)).await?;
    client
        .rest_of_order(*order)
        .await
        .map(|order| Some(Refetched::Order(Box::new(order))))
        .map_err(|err| fetch_failed(inner, &err))
}

/// The answer to a failed re-fetch; a 429 or 503 from the platform starts the back-off.
fn fetch_failed<H>(inner: &Inner<H>, err: &Error) -> CallbackReply {
    if matches!(err.http_status(), Some(429 | 503)) {
        let wait = inner.budget.back_off();
        tracing::warn!(?wait, error = %err, "the API asked us to slow down; re-fetches paused");
        return CallbackReply::retry_later("the API asked us to slow down; call again later");
    }
    tracing::warn!(error = %err, "could not fetch what the callback names");
    CallbackReply::retry_later("could not fetch what the callback names; call again later")
}

/// Claim, handle, then complete (`remember`) or release the key.
async fn run_claimed<H: CallbackHandler>(
    inner: &Inner<H>,
    key: &str,
    remember: bool,
    delivery: Delivery,
) -> CallbackReply {
    let store = &inner.store;
    // A claim this process left behind in a store outage is taken over with its own
    // token (a renewal to the store), whether or not it was recorded.
    let token = inner.orphans.take(key).unwrap_or_else(lease_token);
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
            // The claim may still land (a store that froze runs it when it thaws):
            // give it up as soon as the store answers again.
            tracing::warn!(error = %err, "callback store failed to claim");
            inner.orphans.adopt(key, token, inner.lease);
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
            inner.orphans.adopt(key, token, inner.lease);
            CallbackReply::retry_later("callback store unavailable; call again later")
        }
    }
}

async fn abandon<H>(inner: &Inner<H>, key: &str, token: &LeaseToken) {
    if let Err(err) = inner.store.abandon(key, token).await {
        // Abandoned again in the background once the store answers.
        tracing::warn!(error = %err, "callback store failed to abandon a claim");
        inner.orphans.adopt(key, token.clone(), inner.lease);
    }
}

/// The most claims left by store failures a receiver keeps abandoning; past that, their
/// leases end them.
const MAX_ORPHANS: usize = 4096;

/// The most bytes of numbers that named nothing a receiver remembers.
const NEGATIVE_MAX_BYTES: usize = 2 << 20;
