//! The control API cannot be driven by a web page the developer happens to visit: every
//! state-changing route refuses a foreign `Origin`, a foreign `Host` (DNS rebinding), a
//! cross-site fetch, and a missing or wrong token, and changes nothing; the same routes
//! work with the token. Reads refuse foreign hosts and origins too. The dashboard page
//! carries a strict content security policy.

mod common;
mod dashboard_support;

use std::time::Duration;

use ipv_emulator::AppConfig;
use ipv_types::{OpenInstancesRequest, OpenParam};

use common::{client, config, start};
use dashboard_support::{Receiver, raw_request};

/// Every state-changing control route, with a body it would accept.
const ROUTES: &[(&str, &str)] = &[
    ("reset", "{}"),
    ("clock/advance", r#"{"seconds":3600}"#),
    ("faults", r#"{"http5xxRate":1}"#),
    (
        "apps",
        r#"{"appKey":"AK_FROM_A_WEB_PAGE","secret":"abcdefghijklmnop","name":"x","balance":"1.00"}"#,
    ),
    ("orders/process", "{}"),
    (
        "products/stock",
        r#"{"productNo":"ipv_dc_us_sjc_w","inventory":0}"#,
    ),
    (
        "usage",
        r#"{"appUsername":"nobody","productNo":"ipv_dyn_global_flow","usedMb":1}"#,
    ),
    ("topup", r#"{"amount":"5.00"}"#),
    ("callbacks/resend", r#"{"id":1}"#),
];

/// The whole state but the clock snapshot (whose base follows the wall clock).
fn state_without_clock(control: &ipv_emulator::Control) -> serde_json::Value {
    let mut state = control.state_json();
    if let Some(map) = state.as_object_mut() {
        map.remove("clock");
    }
    state
}

#[tokio::test]
async fn every_state_changing_route_refuses_foreign_requests_and_changes_nothing() {
    let receiver = Receiver::start(false).await;
    let app = AppConfig::default_app().with_callback_url(receiver.url());
    let emu = start(config().with_apps(vec![app])).await;
    let control = emu.control();
    // A logged callback, so the resend route has something it would resend.
    client(&emu)
        .open_instances(&OpenInstancesRequest::new(
            "ACCESS-1",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
        ))
        .await
        .expect("open");
    assert!(control.wait_for_callbacks(Duration::from_secs(20)).await);
    assert!(!control.callbacks().is_empty());

    let addr = emu.local_addr();
    let own_host = addr.to_string();
    let port = addr.port();
    let token = emu.control_token().to_owned();
    let evil_host = format!("attacker.example:{port}");
    let other_port_origin = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let rebinding_origin = format!("http://{evil_host}");
    let json = ("content-type", "application/json");
    let variants: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no token", vec![("host", own_host.as_str()), json]),
        (
            "wrong token",
            vec![
                ("host", own_host.as_str()),
                json,
                ("x-emulator-token", "0123456789abcdef0123456789abcdef"),
            ],
        ),
        (
            "foreign origin",
            vec![
                ("host", own_host.as_str()),
                ("origin", "http://attacker.example"),
                json,
                ("x-emulator-token", token.as_str()),
            ],
        ),
        (
            "another local port's origin",
            vec![
                ("host", own_host.as_str()),
                ("origin", other_port_origin.as_str()),
                json,
                ("x-emulator-token", token.as_str()),
            ],
        ),
        (
            "opaque origin",
            vec![
                ("host", own_host.as_str()),
                ("origin", "null"),
                json,
                ("x-emulator-token", token.as_str()),
            ],
        ),
        (
            "foreign host (DNS rebinding)",
            vec![
                ("host", evil_host.as_str()),
                ("origin", rebinding_origin.as_str()),
                json,
                ("x-emulator-token", token.as_str()),
            ],
        ),
        (
            "foreign host without origin",
            vec![
                ("host", evil_host.as_str()),
                json,
                ("x-emulator-token", token.as_str()),
            ],
        ),
        (
            "cross-site fetch",
            vec![
                ("host", own_host.as_str()),
                ("sec-fetch-site", "cross-site"),
                json,
                ("x-emulator-token", token.as_str()),
            ],
        ),
        (
            "two tokens",
            vec![
                ("host", own_host.as_str()),
                json,
                ("x-emulator-token", token.as_str()),
                ("x-emulator-token", token.as_str()),
            ],
        ),
    ];

    let before_state = state_without_clock(&control);
    let before_offset = control.clock().offset_seconds;
    for (route, body) in ROUTES {
        let path = format!("/__emulator/{route}");
        for (why, headers) in &variants {
            let answer = raw_request(addr, "POST", &path, headers, body).await;
            assert_eq!(answer.status, 403, "{route} with {why}: {answer:?}");
            assert!(
                answer.body.contains("\"ok\": false"),
                "{route} with {why}: {}",
                answer.body
            );
            assert!(
                answer.header("access-control-allow-origin").is_none(),
                "{route} with {why}: no CORS grant"
            );
        }
        // Nothing changed: not the state, not the clock, no callback queued.
        assert!(
            state_without_clock(&control) == before_state,
            "{route} changed the state"
        );
        assert_eq!(
            control.clock().offset_seconds,
            before_offset,
            "{route} moved the clock"
        );
        assert_eq!(control.summary().callbacks_pending, 0, "{route}");
    }

    // A CORS preflight is refused and grants nothing.
    let preflight = raw_request(
        addr,
        "OPTIONS",
        "/__emulator/reset",
        &[
            ("host", own_host.as_str()),
            ("origin", "http://attacker.example"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "x-emulator-token,content-type",
            ),
        ],
        "",
    )
    .await;
    assert_eq!(preflight.status, 403);
    assert!(preflight.header("access-control-allow-origin").is_none());
    assert!(preflight.header("access-control-allow-headers").is_none());

    // The same routes work from the dashboard's own origin with the token (so the
    // refusals above are the access checks, not bad requests). `usage` names an
    // account that does not exist: a 400, past the checks.
    let own_origin = format!("http://{own_host}");
    for (route, body) in ROUTES.iter().rev() {
        let answer = raw_request(
            addr,
            "POST",
            &format!("/__emulator/{route}"),
            &[
                ("host", own_host.as_str()),
                ("origin", own_origin.as_str()),
                json,
                ("x-emulator-token", token.as_str()),
            ],
            body,
        )
        .await;
        let expected = if *route == "usage" { 400 } else { 200 };
        assert_eq!(answer.status, expected, "{route}: {}", answer.body);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn reads_refuse_foreign_hosts_and_origins_but_need_no_token() {
    let emu = start(config()).await;
    let addr = emu.local_addr();
    let own = addr.to_string();
    let port = addr.port();
    for route in [
        "state",
        "summary",
        "clock",
        "faults",
        "callbacks",
        "invariants",
        "instances",
        "orders",
        "balance",
        "accounts",
        "products",
        "deliveries",
        "ui/",
        "ui/app.js",
    ] {
        let path = format!("/__emulator/{route}");
        let plain = raw_request(addr, "GET", &path, &[("host", own.as_str())], "").await;
        assert_eq!(plain.status, 200, "{route}: {}", plain.body);
        for host in [
            format!("attacker.example:{port}"),
            format!("127.0.0.1:{}", port.wrapping_add(1)),
            format!("localhost.attacker.example:{port}"),
        ] {
            let rebound = raw_request(addr, "GET", &path, &[("host", host.as_str())], "").await;
            assert_eq!(rebound.status, 403, "{route} for Host {host}");
            assert!(!rebound.body.contains(emu.control_token()));
        }
        let cross = raw_request(
            addr,
            "GET",
            &path,
            &[
                ("host", own.as_str()),
                ("origin", "http://attacker.example"),
            ],
            "",
        )
        .await;
        assert_eq!(cross.status, 403, "{route} from a foreign origin");
        assert!(!cross.body.contains(emu.control_token()));
    }
    // localhost and [::1]-style names with the bound port are this emulator.
    let by_name = format!("localhost:{port}");
    let page = raw_request(
        addr,
        "GET",
        "/__emulator/ui/",
        &[("host", by_name.as_str())],
        "",
    )
    .await;
    assert_eq!(page.status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_page_has_a_strict_policy_and_holds_the_token() {
    let emu = start(config().with_control_token("a-fixed-token-for-scripts")).await;
    assert_eq!(emu.control_token(), "a-fixed-token-for-scripts");
    let addr = emu.local_addr();
    let own = addr.to_string();
    let page = raw_request(
        addr,
        "GET",
        "/__emulator/ui/",
        &[("host", own.as_str())],
        "",
    )
    .await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(page.body.contains(r#"content="a-fixed-token-for-scripts""#));
    let script = raw_request(
        addr,
        "GET",
        "/__emulator/ui/app.js",
        &[("host", own.as_str())],
        "",
    )
    .await;
    assert!(
        script
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/javascript"))
    );
    assert!(!script.body.contains("a-fixed-token-for-scripts"));
    emu.shutdown().await;
}

#[tokio::test]
async fn allow_remote_accepts_other_host_names_but_still_needs_the_token_and_own_origin() {
    let emu = start(config().with_allow_remote(true)).await;
    let addr = emu.local_addr();
    let host = "emulator.lan:8088";
    let token = emu.control_token().to_owned();
    let read = raw_request(addr, "GET", "/__emulator/clock", &[("host", host)], "").await;
    assert_eq!(read.status, 200);
    let no_token = raw_request(
        addr,
        "POST",
        "/__emulator/clock/advance",
        &[("host", host)],
        r#"{"seconds":60}"#,
    )
    .await;
    assert_eq!(no_token.status, 403);
    let foreign = raw_request(
        addr,
        "POST",
        "/__emulator/clock/advance",
        &[
            ("host", host),
            ("origin", "http://attacker.example"),
            ("x-emulator-token", &token),
        ],
        r#"{"seconds":60}"#,
    )
    .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(emu.control().clock().offset_seconds, 0);
    let own = raw_request(
        addr,
        "POST",
        "/__emulator/clock/advance",
        &[
            ("host", host),
            ("origin", "http://emulator.lan:8088"),
            ("x-emulator-token", &token),
        ],
        r#"{"seconds":60}"#,
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(emu.control().clock().offset_seconds, 60);
    emu.shutdown().await;
}
