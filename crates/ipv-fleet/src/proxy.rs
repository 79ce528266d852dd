//! A round-robin HTTP proxy in front of the receivers, as a load balancer would be,
//! that fails a share of first deliveries: half before forwarding (the receiver never
//! sees them), half after (the receiver handled the callback, but its answer is
//! replaced with a 503, so the platform calls again).

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ipv_transport::{HttpTransport, HyperTransport};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The most distinct queries remembered to tell first deliveries apart.
const MAX_SEEN: usize = 1_000_000;

/// What the proxy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests forwarded to a receiver.
    pub forwarded: u64,
    /// First deliveries failed without forwarding.
    pub failed_before: u64,
    /// First deliveries forwarded, then answered 503 whatever the receiver said.
    pub failed_after: u64,
    /// Requests a receiver did not answer (answered 502).
    pub backend_errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    forwarded: AtomicU64,
    failed_before: AtomicU64,
    failed_after: AtomicU64,
    backend_errors: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    backends: Mutex<Vec<SocketAddr>>,
    next: AtomicUsize,
    seen: Mutex<HashSet<String>>,
    fail_first_percent: u64,
    counters: Counters,
    transport: HyperTransport,
}

/// A running proxy; see the [module docs](self).
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// FNV-1a: a fixed hash, so the same queries fail in every run.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

impl Proxy {
    /// Starts the proxy on a free loopback port, with no receivers yet.
    ///
    /// # Errors
    /// The bind's or the HTTP client's error, as text.
    pub async fn start(fail_first_percent: u32) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let transport = HyperTransport::builder()
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        let shared = Arc::new(Shared {
            backends: Mutex::new(Vec::new()),
            next: AtomicUsize::new(0),
            seen: Mutex::new(HashSet::new()),
            fail_first_percent: u64::from(fail_first_percent.min(100)),
            counters: Counters::default(),
            transport,
        });
        let (stop, mut stopped) = watch::channel(false);
        let accept_shared = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(_) => continue,
                    },
                    _ = stopped.changed() => return,
                };
                let shared = Arc::clone(&accept_shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(shared.handle(request).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            shared,
            stop,
            task,
        })
    }

    /// The URL to give the emulator as the app's callback URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}/callback", self.addr)
    }

    /// Adds a receiver to the rotation.
    pub fn add_backend(&self, addr: SocketAddr) {
        lock(&self.shared.backends).push(addr);
    }

    /// Takes a receiver out of the rotation (requests already sent to it are not
    /// recalled).
    pub fn remove_backend(&self, addr: SocketAddr) {
        lock(&self.shared.backends).retain(|a| *a != addr);
    }

    /// What the proxy did so far.
    #[must_use]
    pub fn stats(&self) -> ProxyStats {
        let c = &self.shared.counters;
        ProxyStats {
            forwarded: c.forwarded.load(Ordering::Relaxed),
            failed_before: c.failed_before.load(Ordering::Relaxed),
            failed_after: c.failed_after.load(Ordering::Relaxed),
            backend_errors: c.backend_errors.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Shared {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let query = request.uri().query().unwrap_or("").to_owned();
        let first = {
            let mut seen = lock(&self.seen);
            seen.len() < MAX_SEEN && seen.insert(query.clone())
        };
        let hash = fnv(&query);
        let fail = first && hash % 100 < self.fail_first_percent;
        if fail && (hash >> 32).is_multiple_of(2) {
            self.counters.failed_before.fetch_add(1, Ordering::Relaxed);
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"code":"fail","msg":"proxy: injected failure"}"#,
            );
        }
        let backend = {
            let backends = lock(&self.backends);
            if backends.is_empty() {
                None
            } else {
                Some(backends[self.next.fetch_add(1, Ordering::Relaxed) % backends.len()])
            }
        };
        let Some(backend) = backend else {
            self.counters.backend_errors.fetch_add(1, Ordering::Relaxed);
            return reply(
                StatusCode::BAD_GATEWAY,
                r#"{"code":"fail","msg":"proxy: no receiver"}"#,
            );
        };
        let forward = Request::get(format!("http://{backend}/callback?{query}"))
            .body(Bytes::new())
            .expect("a loopback URL with a query that arrived as one");
        self.counters.forwarded.fetch_add(1, Ordering::Relaxed);
        match self.transport.send(forward).await {
            Ok(_) if fail => {
                self.counters.failed_after.fetch_add(1, Ordering::Relaxed);
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    r#"{"code":"fail","msg":"proxy: injected failure after handling"}"#,
                )
            }
            Ok(answer) => {
                let (parts, body) = answer.into_parts();
                let mut response = Response::new(Full::new(body));
                *response.status_mut() = parts.status;
                response
            }
            Err(_) => {
                self.counters.backend_errors.fetch_add(1, Ordering::Relaxed);
                reply(
                    StatusCode::BAD_GATEWAY,
                    r#"{"code":"fail","msg":"proxy: receiver unreachable"}"#,
                )
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
