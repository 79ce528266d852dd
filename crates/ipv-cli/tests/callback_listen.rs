//! `ipv emulator serve --order-delay` and `ipv callback listen` (verifying, with a path
//! token) driven as processes: a forged early callback is told to retry and printed
//! nowhere; the genuine one is printed once, with the final order.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{ipv_process as ipv, line_starting};

const TOKEN: &str = "9d4c2b1a0f8e7d6c5b4a39281706f5e4";

/// A child process stopped (SIGTERM, then reaped) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
            let _ = self.0.wait();
        }
    }
}

/// `ipv --endpoint URL` (the demo app's key and secret) with `args`; stdout as JSON.
fn api(endpoint: &str, args: &[&str]) -> Value {
    let out = ipv()
        .args([
            "--endpoint",
            endpoint,
            "--app-key",
            ipv_emulator::DEFAULT_APP_KEY,
        ])
        .args(["--output", "json"])
        .args(args)
        .env("IPV_APP_SECRET", ipv_emulator::DEFAULT_APP_SECRET)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One GET over a new connection: the status line's code and the body.
fn get(addr: &str, path_and_query: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn a_slow_order_a_forged_early_callback_and_the_genuine_one() {
    // The emulator keeps each order pending/processing for 8 s.
    let mut emulator = Running(
        ipv()
            .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
            .args(["--order-delay", "8s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut emu_out = BufReader::new(emulator.0.stdout.take().unwrap());
    let endpoint = line_starting(&mut emu_out, "endpoint: ");
    assert_eq!(line_starting(&mut emu_out, "orders complete after: "), "8s");

    let mut listener = Running(
        ipv()
            .args(["callback", "listen", "--addr", "127.0.0.1:0"])
            .args(["--path-token", TOKEN])
            .args(["--endpoint", &endpoint])
            .args(["--app-key", ipv_emulator::DEFAULT_APP_KEY])
            .env("IPV_APP_SECRET", ipv_emulator::DEFAULT_APP_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(listener.0.stderr.take().unwrap());
    let (url, addr) = common::callback_listen_url(&mut stderr);
    assert!(url.ends_with(&format!("/{TOKEN}/callback")), "{url}");
    let path = format!("/{TOKEN}/callback");

    // Open an order: it is not final for a while.
    let products = api(&endpoint, &["products", "--proxy-type", "101"]);
    let product = products
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["enable"] == 1 && p["inventory"].as_i64() > Some(2))
        .expect("a purchasable product");
    let receipt = api(
        &endpoint,
        &[
            "open",
            "--product",
            product["productNo"].as_str().unwrap(),
            "--count",
            "1",
        ],
    );
    let order_no = receipt["orderNo"].as_str().unwrap().to_owned();
    let app_order_no = receipt["appOrderNo"].as_str().unwrap().to_owned();
    let opened = Instant::now();
    let order = api(&endpoint, &["order", &order_no]);
    assert!(
        [1, 2].contains(&order["status"].as_i64().unwrap()),
        "--order-delay keeps the order pending/processing: {order}"
    );

    // Forged while processing: retry later. Without the token: 404. For an order that
    // does not exist: success (so the platform stops), and nothing printed.
    let forged = format!("{path}?type=order&no={order_no}&op=1");
    let (status, body) = get(&addr, &forged);
    if opened.elapsed() < Duration::from_secs(7) {
        assert_eq!(status, 503, "{body}");
        assert!(body.contains(r#""code":"fail""#), "{body}");
    }
    let (status, _) = get(&addr, &format!("/callback?type=order&no={order_no}&op=1"));
    assert_eq!(status, 404);
    let (status, body) = get(&addr, &format!("{path}?type=order&no=C1999&op=1"));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"code":"success","msg":""}"#)
    );

    // Once the order is final, the genuine callback (by appOrderNo, as some platforms
    // send it) is handled, and its duplicate answered without a second line.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let order = api(&endpoint, &["order", &order_no]);
        if order["status"] == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the order never completed");
        std::thread::sleep(Duration::from_millis(250));
    }
    for no in [&app_order_no, &order_no] {
        let (status, body) = get(&addr, &format!("{path}?type=order&no={no}&op=1"));
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"code":"success","msg":""}"#)
        );
    }

    let mut stdout = BufReader::new(listener.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let printed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(printed["type"], "order");
    assert_eq!(printed["no"], app_order_no.as_str());
    assert_eq!(printed["fetched"]["orderNo"], order_no.as_str());
    assert_eq!(printed["fetched"]["status"], 3);

    let stopped = Command::new("kill")
        .args(["-TERM", &listener.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(listener.0.wait().unwrap().success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.trim().is_empty(), "printed more than once: {rest}");
}

#[test]
fn listen_without_a_path_token_is_a_usage_error_naming_the_flag() {
    for extra in [&[][..], &["--trust-query"][..]] {
        let out = ipv()
            .args(["callback", "listen", "--addr", "127.0.0.1:0"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "a usage error");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--path-token"), "{stderr}");
        assert!(stderr.contains("--insecure-no-path-token"), "{stderr}");
        assert!(stderr.contains("openssl rand -hex 32"), "{stderr}");
    }
    // The environment variable is a token too; the flag and a token do not mix.
    let out = ipv()
        .args(["callback", "listen", "--addr", "127.0.0.1:0"])
        .env("IPV_CALLBACK_PATH_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--trust-query") && !stderr.contains("--insecure-no-path-token"),
        "past the token check, stopped at the missing credentials: {stderr}"
    );
    let out = ipv()
        .args([
            "callback",
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--trust-query",
        ])
        .args(["--path-token", TOKEN, "--insecure-no-path-token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn listen_prints_no_bidi_or_invisible_characters_from_the_query() {
    let mut child = Running(
        ipv()
            .args(["callback", "listen", "--addr", "127.0.0.1:0"])
            .args(["--trust-query", "--path-token", TOKEN])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(child.0.stderr.take().unwrap());
    let (_, addr) = common::callback_listen_url(&mut stderr);
    // RLO, zero-width space, BOM, zero-width joiner, word joiner, an isolate, a line
    // separator, a C1 control and ESC, percent-encoded as a sender would.
    let no = "abc%E2%80%AEexe.txt%E2%80%8B%EF%BB%BF%E2%80%8D%E2%81%A0%E2%81%A7%E2%80%A8%C2%9B%1B";
    let (status, body) = get(&addr, &format!("/{TOKEN}/cb?type=instance&no={no}"));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"code":"success","msg":""}"#)
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    for bad in [
        '\u{202e}', '\u{200b}', '\u{feff}', '\u{200d}', '\u{2060}', '\u{2067}', '\u{2028}',
        '\u{9b}', '\u{1b}',
    ] {
        assert!(
            !line.contains(bad),
            "{:x} printed raw: {line:?}",
            u32::from(bad)
        );
    }
    let printed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        printed["no"],
        "abc\u{202e}exe.txt\u{200b}\u{feff}\u{200d}\u{2060}\u{2067}\u{2028}\u{9b}\u{1b}",
        "escaped, the JSON still says what was sent"
    );
}

#[test]
fn listen_refuses_to_verify_without_credentials_and_checks_its_token() {
    let out = ipv()
        .args(["callback", "listen", "--addr", "127.0.0.1:0"])
        .args(["--path-token", TOKEN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--trust-query"), "{stderr}");

    let out = ipv()
        .args([
            "callback",
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--trust-query",
        ])
        .args(["--path-token", "short"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("path token"), "{stderr}");
}

/// A listener: the process, its address, its stdout and (kept open) its stderr.
#[cfg(any(feature = "redis", feature = "postgres"))]
type Listener = (
    Running,
    String,
    BufReader<std::process::ChildStdout>,
    BufReader<std::process::ChildStderr>,
);

/// A `callback listen --trust-query --store STORE` process.
#[cfg(any(feature = "redis", feature = "postgres"))]
fn listener_with_store(store: &str) -> Listener {
    let mut child = Running(
        ipv()
            .args([
                "callback",
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--trust-query",
                "--insecure-no-path-token",
            ])
            .env("IPV_CALLBACK_STORE", store)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(child.0.stderr.take().unwrap());
    let (_, addr) = common::callback_listen_url(&mut stderr);
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    (child, addr, stdout, stderr)
}

/// Two listeners sharing `store`: an order callback is printed by the one that got it
/// first; its duplicate at the other is answered success without a second line.
#[cfg(any(feature = "redis", feature = "postgres"))]
fn two_listeners_share(store: &str) {
    let (mut a, addr_a, mut out_a, _err_a) = listener_with_store(store);
    let (mut b, addr_b, mut out_b, _err_b) = listener_with_store(store);
    let success = r#"{"code":"success","msg":""}"#;
    let (status, body) = get(&addr_a, "/cb?type=order&no=C-SHARED-1&op=1");
    assert_eq!((status, body.as_str()), (200, success));
    let (status, body) = get(&addr_b, "/cb?type=order&no=C-SHARED-1&op=1");
    assert_eq!((status, body.as_str()), (200, success));
    let (status, body) = get(&addr_b, "/cb?type=order&no=C-SHARED-2&op=1");
    assert_eq!((status, body.as_str()), (200, success));

    let mut line = String::new();
    out_a.read_line(&mut line).unwrap();
    assert!(line.contains("C-SHARED-1"), "{line}");
    line.clear();
    out_b.read_line(&mut line).unwrap();
    assert!(
        line.contains("C-SHARED-2"),
        "B printed only its own new callback: {line}"
    );
    for (child, out) in [(&mut a, &mut out_a), (&mut b, &mut out_b)] {
        let _ = Command::new("kill")
            .args(["-TERM", &child.0.id().to_string()])
            .status();
        assert!(child.0.wait().unwrap().success());
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        assert!(rest.trim().is_empty(), "a duplicate was printed: {rest}");
    }
}

// The shared stores are cargo features of the binary (on by default).
#[cfg(feature = "redis")]
#[cfg_attr(
    not(ipv_redis),
    ignore = "needs Redis (redis-server): not installed here; bash .ci/services installs it"
)]
#[test]
fn listeners_sharing_redis_handle_a_callback_once() {
    let redis = ipv_test_services::RedisServer::start().expect("redis-server starts");
    two_listeners_share(&redis.url());
}

#[cfg(feature = "postgres")]
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[test]
fn listeners_sharing_postgres_handle_a_callback_once() {
    let postgres = ipv_test_services::PostgresServer::start().expect("postgres starts");
    two_listeners_share(&postgres.url());
}

#[test]
fn a_callback_is_not_acknowledged_when_its_line_cannot_be_written() {
    let mut child = Running(
        ipv()
            .args([
                "callback",
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--trust-query",
                "--insecure-no-path-token",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(child.0.stderr.take().unwrap());
    let (_, addr) = common::callback_listen_url(&mut stderr);
    // Nobody reads stdout any more: the line cannot be printed.
    drop(child.0.stdout.take());

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET /cb?type=order&no=C-UNPRINTED&op=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains("success"),
        "acknowledged although never printed: {answer}"
    );
}
