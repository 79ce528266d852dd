//! The control API: the same operations from Rust ([`Control`]) and over plain JSON HTTP
//! under `/__emulator/` (unencrypted, meant for loopback use by tests and tools).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use ipv_types::{Money, OrderStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::AppConfig;
use crate::faults::{FaultConfig, FaultRng};
use crate::outbox::DeliveryAttempt;
use crate::persist::StateWriteHold;
use crate::records::LedgerKind;
use crate::responses::not_found;
pub(crate) use crate::responses::reply;
use crate::shared::{Shared, lock};
use crate::state::{FaultStats, State, check_invariants};
use crate::{accounts, delivery};

/// The longest single clock advance: 100 years.
const MAX_ADVANCE_SECONDS: i64 = 3_155_760_000;

/// A control call was refused; the message names the bad field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("emulator control: {0}")]
pub struct ControlError(pub String);

/// The emulator clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockInfo {
    /// Emulator time now.
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
    /// The same, as a unix timestamp.
    pub unix: i64,
    /// Seconds added by `clock/advance` so far.
    pub offset_seconds: i64,
}

/// Money and order figures for one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSummary {
    /// The app.
    pub app_key: String,
    /// Balance now.
    pub balance: Money,
    /// Balance when the app was created.
    pub starting_balance: Money,
    /// Sum of top-ups.
    pub top_ups: Money,
    /// Number of charges (one per charged order).
    pub charges: usize,
    /// Sum of charges.
    pub charged: Money,
    /// Number of refunds.
    pub refunds: usize,
    /// Sum of refunds.
    pub refunded: Money,
    /// Number of orders.
    pub orders: usize,
    /// Orders per status name (`pending`, `processing`, `succeeded`, `failed`, `partlyDone`).
    pub orders_by_status: BTreeMap<String, usize>,
    /// Number of instances ever created.
    pub instances: usize,
    /// Instances not released or closed.
    pub live_instances: usize,
}

/// What `GET /__emulator/summary` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// One entry per app.
    pub apps: Vec<AppSummary>,
    /// What the fault injector and the replay cache did.
    pub faults: FaultStats,
    /// Callbacks waiting for delivery.
    pub callbacks_pending: usize,
    /// Delivery attempts logged.
    pub delivery_attempts: usize,
    /// Callbacks acknowledged (first copies, duplicates excluded).
    pub callbacks_acknowledged: usize,
}

/// The Rust face of the control API. Cheap to clone.
#[derive(Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control").finish_non_exhaustive()
    }
}

fn status_name(status: OrderStatus) -> String {
    match status {
        OrderStatus::Pending => "pending".to_owned(),
        OrderStatus::Processing => "processing".to_owned(),
        OrderStatus::Succeeded => "succeeded".to_owned(),
        OrderStatus::Failed => "failed".to_owned(),
        OrderStatus::PartlyDone => "partlyDone".to_owned(),
        other => other.as_i64().to_string(),
    }
}

impl Control {
    fn changed(&self, state: &mut State) {
        self.shared.persist(state);
        self.shared.kick();
    }

    /// Back to the seeded state: the configured apps with their starting balances, no
    /// orders, no faults, the clock offset at zero. Order, instance and callback numbers
    /// keep counting (they are never reused).
    ///
    /// # Errors
    /// When the configured apps are invalid.
    pub fn reset(&self) -> Result<(), ControlError> {
        let clock_state = {
            let mut clock = lock(&self.shared.clock);
            clock.state.offset_seconds = 0;
            clock.snapshot()
        };
        let mut fresh = State::fresh(&self.shared.config, clock_state).map_err(ControlError)?;
        let mut state = lock(&self.shared.state);
        // Numbers keep counting across resets: an order or callback number is never
        // handed out twice by one emulator, so receivers' dedupe stores stay correct and
        // a delivery still running from before the reset cannot pick up a new callback.
        fresh.counters = state.counters.clone();
        *state = fresh;
        *lock(&self.shared.fault_rng) = FaultRng::new(state.faults.seed);
        self.shared.refresh_keys(&state);
        lock(&self.shared.in_flight).clear();
        self.changed(&mut state);
        Ok(())
    }

