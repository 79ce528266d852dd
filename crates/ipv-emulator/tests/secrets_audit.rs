//! Secrets audit of the emulator: its configuration types never show an app secret, its
//! start errors never quote one, and the trace-level logs of real calls (client and
//! emulator together, in one process) hold neither the secret nor any marker placed in
//! request payloads.

use std::time::Duration;

use ipv_api::{Client, RetryPolicy};
use ipv_crypto::b64;
use ipv_emulator::{AppConfig, Emulator, EmulatorConfig, OrderSchedule};
use ipv_types::*;

/// The app secret under audit (16 bytes: AES-128).
const SECRET: &str = "ZZsecretZZsecret";
const APP_KEY: &str = "AKaudit000000001";
/// Placed in request payloads; must never appear in clear in logs.
const MARKER: &str = "ZZpayloadMarkerZZ";

fn forms() -> Vec<String> {
    vec![
        SECRET.to_owned(),
        hex::encode(SECRET),
        b64::encode(SECRET.as_bytes()),
        format!("{:?}", SECRET.as_bytes()),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for form in forms() {
        assert!(
            !text.contains(&form),
            "{what} shows the secret as {form:?}: {text}"
        );
    }
}

fn app() -> AppConfig {
    AppConfig::new(APP_KEY, SECRET, "audit app", "1000.00")
}

#[test]
fn configuration_types_never_show_the_secret() {
    let app = app();
    assert_no_secret("Debug of AppConfig", &format!("{app:?} {app:#?}"));
    let config = EmulatorConfig::default()
        .with_apps(vec![app.clone(), AppConfig::default_app()])
        .with_order_schedule(OrderSchedule::IMMEDIATE);
    assert_no_secret(
        "Debug of EmulatorConfig",
        &format!("{config:?} {config:#?}"),
    );
    // The default app's well-known secret is hidden the same way.
    let default_app = AppConfig::default_app();
    assert!(!format!("{default_app:?}").contains(&default_app.secret));
    // A secret of a wrong length is refused without being quoted.
    let bad = AppConfig::new(APP_KEY, "ZZsecretZZsecretZZ", "bad", "1.00");
    let err = bad.validate().expect_err("18 bytes is no AES key");
    assert!(!err.contains("ZZsecret"), "{err}");
}

#[tokio::test]
async fn start_errors_never_quote_the_secret() {
    let bad = AppConfig::new(APP_KEY, "ZZsecretZZsecretZZ", "bad", "1.00");
    let err = Emulator::start(
        EmulatorConfig::default().with_apps(vec![bad]),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect_err("invalid secret");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("ZZsecret"), "{text}");
}

fn client(base_url: String, secret: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .app_key(APP_KEY)
        .app_secret(secret)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

// A current-thread runtime: the emulator's tasks run on this thread, under the
// thread's default subscriber set below.
#[tokio::test(flavor = "current_thread")]
async fn trace_logs_of_client_and_emulator_hold_no_secret_and_no_payload() {
    let buffer = ipv_test_services::TraceCapture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_apps(vec![app()])
            .with_order_schedule(OrderSchedule::IMMEDIATE),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("emulator starts");
    let api = client(emu.base_url(), SECRET);

    // Successes whose request payloads hold the marker.
    let user = api
        .upsert_user(
            &UpsertUserRequest::default()
                .with_app_username(format!("u_{MARKER}"))
                .with_phone("13800000000")
                .with_email(format!("{MARKER}@example.com"))
                .with_auth_type(AuthType::None)
                .with_no(MARKER)
                .with_status(AccountStatus::Normal),
        )
        .await
        .expect("user");
    assert_eq!(user.app_username, format!("u_{MARKER}"));
    let receipt = api
        .open_instances(&OpenInstancesRequest::new(
            format!("ORDER_{MARKER}"),
            vec![OpenParam::by_product("ipv_res_us_nyc_m", 1, 1)],
        ))
        .await
        .expect("open");
    let order = api
        .order(&OrderRequest::new(&receipt.order_no))
        .await
        .expect("order");
    let instance = order.instances[0].instance_no.clone();
    let reset = api
        .reset_passwords(&ResetPasswordsRequest::new(
            [&instance],
            format!("R_{MARKER}"),
        ))
        .await
        .expect("reset");
    // The response carries a fresh password: it must not be logged either.
    let password = reset.list[0].new_password.clone();
    assert!(!password.is_empty());

    // Failures: an unknown product named by the marker, a purchase the balance cannot
    // cover, and a client with the wrong secret (the emulator cannot decrypt).
    let missing = api.product(&ProductRequest::new(MARKER)).await;
    assert!(missing.is_err());
    let wrong = client(emu.base_url(), "0123456789abcdef");
    let undecryptable = wrong.product(&ProductRequest::new(MARKER)).await;
    assert!(undecryptable.is_err());

    emu.control().check_invariants().expect("invariants");
    emu.shutdown().await;

    let logs = buffer.text();
    assert!(
        logs.contains("api request"),
        "the emulator logs each request: {logs}"
    );
    assert_no_secret("trace logs", &logs);
    assert!(
        !logs.contains(MARKER),
        "trace logs show a request payload: {logs}"
    );
    assert!(
        !logs.contains(&password),
        "trace logs show a password: {logs}"
    );
}
