//! The whole mutable state of an emulator, kept behind one lock so every request applies
//! atomically, and serialisable so it can be persisted and dumped.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use ipv_types::{ApiCode, InstanceStatus, Money};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalogue::{self, Catalogue};
use crate::clock::ClockState;
use crate::config::{AppConfig, EmulatorConfig, MAX_ADDRESSES_PER_PRODUCT, parse_amount};
use crate::faults::FaultConfig;
use crate::index::{ExpiryIndex, TimeIndex};
use crate::outbox::{CallbackType, DeliveryAttempt, OUTBOX_LIMIT, OutgoingCallback};
use crate::records::{
    CachedReply, InstanceRecord, LedgerEntry, LedgerKind, MainAccount, OrderRecord,
    ProxyUserRecord, ResetRecord, UsageRecord,
};

/// How many delivery attempts the log keeps.
const DELIVERY_LOG_LIMIT: usize = 10_000;

/// A refusal with a documented code and a message naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    pub(crate) code: ApiCode,
    pub(crate) msg: String,
}

impl ApiFailure {
    pub(crate) fn new(code: ApiCode, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }

    /// 10004 naming `field`.
    pub(crate) fn invalid(field: impl std::fmt::Display, why: impl std::fmt::Display) -> Self {
        Self::new(
            ApiCode::InvalidParams,
            format!("bad parameters: {field}: {why}"),
        )
    }
}

/// Counters for what the fault injector and the replay cache did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultStats {
    /// Requests applied and then answered by closing the connection.
    pub dropped_after_apply: u64,
    /// Requests answered with an injected HTTP 5xx (not applied).
    pub http5xx: u64,
    /// Requests answered with an injected code 500 (not applied).
    pub system_errors: u64,
    /// Requests answered from the reqId replay cache (client retries).
    pub replays: u64,
    /// Requests refused with the uniform 10001 answer.
    pub undecryptable: u64,
    /// Duplicate callbacks sent.
    pub duplicate_callbacks: u64,
}

/// Number sequences for the identifiers the emulator hands out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Counters {
    pub(crate) order: u64,
    pub(crate) instance: u64,
    pub(crate) user: u64,
    pub(crate) callback: u64,
    pub(crate) secret: u64,
}

/// Everything one app owns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppState {
    /// Persisted without its secret (see [`stored_app`]).
    #[serde(with = "stored_app")]
    pub(crate) config: AppConfig,
    pub(crate) starting_balance: Money,
    pub(crate) balance: Money,
    pub(crate) ledger: Vec<LedgerEntry>,
    pub(crate) orders: BTreeMap<String, OrderRecord>,
    /// appOrderNo -> orderNo.
    pub(crate) app_orders: BTreeMap<String, String>,
    pub(crate) instances: BTreeMap<String, InstanceRecord>,
    pub(crate) users: BTreeMap<String, MainAccount>,
    pub(crate) proxy_users: BTreeMap<String, ProxyUserRecord>,
    pub(crate) usage: Vec<UsageRecord>,
    pub(crate) resets: BTreeMap<String, ResetRecord>,
    pub(crate) replies: BTreeMap<String, CachedReply>,
    pub(crate) reply_order: VecDeque<String>,
    /// The orders by creation time (derived; rebuilt on load).
    #[serde(skip)]
    pub(crate) order_times: TimeIndex,
    /// The instances by opening time (derived; rebuilt on load).
    #[serde(skip)]
    pub(crate) instance_times: TimeIndex,
}

impl AppState {
    fn new(config: AppConfig) -> Result<Self, String> {
        config.validate()?;
        let balance = Money::from_decimal(parse_amount(&config.balance)?);
        Ok(Self {
            config,
            starting_balance: balance,
            balance,
            ledger: Vec::new(),
            orders: BTreeMap::new(),
            app_orders: BTreeMap::new(),
            instances: BTreeMap::new(),
            users: BTreeMap::new(),
            proxy_users: BTreeMap::new(),
            usage: Vec::new(),
            resets: BTreeMap::new(),
            replies: BTreeMap::new(),
            reply_order: VecDeque::new(),
            order_times: TimeIndex::default(),
            instance_times: TimeIndex::default(),
        })
    }

