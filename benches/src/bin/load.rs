//! The load test as a bench binary: an in-process emulator on 127.0.0.1:0 and the client
//! (hyper transport) with requests in flight across all 30 endpoints; prints requests
//! per second, latency quantiles, errors and peak memory, then checks the emulator's
//! books. Exits non-zero on any error or broken invariant.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin load -- [--total 10000] [--in-flight 64]
//! cargo run --release -p ipv-benches --bin load -- --scenario products --total 20000
//! ```
//!
//! `--scenario products` sends only one small read (`product/query` for one type) and
//! `--scenario catalogue` the whole catalogue, to see the latency spread by itself;
//! `--emulator-threads N` gives the emulator a runtime of its own; `--worker-threads N`
//! and `--event-interval N` set the client runtime's (see `docs/performance.md`).

use std::process::ExitCode;
use std::time::Duration;

use ipv_benches::load::{self, LoadConfig, MAX_TOTAL, Scenario};

/// The peak resident set size of this process (`VmHWM`), as the kernel writes it.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Settings of the runtime the client (and, by default, the emulator) runs on.
#[derive(Debug, Default, Clone, Copy)]
struct Tuning {
    /// Tokio's `event_interval`: scheduler ticks between polls of the I/O driver.
    event_interval: Option<usize>,
    /// Worker threads (default: one per core).
    worker_threads: Option<usize>,
}

fn parse_args() -> Result<(LoadConfig, Tuning), String> {
    let mut config = LoadConfig::default();
    let mut tuning = Tuning::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| format!("{name} needs a whole number"))
        };
        match arg.as_str() {
            "--total" => config.total = value("--total")?,
            "--in-flight" => config.in_flight = value("--in-flight")?,
            "--scenario" => {
                config.scenario = match args.next().as_deref() {
                    Some("mix") => Scenario::Mix,
                    Some("products") => Scenario::Products,
                    Some("catalogue") => Scenario::Catalogue,
                    _ => {
                        return Err("--scenario takes `mix`, `products` or `catalogue`".to_owned());
                    }
                }
            }
            "--emulator-threads" => {
                config.emulator_threads = Some(value("--emulator-threads")?);
            }
            "--event-interval" => tuning.event_interval = Some(value("--event-interval")?),
            "--worker-threads" => tuning.worker_threads = Some(value("--worker-threads")?),
            "--timeout-secs" => {
                config.timeout = Duration::from_secs(value("--timeout-secs")? as u64)
            }
            "-h" | "--help" => {
                return Err(format!(
                    "usage: load [--scenario mix|products|catalogue (default mix)] [--total N (1..={MAX_TOTAL} for mix, default 10000)] [--in-flight N (default 64)] [--timeout-secs N (default 30)] [--emulator-threads N (the emulator on a runtime of its own)] [--worker-threads N] [--event-interval N (tokio's, default 61)]"
                ));
            }
            other => return Err(format!("unknown argument {other}; try --help")),
        }
    }
    Ok((config, tuning))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() -> ExitCode {
    let (config, tuning) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(interval) = tuning.event_interval {
        builder.event_interval(u32::try_from(interval.max(1)).unwrap_or(u32::MAX));
    }
    if let Some(threads) = tuning.worker_threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(load::run(config)) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("load test could not run: {err}");
            return ExitCode::FAILURE;
        }
    };

    println!(
        "load ({:?}): {} requests, {} in flight, {} endpoints, over loopback HTTP/1.1 (hyper), emulator in process",
        config.scenario,
        report.requests,
        config.in_flight,
        report.per_endpoint.len()
    );
    println!("| figure | value |");
    println!("|---|---:|");
    println!("| requests | {} |", report.requests);
    println!("| elapsed | {:.2} s |", report.elapsed.as_secs_f64());
    println!("| requests/s | {:.0} |", report.requests_per_second());
    println!("| latency p50 | {} |", ms(report.latency(0.50)));
    println!("| latency p90 | {} |", ms(report.latency(0.90)));
    println!("| latency p99 | {} |", ms(report.latency(0.99)));
    println!("| latency max | {} |", ms(report.latency(1.0)));
    println!("| errors | {} |", report.errors);
    println!("| peak RSS (VmHWM, client + emulator) | {} |", peak_rss());
    let app = &report.summary.apps[0];
    println!(
        "| emulator books | balance {} = {} - {} charged + {} refunded; {} orders |",
        app.balance, app.starting_balance, app.charged, app.refunded, app.orders
    );
    println!(
        "| invariants | {} |",
        match &report.invariants {
            Ok(()) => "hold".to_owned(),
            Err(e) => format!("BROKEN: {e}"),
        }
    );
    println!(
        "| stock | {} |",
        match &report.stock_never_negative {
            Ok(()) => "never negative".to_owned(),
            Err(e) => format!("BROKEN: {e}"),
        }
    );
    for error in &report.first_errors {
        eprintln!("error: {error}");
    }
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "load test FAILED: {} errors, {} endpoints called",
            report.errors,
            report.per_endpoint.len()
        );
        ExitCode::FAILURE
    }
}
