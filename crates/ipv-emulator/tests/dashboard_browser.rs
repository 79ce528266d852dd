//! The dashboard in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, started by the test on a free loopback port).
//!
//! It opens the dashboard; buys through the API and sees the order appear, pending,
//! and reach done after "Process orders now"; sees the order's callback attempts against a receiver that fails the first
//! one, with the receiver's markup answer shown as text; presses resend and sees a new
//! attempt; filters instances by how soon they run out; advances the clock from the
//! page and sees the instances run out; toggles a fault from the page and sees the next
//! API request fail; sees the dynamic accounts. Screenshots of each view are taken;
//! with `IPV_SAVE_SCREENSHOTS=1` they are written to `docs/` (those in the repository
//! came from this test).
//!
//! Needs `chromium` and `chromedriver` on PATH (Debian's `chromium` and
//! `chromium-driver`; `IPV_CHROMIUM` / `IPV_CHROMEDRIVER` point elsewhere).

mod common;
mod dashboard_support;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::FutureExt as _;
use ipv_emulator::{AppConfig, Control, EmulatorConfig, EmulatorHandle, OrderSchedule};
use ipv_types::{
    AccountStatus, AuthType, OpenInstancesRequest, OpenParam, UpsertProxyUserRequest,
    UpsertUserRequest,
};
use serde_json::{Value, json};

use common::{START, client, start};
use dashboard_support::webdriver::Driver;
use dashboard_support::{MARKUP_ANSWER, Receiver};

const WAIT: Duration = Duration::from_secs(30);

fn screenshot_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if std::env::var_os("IPV_SAVE_SCREENSHOTS").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        (docs, None)
    } else {
        let tmp = tempfile::tempdir().expect("temp dir");
        (tmp.path().to_owned(), Some(tmp))
    }
}

/// Clicks a tab and waits until its view shows and has been filled from the server.
async fn open_view(driver: &Driver, view: &str) {
    driver.click(&format!("#tab-{view}")).await;
    driver
        .wait_js(
            &format!("the {view} view"),
            WAIT,
            "const v = document.getElementById('view-' + arguments[0]);
             const before = arguments[1];
             return !v.hidden && Number(document.body.dataset.refreshed || 0) > before;",
            vec![json!(view), json!(now_ms(driver).await)],
        )
        .await;
}

async fn now_ms(driver: &Driver) -> Value {
    driver.eval("return Date.now();", vec![]).await
}

