//! The emulator keeps its own books: it prices and dates purchases with its own code,
//! so the client's `ipv_api::pricing::estimate_cost` and `ipv_api::expiry::expires_at`
//! are checked against it here, over every product of the catalogue, every unit the
//! catalogue sells (day, week, calendar month, calendar year, unlimited), cycle counts,
//! counts, extra bandwidth, the bridge, renewals and start dates on every day of the
//! month (month ends included). If either side misreads the document, a case fails.

use std::sync::OnceLock;

use ipv_api::codec;
use ipv_api::endpoint::Endpoint;
use ipv_api::expiry::expires_at;
use ipv_api::pricing::estimate_cost;
use ipv_crypto::Key;
use ipv_emulator::{AppConfig, Emulator, EmulatorConfig, EmulatorHandle, OrderSchedule};
use ipv_types::{
    AccountStatus, ApiCode, AppInfoRequest, AuthType, BridgeChoice, Instance, Money,
    OpenInstancesRequest, OpenParam, Order, OrderRequest, Product, ProductsRequest, ProxyType,
    RenewInstancesRequest, RenewItem, Unit, UpsertUserRequest,
};
use proptest::prelude::*;
use time::{Date, Month, OffsetDateTime, Time};

const APP_KEY: &str = "AK_BOOKS_000000001";
const SECRET: &str = "books-secret-0123456789abcdef012";
/// The emulator's bridge fee per instance and cycle (docs/emulator.md).
const BRIDGE_FEE: &str = "0.50";
const MAIN_ACCOUNT: &str = "books-main";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fn key() -> Key {
    Key::new(SECRET.as_bytes()).expect("key")
}

fn start_emulator(start: OffsetDateTime) -> EmulatorHandle {
    let app = AppConfig::new(APP_KEY, SECRET, "books", "100000000.00");
    let config = EmulatorConfig::default()
        .with_apps(vec![app])
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_start_time(start);
    runtime()
        .block_on(Emulator::start(
            config,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("emulator starts")
}

/// One API call in process; the error is (code, message).
fn call<R: Endpoint>(emu: &EmulatorHandle, req: &R) -> Result<R::Response, (ApiCode, String)> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key = key();
    let body = codec::seal_request(&key, APP_KEY, &format!("books-{n}"), Some(req)).expect("seal");
    let reply = emu.answer_api_request(R::PATH, &body);
    assert_eq!(reply.status, 200, "{}", R::PATH);
    let opened = codec::open_response::<R::Response>(&key, &reply.body).expect("opens");
    match opened.data {
        Some(data) if opened.code.is_ok() => Ok(data),
        _ => Err((opened.code, opened.msg)),
    }
}

fn balance(emu: &EmulatorHandle) -> Money {
    call(emu, &AppInfoRequest).expect("info").coin
}

/// Every purchasable product of the seeded catalogue.
fn catalogue() -> &'static [Product] {
    static PRODUCTS: OnceLock<Vec<Product>> = OnceLock::new();
    PRODUCTS.get_or_init(|| {
        let emu = start_emulator(OffsetDateTime::UNIX_EPOCH);
        let products = call(
            &emu,
            &ProductsRequest::of_types(ProxyType::ALL.iter().copied()),
        )
        .expect("products");
        runtime().block_on(emu.shutdown());
        products
            .into_iter()
            .filter(|p| p.enable.is_yes() && p.inventory > 0)
            .collect()
    })
}

#[test]
fn the_catalogue_sells_every_unit() {
    let units: Vec<Unit> = catalogue().iter().map(|p| p.unit.normalized()).collect();
    for unit in [
        Unit::Day,
        Unit::Week,
        Unit::Month,
        Unit::Year,
        Unit::Unlimited,
    ] {
        assert!(units.contains(&unit), "no product sold by {unit}");
    }
    assert!(catalogue().iter().any(|p| p.proxy_type.is_dynamic()));
    assert!(
        catalogue()
            .iter()
            .any(|p| p.band_width_price.as_decimal() > 0.into())
    );
}

