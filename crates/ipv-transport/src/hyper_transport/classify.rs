//! Turns hyper / hyper-util errors into a [`TransportError`] of the right kind.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use http::Uri;

use super::connector::ProxyTunnelError;
use crate::{TransportError, TransportErrorKind};

/// `scheme://host:port` of a request, for messages: never the user-info, path or query.
pub(crate) fn destination(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("?");
    let host = uri.host().unwrap_or("?");
    match uri.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Walks an error and its causes. `io::Error::source` skips the error it wraps (it
/// returns the wrapped error's *source*), so for those the wrapped error is visited
/// through `get_ref` instead.
pub(crate) fn causes<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(
        Some(err),
        |&current: &&'a (dyn StdError + 'static)| match current.downcast_ref::<io::Error>() {
            Some(io_err) => io_err
                .get_ref()
                .map(|inner| inner as &(dyn StdError + 'static)),
            None => current.source(),
        },
    )
}

/// The innermost cause's message, which is the informative one ("Connection refused",
/// "invalid peer certificate: UnknownIssuer", ...).
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    causes(err)
        .last()
        .map_or_else(String::new, |cause| cause.to_string())
}

fn is_timeout(err: &(dyn StdError + 'static)) -> bool {
    causes(err).any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut)
            || cause
                .downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_timeout)
    })
}

/// Maps a failure of `Client::request` (before any response head arrived).
pub(crate) fn client_error(
    err: hyper_util::client::legacy::Error,
    uri: &Uri,
    connect_timeout: Duration,
) -> TransportError {
    let dest = destination(uri);
    let dyn_err: &(dyn StdError + 'static) = &err;
    let cause = root_cause(dyn_err);
    let tunnel_refused = causes(dyn_err)
        .find_map(|c| c.downcast_ref::<ProxyTunnelError>())
        .is_some_and(ProxyTunnelError::proxy_refused);

    let (kind, message) = if tunnel_refused {
        (
            TransportErrorKind::Other,
            format!("the proxy refused to open a tunnel to {dest}: {cause}"),
        )
    } else if err.is_connect() && is_timeout(dyn_err) {
        (
            TransportErrorKind::Timeout,
            format!(
                "connecting to {dest} took longer than {connect_timeout:?}; the request was not sent"
            ),
        )
    } else if err.is_connect() {
        (
            TransportErrorKind::Connect,
            format!("cannot connect to {dest}: {cause}"),
        )
    } else if is_timeout(dyn_err) {
        (
            TransportErrorKind::Timeout,
            format!("timed out talking to {dest}: {cause}"),
        )
    } else if err.source().is_none() {
        // hyper-util's own refusals (such as an HTTP/2-only request on an HTTP/1
        // connection) carry no cause; nothing was exchanged.
        (
            TransportErrorKind::Other,
            format!("the HTTP client refused the request to {dest}: {err}"),
        )
    } else {
        (
            TransportErrorKind::Io,
            format!("the exchange with {dest} failed: {cause}"),
        )
    };
    TransportError::new(kind, message).with_source(err)
}

/// Maps a failure while reading the response body.
pub(crate) fn body_error(
    err: Box<dyn StdError + Send + Sync>,
    uri: &Uri,
    limit: usize,
) -> TransportError {
    let dest = destination(uri);
    if err
        .downcast_ref::<http_body_util::LengthLimitError>()
        .is_some()
    {
        return body_too_large(&dest, limit);
    }
    let dyn_err: &(dyn StdError + 'static) = &*err;
    let kind = if is_timeout(dyn_err) {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Io
    };
    let message = format!(
        "reading the response body from {dest} failed: {}",
        root_cause(dyn_err)
    );
    TransportError::new(kind, message).with_source(err)
}

pub(crate) fn body_too_large(dest: &str, limit: usize) -> TransportError {
    TransportError::body_too_large(format!(
        "the response body from {dest} is larger than the limit of {limit} bytes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_omits_credentials_path_and_query() {
        let uri: Uri = "https://user:secret@api.example.com:8443/a/b?token=t"
            .parse()
            .unwrap();
        assert_eq!(destination(&uri), "https://api.example.com:8443");
        let uri: Uri = "http://127.0.0.1/x".parse().unwrap();
        assert_eq!(destination(&uri), "http://127.0.0.1");
    }

    #[test]
    fn causes_look_inside_io_errors() {
        #[derive(Debug)]
        struct Inner;
        impl std::fmt::Display for Inner {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("inner cause")
            }
        }
        impl StdError for Inner {}
        let outer = io::Error::other(Inner);
        let all: Vec<String> = causes(&outer).map(|c| c.to_string()).collect();
        assert_eq!(all, ["inner cause", "inner cause"]);
        assert_eq!(root_cause(&outer), "inner cause");
    }

    #[test]
    fn timeouts_are_found_anywhere_in_the_chain() {
        let timed_out = io::Error::new(io::ErrorKind::TimedOut, "connect timeout");
        let wrapped = io::Error::other(timed_out);
        assert!(is_timeout(&wrapped));
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert!(!is_timeout(&refused));
    }

    #[test]
    fn length_limit_errors_become_body_too_large() {
        let uri: Uri = "http://127.0.0.1:9/x".parse().unwrap();
        let limited = http_body_util::Limited::new(
            http_body_util::Full::new(bytes::Bytes::from_static(b"0123456789")),
            4,
        );
        let err = futures_block_on_collect(limited);
        let mapped = body_error(err, &uri, 4);
        assert_eq!(mapped.kind(), TransportErrorKind::BodyTooLarge);
        assert_eq!(
            mapped.message(),
            "the response body from http://127.0.0.1:9 is larger than the limit of 4 bytes"
        );
    }

    /// Collects a body that is always ready, without a runtime.
    fn futures_block_on_collect(
        body: http_body_util::Limited<http_body_util::Full<bytes::Bytes>>,
    ) -> Box<dyn StdError + Send + Sync> {
        use http_body_util::BodyExt;
        use std::task::{Context, Poll, Waker};
        let mut fut = std::pin::pin!(body.collect());
        let mut cx = Context::from_waker(Waker::noop());
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(Err(err)) => err,
            Poll::Ready(Ok(_)) => panic!("a 10-byte body must exceed a 4-byte limit"),
            Poll::Pending => panic!("a full body is always ready"),
        }
    }
}
