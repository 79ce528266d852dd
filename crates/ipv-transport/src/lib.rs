//! The HTTP seam of the ipv SDK.
//!
//! [`HttpTransport`] is one object-safe method: send an [`http::Request`] with a
//! [`Bytes`] body, get an [`http::Response`] with a [`Bytes`] body. The client holds it as
//! [`SharedTransport`] (`Arc<dyn HttpTransport>`), so any HTTP stack can be plugged in.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use bytes::Bytes;

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

/// What kind of failure a [`TransportError`] is, so retry logic can classify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (DNS, refused, TLS handshake). The request was not sent.
    Connect,
    /// A deadline passed (connect or whole request). The request may have been sent.
    Timeout,
    /// The connection failed mid-exchange. The request may have been sent.
    Io,
    /// The response body was larger than the configured limit.
    BodyTooLarge,
    /// Anything else (a bad URL, an unsupported scheme, a proxy refusal).
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Io => "i/o",
            Self::BodyTooLarge => "body too large",
            Self::Other => "other",
        })
    }
}

/// A failure to exchange a request and response.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether the request certainly did not reach the server.
    #[must_use]
    pub fn is_connect(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }

    /// Whether a deadline passed.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error: {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
