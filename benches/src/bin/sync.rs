//! The sync bench: a backfill into PostgreSQL beside plain page-by-page reading of the
//! same instances (what `ipv export` does), interleaved, twice; then callback to
//! committed row with 64 callbacks in flight.
//!
//! The emulator runs in a child process (this binary again, with `--emulator-child`),
//! so the peak RSS figures are the mirror's and the reader's alone: the peak is reset
//! (`/proc/self/clear_refs`) before each phase and read (`VmHWM`) after it. The child
//! fills the account first: `--instances` instances from orders of 20 spread over two
//! years of its clock, each round released within the release window so addresses come
//! back (distinct instances, reused addresses).
//!
//! Its PostgreSQL runs with autovacuum off, and after each mirror the bench runs
//! `VACUUM (ANALYZE)` on the tables it wrote and shows that as a phase of its own
//! ("upkeep"): left to autovacuum, that work lands in whatever phase runs a minute
//! later.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin sync -- [--instances 100000] [--callbacks 2000] [--in-flight 64] [--latency-ms 0] [--workers 2,4] [--pages-per-write 5]
//! ```
//!
//! Needs the PostgreSQL binaries (`bash .ci/services`).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use ipv_api::callback::{
    CallbackReceiver, CallbackServer, CallbackStore, RefetchLimits, ServerConfig,
};
use ipv_emulator::{DEFAULT_APP_KEY, Emulator, EmulatorConfig, OrderSchedule};
use ipv_sync::{BackfillOptions, Mirror, SyncConfig, SyncHandler};
use ipv_test_services::PostgresServer;
use ipv_transport::{Bytes, HttpTransport, HyperTransport, http};
use ipv_types::{
    InstanceListRequest, Money, OpenInstancesRequest, OpenParam, OrderRequest,
    ReleaseInstancesRequest,
};

const PRODUCTS: [&str; 2] = ["ipv_res_us_nyc_m", "ipv_dc_us_lax_m"];

struct Args {
    instances: usize,
    callbacks: usize,
    in_flight: usize,
    latency_ms: u64,
    workers: Vec<usize>,
    pages_per_write: usize,
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut args = Args {
        instances: 100_000,
        callbacks: 2_000,
        in_flight: 64,
        latency_ms: 0,
        workers: vec![2, 4],
        pages_per_write: BackfillOptions::default().pages_per_write,
    };
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a whole number"))
        };
        match arg.as_str() {
            "--instances" => args.instances = number("--instances")?.max(20),
            "--callbacks" => args.callbacks = number("--callbacks")?.max(1),
            "--in-flight" => args.in_flight = number("--in-flight")?.max(1),
            "--latency-ms" => args.latency_ms = number("--latency-ms")? as u64,
            "--pages-per-write" => args.pages_per_write = number("--pages-per-write")?.max(1),
            "--workers" => {
                args.workers = it
                    .next()
                    .map(|v| {
                        v.split(',')
                            .map(str::parse)
                            .collect::<Result<Vec<usize>, _>>()
                    })
                    .and_then(Result::ok)
                    .filter(|w| !w.is_empty() && w.iter().all(|&n| n > 0))
                    .ok_or("--workers needs whole numbers, comma-separated (2,4)")?;
            }
            "--emulator-child" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
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

/// Resets this process's peak RSS (Linux: `5` to `clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak RSS in MiB (`VmHWM`).
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmHWM:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system, with reaped children's) of process `pid`.
fn cpu_of(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command (which may hold spaces) closed by the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime, stime, cutime, cstime are fields 14-17 of stat(5); `rest` starts at 3.
    let ticks: f64 = fields
        .get(11..15)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.parse::<f64>().ok())
        .sum();
    // Linux reports in clock ticks of 1/100 s (USER_HZ).
    ticks / 100.0
}

/// Every process descended from `root` (itself included).
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parent_of
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found
}

/// CPU seconds so far of this process, of the emulator child's tree and of the rest
/// of this process's descendants (PostgreSQL).
#[derive(Clone, Copy, Default)]
struct Cpu {
    us: f64,
    emulator: f64,
    postgres: f64,
}

