//! [`CaptureTransport`]: answers with a fixed response and keeps every request.

use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::lock;
use crate::{BoxFuture, HttpTransport, TransportError};

type Responder = dyn Fn(&Request<Bytes>) -> Response<Bytes> + Send + Sync;

/// A transport that records every request and answers each with the same response (or
/// one a closure makes from the request).
///
/// ```
/// use ipv_transport::http::StatusCode;
/// use ipv_transport::test_util::{json_post, json_response, CaptureTransport};
/// use ipv_transport::HttpTransport;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let capture = CaptureTransport::new(json_response(StatusCode::OK, "{}"));
/// capture.send(json_post("http://127.0.0.1/a", "1")).await.unwrap();
/// capture.send(json_post("http://127.0.0.1/b", "2")).await.unwrap();
///
/// let seen = capture.requests();
/// assert_eq!(seen.len(), 2);
/// assert_eq!(seen[1].uri().path(), "/b");
/// assert_eq!(seen[1].body().as_ref(), b"2");
/// # });
/// ```
#[derive(Clone)]
pub struct CaptureTransport {
    responder: Arc<Responder>,
    captured: Arc<Mutex<Vec<Request<Bytes>>>>,
}

impl CaptureTransport {
    /// Answers every request with a copy of `response`.
    #[must_use]
    pub fn new(response: Response<Bytes>) -> Self {
        Self::with_responder(move |_| response.clone())
    }

    /// Answers each request with what `responder` makes from it.
    #[must_use]
    pub fn with_responder<F>(responder: F) -> Self
    where
        F: Fn(&Request<Bytes>) -> Response<Bytes> + Send + Sync + 'static,
    {
        Self {
            responder: Arc::new(responder),
            captured: Arc::default(),
        }
    }

    /// Every request sent so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<Request<Bytes>> {
        lock(&self.captured).clone()
    }

    /// The most recent request, if any.
    #[must_use]
    pub fn last_request(&self) -> Option<Request<Bytes>> {
        lock(&self.captured).last().cloned()
    }

    /// How many requests were sent.
    #[must_use]
    pub fn len(&self) -> usize {
        lock(&self.captured).len()
    }

    /// Whether no request was sent.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        lock(&self.captured).is_empty()
    }

    /// Forgets the captured requests.
    pub fn clear(&self) {
        lock(&self.captured).clear();
    }
}

impl Default for CaptureTransport {
    /// Answers `200 OK` with an empty body.
    fn default() -> Self {
        Self::new(super::response(StatusCode::OK, Bytes::new()))
    }
}

impl HttpTransport for CaptureTransport {
    fn send(
        &self,
        req: Request<Bytes>,
    ) -> BoxFuture<'static, Result<Response<Bytes>, TransportError>> {
        let response = (self.responder)(&req);
        lock(&self.captured).push(req);
        Box::pin(std::future::ready(Ok(response)))
    }
}

impl fmt::Debug for CaptureTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureTransport")
            .field("captured", &self.len())
            .finish_non_exhaustive()
    }
}
