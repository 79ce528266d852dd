//! Backfill: the account's whole history, the catalogue and the named dynamic
//! accounts, resumable and shared between processes.
//!
//! A run fixes an anchor (the platform's newest record, or now) and a window length.
//! Window 0 is `[anchor - w, ∞)`, window `k` is `[anchor - (k+1)w, anchor - kw]` (each
//! overlaps the next by its boundary second: the list filters are whole seconds, and a
//! row read twice is written once). Windows are created one after the other, newest
//! first, until nothing lies before the last one (or `since` is reached); each is
//! claimed with a lease (`FOR UPDATE SKIP LOCKED`), and its page cursor for instances
//! and for orders advances in the same transaction as the rows of the pages it passes. The lists are
//! newest first, so records added meanwhile push older ones to later pages: a resumed
//! cursor can re-read a row, never skip one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::Transaction;
use ipv_api::Client;
use ipv_types::time::QueryTime;
use ipv_types::{
    Instance, InstanceListRequest, OrderItem, OrdersRequest, Page, ProductsRequest,
    ProxyBalanceRequest, ProxyType, ProxyUserRequest,
};
use time::OffsetDateTime;

use crate::mirror::{Batch, begin, commit};
use crate::{Mirror, SyncError, lease};

/// The most windows one call reads at once (each holds a connection and two runs of
/// pages).
pub const MAX_WORKERS: usize = 64;

/// The most pages one transaction writes (a worker holds twice this many).
pub const MAX_PAGES_PER_WRITE: usize = 50;

/// How a backfill runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BackfillOptions {
    /// The length of one window (default 30 days).
    pub window: Duration,
    /// Read nothing older than this (default: everything).
    pub since: Option<OffsetDateTime>,
    /// Dynamic main accounts (`appUsername`) to mirror, besides those already in
    /// `main_users`.
    pub accounts: Vec<String>,
    /// Proxy users `(productNo, appUsername)` to mirror, besides those already in
    /// `proxy_users`.
    pub proxy_users: Vec<(String, String)>,
    /// How long a claimed window stays ours without progress (default 60 s): a process
    /// killed mid-window leaves it to the others after this long.
    pub lease: Duration,
    /// Rows per page (1 to 100, default 100).
    pub page_size: u32,
    /// With no `since`, how far back "is there anything before this window" looks
    /// (default 2010-01-01).
    pub floor: OffsetDateTime,
    /// Windows read at once by this call (default 4, at most [`MAX_WORKERS`]), each
    /// under its own lease and on its own connection, as if by that many processes.
    /// Four keep two cores busy where two left them waiting on each other's round
    /// trips (docs/sync.md, "Figures").
    pub workers: usize,
    /// Pages written in one transaction, with the cursor past them (default 5, at most
    /// [`MAX_PAGES_PER_WRITE`]): fewer round trips and statements per row; a process
    /// killed mid-run redoes at most this many pages. While one run is written the next
    /// is fetched, so at most twice this many pages are held.
    pub pages_per_write: usize,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(30 * 86_400),
            since: None,
            accounts: Vec::new(),
            proxy_users: Vec::new(),
            lease: Duration::from_secs(60),
            page_size: 100,
            floor: time::macros::datetime!(2010-01-01 00:00 UTC),
            workers: 4,
            pages_per_write: 5,
        }
    }
}

impl BackfillOptions {
    /// Sets the window length.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Reads nothing older than `since`.
    #[must_use]
    pub fn since(mut self, since: Option<OffsetDateTime>) -> Self {
        self.since = since;
        self
    }

    /// Adds dynamic main accounts to mirror.
    #[must_use]
    pub fn accounts(mut self, accounts: Vec<String>) -> Self {
        self.accounts = accounts;
        self
    }

    /// Adds proxy users `(productNo, appUsername)` to mirror.
    #[must_use]
    pub fn proxy_users(mut self, users: Vec<(String, String)>) -> Self {
        self.proxy_users = users;
        self
    }

    /// Sets the window lease.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets how many windows this call reads at once (at least 1).
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.clamp(1, MAX_WORKERS);
        self
    }

    /// Sets how many pages one transaction writes (clamped to 1..=50).
    #[must_use]
    pub fn pages_per_write(mut self, pages: usize) -> Self {
        self.pages_per_write = pages.clamp(1, MAX_PAGES_PER_WRITE);
        self
    }

    /// Sets the page size (clamped to 1..=100).
    #[must_use]
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, 100);
        self
    }
}

