//! [`FnTransport`]: a transport made from a closure.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};

use crate::{BoxFuture, HttpTransport, TransportError};

type Handler = dyn Fn(Request<Bytes>) -> BoxFuture<'static, Result<Response<Bytes>, TransportError>>
    + Send
    + Sync;

/// A transport that hands each request to a closure, which decides the outcome: a
/// response of any status, or a [`TransportError`] of any kind (to test retries).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use ipv_transport::http::StatusCode;
/// use ipv_transport::test_util::{json_post, json_response, FnTransport};
/// use ipv_transport::{HttpTransport, TransportError, TransportErrorKind};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // Fails twice with a connect error, then answers.
/// let attempts = AtomicUsize::new(0);
/// let flaky = FnTransport::new(move |_req| {
///     if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
///         Err(TransportError::connect("refused"))
///     } else {
///         Ok(json_response(StatusCode::OK, "{}"))
///     }
/// });
/// let first = flaky.send(json_post("http://127.0.0.1/x", "{}")).await;
/// assert_eq!(first.unwrap_err().kind(), TransportErrorKind::Connect);
/// let _ = flaky.send(json_post("http://127.0.0.1/x", "{}")).await;
/// let third = flaky.send(json_post("http://127.0.0.1/x", "{}")).await;
/// assert_eq!(third.unwrap().status(), 200);
/// # });
/// ```
#[derive(Clone)]
pub struct FnTransport {
    handler: Arc<Handler>,
}

impl FnTransport {
    /// A transport that calls `handler` synchronously when `send` is called.
    pub fn new<F>(handler: F) -> Self
    where
        F: Fn(Request<Bytes>) -> Result<Response<Bytes>, TransportError> + Send + Sync + 'static,
    {
        Self {
            handler: Arc::new(move |req| {
                let outcome = handler(req);
                Box::pin(std::future::ready(outcome))
            }),
        }
    }

    /// A transport whose `handler` returns a future, awaited by the caller (it may sleep,
    /// wait on a channel, or never finish).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipv_transport::http::StatusCode;
    /// use ipv_transport::test_util::{json_post, text_response, FnTransport};
    /// use ipv_transport::HttpTransport;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let slow_echo = FnTransport::from_async(|req: http::Request<_>| async move {
    ///     tokio::time::sleep(Duration::from_millis(1)).await;
    ///     Ok(text_response(StatusCode::OK, req.into_body()))
    /// });
    /// let response = slow_echo.send(json_post("http://127.0.0.1/x", "ping")).await.unwrap();
    /// assert_eq!(response.body().as_ref(), b"ping");
    /// # });
    /// ```
    pub fn from_async<F, Fut>(handler: F) -> Self
    where
        F: Fn(Request<Bytes>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<Bytes>, TransportError>> + Send + 'static,
    {
        Self {
            handler: Arc::new(move |req| Box::pin(handler(req))),
        }
    }
}

impl HttpTransport for FnTransport {
    fn send(
        &self,
        req: Request<Bytes>,
    ) -> BoxFuture<'static, Result<Response<Bytes>, TransportError>> {
        (self.handler)(req)
    }
}

impl fmt::Debug for FnTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTransport").finish_non_exhaustive()
    }
}
