//! The HTTP seam of the ipv SDK.
//!
//! [`HttpTransport`] is one object-safe method: send an [`http::Request`] with a
//! [`Bytes`] body, get an [`http::Response`] with a [`Bytes`] body. The client holds it as
//! [`SharedTransport`] (`Arc<dyn HttpTransport>`), so any HTTP stack can be plugged in.
//! Failures are a [`TransportError`] whose [`TransportErrorKind`] tells retry logic whether
//! the request may have reached the server.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `hyper` | yes | `HyperTransport`: hyper 1 + hyper-util's pooled client, HTTPS through rustls (ring, Mozilla roots), HTTP/1.1 and HTTP/2, connect / whole-request timeouts, a response size limit, HTTP(S)_PROXY / NO_PROXY |
//! | `native-roots` | no | `TlsRoots::Native`: trust the operating system's root certificates |
//! | `test-util` | no | `test_util`: replay, capture, closure and never-answering transports |
//!
//! With no features the crate is the trait, the error and nothing else.
//!
//! # Example
//!
//! Any type can be a transport; here one that answers every request with a teapot:
//!
//! ```
//! use std::sync::Arc;
//! use ipv_transport::{BoxFuture, Bytes, HttpTransport, SharedTransport, TransportError};
//!
//! #[derive(Debug)]
//! struct Teapot;
//!
//! impl HttpTransport for Teapot {
//!     fn send(
//!         &self,
//!         req: http::Request<Bytes>,
//!     ) -> BoxFuture<'static, Result<http::Response<Bytes>, TransportError>> {
//!         let body = Bytes::from(format!("no coffee at {}", req.uri().path()));
//!         Box::pin(async move {
//!             http::Response::builder()
//!                 .status(418)
//!                 .body(body)
//!                 .map_err(|e| TransportError::other("cannot build the response").with_source(e))
//!         })
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let transport: SharedTransport = Arc::new(Teapot);
//! let request = http::Request::post("http://127.0.0.1:8080/api/open/app/info/v2")
//!     .body(Bytes::from_static(b"{}"))
//!     .unwrap();
//! let response = transport.send(request).await?;
//! assert_eq!(response.status(), 418);
//! assert_eq!(response.body().as_ref(), b"no coffee at /api/open/app/info/v2");
//! # Ok::<(), TransportError>(())
//! # }).unwrap();
//! ```
//!
//! The default transport, with every limit spelled out (these are the defaults):
//!
//! ```
//! # #[cfg(feature = "hyper")] {
//! use std::time::Duration;
//! use ipv_transport::{HyperTransport, SharedTransport};
//!
//! let transport = HyperTransport::builder()
//!     .connect_timeout(Duration::from_secs(10))
//!     .request_timeout(Duration::from_secs(30))
//!     .max_response_body(16 * 1024 * 1024)
//!     .proxy_from_env(true)
//!     .build()?;
//! let shared: SharedTransport = std::sync::Arc::new(transport);
//! # drop(shared);
//! # }
//! # Ok::<(), ipv_transport::TransportError>(())
//! ```
//!
//! `HyperTransport` needs a Tokio runtime with its time driver enabled (for example
//! `#[tokio::main]`, or a runtime built with `enable_all()`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use bytes::Bytes;
pub use http;

mod error;
pub use error::{TransportError, TransportErrorKind};

#[cfg(feature = "hyper")]
mod hyper_transport;
#[cfg(feature = "hyper")]
pub use hyper_transport::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, HyperTransport, HyperTransportBuilder, TlsRoots,
};

#[cfg(feature = "hyper")]
pub mod proxy;
#[cfg(feature = "hyper")]
pub use proxy::ProxyConfig;

#[cfg(feature = "test-util")]
pub mod test_util;

/// A boxed, sendable future, as returned by [`HttpTransport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns its whole response.
///
/// Implementations must be cheap to share (`Send + Sync`), must not follow the retry
/// policy themselves (the client does that), and must return a response of any status
/// as `Ok`: a 404 or 500 is an answer, not a transport failure.
pub trait HttpTransport: Send + Sync + fmt::Debug {
    /// Sends `req` and resolves to the complete response.
    fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> BoxFuture<'static, Result<http::Response<Bytes>, TransportError>>;
}

/// The caller's own deadline for one request, carried in the request's extensions.
///
/// A client that bounds each request by its own timeout puts it here, so a transport's
/// own whole-request limit never cuts the request short of it. `HyperTransport` then
/// allows the request this long plus [`RequestTimeout::GRACE`] (the caller's own timer
/// decides, the transport's is a backstop) instead of its configured
/// `request_timeout`; requests without the extension keep that limit. Other transports
/// should do the same.
///
/// ```
/// use std::time::Duration;
/// use ipv_transport::{Bytes, RequestTimeout};
///
/// let mut request = http::Request::post("http://127.0.0.1:8080/").body(Bytes::new()).unwrap();
/// request.extensions_mut().insert(RequestTimeout(Duration::from_secs(45)));
/// assert_eq!(request.extensions().get::<RequestTimeout>(), Some(&RequestTimeout(Duration::from_secs(45))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestTimeout(pub Duration);

impl RequestTimeout {
    /// How much longer than the caller's deadline a transport waits, so that the
    /// caller's timer, not the transport's, ends a request that takes too long.
    pub const GRACE: Duration = Duration::from_secs(1);

    /// The whole-request limit a transport applies to `req`: the caller's deadline plus
    /// [`RequestTimeout::GRACE`] when the request carries one, `default` otherwise.
    #[must_use]
    pub fn limit_for<B>(req: &http::Request<B>, default: Duration) -> Duration {
        req.extensions()
            .get::<Self>()
            .map_or(default, |caller| caller.0.saturating_add(Self::GRACE))
    }
}

/// A transport shared by clones of a client.
pub type SharedTransport = Arc<dyn HttpTransport>;

impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> BoxFuture<'static, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(req)
    }
}
