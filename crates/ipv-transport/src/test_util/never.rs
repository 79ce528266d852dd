//! [`NeverTransport`]: a transport that never answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use crate::{BoxFuture, HttpTransport, TransportError};

/// A transport whose futures stay pending forever, to test the caller's timeouts.
///
/// It counts calls, so a test can check how many attempts were made.
///
/// ```
/// use std::time::Duration;
/// use ipv_transport::test_util::{json_post, NeverTransport};
/// use ipv_transport::HttpTransport;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let never = NeverTransport::new();
/// let pending = never.send(json_post("http://127.0.0.1/x", "{}"));
/// let outcome = tokio::time::timeout(Duration::from_millis(20), pending).await;
/// assert!(outcome.is_err(), "no answer, so the caller's timeout fires");
/// assert_eq!(never.calls(), 1);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct NeverTransport {
    calls: Arc<AtomicUsize>,
}

impl NeverTransport {
    /// A new transport with no calls counted.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times `send` was called (on this transport and its clones).
    #[must_use]
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl HttpTransport for NeverTransport {
    fn send(
        &self,
        _req: http::Request<Bytes>,
    ) -> BoxFuture<'static, Result<http::Response<Bytes>, TransportError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}
