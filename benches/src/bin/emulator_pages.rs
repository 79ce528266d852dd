//! The emulator's page latency in a large account: one emulator per size (default 1,000,
//! 10,000 and 100,000 instances, bought 20 to an order with the clock moving a minute
//! between orders), then the latency of a page of `instance/list` and of `order/list`
//! over HTTP through the client, the sizes measured in turn (interleaved) and the whole
//! round repeated, so a busy moment of the machine shows as a disagreement between
//! rounds rather than as a false ratio. The CPU model is printed first.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin emulator_pages
//! cargo run --release -p ipv-benches --bin emulator_pages -- --sizes 1000,100000 --rounds 3
//! ```
//!
//! Each figure is the median of at least 5 requests (up to 40, or as many as fit in
//! about a second). The goal (issue 15): with 100,000 instances a page answers in at
//! most 2x the time it takes with 1,000. Pages are full, of 100 instances or 50 orders
//! (the 1,000-instance account has 50 orders): the first page, a page in the middle of
//! the account, and the first page of a one-hour window in the middle of the account's
//! history (`startTime` / `endTime`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ipv_api::{Client, RetryPolicy};
use ipv_emulator::{
    AppConfig, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, EmulatorHandle,
    OrderSchedule,
};
use ipv_types::time::QueryTime;
use ipv_types::{InstanceListRequest, OpenInstancesRequest, OpenParam, OrdersRequest};
use time::OffsetDateTime;

/// The product every instance is bought from (monthly: nothing expires while filling).
const PRODUCT: &str = "ipv_dc_us_lax_m";
/// Instances per order.
const PER_ORDER: u32 = 20;
/// Emulator seconds between two orders.
const ORDER_GAP_SECONDS: i64 = 60;
/// Instances per page of `instance/list`.
const PAGE_SIZE: u32 = 100;
/// Orders per page of `order/list`: 50, so that the smallest account (1,000 instances,
/// 50 orders) fills a whole page too and every size is timed on pages of one size.
const ORDER_PAGE_SIZE: u32 = 50;
/// The emulators' clocks start here.
const START: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00:00 UTC);

struct Settings {
    sizes: Vec<u32>,
    rounds: usize,
}

fn parse_args() -> Result<Settings, String> {
    let mut settings = Settings {
        sizes: vec![1_000, 10_000, 100_000],
        rounds: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                let list = args
                    .next()
                    .ok_or("--sizes needs a list such as 1000,10000")?;
                settings.sizes = list
                    .split(',')
                    .map(|s| s.trim().parse::<u32>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| "--sizes takes whole numbers separated by commas")?;
                if settings
                    .sizes
                    .iter()
                    .any(|&n| !(PER_ORDER..=ipv_emulator::MAX_ADDRESSES_PER_PRODUCT).contains(&n))
                {
                    return Err(format!(
                        "--sizes: each from {PER_ORDER} to {}",
                        ipv_emulator::MAX_ADDRESSES_PER_PRODUCT
                    ));
                }
            }
            "--rounds" => {
                settings.rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n: &usize| n >= 1)
                    .ok_or("--rounds needs a whole number of at least 1")?;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: emulator_pages [--sizes 1000,10000,100000] [--rounds 2 (at least 2 for a figure)]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown argument {other}; try --help")),
        }
    }
    Ok(settings)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// One emulator holding `size` instances, and a client for it.
struct Account {
    size: u32,
    emulator: EmulatorHandle,
    client: Client,
    /// A one-hour window in the middle of the account's history.
    window: (QueryTime, QueryTime),
}

