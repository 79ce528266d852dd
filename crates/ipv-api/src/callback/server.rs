//! A ready, hardened HTTP server for callbacks (feature `server`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use ipv_types::CallbackAck;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::limits::source_of;
use super::{CallbackHandler, CallbackReceiver, CallbackReply, Cidr};

/// The limits of a [`CallbackServer`]. Every field has a default fit for the internet;
/// change them with the `with_*` methods.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How long a client may take to send a request's headers (default 10 s); slower
    /// connections are closed. Applies to each request on a connection.
    pub header_read_timeout: Duration,
    /// How long a connection may sit idle between requests (default 30 s).
    pub idle_timeout: Duration,
    /// How long one request may take, handler included (default 60 s). Past it the
    /// answer is "retry later"; the run itself goes on and records its outcome.
    pub request_timeout: Duration,
    /// How many connections are served at once (default 512). Past it, a new
    /// connection is accepted and closed at once, so descriptors stay free.
    pub max_connections: usize,
    /// How many of those one source may hold (default 32; a source is an IPv4
    /// address or an IPv6 /64). Past it, the source's new connections are closed at
    /// once, so one peer cannot take every slot. Behind a reverse proxy every
    /// connection comes from the proxy: raise it to `max_connections` there.
    pub max_connections_per_peer: usize,
    /// When not empty, only connections from these networks are served; others are
    /// closed before a byte is read (default: empty, everyone).
    pub allow_from: Vec<Cidr>,
    /// The longest query string accepted, in bytes (default 2,048); longer gets 414.
    pub max_query_len: usize,
    /// How long [`CallbackServer::shutdown`] waits for requests and runs in progress
    /// (default 15 s). What has not finished by then is not acknowledged.
    pub shutdown_deadline: Duration,
    /// When set, only `/<token>` and `/<token>/...` are served; every other path gets
    /// 404. Register the callback URL with the token in it.
    pub path_token: Option<String>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_peer", &self.max_connections_per_peer)
            .field("allow_from", &self.allow_from)
            .field("max_query_len", &self.max_query_len)
            .field("shutdown_deadline", &self.shutdown_deadline)
            // The token is a secret: say only whether there is one.
            .field(
                "path_token",
                &self.path_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_connections_per_peer: 32,
            allow_from: Vec::new(),
            max_query_len: 2048,
            shutdown_deadline: Duration::from_secs(15),
            path_token: None,
        }
    }
}

impl ServerConfig {
    /// The longest path token accepted.
    pub const MAX_PATH_TOKEN_LEN: usize = 128;

    /// Sets [`header_read_timeout`](Self::header_read_timeout).
    #[must_use]
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets [`max_connections_per_peer`](Self::max_connections_per_peer) (at least 1).
    #[must_use]
    pub fn with_max_connections_per_peer(mut self, max: usize) -> Self {
        self.max_connections_per_peer = max.max(1);
        self
    }

    /// Adds a network to [`allow_from`](Self::allow_from): once any is given, only
    /// connections from the networks given are served.
    #[must_use]
    pub fn allow_from(mut self, network: Cidr) -> Self {
        self.allow_from.push(network);
        self
    }

    /// Sets [`max_query_len`](Self::max_query_len).
    #[must_use]
    pub fn with_max_query_len(mut self, max: usize) -> Self {
        self.max_query_len = max;
        self
    }

    /// Sets [`shutdown_deadline`](Self::shutdown_deadline).
    #[must_use]
    pub fn with_shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = deadline;
        self
    }

    /// Sets [`path_token`](Self::path_token): 16 to 128 characters of `A-Z a-z 0-9 - _`
    /// (checked by [`CallbackServer::bind_with`]). Draw it at random, e.g. 32 hex digits.
    #[must_use]
    pub fn with_path_token(mut self, token: impl Into<String>) -> Self {
        self.path_token = Some(token.into());
        self
    }

    fn check(&self) -> std::io::Result<()> {
        let invalid = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg);
        if let Some(token) = &self.path_token {
            let ok_chars = token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if token.len() < 16 || token.len() > Self::MAX_PATH_TOKEN_LEN || !ok_chars {
                return Err(invalid(format!(
                    "callback path token must be 16 to {} characters of A-Z a-z 0-9 - _ (got {} characters)",
                    Self::MAX_PATH_TOKEN_LEN,
                    token.chars().count()
                )));
            }
        }
        if self.header_read_timeout.is_zero() || self.idle_timeout.is_zero() {
            return Err(invalid(
                "callback server timeouts must be longer than zero".to_owned(),
            ));
        }
        Ok(())
    }
}