    /// The whole state as JSON, without the app secrets (as the state file keeps it).
    #[must_use]
    pub fn state_json(&self) -> serde_json::Value {
        let mut state = lock(&self.shared.state).clone();
        state.clock = lock(&self.shared.clock).snapshot();
        for app in state.apps.values_mut() {
            app.config.secret = "[redacted]".to_owned();
        }
        serde_json::to_value(&state).unwrap_or(serde_json::Value::Null)
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> ClockInfo {
        let clock = lock(&self.shared.clock);
        let now = clock.now();
        ClockInfo {
            now,
            unix: now.unix_timestamp(),
            offset_seconds: clock.state.offset_seconds,
        }
    }

    /// Moves the clock forward by `seconds` (at least 0) and applies everything that
    /// became due: orders are delivered, instances expire.
    ///
    /// # Errors
    /// When `seconds` is negative (time never goes back).
    pub fn advance_clock(&self, seconds: i64) -> Result<ClockInfo, ControlError> {
        if seconds < 0 {
            return Err(ControlError("seconds: must not be negative".to_owned()));
        }
        if seconds > MAX_ADVANCE_SECONDS {
            return Err(ControlError(
                "seconds: at most 100 years (3155760000) per call".to_owned(),
            ));
        }
        {
            let mut clock = lock(&self.shared.clock);
            let target = clock
                .now()
                .checked_add(time::Duration::seconds(seconds))
                .filter(|t| t.year() < 9000);
            if target.is_none() {
                return Err(ControlError(
                    "seconds: the clock would leave the supported range".to_owned(),
                ));
            }
            clock.advance(seconds);
        }
        let now = self.shared.now();
        {
            let mut state = lock(&self.shared.state);
            delivery::process_due(&mut state, now, false);
            self.changed(&mut state);
        }
        Ok(self.clock())
    }

    /// The faults now in force.
    #[must_use]
    pub fn faults(&self) -> FaultConfig {
        lock(&self.shared.state).faults.clone()
    }

    /// Replaces the faults (and reseeds the generator from `faults.seed`).
    ///
    /// # Errors
    /// When a rate is not a probability.
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), ControlError> {
        faults.validate().map_err(ControlError)?;
        let mut state = lock(&self.shared.state);
        *lock(&self.shared.fault_rng) = FaultRng::new(faults.seed);
        state.faults = faults;
        self.changed(&mut state);
        Ok(())
    }

    /// The callback delivery log, oldest first.
    #[must_use]
    pub fn callbacks(&self) -> Vec<DeliveryAttempt> {
        lock(&self.shared.state)
            .deliveries
            .iter()
            .cloned()
            .collect()
    }

    /// Adds an app or updates one (an existing app keeps its money).
    ///
    /// # Errors
    /// When the app's settings are invalid (the message names the field).
    pub fn upsert_app(&self, app: AppConfig) -> Result<(), ControlError> {
        let mut state = lock(&self.shared.state);
        state.upsert_app(app).map_err(ControlError)?;
        self.shared.refresh_keys(&state);
        self.changed(&mut state);
        Ok(())
    }

    /// Delivers every open order now, whatever its schedule. Returns how many moved.
    #[must_use]
    pub fn process_orders(&self) -> usize {
        let now = self.shared.now();
        let mut state = lock(&self.shared.state);
        let moved = delivery::process_due(&mut state, now, true);
        self.changed(&mut state);
        moved
    }

    /// Checks the money and stock invariants.
    ///
    /// # Errors
    /// The first broken invariant.
    pub fn check_invariants(&self) -> Result<(), ControlError> {
        check_invariants(&lock(&self.shared.state)).map_err(ControlError)
    }

