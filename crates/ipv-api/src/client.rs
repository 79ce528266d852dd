//! The [`Client`] and its [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue, USER_AGENT};
use ipv_crypto::{Key, KeyLengthError};
use ipv_transport::{HttpTransport, RequestTimeout, SharedTransport, TransportError};
use ipv_types::{OrderReceipt, OrderRequest};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::codec;
use crate::endpoint::{Endpoint, path_for};
use crate::error::{ApiError, Error, InvalidInput};
use crate::req_id::ReqIdProvider;
use crate::retry::RetryPolicy;

/// The platform's published base URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://sandbox.ipipv.com`, for testing.
    Sandbox,
    /// `https://api.ipipv.com`, the real platform.
    Production,
}

impl Environment {
    /// The base URL.
    #[must_use]
    pub const fn base_url(self) -> &'static str {
        match self {
            Self::Sandbox => "https://sandbox.ipipv.com",
            Self::Production => "https://api.ipipv.com",
        }
    }
}

/// Default per-request timeout (each attempt; retries get their own).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default `User-Agent`: `ipv-rust/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("ipv-rust/", env!("CARGO_PKG_VERSION"));

/// A [`ClientBuilder`] could not build a client.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A required setting was not given.
    Missing(&'static str),
    /// The app secret is not 16, 24 or 32 bytes long.
    Secret(KeyLengthError),
    /// The base URL is not an absolute `http` or `https` URL.
    BaseUrl(String),
    /// The user agent is not a valid header value.
    UserAgent,
    /// The default transport could not be built.
    Transport(TransportError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(what) => write!(f, "client setting `{what}` is required"),
            Self::Secret(e) => e.fmt(f),
            Self::BaseUrl(why) => write!(f, "invalid base URL: {why}"),
            Self::UserAgent => f.write_str("the user agent is not a valid HTTP header value"),
            Self::Transport(e) => write!(f, "could not build the default transport: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Secret(e) => Some(e),
            Self::Transport(e) => Some(e),
            _ => None,
        }
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
pub struct ClientBuilder {
    base_url: Option<String>,
    app_key: Option<String>,
    key: Option<Result<Key, KeyLengthError>>,
    transport: Option<SharedTransport>,
    timeout: Duration,
    retry: RetryPolicy,
    req_ids: ReqIdProvider,
    user_agent: String,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("app_key", &self.app_key)
            .field("app_secret", &self.key.as_ref().map(|_| "[redacted]"))
            .field("transport", &self.transport)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("req_ids", &self.req_ids)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: None,
            app_key: None,
            key: None,
            transport: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            req_ids: ReqIdProvider::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

impl ClientBuilder {
    /// Use one of the platform's published base URLs.
    #[must_use]
    pub fn environment(self, environment: Environment) -> Self {
        self.base_url(environment.base_url())
    }

    /// Use any base URL (an emulator, a proxy): `http://127.0.0.1:8080`. Endpoint
    /// paths are appended to it.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The app's public id (`appKey`).
    #[must_use]
    pub fn app_key(mut self, app_key: impl Into<String>) -> Self {
        self.app_key = Some(app_key.into());
        self
    }

    /// The app secret's bytes (16, 24 or 32). Kept only as a zeroizing [`Key`].
    #[must_use]
    pub fn app_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.key = Some(Key::new(secret.as_ref()));
        self
    }

    /// A key made elsewhere, instead of [`ClientBuilder::app_secret`].
    #[must_use]
    pub fn key(mut self, key: Key) -> Self {
        self.key = Some(Ok(key));
        self
    }

    /// The HTTP transport (default: `HyperTransport` with the `hyper` feature).
    #[must_use]
    pub fn transport(mut self, transport: impl HttpTransport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// A transport already shared with other clients.
    #[must_use]
    pub fn shared_transport(mut self, transport: SharedTransport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// How long one attempt may take before it fails with [`Error::Timeout`] (default
    /// 30 s). Each retry gets the full timeout again.
    ///
    /// This timeout is the one that counts: every request carries it to the transport
    /// (as an [`ipv_transport::RequestTimeout`] extension), and the default transport
    /// then lets the request run for it rather than for its own, possibly shorter,
    /// whole-request limit.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Where reqIds come from (default: [`ReqIdProvider::random`]).
    #[must_use]
    pub fn req_id_provider(mut self, provider: ReqIdProvider) -> Self {
        self.req_ids = provider;
        self
    }

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`]).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`BuildError`] for a missing base URL, app key or secret, a secret of the wrong
    /// length, a base URL that is not absolute http(s), or a default transport that
    /// cannot be built (or none at all without the `hyper` feature).
    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = normalize_base_url(&self.base_url.ok_or(BuildError::Missing("base_url"))?)?;
        let app_key = self.app_key.ok_or(BuildError::Missing("app_key"))?;
        if app_key.is_empty() {
            return Err(BuildError::Missing("app_key"));
        }
        let key = self
            .key
            .ok_or(BuildError::Missing("app_secret"))?
            .map_err(BuildError::Secret)?;
        let user_agent =
            HeaderValue::from_str(&self.user_agent).map_err(|_| BuildError::UserAgent)?;
        let transport = match self.transport {
            Some(t) => t,
            None => default_transport()?,
        };
        Ok(Client {
            inner: Arc::new(ClientInner {
                base_url,
                app_key,
                key,
                transport,
                timeout: self.timeout,
                retry: self.retry,
                req_ids: self.req_ids,
                user_agent,
            }),
        })
    }
}

#[cfg(feature = "hyper")]
fn default_transport() -> Result<SharedTransport, BuildError> {
    let transport = ipv_transport::HyperTransport::new().map_err(BuildError::Transport)?;
    Ok(Arc::new(transport))
}

#[cfg(not(feature = "hyper"))]
fn default_transport() -> Result<SharedTransport, BuildError> {
    Err(BuildError::Missing(
        "transport (the `hyper` feature is off)",
    ))
}

fn normalize_base_url(url: &str) -> Result<String, BuildError> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e: http::uri::InvalidUri| BuildError::BaseUrl(e.to_string()))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(BuildError::BaseUrl(
                "the scheme must be http or https".into(),
            ));
        }
    }
    if uri.authority().is_none() {
        return Err(BuildError::BaseUrl("a host is required".into()));
    }
    if uri.query().is_some() {
        return Err(BuildError::BaseUrl("a query string is not allowed".into()));
    }
    Ok(trimmed.to_owned())
}

struct ClientInner {
    base_url: String,
    app_key: String,
    key: Key,
    transport: SharedTransport,
    timeout: Duration,
    retry: RetryPolicy,
    req_ids: ReqIdProvider,
    user_agent: HeaderValue,
}

/// A client of the ipipv open API. Cheap to clone; clones share the transport.
///
/// ```no_run
/// use ipv_api::{Client, Environment};
/// use ipv_types::{ProductsRequest, ProxyType};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder()
///     .environment(Environment::Sandbox)
///     .app_key("AK20240708150154")
///     .app_secret("qwertyuiop123456")
///     .build()?;
/// let info = client.app_info().await?;
/// println!("{} has {} coins", info.app_name, info.coin);
/// let products = client
///     .products(&ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]))
///     .await?;
/// println!("{} products", products.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("app_key", &self.inner.app_key)
            .field("app_secret", &"[redacted]")
            .field("transport", &self.inner.transport)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("req_ids", &self.inner.req_ids)
            .finish()
    }
}

/// A successful call's value with the call's reqId and how many attempts it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    /// The decoded response.
    pub value: T,
    /// The reqId sent (on every attempt).
    pub req_id: String,
    /// Attempts made, the successful one included (1 = no retry).
    pub attempts: u32,
}

/// What the retry loop needs to know about a call.
struct Call<'a> {
    name: &'a str,
    uri: http::Uri,
    idempotent: bool,
    /// For calls answered with a receipt: the caller's order number the receipt must
    /// name.
    order_no: Option<String>,
    /// For order lookups: the order asked for (its `orderNo`, and the `appOrderNo` the
    /// lookup named, if any), which the answer must be.
    lookup: Option<(String, Option<String>)>,
}

/// The order numbers of a receipt, read beside the typed answer to check the echo.
#[derive(Deserialize)]
struct ReceiptEcho {
    #[serde(rename = "appOrderNo", default)]
    app_order_no: Option<String>,
    #[serde(rename = "orderNo", default)]
    order_no: Option<String>,
}

/// The caller's order number in a request answered with a receipt: `appOrderNo` (open,
/// renew) or, where the request names the caller's order `orderNo` (release,
/// after-sale), that. `None` for every other answer type.
fn sent_order_no<E: Endpoint>(request: &E) -> Option<String> {
    if std::any::type_name::<E::Response>() != std::any::type_name::<OrderReceipt>() {
        return None;
    }
    let value = serde_json::to_value(request).ok()?;
    ["appOrderNo", "orderNo"]
        .iter()
        .find_map(|key| value.get(key)?.as_str().map(str::to_owned))
}

/// The order an `order` lookup asks for: its `orderNo` and the `appOrderNo` it names.
/// `None` for every other request.
fn looked_up_order<E: Endpoint>(request: &E) -> Option<(String, Option<String>)> {
    if std::any::type_name::<E>() != std::any::type_name::<OrderRequest>() {
        return None;
    }
    let value = serde_json::to_value(request).ok()?;
    let order_no = value.get("orderNo")?.as_str()?.to_owned();
    let app_order_no = value
        .get("appOrderNo")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Some((order_no, app_order_no))
}

/// One failed attempt: the error and, for HTTP 429/503, the server's `Retry-After`.
struct Failure {
    error: Error,
    retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

impl Client {
    /// A builder; `base_url` (or `environment`), `app_key` and `app_secret` are required.
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The app key.
    #[must_use]
    pub fn app_key(&self) -> &str {
        &self.inner.app_key
    }

    /// The retry policy.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// This client with another retry policy (same transport, key and reqIds): the
    /// callback receiver re-fetches with no retries, one call per callback.
    pub(crate) fn with_retry_policy(&self, retry: RetryPolicy) -> Self {
        let inner = &*self.inner;
        Self {
            inner: Arc::new(ClientInner {
                base_url: inner.base_url.clone(),
                app_key: inner.app_key.clone(),
                key: inner.key.clone(),
                transport: inner.transport.clone(),
                timeout: inner.timeout,
                retry,
                req_ids: inner.req_ids.clone(),
                user_agent: inner.user_agent.clone(),
            }),
        }
    }

    /// A fresh reqId from the client's provider.
    #[must_use]
    pub fn next_req_id(&self) -> String {
        self.inner.req_ids.next_id()
    }

    /// Sends any endpoint's request and returns its decoded response.
    ///
    /// The request is validated first (nothing is sent if it breaks a rule), sealed
    /// once, and sent with the client's retry policy; every attempt carries the same
    /// reqId and byte-identical body.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        self.send_with_meta(request).await.map(|reply| reply.value)
    }

    /// As [`Client::send`], also returning the reqId and the number of attempts.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn send_with_meta<E: Endpoint>(
        &self,
        request: &E,
    ) -> Result<Reply<E::Response>, Error> {
        let req_id = self.inner.req_ids.next_id();
        self.send_with_req_id(request, req_id).await
    }

    /// As [`Client::send_with_meta`] with a reqId of the caller's choosing, for callers
    /// that keep their own idempotency keys (resending a call after a restart).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn send_with_req_id<E: Endpoint>(
        &self,
        request: &E,
        req_id: impl Into<String>,
    ) -> Result<Reply<E::Response>, Error> {
        let req_id = req_id.into();
        request.validate()?;
        let params = E::HAS_PARAMS.then_some(request);
        let body = codec::seal_request(&self.inner.key, &self.inner.app_key, &req_id, params)?;
        let call = Call {
            name: E::NAME,
            uri: self.uri_for(E::PATH)?,
            idempotent: E::IDEMPOTENT,
            order_no: sent_order_no(request),
            lookup: looked_up_order(request),
        };
        self.execute(call, body, req_id).await
    }

    /// Sends untyped JSON to any path, for endpoints the vendor adds before this SDK
    /// does. `path` is a full path (`/api/open/app/order/v2`) or a path middle
    /// (`order`). `Value::Null` sends empty params. Such calls count as not
    /// idempotent for retries.
    ///
    /// # Errors
    /// See [`Error`]; an unusable `path` is [`Error::InvalidInput`].
    pub async fn send_raw(
        &self,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            path_for(path)
        };
        let req_id = self.inner.req_ids.next_id();
        let params = (!params.is_null()).then_some(params);
        let body = codec::seal_request(&self.inner.key, &self.inner.app_key, &req_id, params)?;
        let call = Call {
            name: "raw",
            uri: self.uri_for(&path)?,
            idempotent: false,
            order_no: None,
            lookup: None,
        };
        self.execute::<serde_json::Value>(call, body, req_id)
            .await
            .map(|reply| reply.value)
    }

    fn uri_for(&self, path: &str) -> Result<http::Uri, Error> {
        format!("{}{path}", self.inner.base_url)
            .parse()
            .map_err(|_| {
                InvalidInput::new("path", format!("`{path}` is not a valid URL path")).into()
            })
    }

    /// The retry loop around [`Client::attempt`].
    async fn execute<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        body: Bytes,
        req_id: String,
    ) -> Result<Reply<T>, Error> {
        let span = tracing::info_span!(
            "ipv_api.call",
            endpoint = call.name,
            req_id = %req_id,
            attempts = tracing::field::Empty,
            outcome = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        async {
            let policy = &self.inner.retry;
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                let result = self.attempt::<T>(&call, &body, &req_id, attempt).await;
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                match result {
                    Ok(value) => {
                        span.record("outcome", "ok");
                        return Ok(Reply {
                            value,
                            req_id,
                            attempts: attempt,
                        });
                    }
                    Err(Failure { error, retry_after }) => {
                        let repeat_safe = call.idempotent
                            || policy.retries_non_idempotent()
                            || certainly_unprocessed(&error);
                        if !(error.is_retryable() && repeat_safe && attempt < policy.max_attempts())
                        {
                            span.record("outcome", outcome_name(&error));
                            tracing::debug!(error = %error, "call failed");
                            return Err(error);
                        }
                        let wait = retry_after
                            .map_or_else(|| policy.backoff(attempt), |after| {
                                after.min(policy.backoff_ceiling(u32::MAX))
                            });
                        tracing::debug!(attempt, error = %error, wait_ms = wait.as_millis() as u64, "retrying");
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One HTTP exchange, with the per-request timeout.
    async fn attempt<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        body: &Bytes,
        req_id: &str,
        attempt: u32,
    ) -> Result<T, Failure> {
        let inner = &*self.inner;
        let mut request = http::Request::new(body.clone());
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = call.uri.clone();
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, inner.user_agent.clone());
        // The transport must not give up before this client's own timeout does.
        request
            .extensions_mut()
            .insert(RequestTimeout(inner.timeout));

        tracing::trace!(attempt, "sending");
        let response =
            match tokio::time::timeout(inner.timeout, inner.transport.send(request)).await {
                Err(_elapsed) => {
                    return Err(Error::Timeout {
                        after: inner.timeout,
                        req_id: req_id.to_owned(),
                    }
                    .into());
                }
                Ok(Err(source)) => {
                    return Err(Error::Transport {
                        source,
                        req_id: req_id.to_owned(),
                    }
                    .into());
                }
                Ok(Ok(response)) => response,
            };
        let status = response.status().as_u16();
        tracing::Span::current().record("status", status);
        if status >= 400 {
            let retry_after = retry_after(response.headers());
            return Err(Failure {
                error: Error::http(status, response.body(), req_id),
                retry_after,
            });
        }
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok());
            return Err(Error::redirect(status, location, req_id).into());
        }
        let decode_error = |source| Error::Decode {
            source,
            req_id: req_id.to_owned(),
        };
        let opened =
            codec::open_response::<T>(&inner.key, response.body()).map_err(decode_error)?;
        // An answer must name the reqId sent. The one exception: an error code with no
        // reqId at all, which a server sends when it could not read the request (a wrong
        // secret: code 10001); it carries no data, and its code is the useful answer.
        let unread_request = opened.req_id.is_empty() && !opened.code.is_ok();
        if opened.req_id != req_id && !unread_request {
            return Err(Error::req_id_mismatch(req_id, &opened.req_id).into());
        }
        if let (Some(sent), true) = (&call.order_no, opened.code.is_ok()) {
            // Read the receipt's order numbers beside the typed value (a receipt is a few
            // dozen bytes, so opening it twice costs nothing worth keeping a copy for).
            let echo = codec::open_response::<ReceiptEcho>(&inner.key, response.body())
                .map_err(decode_error)?;
            let echo = echo.data.unwrap_or(ReceiptEcho {
                app_order_no: None,
                order_no: None,
            });
            let answered = echo.app_order_no.unwrap_or_default();
            if answered != *sent {
                return Err(Error::order_mismatch(
                    sent,
                    &answered,
                    echo.order_no.as_deref().unwrap_or_default(),
                    req_id,
                )
                .into());
            }
        }
        if let (Some((asked, asked_app)), true) = (&call.lookup, opened.code.is_ok()) {
            // An order lookup must answer with the order asked for: a stranger's order
            // (a confused or hostile server) is not shown as ours.
            let echo = codec::open_response::<ReceiptEcho>(&inner.key, response.body())
                .map_err(decode_error)?;
            let (answered, answered_app) = echo
                .data
                .map(|e| {
                    (
                        e.order_no.unwrap_or_default(),
                        e.app_order_no.unwrap_or_default(),
                    )
                })
                .unwrap_or_default();
            // A lookup naming the same number as both is one by the caller's number
            // (the platform's own number is not known yet): the answer's appOrderNo
            // must be it. Otherwise the platform's number must match, and the
            // caller's too where the lookup names one.
            let by_app_number = asked_app.as_deref() == Some(asked.as_str());
            let app_differs = asked_app.as_ref().is_some_and(|app| *app != answered_app);
            if app_differs || (!by_app_number && answered != *asked) {
                return Err(Error::wrong_order(
                    asked,
                    asked_app.as_deref(),
                    &answered,
                    &answered_app,
                    req_id,
                )
                .into());
            }
        }
        match opened.data {
            Some(value) if opened.code.is_ok() => Ok(value),
            _ => Err(Error::Api(ApiError {
                code: opened.code,
                msg: opened.msg,
                req_id: req_id.to_owned(),
            })
            .into()),
        }
    }
}