impl Cpu {
    fn now(emulator: u32) -> Self {
        let me = std::process::id();
        let emulator_tree = descendants(emulator);
        let postgres = descendants(me)
            .into_iter()
            .filter(|p| *p != me && !emulator_tree.contains(p))
            .map(cpu_of)
            .sum();
        Cpu {
            us: cpu_of(me),
            emulator: emulator_tree.into_iter().map(cpu_of).sum(),
            postgres,
        }
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            us: self.us - before.us,
            emulator: self.emulator - before.emulator,
            postgres: self.postgres - before.postgres,
        }
    }
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The child: an emulator filled with `instances` instances; prints `READY <url>` and
/// serves until its stdin closes.
async fn emulator_child(instances: usize, latency_ms: u64) -> Result<(), String> {
    let start = time::OffsetDateTime::now_utc() - Duration::from_secs(2 * 366 * 86_400);
    let config = EmulatorConfig::default()
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_start_time(start);
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().map_err(|_| "addr")?)
        .await
        .map_err(|e| e.to_string())?;
    let control = emulator.control();
    for product in PRODUCTS {
        control.set_stock(product, 1_000_000).map_err(|e| e.0)?;
    }
    control
        .top_up(DEFAULT_APP_KEY, Money::from_int(1_000_000_000))
        .map_err(|e| e.0)?;
    let client = ipv_fleet::client(&emulator.base_url())?;
    let filling = Instant::now();
    // Rounds of up to 1,000 instances (500 per product, within its addresses).
    let rounds = instances.div_ceil(1_000);
    let step = (2 * 365 * 86_400 / rounds.max(1)).max(2 * 86_400) as i64;
    let mut made = 0usize;
    for round in 0..rounds {
        let want = (instances - made).min(1_000);
        let orders = want.div_ceil(20);
        let mut bought = Vec::new();
        for chunk in (0..orders).collect::<Vec<_>>().chunks(16) {
            let buys = chunk.iter().map(|&i| {
                let count = u32::try_from(20.min(want - i * 20)).unwrap_or(20);
                let request = OpenInstancesRequest::new(
                    format!("BENCH_{round}_{i}"),
                    vec![OpenParam::by_product(PRODUCTS[i % 2], count, 1)],
                );
                let client = client.clone();
                async move { client.open_instances(&request).await }
            });
            for receipt in futures_util::future::join_all(buys).await {
                bought.push(receipt.map_err(|e| format!("open: {e}"))?.order_no);
            }
        }
        made += want;
        if round + 1 < rounds {
            for (i, order_no) in bought.iter().enumerate() {
                let order = client
                    .order(&OrderRequest::new(order_no.clone()).with_page(1, 100))
                    .await
                    .map_err(|e| format!("order: {e}"))?;
                let numbers: Vec<String> =
                    order.instances.into_iter().map(|x| x.instance_no).collect();
                client
                    .release_instances(&ReleaseInstancesRequest::new(
                        format!("BENCH_REL_{round}_{i}"),
                        numbers,
                    ))
                    .await
                    .map_err(|e| format!("release: {e}"))?;
            }
        }
        control.advance_clock(step).map_err(|e| e.0)?;
    }
    eprintln!(
        "emulator child: {made} instances filled in {:.1} s",
        filling.elapsed().as_secs_f64()
    );
    // The platform at a distance: every API answer from now on takes this much longer.
    let mut faults = ipv_emulator::FaultConfig::none();
    faults.latency_ms = latency_ms;
    control.set_faults(faults).map_err(|e| e.0)?;
    println!("READY {}", emulator.base_url());
    // Serve until the parent closes our stdin.
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin()
            .read_line(&mut line)
            .map(|n| n > 0)
            .unwrap_or(false)
        {
            line.clear();
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    emulator.shutdown().await;
    Ok(())
}

struct Phase {
    seconds: f64,
    cpu: Cpu,
    instances: u64,
    calls: u64,
    peak_mib: f64,
}

/// Reads every instance page by page, holding none (what `ipv export` does).
async fn plain_read(client: &ipv_api::Client) -> Result<Phase, String> {
    reset_peak();
    let started = Instant::now();
    let mut count = 0u64;
    let mut stream = std::pin::pin!(client.instance_list_stream(InstanceListRequest::default()));
    while let Some(instance) = stream.try_next().await.map_err(|e| e.to_string())? {
        count += u64::from(!instance.instance_no.is_empty());
    }
    Ok(Phase {
        seconds: started.elapsed().as_secs_f64(),
        cpu: Cpu::default(),
        instances: count,
        calls: count.div_ceil(100),
        peak_mib: peak_mib(),
    })
}

