//! The TCP connector under TLS: direct, through a `CONNECT` tunnel, or to an HTTP proxy.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use http::uri::Scheme;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::proxy::ProxyRules;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Picks, per destination, a direct TCP connection, a `CONNECT` tunnel through the proxy
/// (https destinations), or a plain connection to the proxy (http destinations, which the
/// client then sends in absolute form because the stream says it is proxied).
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    tcp: HttpConnector,
    proxies: Option<Arc<ProxyRules>>,
}

impl ProxyConnector {
    pub(crate) fn new(tcp: HttpConnector, proxies: Option<Arc<ProxyRules>>) -> Self {
        Self { tcp, proxies }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyAwareStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyAwareStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let intercept = self
            .proxies
            .as_ref()
            .and_then(|rules| rules.intercept(&destination));
        let Some(proxy) = intercept else {
            let connecting = self.tcp.call(destination);
            return Box::pin(async move {
                let stream = connecting.await?;
                Ok(ProxyAwareStream::new(stream, false))
            });
        };
        if destination.scheme() == Some(&Scheme::HTTPS) {
            // hyper-rustls runs TLS to the destination over the tunnel's stream.
            let mut tunnel = Tunnel::new(proxy.uri().clone(), self.tcp.clone());
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            // `HttpConnector` (the tunnel's inner connector) is always ready, so calling
            // without polling readiness first is sound.
            let tunnelling = tunnel.call(destination);
            Box::pin(async move {
                match tunnelling.await {
                    Ok(stream) => Ok(ProxyAwareStream::new(stream, false)),
                    Err(err) => Err(Box::new(ProxyTunnelError::new(err)) as BoxError),
                }
            })
        } else {
            let connecting = self.tcp.call(proxy.uri().clone());
            Box::pin(async move {
                let stream = connecting.await?;
                Ok(ProxyAwareStream::new(stream, true))
            })
        }
    }
}

impl fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

/// A TCP stream that tells the pooled client whether it leads to an HTTP proxy (then
/// requests go out in absolute form).
pub(crate) struct ProxyAwareStream {
    inner: TokioIo<TcpStream>,
    to_http_proxy: bool,
}

impl ProxyAwareStream {
    fn new(inner: TokioIo<TcpStream>, to_http_proxy: bool) -> Self {
        Self {
            inner,
            to_http_proxy,
        }
    }
}

impl Connection for ProxyAwareStream {
    fn connected(&self) -> Connected {
        self.inner.connected().proxy(self.to_http_proxy)
    }
}

impl Read for ProxyAwareStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for ProxyAwareStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

/// A failed `CONNECT` tunnel, marked so the error mapping can tell it apart.
///
/// hyper-util does not export its tunnel error type. Its variants that carry a cause are
/// failures to reach the proxy (refused, DNS, connect timeout, I/O); those without one are
/// the proxy's own answer (407, any other non-200 status, a malformed or missing reply).
#[derive(Debug)]
pub(crate) struct ProxyTunnelError {
    inner: BoxError,
}

impl ProxyTunnelError {
    fn new(inner: impl Into<BoxError>) -> Self {
        Self {
            inner: inner.into(),
        }
    }

    /// Whether the proxy was reached and declined (rather than unreachable).
    pub(crate) fn proxy_refused(&self) -> bool {
        self.inner.source().is_none()
    }
}

impl fmt::Display for ProxyTunnelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy CONNECT failed: {}", self.inner)
    }
}

impl StdError for ProxyTunnelError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.inner)
    }
}