/// Failures after which the platform certainly did not act on the request.
fn certainly_unprocessed(error: &Error) -> bool {
    match error {
        Error::Transport { source, .. } => source.is_connect(),
        Error::Http { status, .. } => *status == 429,
        _ => false,
    }
}

fn outcome_name(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput(_) => "invalid_input",
        Error::Encode(_) => "encode_error",
        Error::Transport { .. } => "transport_error",
        Error::Timeout { .. } => "timeout",
        Error::Http { .. } => "http_error",
        Error::Redirect { .. } => "redirect",
        Error::ReqIdMismatch { .. } => "req_id_mismatch",
        Error::OrderMismatch { .. } => "order_mismatch",
        Error::WrongOrder { .. } => "wrong_order",
        Error::OrderReused { .. } => "order_reused",
        Error::Decode { .. } => "decode_error",
        Error::Api(_) => "api_error",
        Error::Pagination { .. } => "pagination_error",
        Error::WaitTimedOut { .. } => "wait_timed_out",
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by API gateways we know).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        assert_eq!(
            normalize_base_url("https://sandbox.ipipv.com/").unwrap(),
            "https://sandbox.ipipv.com"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:9000/prefix").unwrap(),
            "http://127.0.0.1:9000/prefix"
        );
        for bad in ["", "sandbox.ipipv.com", "ftp://x", "http://x/?q=1", "/path"] {
            assert!(
                matches!(normalize_base_url(bad), Err(BuildError::BaseUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn builder_requires_its_settings() {
        let err = Client::builder()
            .app_key("k")
            .app_secret([1u8; 16])
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::Missing("base_url")));
        let err = Client::builder()
            .environment(Environment::Sandbox)
            .app_secret([1u8; 16])
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::Missing("app_key")));
        let err = Client::builder()
            .environment(Environment::Sandbox)
            .app_key("k")
            .app_secret("short")
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::Secret(KeyLengthError { len: 5 })));
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static(" 3 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
