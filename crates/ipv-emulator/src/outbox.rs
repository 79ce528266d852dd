//! What the emulator tells apps, as data: the callbacks waiting in the state's outbox
//! (so they survive a restart), the log of delivery attempts, and their bounds. The
//! sending itself is `callbacks`' work; this module is below the state, which queues
//! callbacks as it changes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How many callbacks the outbox holds; beyond it the oldest is dropped.
pub const OUTBOX_LIMIT: usize = 10_000;

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
    /// The URL requested, query included (empty for a callback dropped unsent).
    #[serde(default)]
    pub url: String,
    /// The receiver's HTTP status, when it answered.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// The start of the receiver's answer body: at most [`ANSWER_SHOWN_CHARS`]
    /// characters, control characters escaped (`ipv_types::text::for_terminal`). It is
    /// the receiver's text: show it as text, never as markup.
    #[serde(default)]
    pub answer: String,
    /// How long the attempt took, in milliseconds (wall clock).
    #[serde(default)]
    pub latency_ms: u64,
    /// When the next attempt is due (emulator time), if another will be made.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// How much of a receiver's answer body each logged attempt keeps.
pub const ANSWER_SHOWN_CHARS: usize = 1_024;

impl DeliveryAttempt {
    /// The log entry of attempt `attempt` (from 1) of `cb`, with nothing sent or nothing
    /// answered (a callback dropped unsent); [`DeliveryAttempt::answered`] adds the answer.
    pub(crate) fn of(
        cb: &OutgoingCallback,
        attempt: u32,
        duplicate: bool,
        acknowledged: bool,
        outcome: String,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: cb.id,
            app_key: cb.app_key.clone(),
            kind: cb.kind,
            no: cb.no.clone(),
            op: cb.op.clone(),
            attempt,
            duplicate,
            acknowledged,
            outcome,
            at,
            url: String::new(),
            status_code: None,
            answer: String::new(),
            latency_ms: 0,
            next_attempt_at: None,
        }
    }

    /// This entry with what the receiver at `url` answered, and when the next attempt is
    /// due, if another will be made.
    pub(crate) fn answered(
        self,
        url: String,
        status_code: Option<u16>,
        (answer, latency_ms): (String, u64),
        next_attempt_at: Option<OffsetDateTime>,
    ) -> Self {
        Self {
            url,
            status_code,
            answer,
            latency_ms,
            next_attempt_at,
            ..self
        }
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
}
