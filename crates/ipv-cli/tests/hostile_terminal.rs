//! Terminal injection: a hostile server on loopback answers with control characters in
//! the API's `msg`, in an HTTP error body and in table cells. Whatever `ipv` prints for
//! people (tables, summaries, exports, errors on stderr) must carry none of them raw: no
//! ESC (so no OSC title, clear-screen or cursor sequence), no BEL, no C1 CSI, no bidi
//! override, and no forged newline that would add a fake line or row.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::Arc;

mod common;

use common::ipv;
use ipv_api::codec;
use ipv_crypto::Key;
use ipv_types::ApiCode;
use serde_json::{Value, json};

const APP_KEY: &str = "AKhostile0000001";
const SECRET: &str = "hostileTestSecret-0123456789abcd";

/// An OSC title change, BEL, clear-screen, cursor home, a forged line, a C1 CSI and a
/// right-to-left override.
const EVIL: &str =
    "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[H\r\nI9  running  6.6.6.6:1080\u{9b}31m\u{202e}gnp";

type Handler = dyn Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync;

/// A one-thread HTTP/1.1 server on loopback answering every request with `handler(path,
/// reqId)`, one request per connection.
fn serve(handler: Arc<Handler>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = Arc::clone(&handler);
            std::thread::spawn(move || answer(stream, &*handler));
        }
    });
    url
}

fn answer(stream: TcpStream, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let req_id = codec::parse_request_envelope(&body)
        .map(|e| e.req_id)
        .unwrap_or_default();
    let (status, reply) = handler(&path, &req_id);
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply);
}

fn sealed(req_id: &str, code: i64, msg: &str, data: Option<&Value>) -> Vec<u8> {
    let key = Key::new(SECRET.as_bytes()).unwrap();
    codec::seal_response(&key, req_id, ApiCode::from_i64(code), msg, data)
        .unwrap()
        .to_vec()
}

fn instance(no: &str, username: &str, ip: &str) -> Value {
    json!({
        "instanceNo": no, "proxyType": 103, "protocol": "1,2", "ip": ip, "port": 1080,
        "regionId": "r", "countryCode": "USA", "cityCode": "c", "useType": "1",
        "username": username, "pwd": "pw", "orderNo": "O1", "userExpired": 1_900_000_000,
        "flowTotal": 0, "flowBalance": 0, "status": 3, "renew": 0, "bridges": [],
        "openAt": "2026-01-01T00:00:00Z", "renewAt": "0001-01-01T00:00:00Z",
        "releaseAt": "0001-01-01T00:00:00Z", "productNo": "P1", "extendIp": ""
    })
}

/// The hostile platform: `info` fails with an evil `msg`, `product/query` answers HTTP
/// 502 with an evil body, `instance/list` lists an instance with evil cells, `city/list`
/// sends an evil key.
fn hostile() -> String {
    serve(Arc::new(|path: &str, req_id: &str| {
        if path.ends_with("/info/v2") {
            (200, sealed(req_id, 10_031, EVIL, None))
        } else if path.ends_with("/product/query/v2") {
            (502, format!("upstream {EVIL}").into_bytes())
        } else if path.ends_with("/instance/list/v2") {
            let page = json!({
                "page": 1, "pageSize": 100, "total": 2, "curPage": 1,
                "list": [instance("I1", EVIL, "1.2.3.4"), instance("I2", "bob", EVIL)]
            });
            (200, sealed(req_id, 200, "success", Some(&page)))
        } else if path.ends_with("/city/list/v2") {
            // Every field the document marks required is there: only the cells are evil.
            let cities = json!([{
                "cityCode": EVIL, "cityName": "n", "cityEnName": EVIL,
                "stateCode": "s", "stateName": EVIL, "stateEnName": "s",
                "countryCode": "USA", "countryName": "c", "countryEnName": "c",
                "areaCode": "NA", "areaName": "a", "areaEnName": "a",
                "status": 1, EVIL: EVIL
            }]);
            (200, sealed(req_id, 200, "success", Some(&cities)))
        } else {
            (404, b"no".to_vec())
        }
    }))
}

fn run(url: &str, args: &[&str]) -> Output {
    ipv()
        .args(["--endpoint", url, "--app-key", APP_KEY, "--timeout", "20s"])
        .args(args)
        .env("IPV_APP_SECRET", SECRET)
        .output()
        .unwrap()
}

