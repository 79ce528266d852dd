//! The `ipv` binary driven as a process against an emulator on a free port.
//!
//! Every run goes through [`Emu::run`], which also checks that the app secret appears
//! in neither stdout nor stderr.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Stdio};

use ipv_emulator::OrderSchedule;
use serde_json::Value;

use common::{Emu, ipv, line_starting, one_document, text};

const APP_KEY: &str = "AKclitest0000001";
/// 32 bytes (AES-256), distinctive enough that any leak is found by substring search.
const SECRET: &str = "cliTestSecretNeverPrint-0123abcd";

fn assert_no_secret(out: &std::process::Output) {
    assert!(!text(&out.stdout).contains(SECRET), "secret on stdout");
    assert!(!text(&out.stderr).contains(SECRET), "secret on stderr");
}

fn emu() -> Emu {
    Emu::start(
        APP_KEY,
        SECRET,
        "cli test app",
        "1000.00",
        OrderSchedule::default(),
    )
}

fn first_product(emu: &Emu, proxy_type: &str) -> Value {
    let products = emu.json(&["products", "--proxy-type", proxy_type]);
    products
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["enable"] == 1 && p["inventory"].as_i64() > Some(2))
        .cloned()
        .expect("a purchasable product")
}

/// Opens `count` of the first static product and waits; returns (receipt, order).
fn open_and_wait(emu: &Emu, count: &str) -> (Value, Value) {
    let product = first_product(emu, "101");
    let product_no = product["productNo"].as_str().unwrap();
    let out = emu.run(&[
        "open",
        "--product",
        product_no,
        "--count",
        count,
        "--wait",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("appOrderNo: ipv"),
        "generated id shown: {stderr}"
    );
    // Progress is for terminals only: a pipe sees the generated number and nothing else.
    assert_eq!(
        stderr.lines().count(),
        1,
        "no progress off a terminal: {stderr}"
    );
    let doc = one_document(&out.stdout);
    (doc["receipt"].clone(), doc["order"].clone())
}

fn instance_numbers(order: &Value) -> Vec<String> {
    order["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instanceNo"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn app_info_as_table_and_as_json() {
    let emu = emu();
    let out = emu.run(&["app-info"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("appName"), "{table}");
    assert!(table.contains("cli test app"), "{table}");
    assert!(table.contains("1000.00"), "{table}");

    let doc = emu.json(&["app-info"]);
    assert_eq!(doc["appName"], "cli test app");
    assert_eq!(doc["coin"], "1000.00");
}

#[test]
fn global_flags_work_before_and_after_the_subcommand() {
    let emu = emu();
    let before = emu.run(&["--output", "json", "products", "--proxy-type", "103"]);
    let after = emu.run(&["products", "--proxy-type", "103", "--output", "json"]);
    assert_eq!(before.status.code(), Some(0));
    assert_eq!(after.status.code(), Some(0));
    assert_eq!(one_document(&before.stdout), one_document(&after.stdout));

    // Endpoint and key after the subcommand too.
    let out = ipv()
        .args([
            "app-info",
            "-o",
            "json",
            "--endpoint",
            &emu.url,
            "--app-key",
            APP_KEY,
        ])
        .env("IPV_APP_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_secret(&out);
    assert_eq!(one_document(&out.stdout)["appName"], "cli test app");
}

#[test]
fn products_filter_by_type_and_show_a_table() {
    let emu = emu();
    let products = emu.json(&["products", "--proxy-type", "103"]);
    let list = products.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|p| p["proxyType"] == 103), "{products}");

    let no = list[0]["productNo"].as_str().unwrap();
    let one = emu.json(&["products", "--product-no", no]);
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["productNo"], no);

    let out = emu.run(&["products", "--proxy-type", "103"]);
    let table = text(&out.stdout);
    let header = table.lines().next().unwrap();
    assert!(header.starts_with("productNo"), "{table}");
    assert!(table.contains(no));
}

#[test]
fn open_wait_order_instances_renew_release() {
    let emu = emu();
    let (receipt, order) = open_and_wait(&emu, "2");
    let order_no = receipt["orderNo"].as_str().unwrap().to_owned();
    assert_eq!(order["orderNo"], order_no.as_str());
    assert_eq!(order["status"], 3, "succeeded");
    assert_eq!(order["type"], 1, "a new-instance order");
    let numbers = instance_numbers(&order);
    assert_eq!(numbers.len(), 2);

    // `order` as JSON and as a table.
    let fetched = emu.json(&["order", &order_no]);
    assert_eq!(fetched["orderNo"], order_no.as_str());
    assert_eq!(fetched["amount"], receipt["amount"]);
    let table = text(&emu.run(&["order", &order_no]).stdout);
    assert!(
        table.contains(&order_no) && table.contains(&numbers[0]),
        "{table}"
    );

    // `instances`.
    let mut args = vec!["instances"];
    args.extend(numbers.iter().map(String::as_str));
    let instances = emu.json(&args);
    let list = instances.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter().all(|i| i["status"] == 3),
        "running: {instances}"
    );
    let expiry_before = list[0]["userExpired"].as_i64().unwrap();

    // `renew` with a given appOrderNo, waiting.
    let out = emu.run(&[
        "renew",
        "--app-order-no",
        "clirenew0001",
        &numbers[0],
        "--wait",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let renewed = one_document(&out.stdout);
    assert_eq!(renewed["receipt"]["appOrderNo"], "clirenew0001");
    assert_eq!(renewed["order"]["type"], 2);
    assert_eq!(renewed["order"]["status"], 3);
    let after = emu.json(&["instances", &numbers[0]]);
    assert!(after[0]["userExpired"].as_i64().unwrap() > expiry_before);

    // `release` within the refund window, waiting; the table form this time.
    let out = emu.run(&[
        "release",
        "--order-no",
        "clirelease001",
        &numbers[0],
        &numbers[1],
        "--wait",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("clirelease001"));
    let released = emu.json(&["instances", &numbers[0], &numbers[1]]);
    assert!(
        released
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == 11),
        "released: {released}"
    );
}

#[test]
fn open_without_wait_prints_the_receipt() {
    let emu = emu();
    let product = first_product(&emu, "101");
    let doc = emu.json(&[
        "open",
        "--product",
        product["productNo"].as_str().unwrap(),
        "--app-order-no",
        "cliopen0001",
    ]);
    assert_eq!(doc["appOrderNo"], "cliopen0001");
    assert!(doc["orderNo"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(doc["amount"], product["costPrice"]);
}

#[test]
fn api_errors_exit_1_with_code_and_message() {
    let emu = emu();
    let out = emu.run(&["order", "NO-SUCH-ORDER"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("10031"), "{stderr}");
    assert!(out.stdout.is_empty());

    // Verbose logging of a failing call still shows no secret (checked by `run`).
    let out = emu.run(&["-vvv", "order", "NO-SUCH-ORDER"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_wrong_secret_exits_6_on_reads_and_purchases_alike_and_is_never_echoed() {
    let emu = emu();
    let wrong = "wrongSecretWrongSecret-000000000";
    // A request with params: the platform cannot decrypt them and answers 10001.
    // `app-info` has no params, so the platform answers in its own key and the client is
    // the one that cannot decrypt. A purchase is refused like a read. Same mistake,
    // same code.
    for args in [
        &["order", "O1"][..],
        &["app-info"],
        &["open", "--product", "P1", "--count", "1"],
    ] {
        let out = ipv()
            .args(["--endpoint", &emu.url, "--app-key", APP_KEY])
            .args(args)
            .env("IPV_APP_SECRET", wrong)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {stderr}");
        assert!(stderr.contains("secret"), "{args:?}: {stderr}");
        assert!(!stderr.contains(wrong));
        assert!(!text(&out.stdout).contains(wrong));
    }
    assert_eq!(emu.handle().control().summary().apps[0].charges, 0);
}

#[test]
fn transport_errors_exit_3() {
    // Bind a port, then free it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = ipv()
        .args(["app-info", "--timeout", "2s", "--app-key", APP_KEY])
        .args(["--endpoint", &format!("http://127.0.0.1:{port}")])
        .env("IPV_APP_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_no_secret(&out);
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2_even_with_a_server() {
    let emu = emu();
    for args in [
        vec!["open", "--count", "0x"],
        vec!["instances"],
        vec!["release"],
        vec!["products", "--proxy-type", "residential"],
        vec!["open", "--product", "P", "--use-bridge", "maybe"],
        vec!["open", "--product", "P", "--count", "-3"],
    ] {
        let out = emu.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn every_endpoint_command_reaches_the_emulator() {
    let emu = emu();
    let static_no = first_product(&emu, "101")["productNo"]
        .as_str()
        .unwrap()
        .to_owned();
    let dynamic = first_product(&emu, "104");
    let dyn_no = dynamic["productNo"].as_str().unwrap().to_owned();
    let (receipt, order) = open_and_wait(&emu, "2");
    let mut instances = instance_numbers(&order);
    let other = instances.pop().unwrap();
    let instance = instances.pop().unwrap();

    // Every endpoint command run here, to hold the list to the 30 of `ipv --help`.
    let used = std::cell::RefCell::new(std::collections::BTreeSet::from([
        "products".to_owned(),
        "open".to_owned(),
    ]));
    let ok = |args: &[&str]| -> Value {
        used.borrow_mut().insert(args[0].to_owned());
        let value = emu.json(args);
        assert!(!value.is_null() || args[0] == "set-flow-limit", "{args:?}");
        value
    };
    assert_eq!(ok(&["app-info"])["appName"], "cli test app");
    let order_no = receipt["orderNo"].as_str().unwrap();
    assert_eq!(ok(&["order", order_no])["orderNo"], order_no);
    assert_eq!(
        ok(&["instances", &instance])[0]["instanceNo"],
        instance.as_str()
    );
    let renewed = ok(&["renew", &instance, "--cycles", "1", "--wait"]);
    assert_eq!(renewed["order"]["status"], 3, "{renewed}");
    let released = ok(&["release", &other, "--wait"]);
    assert_eq!(released["order"]["status"], 3, "{released}");
    assert!(ok(&["areas"]).as_array().is_some_and(|a| !a.is_empty()));
    assert!(ok(&["cities"]).as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(
        ok(&["product", &static_no])["productNo"],
        static_no.as_str()
    );
    ok(&["product-areas", &static_no, "--proxy-type", "101"]);
    assert!(ok(&["projects"]).as_array().is_some());
    ok(&["orders", "--page", "1", "--page-size", "10"]);
    assert!(ok(&["instance-list"])["list"].as_array().is_some());
    let reset = ok(&["reset-passwords", &instance]);
    assert!(
        reset["resetNo"]
            .as_str()
            .is_some_and(|s| s.starts_with("ipv"))
    );

    let main = ok(&[
        "upsert-user",
        "--app-username",
        "climain1",
        "--phone",
        "13800000000",
        "--email",
        "m@example.com",
        "--no",
        "ID-1",
    ]);
    assert_eq!(main["appUsername"], "climain1");
    ok(&[
        "sync-user-auth",
        "--app-username",
        "climain1",
        "--auth-type",
        "2",
        "--auth-name",
        "Test",
    ]);
    let proxy = ok(&[
        "upsert-proxy-user",
        "--app-username",
        "cliproxy1",
        "--app-main-username",
        "climain1",
    ]);
    assert_eq!(proxy["appUsername"], "cliproxy1");
    let out = emu.run(&[
        "open",
        "--product",
        &dyn_no,
        "--app-username",
        "climain1",
        "--flow",
        "200",
        "--wait",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    ok(&[
        "proxy-user",
        "--product-no",
        &dyn_no,
        "--app-username",
        "cliproxy1",
    ]);
    ok(&[
        "set-flow-limit",
        "--product-no",
        &dyn_no,
        "--app-username",
        "cliproxy1",
        "--limit-flow",
        "1000000",
    ]);
    let balance = ok(&[
        "proxy-balance",
        "--app-username",
        "climain1",
        "--proxy-type",
        "104",
        "--product-no",
        &dyn_no,
    ]);
    assert_eq!(balance["list"][0]["total"], "200");
    let drawn = ok(&[
        "draw-pwd",
        "--app-username",
        "cliproxy1",
        "--product-no",
        &dyn_no,
        "--num",
        "3",
    ]);
    assert_eq!(drawn["list"][0]["list"].as_array().map(Vec::len), Some(3));
    ok(&[
        "draw-api",
        "--app-username",
        "cliproxy1",
        "--proxy-type",
        "104",
        "--product-no",
        &dyn_no,
    ]);
    ok(&[
        "flow-log",
        "--app-username",
        "climain1",
        "--product-no",
        &dyn_no,
    ]);
    let added = ok(&[
        "whitelist-add",
        "--app-username",
        "climain1",
        "--ip",
        "198.51.100.9",
        "--proxy-type",
        "104",
        "--product-no",
        &dyn_no,
    ]);
    assert_eq!(added["ipWhiteList"][0], "198.51.100.9");
    let removed = ok(&[
        "whitelist-remove",
        "--app-username",
        "climain1",
        "--ip",
        "198.51.100.9",
        "--product-no",
        &dyn_no,
    ]);
    assert_eq!(removed["ipWhiteList"].as_array().map(Vec::len), Some(0));
    ok(&[
        "return-proxy",
        "--app-username",
        "climain1",
        "--proxy-type",
        "104",
        "--product-no",
        &dyn_no,
        "--flow-num",
        "10",
    ]);
    let after_sale = ok(&[
        "after-sale",
        "--order-no",
        "cliaftersale1",
        &instance,
        "--wait",
    ]);
    assert_eq!(after_sale["order"]["status"], 3);

    // The two commands that may answer either way still get a typed answer.
    used.borrow_mut()
        .extend(["assigned-ip-info".to_owned(), "open-assigned-ip".to_owned()]);
    let out = emu.run(&["-o", "json", "assigned-ip-info", "198.18.0.200"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let out = emu.run(&[
        "-o",
        "json",
        "open-assigned-ip",
        "--product",
        &static_no,
        "--ip",
        "198.18.0.201",
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );

    // Every endpoint command of `ipv --help` was run.
    let help = text(&ipv().arg("--help").output().unwrap().stdout);
    let listed: std::collections::BTreeSet<String> = help
        .lines()
        .filter(|line| line.trim_end().ends_with("`)") && line.contains("(endpoint `"))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(listed.len(), 30, "{help}");
    assert_eq!(*used.borrow(), listed);

    // `raw` with a path middle and with a full path.
    let info = ok(&["raw", "info"]);
    assert_eq!(info["appName"], "cli test app");
    let product = ok(&[
        "raw",
        "/api/open/app/product/info/v2",
        &format!("{{\"productNo\":\"{static_no}\"}}"),
    ]);
    assert_eq!(product["productNo"], static_no.as_str());
}

#[test]
fn without_an_endpoint_an_embedded_emulator_answers() {
    let out = ipv().args(["-o", "json", "products"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("emulator embedded in this process"),
        "{stderr}"
    );
    assert!(
        one_document(&out.stdout)
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[test]
fn demo_checks_out() {
    let out = ipv().arg("demo").output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("all 16 steps checked out"), "{stdout}");
    for step in [
        "open and wait",
        "order callback",
        "renew and wait",
        "release and wait",
        "final balance",
    ] {
        assert!(stdout.contains(step), "{step} missing");
    }

    let out = ipv().args(["demo", "--output", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc = one_document(&out.stdout);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["steps"].as_array().map(Vec::len), Some(16));
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap()
}

#[test]
fn emulator_serve_prints_its_endpoint_and_stops_on_sigterm() {
    let bin = assert_cmd::cargo::cargo_bin("ipv");
    let mut child = std::process::Command::new(&bin)
        .args([
            "emulator",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--app-key",
            APP_KEY,
        ])
        .env("IPV_APP_SECRET", SECRET)
        .env_remove("IPV_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let endpoint = line_starting(&mut stdout, "endpoint: ");
    assert_eq!(line_starting(&mut stdout, "app key: "), APP_KEY);
    assert_eq!(
        line_starting(&mut stdout, "app secret: "),
        "from IPV_APP_SECRET"
    );

    let out = ipv()
        .args([
            "--endpoint",
            &endpoint,
            "--app-key",
            APP_KEY,
            "-o",
            "json",
            "app-info",
        ])
        .env("IPV_APP_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(one_document(&out.stdout)["coin"], "10000.00");

    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!rest.contains(SECRET) && !stderr.contains(SECRET));
}

#[test]
fn emulator_serve_names_the_demo_default_secret() {
    let bin = assert_cmd::cargo::cargo_bin("ipv");
    let mut child = std::process::Command::new(&bin)
        .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
        .env_remove("IPV_APP_SECRET")
        .env_remove("IPV_APP_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    assert_eq!(
        line_starting(&mut stdout, "app key: "),
        ipv_emulator::DEFAULT_APP_KEY
    );
    let secret_line = line_starting(&mut stdout, "app secret: ");
    assert!(
        secret_line.starts_with(ipv_emulator::DEFAULT_APP_SECRET),
        "{secret_line}"
    );
    assert!(secret_line.contains("demo default"), "{secret_line}");
    assert!(terminate(&mut child).success());
}

#[test]
fn callback_listen_prints_callbacks_and_fetches_what_they_name() {
    let emu = emu();
    let (receipt, _) = open_and_wait(&emu, "1");
    let order_no = receipt["orderNo"].as_str().unwrap().to_owned();

    let bin = assert_cmd::cargo::cargo_bin("ipv");
    let mut child = std::process::Command::new(&bin)
        .args(["callback", "listen", "--addr", "127.0.0.1:0"])
        .arg("--insecure-no-path-token")
        .args(["--endpoint", &emu.url, "--app-key", APP_KEY])
        .env("IPV_APP_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (_, addr) = common::callback_listen_url(&mut stderr);

    // The same callback twice: answered both times, printed once.
    for _ in 0..2 {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "GET /callback?type=order&no={order_no}&op=1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.ends_with(r#"{"code":"success","msg":""}"#),
            "{answer}"
        );
    }
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let callback: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(callback["type"], "order");
    assert_eq!(callback["no"], order_no.as_str());
    assert_eq!(callback["op"], 1);
    assert_eq!(callback["fetched"]["orderNo"], order_no.as_str());
    assert_eq!(callback["fetched"]["status"], 3);

    assert!(terminate(&mut child).success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.trim().is_empty(), "the duplicate was printed: {rest}");
    assert!(!rest.contains(SECRET));
}

#[test]
fn emulator_serve_widens_every_static_product_with_addresses_per_product() {
    let bin = assert_cmd::cargo::cargo_bin("ipv");
    let mut child = std::process::Command::new(&bin)
        .args([
            "emulator",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--addresses-per-product",
            "3000",
        ])
        .env_remove("IPV_APP_SECRET")
        .env_remove("IPV_APP_KEY")
        .env_remove("IPV_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let endpoint = line_starting(&mut stdout, "endpoint: ");
    assert_eq!(
        line_starting(&mut stdout, "addresses per static product: "),
        "3000"
    );
    let out = ipv()
        .args([
            "--endpoint",
            &endpoint,
            "--app-key",
            ipv_emulator::DEFAULT_APP_KEY,
            "-o",
            "json",
            "product",
            "ipv_dc_us_sjc_w",
        ])
        .env("IPV_APP_SECRET", ipv_emulator::DEFAULT_APP_SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let product = one_document(&out.stdout);
    assert_eq!(product["inventory"].as_i64(), Some(3000), "{product}");
    assert!(terminate(&mut child).success());

    // Out of range: a usage error, and nothing is served.
    let refused = ipv()
        .args(["emulator", "serve", "--addresses-per-product", "500001"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
}