/// A start time on any day of any month of 2023-2025 (so leap Februaries and 31st days
/// are reached), at any second of the day.
fn start_times() -> impl Strategy<Value = OffsetDateTime> {
    (2023i32..=2025, 1u8..=12, 1u8..=31, 0u32..86_400).prop_map(|(year, month, day, second)| {
        let month = Month::try_from(month).expect("month");
        let day = day.min(month.length(year));
        let date = Date::from_calendar_date(year, month, day).expect("date");
        let time = Time::from_hms(
            u8::try_from(second / 3600).expect("hour"),
            u8::try_from(second / 60 % 60).expect("minute"),
            u8::try_from(second % 60).expect("second"),
        )
        .expect("time");
        date.with_time(time).assume_utc()
    })
}

#[derive(Debug, Clone)]
struct Case {
    start: OffsetDateTime,
    product: usize,
    count: u32,
    cycles: u32,
    /// A fraction of the product's maximum extra bandwidth, in percent.
    bandwidth_pct: u32,
    bridge: bool,
    renew_cycles: u32,
    extra_flow: u64,
    /// A static line that also carries `flow` (meaningless for static products, says
    /// the document; a client reusing one param struct for both may send it).
    static_flow: bool,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        start_times(),
        0..catalogue().len(),
        1u32..=5,
        prop_oneof![1u32..=3, 1u32..=120],
        prop_oneof![Just(0u32), 0u32..=100],
        any::<bool>(),
        1u32..=24,
        0u64..=5_000,
        any::<bool>(),
    )
        .prop_map(
            |(
                start,
                product,
                count,
                cycles,
                bandwidth_pct,
                bridge,
                renew_cycles,
                extra_flow,
                static_flow,
            )| {
                Case {
                    start,
                    product,
                    count,
                    cycles,
                    bandwidth_pct,
                    bridge,
                    renew_cycles,
                    extra_flow,
                    static_flow,
                }
            },
        )
}

fn order(emu: &EmulatorHandle, order_no: &str) -> Order {
    call(emu, &OrderRequest::new(order_no)).expect("order")
}

fn expected_expiry(start: OffsetDateTime, product: &Product, cycles: u32) -> Option<i64> {
    let duration = u32::try_from(product.duration).expect("duration");
    expires_at(start, product.unit, duration, cycles)
        .expect("the client dates it")
        .map(OffsetDateTime::unix_timestamp)
}

fn run_case(case: &Case) -> Result<(), TestCaseError> {
    let product = &catalogue()[case.product];
    let emu = start_emulator(case.start);
    let outcome = check_case(&emu, product, case);
    runtime().block_on(emu.shutdown());
    outcome
}

