//! How fast the dashboard's views answer with 100,000 instances: an emulator is started
//! from a state file holding that many (one bought through the API, copied with new
//! numbers, addresses, expiries and statuses), and each view the page polls is fetched
//! over HTTP, interleaved with `GET /__emulator/clock` as the baseline (same server,
//! same connection handling, no work). Prints the CPU model and, per request, the
//! median and 95th percentile over `--rounds` rounds.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin dashboard -- [--instances 100000] [--rounds 30]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ipv_emulator::{Emulator, EmulatorConfig, OrderSchedule};
use ipv_transport::{HttpTransport as _, HyperTransport};
use ipv_types::{OpenInstancesRequest, OpenParam};
use serde_json::Value;

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
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn parse_args() -> Result<(usize, usize), String> {
    let (mut instances, mut rounds) = (100_000usize, 30usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args
            .next()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(|| format!("{arg} needs a whole number"))?;
        match arg.as_str() {
            "--instances" => instances = value.clamp(1, 1_000_000),
            "--rounds" => rounds = value.clamp(1, 10_000),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((instances, rounds))
}

/// Buys one instance through the API, stops, and returns the state file's JSON.
async fn one_instance_state(path: &std::path::Path) -> Result<Value, String> {
    let config = EmulatorConfig::default()
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_state_file(path);
    let emu = Emulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| e.to_string())?;
    let client = ipv_api::Client::builder()
        .base_url(emu.base_url())
        .app_key(ipv_emulator::DEFAULT_APP_KEY)
        .app_secret(ipv_emulator::DEFAULT_APP_SECRET)
        .build()
        .map_err(|e| e.to_string())?;
    client
        .open_instances(&OpenInstancesRequest::new(
            "BENCH-1",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
        ))
        .await
        .map_err(|e| e.to_string())?;
    emu.shutdown().await;
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Copies the one instance `count` times: numbers, addresses, a spread of expiries
/// (0 to 364 days ahead) and statuses (4 in 5 running, the rest stopped or released).
fn fill(state: &mut Value, count: usize) -> Result<(), String> {
    let app = state["apps"][ipv_emulator::DEFAULT_APP_KEY]
        .as_object_mut()
        .ok_or("no default app in the state")?;
    let instances = app["instances"]
        .as_object_mut()
        .ok_or("no instances in the state")?;
    let template = instances
        .values()
        .next()
        .cloned()
        .ok_or("the purchase made no instance")?;
    let opened = template["openAt"]
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .ok_or("openAt is not a time")?;
    instances.clear();
    for i in 0..count {
        let mut inst = template.clone();
        let no = format!("c_bench{i:09}");
        inst["instanceNo"] = Value::from(no.clone());
        inst["ip"] = Value::from(format!(
            "10.{}.{}.{}",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        ));
        let expires = opened + time::Duration::days((i % 365) as i64);
        inst["userExpired"] = Value::from(
            expires
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| e.to_string())?,
        );
        inst["status"] = Value::from(match i % 10 {
            8 => 6,  // stopped
            9 => 11, // released
            _ => 3,  // running
        });
        instances.insert(no, inst);
    }
    Ok(())
}

async fn get(http: &HyperTransport, url: &str) -> Result<(Duration, usize), String> {
    let req = http::Request::get(url)
        .body(Bytes::new())
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let resp = http.send(req).await.map_err(|e| e.to_string())?;
    let took = started.elapsed();
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok((took, resp.body().len()))
}

async fn run(instances: usize, rounds: usize) -> Result<(), String> {
    let path =
        std::env::temp_dir().join(format!("ipv-dashboard-bench-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut state = one_instance_state(&path).await?;
    fill(&mut state, instances)?;
    std::fs::write(
        &path,
        serde_json::to_vec(&state).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let loading = Instant::now();
    let emu = Emulator::start(
        EmulatorConfig::default().with_state_file(&path),
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let loaded = loading.elapsed();
    let base = format!("{}/__emulator/", emu.base_url());
    let http = HyperTransport::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let views: &[(&str, &str)] = &[
        ("baseline: clock", "clock"),
        ("page: ui/", "ui/"),
        ("summary (polled every second)", "summary"),
        ("instances, page 1 of all", "instances?page=1&perPage=50"),
        (
            "instances, last page of all",
            "instances?page=2000&perPage=50",
        ),
        (
            "instances, status=running, page 1000",
            "instances?status=running&page=1000&perPage=50",
        ),
        (
            "instances, expiresWithinDays=7",
            "instances?expiresWithinDays=7&perPage=50",
        ),
        (
            "instances, product + released, page 1",
            "instances?productNo=ipv_dc_us_sjc_w&status=released&perPage=50",
        ),
        ("orders, page 1", "orders?perPage=50"),
        ("balance history", "balance"),
        ("deliveries, newest 200", "deliveries?limit=200"),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); views.len()];
    let mut sizes = vec![0usize; views.len()];
    // One warm-up round, then the measured ones; each round visits every view in turn,
    // so the baseline and the views see the same machine.
    for round in 0..=rounds {
        for (i, (_, route)) in views.iter().enumerate() {
            let (took, size) = get(&http, &format!("{base}{route}")).await?;
            if round > 0 {
                times[i].push(took);
            }
            sizes[i] = size;
        }
    }
    let total = emu
        .control()
        .instances_page(&Default::default(), Default::default())
        .map_err(|e| e.0)?
        .total;
    emu.shutdown().await;
    let _ = std::fs::remove_file(&path);

    println!("CPU: {}", cpu_model());
    println!(
        "instances in the state: {total} (state file loaded in {loaded:.2?}); {rounds} rounds"
    );
    println!(
        "{:<42} {:>10} {:>10} {:>10}",
        "request", "median", "p95", "bytes"
    );
    for (i, (name, _)) in views.iter().enumerate() {
        let mut sorted = times[i].clone();
        sorted.sort();
        println!(
            "{:<42} {:>10.2?} {:>10.2?} {:>10}",
            name,
            quantile(&sorted, 0.5),
            quantile(&sorted, 0.95),
            sizes[i]
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let (instances, rounds) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("dashboard: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dashboard: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(instances, rounds)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dashboard: {e}");
            ExitCode::FAILURE
        }
    }
}
