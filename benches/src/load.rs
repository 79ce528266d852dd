//! The load test: the client against an in-process emulator over loopback, many requests
//! in flight, across all 30 endpoints.
//!
//! Work is a sequence of *cycles*. One cycle is a fixed, valid script that touches every
//! endpoint once or more with names of its own (`LOAD_OPEN_<n>`, `load_main_<n>`, its own
//! assigned IP), so no request fails by design: buying, renewing, releasing and
//! after-sale-releasing a static instance, buying at an assigned IP, creating a main
//! account and a proxy user, buying flow, drawing, whitelisting and returning flow, with
//! catalogue, order and balance reads between them (24 of its 39 calls only read).
//!
//! A cycle is four independent chains; `in_flight` workers take chains in turn, each
//! chain's calls in order, while the budget holds a whole chain, and fill what is left of
//! `total` with single reads. Every call is timed; any error is counted and kept (the
//! first few).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ipv_api::endpoint::Endpoint;
use ipv_api::{Client, RetryPolicy};
use ipv_emulator::{
    DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, OrderSchedule, Summary,
};
use ipv_types::*;

/// The static product bought, renewed and released in every cycle (two /24 blocks).
const STATIC_PRODUCT: &str = "ipv_res_us_nyc_m";
/// The product bought at an assigned IP: its blocks 198.18.0.0/24 and 198.18.1.0/24 are
/// used by nothing else in the load, so each cycle's address is free.
const ASSIGN_PRODUCT: &str = "ipv_dc_us_lax_m";
/// The dynamic flow product.
const FLOW_PRODUCT: &str = "ipv_dyn_global_flow";
/// Calls in one cycle (its four chains).
pub const CALLS_PER_CYCLE: usize = 39;
/// The most cycles one run may start: each buys one static instance of
/// `ipv_res_us_nyc_m` (stock 500) and one assigned address (508 in its blocks), and the
/// app's balance must cover the charges.
pub const MAX_CYCLES: usize = 450;
/// The largest `total` a run accepts.
pub const MAX_TOTAL: usize = MAX_CYCLES * CALLS_PER_CYCLE;

/// The largest `total` of the [`Scenario::Products`] run (it buys nothing, so only time
/// bounds it).
pub const MAX_PRODUCTS_TOTAL: usize = 1_000_000;

/// Which requests a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scenario {
    /// Cycles over all 30 endpoints (buying, renewing, releasing, …), as described above.
    #[default]
    Mix,
    /// Only `product/query` for one proxy type (103, static residential abroad: six
    /// products, a few KB an answer): one small read again and again, to see the
    /// latency spread of the client and the server by themselves.
    Products,
    /// Only `product/query` for every proxy type (the whole catalogue, tens of KB an
    /// answer): CPU-bound on serialisation and the cipher.
    Catalogue,
}

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    /// Requests to send in all (at most [`MAX_TOTAL`], or [`MAX_PRODUCTS_TOTAL`] for
    /// [`Scenario::Products`]).
    pub total: usize,
    /// Requests in flight at once (workers).
    pub in_flight: usize,
    /// The client's per-request timeout.
    pub timeout: Duration,
    /// Which requests to send.
    pub scenario: Scenario,
    /// Run the emulator on a runtime of its own with this many worker threads, instead
    /// of on the caller's (as a separate emulator process would be).
    pub emulator_threads: Option<usize>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            total: 10_000,
            in_flight: 64,
            timeout: Duration::from_secs(30),
            scenario: Scenario::Mix,
            emulator_threads: None,
        }
    }
}

/// What a run measured.
#[derive(Debug)]
pub struct LoadReport {
    /// Requests sent.
    pub requests: usize,
    /// Requests that failed.
    pub errors: usize,
    /// The first few failures: endpoint and error text.
    pub first_errors: Vec<String>,
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of every request, sorted.
    pub latencies: Vec<Duration>,
    /// Requests per endpoint name.
    pub per_endpoint: BTreeMap<&'static str, usize>,
    /// The emulator's invariant check after the run.
    pub invariants: Result<(), String>,
    /// Stock of every product never negative after the run (the product list read back).
    pub stock_never_negative: Result<(), String>,
    /// The emulator's books after the run.
    pub summary: Summary,
    /// The scenario that ran.
    pub scenario: Scenario,
}

