//! A blocking client, for programs without an async runtime (feature `blocking`).
//!
//! [`Client`] wraps the async [`crate::Client`] and owns a small tokio runtime (one
//! worker thread, which also drives the transport's pooled connections between calls).
//! Every method blocks the calling thread until the async call it wraps has finished, so
//! the errors, the retries (same reqId, same body), the validation and the tracing are
//! exactly the async client's. The 30 endpoint methods are generated from the same
//! table as the async ones (see [`endpoint`](crate::endpoint)), so none can be missing.
//!
//! ```no_run
//! use ipv_api::{Client, Environment, WaitOptions};
//! use ipv_types::{OpenInstancesRequest, OpenParam, ProductsRequest, ProxyType};
//!
//! // No `#[tokio::main]`, no `.await`: a plain `main`.
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::builder()
//!         .environment(Environment::Sandbox)
//!         .app_key("AK20240708150154")
//!         .app_secret("qwertyuiop123456")
//!         .build_blocking()?;
//!     let products = client.products(&ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]))?;
//!     let receipt = client.open_instances(&OpenInstancesRequest::new(
//!         "my-order-0001",
//!         vec![OpenParam::by_product(&products[0].product_no, 1, 1)],
//!     ))?;
//!     let order = client.wait_for_order(&receipt.order_no, WaitOptions::default())?;
//!     println!("{} instances", order.instances.len());
//!     Ok(())
//! }
//! ```
//!
//! # Inside an async runtime
//!
//! A blocking call from a task of an async runtime would stall that runtime's thread,
//! so every method panics there, naming the method and pointing to the async client.
//! Building and dropping a blocking client are allowed anywhere.

use std::fmt;
use std::pin::Pin;

use futures_core::Stream;
use futures_util::StreamExt as _;
use ipv_types::{FlowUsage, FlowUsageLogRequest, Instance, InstanceListRequest, Order};
use ipv_types::{OrderItem, OrdersRequest};

use crate::{BuildError, ClientBuilder, Endpoint, Error, Reply, RetryPolicy, WaitOptions};

/// Why a blocking client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BlockingBuildError {
    /// The client's settings were refused (as by [`ClientBuilder::build`]).
    Client(BuildError),
    /// The client's own tokio runtime could not be started.
    Runtime(std::io::Error),
}

impl fmt::Display for BlockingBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => e.fmt(f),
            Self::Runtime(e) => write!(f, "could not start the blocking client's runtime: {e}"),
        }
    }
}

impl std::error::Error for BlockingBuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Client(e) => Some(e),
            Self::Runtime(e) => Some(e),
        }
    }
}

impl From<BuildError> for BlockingBuildError {
    fn from(e: BuildError) -> Self {
        Self::Client(e)
    }
}

impl ClientBuilder {
    /// Builds a [`blocking::Client`](Client): the same settings, plus a runtime of its own.
    ///
    /// # Errors
    /// [`BlockingBuildError::Client`] for everything [`ClientBuilder::build`] refuses;
    /// [`BlockingBuildError::Runtime`] when the runtime's thread cannot be started.
    pub fn build_blocking(self) -> Result<Client, BlockingBuildError> {
        let runtime = new_runtime()?;
        // The default transport is built inside the runtime, in case it looks for one.
        let inner = {
            let _guard = runtime.enter();
            self.build()?
        };
        Ok(Client {
            inner,
            runtime: Some(runtime),
        })
    }
}

/// A blocking client of the ipipv open API: [`crate::Client`] with its own runtime.
///
/// Build it with [`Client::builder`] (the async client's builder) and
/// [`ClientBuilder::build_blocking`], or wrap an async client with
/// [`Client::from_async`]. It is `Send + Sync`: threads may share one (by reference or
/// in an `Arc`), and their calls run concurrently on the shared connection pool.
pub struct Client {
    inner: crate::Client,
    // `Option` only so that `Drop` can take it out; always `Some` until then.
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which tokio forbids inside another
        // runtime; shutting down in the background is allowed everywhere, and the only
        // tasks left are idle pooled connections.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The runtime a blocking client owns: one worker thread, which runs the calls and
/// keeps the transport's pooled connections alive between them.
fn new_runtime() -> Result<tokio::runtime::Runtime, BlockingBuildError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("ipv-blocking")
        .enable_all()
        .build()
        .map_err(BlockingBuildError::Runtime)
}

/// Panics with a clear message when called from inside an async runtime.
#[track_caller]
fn refuse_inside_runtime(method: &str) {
    if tokio::runtime::Handle::try_current().is_ok() {
        panic!(
            "ipv_api::blocking::Client::{method} was called inside an async runtime, where \
             blocking would stall the runtime's thread; use the async ipv_api::Client there"
        );
    }
}

impl Client {
    /// The async client's builder; finish it with [`ClientBuilder::build_blocking`].
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Wraps an async client, giving it a runtime of its own.
    ///
    /// # Errors
    /// [`BlockingBuildError::Runtime`] when the runtime's thread cannot be started.
    pub fn from_async(client: crate::Client) -> Result<Self, BlockingBuildError> {
        let runtime = new_runtime()?;
        Ok(Self {
            inner: client,
            runtime: Some(runtime),
        })
    }

