//! The HTTP side: the shared runtime state, the accept loop, the envelope layer in
//! front of the handlers, the background order processor and callback dispatcher.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use ipv_crypto::Key;
use ipv_protocol::codec;
use ipv_transport::SharedTransport;
use ipv_types::ApiCode;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};

use crate::api::{self, Ctx};
use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::FaultRng;
use crate::orders;
use crate::persist;
use crate::records::{CachedReply, fingerprint};
use crate::state::State;

/// The one answer for every request that cannot be authenticated and decrypted:
/// byte-identical whatever went wrong, so it tells an attacker nothing.
pub(crate) const UNDECRYPTABLE: &str =
    r#"{"reqId":"","code":10001,"msg":"decryption failed: check the app secret","data":""}"#;

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response dropped after apply (injected fault)")
    }
}

impl std::error::Error for DropConnection {}

/// Everything the server's tasks share.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) clock: Mutex<Clock>,
    pub(crate) keys: Mutex<HashMap<String, Arc<Key>>>,
    pub(crate) config: EmulatorConfig,
    pub(crate) fault_rng: Mutex<FaultRng>,
    pub(crate) wake_processor: Notify,
    pub(crate) wake_dispatcher: Notify,
    pub(crate) in_flight: Mutex<HashSet<u64>>,
    pub(crate) transport: SharedTransport,
    /// The state-file writer, when there is a state file.
    pub(crate) persister: Option<persist::Persister>,
    /// Who may use the control API and the dashboard (Host, Origin, token).
    pub(crate) access: crate::dashboard::Access,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (every state
/// change is validated before it is applied, so the data is consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn now(&self) -> OffsetDateTime {
        lock(&self.clock).now()
    }

    /// Rebuilds the key table from the apps in `state`.
    pub(crate) fn refresh_keys(&self, state: &State) {
        let mut keys = lock(&self.keys);
        keys.clear();
        for (app_key, app) in &state.apps {
            if let Ok(key) = Key::new(app.config.secret.as_bytes()) {
                keys.insert(app_key.clone(), Arc::new(key));
            }
        }
    }

    /// Snapshots the state for the state-file writer, if there is a state file. Called
    /// with the state locked, so snapshots follow the order of the changes; the file is
    /// written by the writer task ([`persist`]), never here.
    pub(crate) fn persist(&self, state: &mut State) {
        let Some(persister) = &self.persister else {
            return;
        };
        state.clock = lock(&self.clock).snapshot();
        match crate::state::persisted_bytes(state) {
            Ok(bytes) => persister.submit(bytes),
            Err(e) => tracing::error!(error = %e, "could not serialise the emulator state"),
        }
    }

    /// Wakes the background tasks after a change.
    pub(crate) fn kick(&self) {
        self.wake_processor.notify_one();
        self.wake_dispatcher.notify_one();
    }
}

type HttpResponse = Response<Full<Bytes>>;

fn json_response(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The body of every 404: an unknown path, or an API path with another method.
pub(crate) const NOT_FOUND_BODY: &str =
    r#"{"code":404,"msg":"not found: the API takes POST at /api/open/app/.../v2"}"#;

pub(crate) fn not_found() -> HttpResponse {
    json_response(StatusCode::NOT_FOUND, NOT_FOUND_BODY)
}

fn undecryptable(shared: &Shared) -> ApiAnswer {
    lock(&shared.state).fault_stats.undecryptable += 1;
    ApiAnswer::ok(StatusCode::OK, UNDECRYPTABLE)
}

/// Reads the whole body, refusing more than `limit` bytes.
pub(crate) async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, HttpResponse> {
    let too_large = || {
        json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                r#"{{"reqId":"","code":10004,"msg":"bad parameters: request body is larger than {limit} bytes","data":""}}"#
            ),
        )
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large());
    }
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(json_response(
            StatusCode::BAD_REQUEST,
            r#"{"reqId":"","code":10004,"msg":"bad parameters: the request body could not be read","data":""}"#,
        )),
    }
}

/// Serves one HTTP request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/__emulator/") {
        return Ok(crate::control::handle_http(
            &shared,
            req.method().clone(),
            rest.to_owned(),
            req,
        )
        .await);
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

/// What the API part of the server answers to one request body.
pub(crate) struct ApiAnswer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    /// The request was applied, and the connection is to be closed without an answer
    /// (the injected drop-after-apply fault).
    pub(crate) drop_connection: bool,
    /// The state changed (a call applied or replayed, orders moved): the order processor
    /// and the callback dispatcher are to look again. Reads leave them asleep, so a
    /// stream of reads does not wake two more tasks, each taking the state lock, per
    /// request.
    pub(crate) changed: bool,
}

impl ApiAnswer {
    fn ok(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            body: body.into(),
            drop_connection: false,
            changed: false,
        }
    }
}

