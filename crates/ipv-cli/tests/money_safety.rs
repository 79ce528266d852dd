//! Nothing is bought by accident: a bare `open` is refused, `--dry-run` spends nothing
//! and shows the cost, an order number reused with other parameters is refused (in the
//! library and the CLI), expiry follows the platform's clock, and each mistake has one
//! exit code.

mod common;

use ipv_api::{Client, Error, PurchaseIntent, WaitOptions};
use ipv_emulator::OrderSchedule;
use ipv_types::{OpenInstancesRequest, OpenParam};
use serde_json::Value;

use common::{Emu, ipv, text};

const APP_KEY: &str = "AKmoneysafety001";
const SECRET: &str = "moneySafetySecret-0123456789abcd";
/// A static product sold by the day, 0.80 a day.
const DAILY: &str = "ipv_res_cn_szx_d1";
/// A static product sold by the month, 20.00 a month.
const MONTHLY: &str = "ipv_res_cn_sha_m";

fn emu() -> Emu {
    Emu::start(
        APP_KEY,
        SECRET,
        "money safety",
        "1000.00",
        OrderSchedule::IMMEDIATE,
    )
}

#[test]
fn a_bare_open_is_a_usage_error_that_says_what_to_give_and_spends_nothing() {
    let emu = emu();
    let before = emu.balance();
    for args in [
        &["open"][..],
        &["open", "--count", "2"],
        &["open", "--wait"],
    ] {
        let out = emu.run(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("nothing chosen to buy"), "{stderr}");
        assert!(stderr.contains("--product-no"), "{stderr}");
        assert!(stderr.contains("--proxy-type"), "{stderr}");
    }
    assert_eq!(emu.balance(), before);
    assert_eq!(emu.charges(), 0);
    assert_eq!(emu.handle().control().summary().apps[0].orders, 0);
}

#[test]
fn dry_run_prints_the_cost_and_the_balance_after_and_spends_nothing() {
    let emu = emu();
    let before = emu.balance();
    let estimate = emu.json(&[
        "open",
        "--product",
        MONTHLY,
        "--count",
        "2",
        "--cycles",
        "3",
        "--dry-run",
    ]);
    assert_eq!(estimate["dryRun"], true);
    assert_eq!(estimate["estimatedTotal"], "120.00", "{estimate}");
    assert_eq!(estimate["balance"], "1000.00");
    assert_eq!(estimate["balanceAfter"], "880.00");
    assert_eq!(emu.balance(), before, "nothing spent");
    assert_eq!(emu.charges(), 0);

    // The table form says the same for people.
    let out = emu.ok(&[
        "open",
        "--product",
        MONTHLY,
        "--count",
        "2",
        "--cycles",
        "3",
        "--dry-run",
    ]);
    let shown = text(&out.stdout);
    assert!(shown.contains("nothing was bought"), "{shown}");
    assert!(shown.contains("estimated cost   120.00"), "{shown}");
    assert!(shown.contains("balance after    880.00"), "{shown}");

    // The same purchase for real costs what was estimated.
    let bought = emu.json(&[
        "open",
        "--product",
        MONTHLY,
        "--count",
        "2",
        "--cycles",
        "3",
        "--wait",
    ]);
    assert_eq!(bought["receipt"]["amount"], "120.00", "{bought}");
    assert_eq!(emu.balance(), "880.00");

    // Renewing and releasing dry: estimated, not done.
    let instance = bought["order"]["instances"][0]["instanceNo"]
        .as_str()
        .unwrap()
        .to_owned();
    let renew = emu.json(&["renew", &instance, "--cycles", "2", "--dry-run"]);
    assert_eq!(renew["estimatedTotal"], "40.00", "{renew}");
    let release = emu.json(&["release", &instance, "--dry-run"]);
    assert_eq!(release["estimatedTotal"], "0", "{release}");
    assert_eq!(emu.balance(), "880.00");
    assert_eq!(emu.charges(), 1);
    let listed = emu.json(&["instances", &instance]);
    assert_eq!(listed[0]["status"], 3, "still running: {listed}");
}