async fn mirror_backfill(
    client: &ipv_api::Client,
    database: &str,
    schema: &str,
    workers: usize,
    pages_per_write: usize,
) -> Result<(Phase, Mirror), String> {
    let mirror = Mirror::connect(SyncConfig::new(database).schema(schema))
        .await
        .map_err(|e| e.to_string())?;
    reset_peak();
    let started = Instant::now();
    let options = BackfillOptions::default()
        .workers(workers)
        .pages_per_write(pages_per_write);
    let report = ipv_sync::backfill(client, &mirror, &options, &|_| {})
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        Phase {
            seconds: started.elapsed().as_secs_f64(),
            cpu: Cpu::default(),
            instances: report.instances,
            calls: report.api_calls,
            peak_mib: peak_mib(),
        },
        mirror,
    ))
}

/// Callback to committed row: `callbacks` instance callbacks, `in_flight` at a time,
/// to one listener writing into `mirror`; each answer comes after its commit.
async fn callback_latency(
    client: &ipv_api::Client,
    mirror: &Mirror,
    callbacks: usize,
    in_flight: usize,
) -> Result<(Vec<Duration>, Duration, usize), String> {
    let numbers = mirrored_numbers(mirror, callbacks).await?;
    let store: Arc<dyn CallbackStore> = mirror.callback_store();
    // 64 callbacks at once from this one address, as a deployment behind a reverse proxy
    // sees them: no per-peer share below the global cap and no re-fetch budgets (the
    // lookups per source would refuse most of them), so the figure is the path from
    // callback to committed row, not the siege limits.
    let receiver = CallbackReceiver::builder(SyncHandler::new(client.clone(), mirror.clone()))
        .shared_store(store)
        .refetch_limits(RefetchLimits::unlimited())
        .build(client.clone());
    let server_config = ServerConfig::default();
    let per_peer = server_config.max_connections;
    let server = CallbackServer::bind_with(
        "127.0.0.1:0",
        receiver,
        server_config.with_max_connections_per_peer(per_peer),
    )
    .await
    .map_err(|e| e.to_string())?;
    let addr = server.local_addr();
    let queries: Arc<Vec<String>> = Arc::new(
        (0..callbacks)
            .map(|i| format!("type=instance&no={}", numbers[i % numbers.len()]))
            .collect(),
    );
    let transport = Arc::new(
        HyperTransport::builder()
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (queries, transport, next, refused) = (
            Arc::clone(&queries),
            Arc::clone(&transport),
            Arc::clone(&next),
            Arc::clone(&refused),
        );
        workers.spawn(async move {
            let mut latencies = Vec::new();
            while let Some(query) = queries.get(next.fetch_add(1, Ordering::Relaxed)) {
                let request = http::Request::get(format!("http://{addr}/callback?{query}"))
                    .body(Bytes::new())
                    .map_err(|e| e.to_string())?;
                let sent = Instant::now();
                let answer = transport.send(request).await.map_err(|e| e.to_string())?;
                if answer.status() != http::StatusCode::OK {
                    // Told to come back: counted apart, not as a latency.
                    refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                latencies.push(sent.elapsed());
            }
            Ok::<_, String>(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.map_err(|e| e.to_string())??);
    }
    let wall = started.elapsed();
    server.shutdown().await;
    latencies.sort();
    Ok((latencies, wall, refused.load(Ordering::Relaxed)))
}

/// The baseline of a callback: the platform round trip alone, the same `instance`
/// look-up the receiver makes, `in_flight` at a time.
async fn refetch_baseline(
    client: &ipv_api::Client,
    numbers: &[String],
    calls: usize,
    in_flight: usize,
) -> Result<(Vec<Duration>, Duration), String> {
    let numbers = Arc::new(numbers.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (client, numbers, next) = (client.clone(), Arc::clone(&numbers), Arc::clone(&next));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= calls {
                    return Ok::<_, String>(latencies);
                }
                let no = numbers[n % numbers.len()].clone();
                let sent = Instant::now();
                client
                    .instances(&ipv_types::InstancesRequest::new([no]))
                    .await
                    .map_err(|e| e.to_string())?;
                latencies.push(sent.elapsed());
            }
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.map_err(|e| e.to_string())??);
    }
    let wall = started.elapsed();
    latencies.sort();
    Ok((latencies, wall))
}

async fn mirrored_numbers(mirror: &Mirror, limit: usize) -> Result<Vec<String>, String> {
    let db = mirror.pool().get().await.map_err(|e| e.to_string())?;
    Ok(db
        .query(
            &format!(
                "SELECT instance_no FROM {}.instances ORDER BY instance_no LIMIT $1",
                mirror.quoted_schema()
            ),
            &[&i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// PostgreSQL's own floor for the mirror's instance rows: the same rows, already in
/// the database, upserted in one statement into an empty copy of the table (indexes
/// and all), `raw` parsed again from text and the other columns already typed. No
/// client, no platform, no transaction per run of pages: the least this schema's
/// writes cost PostgreSQL on this machine, whatever writes them.
async fn postgres_floor(mirror: &Mirror, emulator: u32) -> Result<Phase, String> {
    let db = mirror.pool().get().await.map_err(|e| e.to_string())?;
    let from = mirror.quoted_schema();
    let columns: String = db
        .query_one(
            "SELECT string_agg(CASE WHEN column_name = 'raw' THEN 'raw::text::jsonb' \
             ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position) \
             FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'instances'",
            &[&mirror.schema()],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    db.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS bench_floor CASCADE; CREATE SCHEMA bench_floor; \
         CREATE TABLE bench_floor.instances (LIKE {from}.instances INCLUDING ALL); CHECKPOINT"
    ))
    .await
    .map_err(|e| e.to_string())?;
    let before = Cpu::now(emulator);
    let started = Instant::now();
    let written = db
        .execute(
            &format!(
                "INSERT INTO bench_floor.instances AS t SELECT {columns} FROM {from}.instances \
                 ON CONFLICT (instance_no) DO UPDATE SET raw = EXCLUDED.raw, \
                 fetched_at = EXCLUDED.fetched_at WHERE t.fetched_at <= EXCLUDED.fetched_at"
            ),
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(Phase {
        seconds: started.elapsed().as_secs_f64(),
        cpu: Cpu::now(emulator).since(before),
        instances: written,
        calls: 0,
        peak_mib: f64::NAN,
    })
}

/// What PostgreSQL's autovacuum would do after the mirror, done now: `VACUUM
/// (ANALYZE)` of every table the mirror wrote. Not part of the mirror's time; shown
/// beside it, since any writer of these rows leaves PostgreSQL this much to do.
async fn upkeep(mirror: &Mirror, emulator: u32) -> Result<Phase, String> {
    let db = mirror.pool().get().await.map_err(|e| e.to_string())?;
    let tables: Vec<String> = db
        .query(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = $1",
            &[&mirror.schema()],
        )
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let before = Cpu::now(emulator);
    let started = Instant::now();
    db.batch_execute(&format!("VACUUM (ANALYZE) {}", tables.join(", ")))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Phase {
        seconds: started.elapsed().as_secs_f64(),
        cpu: Cpu::now(emulator).since(before),
        instances: 0,
        calls: 0,
        peak_mib: f64::NAN,
    })
}

fn show_phase(name: &str, p: &Phase) {
    println!(
        "{:<8} {:>10} {:>10.2} {:>12.0} {:>8} {:>14.1} {:>9.2} {:>9.2} {:>9.2}",
        name,
        p.instances,
        p.seconds,
        p.instances as f64 / p.seconds,
        p.calls,
        p.peak_mib,
        p.cpu.us,
        p.cpu.emulator,
        p.cpu.postgres,
    );
}

async fn parent(args: Args) -> Result<(), String> {
    println!("CPU: {}", cpu_model());
    println!(
        "{} instances; every API answer delayed {} ms",
        args.instances, args.latency_ms
    );
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args([
            "--emulator-child",
            "--instances",
            &args.instances.to_string(),
            "--latency-ms",
            &args.latency_ms.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the emulator child: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no child stdout")?);
    let mut line = String::new();
    out.read_line(&mut line).map_err(|e| e.to_string())?;
    let url = line
        .trim()
        .strip_prefix("READY ")
        .ok_or_else(|| format!("the emulator child said {line:?}"))?
        .to_owned();
    // Autovacuum off: it wakes once a minute and would land in whichever phase is
    // running then (a plain reading paid 1 CPU s for an earlier mirror's tables). The
    // bench runs VACUUM (ANALYZE) on each mirror's tables itself and shows it.
    let pg = tokio::task::spawn_blocking(|| PostgresServer::start_with(&["autovacuum=off"]))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let client = ipv_fleet::client(&url)?;
    println!("CPU seconds per phase: this process (reader or mirror), the emulator, PostgreSQL");
    println!(
        "{:<8} {:>10} {:>10} {:>12} {:>8} {:>14} {:>9} {:>9} {:>9}",
        "phase",
        "instances",
        "seconds",
        "instances/s",
        "calls",
        "peak RSS MiB",
        "CPU us",
        "CPU emu",
        "CPU pg"
    );
    let emulator = child.id();
    let mut mirror = None;
    // Mirror with each number of windows at once (4 is the default; each window's
    // writes overlap its next pages' fetch), each beside plain reading.
    let mut ratios: Vec<(usize, f64)> = Vec::new();
    let mut floors: Vec<String> = Vec::new();
    for round in 0..2 {
        let before = Cpu::now(emulator);
        let mut plain = plain_read(&client).await?;
        plain.cpu = Cpu::now(emulator).since(before);
        show_phase("plain", &plain);
        for &workers in &args.workers {
            let before = Cpu::now(emulator);
            let (mut sync, m) = mirror_backfill(
                &client,
                &pg.url(),
                &format!("bench_{round}_{workers}"),
                workers,
                args.pages_per_write,
            )
            .await?;
            sync.cpu = Cpu::now(emulator).since(before);
            show_phase(&format!("mirror/{workers}"), &sync);
            show_phase("upkeep", &upkeep(&m, emulator).await?);
            ratios.push((workers, sync.seconds / plain.seconds));
            mirror = Some(m);
        }
        if let Some(m) = &mirror {
            let floor = postgres_floor(m, emulator).await?;
            show_phase("pg floor", &floor);
            // On this machine's cores, shared by the platform, the reader and
            // PostgreSQL, no mirror can take less than their CPU spread over all.
            let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
            let plain_cpu = plain.cpu.us + plain.cpu.emulator;
            let bound = (plain_cpu + floor.cpu.postgres) / cores;
            floors.push(format!(
                "{bound:.2} s = {:.2}x (plain reading's {plain_cpu:.2} CPU s + PostgreSQL's floor {:.2} CPU s, over {cores} cores)",
                bound / plain.seconds,
                floor.cpu.postgres
            ));
        }
    }
    for &workers in &args.workers {
        println!(
            "mirror with {workers} window(s) at once / plain reading: {}",
            ratios
                .iter()
                .filter(|(w, _)| *w == workers)
                .map(|(_, r)| format!("{r:.2}x"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for floor in &floors {
        println!("least any mirror can take here: {floor}");
    }
    let mirror = mirror.ok_or("no mirror")?;
    let numbers = mirrored_numbers(&mirror, args.callbacks).await?;
    let show = |what: &str, latencies: &[Duration], wall: Duration| {
        println!(
            "{what:<34} {} in flight: {} in {:.2} s ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms",
            args.in_flight,
            latencies.len(),
            wall.as_secs_f64(),
            latencies.len() as f64 / wall.as_secs_f64(),
            quantile(latencies, 0.5).as_secs_f64() * 1e3,
            quantile(latencies, 0.99).as_secs_f64() * 1e3,
        );
    };
    for _ in 0..2 {
        let (latencies, wall) =
            refetch_baseline(&client, &numbers, args.callbacks, args.in_flight).await?;
        show("baseline: one `instance` call,", &latencies, wall);
        let (latencies, wall, refused) =
            callback_latency(&client, &mirror, args.callbacks, args.in_flight).await?;
        show("callback -> committed row,", &latencies, wall);
        println!("{:<34} told to retry later: {refused}", "");
    }
    drop(child.stdin.take());
    let _ = child.wait();
    drop(pg);
    Ok(())
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("sync: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sync: runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let result = if argv.iter().any(|a| a == "--emulator-child") {
        runtime.block_on(emulator_child(args.instances, args.latency_ms))
    } else {
        runtime.block_on(parent(args))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync: {e}");
            ExitCode::from(1)
        }
    }
}