/// Where a backfill is, after each page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackfillProgress {
    /// The run.
    pub run_id: i64,
    /// The window being read.
    pub window: i32,
    /// Instances written by this call so far.
    pub instances: u64,
    /// Orders written by this call so far.
    pub orders: u64,
    /// Of the instances and orders, those inserted with `COPY` (rows the mirror did
    /// not hold yet); the rest were upserted.
    pub copied: u64,
    /// API calls made by this call so far.
    pub api_calls: u64,
}

/// What a backfill call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackfillReport {
    /// The run it worked on.
    pub run_id: i64,
    /// Windows this call finished.
    pub windows: u64,
    /// Instance rows it wrote.
    pub instances: u64,
    /// Order rows it wrote.
    pub orders: u64,
    /// Of the instance and order rows, those inserted with `COPY`: a run of pages
    /// none of whose rows the mirror held yet goes in that way, the others are
    /// upserted row by row.
    pub copied: u64,
    /// Product rows it wrote.
    pub products: u64,
    /// Dynamic accounts it refreshed.
    pub accounts: u64,
    /// API calls it made.
    pub api_calls: u64,
}

/// The run a call works on.
#[derive(Clone)]
struct Run {
    id: i64,
    anchor: i64,
    window: i64,
    since: Option<i64>,
    catalogue_done: bool,
}

/// A window claimed by this call.
struct Claimed {
    idx: i32,
    starts: i64,
    ends: Option<i64>,
    instance_page: i32,
    instances_done: bool,
    order_page: i32,
    orders_done: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Instances,
    Orders,
}

fn query_time(unix: i64) -> Option<QueryTime> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(QueryTime::from_offset_date_time)
}

/// Backfills the mirror; see the [crate docs](crate). Several processes may run it at
/// once on one database, sharing the windows; each returns once every window of the run
/// is done (waiting for windows other processes hold, or taking one over when its
/// lease runs out), then refreshes the dynamic accounts. `on_progress` is called, on
/// the calling task, as writes land (writes that land between two calls are reported
/// by the later one) and once at the end.
///
/// The windows are read by `options.workers` tasks spawned on the current runtime;
/// cancelling this call (dropping its future) cancels them, and the run stays
/// resumable.
///
/// # Errors
/// An API or database error (the run stays resumable: call again).
pub async fn backfill(
    client: &Client,
    mirror: &Mirror,
    options: &BackfillOptions,
    on_progress: &(dyn Fn(&BackfillProgress) + Send + Sync),
) -> Result<BackfillReport, SyncError> {
    let mut report = BackfillReport::default();
    let run = current_run(client, mirror, options, &mut report).await?;
    report.run_id = run.id;
    if !run.catalogue_done {
        report.products = backfill_catalogue(client, mirror, &mut report).await?;
        let sql = format!(
            "UPDATE {}.backfill_runs SET catalogue_done = true WHERE run_id = $1",
            mirror.quoted_schema()
        );
        exec(mirror, &sql, &[&run.id]).await?;
    }
    let fetched_at = OffsetDateTime::now_utc();
    report.api_calls += 1;
    let info = client.app_info().await?;
    mirror.write_app_balance(&info, fetched_at).await?;

    let tally = Arc::new(Tally {
        state: std::sync::Mutex::new(BackfillProgress {
            run_id: run.id,
            ..BackfillProgress::default()
        }),
        changed: tokio::sync::Notify::new(),
    });
    let shared = Arc::new(Shared {
        client: client.clone(),
        mirror: mirror.clone(),
        options: options.clone(),
        run: run.clone(),
        tally: Arc::clone(&tally),
        window_done: tokio::sync::Notify::new(),
    });
    // Each worker is a task of its own, so the work this process does per page
    // (decoding answers, making rows) runs on every thread of the runtime. Dropping
    // the set (this call cancelled) cancels them.
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.workers.clamp(1, MAX_WORKERS) {
        let worker = Worker {
            shared: Arc::clone(&shared),
            token: lease::token(),
            copy: AtomicBool::new(true),
        };
        workers.spawn(async move { worker.work().await });
    }
    loop {
        tokio::select! {
            () = tally.changed.notified() => on_progress(&tally.snapshot()),
            joined = workers.join_next() => match joined {
                None => break,
                Some(Ok(Ok(windows))) => report.windows += windows,
                Some(Ok(Err(error))) => return Err(error),
                Some(Err(failed)) if failed.is_panic() => {
                    std::panic::resume_unwind(failed.into_panic())
                }
                Some(Err(_)) => return Err(SyncError::Busy("a backfill worker was cancelled".into())),
            },
        }
    }
    let progress = tally.snapshot();
    on_progress(&progress);
    report.instances = progress.instances;
    report.orders = progress.orders;
    report.copied = progress.copied;
    report.api_calls += progress.api_calls;
    report.accounts = refresh_accounts(client, mirror, options, &mut report.api_calls).await?;
    exec(
        mirror,
        &format!(
            "UPDATE {}.backfill_runs SET accounts_done = true WHERE run_id = $1",
            mirror.quoted_schema()
        ),
        &[&run.id],
    )
    .await?;
    Ok(report)
}

