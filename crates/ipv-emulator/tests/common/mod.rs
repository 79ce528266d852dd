//! Helpers shared by the end-to-end tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use ipv_api::{Client, RetryPolicy};
use ipv_emulator::{
    AppConfig, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, EmulatorHandle,
    OrderSchedule,
};
use time::macros::datetime;

/// A fixed start time, so calendar arithmetic in assertions is known: 2025-01-31 10:00 UTC
/// (a month end: the next calendar month is short).
pub const START: time::OffsetDateTime = datetime!(2025-01-31 10:00:00 UTC);

pub fn config() -> EmulatorConfig {
    EmulatorConfig::default()
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_start_time(START)
}

pub async fn start(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator starts")
}

pub fn client_for(emu: &EmulatorHandle, app_key: &str, secret: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .app_key(app_key)
        .app_secret(secret)
        .retry_policy(retry)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

pub fn client(emu: &EmulatorHandle) -> Client {
    client_for(
        emu,
        DEFAULT_APP_KEY,
        DEFAULT_APP_SECRET,
        RetryPolicy::none(),
    )
}

pub fn second_app() -> AppConfig {
    AppConfig::new(
        "AK_SECOND_APP_0001",
        "0123456789abcdef0123456789abcdef",
        "second app",
        "5.00",
    )
}