    /// Sets a product's stock (a product callback follows).
    ///
    /// # Errors
    /// Unknown product or negative stock.
    pub fn set_stock(&self, product_no: &str, inventory: i64) -> Result<(), ControlError> {
        let now = self.shared.now();
        let mut state = lock(&self.shared.state);
        state
            .set_stock(product_no, inventory, now)
            .map_err(ControlError)?;
        self.changed(&mut state);
        Ok(())
    }

    /// Records dynamic flow use by a main account or proxy user.
    ///
    /// # Errors
    /// Unknown app, account or allotment, or more than is left.
    pub fn record_usage(
        &self,
        app_key: &str,
        app_username: &str,
        product_no: &str,
        used_mb: u64,
    ) -> Result<(), ControlError> {
        let now = self.shared.now();
        let mut state = lock(&self.shared.state);
        accounts::record_usage(&mut state, app_key, now, app_username, product_no, used_mb)
            .map_err(ControlError)?;
        self.changed(&mut state);
        Ok(())
    }

    /// Adds money to an app.
    ///
    /// # Errors
    /// Unknown app or a non-positive amount.
    pub fn top_up(&self, app_key: &str, amount: Money) -> Result<(), ControlError> {
        if amount.is_negative() || amount.is_zero() {
            return Err(ControlError("amount: must be positive".to_owned()));
        }
        let now = self.shared.now();
        let mut state = lock(&self.shared.state);
        let app = state
            .apps
            .get_mut(app_key)
            .ok_or_else(|| ControlError(format!("appKey: no app {app_key}")))?;
        if app.balance.checked_add(amount).is_none() {
            return Err(ControlError(
                "amount: the balance would overflow".to_owned(),
            ));
        }
        app.top_up(amount, now);
        self.changed(&mut state);
        Ok(())
    }