async fn exec(
    mirror: &Mirror,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, SyncError> {
    let client = mirror.client().await?;
    client
        .execute(sql, params)
        .await
        .map_err(|e| SyncError::db("updating the backfill state", &e))
}

/// The unfinished run, or a new one anchored at the platform's newest record.
async fn current_run(
    client: &Client,
    mirror: &Mirror,
    options: &BackfillOptions,
    report: &mut BackfillReport,
) -> Result<Run, SyncError> {
    let s = mirror.quoted_schema();
    let select = format!(
        "SELECT run_id, extract(epoch FROM anchor)::bigint, window_seconds, \
         extract(epoch FROM since)::bigint, catalogue_done \
         FROM {s}.backfill_runs WHERE finished_at IS NULL ORDER BY run_id DESC LIMIT 1"
    );
    let read = |row: tokio_postgres::Row| -> Result<Run, SyncError> {
        let get = |e| SyncError::db("reading the backfill run", &e);
        Ok(Run {
            id: row.try_get(0).map_err(get)?,
            anchor: row.try_get(1).map_err(get)?,
            window: row.try_get(2).map_err(get)?,
            since: row.try_get(3).map_err(get)?,
            catalogue_done: row.try_get(4).map_err(get)?,
        })
    };
    {
        let db = mirror.client().await?;
        if let Some(row) = db
            .query_opt(&select, &[])
            .await
            .map_err(|e| SyncError::db("reading the backfill run", &e))?
        {
            return read(row);
        }
    }
    // A new run: anchor it past the platform's newest record (its clock may differ
    // from ours), so window 0 holds everything recent.
    let newest_order = client
        .orders(&OrdersRequest::default().with_page(1).with_page_size(1))
        .await?;
    let newest_instance = client
        .instance_list(
            &InstanceListRequest::default()
                .with_page(1)
                .with_page_size(1),
        )
        .await?;
    report.api_calls += 2;
    let mut anchor = OffsetDateTime::now_utc().unix_timestamp();
    for t in newest_order
        .list
        .iter()
        .filter_map(|o| o.created_at)
        .chain(newest_instance.list.iter().filter_map(|i| i.open_at))
    {
        anchor = anchor.max(t.unix_timestamp() + 1);
    }
    let window = i64::try_from(options.window.as_secs())
        .unwrap_or(i64::MAX)
        .clamp(60, 10 * 366 * 86_400);
    let since = options.since.map(OffsetDateTime::unix_timestamp);
    let mut db = mirror.client().await?;
    let tx = begin(&mut db).await?;
    // One run at a time: processes starting together agree on it.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[&format!("ipv-sync backfill {s}")],
    )
    .await
    .map_err(|e| SyncError::db("locking the backfill runs", &e))?;
    let row = match tx
        .query_opt(&select, &[])
        .await
        .map_err(|e| SyncError::db("reading the backfill run", &e))?
    {
        Some(row) => row,
        None => tx
            .query_one(
                &format!(
                    "INSERT INTO {s}.backfill_runs (anchor, window_seconds, since) \
                     VALUES (to_timestamp($1::bigint), $2, to_timestamp($3::bigint)) \
                     RETURNING run_id, extract(epoch FROM anchor)::bigint, window_seconds, \
                     extract(epoch FROM since)::bigint, catalogue_done"
                ),
                &[&anchor, &window, &since],
            )
            .await
            .map_err(|e| SyncError::db("starting a backfill run", &e))?,
    };
    commit(tx).await?;
    read(row)
}

async fn backfill_catalogue(
    client: &Client,
    mirror: &Mirror,
    report: &mut BackfillReport,
) -> Result<u64, SyncError> {
    let fetched_at = OffsetDateTime::now_utc();
    let request = ProductsRequest::of_types([
        ProxyType::StaticCloud,
        ProxyType::StaticResidentialCn,
        ProxyType::StaticResidentialAbroad,
        ProxyType::DynamicAbroad,
        ProxyType::DynamicCn,
        ProxyType::WhatsApp,
    ]);
    report.api_calls += 1;
    let products = client.products(&request).await?;
    mirror.write_products(&products, fetched_at).await
}

