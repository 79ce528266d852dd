//! [`HyperTransportBuilder`]: every knob of the hyper transport, with finite defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnectorBuilder;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::connector::ProxyConnector;
use super::tls::{self, TlsRoots};
use super::{HyperTransport, Settings};
use crate::TransportError;
use crate::proxy::ProxyConfig;

/// Default limit for establishing a TCP connection (per attempt).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit for a whole exchange: connect, TLS, send, and read the full response.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit on a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;
/// Default time an idle pooled connection is kept.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Where the proxy settings come from.
#[derive(Clone)]
enum ProxySource {
    /// Read `HTTPS_PROXY` & co. when `build()` runs.
    Environment,
    /// Set in code.
    Explicit(ProxyConfig),
    /// Always connect directly.
    Direct,
}

/// Configures and builds a [`HyperTransport`]. Made by [`HyperTransport::builder`].
///
/// Every limit is finite by default: connect 10 s, whole request 30 s, response body
/// 16 MiB, idle pooled connections 90 s.
///
/// ```
/// use std::time::Duration;
/// use ipv_transport::{HyperTransport, ProxyConfig};
///
/// let transport = HyperTransport::builder()
///     .connect_timeout(Duration::from_secs(3))
///     .request_timeout(Duration::from_secs(15))
///     .max_response_body(1024 * 1024)
///     .proxy(ProxyConfig::new().https("http://proxy.internal:3128"))
///     .build()?;
/// assert_eq!(transport.request_timeout(), Duration::from_secs(15));
/// # Ok::<(), ipv_transport::TransportError>(())
/// ```
#[derive(Clone)]
pub struct HyperTransportBuilder {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_body: usize,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    proxy: ProxySource,
    tls_roots: TlsRoots,
    added_roots: Vec<Vec<u8>>,
    http2_prior_knowledge: bool,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            pool_max_idle_per_host: usize::MAX,
            proxy: ProxySource::Environment,
            tls_roots: TlsRoots::default(),
            added_roots: Vec::new(),
            http2_prior_knowledge: false,
        }
    }
}

impl HyperTransportBuilder {
    /// A builder with the defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The limit for establishing one TCP connection (default 10 s). When it passes, the
    /// error is a [`Timeout`](crate::TransportErrorKind::Timeout) and the request was not
    /// sent. When a host resolves to several addresses, hyper-util shares the limit
    /// evenly among them. DNS lookup, the TLS handshake and a proxy's `CONNECT` answer
    /// are bounded by the [`request_timeout`](Self::request_timeout), which also bounds
    /// this one.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The limit for a whole exchange, from the call to `send` until the last byte of the
    /// response body (default 30 s). Must be greater than zero.
    ///
    /// It applies to requests that carry no deadline of their own: a request with a
    /// [`RequestTimeout`](crate::RequestTimeout) extension (every request of an
    /// `ipv_api::Client`, carrying the client's timeout) runs for that deadline plus
    /// [`RequestTimeout::GRACE`](crate::RequestTimeout::GRACE) instead, longer or
    /// shorter than this.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes (default 16 MiB). A larger one fails
    /// with [`BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge); a declared
    /// `Content-Length` over the limit fails before the body is read.
    #[must_use]
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s); `None` keeps idle
    /// connections until the server closes them.
    #[must_use]
    pub fn pool_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// The most idle connections kept per host (default: no limit); 0 disables pooling.
    #[must_use]
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Whether to read the proxy from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` when [`build`](Self::build) runs (default `true`). `false` connects
    /// directly, unless [`proxy`](Self::proxy) is set afterwards. See
    /// [`crate::proxy`] for what is supported.
    #[must_use]
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy = if enabled {
            ProxySource::Environment
        } else {
            ProxySource::Direct
        };
        self
    }

    /// Uses these proxy settings instead of the environment.
    #[must_use]
    pub fn proxy(mut self, config: ProxyConfig) -> Self {
        self.proxy = ProxySource::Explicit(config);
        self
    }

    /// Connects directly to every destination, ignoring the environment and any earlier
    /// [`proxy`](Self::proxy) call.
    #[must_use]
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySource::Direct;
        self
    }

    /// Which root certificates to trust (default [`TlsRoots::WebPki`]).
    #[must_use]
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.tls_roots = roots;
        self
    }

    /// Also trusts this CA certificate (DER-encoded X.509), for a private CA or a test
    /// server. Checked by [`build`](Self::build).
    #[must_use]
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.added_roots.push(der.into());
        self
    }

    /// Speaks HTTP/2 without negotiation: on `http://` ("h2c" with prior knowledge) and,
    /// on `https://`, by offering only `h2` in ALPN (default `false`: `https://`
    /// negotiates HTTP/2 or HTTP/1.1, `http://` uses HTTP/1.1).
    #[must_use]
    pub fn http2_prior_knowledge(mut self, enabled: bool) -> Self {
        self.http2_prior_knowledge = enabled;
        self
    }

    /// Builds the transport. No connection is made yet.
    ///
    /// # Errors
    ///
    /// An error of kind [`Other`](crate::TransportErrorKind::Other) for a zero request
    /// timeout, an invalid or unsupported proxy URL (naming the variable or setter), an
    /// unusable added root certificate, or (with `native-roots`) an empty system store.
    pub fn build(self) -> Result<HyperTransport, TransportError> {
        if self.request_timeout.is_zero() {
            return Err(TransportError::other(
                "the request timeout must be greater than zero",
            ));
        }
        let proxy_config = match &self.proxy {
            ProxySource::Environment => Some(ProxyConfig::from_env()),
            ProxySource::Explicit(config) => Some(config.clone()),
            ProxySource::Direct => None,
        };
        let proxies = match &proxy_config {
            Some(config) => config.compile()?.map(Arc::new),
            None => None,
        };

        let mut tcp = HttpConnector::new();
        // The TLS layer above hands https:// destinations down, so the TCP connector
        // must accept any scheme.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(self.connect_timeout));

        let tls = tls::client_config(self.tls_roots, &self.added_roots)?;
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let connector = if self.http2_prior_knowledge {
            https.enable_http2()
        } else {
            https.enable_all_versions()
        }
        .wrap_connector(ProxyConnector::new(tcp, proxies.clone()));

        let mut client = Client::builder(TokioExecutor::new());
        client
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .http2_only(self.http2_prior_knowledge);
        let client = client.build::<_, Full<Bytes>>(connector);

        Ok(HyperTransport {
            client,
            settings: Arc::new(Settings {
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
                max_response_body: self.max_response_body,
                proxies,
                proxy_config,
                tls_roots: self.tls_roots,
                added_roots: self.added_roots.len(),
                http2_prior_knowledge: self.http2_prior_knowledge,
            }),
        })
    }
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy: &dyn fmt::Debug = match &self.proxy {
            ProxySource::Environment => &"from environment",
            ProxySource::Explicit(config) => config,
            ProxySource::Direct => &"direct",
        };
        f.debug_struct("HyperTransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_response_body", &self.max_response_body)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("proxy", proxy)
            .field("tls_roots", &self.tls_roots)
            .field("added_roots", &self.added_roots.len())
            .field("http2_prior_knowledge", &self.http2_prior_knowledge)
            .finish()
    }
}