#[allow(clippy::too_many_lines)]
async fn drive(
    driver: &Driver,
    emu: &EmulatorHandle,
    receiver: &Receiver,
    shots: &std::path::Path,
) {
    let control: Control = emu.control();
    let api = client(emu);
    driver.goto(&emu.dashboard_url()).await;
    driver
        .wait_js(
            "the page to go live",
            WAIT,
            "return document.getElementById('live').className.includes('ok');",
            vec![],
        )
        .await;

    // Buy through the API; the order appears and reaches done.
    let receipt = api
        .open_instances(&OpenInstancesRequest::new(
            "DASH-1",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 2, 1)],
        ))
        .await
        .expect("open");
    let order_no = receipt.order_no.clone();
    open_view(driver, "orders").await;
    let row =
        "const r = document.querySelector(`#orders-table tr[data-order-no=\"${arguments[0]}\"]`);";
    let first_status = driver
        .wait_js(
            "the order to appear",
            WAIT,
            &format!("{row} return r && r.dataset.status;"),
            vec![json!(order_no)],
        )
        .await;
    // Orders take an hour of emulator time here: it waits, pending, until processed.
    assert_eq!(first_status, json!("pending"));
    open_view(driver, "overview").await;
    driver.click("#process-btn").await;
    driver
        .wait_js(
            "orders processed",
            WAIT,
            "return document.getElementById('message').textContent === 'process orders: done';",
            vec![],
        )
        .await;
    open_view(driver, "orders").await;
    let moves = driver
        .wait_js(
            "the order to reach done",
            WAIT,
            &format!(
                "{row} return r && r.dataset.status === 'succeeded' && r.children[5].textContent;"
            ),
            vec![json!(order_no)],
        )
        .await;
    let moves = moves.as_str().expect("moves text");
    assert!(
        moves.starts_with("pending") && moves.contains("processing") && moves.contains("succeeded"),
        "{moves}"
    );
    let charged = driver
        .eval(
            &format!("{row} return r.children[6].textContent;"),
            vec![json!(order_no)],
        )
        .await;
    assert_eq!(charged.as_str(), Some(receipt.amount.to_string().as_str()));
    driver.save_screenshot(shots, "dashboard-orders.png").await;

    // The order's callback: the receiver failed the first attempt (with markup), the
    // retry was acknowledged.
    open_view(driver, "callbacks").await;
    let order_row = "const rows = [...document.querySelectorAll('#callbacks-table tbody tr')]
           .filter((r) => r.children[1].textContent === `order ${arguments[0]} op 1`);";
    let id = driver
        .wait_js(
            "the order callback's two attempts",
            WAIT,
            &format!(
                "{order_row}
                 const first = rows.find((r) => r.dataset.attempt === '1');
                 const second = rows.find((r) => r.dataset.attempt === '2');
                 return first && second && first.children[5].textContent === '500'
                   && second.children[8].textContent === 'success' && first.dataset.id;"
            ),
            vec![json!(order_no)],
        )
        .await;
    let id = id.as_str().expect("callback id").to_owned();
    let shown = driver
        .eval(
            &format!(
                "{order_row}
                 const first = rows.find((r) => r.dataset.attempt === '1');
                 return [first.children[6].textContent,
                         document.getElementById('injected') === null,
                         document.querySelectorAll('#callbacks-table b, #callbacks-table img').length,
                         first.children[4].textContent];"
            ),
            vec![json!(order_no)],
        )
        .await;
    assert_eq!(
        shown[0],
        json!(MARKUP_ANSWER),
        "the answer is shown as text"
    );
    assert_eq!(
        shown[1],
        json!(true),
        "the receiver's markup made no element"
    );
    assert_eq!(shown[2], json!(0), "no markup inside the table");
    assert!(
        shown[3]
            .as_str()
            .is_some_and(|u| u.starts_with(&receiver.url())),
        "{}",
        shown[3]
    );
    driver
        .save_screenshot(shots, "dashboard-callbacks.png")
        .await;

    // Resend: a third attempt appears.
    driver
        .click(&format!("#callbacks-table button.resend[data-id=\"{id}\"]"))
        .await;
    driver
        .wait_js(
            "a new attempt after resend",
            WAIT,
            "return !!document.querySelector(`#callbacks-table tr[data-id=\"${arguments[0]}\"][data-attempt=\"3\"]`);",
            vec![json!(id)],
        )
        .await;
    let resent = control
        .callbacks()
        .into_iter()
        .filter(|d| d.id.to_string() == id)
        .map(|d| d.attempt)
        .max();
    assert_eq!(resent, Some(3));

    // Instances: two running; the "runs out within N days" filter (they last a week).
    open_view(driver, "instances").await;
    let count_rows = "return [...document.querySelectorAll('#instances-table tbody tr')]
          .filter((r) => r.children[6].textContent === arguments[0] && r.dataset.status === arguments[1]).length === arguments[2];";
    driver
        .wait_js(
            "two running instances",
            WAIT,
            count_rows,
            vec![json!(order_no), json!("running"), json!(2)],
        )
        .await;
    let info =
        "return document.getElementById('instances-info').textContent.startsWith(arguments[0]);";
    driver.type_into("#inst-days", "3").await;
    driver.click("#inst-apply").await;
    driver
        .wait_js(
            "none run out within 3 days",
            WAIT,
            info,
            vec![json!("0 matching")],
        )
        .await;
    driver.type_into("#inst-days", "8").await;
    driver.click("#inst-apply").await;
    driver
        .wait_js(
            "two run out within 8 days",
            WAIT,
            info,
            vec![json!("2 matching")],
        )
        .await;
    driver
        .save_screenshot(shots, "dashboard-instances.png")
        .await;

    // Advance the clock from the page: the instances run out.
    open_view(driver, "overview").await;
    driver.type_into("#advance-seconds", "864000").await;
    driver.click("#advance-btn").await;
    driver
        .wait_js(
            "the clock to move",
            WAIT,
            "return document.getElementById('clock').textContent.includes('(+864000 s)');",
            vec![],
        )
        .await;
    assert_eq!(control.clock().offset_seconds, 864_000);
    open_view(driver, "instances").await;
    driver.type_into("#inst-days", "").await;
    driver.click("#inst-apply").await;
    driver
        .wait_js(
            "two stopped instances",
            WAIT,
            count_rows,
            vec![json!(order_no), json!("stopped"), json!(2)],
        )
        .await;
    driver
        .save_screenshot(shots, "dashboard-instances-expired.png")
        .await;

    // Top up and set stock from the page; the apps table and the stock follow.
    open_view(driver, "overview").await;
    let balance_before = control.summary().apps[0].balance;
    driver.type_into("#topup-amount", "250.00").await;
    driver.click("#topup-btn").await;
    let expected = (balance_before + ipv_types::Money::from_int(250)).to_string();
    driver
        .wait_js(
            "the topped-up balance",
            WAIT,
            "const c = document.querySelector('#apps-table tbody tr td.balance');
             return !!c && c.textContent === arguments[0];",
            vec![json!(expected)],
        )
        .await;
    driver
        .eval(
            "const s = document.getElementById('stock-product');
             s.value = 'ipv_dc_us_sjc_w'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await;
    driver.type_into("#stock-inventory", "7").await;
    driver.click("#stock-btn").await;
    driver
        .wait_js(
            "the new stock",
            WAIT,
            "return document.getElementById('stock-now').textContent === 'now 7';",
            vec![],
        )
        .await;

    // Toggle a fault from the page: the next API request fails; off again, it works.
    driver.type_into("#fault-http5xx", "1").await;
    driver.click("#faults-btn").await;
    let active = "return document.getElementById('faults-now').dataset.active === arguments[0];";
    driver
        .wait_js("the fault in force", WAIT, active, vec![json!("yes")])
        .await;
    assert_eq!(control.faults().http5xx_rate, 1.0);
    assert!(
        api.app_info().await.is_err(),
        "the injected 5xx fails the request"
    );
    assert_eq!(control.summary().faults.http5xx, 1);
    driver
        .save_screenshot(shots, "dashboard-overview.png")
        .await;
    driver.click("#faults-off-btn").await;
    driver
        .wait_js("the fault off", WAIT, active, vec![json!("no")])
        .await;
    api.app_info().await.expect("works again");
    let chart_points = driver
        .eval(
            "return document.querySelectorAll('#chart svg circle').length;",
            vec![],
        )
        .await;
    assert!(
        chart_points.as_u64().is_some_and(|n| n >= 2),
        "{chart_points}"
    );

    // Dynamic accounts: a main account with flow, a proxy user.
    api.upsert_user(
        &UpsertUserRequest::default()
            .with_app_username("shop_main")
            .with_phone("13800000000")
            .with_email("owner@example.com")
            .with_auth_type(AuthType::None)
            .with_no("ID-1")
            .with_status(AccountStatus::Normal),
    )
    .await
    .expect("user");
    api.open_instances(&OpenInstancesRequest::new(
        "DASH-FLOW",
        vec![OpenParam::dynamic_flow(
            "ipv_dyn_global_flow",
            "shop_main",
            1000,
        )],
    ))
    .await
    .expect("flow");
    api.upsert_proxy_user(
        &UpsertProxyUserRequest::default()
            .with_app_username("shop_sub1")
            .with_limit_flow(500)
            .with_app_main_username("shop_main")
            .with_status(AccountStatus::Normal),
    )
    .await
    .expect("proxy user");
    let _moved = control.process_orders();
    wait_until_flow_delivered(&control).await;
    control
        .record_usage(
            ipv_emulator::DEFAULT_APP_KEY,
            "shop_sub1",
            "ipv_dyn_global_flow",
            120,
        )
        .expect("usage");
    open_view(driver, "accounts").await;
    driver
        .wait_js(
            "the accounts",
            WAIT,
            "const m = [...document.querySelectorAll('#main-accounts-table tbody tr')]
               .find((r) => r.children[1].textContent === 'shop_main' && r.children[4].textContent === 'ipv_dyn_global_flow');
             const p = [...document.querySelectorAll('#proxy-users-table tbody tr')]
               .find((r) => r.children[1].textContent === 'shop_sub1');
             return !!(m && p && m.children[5].textContent.endsWith('/ 1000') && p.children[5].textContent === '500 MB');",
            vec![],
        )
        .await;
    driver
        .save_screenshot(shots, "dashboard-accounts.png")
        .await;
}

async fn wait_until_flow_delivered(control: &Control) {
    dashboard_support::wait_for("the flow order to be delivered", WAIT, || async {
        control
            .orders_page(
                &ipv_emulator::OrderFilter::default(),
                ipv_emulator::PageRequest::default(),
            )
            .ok()
            .filter(|p| p.rows.iter().all(|o| o.status == "succeeded"))
    })
    .await;
}

// needs: chromium
#[cfg_attr(
    not(ipv_chromium),
    ignore = "needs Chromium and chromedriver: not installed here; apt-get install chromium chromium-driver"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_a_real_browser() {
    let receiver = Receiver::start(true).await;
    let app = AppConfig::default_app().with_callback_url(receiver.url());
    let config = EmulatorConfig::default()
        .with_apps(vec![app])
        .with_start_time(START)
        .with_order_schedule(OrderSchedule::lasting(Duration::from_secs(3600)));
    let emu = start(config).await;
    let (shots, _keep) = screenshot_dir();
    let driver = Driver::start().await;
    let outcome = AssertUnwindSafe(drive(&driver, &emu, &receiver, &shots))
        .catch_unwind()
        .await;
    driver.quit().await;
    emu.shutdown().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
