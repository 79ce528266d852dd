//! Receiving the platform's callbacks.
//!
//! The platform calls the app's URL with `GET ?type={order|instance|product}&no=…&op=…`
//! and calls again until it gets `{"code":"success","msg":""}`. Callbacks are unsigned:
//! anyone who can reach the URL can send one. [`CallbackReceiver`] turns a query string
//! into that answer, framework-agnostic: mount it in any HTTP server, or use the ready,
//! hardened [`CallbackServer`] (feature `server`, on by default).
//!
//! **Level-triggered and verified** (the default, [`CallbackReceiver::new`]): a callback
//! only says "look at order X". The receiver re-fetches X through the
//! [`Client`](crate::Client) ([`Client::refetch`](crate::Client::refetch)) and hands the handler a [`Delivery`] with the callback and what
//! the API said. Per kind:
//!
//! | callback | the receiver |
//! |---|---|
//! | an order whose key (`order:<no>:<op>`) the store has as done | answers `success` at once, without a call |
//! | names nothing that exists | answers `success` (so the platform stops), logs it, never runs the handler; the number is remembered for a while (a repeat is told to retry later without a call) |
//! | over a re-fetch budget, or while the platform says "slow down" (429, 503) | answers "retry later" without a call (see [`RefetchLimits`]) |
//! | order, not final yet (pending, processing) | answers "retry later", does not run the handler, remembers nothing |
//! | order, final | claims `order:<orderNo>:<type>`, runs the handler, completes the key: later duplicates are answered `success` at once |
//! | instance, product | claims the key for the run only: every later callback runs the handler again (each announces a new change) |
//! | unparseable (unknown `type`, order without `op`, `no` over [`MAX_CALLBACK_NO_LEN`](ipv_types::MAX_CALLBACK_NO_LEN) bytes, garbage) | answers `success` so the platform stops, logs it, never runs the handler |
//!
//! Concurrent duplicates share one run (one re-fetch, one handler call). The handler
//! runs in a task of its own, so a caller that goes away cannot cut it in half.
//!
//! **What forgeries cost.** A verifying receiver asks the store before it calls (a
//! duplicate of a handled order costs nothing), remembers numbers that named nothing,
//! makes one call per lookup (no retries: the platform calls again anyway), and takes
//! each lookup out of token buckets per source and in all; in-flight runs are bounded
//! per kind. See `docs/callbacks.md` for the figures.
//!
//! **Leases.** Keys are claimed in a [`CallbackStore`] for a lease (60 s by default),
//! under a random [`LeaseToken`]: `success` is answered only after the handler finished
//! and the key was recorded; a key another receiver holds, a store that fails, a failing,
//! panicking or timed-out handler: "retry later" (HTTP 503, `{"code":"fail",…}`), never
//! `success`. A claim left behind by a store that did not answer is abandoned in the
//! background as soon as the store answers again, so a store hiccup delays callbacks by
//! seconds, not by a lease.
//!
//! **Trusting the query** ([`CallbackReceiver::trusting_query`]) is an explicit opt-in for
//! receivers without API credentials: the handler gets the bare callback
//! (`fetched: None`), order keys are `order:<no>:<op>` as sent, and a forged callback can
//! make the handler run for something that did not happen.
//!
//! ```
//! use ipv_api::callback::{CallbackReceiver, Delivery, handler_fn};
//!
//! # tokio_test_block_on(async {
//! // Without API credentials, only the query can be trusted (an explicit opt-in).
//! let receiver = CallbackReceiver::trusting_query(handler_fn(|delivery: Delivery| async move {
//!     println!("{} {} changed", delivery.callback.kind, delivery.callback.no);
//!     Ok::<(), std::convert::Infallible>(())
//! }));
//! let reply = receiver.handle("type=order&no=ORD-1&op=1").await;
//! assert_eq!(reply.status, 200);
//! assert_eq!(reply.body, r#"{"code":"success","msg":""}"#);
//! // Garbage is answered so that the platform stops; the handler never sees it.
//! let reply = receiver.handle("type=nonsense").await;
//! assert!(reply.is_success());
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

