//! A stateful local emulator of the ipipv open API v2.
//!
//! It serves all 30 endpoints at their real paths over real HTTP (hyper 1), with the
//! real encrypted envelope (through `ipv-protocol`'s codec, the same code the client uses),
//! and keeps state: balances, stock per product and CIDR block, asynchronous orders,
//! instances, main accounts, proxy users, whitelists, usage and password resets. Orders
//! move `pending -> processing -> done` on a schedule and end with a callback to the
//! app's URL; a test clock makes instances expire; faults can be injected; a control API
//! under `/__emulator/` (and [`Control`] in Rust) drives it all. See `docs/emulator.md`.
//!
//! ```
//! use ipv_emulator::{Emulator, EmulatorConfig, OrderSchedule};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let config = EmulatorConfig::default().with_order_schedule(OrderSchedule::IMMEDIATE);
//! let emulator = Emulator::start(config, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("serving at {}", emulator.base_url());
//!
//! // The control API, from Rust: move the clock a day ahead, check the books.
//! let control = emulator.control();
//! let clock = control.advance_clock(86_400)?;
//! assert_eq!(clock.offset_seconds, 86_400);
//! control.check_invariants()?;
//! assert_eq!(control.summary().apps[0].balance.to_string(), "10000.00");
//!
//! emulator.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Security
//!
//! Every request that cannot be parsed, authenticated or decrypted gets one fixed,
//! byte-identical answer (code 10001), so the emulator is no padding oracle; decrypted
//! text is never echoed. The control API answers reads without credentials: bind the
//! emulator to loopback (`ipv emulator serve` refuses other addresses unless
//! `--allow-remote`). Every control request must name the emulator's loopback address
//! and port as `Host` and come from no foreign `Origin`, and state-changing ones carry
//! the per-run token ([`EmulatorHandle::control_token`]) in `X-Emulator-Token`, so a web
//! page the developer visits cannot drive the emulator. The
//! state file never holds an app's secret (pass the apps again on start) and is written
//! with mode 0600 on Unix.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The modules, from the bottom up, in layers: a module uses only the layers above its
// own and, inside its layer, the modules the layer's note puts before it (`a < b`: `b`
// may use `a`), so the module graph has no loop. See "Inside" in `docs/emulator.md`.
//
// Data and rules, with no dependency inside the crate:
mod access;
mod catalogue;
mod clock;
mod config;
mod expiry;
mod faults;
mod index;
mod outbox;
mod pricing;
mod records;

// All data behind the one lock, with its invariants:
mod state;

// What requests do to the state (terms < delivery < orders; terms, queries < accounts;
// all of them < api):
mod accounts;
mod api;
mod delivery;
mod orders;
mod queries;
mod terms;

// Running it (persist < shared < answer, callbacks, processor, control < dashboard <
// server; responses < control, dashboard, server):
mod answer;
mod callbacks;
mod control;
mod dashboard;
mod persist;
mod processor;
mod responses;
mod server;
mod shared;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use config::{
    AppConfig, CallbackPolicy, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, DEFAULT_BALANCE,
    DEFAULT_BODY_LIMIT, DEFAULT_CALLBACK_CONCURRENCY, EmulatorConfig, MAX_ADDRESSES_PER_PRODUCT,
    OrderSchedule,
};
pub use control::{AppSummary, ClockInfo, Control, ControlError, Summary};
pub use dashboard::{
    AccountsView, AllotmentView, BalanceHistory, BalancePoint, DeliveriesView, InstanceFilter,
    InstanceRow, MAX_BALANCE_POINTS, MAX_PAGE_SIZE, MainAccountView, OrderFilter, OrderMove,
    OrderRow, Page, PageRequest, ProductStock, ProxyUserView,
};
pub use faults::FaultConfig;
pub use outbox::{ANSWER_SHOWN_CHARS, CallbackType, DeliveryAttempt, OUTBOX_LIMIT};
pub use persist::StateWriteHold;
pub use state::FaultStats;

use crate::clock::{Clock, ClockState};
use crate::faults::FaultRng;
use crate::shared::{Shared, lock};
use crate::state::State;

/// The uniform body of every undecryptable request (HTTP 200, code 10001).
pub const UNDECRYPTABLE_ANSWER: &str = answer::UNDECRYPTABLE;

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is invalid; the message names the field.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// The state file exists but could not be read or parsed.
    #[error("cannot load the state file: {0}")]
    StateFile(String),
    /// The address could not be bound.
    #[error("cannot bind the emulator address: {0}")]
    Bind(#[source] std::io::Error),
    /// The callback transport could not be built.
    #[error("cannot build the callback transport: {0}")]
    Transport(String),
}

/// The answer to one in-process API request ([`EmulatorHandle::answer_api_request`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiReply {
    /// The HTTP status the server would send.
    pub status: u16,
    /// The response body the server would send.
    pub body: Vec<u8>,
    /// The request was applied and the server would have closed the connection without
    /// answering (the drop-after-apply fault).
    pub dropped: bool,
}

