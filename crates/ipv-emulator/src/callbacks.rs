//! Callbacks to the app: queued in the state's outbox (so they survive a restart), sent
//! as `GET {url}?type=..&no=..&op=..`, and retried with backoff until the receiver
//! answers `{"code":"success"}` or the attempts run out. Every attempt is logged.
//!
//! Bounds: the outbox holds at most [`OUTBOX_LIMIT`] callbacks (beyond it the oldest is
//! dropped, and the drop is logged as an attempt); at most
//! [`EmulatorConfig::callback_concurrency`](crate::EmulatorConfig::callback_concurrency)
//! deliveries run at once (default [`DEFAULT_CALLBACK_CONCURRENCY`]), the others wait
//! in the outbox; the wait between attempts doubles up to the policy's maximum without
//! overflowing, whatever the maximum.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::{Semaphore, watch};

use crate::server::{Shared, lock};
use crate::state::State;

/// How many callbacks the outbox holds; beyond it the oldest is dropped.
pub const OUTBOX_LIMIT: usize = 10_000;

/// How many callback deliveries run at once unless configured otherwise.
pub const DEFAULT_CALLBACK_CONCURRENCY: usize = 16;

/// What a callback is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackType {
    /// An order finished (`no` = order number, `op` = 1 open, 2 renew, 3 release).
    Order,
    /// An instance changed state (`no` = instance number).
    Instance,
    /// A product changed, e.g. its stock (`no` = productNo).
    Product,
}

impl CallbackType {
    /// The `type` query value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Instance => "instance",
            Self::Product => "product",
        }
    }
}

/// A callback waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutgoingCallback {
    pub(crate) id: u64,
    pub(crate) app_key: String,
    pub(crate) url: String,
    #[serde(rename = "type")]
    pub(crate) kind: CallbackType,
    pub(crate) no: String,
    pub(crate) op: String,
    /// Attempts made so far (survives restarts).
    pub(crate) attempts: u32,
}

impl OutgoingCallback {
    /// The full URL of the GET, with the query appended to any query the URL has.
    pub(crate) fn target(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!(
            "{}{}type={}&no={}&op={}",
            self.url,
            separator,
            self.kind.as_str(),
            encode_query_value(&self.no),
            encode_query_value(&self.op)
        )
    }
}

/// Percent-encodes everything outside the URL-safe unreserved set.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One delivery attempt, as listed by `GET /__emulator/callbacks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    /// The callback's id (the same for every attempt of one callback).
    pub id: u64,
    /// The app it was sent for.
    pub app_key: String,
    /// `order`, `instance` or `product`.
    #[serde(rename = "type")]
    pub kind: CallbackType,
    /// The order, instance or product number.
    pub no: String,
    /// The operation (`1`/`2`/`3` for orders, empty otherwise).
    pub op: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Whether this was the extra copy sent by the `duplicateCallbacks` fault.
    pub duplicate: bool,
    /// Whether the receiver answered `{"code":"success"}`.
    pub acknowledged: bool,
    /// What happened: `success`, `http 500`, `unexpected answer`, a transport error kind.
    pub outcome: String,
    /// Emulator time of the attempt.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The wait after `current`: doubled, never above `max`, never overflowing.
pub(crate) fn next_backoff(current: Duration, max: Duration) -> Duration {
    current.saturating_mul(2).min(max)
}

/// Starts delivery tasks for queued callbacks not already being delivered, at most
/// `config.callback_concurrency` at a time.
pub(crate) async fn dispatcher(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(shared.config.callback_concurrency.max(1)));
    let mut deliveries = tokio::task::JoinSet::new();
    loop {
        let free = permits.available_permits();
        let ready: Vec<u64> = if free == 0 {
            Vec::new()
        } else {
            let state = lock(&shared.state);
            let mut in_flight = lock(&shared.in_flight);
            let ids: Vec<u64> = state
                .outbox
                .iter()
                .map(|cb| cb.id)
                .filter(|id| !in_flight.contains(id))
                .take(free)
                .collect();
            in_flight.extend(ids.iter().copied());
            ids
        };
        for id in ready {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                lock(&shared.in_flight).remove(&id);
                continue;
            };
            let shared = shared.clone();
            deliveries.spawn(async move {
                deliver_callback(&shared, id).await;
                drop(permit);
                // A slot is free: let the dispatcher start the next one now.
                shared.wake_dispatcher.notify_one();
            });
        }
        while deliveries.try_join_next().is_some() {}
        tokio::select! {
            () = shared.wake_dispatcher.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = shutdown.changed() => {
                deliveries.abort_all();
                return;
            }
        }
    }
}