/// Claims the oldest-numbered unfinished window whose lease is free.
async fn claim(
    mirror: &Mirror,
    run: &Run,
    token: &str,
    lease_for: Duration,
) -> Result<Option<Claimed>, SyncError> {
    let s = mirror.quoted_schema();
    let sql = format!(
        "UPDATE {s}.backfill_windows AS w \
         SET lease_token = $2, lease_until = now() + $3::bigint * interval '1 millisecond' \
         WHERE w.run_id = $1 AND w.idx = (\
           SELECT idx FROM {s}.backfill_windows \
           WHERE run_id = $1 AND done_at IS NULL AND (lease_until IS NULL OR lease_until <= now()) \
           ORDER BY idx LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING w.idx, extract(epoch FROM w.starts_at)::bigint, extract(epoch FROM w.ends_at)::bigint, \
           w.instance_page, w.instances_done, w.order_page, w.orders_done"
    );
    let client = mirror.client().await?;
    let row = client
        .query_opt(&sql, &[&run.id, &token, &lease::millis(lease_for)])
        .await
        .map_err(|e| SyncError::db("claiming a window", &e))?;
    let Some(row) = row else { return Ok(None) };
    let get = |e| SyncError::db("reading a window", &e);
    Ok(Some(Claimed {
        idx: row.try_get(0).map_err(get)?,
        starts: row.try_get(1).map_err(get)?,
        ends: row.try_get(2).map_err(get)?,
        instance_page: row.try_get(3).map_err(get)?,
        instances_done: row.try_get(4).map_err(get)?,
        order_page: row.try_get(5).map_err(get)?,
        orders_done: row.try_get(6).map_err(get)?,
    }))
}

enum Step {
    Created,
    Wait(Duration),
    Finished,
}

fn bounds(run: &Run, idx: i32) -> (i64, Option<i64>) {
    let k = i64::from(idx);
    let mut starts = run.anchor - run.window.saturating_mul(k + 1);
    let ends = (k > 0).then(|| run.anchor - run.window.saturating_mul(k));
    if let Some(since) = run.since {
        starts = starts.max(since);
    }
    (starts, ends)
}

/// No window to claim: make the next one, wait for another process's, or finish.
async fn next_step(
    client: &Client,
    mirror: &Mirror,
    options: &BackfillOptions,
    run: &Run,
    calls: &mut u64,
) -> Result<Step, SyncError> {
    let s = mirror.quoted_schema();
    let state = format!(
        "SELECT r.last_window, \
           (SELECT max(idx) FROM {s}.backfill_windows WHERE run_id = r.run_id), \
           (SELECT count(*) FROM {s}.backfill_windows WHERE run_id = r.run_id AND done_at IS NULL), \
           (SELECT (extract(epoch FROM min(lease_until) - now()) * 1000)::bigint \
              FROM {s}.backfill_windows WHERE run_id = r.run_id AND done_at IS NULL) \
         FROM {s}.backfill_runs r WHERE r.run_id = $1"
    );
    let db = mirror.client().await?;
    let row = db
        .query_one(&state, &[&run.id])
        .await
        .map_err(|e| SyncError::db("reading the backfill state", &e))?;
    let get = |e| SyncError::db("reading the backfill state", &e);
    let last: Option<i32> = row.try_get(0).map_err(get)?;
    let max_idx: Option<i32> = row.try_get(1).map_err(get)?;
    let open: i64 = row.try_get(2).map_err(get)?;
    let lease_left: Option<i64> = row.try_get(3).map_err(get)?;
    let created_all = last.is_some_and(|l| max_idx.is_some_and(|m| m >= l));
    if created_all {
        if open == 0 {
            db.execute(
                &format!(
                    "UPDATE {s}.backfill_runs SET finished_at = now() \
                     WHERE run_id = $1 AND finished_at IS NULL"
                ),
                &[&run.id],
            )
            .await
            .map_err(|e| SyncError::db("finishing the backfill run", &e))?;
            return Ok(Step::Finished);
        }
        // Another process holds the rest (or held it and died): wait for its lease.
        let wait = lease_left.unwrap_or(100).clamp(20, 1_000);
        return Ok(Step::Wait(Duration::from_millis(wait.unsigned_abs())));
    }
    let next = max_idx.map_or(0, |m| m + 1);
    if let Some(previous) = next.checked_sub(1) {
        let (starts, _) = bounds(run, previous);
        let reached_since = run.since.is_some_and(|since| starts <= since);
        let empty_before =
            !reached_since && nothing_before(client, options, run, starts, calls).await?;
        if reached_since || empty_before {
            db.execute(
                &format!(
                    "UPDATE {s}.backfill_runs SET last_window = $2 \
                     WHERE run_id = $1 AND last_window IS NULL"
                ),
                &[&run.id, &previous],
            )
            .await
            .map_err(|e| SyncError::db("ending the windows", &e))?;
            return Ok(Step::Created);
        }
    }
    let (starts, ends) = bounds(run, next);
    db.execute(
        &format!(
            "INSERT INTO {s}.backfill_windows (run_id, idx, starts_at, ends_at) \
             VALUES ($1, $2, to_timestamp($3::bigint), to_timestamp($4::bigint)) \
             ON CONFLICT (run_id, idx) DO NOTHING"
        ),
        &[&run.id, &next, &starts, &ends],
    )
    .await
    .map_err(|e| SyncError::db("making a window", &e))?;
    Ok(Step::Created)
}

