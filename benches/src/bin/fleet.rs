//! The fleet bench: callbacks per second handled exactly once by three receivers
//! sharing PostgreSQL, then Redis, with 64 deliveries in flight, and the p50/p99 time
//! to an answer.
//!
//! For each store: a throwaway server, the in-process emulator, `--orders` orders of
//! one instance each, renewed `--renewals` times (each renewal is an order of its own
//! with its own callback; all final before the clock starts), and three receivers (each
//! its own server, `Client`, store connection and runtime thread). Every order's
//! callback is then delivered twice (the platform's duplicates), round-robin across the
//! receivers, 64 at a time; an answer that is not `success` (a duplicate arriving while
//! another receiver holds the key) is sent again after 20 ms, as the platform would.
//! Each verified callback costs the receiver a re-fetch of the order from the emulator,
//! so the figure includes that round trip.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin fleet -- [--orders 1000] [--renewals 4] [--in-flight 64] [--store postgres|redis|both]
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
use ipv_types::{OrderRequest, OrderStatus, RenewInstancesRequest, RenewItem};

struct Args {
    orders: usize,
    renewals: usize,
    in_flight: usize,
    stores: Vec<StoreKind>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        orders: MAX_ORDERS,
        renewals: 4,
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
            "--renewals" => {
                args.renewals = value("--renewals")?
                    .parse()
                    .map_err(|_| "--renewals needs a whole number")?;
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

/// Renews every order's instance `times` times (one order each, `in_flight` at a
/// time); returns the renewal orders' numbers.
async fn renew(fleet: &Fleet, bought: &[String], times: usize) -> Result<Vec<String>, String> {
    let mut instances = Vec::with_capacity(bought.len());
    for no in bought {
        let order = fleet
            .client
            .send(&OrderRequest::new(no))
            .await
            .map_err(|e| format!("reading order {no}: {e}"))?;
        let instance = order
            .instances
            .first()
            .ok_or_else(|| format!("order {no} has no instance"))?;
        instances.push(instance.instance_no.clone());
    }
    let mut renewals = Vec::with_capacity(bought.len() * times);
    for round in 0..times {
        let mut tasks = tokio::task::JoinSet::new();
        for (chunk_index, chunk) in instances.chunks(instances.len().div_ceil(16)).enumerate() {
            let client = fleet.client.clone();
            let chunk = chunk.to_vec();
            tasks.spawn(async move {
                let mut orders = Vec::with_capacity(chunk.len());
                for (i, instance) in chunk.iter().enumerate() {
                    let request = RenewInstancesRequest::new(
                        format!("FLEET_RENEW_{round}_{chunk_index}_{i}"),
                        vec![RenewItem::new(instance, 1)],
                    );
                    let answer = client
                        .send(&request)
                        .await
                        .map_err(|e| format!("renewing {instance}: {e}"))?;
                    orders.push(answer.order_no);
                }
                Ok::<_, String>(orders)
            });
        }
        let mut this_round = Vec::new();
        while let Some(done) = tasks.join_next().await {
            this_round.extend(done.map_err(|e| format!("renewal task: {e}"))??);
        }
        let _moved = fleet.emulator.control().process_orders();
        wait_final(fleet, &this_round).await?;
        renewals.extend(this_round);
    }
    Ok(renewals)
}

async fn run(args: &Args, kind: StoreKind) -> Result<Figures, String> {
    let in_flight = args.in_flight;
    let fleet = Fleet::start(&FleetConfig::quiet(kind)).await?;
    let bought = fleet.buy_orders(args.orders, 16).await?;
    let _moved = fleet.emulator.control().process_orders();
    wait_final(&fleet, &bought).await?;
    let renewed = renew(&fleet, &bought, args.renewals).await?;
    // (order number, op): 1 open, 2 renew.
    let keys: Vec<(String, u8)> = bought
        .iter()
        .map(|no| (no.clone(), 1))
        .chain(renewed.iter().map(|no| (no.clone(), 2)))
        .collect();

    // Each callback twice; the duplicate comes `in_flight / 2` deliveries after the
    // first, so some duplicates meet their first copy still being handled.
    let query = |(no, op): &(String, u8)| format!("type=order&no={no}&op={op}");
    let lag = in_flight / 2;
    let mut deliveries: Vec<String> = Vec::with_capacity(keys.len() * 2);
    for (i, key) in keys.iter().enumerate() {
        deliveries.push(query(key));
        if i >= lag {
            deliveries.push(query(&keys[i - lag]));
        }
    }
    for key in &keys[keys.len().saturating_sub(lag)..] {
        deliveries.push(query(key));
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
    for (no, op) in &keys {
        let key = format!("order:{no}:{op}");
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
        "fleet bench: 3 receivers, {} orders x {} (bought, then renewed {} times), {} \
         deliveries in flight; CPU: {} ({} threads)",
        args.orders,
        args.renewals + 1,
        args.renewals,
        args.in_flight,
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut failed = false;
    for &kind in &args.stores {
        match runtime.block_on(run(&args, kind)) {
            Ok(mut figures) => {
                figures.latencies.sort();
                let secs = figures.wall.as_secs_f64();
                println!(
                    "{kind:<10} handled exactly once: {} order callbacks in {:.2} s = {:.0} callbacks/s \
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