/// The emulator: see [`Emulator::start`] and [`Emulator::serve`].
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// Starts an emulator on `addr` (port 0 picks a free port) and returns at once; it
    /// runs on the current tokio runtime until [`EmulatorHandle::shutdown`].
    ///
    /// With [`EmulatorConfig::state_file`] set and the file present, the saved state is
    /// loaded and orders in flight continue; otherwise the seeded state is used.
    ///
    /// # Errors
    /// [`StartError`] for an invalid config, an unreadable state file or a bind failure.
    pub async fn start(
        config: EmulatorConfig,
        addr: SocketAddr,
    ) -> Result<EmulatorHandle, StartError> {
        if config.apps.is_empty() {
            return Err(StartError::Config(
                "apps: at least one app is required".to_owned(),
            ));
        }
        for app in &config.apps {
            app.validate().map_err(StartError::Config)?;
        }
        let fresh_clock = ClockState {
            base: config
                .start_time
                .unwrap_or_else(time::OffsetDateTime::now_utc),
            offset_seconds: 0,
        };
        let loaded = match &config.state_file {
            Some(path) => persist::read_if_present(path)
                .map_err(|e| StartError::StateFile(format!("{}: {e}", path.display())))?
                .map(|bytes| {
                    state::load(&bytes, &config.apps)
                        .map_err(|e| StartError::StateFile(format!("{}: {e}", path.display())))
                })
                .transpose()?,
            None => None,
        };
        let mut state = match loaded {
            Some(state) => state,
            None => State::fresh(&config, fresh_clock).map_err(StartError::Config)?,
        };
        // Apps named in the config exist even in an older state file.
        for app in &config.apps {
            if !state.apps.contains_key(&app.app_key) {
                state.upsert_app(app.clone()).map_err(StartError::Config)?;
            }
        }
        let transport = ipv_transport::HyperTransport::builder()
            .connect_timeout(std::time::Duration::from_secs(2))
            .request_timeout(config.callback_policy.timeout)
            .no_proxy()
            .build()
            .map_err(|e| StartError::Transport(e.to_string()))?;
        let listener = server::bind(addr).await.map_err(StartError::Bind)?;
        let local_addr = listener.local_addr().map_err(StartError::Bind)?;
        let access =
            dashboard::Access::new(&config, local_addr.port()).map_err(StartError::Config)?;
        let (persister, writer) = match &config.state_file {
            Some(path) => {
                let (persister, task) = persist::Persister::start(path.clone());
                (Some(persister), Some(task))
            }
            None => (None, None),
        };
        let shared = Arc::new(Shared {
            clock: Mutex::new(Clock::new(state.clock)),
            fault_rng: Mutex::new(FaultRng::new(state.faults.seed)),
            keys: Mutex::new(Default::default()),
            state: Mutex::new(state),
            config,
            wake_processor: Notify::new(),
            wake_dispatcher: Notify::new(),
            in_flight: Mutex::new(Default::default()),
            transport: Arc::new(transport),
            persister,
            access,
        });
        {
            let mut state = lock(&shared.state);
            shared.refresh_keys(&state);
            shared.persist(&mut state);
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(server::accept_loop(
                shared.clone(),
                listener,
                shutdown_rx.clone(),
            )),
            tokio::spawn(processor::processor(shared.clone(), shutdown_rx.clone())),
            tokio::spawn(callbacks::dispatcher(shared.clone(), shutdown_rx)),
        ];
        tracing::info!(addr = %local_addr, "ipv emulator listening");
        Ok(EmulatorHandle {
            local_addr,
            shared,
            shutdown: shutdown_tx,
            tasks,
            writer,
        })
    }

    /// Runs an emulator until `signal` completes (for example `tokio::signal::ctrl_c()`),
    /// then shuts it down gracefully.
    ///
    /// # Errors
    /// As [`Emulator::start`].
    pub async fn serve<F>(
        config: EmulatorConfig,
        addr: SocketAddr,
        signal: F,
    ) -> Result<(), StartError>
    where
        F: std::future::Future + Send,
    {
        let handle = Self::start(config, addr).await?;
        signal.await;
        handle.shutdown().await;
        Ok(())
    }
}

/// A running emulator.
pub struct EmulatorHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The state-file writer task, stopped after the last flush.
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// Answers one API request in process, exactly as the HTTP server would for a POST
    /// of `body` to `path` (an `/api/open/app/.../v2` path), without a socket and without
    /// the injected latency: the envelope check, the uniform 10001 answer, injected
    /// faults, the reqId replay cache, the handler and the sealed reply are all the same
    /// code. For fuzzers and tests. Orders it creates are processed and their callbacks
    /// sent by the running emulator as usual.
    #[must_use]
    pub fn answer_api_request(&self, path: &str, body: &[u8]) -> ApiReply {
        let Some(route) = api::route_for(path) else {
            return ApiReply {
                status: 404,
                body: responses::NOT_FOUND_BODY.as_bytes().to_vec(),
                dropped: false,
            };
        };
        let answer = answer::answer_api(&self.shared, route, path, body);
        if answer.changed {
            self.shared.kick();
        }
        ApiReply {
            status: answer.status.as_u16(),
            body: answer.body.to_vec(),
            dropped: answer.drop_connection,
        }
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://{addr}`, the base URL to give a client.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The token state-changing control requests carry in the `X-Emulator-Token`
    /// header (the configured one, or the one generated at start).
    #[must_use]
    pub fn control_token(&self) -> &str {
        self.shared.access.token()
    }

    /// `http://{addr}/__emulator/ui/`, the dashboard.
    #[must_use]
    pub fn dashboard_url(&self) -> String {
        format!("{}/__emulator/ui/", self.base_url())
    }

    /// The control API.
    #[must_use]
    pub fn control(&self) -> Control {
        Control {
            shared: self.shared.clone(),
        }
    }

    /// The first configured app (the default one).
    #[must_use]
    pub fn default_app(&self) -> Option<&AppConfig> {
        self.shared.config.apps.first()
    }

    /// Stops accepting, lets open connections finish (up to 5 s), stops the background
    /// tasks and writes the state file one last time (waiting up to 30 s for the disk).
    /// Undelivered callbacks stay queued in the state file and are sent after a restart.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        {
            let mut state = lock(&self.shared.state);
            self.shared.persist(&mut state);
        }
        if let Some(persister) = &self.shared.persister {
            persister.flush().await;
        }
        if let Some(writer) = self.writer {
            writer.abort();
        }
    }
}