/// Whether the platform has no instance and no order at or before `before`.
async fn nothing_before(
    client: &Client,
    options: &BackfillOptions,
    run: &Run,
    before: i64,
    calls: &mut u64,
) -> Result<bool, SyncError> {
    let from = run
        .since
        .unwrap_or_else(|| options.floor.unix_timestamp())
        .min(before);
    let (start_time, end_time) = (query_time(from), query_time(before));
    *calls += 2;
    let instances = client
        .instance_list(
            &InstanceListRequest::default()
                .with_page(1)
                .with_page_size(1)
                .with_start_time(start_time)
                .with_end_time(end_time),
        )
        .await?;
    if !instances.list.is_empty() || instances.total > 0 {
        return Ok(false);
    }
    let orders = client
        .orders(
            &OrdersRequest::default()
                .with_page(1)
                .with_page_size(1)
                .with_start_time(start_time)
                .with_end_time(end_time),
        )
        .await?;
    Ok(orders.list.is_empty() && orders.total == 0)
}

fn more_after<T>(page: &Page<T>, size: u32) -> bool {
    let full = u32::try_from(page.list.len()).is_ok_and(|n| n >= size);
    page.has_more() || (page.total == 0 && full)
}

/// The progress of every worker of one call, reported after each page.
struct Tally {
    state: std::sync::Mutex<BackfillProgress>,
    /// Woken after each write; the call reports the progress as it finds it (several
    /// writes between two looks are one report).
    changed: tokio::sync::Notify,
}

impl Tally {
    fn snapshot(&self) -> BackfillProgress {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Adds calls made outside a page (window bounds, waiting).
    fn calls(&self, calls: u64) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.api_calls += calls;
    }

    /// Adds one write of pages (`written` rows, `copied` of them with `COPY`).
    fn page(&self, window: i32, kind: Kind, written: Written, calls: u64) {
        let Written {
            rows: written,
            copied,
        } = written;
        {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.window = window;
            state.api_calls += calls;
            state.copied += copied;
            match kind {
                Kind::Instances => state.instances += written,
                Kind::Orders => state.orders += written,
            }
        }
        self.changed.notify_one();
    }
}

/// What every worker of one call reads with and reports to.
struct Shared {
    client: Client,
    mirror: Mirror,
    options: BackfillOptions,
    run: Run,
    tally: Arc<Tally>,
    /// Told when one of this call's workers is done with a window, so one that found
    /// nothing left to claim and waits for the others' leases can look again at once.
    window_done: tokio::sync::Notify,
}

/// One reader of windows, and the lease token it claims with (each worker has its
/// own, so a window taken over from one is not mistaken for another's).
struct Worker {
    shared: Arc<Shared>,
    token: String,
    /// Whether the window being read has found only rows the mirror did not hold, so
    /// far: its next run of pages is tried with `COPY` ([`Batch::CopyIfNew`]). The
    /// first run that finds a row already there turns it off for the rest of the
    /// window (a resumed or repeated backfill), so each window wastes at most one try.
    copy: AtomicBool,
}

/// What one write of a run of pages wrote.
#[derive(Debug, Clone, Copy, Default)]
struct Written {
    rows: u64,
    copied: u64,
}

/// One page fetched and not yet written: its rows, whether more pages follow, and
/// when it was fetched (the stamp its rows are written with).
struct Fetched {
    rows: Rows,
    more: bool,
    fetched_at: OffsetDateTime,
}

enum Rows {
    Instances(Vec<Instance>),
    Orders(Vec<OrderItem>),
}