    /// Records a new order (and indexes it by its creation time).
    pub(crate) fn add_order(&mut self, order: OrderRecord) {
        self.order_times.insert(order.created_at, &order.order_no);
        self.orders.insert(order.order_no.clone(), order);
    }

    /// Takes `amount` from the balance and records the charge.
    pub(crate) fn charge(&mut self, amount: Money, reference: &str, at: OffsetDateTime) {
        self.balance -= amount;
        self.ledger.push(LedgerEntry {
            kind: LedgerKind::Charge,
            amount,
            reference: reference.to_owned(),
            at,
        });
    }

    /// Gives `amount` back and records the refund.
    pub(crate) fn refund(&mut self, amount: Money, reference: &str, at: OffsetDateTime) {
        if amount.is_zero() {
            return;
        }
        self.balance += amount;
        self.ledger.push(LedgerEntry {
            kind: LedgerKind::Refund,
            amount,
            reference: reference.to_owned(),
            at,
        });
    }

    /// Adds money to the app (a top-up through the control API).
    pub(crate) fn top_up(&mut self, amount: Money, at: OffsetDateTime) {
        self.balance += amount;
        self.ledger.push(LedgerEntry {
            kind: LedgerKind::TopUp,
            amount,
            reference: "topup".to_owned(),
            at,
        });
    }

    /// Remembers the sealed answer to `req_id`, evicting the oldest beyond `limit`.
    pub(crate) fn remember_reply(&mut self, req_id: &str, reply: CachedReply, limit: usize) {
        if self.replies.insert(req_id.to_owned(), reply).is_none() {
            self.reply_order.push_back(req_id.to_owned());
        }
        while self.reply_order.len() > limit.max(1) {
            if let Some(old) = self.reply_order.pop_front() {
                self.replies.remove(&old);
            }
        }
    }
}

/// The emulator's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State {
    pub(crate) clock: ClockState,
    pub(crate) apps: BTreeMap<String, AppState>,
    pub(crate) catalogue: Catalogue,
    /// Static IPs currently held by live instances.
    pub(crate) allocated_ips: BTreeSet<String>,
    /// (appKey, orderNo) of orders not yet final.
    pub(crate) open_orders: BTreeSet<(String, String)>,
    pub(crate) counters: Counters,
    pub(crate) faults: FaultConfig,
    pub(crate) fault_stats: FaultStats,
    /// Callbacks waiting to be sent, oldest first (a deque: a full outbox drops its
    /// oldest in O(1)).
    pub(crate) outbox: VecDeque<OutgoingCallback>,
    pub(crate) deliveries: VecDeque<DeliveryAttempt>,
    /// Running instances by expiry (derived; rebuilt on load).
    #[serde(skip)]
    pub(crate) expiries: ExpiryIndex,
}

/// When an instance is due to expire: its `userExpired` while it runs, else never.
pub(crate) fn expiry_key(inst: &InstanceRecord) -> Option<OffsetDateTime> {
    if inst.status == InstanceStatus::Running {
        inst.user_expired
    } else {
        None
    }
}

impl State {
    /// The app with this key. An unknown key cannot get this far (the envelope check
    /// answers it with the uniform 10001 first); the same answer keeps it that way.
    pub(crate) fn app(&self, app_key: &str) -> Result<&AppState, ApiFailure> {
        self.apps.get(app_key).ok_or_else(unknown_app)
    }

    /// The app with this key, to change it.
    pub(crate) fn app_mut(&mut self, app_key: &str) -> Result<&mut AppState, ApiFailure> {
        self.apps.get_mut(app_key).ok_or_else(unknown_app)
    }