#[test]
fn an_order_number_reused_with_another_product_exits_4_naming_both() {
    let emu = emu();
    emu.ok(&[
        "open",
        "--product",
        DAILY,
        "--app-order-no",
        "shop0001",
        "--wait",
    ]);
    let charges = emu.charges();
    let out = emu.run(&[
        "open",
        "--product",
        MONTHLY,
        "--count",
        "2",
        "--app-order-no",
        "shop0001",
        "--wait",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("shop0001"), "{stderr}");
    assert!(
        stderr.contains(MONTHLY) && stderr.contains(DAILY),
        "names both: {stderr}"
    );
    assert!(stderr.contains("used before"), "{stderr}");
    assert_eq!(emu.charges(), charges, "nothing more was bought");
    // The same product for other cycles: the instances' expiry tells.
    let out = emu.run(&[
        "open",
        "--product",
        DAILY,
        "--cycles",
        "5",
        "--app-order-no",
        "shop0001",
        "--wait",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("5 period(s)") && stderr.contains("1 period(s)"),
        "{stderr}"
    );
    assert_eq!(emu.charges(), charges);
    // The same purchase repeated is still the safe retry it always was.
    emu.ok(&[
        "open",
        "--product",
        DAILY,
        "--app-order-no",
        "shop0001",
        "--wait",
    ]);
}

#[test]
fn the_library_refuses_a_reused_order_number_with_another_product() {
    let emu = emu();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::builder()
            .base_url(&emu.url)
            .app_key(APP_KEY)
            .app_secret(SECRET)
            .build()
            .unwrap();
        let first = OpenInstancesRequest::new("lib0001", vec![OpenParam::by_product(DAILY, 1, 1)]);
        let receipt = client.open_instances(&first).await.unwrap();
        client
            .wait_for_purchase(
                &receipt,
                &PurchaseIntent::from(&first),
                WaitOptions::default(),
            )
            .await
            .expect("the first purchase is what it says");

        let other =
            OpenInstancesRequest::new("lib0001", vec![OpenParam::by_product(MONTHLY, 2, 1)]);
        let receipt = client.open_instances(&other).await.unwrap();
        let err = client
            .wait_for_purchase(
                &receipt,
                &PurchaseIntent::from(&other),
                WaitOptions::default(),
            )
            .await
            .unwrap_err();
        let Error::OrderReused {
            app_order_no,
            sent,
            found,
            ..
        } = &err
        else {
            panic!("not OrderReused: {err}")
        };
        assert_eq!(app_order_no, "lib0001");
        assert!(
            sent.contains(MONTHLY) && sent.contains("2 instance"),
            "{sent}"
        );
        assert!(
            found.contains(DAILY) && found.contains("1 instance"),
            "{found}"
        );
    });
}

/// Opens one monthly instance and returns its number.
fn open_monthly(emu: &Emu) -> String {
    let doc = emu.json(&["open", "--product", MONTHLY, "--wait"]);
    doc["order"]["instances"][0]["instanceNo"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn due_numbers(doc: &Value) -> Vec<String> {
    doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["instanceNo"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn expiring_measures_from_the_emulators_clock_or_from_now() {
    let emu = emu();
    let instance = open_monthly(&emu);
    assert!(due_numbers(&emu.json(&["expiring", "--within", "3d"])).is_empty());

    // The documented way to test expiry: move the emulator's clock 29 days.
    let clock = emu.handle().control().advance_clock(29 * 86_400).unwrap();
    let due = emu.json(&["expiring", "--within", "3d"]);
    assert_eq!(due_numbers(&due), std::slice::from_ref(&instance), "{due}");

    // `--now` says where to measure from, whatever the clock says.
    let now = clock.unix - 29 * 86_400;
    let early = emu.json(&["expiring", "--within", "3d", "--now", &now.to_string()]);
    assert!(due_numbers(&early).is_empty(), "{early}");

    // renew --expiring-within follows the same clock; dry, it renews nothing.
    let charges = emu.charges();
    let dry = emu.json(&["renew", "--expiring-within", "3d", "--yes", "--dry-run"]);
    assert_eq!(dry["dryRun"], true, "{dry}");
    assert_eq!(dry["estimatedTotal"], "20.00", "{dry}");
    assert_eq!(emu.charges(), charges);
    let renewed = emu.json(&["renew", "--expiring-within", "3d", "--yes"]);
    assert_eq!(
        renewed["renewals"].as_array().map(Vec::len),
        Some(1),
        "{renewed}"
    );
    assert!(due_numbers(&emu.json(&["expiring", "--within", "3d"])).is_empty());
}

#[test]
fn each_mistake_has_one_exit_code() {
    // A path token too short is a usage error, like every other bad value.
    let out = ipv()
        .args([
            "callback",
            "listen",
            "--trust-query",
            "--path-token",
            "short",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("16 to 128"));
    // -o json where it cannot apply is refused, not ignored.
    let out = ipv()
        .args(["-o", "json", "completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A bad value in a generated flag names the flag.
    let out = ipv()
        .args(["--emulator", "open", "--product", "P", "--count", "many"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--count"),
        "{}",
        text(&out.stderr)
    );
    // A missing required field names its flag.
    let out = ipv()
        .args(["--emulator", "proxy-user", "--product-no", "P"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--app-username"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn export_honours_json_output_and_refuses_a_contradiction() {
    let emu = emu();
    open_monthly(&emu);
    open_monthly(&emu);
    let out = emu.ok(&["-o", "json", "export"]);
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["instanceNo"].is_string()));
    let out = emu.run(&["-o", "json", "export", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_puts_global_flags_under_their_heading_and_serve_offers_only_its_own() {
    let help = text(&ipv().args(["open", "--help"]).output().unwrap().stdout);
    let heading = help.find("Global options:").expect("a heading");
    let endpoint = help.find("--endpoint").expect("--endpoint");
    let product = help.find("--product-no").expect("--product-no");
    assert!(product < heading && heading < endpoint, "{help}");
    assert!(help.contains("--dry-run"));

    let serve = ipv()
        .args(["emulator", "serve", "--help"])
        .output()
        .unwrap();
    assert_eq!(serve.status.code(), Some(0));
    let serve = text(&serve.stdout);
    for hidden in ["--sandbox", "--production", "--endpoint"] {
        assert!(!serve.contains(hidden), "{hidden}: {serve}");
    }
    assert!(
        serve.contains("--addr") && serve.contains("--app-key"),
        "{serve}"
    );
    let out = ipv()
        .args(["--sandbox", "emulator", "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