impl LoadReport {
    /// Requests per second over the run.
    #[must_use]
    pub fn requests_per_second(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let requests = self.requests as f64;
        requests / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency at quantile `q` (0.0 ..= 1.0), or zero for an empty run.
    #[must_use]
    pub fn latency(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let at = ((self.latencies.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        self.latencies[at]
    }

    /// Whether the run is clean: no error, every endpoint of the scenario called (all 30
    /// for [`Scenario::Mix`]), invariants held.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        let endpoints = match self.scenario {
            Scenario::Mix => ipv_api::endpoint::ENDPOINTS.len(),
            Scenario::Products | Scenario::Catalogue => 1,
        };
        self.errors == 0
            && self.per_endpoint.len() == endpoints
            && self.invariants.is_ok()
            && self.stock_never_negative.is_ok()
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Shared by the workers.
struct Load {
    client: Client,
    /// Requests claimed so far (claimed before sending, a chain at a time).
    sent: AtomicUsize,
    total: usize,
    /// Units of work (chains) handed out so far.
    units: AtomicUsize,
}

/// One worker's measurements.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    first_errors: Vec<String>,
    per_endpoint: BTreeMap<&'static str, usize>,
}

/// Stops a chain: a call failed (it is counted in the tally).
struct Stop;

impl Load {
    /// Claims `calls` requests of the budget, all or nothing.
    fn reserve(&self, calls: usize) -> bool {
        self.sent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |sent| {
                (sent + calls <= self.total).then_some(sent + calls)
            })
            .is_ok()
    }

    /// Sends `request` (its budget already reserved), timing it and recording any
    /// failure.
    async fn call<E: Endpoint + Sync>(
        &self,
        tally: &mut Tally,
        request: &E,
    ) -> Result<E::Response, Stop> {
        let start = Instant::now();
        let result = self.client.send(request).await;
        tally.latencies.push(start.elapsed());
        *tally.per_endpoint.entry(E::NAME).or_default() += 1;
        result.map_err(|err| {
            tally.errors += 1;
            if tally.first_errors.len() < 5 {
                tally.first_errors.push(format!("{}: {err}", E::NAME));
            }
            Stop
        })
    }
}

/// The address cycle `n` buys (198.18.0.1 ..= 198.18.1.254, in order).
fn assigned_ip(n: usize) -> String {
    format!("198.18.{}.{}", n / 254, n % 254 + 1)
}

/// The independent parts of a cycle. Together they call all 30 endpoints; each depends
/// only on its own earlier answers, so workers run them side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    /// Catalogue and account reads.
    Catalogue,
    /// A static instance: buy, read, reset, renew, release (refunded inside the window).
    Static,
    /// An instance at a chosen address, then an after-sale release (no refund).
    Assigned,
    /// A main account with flow, a proxy user, draws, whitelist, a flow return.
    Dynamic,
}

impl Chain {
    const ALL: [Chain; 4] = [
        Chain::Catalogue,
        Chain::Static,
        Chain::Assigned,
        Chain::Dynamic,
    ];

    /// Calls the chain makes when nothing fails.
    const fn calls(self) -> usize {
        match self {
            Chain::Catalogue => 10,
            Chain::Static => 9,
            Chain::Assigned => 4,
            Chain::Dynamic => 16,
        }
    }
}

/// Runs chain `chain` of cycle `n`; `Err` after the first failed call.
async fn run_chain(load: &Load, tally: &mut Tally, n: usize, chain: Chain) -> Result<(), Stop> {
    match chain {
        Chain::Catalogue => catalogue(load, tally, n).await,
        Chain::Static => static_instance(load, tally, n).await,
        Chain::Assigned => assigned_instance(load, tally, n).await,
        Chain::Dynamic => dynamic(load, tally, n).await,
    }
}

