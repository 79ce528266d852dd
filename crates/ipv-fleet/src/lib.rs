//! A fleet of callback receivers for tests and benches.
//!
//! [`Fleet::start`] starts a throwaway PostgreSQL or Redis server, the emulator, and
//! several receivers (each a [`CallbackServer`](ipv_api::callback::CallbackServer) with
//! its own `Client`, its own store connection and its own tokio
//! runtime on a thread of its own, so it can be killed like a process) sharing that
//! store. The emulator's callbacks go to a round-robin [`proxy`] in front of the
//! receivers, which can fail a share of first deliveries. Each receiver's handler
//! records in a [`Tally`] which order keys it handled to completion.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod proxy;
mod receiver;
mod tally;

use std::sync::Arc;
use std::time::Duration;

use ipv_api::{Client, RetryPolicy};
use ipv_emulator::{
    AppConfig, CallbackPolicy, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig,
    EmulatorHandle, FaultConfig, OrderSchedule,
};
use ipv_test_services::{PostgresServer, RedisServer};
use ipv_types::{Money, OpenInstancesRequest, OpenParam};

pub use proxy::{Proxy, ProxyStats};
pub use receiver::{Hang, ReceiverNode};
pub use tally::Tally;

/// The products fleet orders buy, one static instance each, in turn (each has 500
/// addresses, so a fleet can buy 1,000 orders).
pub const PRODUCTS: [&str; 2] = ["ipv_res_us_nyc_m", "ipv_dc_us_lax_m"];

/// The most orders [`Fleet::buy_orders`] can buy from one emulator.
pub const MAX_ORDERS: usize = 1_000;

/// Which shared store the receivers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// PostgreSQL (`ipv-callback-postgres`).
    Postgres,
    /// Redis (`ipv-callback-redis`).
    Redis,
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgres => "PostgreSQL",
            Self::Redis => "Redis",
        })
    }
}

/// How to run the fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// The shared store.
    pub store: StoreKind,
    /// How many receivers.
    pub receivers: usize,
    /// The receivers' lease (must be longer than `handler_timeout`).
    pub lease: Duration,
    /// The receivers' re-fetch and handler time limit.
    pub handler_timeout: Duration,
    /// Percent of first deliveries the proxy fails (half before forwarding, half by
    /// replacing the receiver's answer after it handled the callback).
    pub fail_first_percent: u32,
    /// The emulator's duplicate-callbacks fault.
    pub duplicate_callbacks: bool,
    /// Which receiver hangs (and is then killed) on its `after`-th order callback.
    pub hang: Option<Hang>,
    /// Whether the emulator sends its callbacks (to the proxy). Off for a bench that
    /// sends callbacks to the receivers itself.
    pub emulator_sends_callbacks: bool,
}

impl FleetConfig {
    /// Three receivers on `store`, 8 s leases, 3 s handler limit, 30% failing first
    /// deliveries, duplicates on, the third receiver hanging on its 10th order.
    #[must_use]
    pub fn faulty(store: StoreKind) -> Self {
        Self {
            store,
            receivers: 3,
            // Well over the handler limit, so a slow handler on a loaded machine never
            // loses its key to another receiver while it still runs.
            lease: Duration::from_secs(8),
            handler_timeout: Duration::from_secs(3),
            fail_first_percent: 30,
            duplicate_callbacks: true,
            hang: Some(Hang {
                receiver: 2,
                after: 10,
            }),
            emulator_sends_callbacks: true,
        }
    }

    /// Three receivers on `store` with no faults, 30 s leases and a 20 s handler
    /// limit, and an emulator that sends no callbacks: the caller delivers them.
    #[must_use]
    pub fn quiet(store: StoreKind) -> Self {
        Self {
            store,
            receivers: 3,
            lease: Duration::from_secs(30),
            handler_timeout: Duration::from_secs(20),
            fail_first_percent: 0,
            duplicate_callbacks: false,
            hang: None,
            emulator_sends_callbacks: false,
        }
    }
}

/// The server behind the shared store, kept alive as long as the fleet.
#[derive(Debug)]
enum StoreServer {
    Postgres(PostgresServer),
    Redis(RedisServer),
}

impl StoreServer {
    fn url(&self) -> String {
        match self {
            Self::Postgres(s) => s.url(),
            Self::Redis(s) => s.url(),
        }
    }
}