impl Worker {
    /// Claims and reads windows until every window of the run is done; returns how
    /// many it read.
    async fn work(&self) -> Result<u64, SyncError> {
        let Shared {
            client,
            mirror,
            options,
            run,
            tally,
            window_done,
        } = &*self.shared;
        let mut windows = 0;
        loop {
            // Listening from before the state is read: a sibling finishing meanwhile
            // still wakes the wait below.
            let sibling_done = window_done.notified();
            tokio::pin!(sibling_done);
            sibling_done.as_mut().enable();
            if let Some(window) = claim(mirror, run, &self.token, options.lease).await? {
                self.copy.store(true, Ordering::Relaxed);
                self.read_window(window, tally).await?;
                windows += 1;
                window_done.notify_waiters();
                continue;
            }
            let mut calls = 0;
            let step = next_step(client, mirror, options, run, &mut calls).await;
            tally.calls(calls);
            match step? {
                Step::Created => {}
                // Windows still open are another worker's: this call's own wake this
                // one when they finish; another process's are polled.
                Step::Wait(d) => {
                    tokio::select! {
                        () = tokio::time::sleep(d) => {}
                        () = sibling_done => {}
                    }
                }
                Step::Finished => return Ok(windows),
            }
        }
    }

    /// Reads one claimed window, instances then orders, from its cursor, a run of
    /// pages at a time (`pages_per_write`).
    ///
    /// The next run is fetched while the current one is written, so the platform and
    /// the database work at the same time; at most two runs of pages are held, whatever
    /// the size of the window. A run's rows and the cursor past it commit together.
    async fn read_window(&self, window: Claimed, tally: &Tally) -> Result<(), SyncError> {
        let s = self.shared.mirror.quoted_schema();
        let per_write = self
            .shared
            .options
            .pages_per_write
            .clamp(1, MAX_PAGES_PER_WRITE);
        for (kind, first_page, done) in [
            (Kind::Instances, window.instance_page, window.instances_done),
            (Kind::Orders, window.order_page, window.orders_done),
        ] {
            if done {
                continue;
            }
            let mut page = first_page.max(1);
            let mut current = self.fetch_run(&window, kind, page, per_write).await?;
            loop {
                let calls = current.len() as u64;
                let after = page + i32::try_from(current.len()).unwrap_or(i32::MAX);
                let more = current.last().is_some_and(|f| f.more);
                let prefetch = async {
                    if more {
                        self.fetch_run(&window, kind, after, per_write)
                            .await
                            .map(Some)
                    } else {
                        Ok(None)
                    }
                };
                let (written, next) =
                    tokio::try_join!(self.write(&window, kind, after, current), prefetch)?;
                tally.page(window.idx, kind, written, calls);
                let Some(next) = next else { break };
                current = next;
                page = after;
            }
        }
        exec(
            &self.shared.mirror,
            &format!(
                "UPDATE {s}.backfill_windows SET done_at = now(), lease_token = NULL, lease_until = NULL \
                 WHERE run_id = $1 AND idx = $2 AND lease_token = $3"
            ),
            &[&self.shared.run.id, &window.idx, &self.token],
        )
        .await?;
        Ok(())
    }

    /// Fetches one page of a window.
    async fn fetch(&self, window: &Claimed, kind: Kind, page: i32) -> Result<Fetched, SyncError> {
        let (start_time, end_time) = (query_time(window.starts), window.ends.and_then(query_time));
        let size = self.shared.options.page_size.clamp(1, 100);
        let page_no = u32::try_from(page).unwrap_or(1);
        let fetched_at = OffsetDateTime::now_utc();
        let (rows, more) = match kind {
            Kind::Instances => {
                let got = self
                    .shared
                    .client
                    .instance_list(
                        &InstanceListRequest::default()
                            .with_page(page_no)
                            .with_page_size(size)
                            .with_start_time(start_time)
                            .with_end_time(end_time),
                    )
                    .await?;
                let more = more_after(&got, size);
                (Rows::Instances(got.list), more)
            }
            Kind::Orders => {
                let got = self
                    .shared
                    .client
                    .orders(
                        &OrdersRequest::default()
                            .with_page(page_no)
                            .with_page_size(size)
                            .with_start_time(start_time)
                            .with_end_time(end_time),
                    )
                    .await?;
                let more = more_after(&got, size);
                (Rows::Orders(got.list), more)
            }
        };
        Ok(Fetched {
            rows,
            more,
            fetched_at,
        })
    }

