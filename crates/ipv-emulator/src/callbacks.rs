//! Callbacks to the app: queued in the state's outbox (so they survive a restart), sent
//! as `GET {url}?type=..&no=..&op=..`, and retried with backoff until the receiver
//! answers `{"code":"success"}` or the attempts run out. Every attempt is logged.
//!
//! Bounds: the outbox holds at most [`OUTBOX_LIMIT`](crate::OUTBOX_LIMIT) callbacks (beyond it the oldest is
//! dropped, and the drop is logged as an attempt); at most
//! [`EmulatorConfig::callback_concurrency`](crate::EmulatorConfig::callback_concurrency)
//! deliveries run at once (default [`DEFAULT_CALLBACK_CONCURRENCY`](crate::DEFAULT_CALLBACK_CONCURRENCY)), the others wait
//! in the outbox; the wait between attempts doubles up to the policy's maximum without
//! overflowing, whatever the maximum.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use serde::Deserialize;
use tokio::sync::{Semaphore, watch};

use crate::outbox::{ANSWER_SHOWN_CHARS, DeliveryAttempt, OutgoingCallback};
use crate::shared::{Shared, lock};
use crate::state::State;

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

/// What one attempt got back.
struct Answer {
    acknowledged: bool,
    outcome: String,
    status_code: Option<u16>,
    body: String,
    latency_ms: u64,
}

/// Sends one GET and notes what came back.
async fn send_once(shared: &Shared, target: &str) -> Answer {
    let started = std::time::Instant::now();
    let answer =
        |acknowledged: bool, outcome: String, status_code: Option<u16>, body: &[u8]| Answer {
            acknowledged,
            outcome,
            status_code,
            body: ipv_types::text::for_terminal_bounded(
                &String::from_utf8_lossy(body),
                ANSWER_SHOWN_CHARS,
            ),
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
    let request = match Request::builder()
        .method(Method::GET)
        .uri(target)
        .header(header::USER_AGENT, "ipv-emulator")
        .body(Bytes::new())
    {
        Ok(r) => r,
        Err(_) => return answer(false, "invalid callback URL".to_owned(), None, b""),
    };
    let timeout = shared.config.callback_policy.timeout;
    match tokio::time::timeout(timeout, shared.transport.send(request)).await {
        Err(_) => answer(false, "timeout".to_owned(), None, b""),
        Ok(Err(e)) => answer(false, format!("transport error ({})", e.kind()), None, b""),
        Ok(Ok(resp)) => {
            let status = resp.status();
            let (ack, outcome) = if status != StatusCode::OK {
                (false, format!("http {}", status.as_u16()))
            } else if is_acknowledged(resp.body()) {
                (true, "success".to_owned())
            } else {
                (false, "unexpected answer".to_owned())
            };
            answer(ack, outcome, Some(status.as_u16()), resp.body())
        }
    }
}

/// Logs an attempt that got `answer`; `next` is when the next one is due, if any.
fn log_answered(
    state: &mut State,
    cb: &OutgoingCallback,
    (attempt, duplicate): (u32, bool),
    answer: &Answer,
    next: Option<time::OffsetDateTime>,
    at: time::OffsetDateTime,
) {
    let entry = DeliveryAttempt::of(
        cb,
        attempt,
        duplicate,
        answer.acknowledged,
        answer.outcome.clone(),
        at,
    );
    state.log_delivery(entry.answered(
        cb.target(),
        answer.status_code,
        (answer.body.clone(), answer.latency_ms),
        next,
    ));
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
        let answer = send_once(shared, &target).await;
        let ack = answer.acknowledged;
        let attempt = cb.attempts.saturating_add(1);
        let give_up = !ack && attempt >= policy.max_attempts.max(1);
        let duplicate = ack && lock(&shared.state).faults.duplicate_callbacks;
        {
            let now = shared.now();
            let mut state = lock(&shared.state);
            let next = (!ack && !give_up)
                .then(|| time::Duration::try_from(backoff).ok())
                .flatten()
                .and_then(|wait| now.checked_add(wait));
            log_answered(&mut state, &cb, (attempt, false), &answer, next, now);
            if ack || give_up {
                state.outbox.retain(|c| c.id != id);
            } else if let Some(c) = state.outbox.iter_mut().find(|c| c.id == id) {
                c.attempts = attempt;
            }
            shared.persist(&mut state);
        }
        if duplicate {
            let dup = send_once(shared, &target).await;
            let now = shared.now();
            let mut state = lock(&shared.state);
            state.fault_stats.duplicate_callbacks += 1;
            log_answered(&mut state, &cb, (attempt, true), &dup, None, now);
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
