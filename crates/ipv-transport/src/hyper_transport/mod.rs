//! [`HyperTransport`]: hyper 1 + hyper-util's pooled client + rustls.

mod builder;
mod classify;
mod connector;
mod tls;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, PROXY_AUTHORIZATION};
use http::uri::Scheme;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;

pub use builder::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, HyperTransportBuilder,
};
pub use tls::TlsRoots;

use self::classify::destination;
use self::connector::ProxyConnector;
use crate::proxy::{ProxyConfig, ProxyRules};
use crate::{BoxFuture, HttpTransport, RequestTimeout, TransportError};

/// The default transport: hyper 1 and hyper-util's pooled client, HTTPS through rustls.
///
/// - HTTP/1.1 and HTTP/2 (negotiated by ALPN on `https://`; on `http://` with
///   [`http2_prior_knowledge`](HyperTransportBuilder::http2_prior_knowledge)).
/// - TLS by rustls with the ring provider and Mozilla's roots (or the system's, or a
///   private CA: [`TlsRoots`]); TLS 1.2 and 1.3.
/// - Connections are pooled per scheme + host + port and reused across requests and
///   clones (cloning is cheap).
/// - Finite limits: connect timeout, whole-request timeout, response body size (see
///   [`HyperTransportBuilder`]).
/// - `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY`, as described in
///   [`crate::proxy`].
///
/// Any status is an `Ok` response. Errors are classified as
/// [`Connect`](crate::TransportErrorKind::Connect) (refused, DNS, TLS handshake: not
/// sent), [`Timeout`](crate::TransportErrorKind::Timeout),
/// [`Io`](crate::TransportErrorKind::Io) (failed mid-exchange: maybe sent),
/// [`BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge) and
/// [`Other`](crate::TransportErrorKind::Other) (a URI that is not absolute `http`/`https`,
/// a proxy that refuses the tunnel).
///
/// Needs a Tokio runtime with the time driver enabled.
#[derive(Clone)]
pub struct HyperTransport {
    client: Client<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    settings: Arc<Settings>,
}

/// What `send` needs besides the client, and what `Debug` shows.
struct Settings {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_body: usize,
    proxies: Option<Arc<ProxyRules>>,
    proxy_config: Option<ProxyConfig>,
    tls_roots: TlsRoots,
    added_roots: usize,
    http2_prior_knowledge: bool,
}

impl HyperTransport {
    /// A builder with finite defaults (connect 10 s, request 30 s, body 16 MiB).
    #[must_use]
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::new()
    }

    /// A transport with every default, reading the proxy from the environment.
    ///
    /// # Errors
    ///
    /// As [`HyperTransportBuilder::build`]: a proxy variable that is invalid or
    /// unsupported.
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }

    /// The configured connect timeout.
    #[must_use]
    pub fn connect_timeout(&self) -> Duration {
        self.settings.connect_timeout
    }

    /// The configured whole-request timeout.
    #[must_use]
    pub fn request_timeout(&self) -> Duration {
        self.settings.request_timeout
    }

    /// The configured response body limit in bytes.
    #[must_use]
    pub fn max_response_body(&self) -> usize {
        self.settings.max_response_body
    }

    /// Checks the URI and adds the proxy's credentials to plain-http requests that go to
    /// an HTTP proxy (https ones carry them on the `CONNECT` instead).
    fn prepare(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Request<Full<Bytes>>, TransportError> {
        let uri = req.uri();
        let scheme = uri.scheme().ok_or_else(|| {
            TransportError::other(
                "the request URI must be absolute (http:// or https://), it has no scheme",
            )
        })?;
        let is_http = *scheme == Scheme::HTTP;
        if !is_http && *scheme != Scheme::HTTPS {
            return Err(TransportError::other(format!(
                "unsupported URI scheme `{scheme}` (only http and https)"
            )));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(TransportError::other(
                "the request URI must be absolute, it has no host",
            ));
        }
        let mut req = req;
        if is_http
            && let Some(intercept) = self
                .settings
                .proxies
                .as_ref()
                .and_then(|rules| rules.intercept(req.uri()))
            && let Some(auth) = intercept.basic_auth()
        {
            req.headers_mut()
                .entry(PROXY_AUTHORIZATION)
                .or_insert_with(|| auth.clone());
        }
        Ok(req.map(Full::new))
    }
}

impl HttpTransport for HyperTransport {
    fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> BoxFuture<'static, Result<http::Response<Bytes>, TransportError>> {
        let prepared = self.prepare(req);
        let client = self.client.clone();
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let req = prepared?;
            let uri = req.uri().clone();
            // The caller's own deadline, when it sent one, replaces the configured limit.
            let limit = RequestTimeout::limit_for(&req, settings.request_timeout);
            let exchange = exchange(&client, req, &settings);
            match tokio::time::timeout(limit, exchange).await {
                Ok(result) => result,
                Err(_elapsed) => Err(TransportError::timeout(format!(
                    "no complete response from {} within {limit:?}",
                    destination(&uri),
                ))),
            }
        })
    }
}