/// Sends one GET; returns (acknowledged, outcome text).
async fn send_once(shared: &Shared, target: &str) -> (bool, String) {
    let request = match Request::builder()
        .method(Method::GET)
        .uri(target)
        .header(header::USER_AGENT, "ipv-emulator")
        .body(Bytes::new())
    {
        Ok(r) => r,
        Err(_) => return (false, "invalid callback URL".to_owned()),
    };
    let timeout = shared.config.callback_policy.timeout;
    match tokio::time::timeout(timeout, shared.transport.send(request)).await {
        Err(_) => (false, "timeout".to_owned()),
        Ok(Err(e)) => (false, format!("transport error ({})", e.kind())),
        Ok(Ok(resp)) if resp.status() != StatusCode::OK => {
            (false, format!("http {}", resp.status().as_u16()))
        }
        Ok(Ok(resp)) => {
            if is_acknowledged(resp.body()) {
                (true, "success".to_owned())
            } else {
                (false, "unexpected answer".to_owned())
            }
        }
    }
}

pub(crate) fn log_attempt(
    state: &mut State,
    cb: &OutgoingCallback,
    attempt: u32,
    duplicate: bool,
    ack: bool,
    outcome: String,
    at: OffsetDateTime,
) {
    state.log_delivery(DeliveryAttempt {
        id: cb.id,
        app_key: cb.app_key.clone(),
        kind: cb.kind,
        no: cb.no.clone(),
        op: cb.op.clone(),
        attempt,
        duplicate,
        acknowledged: ack,
        outcome,
        at,
    });
}

/// Delivers one callback, with retries and backoff; removes it from the outbox when it
/// is acknowledged or out of attempts.
async fn deliver_callback(shared: &Shared, id: u64) {
    let policy = shared.config.callback_policy;
    let mut backoff = policy.initial_backoff.min(policy.max_backoff);
    loop {
        let Some(cb) = lock(&shared.state)
            .outbox
            .iter()
            .find(|c| c.id == id)
            .cloned()
        else {
            break;
        };
        let target = cb.target();
        let (ack, outcome) = send_once(shared, &target).await;
        let attempt = cb.attempts.saturating_add(1);
        let give_up = !ack && attempt >= policy.max_attempts.max(1);
        let duplicate = ack && lock(&shared.state).faults.duplicate_callbacks;
        {
            let now = shared.now();
            let mut state = lock(&shared.state);
            log_attempt(&mut state, &cb, attempt, false, ack, outcome, now);
            if ack || give_up {
                state.outbox.retain(|c| c.id != id);
            } else if let Some(c) = state.outbox.iter_mut().find(|c| c.id == id) {
                c.attempts = attempt;
            }
            shared.persist(&mut state);
        }
        if duplicate {
            let (dup_ack, dup_outcome) = send_once(shared, &target).await;
            let now = shared.now();
            let mut state = lock(&shared.state);
            state.fault_stats.duplicate_callbacks += 1;
            log_attempt(&mut state, &cb, attempt, true, dup_ack, dup_outcome, now);
            shared.persist(&mut state);
        }
        if ack || give_up {
            break;
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff, policy.max_backoff);
    }
    lock(&shared.in_flight).remove(&id);
}

/// Whether a receiver's answer body acknowledges the callback.
pub(crate) fn is_acknowledged(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Ack {
        code: serde_json::Value,
    }
    match serde_json::from_slice::<Ack>(body) {
        Ok(ack) => ack.code.as_str() == Some("success"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_appends_the_query() {
        let cb = OutgoingCallback {
            id: 1,
            app_key: "AK".into(),
            url: "http://127.0.0.1:9/cb".into(),
            kind: CallbackType::Order,
            no: "C2024 01".into(),
            op: "1".into(),
            attempts: 0,
        };
        assert_eq!(
            cb.target(),
            "http://127.0.0.1:9/cb?type=order&no=C2024%2001&op=1"
        );
        let with_query = OutgoingCallback {
            url: "http://h/cb?tenant=a".into(),
            ..cb
        };
        assert!(
            with_query
                .target()
                .starts_with("http://h/cb?tenant=a&type=order")
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_without_overflow() {
        let max = Duration::from_millis(500);
        assert_eq!(
            next_backoff(Duration::from_millis(10), max),
            Duration::from_millis(20)
        );
        assert_eq!(next_backoff(Duration::from_millis(400), max), max);
        // A huge configured maximum: doubling saturates instead of panicking.
        assert_eq!(next_backoff(Duration::MAX, Duration::MAX), Duration::MAX);
        let near = Duration::MAX / 2 + Duration::from_secs(1);
        assert_eq!(next_backoff(near, Duration::MAX), Duration::MAX);
        let mut wait = Duration::from_nanos(1);
        for _ in 0..200 {
            wait = next_backoff(wait, Duration::MAX);
        }
        assert_eq!(wait, Duration::MAX);
    }

    #[test]
    fn only_success_acknowledges() {
        assert!(is_acknowledged(br#"{"code":"success","msg":""}"#));
        assert!(!is_acknowledged(br#"{"code":"fail"}"#));
        assert!(!is_acknowledged(b"success"));
        assert!(!is_acknowledged(br#"{"code":200}"#));
    }
}
