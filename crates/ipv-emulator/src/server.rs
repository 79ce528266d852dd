//! The HTTP side: the accept loop with its limits, one connection's service, and the
//! routing of a request to the control API or to the envelope layer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, Request};
use hyper::body::Incoming;
use tokio::sync::watch;

use crate::answer::answer_api;
use crate::api;
use crate::responses::{HttpResponse, forbidden, json_response, not_found, read_body};
use crate::shared::{Shared, lock};

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response dropped after apply (injected fault)")
    }
}

impl std::error::Error for DropConnection {}

/// Serves `/__emulator/{rest}`: refused unless the request may use the control API
/// (Host, Origin, token: `access`), then the dashboard's routes, then the control routes.
async fn control_request(shared: &Arc<Shared>, rest: &str, req: Request<Incoming>) -> HttpResponse {
    let method = req.method().clone();
    if let Err(why) = shared.access.check(&method, req.headers(), req.uri()) {
        return forbidden(why);
    }
    let query = req.uri().query().map(str::to_owned);
    let body = if method == Method::POST {
        match read_body(req, shared.config.body_limit).await {
            Ok(body) => body,
            Err(resp) => return resp,
        }
    } else {
        bytes::Bytes::new()
    };
    let control = crate::control::Control {
        shared: Arc::clone(shared),
    };
    if let Some(resp) = crate::dashboard::route(&control, &method, rest, query.as_deref(), &body) {
        return resp;
    }
    crate::control::handle_http(shared, method, rest, &body)
}

/// Serves one HTTP request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/__emulator/") {
        return Ok(control_request(&shared, rest, req).await);
    }
    let Some(route) = api::route_for(&path) else {
        return Ok(not_found());
    };
    if req.method() != Method::POST {
        return Ok(not_found());
    }
    let body = match read_body(req, shared.config.body_limit).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let latency_ms = lock(&shared.state).faults.latency_ms;
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let answer = answer_api(&shared, route, &path, &body);
    if answer.changed {
        shared.kick();
    }
    if answer.drop_connection {
        return Err(DropConnection);
    }
    Ok(json_response(answer.status, answer.body))
}

/// How long a client may take to send a request's head; on HTTP/1 keep-alive
/// connections the clock also runs while waiting for the next request.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may go without a request in progress before it is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections served at once; past it, new ones are accepted and closed at once, so
/// slow or idle clients cannot use up the process's descriptors.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// How long shutdown lets open connections finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves connections until `shutdown` flips, then lets open connections finish.
pub(crate) async fn accept_loop(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(IDLE_TIMEOUT / 2))
        .keep_alive_timeout(HEADER_READ_TIMEOUT);
    let builder = Arc::new(builder);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    let mut refused: u64 = 0;
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off briefly.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    drop(stream);
                    refused += 1;
                    if refused.is_power_of_two() {
                        tracing::warn!(refused, "connection cap reached; closing new connections");
                    }
                    continue;
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(serve_connection(
                    Arc::clone(&shared),
                    Arc::clone(&builder),
                    stream,
                    shutdown.clone(),
                    slot,
                ));
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// One connection: HTTP/1.1, or HTTP/2 with prior knowledge (h2c), closed when idle
/// for [`IDLE_TIMEOUT`] or when the emulator shuts down (after the request in
/// progress).
async fn serve_connection(
    shared: Arc<Shared>,
    builder: Arc<hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>>,
    stream: tokio::net::TcpStream,
    mut shutdown: watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    // Requests in progress, and when the last one ended.
    let activity = Arc::new(Mutex::new((0usize, tokio::time::Instant::now())));
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            let busy = RequestInProgress::begin(&activity);
            async move {
                let response = handle(shared, req).await;
                drop(busy);
                response
            }
        })
    };
    let io = hyper_util::rt::TokioIo::new(stream);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut closing = *shutdown.borrow_and_update();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let idle_at = {
            let (busy, last) = *lock(&activity);
            if busy > 0 {
                tokio::time::Instant::now() + IDLE_TIMEOUT
            } else {
                last + IDLE_TIMEOUT
            }
        };
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = shutdown.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_at), if !closing => {
                let (busy, last) = *lock(&activity);
                if busy == 0 && last + IDLE_TIMEOUT <= tokio::time::Instant::now() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A request in progress on a connection; ends on drop, however the request ends.
struct RequestInProgress(Arc<Mutex<(usize, tokio::time::Instant)>>);

impl RequestInProgress {
    fn begin(activity: &Arc<Mutex<(usize, tokio::time::Instant)>>) -> Self {
        lock(activity).0 += 1;
        Self(Arc::clone(activity))
    }
}

impl Drop for RequestInProgress {
    fn drop(&mut self) {
        let mut state = lock(&self.0);
        state.0 = state.0.saturating_sub(1);
        state.1 = tokio::time::Instant::now();
    }
}

/// Binds `addr`.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}