async fn fill(size: u32) -> Result<Account, String> {
    let app = AppConfig::new(
        DEFAULT_APP_KEY,
        DEFAULT_APP_SECRET,
        "pages bench",
        "100000000.00",
    );
    let config = EmulatorConfig::default()
        .with_apps(vec![app])
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_start_time(START)
        .with_addresses_per_product(size);
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().map_err(|_| "addr")?)
        .await
        .map_err(|e| e.to_string())?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_key(DEFAULT_APP_KEY)
        .app_secret(DEFAULT_APP_SECRET)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let control = emulator.control();
    let orders = size / PER_ORDER;
    let mut window = None;
    for n in 0..orders {
        let request = OpenInstancesRequest::new(
            format!("bench-{n}"),
            vec![OpenParam::by_product(PRODUCT, PER_ORDER, 1)],
        );
        client
            .open_instances(&request)
            .await
            .map_err(|e| format!("order {n} of {orders}: {e}"))?;
        if n == orders / 2 {
            let now = control.clock().now;
            window = Some((
                QueryTime::from_offset_date_time(now - time::Duration::minutes(30)),
                QueryTime::from_offset_date_time(now + time::Duration::minutes(30)),
            ));
        }
        control
            .advance_clock(ORDER_GAP_SECONDS)
            .map_err(|e| e.to_string())?;
    }
    let summary = control.summary();
    let held = summary.apps.first().map_or(0, |a| a.live_instances);
    if held != size as usize {
        return Err(format!("the account holds {held} instances, not {size}"));
    }
    Ok(Account {
        size,
        emulator,
        client,
        window: window.ok_or("no orders")?,
    })
}

/// The cases measured on each account.
#[derive(Clone, Copy)]
enum Case {
    InstancesFirst,
    InstancesMiddle,
    InstancesWindow,
    OrdersFirst,
    OrdersMiddle,
    OrdersWindow,
}

const CASES: [Case; 6] = [
    Case::InstancesFirst,
    Case::InstancesMiddle,
    Case::InstancesWindow,
    Case::OrdersFirst,
    Case::OrdersMiddle,
    Case::OrdersWindow,
];

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::InstancesFirst => "instance/list, first page",
            Case::InstancesMiddle => "instance/list, middle page",
            Case::InstancesWindow => "instance/list, 1-hour window",
            Case::OrdersFirst => "order/list, first page",
            Case::OrdersMiddle => "order/list, middle page",
            Case::OrdersWindow => "order/list, 1-hour window",
        }
    }

    /// One request; returns how many entries the page held.
    async fn run(self, account: &Account) -> Result<usize, String> {
        let middle_instances = (account.size / PAGE_SIZE / 2).max(1);
        let middle_orders = (account.size / PER_ORDER / ORDER_PAGE_SIZE / 2).max(1);
        let (start, end) = account.window;
        let instances = |page, window: bool| {
            InstanceListRequest::default()
                .with_page(page)
                .with_page_size(PAGE_SIZE)
                .with_start_time(window.then_some(start))
                .with_end_time(window.then_some(end))
        };
        let orders = |page, window: bool| {
            OrdersRequest::default()
                .with_page(page)
                .with_page_size(ORDER_PAGE_SIZE)
                .with_start_time(window.then_some(start))
                .with_end_time(window.then_some(end))
        };
        let client = &account.client;
        let got = match self {
            Case::InstancesFirst => client.instance_list(&instances(1, false)).await,
            Case::InstancesMiddle => {
                client
                    .instance_list(&instances(middle_instances, false))
                    .await
            }
            Case::InstancesWindow => client.instance_list(&instances(1, true)).await,
            Case::OrdersFirst => {
                return full(client.orders(&orders(1, false)).await, ORDER_PAGE_SIZE);
            }
            Case::OrdersMiddle => {
                return full(
                    client.orders(&orders(middle_orders, false)).await,
                    ORDER_PAGE_SIZE,
                );
            }
            Case::OrdersWindow => {
                return full(client.orders(&orders(1, true)).await, ORDER_PAGE_SIZE);
            }
        };
        full(got, PAGE_SIZE)
    }
}

/// The page's length, which must be a full page of `size` (so every account size is
/// timed on pages of the same size).
fn full<T>(page: Result<ipv_types::Page<T>, ipv_api::Error>, size: u32) -> Result<usize, String> {
    let page = page.map_err(|e| e.to_string())?;
    if page.list.len() != size as usize {
        return Err(format!("a page of {} entries, not {size}", page.list.len()));
    }
    Ok(page.list.len())
}