fn check_case(emu: &EmulatorHandle, product: &Product, case: &Case) -> Result<(), TestCaseError> {
    let fee: Money = BRIDGE_FEE.parse().expect("fee");
    let mut param = OpenParam::by_product(&product.product_no, case.count, case.cycles);
    if product.proxy_type.is_dynamic() {
        let user = UpsertUserRequest::default()
            .with_app_username(MAIN_ACCOUNT.to_owned())
            .with_phone("13800000000".to_owned())
            .with_email("books@example.invalid".to_owned())
            .with_auth_type(AuthType::from_i64(1))
            .with_status(AccountStatus::from_i64(1));
        call(emu, &user).expect("main account");
        let minimum = u64::try_from(product.flow.max(product.ip_count).max(1)).expect("min");
        param =
            OpenParam::dynamic_flow(&product.product_no, MAIN_ACCOUNT, minimum + case.extra_flow);
    } else {
        let max_bw = u32::try_from(product.max_band_width.max(0)).expect("max bandwidth");
        let mbps = max_bw * case.bandwidth_pct / 100;
        param.ext_band_width = (mbps > 0).then_some(mbps);
        param.use_bridge = Some(if case.bridge {
            BridgeChoice::Yes
        } else {
            BridgeChoice::No
        });
        if case.static_flow {
            param.flow = Some(100 + case.extra_flow);
        }
    }
    let before = balance(emu);
    let receipt = call(
        emu,
        &OpenInstancesRequest::new("BOOKS-OPEN", vec![param.clone()]),
    )
    .map_err(|e| TestCaseError::fail(format!("open refused: {e:?}")))?;
    let after = balance(emu);
    let done = order(emu, &receipt.order_no);
    prop_assert!(!done.instances.is_empty(), "delivered: {done:?}");
    let bridged = done.instances.iter().any(|i| !i.bridges.is_empty());
    let estimate = estimate_cost(product, &param, bridged.then_some(&fee))
        .map_err(|e| TestCaseError::fail(format!("no estimate: {e}")))?;
    // The platform charges in fen: the client's exact estimate, rounded by the client's
    // own rule, must be what the emulator's integer books charged.
    let estimate = estimate.round_to(2);
    prop_assert_eq!(receipt.amount, estimate, "charge of {:?}", param);
    prop_assert_eq!(before - after, estimate, "balance moved by the charge");

    let cycles = if product.proxy_type.is_dynamic() {
        1
    } else {
        case.cycles
    };
    for inst in &done.instances {
        let opened = inst.open_at.expect("openAt");
        prop_assert_eq!(
            inst.expires_at().map(OffsetDateTime::unix_timestamp),
            expected_expiry(opened, product, cycles),
            "expiry of {} opened {} ({} x {} {})",
            inst.instance_no,
            opened,
            product.duration,
            cycles,
            product.unit
        );
    }

    // A renewal of the first instance, if it has a time limit.
    let first: &Instance = &done.instances[0];
    if first.expires_at().is_some() {
        let item = RenewItem::new(first.instance_no.clone(), case.renew_cycles);
        let renewed = call(emu, &RenewInstancesRequest::new("BOOKS-RENEW", vec![item]))
            .map_err(|e| TestCaseError::fail(format!("renew refused: {e:?}")))?;
        let renew_param = OpenParam::by_product(&product.product_no, 1, case.renew_cycles)
            .with_use_bridge(if first.bridges.is_empty() {
                BridgeChoice::No
            } else {
                BridgeChoice::Yes
            });
        let estimate = estimate_cost(
            product,
            &renew_param,
            (!first.bridges.is_empty()).then_some(&fee),
        )
        .map_err(|e| TestCaseError::fail(format!("no estimate: {e}")))?;
        prop_assert_eq!(renewed.amount, estimate.round_to(2), "renewal charge");
        let again = order(emu, &renewed.order_no);
        let inst = again
            .instances
            .iter()
            .find(|i| i.instance_no == first.instance_no)
            .expect("the renewed instance");
        // The instance's expiry is whole seconds on the wire: renew from that.
        let from = OffsetDateTime::from_unix_timestamp(first.user_expired).expect("expiry");
        prop_assert_eq!(
            inst.expires_at().map(OffsetDateTime::unix_timestamp),
            expected_expiry(from, product, case.renew_cycles),
            "renewal of {} from {}",
            inst.instance_no,
            from
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 160,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn client_estimates_and_expiries_match_the_emulators_books(case in cases()) {
        run_case(&case)?;
    }
}

/// Every product, every unit, at a month end and in a leap February, deterministically
/// (the property test samples; this one covers each product at least once).
#[test]
fn every_product_at_month_ends() {
    let starts = [
        time::macros::datetime!(2024-01-31 23:30:00 UTC),
        time::macros::datetime!(2024-02-29 12:00:00 UTC),
        time::macros::datetime!(2025-03-31 00:00:01 UTC),
        time::macros::datetime!(2025-12-31 18:00:00 UTC),
    ];
    for (i, start) in starts.iter().enumerate() {
        for product in 0..catalogue().len() {
            let case = Case {
                start: *start,
                product,
                count: 2,
                cycles: 1 + u32::try_from(i).expect("small") * 5,
                bandwidth_pct: 50,
                bridge: i % 2 == 0,
                renew_cycles: 1 + u32::try_from(product % 13).expect("small"),
                extra_flow: 123,
                static_flow: i % 2 == 1,
            };
            if let Err(e) = run_case(&case) {
                panic!("{case:?}: {e}");
            }
        }
    }
}