/// A running fleet; see the [crate docs](crate).
#[derive(Debug)]
pub struct Fleet {
    store_server: StoreServer,
    kind: StoreKind,
    /// The emulator the receivers re-fetch from and that sends the callbacks.
    pub emulator: EmulatorHandle,
    /// The proxy in front of the receivers.
    pub proxy: Proxy,
    /// The receivers, by index.
    pub receivers: Vec<ReceiverNode>,
    /// What the handlers did.
    pub tally: Arc<Tally>,
    /// A client of the emulator for the test's own calls.
    pub client: Client,
}

impl Fleet {
    /// Starts the store server, the proxy, the emulator (callbacks to the proxy) and
    /// the receivers.
    ///
    /// # Errors
    /// Anything that did not start, as text.
    pub async fn start(config: &FleetConfig) -> Result<Self, String> {
        let kind = config.store;
        let store_server = tokio::task::spawn_blocking(move || match kind {
            StoreKind::Postgres => PostgresServer::start().map(StoreServer::Postgres),
            StoreKind::Redis => RedisServer::start().map(StoreServer::Redis),
        });
        let store_server = store_server
            .await
            .map_err(|e| format!("starting the store server: {e}"))?
            .map_err(|e| e.to_string())?;
        let proxy = Proxy::start(config.fail_first_percent)
            .await
            .map_err(|e| format!("proxy: {e}"))?;
        let app = if config.emulator_sends_callbacks {
            AppConfig::default_app().with_callback_url(proxy.url())
        } else {
            AppConfig::default_app()
        };
        let emulator_config = EmulatorConfig::default()
            .with_apps(vec![app])
            .with_order_schedule(OrderSchedule {
                to_processing: Duration::from_millis(10),
                to_done: Duration::from_millis(20),
            })
            .with_callback_policy(CallbackPolicy {
                // About 100 s of retries: long enough to outlast a dead receiver's
                // lease on a loaded machine.
                max_attempts: 200,
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(500),
                timeout: Duration::from_secs(10),
            });
        let emulator = Emulator::start(emulator_config, "127.0.0.1:0".parse().expect("addr"))
            .await
            .map_err(|e| format!("emulator: {e}"))?;
        let control = emulator.control();
        control
            .set_faults(FaultConfig {
                duplicate_callbacks: config.duplicate_callbacks,
                ..FaultConfig::none()
            })
            .map_err(|e| format!("emulator faults: {e}"))?;
        for product in PRODUCTS {
            control
                .set_stock(product, 1_000_000)
                .map_err(|e| format!("emulator stock: {e}"))?;
        }
        control
            .top_up(DEFAULT_APP_KEY, Money::from_int(100_000_000))
            .map_err(|e| format!("emulator top-up: {e}"))?;
        let tally = Arc::new(Tally::default());
        let mut receivers = Vec::with_capacity(config.receivers);
        for index in 0..config.receivers {
            let node = ReceiverNode::start(receiver::NodeConfig {
                index,
                store: config.store,
                store_url: store_server.url(),
                emulator_url: emulator.base_url(),
                lease: config.lease,
                handler_timeout: config.handler_timeout,
                tally: Arc::clone(&tally),
                hang: config.hang.filter(|h| h.receiver == index),
            })
            .await?;
            proxy.add_backend(node.addr());
            receivers.push(node);
        }
        let client = client(&emulator.base_url())?;
        Ok(Self {
            store_server,
            kind: config.store,
            emulator,
            proxy,
            receivers,
            tally,
            client,
        })
    }

    /// The shared store's kind.
    #[must_use]
    pub fn store_kind(&self) -> StoreKind {
        self.kind
    }

    /// A new connection to the shared store (for checks).
    ///
    /// # Errors
    /// A store that does not answer.
    pub async fn store(
        &self,
    ) -> Result<Arc<dyn ipv_callback_store::CallbackStore>, ipv_callback_store::StoreError> {
        receiver::connect_store(self.kind, &self.store_server.url()).await
    }

    /// Stops the shared store's server (an outage: killed, not shut down tidily).
    pub fn stop_store(&mut self) {
        tokio::task::block_in_place(|| match &mut self.store_server {
            StoreServer::Postgres(server) => server.stop(),
            StoreServer::Redis(server) => server.stop(),
        });
    }