    /// The async client inside, for code that has a runtime after all.
    #[must_use]
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// Runs `future` to completion on the client's runtime.
    #[track_caller]
    fn block_on<F: Future>(&self, method: &str, future: F) -> F::Output {
        refuse_inside_runtime(method);
        self.runtime
            .as_ref()
            .expect("the runtime is only taken out by Drop")
            .block_on(future)
    }

    /// The base URL, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// The app key.
    #[must_use]
    pub fn app_key(&self) -> &str {
        self.inner.app_key()
    }

    /// The retry policy.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.inner.retry_policy()
    }

    /// A fresh reqId from the client's provider.
    #[must_use]
    pub fn next_req_id(&self) -> String {
        self.inner.next_req_id()
    }

    /// Blocking [`crate::Client::send`]: any endpoint's request, its decoded response.
    ///
    /// # Errors
    /// See [`Error`].
    ///
    /// # Panics
    /// Inside an async runtime (see the [module docs](self)).
    #[track_caller]
    pub fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        self.block_on("send", self.inner.send(request))
    }

    /// Blocking [`crate::Client::send_with_meta`]: also the reqId and the attempts.
    ///
    /// # Errors
    /// See [`Error`].
    ///
    /// # Panics
    /// Inside an async runtime (see the [module docs](self)).
    #[track_caller]
    pub fn send_with_meta<E: Endpoint>(&self, request: &E) -> Result<Reply<E::Response>, Error> {
        self.block_on("send_with_meta", self.inner.send_with_meta(request))
    }

    /// Blocking [`crate::Client::send_with_req_id`]: a reqId of the caller's choosing.
    ///
    /// # Errors
    /// See [`Error`].
    ///
    /// # Panics
    /// Inside an async runtime (see the [module docs](self)).
    #[track_caller]
    pub fn send_with_req_id<E: Endpoint>(
        &self,
        request: &E,
        req_id: impl Into<String>,
    ) -> Result<Reply<E::Response>, Error> {
        self.block_on(
            "send_with_req_id",
            self.inner.send_with_req_id(request, req_id),
        )
    }

    /// Blocking [`crate::Client::send_raw`]: untyped JSON to any path.
    ///
    /// # Errors
    /// See [`Error`].
    ///
    /// # Panics
    /// Inside an async runtime (see the [module docs](self)).
    #[track_caller]
    pub fn send_raw(
        &self,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.block_on("send_raw", self.inner.send_raw(path, params))
    }

    /// Blocking [`crate::Client::wait_for_order`]: polls the order until it is final
    /// and returns it with all its instances.
    ///
    /// # Errors
    /// As [`crate::Client::wait_for_order`]: [`Error::WaitTimedOut`] at the deadline.
    ///
    /// # Panics
    /// Inside an async runtime (see the [module docs](self)).
    #[track_caller]
    pub fn wait_for_order(&self, order_no: &str, options: WaitOptions) -> Result<Order, Error> {
        self.block_on(
            "wait_for_order",
            self.inner.wait_for_order(order_no, options),
        )
    }

    /// Blocking [`crate::Client::order_instances`]: every instance of an order, page by
    /// page as the iterator is read.
    #[must_use]
    pub fn order_instances(&self, order_no: impl Into<String>) -> Pages<'_, Instance> {
        Pages::new(
            self,
            "order_instances",
            self.inner.order_instances(order_no),
        )
    }

    /// Blocking [`crate::Client::orders_stream`]: every order the request matches.
    #[must_use]
    pub fn orders_iter(&self, request: OrdersRequest) -> Pages<'_, OrderItem> {
        Pages::new(self, "orders_iter", self.inner.orders_stream(request))
    }

    /// Blocking [`crate::Client::instance_list_stream`]: every instance the request matches.
    #[must_use]
    pub fn instance_list_iter(&self, request: InstanceListRequest) -> Pages<'_, Instance> {
        Pages::new(
            self,
            "instance_list_iter",
            self.inner.instance_list_stream(request),
        )
    }

    /// Blocking [`crate::Client::flow_usage_log_stream`]: every usage record matched.
    #[must_use]
    pub fn flow_usage_log_iter(&self, request: FlowUsageLogRequest) -> Pages<'_, FlowUsage> {
        Pages::new(
            self,
            "flow_usage_log_iter",
            self.inner.flow_usage_log_stream(request),
        )
    }
}

/// The items of a paged list, fetched a page at a time as the iterator is read; the
/// blocking form of the [`paginate`](crate::paginate) streams.
///
/// After an error the iterator ends (as the streams do).
///
/// # Panics
/// `next` panics inside an async runtime (see the [module docs](self)).
pub struct Pages<'a, T> {
    client: &'a Client,
    method: &'static str,
    stream: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>,
}

impl<'a, T> Pages<'a, T> {
    fn new(
        client: &'a Client,
        method: &'static str,
        stream: impl Stream<Item = Result<T, Error>> + Send + 'static,
    ) -> Self {
        Self {
            client,
            method,
            stream: Box::pin(stream),
        }
    }
}

impl<T> fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl<T> Iterator for Pages<'_, T> {
    type Item = Result<T, Error>;

    #[track_caller]
    fn next(&mut self) -> Option<Self::Item> {
        self.client.block_on(self.method, self.stream.next())
    }
}
