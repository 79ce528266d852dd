//! Receiving the platform's callbacks.
//!
//! The platform calls the app's URL with `GET ?type={order|instance|product}&no=…&op=…`
//! and calls again until it gets `{"code":"success","msg":""}`. [`CallbackReceiver`]
//! turns a query string into that answer, framework-agnostic: mount it in any HTTP
//! server, or use the ready [`CallbackServer`] (feature `server`, on by default).
//!
//! - The answer is `success` only after the user's [`CallbackHandler`] succeeded; a
//!   failing (or panicking) handler gets HTTP 500 with `{"code":"fail",…}`, so the
//!   platform retries.
//! - Duplicates are handled once: a callback whose key the [`DedupeStore`] remembers
//!   is acknowledged without running the handler, and concurrent duplicates wait for
//!   the one in progress instead of running beside it.
//! - Callbacks carry no signature: a handler should trust only what it re-fetches
//!   through the API ([`Client::refetch`]).
//!
//! ```
//! use ipv_api::callback::{CallbackReceiver, handler_fn};
//! use ipv_types::Callback;
//!
//! # tokio_test_block_on(async {
//! let receiver = CallbackReceiver::new(handler_fn(|callback: Callback| async move {
//!     println!("{} {} changed", callback.kind, callback.no);
//!     Ok::<(), std::convert::Infallible>(())
//! }));
//! let reply = receiver.handle("type=order&no=ORD-1&op=1").await;
//! assert_eq!(reply.status, 200);
//! assert_eq!(reply.body, r#"{"code":"success","msg":""}"#);
//! let reply = receiver.handle("type=nonsense").await;
//! assert_eq!(reply.status, 400);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

mod dedupe;
#[cfg(feature = "server")]
mod server;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt as _;
use ipv_types::{
    Callback, CallbackAck, CallbackKind, Instance, InstancesRequest, Order, OrderRequest, Product,
    ProductRequest,
};
use tracing::Instrument as _;

pub use dedupe::{DedupeStore, InMemoryDedupe, StoreError};
#[cfg(feature = "server")]
pub use server::CallbackServer;

use crate::client::Client;
use crate::error::Error;
use crate::validate::MAX_PAGE_SIZE;

/// What the user does with a callback.
///
/// Return `Ok` only once the callback is fully handled: the platform is then told
/// `success` and stops calling. An `Err` makes the platform call again later.
pub trait CallbackHandler: Send + Sync + 'static {
    /// The handler's error; its `Display` text goes back to the platform in `msg`, so
    /// keep secrets out of it.
    type Error: fmt::Display + Send;

    /// Handles one callback.
    fn handle(&self, callback: Callback) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A [`CallbackHandler`] from an async closure; see [`handler_fn`].
#[derive(Clone)]
pub struct FnHandler<F>(F);

impl<F> fmt::Debug for FnHandler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnHandler")
    }
}

/// Wraps `f(callback) -> impl Future<Output = Result<(), E>>` as a [`CallbackHandler`].
pub fn handler_fn<F, Fut, E>(f: F) -> FnHandler<F>
where
    F: Fn(Callback) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: fmt::Display + Send,
{
    FnHandler(f)
}

impl<F, Fut, E> CallbackHandler for FnHandler<F>
where
    F: Fn(Callback) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: fmt::Display + Send,
{
    type Error = E;

    fn handle(&self, callback: Callback) -> impl Future<Output = Result<(), E>> + Send {
        (self.0)(callback)
    }
}

/// The HTTP answer to one callback: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackReply {
    /// HTTP status: 200 handled, 400 unparseable query, 500 handler failed.
    pub status: u16,
    /// The JSON body (a [`CallbackAck`]).
    pub body: String,
}

impl CallbackReply {
    fn new(status: u16, ack: &CallbackAck) -> Self {
        let body = serde_json::to_string(ack).unwrap_or_else(|_| {
            // Two string fields always serialise; keep a valid answer regardless.
            r#"{"code":"fail","msg":"internal error"}"#.to_owned()
        });
        Self { status, body }
    }

    /// Whether the platform will stop calling (`code` is `success`).
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.status == 200
            && serde_json::from_str::<CallbackAck>(&self.body).is_ok_and(|ack| ack.is_success())
    }
}

/// The key a callback is de-duplicated by: `type:no:op`.
#[must_use]
pub fn dedupe_key(callback: &Callback) -> String {
    match callback.op {
        Some(op) => format!("{}:{}:{}", callback.kind, callback.no, op.as_i64()),
        None => format!("{}:{}", callback.kind, callback.no),
    }
}

type InFlight = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

struct ReceiverInner<H> {
    handler: H,
    store: Arc<dyn DedupeStore>,
    in_flight: InFlight,
}