    /// Fetches up to `pages` pages from `first`, stopping after the last page.
    async fn fetch_run(
        &self,
        window: &Claimed,
        kind: Kind,
        first: i32,
        pages: usize,
    ) -> Result<Vec<Fetched>, SyncError> {
        let mut run = Vec::with_capacity(pages);
        loop {
            let at = first + i32::try_from(run.len()).unwrap_or(i32::MAX);
            let page = self.fetch(window, kind, at).await?;
            let more = page.more;
            run.push(page);
            if !more || run.len() >= pages {
                return Ok(run);
            }
        }
    }

    /// Writes a run of fetched pages (each row stamped with its page's fetch time) and
    /// moves the window's cursor to `next_page` in one transaction; returns how many
    /// rows it wrote, and how many of them with `COPY`.
    async fn write(
        &self,
        window: &Claimed,
        kind: Kind,
        next_page: i32,
        run: Vec<Fetched>,
    ) -> Result<Written, SyncError> {
        let done = !run.last().is_some_and(|f| f.more);
        let mut db = self.shared.mirror.client().await?;
        let tx = begin(&mut db).await?;
        let mut written = Written::default();
        if self.copy.load(Ordering::Relaxed) {
            match self.write_rows(&tx, kind, &run, Batch::CopyIfNew).await? {
                Some(rows) => written = Written { rows, copied: rows },
                None => self.copy.store(false, Ordering::Relaxed),
            }
        }
        if !self.copy.load(Ordering::Relaxed) {
            written.rows = self
                .write_rows(&tx, kind, &run, Batch::Upsert)
                .await?
                .unwrap_or_default();
        }
        self.advance(tx, window.idx, kind, next_page, done, written.rows)
            .await?;
        Ok(written)
    }

    /// Writes a run's rows in `tx` ([`Mirror::instance_pages`]).
    async fn write_rows(
        &self,
        tx: &Transaction<'_>,
        kind: Kind,
        run: &[Fetched],
        how: Batch,
    ) -> Result<Option<u64>, SyncError> {
        match kind {
            Kind::Instances => {
                let pages: Vec<(&[Instance], OffsetDateTime)> = run
                    .iter()
                    .filter_map(|f| match &f.rows {
                        Rows::Instances(list) => Some((list.as_slice(), f.fetched_at)),
                        Rows::Orders(_) => None,
                    })
                    .collect();
                self.shared.mirror.instance_pages(tx, &pages, how).await
            }
            Kind::Orders => {
                let pages: Vec<(&[OrderItem], OffsetDateTime)> = run
                    .iter()
                    .filter_map(|f| match &f.rows {
                        Rows::Orders(list) => Some((list.as_slice(), f.fetched_at)),
                        Rows::Instances(_) => None,
                    })
                    .collect();
                self.shared.mirror.order_item_pages(tx, &pages, how).await
            }
        }
    }

    /// Moves the window's cursor past the pages, in their transaction, if the lease is
    /// still ours; otherwise their rows are rolled back (another process has the window
    /// now).
    async fn advance(
        &self,
        tx: Transaction<'_>,
        idx: i32,
        kind: Kind,
        next_page: i32,
        done: bool,
        written: u64,
    ) -> Result<(), SyncError> {
        let (page_col, done_col) = match kind {
            Kind::Instances => ("instance_page", "instances_done"),
            Kind::Orders => ("order_page", "orders_done"),
        };
        let advance = format!(
            "UPDATE {s}.backfill_windows SET {page_col} = $4, {done_col} = $5, items = items + $6, \
             lease_until = now() + $7::bigint * interval '1 millisecond' \
             WHERE run_id = $1 AND idx = $2 AND lease_token = $3 RETURNING 1",
            s = self.shared.mirror.quoted_schema()
        );
        let items = i64::try_from(written).unwrap_or(i64::MAX);
        let ours = tx
            .query_opt(
                &advance,
                &[
                    &self.shared.run.id,
                    &idx,
                    &self.token,
                    &next_page,
                    &done,
                    &items,
                    &lease::millis(self.shared.options.lease),
                ],
            )
            .await
            .map_err(|e| SyncError::db("advancing the cursor", &e))?;
        if ours.is_none() {
            return Err(SyncError::Busy(format!(
                "window {idx} was taken over by another process (our lease ran out)"
            )));
        }
        commit(tx).await
    }
}