    /// A fresh state: the seeded catalogue and `apps` with their starting balances.
    pub(crate) fn seeded(apps: &[AppConfig], clock: ClockState) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for app in apps {
            map.insert(app.app_key.clone(), AppState::new(app.clone())?);
        }
        Ok(Self {
            clock,
            apps: map,
            catalogue: catalogue::seed(),
            allocated_ips: BTreeSet::new(),
            open_orders: BTreeSet::new(),
            counters: Counters::default(),
            faults: FaultConfig::none(),
            fault_stats: FaultStats::default(),
            outbox: VecDeque::new(),
            deliveries: VecDeque::new(),
            expiries: ExpiryIndex::default(),
        })
    }

    /// Rebuilds the derived indexes from the records (after loading a state file).
    pub(crate) fn rebuild_indexes(&mut self) {
        let mut expiries = ExpiryIndex::default();
        for (app_key, app) in &mut self.apps {
            let (orders, instances) = record_times(app);
            app.order_times = orders;
            app.instance_times = instances;
            for inst in app.instances.values() {
                expiries.update(app_key, &inst.instance_no, None, expiry_key(inst));
            }
        }
        self.expiries = expiries;
    }

    /// Adds a new instance to an app, indexed by its opening time and expiry.
    pub(crate) fn add_instance(&mut self, app_key: &str, inst: InstanceRecord) {
        let Some(app) = self.apps.get_mut(app_key) else {
            return;
        };
        self.expiries
            .update(app_key, &inst.instance_no, None, expiry_key(&inst));
        app.instance_times.insert(inst.open_at, &inst.instance_no);
        app.instances.insert(inst.instance_no.clone(), inst);
    }

    /// Changes an instance through `change`, keeping the expiry index in step; `None` when
    /// the app or instance does not exist. Every change of an instance's status or expiry
    /// goes through here.
    pub(crate) fn change_instance<R>(
        &mut self,
        app_key: &str,
        instance_no: &str,
        change: impl FnOnce(&mut InstanceRecord) -> R,
    ) -> Option<R> {
        let inst = self.apps.get_mut(app_key)?.instances.get_mut(instance_no)?;
        let before = expiry_key(inst);
        let out = change(inst);
        let after = expiry_key(inst);
        self.expiries.update(app_key, instance_no, before, after);
        Some(out)
    }

    /// A fresh state for `config`: [`State::seeded`] with its apps, every static product
    /// widened to [`EmulatorConfig::addresses_per_product`] addresses when that is set.
    pub(crate) fn fresh(config: &EmulatorConfig, clock: ClockState) -> Result<Self, String> {
        let mut state = Self::seeded(&config.apps, clock)?;
        if let Some(addresses) = config.addresses_per_product {
            if addresses > MAX_ADDRESSES_PER_PRODUCT {
                return Err(format!(
                    "addressesPerProduct: at most {MAX_ADDRESSES_PER_PRODUCT}"
                ));
            }
            catalogue::widen(&mut state.catalogue, addresses)?;
        }
        Ok(state)
    }

    /// Adds an app, or updates an existing one's settings (its money is kept; a new
    /// `balance` only applies to a new app).
    pub(crate) fn upsert_app(&mut self, config: AppConfig) -> Result<(), String> {
        config.validate()?;
        match self.apps.get_mut(&config.app_key) {
            Some(app) => {
                app.config = AppConfig {
                    balance: app.config.balance.clone(),
                    ..config
                };
            }
            None => {
                self.apps
                    .insert(config.app_key.clone(), AppState::new(config)?);
            }
        }
        Ok(())
    }

    /// A new platform order number (`C` + time + sequence, like the platform's).
    pub(crate) fn next_order_no(&mut self, now: OffsetDateTime) -> String {
        self.counters.order += 1;
        format!(
            "C{:04}{:02}{:02}{:02}{:02}{:02}{:06}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            self.counters.order
        )
    }

    /// A new instance number.
    pub(crate) fn next_instance_no(&mut self) -> String {
        self.counters.instance += 1;
        format!("c_emu{:09}", self.counters.instance)
    }

    /// A new deterministic password-like secret (16 characters of [a-z0-9]).
    pub(crate) fn next_secret(&mut self) -> String {
        self.counters.secret += 1;
        let mut x = self
            .counters
            .secret
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(17)
            ^ 0x5851_f42d_4c95_7f2d;
        let alphabet = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut out = String::with_capacity(16);
        for _ in 0..16 {
            out.push(char::from(alphabet[(x % 32) as usize]));
            x = x.wrapping_mul(0x2545_f491_4f6c_dd1d).rotate_left(7) ^ 0x9e37;
        }
        out
    }

    /// A new platform username.
    pub(crate) fn next_username(&mut self, prefix: &str) -> String {
        self.counters.user += 1;
        format!("{prefix}{:07}", self.counters.user)
    }

    /// Queues a callback for one app, if it has a callback URL. `now` (emulator time)
    /// dates the log entry of a callback dropped from a full outbox.
    pub(crate) fn enqueue_callback(
        &mut self,
        app_key: &str,
        kind: CallbackType,
        no: &str,
        op: &str,
        now: OffsetDateTime,
    ) {
        let Some(url) = self
            .apps
            .get(app_key)
            .and_then(|a| a.config.callback_url.clone())
        else {
            return;
        };
        self.counters.callback += 1;
        self.outbox.push_back(OutgoingCallback {
            id: self.counters.callback,
            app_key: app_key.to_owned(),
            url,
            kind,
            no: no.to_owned(),
            op: op.to_owned(),
            attempts: 0,
        });
        // Bounded: beyond the limit the oldest callback (the one retried longest) is
        // dropped, and the drop is logged where its attempts are.
        while self.outbox.len() > OUTBOX_LIMIT {
            let Some(dropped) = self.outbox.pop_front() else {
                break;
            };
            self.log_delivery(DeliveryAttempt::of(
                &dropped,
                dropped.attempts,
                false,
                false,
                "dropped: the outbox is full".to_owned(),
                now,
            ));
        }
    }

    /// Queues a product callback for every app with a callback URL.
    pub(crate) fn enqueue_product_callback(&mut self, product_no: &str, now: OffsetDateTime) {
        let keys: Vec<String> = self.apps.keys().cloned().collect();
        for key in keys {
            self.enqueue_callback(&key, CallbackType::Product, product_no, "", now);
        }
    }

    /// Appends to the delivery log, keeping it bounded.
    pub(crate) fn log_delivery(&mut self, attempt: DeliveryAttempt) {
        self.deliveries.push_back(attempt);
        while self.deliveries.len() > DELIVERY_LOG_LIMIT {
            self.deliveries.pop_front();
        }
    }

    /// Changes a product's stock (control API): the CIDR blocks are scaled down or the
    /// first block takes the difference, and a product callback is queued.
    pub(crate) fn set_stock(
        &mut self,
        product_no: &str,
        inventory: i64,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        if inventory < 0 {
            return Err("inventory: must not be negative".to_owned());
        }
        let product = self
            .catalogue
            .product_mut(product_no)
            .ok_or_else(|| format!("productNo: no product {product_no}"))?;
        if product.cidr_blocks.is_empty() {
            product.inventory = inventory;
        } else {
            let mut left = inventory;
            for block in &mut product.cidr_blocks {
                // A /24 has 254 usable hosts; blocks hold at most that many.
                let take = left.min(254);
                block.count = take;
                left -= take;
            }
            product.inventory = product.cidr_blocks.iter().map(|b| b.count).sum();
        }
        self.enqueue_product_callback(product_no, now);
        Ok(())
    }
}