/// Turns callback queries into answers; see the [module docs](self).
pub struct CallbackReceiver<H> {
    inner: Arc<ReceiverInner<H>>,
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
        f.debug_struct("CallbackReceiver")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl<H: CallbackHandler> CallbackReceiver<H> {
    /// A receiver running `handler`, remembering handled callbacks in an
    /// [`InMemoryDedupe`] with its default window.
    pub fn new(handler: H) -> Self {
        Self::with_store(handler, InMemoryDedupe::default())
    }

    /// A receiver with another dedupe store (a database shared by several instances).
    pub fn with_store(handler: H, store: impl DedupeStore + 'static) -> Self {
        Self {
            inner: Arc::new(ReceiverInner {
                handler,
                store: Arc::new(store),
                in_flight: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Answers one callback, given the request's query string (without the `?`).
    pub async fn handle(&self, query: &str) -> CallbackReply {
        let callback = match Callback::parse_query(query.trim_start_matches('?')) {
            Ok(callback) => callback,
            Err(err) => {
                tracing::warn!(error = %err, "unparseable callback");
                return CallbackReply::new(400, &CallbackAck::failure(err.to_string()));
            }
        };
        let key = dedupe_key(&callback);
        let span = tracing::info_span!("ipv_api.callback", key = %key);
        async {
            let gate = self.gate(&key);
            let reply = {
                // One run per key at a time: a duplicate arriving meanwhile waits here
                // and then finds the key done.
                let _turn = gate.lock().await;
                self.process(&key, callback).await
            };
            self.release(&key, &gate);
            tracing::debug!(status = reply.status, "callback answered");
            reply
        }
        .instrument(span)
        .await
    }

    async fn process(&self, key: &str, callback: Callback) -> CallbackReply {
        let store = &self.inner.store;
        match store.is_done(key).await {
            Ok(true) => return CallbackReply::new(200, &CallbackAck::success()),
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %err, "dedupe store failed");
                return CallbackReply::new(500, &CallbackAck::failure("dedupe store unavailable"));
            }
        }
        let outcome = AssertUnwindSafe(self.inner.handler.handle(callback))
            .catch_unwind()
            .await;
        match outcome {
            Ok(Ok(())) => {
                if let Err(err) = store.mark_done(key).await {
                    // Handled, but a duplicate may run the handler again: acknowledge
                    // anyway, since the work is done.
                    tracing::warn!(error = %err, "could not record a handled callback");
                }
                CallbackReply::new(200, &CallbackAck::success())
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "callback handler failed");
                CallbackReply::new(500, &CallbackAck::failure(err.to_string()))
            }
            Err(_panic) => {
                tracing::error!("callback handler panicked");
                CallbackReply::new(500, &CallbackAck::failure("handler panicked"))
            }
        }
    }

    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(key.to_owned()).or_default())
    }

    fn release(&self, key: &str, gate: &Arc<tokio::sync::Mutex<()>>) {
        let mut map = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map and this caller hold it: nobody is waiting, so forget the key.
        if Arc::strong_count(gate) == 2 {
            map.remove(key);
        }
    }
}

/// What [`Client::refetch`] found for a callback.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Refetched {
    /// The order, with all its instances.
    Order(Box<Order>),
    /// The instance, or `None` if the platform no longer lists it.
    Instance(Option<Box<Instance>>),
    /// The product.
    Product(Box<Product>),
}

impl Client {
    /// Fetches what a callback is about, since callbacks are unsigned and only the
    /// API's answer can be trusted: the order (all instances), the instance or the
    /// product by its number.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn refetch(&self, callback: &Callback) -> Result<Refetched, Error> {
        match callback.kind {
            CallbackKind::Order => {
                let request = OrderRequest::new(callback.no.clone()).with_page(1, MAX_PAGE_SIZE);
                let order = self.order(&request).await?;
                let total = usize::try_from(order.total).unwrap_or(0);
                let mut order = order;
                if total > order.instances.len() {
                    use futures_util::TryStreamExt as _;
                    order.instances = self
                        .order_instances(order.order_no.clone())
                        .try_collect()
                        .await?;
                }
                Ok(Refetched::Order(Box::new(order)))
            }
            CallbackKind::Instance => {
                let request = InstancesRequest {
                    instances: vec![callback.no.clone()],
                };
                let found = self.instances(&request).await?;
                Ok(Refetched::Instance(
                    found
                        .into_iter()
                        .find(|i| i.instance_no == callback.no)
                        .map(Box::new),
                ))
            }
            CallbackKind::Product => {
                let request = ProductRequest {
                    product_no: callback.no.clone(),
                };
                Ok(Refetched::Product(Box::new(self.product(&request).await?)))
            }
        }
    }
}