    /// Money, order and fault figures.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let state = lock(&self.shared.state);
        let apps = state
            .apps
            .iter()
            .map(|(key, app)| {
                let sum = |kind: LedgerKind| {
                    let entries: Vec<Money> = app
                        .ledger
                        .iter()
                        .filter(|e| e.kind == kind)
                        .map(|e| e.amount)
                        .collect();
                    (entries.len(), entries.into_iter().sum::<Money>())
                };
                let (charges, charged) = sum(LedgerKind::Charge);
                let (refunds, refunded) = sum(LedgerKind::Refund);
                let (_, top_ups) = sum(LedgerKind::TopUp);
                let mut by_status = BTreeMap::new();
                for order in app.orders.values() {
                    *by_status.entry(status_name(order.status)).or_insert(0) += 1;
                }
                AppSummary {
                    app_key: key.clone(),
                    balance: app.balance,
                    starting_balance: app.starting_balance,
                    top_ups,
                    charges,
                    charged,
                    refunds,
                    refunded,
                    orders: app.orders.len(),
                    orders_by_status: by_status,
                    instances: app.instances.len(),
                    live_instances: app.instances.values().filter(|i| i.is_live()).count(),
                }
            })
            .collect();
        Summary {
            apps,
            faults: state.fault_stats.clone(),
            callbacks_pending: state.outbox.len(),
            delivery_attempts: state.deliveries.len(),
            callbacks_acknowledged: state
                .deliveries
                .iter()
                .filter(|d| d.acknowledged && !d.duplicate)
                .count(),
        }
    }

    /// Holds the state-file writer, as a very slow disk would: while the returned guard
    /// lives, no state file is written, requests are answered as usual, and newer
    /// snapshots replace older unwritten ones; when it is dropped, the latest snapshot is
    /// written. For tests of the persistence path. Without a state file it holds nothing.
    pub async fn hold_state_writes(&self) -> StateWriteHold {
        match &self.shared.persister {
            Some(persister) => persister.hold().await,
            None => StateWriteHold::nothing(),
        }
    }

    /// Waits until no callback is queued (or `timeout` passes); returns whether the
    /// queue drained.
    pub async fn wait_for_callbacks(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = lock(&self.shared.state).outbox.is_empty()
                && lock(&self.shared.in_flight).is_empty();
            if idle {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    seconds: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StockBody {
    product_no: String,
    inventory: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UsageBody {
    #[serde(default)]
    app_key: Option<String>,
    app_username: String,
    product_no: String,
    used_mb: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TopUpBody {
    #[serde(default)]
    app_key: Option<String>,
    amount: Money,
}

fn ok() -> Response<Full<Bytes>> {
    reply(StatusCode::OK, &serde_json::json!({"ok": true}))
}

pub(crate) fn refused(message: impl Into<String>) -> Response<Full<Bytes>> {
    reply(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({"ok": false, "error": message.into()}),
    )
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response<Full<Bytes>>>> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body)).map_err(|e| {
        let path = e.path().to_string();
        Box::new(refused(format!(
            "invalid JSON body at `{path}`: {}",
            e.into_inner()
        )))
    })
}

/// Serves the control route `/__emulator/{rest}` with the request's `body` (read, and the
/// request let in, by the server).
pub(crate) fn handle_http(
    shared: &Arc<Shared>,
    method: Method,
    rest: &str,
    body: &Bytes,
) -> Response<Full<Bytes>> {
    let control = Control {
        shared: shared.clone(),
    };
    let default_app = shared
        .config
        .apps
        .first()
        .map(|a| a.app_key.clone())
        .unwrap_or_default();
    macro_rules! try_parse {
        ($t:ty) => {
            match parse::<$t>(&body) {
                Ok(v) => v,
                Err(resp) => return *resp,
            }
        };
    }
    match (method, rest) {
        (Method::POST, "reset") => match control.reset() {
            Ok(()) => ok(),
            Err(e) => refused(e.0),
        },
        (Method::GET, "state") => reply(StatusCode::OK, &control.state_json()),
        (Method::GET, "summary") => reply(StatusCode::OK, &control.summary()),
        (Method::GET, "clock") => reply(StatusCode::OK, &control.clock()),
        (Method::POST, "clock/advance") => {
            let b = try_parse!(AdvanceBody);
            match control.advance_clock(b.seconds) {
                Ok(c) => reply(StatusCode::OK, &c),
                Err(e) => refused(e.0),
            }
        }
        (Method::GET, "faults") => reply(StatusCode::OK, &control.faults()),
        (Method::POST, "faults") => {
            let f = try_parse!(FaultConfig);
            match control.set_faults(f) {
                Ok(()) => reply(StatusCode::OK, &control.faults()),
                Err(e) => refused(e.0),
            }
        }
        (Method::GET, "callbacks") => reply(StatusCode::OK, &control.callbacks()),
        (Method::POST, "apps") => {
            let app = try_parse!(AppConfig);
            match control.upsert_app(app) {
                Ok(()) => ok(),
                Err(e) => refused(e.0),
            }
        }
        (Method::POST, "orders/process") => {
            let moved = control.process_orders();
            reply(
                StatusCode::OK,
                &serde_json::json!({"ok": true, "moved": moved}),
            )
        }
        (Method::GET, "invariants") => match control.check_invariants() {
            Ok(()) => ok(),
            Err(e) => reply(
                StatusCode::CONFLICT,
                &serde_json::json!({"ok": false, "error": e.0}),
            ),
        },
        (Method::POST, "products/stock") => {
            let b = try_parse!(StockBody);
            match control.set_stock(&b.product_no, b.inventory) {
                Ok(()) => ok(),
                Err(e) => refused(e.0),
            }
        }
        (Method::POST, "usage") => {
            let b = try_parse!(UsageBody);
            let app = b.app_key.unwrap_or(default_app);
            match control.record_usage(&app, &b.app_username, &b.product_no, b.used_mb) {
                Ok(()) => ok(),
                Err(e) => refused(e.0),
            }
        }
        (Method::POST, "topup") => {
            let b = try_parse!(TopUpBody);
            let app = b.app_key.unwrap_or(default_app);
            match control.top_up(&app, b.amount) {
                Ok(()) => ok(),
                Err(e) => refused(e.0),
            }
        }
        _ => not_found(),
    }
}