async fn catalogue(load: &Load, tally: &mut Tally, n: usize) -> Result<(), Stop> {
    let ip = assigned_ip(n);
    load.call(tally, &AppInfoRequest).await?;
    load.call(tally, &AreasRequest::all()).await?;
    load.call(tally, &CitiesRequest::of(["USA"])).await?;
    load.call(tally, &ProductsRequest::of_types(ProxyType::ALL.to_vec()))
        .await?;
    load.call(tally, &ProductRequest::new(STATIC_PRODUCT))
        .await?;
    load.call(
        tally,
        &ProductAreasRequest::new(FLOW_PRODUCT, ProxyType::DynamicAbroad),
    )
    .await?;
    load.call(tally, &ProjectsRequest::all()).await?;
    load.call(tally, &AssignedIpInfoRequest::new(ip.as_str()))
        .await?;
    load.call(tally, &ProductRequest::new(ASSIGN_PRODUCT))
        .await?;
    load.call(
        tally,
        &ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]).in_country("USA"),
    )
    .await?;
    Ok(())
}

async fn static_instance(load: &Load, tally: &mut Tally, n: usize) -> Result<(), Stop> {
    let bought = load
        .call(
            tally,
            &OpenInstancesRequest::new(
                format!("LOAD_OPEN_{n}"),
                vec![OpenParam::by_product(STATIC_PRODUCT, 1, 1)],
            ),
        )
        .await?;
    let order = load
        .call(tally, &OrderRequest::new(&bought.order_no))
        .await?;
    let Some(instance) = order.instances.first().map(|i| i.instance_no.clone()) else {
        return Err(Stop);
    };
    load.call(tally, &InstancesRequest::new([&instance]))
        .await?;
    load.call(
        tally,
        &ResetPasswordsRequest::new([&instance], format!("LOAD_RESET_{n}")),
    )
    .await?;
    load.call(
        tally,
        &RenewInstancesRequest::new(
            format!("LOAD_RENEW_{n}"),
            vec![RenewItem::new(&instance, 1)],
        ),
    )
    .await?;
    load.call(tally, &InstancesRequest::new([&instance]))
        .await?;
    load.call(
        tally,
        &ReleaseInstancesRequest::new(format!("LOAD_RELEASE_{n}"), [&instance]),
    )
    .await?;
    load.call(tally, &OrderRequest::new(&bought.order_no))
        .await?;
    load.call(tally, &OrdersRequest::default().with_page_size(10))
        .await?;
    Ok(())
}

async fn assigned_instance(load: &Load, tally: &mut Tally, n: usize) -> Result<(), Stop> {
    let ip = assigned_ip(n);
    let assigned = load
        .call(
            tally,
            &OpenAssignedIpRequest::new(format!("LOAD_ASSIGN_{n}"), ASSIGN_PRODUCT, &ip, 1),
        )
        .await?;
    let assigned_order = load
        .call(tally, &OrderRequest::new(&assigned.order_no))
        .await?;
    let Some(assigned_instance) = assigned_order
        .instances
        .first()
        .map(|i| i.instance_no.clone())
    else {
        return Err(Stop);
    };
    load.call(
        tally,
        &AfterSaleReleaseRequest::new(format!("LOAD_AFTERSALE_{n}"), vec![assigned_instance])
            .with_remark("load test")
            .with_reason("other"),
    )
    .await?;
    load.call(tally, &InstanceListRequest::default().with_page_size(10))
        .await?;
    Ok(())
}