/// The latency of `case` on `account`, median and fastest: at least 5 requests, at most
/// 40, stopping after about a second.
async fn measure(case: Case, account: &Account) -> Result<Sample, String> {
    case.run(account).await?; // warm the connection
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < 5 || (times.len() < 40 && started.elapsed() < Duration::from_secs(1)) {
        let t = Instant::now();
        case.run(account).await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(Sample {
        median: times[times.len() / 2],
        fastest: times[0],
    })
}

/// One case on one account in one round.
#[derive(Clone, Copy)]
struct Sample {
    /// The median request.
    median: Duration,
    /// The fastest request: the one other processes on a shared machine disturbed least.
    fastest: Duration,
}

/// The median of `values` (not empty).
fn median_of(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn show(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

async fn run(settings: Settings) -> Result<(), String> {
    println!("CPU: {}", cpu_model());
    println!(
        "build: {}",
        if cfg!(debug_assertions) {
            "debug (figures are for ratios only)"
        } else {
            "release"
        }
    );
    let mut accounts = Vec::new();
    for &size in &settings.sizes {
        let t = Instant::now();
        let account = fill(size).await?;
        println!(
            "filled {size} instances ({} orders) in {:.1} s",
            size / PER_ORDER,
            t.elapsed().as_secs_f64()
        );
        accounts.push(account);
    }
    // figures[case][size] = one sample per round.
    let mut figures = vec![vec![Vec::new(); accounts.len()]; CASES.len()];
    for round in 1..=settings.rounds {
        for (c, case) in CASES.iter().enumerate() {
            for (a, account) in accounts.iter().enumerate() {
                figures[c][a].push(measure(*case, account).await?);
            }
        }
        println!("round {round} of {} done", settings.rounds);
    }
    print_table(&settings, &figures);
    for account in accounts {
        account.emulator.shutdown().await;
    }
    Ok(())
}

fn print_table(settings: &Settings, figures: &[Vec<Vec<Sample>>]) {
    let (first, last) = (settings.sizes[0], settings.sizes[settings.sizes.len() - 1]);
    let mut header = format!("| page ({PAGE_SIZE} instances, {ORDER_PAGE_SIZE} orders) |");
    let mut rule = "|---|".to_owned();
    for size in &settings.sizes {
        header.push_str(&format!(" {size} instances |"));
        rule.push_str("---|");
    }
    header.push_str(&format!(
        " {last} / {first}, medians | {last} / {first}, fastest |"
    ));
    rule.push_str("---|---|");
    println!("\n{header}\n{rule}");
    for (c, case) in CASES.iter().enumerate() {
        let mut row = format!("| {} |", case.name());
        for rounds in &figures[c] {
            let cells: Vec<String> = rounds
                .iter()
                .map(|s| format!("{} ({})", show(s.median), show(s.fastest)))
                .collect();
            row.push_str(&format!(" {} |", cells.join(", ")));
        }
        let medians = |rounds: &[Sample]| median_of(rounds.iter().map(|s| s.median).collect());
        let fastest =
            |rounds: &[Sample]| rounds.iter().map(|s| s.fastest).min().unwrap_or_default();
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
        let (small, large) = (&figures[c][0], &figures[c][figures[c].len() - 1]);
        row.push_str(&format!(
            " {:.2}x | {:.2}x |",
            ratio(medians(large), medians(small)),
            ratio(fastest(large), fastest(small))
        ));
        println!("{row}");
    }
    println!(
        "\n(each cell: per round, in round order, the median request (the fastest request); \
         the ratios compare the median of the rounds' medians, and the fastest request of all rounds)"
    );
}

fn main() -> ExitCode {
    let settings = match parse_args() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emulator_pages: {e}");
            ExitCode::FAILURE
        }
    }
}