/// Sends the request and reads the whole body within the size limit.
async fn exchange(
    client: &Client<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    req: http::Request<Full<Bytes>>,
    settings: &Settings,
) -> Result<http::Response<Bytes>, TransportError> {
    let uri = req.uri().clone();
    let limit = settings.max_response_body;
    let response = client
        .request(req)
        .await
        .map_err(|err| classify::client_error(err, &uri, settings.connect_timeout))?;
    let (parts, body) = response.into_parts();
    let declared_length = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > limit as u64) {
        return Err(classify::body_too_large(&destination(&uri), limit));
    }
    let body = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|err| classify::body_error(err, &uri, limit))?
        .to_bytes();
    Ok(http::Response::from_parts(parts, body))
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("HyperTransport")
            .field("connect_timeout", &s.connect_timeout)
            .field("request_timeout", &s.request_timeout)
            .field("max_response_body", &s.max_response_body)
            .field("proxy", &s.proxy_config)
            .field("tls_roots", &s.tls_roots)
            .field("added_roots", &s.added_roots)
            .field("http2_prior_knowledge", &s.http2_prior_knowledge)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind;

    fn transport() -> HyperTransport {
        HyperTransport::builder().no_proxy().build().unwrap()
    }

    fn request(uri: &str) -> http::Request<Bytes> {
        http::Request::get(uri).body(Bytes::new()).unwrap()
    }

    #[test]
    fn relative_uris_are_rejected_before_sending() {
        let err = transport()
            .prepare(request("/api/open/app/info/v2"))
            .unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.message().contains("no scheme"), "{err}");
    }

    #[test]
    fn other_schemes_are_rejected_before_sending() {
        let err = transport()
            .prepare(request("ftp://example.com/x"))
            .unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.message().contains("`ftp`"), "{err}");
    }

    #[test]
    fn http_requests_to_a_proxy_carry_its_credentials() {
        let transport = HyperTransport::builder()
            .proxy(ProxyConfig::new().http("http://u:p@proxy.test:3128"))
            .build()
            .unwrap();
        let prepared = transport
            .prepare(request("http://api.example.com/x"))
            .unwrap();
        assert_eq!(
            prepared.headers()[PROXY_AUTHORIZATION],
            "Basic dTpw" // base64("u:p")
        );
        // https requests send the credentials on the CONNECT, never to the destination.
        let transport = HyperTransport::builder()
            .proxy(ProxyConfig::new().all("http://u:p@proxy.test:3128"))
            .build()
            .unwrap();
        let prepared = transport
            .prepare(request("https://api.example.com/x"))
            .unwrap();
        assert!(prepared.headers().get(PROXY_AUTHORIZATION).is_none());
    }

    #[test]
    fn the_callers_deadline_replaces_the_configured_limit() {
        let configured = Duration::from_secs(30);
        let mut req = request("http://127.0.0.1:9/x");
        assert_eq!(RequestTimeout::limit_for(&req, configured), configured);
        req.extensions_mut()
            .insert(RequestTimeout(Duration::from_secs(45)));
        assert_eq!(
            RequestTimeout::limit_for(&req, configured),
            Duration::from_secs(45) + RequestTimeout::GRACE
        );
        // The extension survives `prepare`, which the exchange reads it after.
        let prepared = transport().prepare(req).unwrap();
        assert_eq!(
            RequestTimeout::limit_for(&prepared, configured),
            Duration::from_secs(46)
        );
    }

    #[test]
    fn zero_request_timeout_is_rejected() {
        let err = HyperTransport::builder()
            .request_timeout(Duration::ZERO)
            .no_proxy()
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
    }

    #[test]
    fn defaults_are_finite() {
        let transport = transport();
        assert_eq!(transport.connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(transport.request_timeout(), Duration::from_secs(30));
        assert_eq!(transport.max_response_body(), 16 * 1024 * 1024);
    }

    #[test]
    fn debug_shows_settings_but_not_proxy_passwords() {
        let transport = HyperTransport::builder()
            .proxy(ProxyConfig::new().https("http://user:hunter2@proxy.test:3128"))
            .build()
            .unwrap();
        let shown = format!("{transport:?}");
        assert!(shown.contains("request_timeout: 30s"), "{shown}");
        assert!(shown.contains("proxy.test:3128"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let builder = format!("{:?}", HyperTransport::builder());
        assert!(builder.contains("from environment"), "{builder}");
    }
}