/// Nothing in `bytes` can steer a terminal.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || matches!(c, '\u{202a}'..='\u{202e}')),
            "{what}: raw {:?} in {text:?}",
            c
        );
    }
    assert!(
        !text.lines().any(|l| l.starts_with("I9")),
        "{what}: a forged line: {text}"
    );
}

#[test]
fn an_api_message_cannot_steer_the_terminal() {
    let url = hostile();
    let out = run(&url, &["app-info"]);
    assert_eq!(out.status.code(), Some(1));
    assert_inert("stderr", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("10031") && stderr.contains("\\u{1b}]0;pwned"),
        "{stderr}"
    );
}

#[test]
fn an_http_error_body_cannot_steer_the_terminal() {
    let url = hostile();
    let out = run(&url, &["products"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_inert("stderr", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("502"), "{stderr}");
}

#[test]
fn table_cells_cannot_forge_rows() {
    let url = hostile();
    let out = run(&url, &["instance-list"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_inert("stdout", &out.stdout);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("list (2):"))
        .skip(1)
        .collect();
    assert_eq!(table.len(), 4, "header, rule and two rows: {stdout}");

    let out = run(&url, &["cities"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_inert("stdout", &out.stdout);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn exports_cannot_forge_lines() {
    let url = hostile();
    for (format, lines) in [("plain", 2), ("url", 2), ("csv", 3)] {
        let out = run(&url, &["export", "--format", format]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_inert(format, &out.stdout);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.lines().count(), lines, "{format}: {stdout}");
    }
    // JSON lines are escaped by the JSON encoder: still one object a line.
    let out = run(&url, &["export", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2);
    assert!(!stdout.contains('\u{1b}'));
    let first: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["username"], EVIL, "the data itself is kept, escaped");
}

/// A platform that accepts any open (receipt C1 for the caller's order number) and
/// answers every lookup of order C1 with `order`.
fn answers_orders_with(order: Value) -> String {
    serve(Arc::new(move |path: &str, req_id: &str| {
        if path.ends_with("/instance/open/v2") {
            let receipt = json!({"orderNo": "C1", "appOrderNo": "mine0001", "amount": "1.00"});
            (200, sealed(req_id, 200, "success", Some(&receipt)))
        } else if path.ends_with("/order/v2") {
            (200, sealed(req_id, 200, "success", Some(&order)))
        } else {
            (404, b"no".to_vec())
        }
    }))
}

#[test]
fn open_wait_refuses_a_lookup_answered_with_another_order() {
    let stranger = json!({
        "orderNo": "C2", "appOrderNo": "theirs", "type": 1, "status": 3, "count": 1,
        "refund": 0, "page": 1, "pageSize": 100, "total": 1,
        "instances": [instance("I-STRANGER", "stranger", "203.0.113.77")]
    });
    let url = answers_orders_with(stranger);
    let out = run(
        &url,
        &[
            "open",
            "--product",
            "P1",
            "--app-order-no",
            "mine0001",
            "--wait",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("`C2`") && stderr.contains("another order"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("203.0.113.77"),
        "a stranger's instance printed: {stdout}"
    );
}

#[test]
fn open_wait_refuses_an_order_of_another_product_under_our_number() {
    let mut reused = instance("I-OLD", "old", "198.51.100.5");
    reused["productNo"] = json!("P-OTHER");
    let earlier = json!({
        "orderNo": "C1", "appOrderNo": "mine0001", "type": 1, "status": 3, "count": 1,
        "refund": 0, "page": 1, "pageSize": 100, "total": 1, "instances": [reused]
    });
    let url = answers_orders_with(earlier);
    let out = run(
        &url,
        &[
            "open",
            "--product",
            "P1",
            "--app-order-no",
            "mine0001",
            "--wait",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("P-OTHER") && stderr.contains("P1"),
        "{stderr}"
    );
}

#[test]
fn a_receipt_without_an_order_number_is_an_error() {
    let url = serve(Arc::new(|path: &str, req_id: &str| {
        if path.ends_with("/instance/open/v2") {
            let receipt = json!({"orderNo": "", "appOrderNo": "mine0001", "amount": "1.00"});
            (200, sealed(req_id, 200, "success", Some(&receipt)))
        } else {
            (404, b"no".to_vec())
        }
    }));
    let out = run(
        &url,
        &["open", "--product", "P1", "--app-order-no", "mine0001"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("orderNo"), "{stderr}");
}