/// Answers one request body on an API route: envelope, key, decryption, injected
/// faults, the reqId replay cache, the handler, sealing. Synchronous and free of I/O
/// (persistence aside), so it also serves in-process callers such as fuzzers.
pub(crate) fn answer_api(shared: &Shared, route: api::Route, path: &str, body: &[u8]) -> ApiAnswer {
    let faults = lock(&shared.state).faults.clone();

    // The envelope: every failure up to a decrypted, parsed JSON payload gets the one
    // uniform answer.
    let Ok(envelope) = codec::parse_request_envelope(body) else {
        return undecryptable(shared);
    };
    if !envelope.is_aes()
        || !envelope.is_v2()
        || envelope.req_id.is_empty()
        || envelope.req_id.len() > 128
    {
        return undecryptable(shared);
    }
    let Some(key) = lock(&shared.keys).get(&envelope.app_key).cloned() else {
        return undecryptable(shared);
    };
    let Ok(params) = codec::open_request_params::<serde_json::Value>(&key, &envelope) else {
        return undecryptable(shared);
    };

    // Injected failures that happen before anything is applied.
    let (fail_http, fail_code, drop_after) = {
        let mut rng = lock(&shared.fault_rng);
        (
            rng.chance(faults.http5xx_rate),
            rng.chance(faults.system_error_rate),
            rng.chance(faults.drop_after_apply_rate),
        )
    };
    if fail_http || fail_code {
        let sealed = codec::seal_response::<()>(
            &key,
            &envelope.req_id,
            ApiCode::SystemError,
            "system error (injected fault)",
            None,
        )
        .unwrap_or_default();
        let mut state = lock(&shared.state);
        let status = if fail_http {
            state.fault_stats.http5xx += 1;
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            state.fault_stats.system_errors += 1;
            StatusCode::OK
        };
        return ApiAnswer::ok(status, sealed);
    }

    let print = fingerprint(&[path.as_bytes(), envelope.params.as_bytes()]);
    let now = shared.now();
    // The answer of a read is sealed (serialised and encrypted, the larger part of the
    // work) after the state lock is released, so reads do not queue behind each other's
    // sealing; a mutating call's answer is sealed under the lock, as it is cached for
    // reqId replay in the same step as the change it reports.
    let (body, unsealed, changed) = {
        let mut state = lock(&shared.state);
        let mut changed = orders::process_due(&mut state, now, false) > 0;
        let cached = if route.mutating {
            state
                .apps
                .get(&envelope.app_key)
                .and_then(|a| a.replies.get(&envelope.req_id))
                .map(|r| (r.fingerprint == print, r.body.clone()))
        } else {
            None
        };
        let (body, unsealed): (Bytes, Option<api::Outcome>) = match cached {
            Some((true, body)) => {
                state.fault_stats.replays += 1;
                changed = true;
                (Bytes::from(body), None)
            }
            Some((false, _)) => (
                codec::seal_response::<()>(
                    &key,
                    &envelope.req_id,
                    ApiCode::InvalidParams,
                    "bad parameters: reqId: already used with different parameters",
                    None,
                )
                .unwrap_or_default(),
                None,
            ),
            None => {
                let outcome = {
                    let mut ctx = Ctx {
                        state: &mut state,
                        app_key: &envelope.app_key,
                        now,
                        schedule: shared.config.order_schedule,
                    };
                    (route.run)(&mut ctx, params)
                };
                tracing::debug!(
                    path = %path,
                    app_key = %envelope.app_key,
                    req_id = %envelope.req_id,
                    code = outcome.as_ref().map_or_else(|f| f.code.as_i64(), |_| 200),
                    "api request"
                );
                if !route.mutating {
                    // Sealed below, outside the lock.
                    (Bytes::new(), Some(outcome))
                } else {
                    let sealed = seal_outcome(&key, &envelope.req_id, &outcome);
                    let limit = shared.config.reply_cache_per_app;
                    if let Some(app) = state.apps.get_mut(&envelope.app_key) {
                        app.remember_reply(
                            &envelope.req_id,
                            CachedReply {
                                fingerprint: print,
                                body: String::from_utf8_lossy(&sealed).into_owned(),
                            },
                            limit,
                        );
                    }
                    changed = true;
                    (sealed, None)
                }
            }
        };
        if drop_after {
            state.fault_stats.dropped_after_apply += 1;
            changed = true;
        }
        if changed {
            shared.persist(&mut state);
        }
        (body, unsealed, changed)
    };
    let body = match unsealed {
        Some(outcome) => seal_outcome(&key, &envelope.req_id, &outcome),
        None => body,
    };
    ApiAnswer {
        status: StatusCode::OK,
        body,
        drop_connection: drop_after,
        changed,
    }
}

/// Seals a handler's outcome: its data with code 200, or its failure's code and message.
fn seal_outcome(key: &Key, req_id: &str, outcome: &api::Outcome) -> Bytes {
    let sealed = match outcome {
        // A code-only answer (`proxy/user/flow/limit`): the document says
        // "如果返回数据只有状态码，没有data数据，就不需要做加密返回", so `data` is ""
        // rather than a sealed `null`.
        Ok(serde_json::Value::Null) => {
            codec::seal_response::<()>(key, req_id, ApiCode::Ok, "ok", None)
        }
        Ok(data) => codec::seal_response(key, req_id, ApiCode::Ok, "ok", Some(data)),
        Err(failure) => codec::seal_response::<()>(key, req_id, failure.code, &failure.msg, None),
    };
    sealed.unwrap_or_else(|_| {
        codec::seal_response::<()>(key, req_id, ApiCode::SystemError, "system error", None)
            .unwrap_or_default()
    })
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

/// Moves orders along and expires instances, sleeping until the next thing is due.
pub(crate) async fn processor(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let wait = {
            let now = shared.now();
            let mut state = lock(&shared.state);
            if orders::process_due(&mut state, now, false) > 0 {
                shared.persist(&mut state);
                shared.wake_dispatcher.notify_one();
            }
            orders::next_due(&state)
                .map(|t| (t - now).max(time::Duration::milliseconds(1)))
                .and_then(|d| Duration::try_from(d).ok())
                .unwrap_or(Duration::from_millis(250))
                .min(Duration::from_millis(250))
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shared.wake_processor.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Binds `addr`.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}