/// Money and stock checks over the whole state. Returns a message naming the first
/// broken invariant.
///
/// For every app: balance = starting balance + top-ups - charges + refunds, refunds per
/// order never exceed its charges, the balance is never negative. For every product:
/// inventory and every CIDR block count are never negative, and the inventory of a
/// product with blocks equals the sum of its blocks.
pub(crate) fn check_invariants(state: &State) -> Result<(), String> {
    for (key, app) in &state.apps {
        let mut charged = Money::ZERO;
        let mut refunded = Money::ZERO;
        let mut topped = Money::ZERO;
        let mut per_order: BTreeMap<&str, (Money, Money)> = BTreeMap::new();
        for entry in &app.ledger {
            let slot = per_order.entry(entry.reference.as_str()).or_default();
            match entry.kind {
                LedgerKind::Charge => {
                    charged += entry.amount;
                    slot.0 += entry.amount;
                }
                LedgerKind::Refund => {
                    refunded += entry.amount;
                    slot.1 += entry.amount;
                }
                LedgerKind::TopUp => topped += entry.amount,
            }
        }
        let expected = app.starting_balance + topped - charged + refunded;
        if expected.as_decimal() != app.balance.as_decimal() {
            return Err(format!(
                "app {key}: balance {} != starting {} + top-ups {} - charges {} + refunds {}",
                app.balance, app.starting_balance, topped, charged, refunded
            ));
        }
        if app.balance.is_negative() {
            return Err(format!("app {key}: negative balance {}", app.balance));
        }
        for (reference, (c, r)) in &per_order {
            // Flow returns refund what an earlier order charged, and release orders
            // refund what the open order charged: compare per order only for orders
            // that charged something.
            if !c.is_zero() && r.as_decimal() > c.as_decimal() {
                return Err(format!(
                    "app {key}: {reference} refunded {r} but charged only {c}"
                ));
            }
        }
        for order in app.orders.values() {
            if order.refunded.is_negative() || order.amount.is_negative() {
                return Err(format!("order {}: negative amount", order.order_no));
            }
        }
    }
    check_indexes(state)?;
    for product in &state.catalogue.products {
        if product.inventory < 0 {
            return Err(format!(
                "product {}: negative inventory",
                product.product_no
            ));
        }
        if product.cidr_blocks.iter().any(|b| b.count < 0) {
            return Err(format!(
                "product {}: negative block count",
                product.product_no
            ));
        }
        if !product.cidr_blocks.is_empty()
            && product.inventory != product.cidr_blocks.iter().map(|b| b.count).sum::<i64>()
        {
            return Err(format!(
                "product {}: inventory differs from its blocks",
                product.product_no
            ));
        }
    }
    Ok(())
}