/// A hyper server answering callbacks with a [`CallbackReceiver`].
///
/// HTTP/1.1, `GET` only (other methods, `HEAD` included, get 405 and never reach the
/// handler), bounded by a [`ServerConfig`]: header-read, idle and request timeouts, a
/// connection cap, a query-length cap, an optional secret path token.
/// [`CallbackServer::shutdown`] stops accepting, lets requests and runs in progress
/// finish within a deadline, and drops the connections of those that did not (so
/// nothing unfinished is acknowledged). Dropping the server also stops it accepting.
///
/// ```no_run
/// use ipv_api::Client;
/// use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, ServerConfig, handler_fn};
///
/// # async fn run(client: Client) -> std::io::Result<()> {
/// let receiver = CallbackReceiver::new(client, handler_fn(|delivery: Delivery| async move {
///     println!("now: {:?}", delivery.fetched);
///     Ok::<(), std::convert::Infallible>(())
/// }));
/// // Register https://your.host/3f9c0e7a5b2d4c18a6e1f0b9d7c2e4a8/ipv/callback with the platform.
/// let config = ServerConfig::default().with_path_token("3f9c0e7a5b2d4c18a6e1f0b9d7c2e4a8");
/// let server = CallbackServer::bind_with("0.0.0.0:8080", receiver, config).await?;
/// println!("listening on {}", server.local_addr());
/// tokio::signal::ctrl_c().await?;
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct CallbackServer {
    local_addr: SocketAddr,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl CallbackServer {
    /// Binds `addr` (port 0 picks a free port) with the default [`ServerConfig`] and
    /// starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// The bind's I/O error.
    pub async fn bind<H: CallbackHandler>(
        addr: impl ToSocketAddrs,
        receiver: CallbackReceiver<H>,
    ) -> std::io::Result<Self> {
        Self::bind_with(addr, receiver, ServerConfig::default()).await
    }

    /// Like [`bind`](Self::bind), with limits of your own.
    ///
    /// # Errors
    /// The bind's I/O error; `InvalidInput` for a malformed path token or a zero
    /// timeout.
    pub async fn bind_with<H: CallbackHandler>(
        addr: impl ToSocketAddrs,
        receiver: CallbackReceiver<H>,
        config: ServerConfig,
    ) -> std::io::Result<Self> {
        config.check()?;
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        if config.path_token.is_none() && !local_addr.ip().is_loopback() {
            tracing::warn!(
                %local_addr,
                "callback server bound without a path token on a non-loopback address: \
                 anyone who finds it can send forged callbacks; set a path token"
            );
        }
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, receiver, Arc::new(config), stopped));
        tracing::info!(%local_addr, "callback server listening");
        Ok(Self {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets requests and runs in progress finish (up to
    /// the configured deadline), then closes what is left without answering it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

async fn serve<H: CallbackHandler>(
    listener: TcpListener,
    receiver: CallbackReceiver<H>,
    config: Arc<ServerConfig>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let peers = Arc::new(PeerCounts::default());
    let mut connections = JoinSet::new();
    let mut refused = Refusals::default();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            biased;
            _ = stop.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                // Each refusal closes at once, so the descriptor is free again.
                if !config.allow_from.is_empty()
                    && !config.allow_from.iter().any(|net| net.contains(peer.ip()))
                {
                    note_refusal(
                        &mut refused.not_allowed,
                        "connection from outside --allow-from closed",
                    );
                    continue;
                }
                let Some(share) = peers.enter(peer.ip(), config.max_connections_per_peer) else {
                    note_refusal(
                        &mut refused.peer_full,
                        "callback peer at its connection cap; closing its new connections",
                    );
                    continue;
                };
                let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                    note_refusal(
                        &mut refused.full,
                        "callback connection cap reached; closing new connections",
                    );
                    continue;
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(
                    stream,
                    peer,
                    receiver.clone(),
                    Arc::clone(&config),
                    stop.clone(),
                    (permit, share),
                ));
            }
            Err(err) => {
                // Usually out of descriptors: pause instead of spinning.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let deadline = Instant::now() + config.shutdown_deadline;
    let drained = tokio::time::timeout_at(deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !drained {
        tracing::warn!(
            open = connections.len(),
            "callback requests still running at the shutdown deadline; closing them unanswered"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    // Runs whose callers went away may still be going: give them the rest of the time.
    if tokio::time::timeout_at(deadline, receiver.wait_idle())
        .await
        .is_err()
    {
        tracing::warn!(
            running = receiver.in_flight(),
            "callback runs still going at the shutdown deadline"
        );
    }
}

/// Connections closed at accept, by reason, for rate-limited warnings.
#[derive(Default)]
struct Refusals {
    not_allowed: u64,
    peer_full: u64,
    full: u64,
}

/// Counts one refusal; warns on the 1st, 2nd, 4th, 8th... of its kind.
fn note_refusal(count: &mut u64, what: &'static str) {
    *count += 1;
    if count.is_power_of_two() {
        tracing::warn!(refused = *count, "{what}");
    }
}

/// Connections served per source (IPv4 address, IPv6 /64).
#[derive(Default)]
struct PeerCounts {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

impl PeerCounts {
    /// A share of `peer`'s cap, or `None` when it holds `max` already.
    fn enter(self: &Arc<Self>, peer: IpAddr, max: usize) -> Option<PeerShare> {
        let source = source_of(peer);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(source).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PeerShare {
            peers: Arc::clone(self),
            source,
        })
    }
}

/// One connection's place in its source's count; given back on drop. (The map holds
/// only sources with a connection open, so it is bounded by the connection cap.)
struct PeerShare {
    peers: Arc<PeerCounts>,
    source: IpAddr,
}

impl Drop for PeerShare {
    fn drop(&mut self) {
        let mut counts = self
            .peers
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.source) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.source);
            }
        }
    }
}

/// When a connection last finished a request, and how many it is serving.
struct Activity {
    state: Mutex<(usize, Instant)>,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new((0, Instant::now())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, Instant)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.lock().0 += 1;
        Busy(Arc::clone(self))
    }

    /// When the connection becomes idle too long, if nothing happens meanwhile.
    fn idle_deadline(&self, idle: Duration) -> Instant {
        let (busy, last) = *self.lock();
        if busy > 0 {
            Instant::now() + idle
        } else {
            last + idle
        }
    }
}

/// A request in progress on a connection; ends on drop (however the request ends).
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.0 = state.0.saturating_sub(1);
        state.1 = Instant::now();
    }
}