async fn dynamic(load: &Load, tally: &mut Tally, n: usize) -> Result<(), Stop> {
    let main_user = format!("load_main_{n}");
    let sub_user = format!("load_sub_{n}");
    load.call(
        tally,
        &UpsertUserRequest::default()
            .with_app_username(main_user.clone())
            .with_phone(format!("138{:08}", n))
            .with_email(format!("load{n}@example.com"))
            .with_auth_type(AuthType::None)
            .with_no(format!("ID-{n}"))
            .with_status(AccountStatus::Normal),
    )
    .await?;
    load.call(
        tally,
        &SyncUserAuthRequest::for_app_user(main_user.clone(), AuthType::Company)
            .with_auth_name("Load Ltd")
            .with_no("91310000"),
    )
    .await?;
    load.call(
        tally,
        &OpenInstancesRequest::new(
            format!("LOAD_FLOW_{n}"),
            vec![OpenParam::dynamic_flow(FLOW_PRODUCT, &main_user, 1000)],
        ),
    )
    .await?;
    load.call(
        tally,
        &UpsertProxyUserRequest::default()
            .with_app_username(sub_user.clone())
            .with_limit_flow(500)
            .with_app_main_username(main_user.clone())
            .with_remark("load")
            .with_status(AccountStatus::Normal),
    )
    .await?;
    load.call(
        tally,
        &SetProxyUserFlowLimitRequest::new(FLOW_PRODUCT, &sub_user, 100 * 1024 * 1024),
    )
    .await?;
    load.call(tally, &ProxyUserRequest::new(FLOW_PRODUCT, &sub_user))
        .await?;
    let balance =
        ProxyBalanceRequest::for_app_user(&main_user, ProxyType::DynamicAbroad, FLOW_PRODUCT);
    load.call(tally, &balance).await?;
    load.call(tally, &FlowUsageLogRequest::new(&main_user, FLOW_PRODUCT))
        .await?;
    load.call(
        tally,
        &DrawWithPasswordRequest::new(&sub_user, FLOW_PRODUCT).with_num(3),
    )
    .await?;
    load.call(
        tally,
        &DrawApiUrlRequest::new(&main_user, ProxyType::DynamicAbroad, FLOW_PRODUCT).with_num(5),
    )
    .await?;
    for whitelisted in ["203.0.113.5", "203.0.113.6"] {
        load.call(
            tally,
            &AddIpWhitelistRequest::new(
                &main_user,
                whitelisted,
                ProxyType::DynamicAbroad,
                FLOW_PRODUCT,
            ),
        )
        .await?;
    }
    load.call(
        tally,
        &RemoveIpWhitelistRequest::new(
            &main_user,
            "203.0.113.5",
            ProxyType::DynamicAbroad,
            FLOW_PRODUCT,
        ),
    )
    .await?;
    load.call(
        tally,
        &ReturnDynamicProxyRequest::new(main_user.clone(), ProxyType::DynamicAbroad, FLOW_PRODUCT)
            .with_flow_num(250)
            .with_remark("load"),
    )
    .await?;
    load.call(tally, &balance).await?;
    load.call(tally, &ProxyUserRequest::new(FLOW_PRODUCT, &sub_user))
        .await?;
    Ok(())
}

/// A worker: runs chains one after another while the budget holds a whole chain, then
/// spends what is left of the budget on single reads (so exactly `total` are sent).
async fn worker(load: Arc<Load>, scenario: Scenario) -> Tally {
    let mut tally = Tally::default();
    let single = match scenario {
        Scenario::Mix => None,
        Scenario::Products => Some(ProductsRequest::of_types([
            ProxyType::StaticResidentialAbroad,
        ])),
        Scenario::Catalogue => Some(ProductsRequest::of_types(ProxyType::ALL.to_vec())),
    };
    if let Some(request) = single {
        while load.reserve(1) {
            let _ = load.call(&mut tally, &request).await;
        }
        return tally;
    }
    loop {
        let unit = load.units.fetch_add(1, Ordering::Relaxed);
        let (n, chain) = (unit / Chain::ALL.len(), Chain::ALL[unit % Chain::ALL.len()]);
        if n >= MAX_CYCLES || !load.reserve(chain.calls()) {
            break;
        }
        let before = tally.latencies.len();
        let finished = run_chain(&load, &mut tally, n, chain).await.is_ok();
        let made = tally.latencies.len() - before;
        if finished && made != chain.calls() {
            // A bug in this module, not in the client or emulator: still report it.
            tally.errors += 1;
            if tally.first_errors.len() < 5 {
                tally.first_errors.push(format!(
                    "{chain:?} made {made} calls, not {}",
                    chain.calls()
                ));
            }
        }
    }
    while load.reserve(1) {
        let _ = load.call(&mut tally, &AppInfoRequest).await;
    }
    tally
}

