//! The CLI as a new user and a reseller meet it, driven through the binary: where
//! requests go, dictionary names, generated order numbers, exit codes, `export`,
//! `expiring`, `renew --expiring-within`, progress only on a terminal.

mod common;

use std::process::Output;
use std::time::Duration;

use ipv_emulator::{FaultConfig, OrderSchedule};
use serde_json::Value;

use common::{Emu, ipv, text};

const APP_KEY: &str = "AKresellerday001";
const SECRET: &str = "resellerDaySecret-0123456789abcd";
/// A static product sold by the day (expires within 3 days of opening).
const DAILY: &str = "ipv_res_cn_szx_d1";

fn emu() -> Emu {
    emu_with(OrderSchedule::IMMEDIATE)
}

fn emu_with(schedule: OrderSchedule) -> Emu {
    Emu::start(APP_KEY, SECRET, "reseller day", "5000.00", schedule)
}

/// Opens `count` instances of `product` and returns their numbers.
fn open(emu: &Emu, product: &str, count: u32) -> Vec<String> {
    let doc = emu.json(&[
        "open",
        "--product",
        product,
        "--count",
        &count.to_string(),
        "--wait",
    ]);
    assert_eq!(doc["order"]["status"], 3, "{doc}");
    doc["order"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instanceNo"].as_str().unwrap().to_owned())
        .collect()
}

fn expiry_of(emu: &Emu, instance_no: &str) -> i64 {
    let doc = emu.json(&["instances", instance_no]);
    doc[0]["userExpired"].as_i64().expect("userExpired")
}

// ------------------------------------------------------------ where requests go

#[test]
fn credentials_without_an_endpoint_are_refused_and_say_what_to_set() {
    for args in [&["open", "--product", DAILY][..], &["app-info"]] {
        let out = ipv()
            .args(args)
            .env("IPV_APP_KEY", APP_KEY)
            .env("IPV_APP_SECRET", SECRET)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        for named in [
            "--endpoint",
            "IPV_ENDPOINT",
            "--sandbox",
            "--production",
            "--emulator",
        ] {
            assert!(stderr.contains(named), "names {named}: {stderr}");
        }
        assert!(!stderr.contains("embedded in this process at"), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing bought: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn the_embedded_emulator_runs_when_asked_or_when_nothing_is_configured() {
    let out = ipv()
        .args(["--emulator", "-o", "json", "app-info"])
        .env("IPV_APP_KEY", APP_KEY)
        .env("IPV_APP_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--emulator: using an emulator embedded"),
        "{stderr}"
    );
    assert!(
        stderr.contains(APP_KEY),
        "runs as the configured app: {stderr}"
    );

    let out = ipv().args(["-o", "json", "app-info"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no credentials and no endpoint configured"),
        "{}",
        text(&out.stderr)
    );

    let out = ipv()
        .args(["--emulator", "--endpoint", "http://127.0.0.1:9", "app-info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

// ------------------------------------------------------------ dictionary names

#[test]
fn dictionary_flags_take_names_and_tables_print_names() {
    let emu = emu();
    let by_name = emu.json(&["products", "--proxy-type", "static-residential-cn"]);
    let by_number = emu.json(&["products", "--proxy-type", "102"]);
    assert_eq!(by_name, by_number);
    assert!(by_name.as_array().is_some_and(|a| !a.is_empty()));

    let table = text(
        &emu.ok(&["products", "--proxy-type", "static-residential-cn"])
            .stdout,
    );
    assert!(table.contains("static-residential-cn"), "{table}");
    assert!(!table.contains(" 102 "), "no bare number: {table}");

    let instances = open(&emu, DAILY, 1);
    let table = text(&emu.ok(&["instances", &instances[0]]).stdout);
    assert!(table.contains("running"), "status by name: {table}");
    let order = text(&emu.ok(&["orders"]).stdout);
    assert!(
        order.contains("succeeded") && order.contains("new"),
        "{order}"
    );
    let app = text(&emu.ok(&["app-info"]).stdout);
    assert!(
        app.lines()
            .any(|l| l.starts_with("status") && l.ends_with("normal")),
        "{app}"
    );

    let out = emu.run(&["products", "--proxy-type", "residential"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("static-residential-abroad"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn completions_and_help_list_the_names_and_the_exit_codes() {
    let out = ipv().args(["completions", "bash"]).output().unwrap();
    let script = text(&out.stdout);
    for name in [
        "static-residential-abroad",
        "dynamic-cn",
        "follow-app",
        "company",
        "running",
    ] {
        assert!(script.contains(name), "{name} completes");
    }
    let out = ipv().args(["completions", "zsh"]).output().unwrap();
    assert!(text(&out.stdout).contains("static-residential-abroad"));

    let help = text(&ipv().arg("--help").output().unwrap().stdout);
    for line in [
        "Exit codes (the same mistake gives the same code on every command):",
        "1  the API",
        "2  usage",
        "3  transport",
        "4  an order",
        "5  `ipv demo`",
        "6  the app key or secret was refused",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
}

// ------------------------------------------------------------ order numbers

#[test]
fn release_and_after_sale_generate_a_repeatable_order_number() {
    let emu = emu();
    let instances = open(&emu, DAILY, 2);

    let out = emu.ok(&["-o", "json", "release", &instances[0]]);
    let stderr = text(&out.stderr);
    let generated = stderr
        .lines()
        .find_map(|l| l.strip_prefix("orderNo: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("the generated number is printed: {stderr}"))
        .to_owned();
    assert!(generated.starts_with("ipv"), "{generated}");
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first["appOrderNo"], generated.as_str());
    // Repeating with the printed number is the same order, not a second release.
    let again = emu.json(&["release", "--order-no", &generated, &instances[0]]);
    assert_eq!(again["orderNo"], first["orderNo"]);

    let out = emu.ok(&[
        "-o",
        "json",
        "after-sale",
        &instances[1],
        "--reason",
        "test",
    ]);
    assert!(
        text(&out.stderr).contains("orderNo: ipv"),
        "{}",
        text(&out.stderr)
    );
}

// ------------------------------------------------------------ exit codes

#[test]
fn each_failure_class_has_its_exit_code() {
    let emu = emu();
    // 1: the API refused (no such instance).
    assert_eq!(emu.run(&["release", "NO-SUCH"]).status.code(), Some(1));
    // 2: usage.
    assert_eq!(emu.run(&["open", "--count", "x"]).status.code(), Some(2));
    // 3: transport.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = ipv()
        .args([
            "--endpoint",
            &format!("http://127.0.0.1:{closed}"),
            "--app-key",
            APP_KEY,
        ])
        .args(["--timeout", "5s", "app-info"])
        .env("IPV_APP_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // 4: the order finished failed.
    emu.handle()
        .control()
        .set_faults(FaultConfig {
            fail_products: vec![DAILY.to_owned()],
            ..FaultConfig::default()
        })
        .unwrap();
    let out = emu.run(&["open", "--product", DAILY, "--wait"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("failed"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_demo_check_that_does_not_hold_exits_5() {
    // So many days that the instances run out before the demo releases them.
    let out = ipv()
        .args(["demo", "--ascii", "--advance-days", "4000"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("did not check out"));
}

// ------------------------------------------------------------ export

#[test]
fn export_walks_every_page_in_every_format() {
    let emu = emu();
    // 25 instances: three pages of 10.
    let mut all = open(&emu, DAILY, 20);
    all.extend(open(&emu, DAILY, 5));
    let monthly = open(&emu, "ipv_res_cn_sha_m", 1);
    emu.ok(&["release", &all[0]]);

    let plain = text(&emu.ok(&["export", "--page-size", "10"]).stdout);
    assert_eq!(plain.lines().count(), 26, "every instance on every page");
    for line in plain.lines() {
        let parts: Vec<&str> = line.split(':').collect();
        assert_eq!(parts.len(), 4, "ip:port:user:pass: {line}");
        assert!(parts[1].parse::<u16>().is_ok(), "{line}");
    }

    let urls = text(
        &emu.ok(&[
            "export",
            "--format",
            "url",
            "--status",
            "running",
            "--page-size",
            "10",
        ])
        .stdout,
    );
    assert_eq!(urls.lines().count(), 25, "the released one is filtered out");
    assert!(
        urls.lines()
            .all(|l| l.starts_with("socks5://") || l.starts_with("http://")),
        "{urls}"
    );

    let csv = text(
        &emu.ok(&[
            "export",
            "--format",
            "csv",
            "--expiring-within",
            "3d",
            "--status",
            "running",
            "--page-size",
            "10",
        ])
        .stdout,
    );
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("instanceNo,status,protocol,ip,port,username,password,expiresAt,productNo,proxyType")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 24, "neither the monthly nor the released one");
    assert!(!csv.contains(&monthly[0]));
    assert!(rows.iter().all(|r| r.contains(DAILY)));

    let json = text(
        &emu.ok(&[
            "export",
            "--format",
            "json",
            "--status",
            "3",
            "--page-size",
            "10",
        ])
        .stdout,
    );
    let docs: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(docs.len(), 25);
    assert!(
        docs.iter()
            .all(|d| d["status"] == 3 && d["instanceNo"].is_string())
    );
}

// ------------------------------------------------------------ expiring and renew

#[test]
fn expiring_lists_what_runs_out_with_the_renewal_estimate() {
    let emu = emu();
    let daily = open(&emu, DAILY, 2);
    open(&emu, "ipv_res_cn_sha_m", 1);
    let doc = emu.json(&["expiring", "--within", "3d"]);
    let listed: Vec<&str> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instanceNo"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = daily.iter().map(String::as_str).collect();
    want.sort_unstable();
    let mut got = listed.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    // The daily product costs 0.80 a period.
    assert!(
        doc["instances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["estimate"] == "0.80")
    );
    assert_eq!(doc["estimatedTotal"], "1.60");

    let table = text(&emu.ok(&["expiring", "--within", "3d"]).stdout);
    assert!(table.contains("estimated total: 1.60"), "{table}");
    let nothing = text(&emu.ok(&["expiring", "--within", "1h"]).stdout);
    assert!(nothing.contains("no instance expires within"), "{nothing}");
}

#[test]
fn renew_expiring_asks_renews_once_and_reports_the_charge() {
    let emu = emu();
    let daily = open(&emu, DAILY, 2);
    let before: Vec<i64> = daily.iter().map(|i| expiry_of(&emu, i)).collect();

    // No terminal and no --yes: shows the plan, refuses, spends nothing.
    // The daily product runs out in 24 h; renewed once, in 48 h: outside 36 h.
    let charges = emu.charges();
    let out = emu.run(&["renew", "--expiring-within", "36h"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("estimated total: 1.60"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(emu.charges(), charges, "nothing renewed");

    let doc = emu.json(&["renew", "--expiring-within", "36h", "--yes"]);
    assert_eq!(doc["estimatedTotal"], "1.60");
    assert_eq!(doc["charged"], "1.60");
    assert_eq!(doc["renewals"].as_array().unwrap().len(), 2);
    for (no, was) in daily.iter().zip(&before) {
        assert_eq!(expiry_of(&emu, no), was + 86_400, "renewed by one day");
    }
    // Renewed instances are out of the window: a rerun renews nothing.
    let again = text(
        &emu.ok(&["renew", "--expiring-within", "36h", "--yes"])
            .stdout,
    );
    assert!(again.contains("nothing to renew"), "{again}");
}

#[test]
fn a_rerun_after_an_interrupted_renewal_repeats_the_same_orders() {
    // Orders stay pending for an hour of emulator time: the first run gives up
    // waiting, as a crashed run would leave them.
    let emu = emu_with(OrderSchedule {
        to_processing: Duration::from_secs(3_600),
        to_done: Duration::from_secs(1),
    });
    let instances = {
        let doc = emu.json(&["open", "--product", DAILY, "--count", "1"]);
        emu.handle().control().advance_clock(3_700).unwrap();
        let _processed = emu.handle().control().process_orders();
        let order = emu.json(&["order", doc["orderNo"].as_str().unwrap()]);
        assert_eq!(order["status"], 3, "{order}");
        order["instances"][0]["instanceNo"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = expiry_of(&emu, &instances);
    let charges = emu.charges();

    let first = emu.run(&[
        "-o",
        "json",
        "renew",
        "--expiring-within",
        "3d",
        "--yes",
        "--wait-timeout",
        "1s",
    ]);
    assert_eq!(first.status.code(), Some(4), "{}", text(&first.stderr));
    let first: Value = serde_json::from_slice(&first.stdout).unwrap();
    let second = emu.run(&[
        "-o",
        "json",
        "renew",
        "--expiring-within",
        "3d",
        "--yes",
        "--wait-timeout",
        "1s",
    ]);
    assert_eq!(second.status.code(), Some(4), "{}", text(&second.stderr));
    let second: Value = serde_json::from_slice(&second.stdout).unwrap();

    assert_eq!(
        first["renewals"][0]["appOrderNo"],
        second["renewals"][0]["appOrderNo"]
    );
    assert!(first["renewals"][0]["orderNo"].is_string(), "{first}");
    assert_eq!(
        first["renewals"][0]["orderNo"],
        second["renewals"][0]["orderNo"]
    );
    assert_eq!(emu.charges(), charges + 1, "one renewal charged, not two");

    emu.handle().control().advance_clock(3_700).unwrap();
    let _processed = emu.handle().control().process_orders();
    assert_eq!(expiry_of(&emu, &instances), before + 86_400, "renewed once");
}

// ------------------------------------------------------------ progress

#[test]
fn progress_is_silent_off_a_terminal_and_shown_on_one() {
    let emu = emu_with(OrderSchedule {
        to_processing: Duration::from_millis(400),
        to_done: Duration::from_millis(400),
    });
    let out = emu.ok(&[
        "open",
        "--product",
        DAILY,
        "--wait",
        "--app-order-no",
        "quiet1",
    ]);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let out = emu.ok(&["export"]);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));

    // On a pseudo-terminal (util-linux `script`), the spinner shows the order's status.
    let Some(out) = on_terminal(
        &emu,
        &format!("open --product {DAILY} --wait --app-order-no loud1 >/dev/null"),
        "",
    ) else {
        eprintln!("skipped the terminal half: no `script` on this machine");
        return;
    };
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("order ") && shown.contains("pending"),
        "spinner: {shown:?}"
    );
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

/// Runs `ipv ARGS` against `emu` on a pseudo-terminal (util-linux `script`) with `input`
/// typed on it; `None` when there is no `script` on this machine.
fn on_terminal(emu: &Emu, args: &str, input: &str) -> Option<Output> {
    let script = which("script").ok()?;
    let ipv_bin = assert_cmd::cargo::cargo_bin("ipv");
    let command = format!(
        "{} --endpoint {} --app-key {APP_KEY} {args}",
        ipv_bin.display(),
        emu.url
    );
    let mut child = std::process::Command::new(script)
        .args(["-qefc", &command, "/dev/null"])
        .env("IPV_APP_SECRET", SECRET)
        .env_remove("IPV_ENDPOINT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn renew_expiring_asks_on_a_terminal() {
    let emu = emu();
    open(&emu, DAILY, 2);
    let charges = emu.charges();
    let Some(out) = on_terminal(&emu, "renew --expiring-within 36h", "n\n") else {
        eprintln!("skipped: no `script` on this machine");
        return;
    };
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("renew 2 instance(s), estimated 1.60? [y/N]"),
        "{shown}"
    );
    assert!(shown.contains("nothing renewed"), "{shown}");
    assert_eq!(emu.charges(), charges);

    let out = on_terminal(&emu, "renew --expiring-within 36h", "y\n").unwrap();
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("charged 1.60 (estimated 1.60)"), "{shown}");
    assert_eq!(emu.charges(), charges + 2);
}