/// An app's orders by creation time and instances by opening time, from the records.
fn record_times(app: &AppState) -> (TimeIndex, TimeIndex) {
    let mut orders = TimeIndex::default();
    for order in app.orders.values() {
        orders.insert(order.created_at, &order.order_no);
    }
    let mut instances = TimeIndex::default();
    for inst in app.instances.values() {
        instances.insert(inst.open_at, &inst.instance_no);
    }
    (orders, instances)
}

/// The derived indexes agree with the records they index.
fn check_indexes(state: &State) -> Result<(), String> {
    let mut expiries = ExpiryIndex::default();
    for (key, app) in &state.apps {
        let (orders, instances) = record_times(app);
        if orders != app.order_times || instances != app.instance_times {
            return Err(format!(
                "app {key}: the time indexes differ from the records"
            ));
        }
        for inst in app.instances.values() {
            expiries.update(key, &inst.instance_no, None, expiry_key(inst));
        }
    }
    if expiries != state.expiries {
        return Err("the expiry index differs from the instances".to_owned());
    }
    Ok(())
}

/// An app's settings as the state file keeps them: everything but the secret, which the
/// operator passes again on start. A file without secrets reads back with empty ones
/// (filled in from the configuration by [`load`]); an older file with secrets still reads.
mod stored_app {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize as _, Deserializer, Serialize as _, Serializer};

    use crate::config::AppConfig;

    pub(super) fn serialize<S: Serializer>(config: &AppConfig, s: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(config).map_err(S::Error::custom)?;
        if let Some(fields) = value.as_object_mut() {
            fields.remove("secret");
        }
        value.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AppConfig, D::Error> {
        let mut value = serde_json::Value::deserialize(d)?;
        if let Some(fields) = value.as_object_mut() {
            fields
                .entry("secret")
                .or_insert_with(|| serde_json::Value::String(String::new()));
        }
        serde_json::from_value(value).map_err(D::Error::custom)
    }
}

/// The bytes of the state file for `state` (no secrets in them).
pub(crate) fn persisted_bytes(state: &State) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(state)
}

/// Reads a state file and gives every app its secret from `configured` (the apps the
/// operator passed on start; a configured secret replaces one an older file kept).
///
/// # Errors
/// A message for a file that does not parse, or that has an app whose secret is not
/// configured.
pub(crate) fn load(bytes: &[u8], configured: &[AppConfig]) -> Result<State, String> {
    let mut state: State = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    state.rebuild_indexes();
    for app in state.apps.values_mut() {
        if let Some(config) = configured.iter().find(|c| c.app_key == app.config.app_key) {
            app.config.secret.clone_from(&config.secret);
        }
    }
    let missing: Vec<&str> = state
        .apps
        .values()
        .filter(|app| app.config.secret.is_empty())
        .map(|app| app.config.app_key.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the state file keeps no app secrets, and none is configured for app(s) {}: \
             pass each of them (appKey and secret) in the configuration again",
            missing.join(", ")
        ));
    }
    Ok(state)
}