    /// Freezes the shared store's server (SIGSTOP): it keeps its connections and
    /// answers nothing until [`resume_store`](Self::resume_store). Redis only.
    ///
    /// # Errors
    /// A PostgreSQL fleet (its server is several processes).
    pub fn pause_store(&self) -> Result<(), String> {
        match &self.store_server {
            StoreServer::Redis(server) => {
                tokio::task::block_in_place(|| server.pause());
                Ok(())
            }
            StoreServer::Postgres(_) => Err("pausing PostgreSQL is not supported".to_owned()),
        }
    }

    /// Lets a paused store server run again (SIGCONT).
    pub fn resume_store(&self) {
        if let StoreServer::Redis(server) = &self.store_server {
            tokio::task::block_in_place(|| server.resume());
        }
    }

    /// Starts the shared store's server again on the same port (PostgreSQL: and data).
    ///
    /// # Errors
    /// A server that does not come back.
    pub fn restart_store(&mut self) -> Result<(), String> {
        tokio::task::block_in_place(|| match &mut self.store_server {
            StoreServer::Postgres(server) => server.restart(),
            StoreServer::Redis(server) => server.restart(),
        })
        .map_err(|e| e.to_string())
    }

    /// Sends one callback query straight to receiver `index`; returns the HTTP status
    /// and body.
    ///
    /// # Errors
    /// A receiver that does not answer.
    pub async fn deliver(&self, index: usize, query: &str) -> Result<(u16, String), String> {
        use ipv_transport::HttpTransport;
        let addr = self
            .receivers
            .get(index)
            .ok_or_else(|| format!("no receiver {index}"))?
            .addr();
        let transport = ipv_transport::HyperTransport::builder()
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        let request = http::Request::get(format!("http://{addr}/callback?{query}"))
            .body(bytes::Bytes::new())
            .map_err(|e| e.to_string())?;
        let answer = transport
            .send(request)
            .await
            .map_err(|e| format!("delivery to receiver {index}: {e}"))?;
        Ok((
            answer.status().as_u16(),
            String::from_utf8_lossy(answer.body()).into_owned(),
        ))
    }

    /// Buys `count` orders (at most [`MAX_ORDERS`]) of one instance of [`PRODUCTS`],
    /// `in_flight` at a time; returns their order numbers.
    ///
    /// # Errors
    /// The first failed purchase, or too many orders.
    pub async fn buy_orders(&self, count: usize, in_flight: usize) -> Result<Vec<String>, String> {
        if count > MAX_ORDERS {
            return Err(format!(
                "{count} orders: the emulator has addresses for {MAX_ORDERS}"
            ));
        }
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..in_flight.max(1) {
            let client = self.client.clone();
            let next = Arc::clone(&next);
            workers.spawn(async move {
                let mut bought = Vec::new();
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= count {
                        return Ok::<_, String>(bought);
                    }
                    let request = OpenInstancesRequest::new(
                        format!("FLEET_{n}"),
                        vec![OpenParam::by_product(PRODUCTS[n % PRODUCTS.len()], 1, 1)],
                    );
                    let answer = client
                        .send(&request)
                        .await
                        .map_err(|e| format!("buying order {n}: {e}"))?;
                    bought.push(answer.order_no);
                }
            });
        }
        let mut orders = Vec::with_capacity(count);
        while let Some(done) = workers.join_next().await {
            orders.extend(done.map_err(|e| format!("buyer task: {e}"))??);
        }
        Ok(orders)
    }

    /// Stops every receiver still running (gracefully) and the emulator.
    pub async fn shutdown(self) {
        for node in self.receivers {
            node.stop().await;
        }
        self.emulator.shutdown().await;
        self.proxy.shutdown().await;
        drop(self.store_server);
    }
}

/// A client of the emulator with the default app's credentials and retries on.
///
/// # Errors
/// A client that cannot be built.
pub fn client(base_url: &str) -> Result<Client, String> {
    Client::builder()
        .base_url(base_url)
        .app_key(DEFAULT_APP_KEY)
        .app_secret(DEFAULT_APP_SECRET)
        .retry_policy(RetryPolicy::default())
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| format!("client: {e}"))
}
