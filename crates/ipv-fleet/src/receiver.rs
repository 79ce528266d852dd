//! One receiver of the fleet: its own runtime on its own thread, so it can be killed
//! mid-handling like a process.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipv_api::callback::{
    CallbackReceiver, CallbackServer, Delivery, RefetchLimits, Refetched, ServerConfig, handler_fn,
};
use ipv_callback_postgres::{PostgresConfig, PostgresStore};
use ipv_callback_redis::{RedisConfig, RedisStore};
use ipv_callback_store::{CallbackStore, StoreError};
use tokio::sync::oneshot;

use crate::{StoreKind, Tally};

/// Makes one receiver's handler hang (never finish) on its `after`-th order callback,
/// standing for a receiver that dies mid-handling; the test then kills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hang {
    /// The receiver's index.
    pub receiver: usize,
    /// Which of its order callbacks (1-based) it hangs on.
    pub after: usize,
}

pub(crate) struct NodeConfig {
    pub(crate) index: usize,
    pub(crate) store: StoreKind,
    pub(crate) store_url: String,
    pub(crate) emulator_url: String,
    pub(crate) lease: Duration,
    pub(crate) handler_timeout: Duration,
    pub(crate) tally: Arc<Tally>,
    pub(crate) hang: Option<Hang>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Shut the server down: in-flight handlers finish.
    Graceful,
    /// Drop everything at once, handlers included, like a killed process.
    Kill,
}

/// A running receiver; see the [crate docs](crate).
#[derive(Debug)]
pub struct ReceiverNode {
    index: usize,
    addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<Stop>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Connects a store of `kind` at `url`, with short time limits for tests.
pub(crate) async fn connect_store(
    kind: StoreKind,
    url: &str,
) -> Result<Arc<dyn CallbackStore>, StoreError> {
    Ok(match kind {
        StoreKind::Postgres => Arc::new(
            PostgresStore::connect(
                PostgresConfig::new(url)
                    .pool_size(16)
                    .op_timeout(Duration::from_secs(5)),
            )
            .await?,
        ),
        StoreKind::Redis => Arc::new(
            RedisStore::connect(RedisConfig::new(url).op_timeout(Duration::from_secs(5))).await?,
        ),
    })
}

async fn serve(config: NodeConfig) -> Result<CallbackServer, String> {
    let store = connect_store(config.store, &config.store_url)
        .await
        .map_err(|e| format!("receiver {}: store: {e}", config.index))?;
    let client = crate::client(&config.emulator_url)?;
    let orders_seen = Arc::new(AtomicUsize::new(0));
    let (index, tally, hang) = (config.index, config.tally, config.hang);
    let handler = handler_fn(move |delivery: Delivery| {
        let tally = Arc::clone(&tally);
        let orders_seen = Arc::clone(&orders_seen);
        async move {
            match &delivery.fetched {
                Some(fetched @ Refetched::Order(_)) => {
                    let key = fetched.key();
                    let n = orders_seen.fetch_add(1, Ordering::Relaxed) + 1;
                    if hang.is_some_and(|h| h.after == n) {
                        tally.record_hang(key.clone(), index);
                        // Never finishes: the test kills this receiver now.
                        std::future::pending::<()>().await;
                    }
                    tally.record_order(key, index);
                }
                _ => tally.record_other(),
            }
            Ok::<(), Infallible>(())
        }
    });
    // The fleet drives thousands of genuine callbacks a second through a proxy (or a
    // load generator) on one address, as a deployment behind a reverse proxy does: no
    // per-peer share below the global cap, and no cap on re-fetch calls (lookups that
    // find what they name cost no lookup budget anyway).
    let receiver = CallbackReceiver::builder(handler)
        .shared_store(store)
        .lease(config.lease)
        .handler_timeout(config.handler_timeout)
        .refetch_limits(RefetchLimits::default().calls(f64::INFINITY, u32::MAX))
        .build(client);
    let server_config = ServerConfig::default();
    let per_peer = server_config.max_connections;
    let server_config = server_config.with_max_connections_per_peer(per_peer);
    CallbackServer::bind_with("127.0.0.1:0", receiver, server_config)
        .await
        .map_err(|e| format!("receiver {}: bind: {e}", config.index))
}

impl ReceiverNode {
    pub(crate) async fn start(config: NodeConfig) -> Result<Self, String> {
        let index = config.index;
        let (ready_tx, ready_rx) = oneshot::channel::<Result<SocketAddr, String>>();
        let (stop_tx, stop_rx) = oneshot::channel::<Stop>();
        let thread = std::thread::Builder::new()
            .name(format!("receiver-{index}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("receiver {index}: runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let server = match serve(config).await {
                        Ok(server) => server,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(server.local_addr()));
                    if stop_rx.await == Ok(Stop::Graceful) {
                        server.shutdown().await;
                    }
                    // Kill: return at once; the runtime then drops every task.
                });
                runtime.shutdown_background();
            })
            .map_err(|e| format!("receiver {index}: thread: {e}"))?;
        let addr = ready_rx
            .await
            .map_err(|_| format!("receiver {index} died while starting"))??;
        Ok(Self {
            index,
            addr,
            stop: Mutex::new(Some(stop_tx)),
            thread: Some(thread),
        })
    }

    /// The receiver's index in the fleet.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Where it listens.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Kills it: its server and every handler in progress are dropped at once, with
    /// no answer and no store call, like a process that died.
    pub fn kill(&self) {
        self.send(Stop::Kill);
    }

    fn send(&self, stop: Stop) {
        let sender = self
            .stop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            let _ = sender.send(stop);
        }
    }

    /// Shuts it down gracefully (if not killed) and waits for its thread.
    pub async fn stop(mut self) {
        self.send(Stop::Graceful);
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for ReceiverNode {
    fn drop(&mut self) {
        self.send(Stop::Kill);
    }
}
