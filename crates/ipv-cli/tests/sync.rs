//! `ipv sync ...` driven as processes against a throwaway PostgreSQL and an emulator:
//! a backfill killed with SIGKILL and started again, `status -o json`, `listen`
//! mirroring a callback, and the path-token rule.
#![cfg(feature = "sync")]

mod common;

use std::io::BufReader;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ipv_emulator::{DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, OrderSchedule};
use ipv_types::{Money, OpenInstancesRequest, OpenParam};
use serde_json::Value;

const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn ipv(endpoint: &str) -> Command {
    let mut cmd = common::ipv_process();
    cmd.args(["--endpoint", endpoint, "--app-key", DEFAULT_APP_KEY])
        .env("IPV_APP_SECRET", DEFAULT_APP_SECRET);
    cmd
}

fn ok_json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sync_listen_refuses_to_start_without_a_path_token() {
    let out = ipv("http://127.0.0.1:9")
        .args([
            "sync",
            "listen",
            "--database",
            "postgres://nobody@127.0.0.1:9/none",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--path-token"), "{stderr}");
    assert!(stderr.contains("--insecure-no-path-token"), "{stderr}");
    // A database is required on every sync command.
    let out = ipv("http://127.0.0.1:9")
        .args(["sync", "status"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--database"));
}

fn rows(status: &Value, table: &str) -> i64 {
    status["rows"][table]
        .as_i64()
        .unwrap_or_else(|| panic!("no {table} in {status}"))
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_backfill_killed_as_a_process_resumes_then_listen_mirrors_a_callback() {
    let pg = tokio::task::spawn_blocking(ipv_test_services::PostgresServer::start)
        .await
        .expect("join")
        .expect("PostgreSQL");
    let db = pg.url();
    let config = EmulatorConfig::default()
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_start_time(time::OffsetDateTime::now_utc() - Duration::from_secs(400 * 86_400));
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator");
    let control = emulator.control();
    control
        .set_stock("ipv_res_us_nyc_m", 1_000_000)
        .expect("stock");
    control
        .top_up(DEFAULT_APP_KEY, Money::from_int(1_000_000))
        .expect("top up");
    let client = ipv_api::Client::builder()
        .base_url(emulator.base_url())
        .app_key(DEFAULT_APP_KEY)
        .app_secret(DEFAULT_APP_SECRET)
        .build()
        .expect("client");
    // Orders over a year, a month apart.
    let mut orders = Vec::new();
    for month in 0..12 {
        let request = OpenInstancesRequest::new(
            format!("CLI_{month}"),
            vec![OpenParam::by_product("ipv_res_us_nyc_m", 20, 1)],
        );
        orders.push(
            client
                .open_instances(&request)
                .await
                .expect("open")
                .order_no,
        );
        control.advance_clock(30 * 86_400).expect("clock");
    }
    let endpoint = emulator.base_url();

    let migrated = ok_json(
        &ipv(&endpoint)
            .args(["-o", "json", "sync", "migrate", "--database", &db])
            .output()
            .expect("migrate"),
    );
    let versions: Vec<i32> = ipv_sync::migrate::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(migrated["version"], serde_json::json!(versions.last()));
    assert_eq!(migrated["applied"], serde_json::json!(versions));
    let again = ok_json(
        &ipv(&endpoint)
            .args(["-o", "json", "sync", "migrate", "--database", &db])
            .output()
            .expect("migrate again"),
    );
    assert_eq!(again["applied"], serde_json::json!([]));

    // A backfill in small windows and pages, killed (SIGKILL) once it has begun.
    let backfill_args = [
        "sync",
        "backfill",
        "--window",
        "7d",
        "--lease",
        "500ms",
        "--database",
    ];
    let mut child = Running(
        ipv(&endpoint)
            .args(backfill_args)
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("backfill"),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status = ok_json(
            &ipv(&endpoint)
                .args(["-o", "json", "sync", "status", "--database", &db])
                .output()
                .expect("status"),
        );
        if rows(&status, "instances") > 0 || child.0.try_wait().expect("wait").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the backfill wrote nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.0.kill();
    let _ = child.0.wait();
    drop(child);
    let done = ok_json(
        &ipv(&endpoint)
            .args(["-o", "json"])
            .args(backfill_args)
            .arg(&db)
            .output()
            .expect("backfill again"),
    );
    assert!(done["apiCalls"].as_u64().expect("apiCalls") > 0);
    let written =
        done["instances"].as_u64().expect("instances") + done["orders"].as_u64().expect("orders");
    assert!(
        done["copied"].as_u64().expect("copied") <= written,
        "copied rows are among those written: {done}"
    );
    let status = ok_json(
        &ipv(&endpoint)
            .args(["-o", "json", "sync", "status", "--database", &db])
            .output()
            .expect("status"),
    );
    assert_eq!(rows(&status, "instances"), 240, "{status}");
    assert_eq!(rows(&status, "orders"), 12, "{status}");
    assert_eq!(status["backfill"]["finished"], true, "{status}");
    assert!(status["backfill"]["windows"].as_i64().expect("windows") >= 52);

    // `listen` with a path token mirrors a callback and records it.
    let mut listener = Running(
        ipv(&endpoint)
            .args([
                "sync",
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--revalidate-every",
                "0",
            ])
            .args(["--path-token", TOKEN, "--database", &db])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("listen"),
    );
    let mut stderr = BufReader::new(listener.0.stderr.take().expect("stderr"));
    let line = common::line_starting(&mut stderr, "mirroring callbacks at http://");
    let addr = line.split('/').next().expect("addr").to_owned();
    let answer = ureq_get(
        &addr,
        &format!("/{TOKEN}/callback?type=order&no={}&op=1", orders[0]),
    );
    assert!(answer.contains("success"), "{answer}");
    let wrong_path = ureq_get(
        &addr,
        &format!("/callback?type=order&no={}&op=1", orders[0]),
    );
    assert!(wrong_path.starts_with("HTTP/1.1 404"), "{wrong_path}");
    drop(listener);
    let status = ok_json(
        &ipv(&endpoint)
            .args(["-o", "json", "sync", "status", "--database", &db])
            .output()
            .expect("status"),
    );
    assert_eq!(status["last_callback"]["type"], "order", "{status}");
    assert_eq!(status["last_callback"]["rows"], 21, "{status}");
    emulator.shutdown().await;
}

/// A plain HTTP GET over a socket; the whole answer.
fn ureq_get(addr: &str, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

/// An `ipv sync listen` process and the address it announced.
fn listen(endpoint: &str, db: &str) -> (Running, std::net::SocketAddr) {
    let mut child = Running(
        ipv(endpoint)
            .args([
                "sync",
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--revalidate-every",
                "0",
            ])
            .args(["--insecure-no-path-token", "--database", db])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("listen"),
    );
    let mut stderr = BufReader::new(child.0.stderr.take().expect("stderr"));
    let line = common::line_starting(&mut stderr, "mirroring callbacks at http://");
    let addr = line
        .split('/')
        .next()
        .expect("addr")
        .parse()
        .expect("socket address");
    // Keep draining its stderr so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while std::io::BufRead::read_line(&mut stderr, &mut sink)
            .map(|n| n > 0)
            .unwrap_or(false)
        {
            sink.clear();
        }
    });
    (child, addr)
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_listen_processes_behind_a_failing_proxy_one_killed_then_revalidate_equals_platform() {
    use ipv_types::{
        InstanceListRequest, OrderRequest, ReleaseInstancesRequest, RenewInstancesRequest,
        RenewItem,
    };
    let pg = tokio::task::spawn_blocking(ipv_test_services::PostgresServer::start)
        .await
        .expect("join")
        .expect("PostgreSQL");
    let db = pg.url();
    let proxy = ipv_fleet::Proxy::start(30).await.expect("proxy");
    let config = EmulatorConfig::default()
        .with_apps(vec![
            ipv_emulator::AppConfig::default_app().with_callback_url(proxy.url()),
        ])
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_callback_policy(ipv_emulator::CallbackPolicy {
            max_attempts: 400,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(300),
            timeout: Duration::from_secs(10),
        });
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator");
    let control = emulator.control();
    control
        .set_faults(ipv_emulator::FaultConfig {
            duplicate_callbacks: true,
            ..ipv_emulator::FaultConfig::none()
        })
        .expect("faults");
    control
        .set_stock("ipv_res_us_nyc_m", 1_000_000)
        .expect("stock");
    control
        .top_up(DEFAULT_APP_KEY, Money::from_int(1_000_000))
        .expect("top up");
    let endpoint = emulator.base_url();
    let client = ipv_fleet::client(&endpoint).expect("client");
    ok_json(
        &ipv(&endpoint)
            .args(["-o", "json", "sync", "migrate", "--database", &db])
            .output()
            .expect("migrate"),
    );
    let (mut first, first_addr) = listen(&endpoint, &db);
    let (second, second_addr) = listen(&endpoint, &db);
    proxy.add_backend(first_addr);
    proxy.add_backend(second_addr);

    let mut bought = Vec::new();
    for i in 0..24 {
        if i == 12 {
            // One listener dies (SIGKILL), whatever it was doing.
            let _ = first.0.kill();
            let _ = first.0.wait();
        }
        let receipt = client
            .open_instances(&OpenInstancesRequest::new(
                format!("LIVE_{i}"),
                vec![OpenParam::by_product("ipv_res_us_nyc_m", 2, 1)],
            ))
            .await
            .expect("open");
        let order = client
            .order(&OrderRequest::new(receipt.order_no.clone()).with_page(1, 100))
            .await
            .expect("order");
        if i % 3 == 1 {
            client
                .renew_instances(&RenewInstancesRequest::new(
                    format!("LIVE_RENEW_{i}"),
                    vec![RenewItem::new(order.instances[0].instance_no.clone(), 1)],
                ))
                .await
                .expect("renew");
        } else if i % 3 == 2 {
            client
                .release_instances(&ReleaseInstancesRequest::new(
                    format!("LIVE_REL_{i}"),
                    [order.instances[1].instance_no.clone()],
                ))
                .await
                .expect("release");
        }
        bought.push(receipt.order_no);
    }
    control.advance_clock(40 * 86_400).expect("clock");
    assert!(
        control.wait_for_callbacks(Duration::from_secs(240)).await,
        "callbacks did not drain"
    );
    drop(first);
    let pass = ok_json(
        &ipv(&endpoint)
            .args([
                "-o",
                "json",
                "sync",
                "revalidate",
                "--horizon",
                "36500d",
                "--database",
                &db,
            ])
            .output()
            .expect("revalidate"),
    );
    assert!(
        pass["instancesChecked"].as_u64().expect("checked") > 0,
        "{pass}"
    );

    // The mirror equals the platform.
    let (pgc, connection) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let mut fresh: Vec<ipv_types::Instance> = Vec::new();
    let mut page = 1;
    loop {
        let got = client
            .instance_list(
                &InstanceListRequest::default()
                    .with_page(page)
                    .with_page_size(100),
            )
            .await
            .expect("instances");
        let more = got.has_more();
        fresh.extend(got.list);
        if !more {
            break;
        }
        page += 1;
    }
    let mirrored: i64 = pgc
        .query_one("SELECT count(*) FROM ipipv.instances", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(mirrored, fresh.len() as i64);
    for instance in &fresh {
        let row = pgc
            .query_one(
                "SELECT raw::text, status, ip FROM ipipv.instances WHERE instance_no = $1",
                &[&instance.instance_no],
            )
            .await
            .expect("row");
        let raw: Value = serde_json::from_str(row.get::<_, &str>(0)).expect("raw");
        assert_eq!(
            raw,
            serde_json::to_value(instance).expect("json"),
            "{}",
            instance.instance_no
        );
        assert_eq!(i64::from(row.get::<_, i32>(1)), instance.status.as_i64());
        assert_eq!(row.get::<_, &str>(2), instance.ip);
    }
    let platform_orders = client
        .orders(
            &ipv_types::OrdersRequest::default()
                .with_page(1)
                .with_page_size(100),
        )
        .await
        .expect("orders");
    let orders: i64 = pgc
        .query_one("SELECT count(*) FROM ipipv.orders WHERE status = 3", &[])
        .await
        .expect("orders")
        .get(0);
    assert_eq!(orders, platform_orders.total);
    drop(second);
    emulator.shutdown().await;
    proxy.shutdown().await;
}
