//! [`TransportError`] and its [`TransportErrorKind`].

use std::fmt;

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
///
/// The message names the stage and the destination (scheme, host and port); it never holds
/// a request body, a query string or proxy credentials.
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

    /// A [`TransportErrorKind::Connect`] error.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Connect, message)
    }

    /// A [`TransportErrorKind::Timeout`] error.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Timeout, message)
    }

    /// A [`TransportErrorKind::Io`] error.
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Io, message)
    }

    /// A [`TransportErrorKind::BodyTooLarge`] error.
    pub fn body_too_large(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::BodyTooLarge, message)
    }

    /// A [`TransportErrorKind::Other`] error.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Other, message)
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

    /// The human-readable message (without the kind prefix that `Display` adds).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
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

    /// Whether the response body was over the size limit.
    #[must_use]
    pub fn is_body_too_large(&self) -> bool {
        self.kind == TransportErrorKind::BodyTooLarge
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn display_prefixes_the_kind() {
        let err = TransportError::timeout("no answer within 5s");
        assert_eq!(err.to_string(), "timeout error: no answer within 5s");
        assert_eq!(err.message(), "no answer within 5s");
        assert!(err.is_timeout());
        assert!(!err.is_connect());
    }

    #[test]
    fn each_constructor_sets_its_kind() {
        let cases = [
            (TransportError::connect("c"), TransportErrorKind::Connect),
            (TransportError::timeout("t"), TransportErrorKind::Timeout),
            (TransportError::io("i"), TransportErrorKind::Io),
            (
                TransportError::body_too_large("b"),
                TransportErrorKind::BodyTooLarge,
            ),
            (TransportError::other("o"), TransportErrorKind::Other),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind);
        }
        assert!(TransportError::body_too_large("b").is_body_too_large());
        assert!(TransportError::connect("c").is_connect());
    }

    #[test]
    fn source_is_kept() {
        let cause = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let err = TransportError::io("exchange failed").with_source(cause);
        let source = err.source().expect("a source");
        assert_eq!(source.to_string(), "reset by peer");
    }

    #[test]
    fn kind_display_names() {
        assert_eq!(TransportErrorKind::Connect.to_string(), "connect");
        assert_eq!(TransportErrorKind::Io.to_string(), "i/o");
        assert_eq!(
            TransportErrorKind::BodyTooLarge.to_string(),
            "body too large"
        );
        assert_eq!(TransportErrorKind::Other.to_string(), "other");
    }
}