async fn connection<H: CallbackHandler>(
    stream: TcpStream,
    peer: SocketAddr,
    receiver: CallbackReceiver<H>,
    config: Arc<ServerConfig>,
    mut stop: watch::Receiver<bool>,
    _slot: (OwnedSemaphorePermit, PeerShare),
) {
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = Arc::clone(&activity);
        let config = Arc::clone(&config);
        service_fn(move |request: http::Request<Incoming>| {
            let busy = activity.begin();
            let receiver = receiver.clone();
            let config = Arc::clone(&config);
            async move {
                let response = respond(&receiver, &config, &request, peer.ip()).await;
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(true)
        // The request head is small (a short query): hyper refuses larger heads.
        .max_buf_size((config.max_query_len + 6 * 1024).max(8 * 1024));
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let mut closing = *stop.borrow_and_update();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let idle_at = activity.idle_deadline(config.idle_timeout);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "callback connection ended");
                }
                break;
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_at), if !closing => {
                if activity.idle_deadline(config.idle_timeout) <= Instant::now() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Compares a path segment with the token in time that depends only on the token.
fn token_matches(segment: &[u8], token: &[u8]) -> bool {
    let mut diff = segment.len() ^ token.len();
    for (i, t) in token.iter().enumerate() {
        let s = segment.get(i).copied().unwrap_or(0);
        diff |= usize::from(s ^ t);
    }
    diff == 0
}

fn path_allowed(path: &str, token: &str) -> bool {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let segment = rest.split('/').next().unwrap_or("");
    token_matches(segment.as_bytes(), token.as_bytes())
}

/// A refusal (404, 405, 414): answered, then the connection is closed, so a peer
/// cannot hold it open with cheap wrong requests. (hyper closes the connection after
/// its own 400 and 431 answers.)
fn refuse(status: u16, msg: &str) -> http::Response<Full<Bytes>> {
    let mut response = answer(CallbackReply::new(status, &CallbackAck::failure(msg)));
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

fn answer(reply: CallbackReply) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

async fn respond<H: CallbackHandler>(
    receiver: &CallbackReceiver<H>,
    config: &ServerConfig,
    request: &http::Request<Incoming>,
    peer: IpAddr,
) -> http::Response<Full<Bytes>> {
    if let Some(token) = &config.path_token
        && !path_allowed(request.uri().path(), token)
    {
        return refuse(404, "not found");
    }
    if request.method() != http::Method::GET {
        let mut response = refuse(405, "callbacks are GET requests");
        response
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static("GET"));
        return response;
    }
    let query = request.uri().query().unwrap_or("");
    if query.len() > config.max_query_len {
        return refuse(414, "callback query too long");
    }
    let handling = receiver.handle_from(query, peer);
    let reply = match tokio::time::timeout(config.request_timeout, handling).await {
        Ok(reply) => reply,
        Err(_) => CallbackReply::retry_later("still handling this callback; call again later"),
    };
    answer(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_token_is_the_first_segment_exactly() {
        let token = "0123456789abcdef";
        assert!(path_allowed("/0123456789abcdef", token));
        assert!(path_allowed("/0123456789abcdef/", token));
        assert!(path_allowed("/0123456789abcdef/ipv/callback", token));
        for path in [
            "/",
            "",
            "/0123456789abcde",
            "/0123456789abcdef0",
            "/0123456789abcdeF",
            "/x/0123456789abcdef",
            "/0123456789abcdefg/ipv",
        ] {
            assert!(!path_allowed(path, token), "{path}");
        }
    }

    #[test]
    fn malformed_tokens_and_zero_timeouts_are_refused() {
        for token in ["short", "has space in it here!", &"x".repeat(129)] {
            let err = ServerConfig::default().with_path_token(token).check();
            assert!(err.is_err(), "{token}");
        }
        assert!(
            ServerConfig::default()
                .with_path_token("a".repeat(32))
                .check()
                .is_ok()
        );
        assert!(
            ServerConfig::default()
                .with_header_read_timeout(Duration::ZERO)
                .check()
                .is_err()
        );
        let shown = format!(
            "{:?}",
            ServerConfig::default().with_path_token("s3cr3t-s3cr3t-s3cr3t")
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}