/// Refreshes the named dynamic accounts (and those already mirrored) and the proxy
/// users; returns how many accounts had balances.
pub(crate) async fn refresh_accounts(
    client: &Client,
    mirror: &Mirror,
    options: &BackfillOptions,
    api_calls: &mut u64,
) -> Result<u64, SyncError> {
    let s = mirror.quoted_schema();
    let db = mirror.client().await?;
    let mut names: Vec<String> = db
        .query(
            &format!("SELECT app_username FROM {s}.main_users ORDER BY 1"),
            &[],
        )
        .await
        .map_err(|e| SyncError::db("reading main accounts", &e))?
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        .collect();
    names.extend(options.accounts.iter().cloned());
    names.sort();
    names.dedup();
    let products: Vec<(String, i32)> = db
        .query(
            &format!("SELECT product_no, proxy_type FROM {s}.products WHERE proxy_type IN (104, 105) ORDER BY 1"),
            &[],
        )
        .await
        .map_err(|e| SyncError::db("reading dynamic products", &e))?
        .iter()
        .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
        .collect();
    let mut users: Vec<(String, String)> = db
        .query(
            &format!("SELECT product_no, app_username FROM {s}.proxy_users"),
            &[],
        )
        .await
        .map_err(|e| SyncError::db("reading proxy users", &e))?
        .iter()
        .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
        .collect();
    drop(db);
    users.extend(options.proxy_users.iter().cloned());
    users.sort();
    users.dedup();
    let mut refreshed = 0;
    for name in &names {
        let mut items = Vec::new();
        let fetched_at = OffsetDateTime::now_utc();
        for (product_no, proxy_type) in &products {
            let request = ProxyBalanceRequest::for_app_user(
                name.clone(),
                ProxyType::from_i64(i64::from(*proxy_type)),
                product_no.clone(),
            );
            *api_calls += 1;
            match client.proxy_balance(&request).await {
                Ok(balance) => items.extend(balance.list),
                // The account holds nothing of this product (or does not exist).
                Err(err) if err.api_code().is_some() => {}
                Err(err) => return Err(err.into()),
            }
        }
        mirror
            .write_account_balances(name, &items, fetched_at)
            .await?;
        refreshed += 1;
    }
    let mut found = Vec::new();
    let fetched_at = OffsetDateTime::now_utc();
    for (product_no, app_username) in users {
        *api_calls += 1;
        match client
            .proxy_user(&ProxyUserRequest::new(product_no, app_username))
            .await
        {
            Ok(user) => found.push(user),
            Err(err) if err.api_code().is_some() => {}
            Err(err) => return Err(err.into()),
        }
    }
    mirror.write_proxy_users(&found, fetched_at).await?;
    Ok(refreshed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(since: Option<i64>) -> Run {
        Run {
            id: 1,
            anchor: 1_000_000,
            window: 100,
            since,
            catalogue_done: false,
        }
    }

    #[test]
    fn windows_tile_time_back_from_the_anchor_with_no_gap() {
        let r = run(None);
        assert_eq!(
            bounds(&r, 0),
            (999_900, None),
            "the newest window is open-ended"
        );
        for k in 1..50 {
            let (starts, ends) = bounds(&r, k);
            let (newer_starts, _) = bounds(&r, k - 1);
            // Each window ends where the newer one starts (that second is read twice).
            assert_eq!(ends, Some(newer_starts));
            assert_eq!(newer_starts - starts, 100);
        }
    }

    #[test]
    fn workers_and_pages_per_write_are_bounded() {
        let options = BackfillOptions::default()
            .workers(10_000)
            .pages_per_write(10_000);
        assert_eq!(options.workers, MAX_WORKERS);
        assert_eq!(options.pages_per_write, MAX_PAGES_PER_WRITE);
        let options = BackfillOptions::default().workers(0).pages_per_write(0);
        assert_eq!((options.workers, options.pages_per_write), (1, 1));
        let defaults = BackfillOptions::default();
        assert_eq!((defaults.workers, defaults.pages_per_write), (4, 5));
    }

    #[test]
    fn since_clamps_the_oldest_window() {
        let r = run(Some(999_850));
        assert_eq!(bounds(&r, 0), (999_900, None));
        assert_eq!(bounds(&r, 1), (999_850, Some(999_900)));
    }

    #[test]
    fn a_full_page_without_a_total_means_more() {
        let full = {
            let mut page = Page::default();
            page.list = vec![1; 100];
            page
        };
        assert!(more_after(&full, 100));
        let short = {
            let mut page = Page::default();
            page.list = vec![1; 99];
            page
        };
        assert!(!more_after(&short, 100));
        let last = {
            let mut built_page = Page::default();
            built_page.page = 2;
            built_page.page_size = 100;
            built_page.total = 200;
            built_page.cur_page = 2;
            built_page.list = vec![1; 100];
            built_page
        };
        assert!(!more_after(&last, 100));
    }
}