/// Starts an emulator on 127.0.0.1:0, runs the load against it with the hyper
/// transport, checks the emulator's books, and shuts it down.
///
/// # Errors
/// [`LoadError`] when the configuration is out of bounds or the emulator or client
/// cannot start. Failed requests are not errors here: they are counted in the report.
pub async fn run(config: LoadConfig) -> Result<LoadReport, LoadError> {
    let max_total = match config.scenario {
        Scenario::Mix => MAX_TOTAL,
        Scenario::Products | Scenario::Catalogue => MAX_PRODUCTS_TOTAL,
    };
    if config.total == 0 || config.total > max_total {
        return Err(LoadError(format!(
            "total must be 1..={max_total} (stock and balance bound the cycles)"
        )));
    }
    if config.in_flight == 0 {
        return Err(LoadError("in_flight must be at least 1".to_owned()));
    }
    let emulator_config = EmulatorConfig::default().with_order_schedule(OrderSchedule::IMMEDIATE);
    let start_emulator = Emulator::start(emulator_config, ([127, 0, 0, 1], 0).into());
    // A runtime of its own for the emulator, when asked: its tasks are spawned on the
    // runtime that starts it.
    let emulator_runtime = match config.emulator_threads {
        Some(threads) => Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .thread_name("emulator")
                .enable_all()
                .build()
                .map_err(|e| LoadError(format!("emulator runtime: {e}")))?,
        ),
        None => None,
    };
    let emulator = match &emulator_runtime {
        Some(runtime) => runtime
            .spawn(start_emulator)
            .await
            .map_err(|e| LoadError(format!("emulator: {e}")))?,
        None => start_emulator.await,
    }
    .map_err(|e| LoadError(format!("emulator: {e}")))?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_key(DEFAULT_APP_KEY)
        .app_secret(DEFAULT_APP_SECRET)
        .retry_policy(RetryPolicy::none())
        .timeout(config.timeout)
        .build()
        .map_err(|e| LoadError(format!("client: {e}")))?;
    let load = Arc::new(Load {
        client,
        sent: AtomicUsize::new(0),
        total: config.total,
        units: AtomicUsize::new(0),
    });

    let start = Instant::now();
    let tallies =
        join_all((0..config.in_flight).map(|_| worker(Arc::clone(&load), config.scenario))).await;
    let elapsed = start.elapsed();

    let mut report = LoadReport {
        requests: 0,
        errors: 0,
        first_errors: Vec::new(),
        elapsed,
        latencies: Vec::new(),
        per_endpoint: BTreeMap::new(),
        invariants: Ok(()),
        stock_never_negative: Ok(()),
        summary: emulator.control().summary(),
        scenario: config.scenario,
    };
    for tally in tallies {
        report.errors += tally.errors;
        report.latencies.extend(tally.latencies);
        for error in tally.first_errors {
            if report.first_errors.len() < 5 {
                report.first_errors.push(error);
            }
        }
        for (name, count) in tally.per_endpoint {
            *report.per_endpoint.entry(name).or_default() += count;
        }
    }
    report.requests = report.latencies.len();
    report.latencies.sort();

    let control = emulator.control();
    report.invariants = control.check_invariants().map_err(|e| e.to_string());
    report.stock_never_negative = match load
        .client
        .products(&ProductsRequest::of_types(ProxyType::ALL.to_vec()))
        .await
    {
        Ok(products) => products
            .iter()
            .flat_map(|p| {
                std::iter::once((p.product_no.as_str(), p.inventory))
                    .chain(p.cidr_blocks.iter().map(|b| (b.cidr.as_str(), b.count)))
            })
            .find(|(_, stock)| *stock < 0)
            .map_or(Ok(()), |(what, stock)| {
                Err(format!("{what}: stock {stock} below zero"))
            }),
        Err(err) => Err(format!("reading the products back: {err}")),
    };
    report.summary = control.summary();
    emulator.shutdown().await;
    if let Some(runtime) = emulator_runtime {
        // Dropping a runtime inside another one's task would block it; let it wind down
        // on its own threads.
        runtime.shutdown_background();
    }
    Ok(report)
}

/// Runs `futures` on the current runtime as separate tasks and collects their outputs.
async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        // A worker task only panics on a bug in this module; surface it.
        outputs.push(
            handle
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
        );
    }
    outputs
}