mod cidr;
mod limits;
mod receiver;
mod recovery;
mod refetch;
#[cfg(feature = "server")]
mod server;

use std::fmt;
use std::future::Future;

use ipv_types::{Callback, CallbackAck};

pub use cidr::{Cidr, CidrParseError};
pub use ipv_callback_store::{
    BoxFuture, CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN, MemoryStore, StoreError,
};
pub use limits::RefetchLimits;
pub use receiver::{CallbackReceiver, ReceiverBuilder};
pub use refetch::{MAX_REFETCHED_INSTANCES, Refetched};
#[cfg(feature = "server")]
pub use server::{CallbackServer, ServerConfig};

/// One callback as the handler gets it: what the platform sent, and what the API says
/// now about the thing it names.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// The callback as sent (unsigned: do not act on it alone).
    pub callback: Callback,
    /// What the receiver fetched: always `Some` for a verifying receiver (the default),
    /// `None` only for one built with [`CallbackReceiver::trusting_query`].
    pub fetched: Option<Refetched>,
}

impl Delivery {
    /// A delivery (for tests of handlers, mostly).
    #[must_use]
    pub fn new(callback: Callback, fetched: Option<Refetched>) -> Self {
        Self { callback, fetched }
    }
}

/// What the user does with a callback.
///
/// Return `Ok` only once the callback is fully handled: the platform is then told
/// `success` and stops calling. An `Err` makes the platform call again later. Act on
/// [`Delivery::fetched`] (the platform's current state), not on the query: the same
/// order may be delivered again after a receiver crashed mid-way, so make the handler
/// level-triggered ("make my records match this order"), not "add one".
pub trait CallbackHandler: Send + Sync + 'static {
    /// The handler's error; its `Display` text goes back to the platform in `msg`, so
    /// keep secrets out of it.
    type Error: fmt::Display + Send;

    /// Handles one callback.
    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A [`CallbackHandler`] from an async closure; see [`handler_fn`].
#[derive(Clone)]
pub struct FnHandler<F>(F);

impl<F> fmt::Debug for FnHandler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnHandler")
    }
}

/// Wraps `f(delivery) -> impl Future<Output = Result<(), E>>` as a [`CallbackHandler`].
pub fn handler_fn<F, Fut, E>(f: F) -> FnHandler<F>
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: fmt::Display + Send,
{
    FnHandler(f)
}

impl<F, Fut, E> CallbackHandler for FnHandler<F>
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: fmt::Display + Send,
{
    type Error = E;

    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), E>> + Send {
        (self.0)(delivery)
    }
}

/// The HTTP answer to one callback: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackReply {
    /// HTTP status: 200 done (or ignored for good), 503 retry later; the server adds
    /// 404 (wrong path), 405 (not GET), 414 (query too long).
    pub status: u16,
    /// The JSON body (a [`CallbackAck`]).
    pub body: String,
}

impl CallbackReply {
    /// The status of a "retry later" answer.
    pub const RETRY_LATER: u16 = 503;

    pub(crate) fn new(status: u16, ack: &CallbackAck) -> Self {
        let body = serde_json::to_string(ack).unwrap_or_else(|_| {
            // Two string fields always serialise; keep a valid answer regardless.
            r#"{"code":"fail","msg":"internal error"}"#.to_owned()
        });
        Self { status, body }
    }

    /// `200 {"code":"success","msg":""}`: the platform stops calling.
    #[must_use]
    pub fn success() -> Self {
        Self::new(200, &CallbackAck::success())
    }

    /// `503 {"code":"fail","msg":…}`: the platform calls again later.
    #[must_use]
    pub fn retry_later(msg: impl Into<String>) -> Self {
        Self::new(Self::RETRY_LATER, &CallbackAck::failure(msg))
    }

    /// Whether the platform will stop calling (`code` is `success`).
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.status == 200
            && serde_json::from_str::<CallbackAck>(&self.body).is_ok_and(|ack| ack.is_success())
    }
}
