//! The fleet bench: callbacks per second handled exactly once by three receivers
//! sharing PostgreSQL, then Redis, with 64 deliveries in flight, and the p50/p99 time
//! to an answer.
//!
//! For each store: a throwaway server, the in-process emulator, `--orders` orders of
//! one instance each (all final before the clock starts), and three receivers (each
//! its own server, `Client`, store connection and runtime thread). Every order's
//! callback is then delivered twice (the platform's duplicates), round-robin across the
//! receivers, 64 at a time; an answer that is not `success` (a duplicate arriving while
//! another receiver holds the key) is sent again after 20 ms, as the platform would.
//! Each verified callback costs the receiver a re-fetch of the order from the emulator,
//! so the figure includes that round trip.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin fleet -- [--orders 1000] [--in-flight 64] [--store postgres|redis|both]
//! ```
//!
//! Needs the PostgreSQL and Redis binaries (`bash .ci/services`). Exits non-zero if any
//! order is not handled exactly once.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ipv_fleet::{Fleet, FleetConfig, MAX_ORDERS, StoreKind};
use ipv_transport::{Bytes, HttpTransport, HyperTransport, http};
use ipv_types::{OrderRequest, OrderStatus};

struct Args {
    orders: usize,
    in_flight: usize,
    stores: Vec<StoreKind>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        orders: MAX_ORDERS,
        in_flight: 64,
        stores: vec![StoreKind::Postgres, StoreKind::Redis],
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--orders" => {
                args.orders = value("--orders")?
                    .parse()
                    .map_err(|_| "--orders needs a whole number")?;
            }
            "--in-flight" => {
                args.in_flight = value("--in-flight")?
                    .parse()
                    .map_err(|_| "--in-flight needs a whole number")?;
            }
            "--store" => {
                args.stores = match value("--store")?.as_str() {
                    "postgres" => vec![StoreKind::Postgres],
                    "redis" => vec![StoreKind::Redis],
                    "both" => vec![StoreKind::Postgres, StoreKind::Redis],
                    other => return Err(format!("--store {other}: postgres, redis or both")),
                };
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.orders == 0 || args.orders > MAX_ORDERS {
        return Err(format!("--orders must be 1..={MAX_ORDERS}"));
    }
    args.in_flight = args.in_flight.max(1);
    Ok(args)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

struct Figures {
    handled: usize,
    deliveries: usize,
    retries: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

async fn wait_final(fleet: &Fleet, orders: &[String]) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    for no in orders.iter().rev() {
        loop {
            let order = fleet
                .client
                .send(&OrderRequest::new(no))
                .await
                .map_err(|e| format!("reading order {no}: {e}"))?;
            if !matches!(order.status, OrderStatus::Pending | OrderStatus::Processing) {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("order {no} still not final after 60 s"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The newest orders are final: the older ones were done before them.
        if orders.len() > 8 && no == &orders[orders.len() - 8] {
            break;
        }
    }
    Ok(())
}

async fn run(kind: StoreKind, orders: usize, in_flight: usize) -> Result<Figures, String> {
    let fleet = Fleet::start(&FleetConfig::quiet(kind)).await?;
    let bought = fleet.buy_orders(orders, 16).await?;
    let _moved = fleet.emulator.control().process_orders();
    wait_final(&fleet, &bought).await?;

    // Each order twice; the duplicate comes `in_flight` deliveries after the first, so
    // some duplicates meet their first copy still being handled.
    let mut deliveries: Vec<String> = Vec::with_capacity(bought.len() * 2);
    for (i, no) in bought.iter().enumerate() {
        deliveries.push(format!("type=order&no={no}&op=1"));
        if i >= in_flight / 2 {
            deliveries.push(format!("type=order&no={}&op=1", bought[i - in_flight / 2]));
        }
    }
    for no in &bought[bought.len().saturating_sub(in_flight / 2)..] {
        deliveries.push(format!("type=order&no={no}&op=1"));
    }
    let deliveries = Arc::new(deliveries);
    let addrs: Vec<_> = fleet.receivers.iter().map(|r| r.addr()).collect();
    let transport = Arc::new(
        HyperTransport::builder()
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (deliveries, addrs, transport, next, retries) = (
            Arc::clone(&deliveries),
            addrs.clone(),
            Arc::clone(&transport),
            Arc::clone(&next),
            Arc::clone(&retries),
        );
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(query) = deliveries.get(n) else {
                    return Ok::<_, String>(latencies);
                };
                let mut attempt = 0usize;
                loop {
                    let addr = addrs[(n + attempt) % addrs.len()];
                    let request = http::Request::get(format!("http://{addr}/callback?{query}"))
                        .body(Bytes::new())
                        .map_err(|e| e.to_string())?;
                    let sent = Instant::now();
                    let answer = transport
                        .send(request)
                        .await
                        .map_err(|e| format!("delivery to {addr}: {e}"))?;
                    latencies.push(sent.elapsed());
                    if answer.status() == http::StatusCode::OK
                        && answer.body().windows(9).any(|w| w == b"\"success\"")
                    {
                        break;
                    }
                    attempt += 1;
                    retries.fetch_add(1, Ordering::Relaxed);
                    if attempt > 500 {
                        return Err(format!("{query}: no success after 500 attempts"));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.map_err(|e| format!("worker: {e}"))??);
    }
    let wall = started.elapsed();

    // Exactly once: every order key completed by one receiver, once.
    let completions = fleet.tally.completions();
    for no in &bought {
        let key = format!("order:{no}:1");
        match completions.get(&key).map(Vec::len) {
            Some(1) => {}
            other => return Err(format!("{key} handled {} times", other.unwrap_or(0))),
        }
    }
    let figures = Figures {
        handled: completions.len(),
        deliveries: deliveries.len(),
        retries: retries.load(Ordering::Relaxed),
        wall,
        latencies,
    };
    fleet.shutdown().await;
    Ok(figures)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("fleet: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fleet: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "fleet bench: 3 receivers, {} orders, {} deliveries in flight; CPU: {} ({} threads)",
        args.orders,
        args.in_flight,
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut failed = false;
    for kind in args.stores {
        match runtime.block_on(run(kind, args.orders, args.in_flight)) {
            Ok(mut figures) => {
                figures.latencies.sort();
                let secs = figures.wall.as_secs_f64();
                println!(
                    "{kind:<10} handled exactly once: {} orders in {:.2} s = {:.0} callbacks/s \
                     ({} deliveries, {} answered retry-later and resent; {:.0} answers/s); \
                     answer latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    figures.handled,
                    secs,
                    figures.handled as f64 / secs,
                    figures.deliveries,
                    figures.retries,
                    figures.latencies.len() as f64 / secs,
                    quantile(&figures.latencies, 0.5).as_secs_f64() * 1e3,
                    quantile(&figures.latencies, 0.99).as_secs_f64() * 1e3,
                    quantile(&figures.latencies, 1.0).as_secs_f64() * 1e3,
                );
            }
            Err(e) => {
                eprintln!("{kind}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