fn unknown_app() -> ApiFailure {
    ApiFailure::new(ipv_types::ApiCode::DecryptFailed, "unknown app")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AppConfig;

    fn state() -> State {
        let clock = ClockState {
            base: OffsetDateTime::UNIX_EPOCH,
            offset_seconds: 0,
        };
        State::seeded(&[AppConfig::default_app()], clock).expect("seeded")
    }

    #[test]
    fn invariants_hold_for_a_fresh_state_and_catch_tampering() {
        let mut s = state();
        check_invariants(&s).expect("fresh state is consistent");

        let key = crate::config::DEFAULT_APP_KEY;
        let app = s.apps.get_mut(key).expect("default app");
        app.charge(Money::from_int(5), "C1", OffsetDateTime::UNIX_EPOCH);
        app.refund(Money::from_int(2), "C1", OffsetDateTime::UNIX_EPOCH);
        check_invariants(&s).expect("ledgered movements keep the books balanced");

        let mut unbooked = s.clone();
        unbooked.apps.get_mut(key).expect("app").balance += Money::from_int(1);
        assert!(
            check_invariants(&unbooked)
                .expect_err("caught")
                .contains("balance")
        );

        let mut over_refund = s.clone();
        over_refund.apps.get_mut(key).expect("app").refund(
            Money::from_int(10),
            "C1",
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(
            check_invariants(&over_refund)
                .expect_err("caught")
                .contains("refunded")
        );

        let mut negative = s.clone();
        negative.catalogue.products[0].cidr_blocks[0].count = -1;
        assert!(check_invariants(&negative).is_err());
    }

    #[test]
    fn the_state_file_keeps_no_secret_and_loading_needs_it_configured() {
        let s = state();
        let bytes = persisted_bytes(&s).expect("bytes");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(!text.contains(crate::config::DEFAULT_APP_SECRET));
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let config = &value["apps"][crate::config::DEFAULT_APP_KEY]["config"];
        assert!(config.get("appKey").is_some() && config.get("secret").is_none());

        let err = load(&bytes, &[]).expect_err("no secret configured");
        assert!(err.contains(crate::config::DEFAULT_APP_KEY), "{err}");
        assert!(err.contains("pass each of them"), "{err}");

        let loaded = load(&bytes, &[AppConfig::default_app()]).expect("configured");
        let app = loaded.app(crate::config::DEFAULT_APP_KEY).expect("app");
        assert_eq!(app.config.secret, crate::config::DEFAULT_APP_SECRET);
        assert_eq!(
            app.balance,
            s.app(crate::config::DEFAULT_APP_KEY).expect("app").balance
        );

        // An older file that kept the secret still loads; the configured one wins.
        let mut old = serde_json::to_value(&s).expect("value");
        old["apps"][crate::config::DEFAULT_APP_KEY]["config"]["secret"] =
            serde_json::json!("0123456789abcdef");
        let old = serde_json::to_vec(&old).expect("bytes");
        let from_old = load(&old, &[]).expect("an old file with its secret");
        assert_eq!(
            from_old
                .app(crate::config::DEFAULT_APP_KEY)
                .expect("app")
                .config
                .secret,
            "0123456789abcdef"
        );
        let replaced = load(&old, &[AppConfig::default_app()]).expect("configured");
        assert_eq!(
            replaced
                .app(crate::config::DEFAULT_APP_KEY)
                .expect("app")
                .config
                .secret,
            crate::config::DEFAULT_APP_SECRET
        );
    }

    #[test]
    fn the_outbox_is_bounded_and_logs_what_it_drops() {
        let mut s = state();
        let key = crate::config::DEFAULT_APP_KEY;
        s.apps.get_mut(key).expect("app").config.callback_url =
            Some("http://127.0.0.1:9/cb".into());
        for i in 0..OUTBOX_LIMIT + 3 {
            s.enqueue_callback(
                key,
                CallbackType::Order,
                &format!("C{i}"),
                "1",
                OffsetDateTime::UNIX_EPOCH,
            );
        }
        assert_eq!(s.outbox.len(), OUTBOX_LIMIT);
        assert_eq!(s.outbox[0].no, "C3", "the oldest went first");
        let dropped: Vec<&str> = s
            .deliveries
            .iter()
            .filter(|d| d.outcome.contains("outbox is full"))
            .map(|d| d.no.as_str())
            .collect();
        assert_eq!(dropped, ["C0", "C1", "C2"]);
    }

    fn instance(no: &str, open_s: i64, expires_s: Option<i64>) -> InstanceRecord {
        let at = |s: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s);
        InstanceRecord {
            instance_no: no.to_owned(),
            product_no: "ipv_dc_us_lax_m".to_owned(),
            proxy_type: ipv_types::ProxyType::StaticCloud,
            protocol: String::new(),
            use_type: String::new(),
            ip: "10.0.0.1".to_owned(),
            port: 1080,
            region_id: String::new(),
            country_code: String::new(),
            city_code: String::new(),
            username: String::new(),
            pwd: String::new(),
            order_no: "C1".to_owned(),
            user_expired: expires_s.map(at),
            flow_total: 0.0,
            flow_balance: 0.0,
            status: InstanceStatus::Running,
            renew: false,
            bridges: Vec::new(),
            open_at: at(open_s),
            renew_at: None,
            release_at: None,
            cidr: None,
            charged: Money::ZERO,
            releasing: false,
            unit: ipv_types::Unit::Month,
            duration: 1,
            app_username: None,
        }
    }

    #[test]
    fn indexes_follow_changes_are_rebuilt_on_load_and_checked() {
        let key = crate::config::DEFAULT_APP_KEY;
        let mut s = state();
        s.add_instance(key, instance("i2", 20, Some(100)));
        s.add_instance(key, instance("i1", 10, Some(50)));
        s.add_instance(key, instance("i3", 30, None));
        check_invariants(&s).expect("indexes in step");
        assert_eq!(
            s.expiries.first(),
            Some(OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(50))
        );
        // Stopping an instance takes it out of the expiry index.
        s.change_instance(key, "i1", |i| i.status = InstanceStatus::Stopped)
            .expect("exists");
        assert_eq!(
            s.expiries.first(),
            Some(OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(100))
        );
        assert!(s.change_instance(key, "nope", |_| ()).is_none());
        check_invariants(&s).expect("still in step");

        let loaded = load(
            &persisted_bytes(&s).expect("bytes"),
            &[AppConfig::default_app()],
        )
        .expect("loads");
        check_invariants(&loaded).expect("rebuilt on load");
        let app = loaded.app(key).expect("app");
        let (total, page) = app.instance_times.page_newest_first(None, None, 1, 10);
        assert_eq!((total, page), (3, vec!["i3", "i2", "i1"]));
        assert_eq!(loaded.expiries, s.expiries);

        // A change made behind the index's back is caught.
        let mut tampered = s.clone();
        tampered
            .apps
            .get_mut(key)
            .expect("app")
            .instances
            .get_mut("i2")
            .expect("i2")
            .user_expired = None;
        assert!(
            check_invariants(&tampered)
                .expect_err("caught")
                .contains("expiry index")
        );
    }

    #[test]
    fn reply_cache_is_bounded() {
        let mut s = state();
        let app = s.apps.get_mut(crate::config::DEFAULT_APP_KEY).expect("app");
        for i in 0..5 {
            app.remember_reply(
                &format!("r{i}"),
                CachedReply {
                    fingerprint: i,
                    body: String::new(),
                },
                3,
            );
        }
        assert_eq!(app.replies.len(), 3);
        assert!(!app.replies.contains_key("r0"));
        assert!(app.replies.contains_key("r4"));
    }

    #[test]
    fn set_stock_keeps_blocks_and_inventory_in_step() {
        let mut s = state();
        let now = OffsetDateTime::UNIX_EPOCH;
        s.set_stock("ipv_res_us_nyc_m", 300, now).expect("stock");
        let p = s.catalogue.product("ipv_res_us_nyc_m").expect("product");
        assert_eq!(p.inventory, 300);
        assert_eq!(p.cidr_blocks[0].count, 254);
        assert_eq!(p.cidr_blocks[1].count, 46);
        assert!(s.set_stock("nope", 1, now).is_err());
        assert!(s.set_stock("ipv_res_us_nyc_m", -1, now).is_err());
        check_invariants(&s).expect("consistent");
    }
}
