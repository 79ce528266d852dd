//! Revalidation: re-fetching what changes without a callback, and counting the drift.

use std::time::Duration;

use ipv_api::Client;
use ipv_api::callback::Refetched;
use ipv_types::time::QueryTime;
use ipv_types::{
    ApiCode, Callback, Instance, InstanceListRequest, InstancesRequest, OrderType, OrdersRequest,
};
use time::OffsetDateTime;

use crate::mirror::{begin, commit};
use crate::{Mirror, SyncError, lease};

/// The lease name of a revalidation pass (one at a time across processes).
const LEASE: &str = "revalidate";

/// What a revalidation pass looks at.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RevalidateOptions {
    /// Live instances expiring within this long (or already past it) are re-fetched
    /// (default 7 days). The platform's clock decides expiry; a large horizon checks
    /// every live instance.
    pub horizon: Duration,
    /// Instances per `instance` call (1 to 100, default 100).
    pub batch: usize,
    /// How long the pass's lease lasts (default 10 minutes); another process may start
    /// a pass once it runs out.
    pub lease: Duration,
}

impl Default for RevalidateOptions {
    fn default() -> Self {
        Self {
            horizon: Duration::from_secs(7 * 86_400),
            batch: 100,
            lease: Duration::from_secs(600),
        }
    }
}

impl RevalidateOptions {
    /// Sets the expiry horizon.
    #[must_use]
    pub fn horizon(mut self, horizon: Duration) -> Self {
        self.horizon = horizon;
        self
    }

    /// Sets the batch size (clamped to 1..=100).
    #[must_use]
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.clamp(1, 100);
        self
    }
}

/// What one pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevalidationReport {
    /// The pass's row in `revalidations`.
    pub id: i64,
    /// Instances re-fetched.
    pub instances_checked: u64,
    /// Orders re-fetched.
    pub orders_checked: u64,
    /// Instances the mirror did not hold as they are (changed without a callback, or
    /// missing).
    pub drift_instances: u64,
    /// Orders the mirror did not hold as they are.
    pub drift_orders: u64,
    /// Whether the balance differed from the last one recorded.
    pub drift_balance: bool,
    /// API calls made.
    pub api_calls: u64,
}

impl RevalidationReport {
    /// Everything that drifted.
    #[must_use]
    pub fn drift(&self) -> u64 {
        self.drift_instances + self.drift_orders + u64::from(self.drift_balance)
    }
}

/// Runs one revalidation pass: what was bought since the newest mirrored row, instances
/// near or past expiry (in batches through the multi-number `instance` endpoint), orders
/// not final, the mirrored dynamic accounts and proxy users, the balance. Only one pass
/// runs at a time across processes: [`SyncError::Busy`] when another holds the lease.
///
/// # Errors
/// Busy, or an API or database error (the pass is recorded with the error).
pub async fn revalidate(
    client: &Client,
    mirror: &Mirror,
    options: &RevalidateOptions,
) -> Result<RevalidationReport, SyncError> {
    let token = lease::token();
    if !lease::take(mirror, LEASE, &token, options.lease).await? {
        return Err(SyncError::Busy(
            "another process is revalidating".to_owned(),
        ));
    }
    let s = mirror.quoted_schema();
    let id: i64 = {
        let db = mirror.client().await?;
        db.query_one(
            &format!("INSERT INTO {s}.revalidations DEFAULT VALUES RETURNING id"),
            &[],
        )
        .await
        .map_err(|e| SyncError::db("recording a revalidation", &e))?
        .try_get(0)
        .map_err(|e| SyncError::db("recording a revalidation", &e))?
    };
    let mut report = RevalidationReport {
        id,
        ..RevalidationReport::default()
    };
    let outcome = pass(client, mirror, options, &mut report).await;
    let error = outcome.as_ref().err().map(ToString::to_string);
    let record = async {
        let db = mirror.client().await?;
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        db.execute(
            &format!(
                "UPDATE {s}.revalidations SET finished_at = now(), instances_checked = $2, \
                 orders_checked = $3, drift_instances = $4, drift_orders = $5, \
                 drift_balance = $6, error = $7 WHERE id = $1"
            ),
            &[
                &id,
                &as_i64(report.instances_checked),
                &as_i64(report.orders_checked),
                &as_i64(report.drift_instances),
                &as_i64(report.drift_orders),
                &report.drift_balance,
                &error,
            ],
        )
        .await
        .map_err(|e| SyncError::db("recording a revalidation", &e))?;
        Ok::<(), SyncError>(())
    }
    .await;
    let _ = lease::release(mirror, LEASE, &token).await;
    outcome?;
    record?;
    Ok(report)
}

async fn pass(
    client: &Client,
    mirror: &Mirror,
    options: &RevalidateOptions,
    report: &mut RevalidationReport,
) -> Result<(), SyncError> {
    let s = mirror.quoted_schema();
    let horizon_secs = i64::try_from(options.horizon.as_secs()).unwrap_or(i64::MAX / 2);
    // Rows written from here on are fresh already: the keyset walk below skips them.
    let pass_start = crate::rows::stamp(OffsetDateTime::now_utc())
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let orders: Vec<String> = {
        let db = mirror.client().await?;
        db.query(
            &format!(
                "SELECT order_no FROM {s}.orders WHERE status IS NULL OR status IN (1, 2) \
                 ORDER BY order_no LIMIT 10000"
            ),
            &[],
        )
        .await
        .map_err(|e| SyncError::db("choosing orders", &e))?
        .iter()
        .filter_map(|r| r.try_get(0).ok())
        .collect()
    };
    recent_lists(client, mirror, report).await?;
    // Live instances near or past expiry, a thousand numbers at a time (memory stays
    // flat however many there are), each hundred in one `instance` call.
    let choose = format!(
        "SELECT instance_no FROM {s}.instances WHERE coalesce(status, 0) NOT IN (10, 11) \
         AND (user_expired IS NULL OR user_expired < now() + $1::bigint * interval '1 second') \
         AND fetched_at < $2::text::timestamptz AND instance_no > $3 \
         ORDER BY instance_no LIMIT 1000"
    );
    let mut after = String::new();
    loop {
        let numbers: Vec<String> = {
            let db = mirror.client().await?;
            db.query(&choose, &[&horizon_secs, &pass_start, &after])
                .await
                .map_err(|e| SyncError::db("choosing instances", &e))?
                .iter()
                .filter_map(|r| r.try_get(0).ok())
                .collect()
        };
        let Some(last) = numbers.last() else { break };
        after = last.clone();
        for chunk in numbers.chunks(options.batch.clamp(1, 100)) {
            let fetched_at = OffsetDateTime::now_utc();
            let found = fetch_instances(client, chunk, report).await?;
            let mut db = mirror.client().await?;
            let tx = begin(&mut db).await?;
            let drift = mirror.instance_drift(&tx, &found).await?;
            mirror.instances_in(&tx, &found, fetched_at).await?;
            commit(tx).await?;
            report.instances_checked += found.len() as u64;
            report.drift_instances += drift.unsigned_abs();
        }
    }
    for order_no in orders {
        let fetched_at = OffsetDateTime::now_utc();
        report.api_calls += 1;
        let callback = Callback::order(order_no, OrderType::New);
        let Some(Refetched::Order(order)) = client.refetch(&callback).await? else {
            continue;
        };
        let mut db = mirror.client().await?;
        let tx = begin(&mut db).await?;
        let drift = mirror.order_drift(&tx, &order).await?;
        let before = mirror.instance_drift(&tx, &order.instances).await?;
        mirror.order_in(&tx, &order, fetched_at).await?;
        commit(tx).await?;
        report.orders_checked += 1;
        report.drift_orders += drift.unsigned_abs();
        report.drift_instances += before.unsigned_abs();
    }
    // The dynamic accounts' flow moves with use, which no callback announces.
    crate::backfill::refresh_accounts(
        client,
        mirror,
        &crate::BackfillOptions::default(),
        &mut report.api_calls,
    )
    .await?;
    let fetched_at = OffsetDateTime::now_utc();
    report.api_calls += 1;
    let info = client.app_info().await?;
    let last: Option<String> = {
        let db = mirror.client().await?;
        db.query_opt(
            &format!("SELECT coin::text FROM {s}.balance_history ORDER BY fetched_at DESC LIMIT 1"),
            &[],
        )
        .await
        .map_err(|e| SyncError::db("reading the balance", &e))?
        .and_then(|r| r.try_get(0).ok())
    };
    report.drift_balance =
        last.is_none_or(|coin| coin.parse::<ipv_types::Money>().ok() != Some(info.coin));
    mirror.write_app_balance(&info, fetched_at).await?;
    Ok(())
}

/// Reads the order and instance lists from a day before the newest row the mirror
/// holds: what was bought since, even if its callback never came (the first backfill
/// fills an empty mirror; this keeps it complete).
async fn recent_lists(
    client: &Client,
    mirror: &Mirror,
    report: &mut RevalidationReport,
) -> Result<(), SyncError> {
    let s = mirror.quoted_schema();
    let (newest_order, newest_instance): (Option<i64>, Option<i64>) = {
        let db = mirror.client().await?;
        let row = db
            .query_one(
                &format!(
                    "SELECT (SELECT extract(epoch FROM max(created_at))::bigint FROM {s}.orders), \
                     (SELECT extract(epoch FROM max(open_at))::bigint FROM {s}.instances)"
                ),
                &[],
            )
            .await
            .map_err(|e| SyncError::db("reading the newest rows", &e))?;
        (
            row.try_get(0).map_err(|e| SyncError::db("reading", &e))?,
            row.try_get(1).map_err(|e| SyncError::db("reading", &e))?,
        )
    };
    let from = |t: i64| {
        OffsetDateTime::from_unix_timestamp(t - 86_400)
            .ok()
            .map(QueryTime::from_offset_date_time)
    };
    if let Some(start_time) = newest_instance.and_then(from) {
        for page in 1u32.. {
            let fetched_at = OffsetDateTime::now_utc();
            report.api_calls += 1;
            let got = client
                .instance_list(
                    &InstanceListRequest::default()
                        .with_page(page)
                        .with_page_size(100)
                        .with_start_time(start_time),
                )
                .await?;
            let mut db = mirror.client().await?;
            let tx = begin(&mut db).await?;
            let drift = mirror.instance_drift(&tx, &got.list).await?;
            mirror.instances_in(&tx, &got.list, fetched_at).await?;
            commit(tx).await?;
            report.instances_checked += got.list.len() as u64;
            report.drift_instances += drift.unsigned_abs();
            if !got.has_more() {
                break;
            }
        }
    }
    if let Some(start_time) = newest_order.and_then(from) {
        for page in 1u32.. {
            let fetched_at = OffsetDateTime::now_utc();
            report.api_calls += 1;
            let got = client
                .orders(
                    &OrdersRequest::default()
                        .with_page(page)
                        .with_page_size(100)
                        .with_start_time(start_time),
                )
                .await?;
            let mut db = mirror.client().await?;
            let tx = begin(&mut db).await?;
            let drift = mirror.order_item_drift(&tx, &got.list).await?;
            mirror.order_items_in(&tx, &got.list, fetched_at).await?;
            commit(tx).await?;
            report.orders_checked += got.list.len() as u64;
            report.drift_orders += drift.unsigned_abs();
            if !got.has_more() {
                break;
            }
        }
    }
    Ok(())
}

/// The instances of `chunk` that exist, in one call (or one by one when some are gone:
/// the platform refuses the whole batch for one unknown number).
async fn fetch_instances(
    client: &Client,
    chunk: &[String],
    report: &mut RevalidationReport,
) -> Result<Vec<Instance>, SyncError> {
    report.api_calls += 1;
    match client
        .instances(&InstancesRequest::new(chunk.iter().cloned()))
        .await
    {
        Ok(found) => Ok(found),
        Err(err) if err.api_code() == Some(ApiCode::InstanceNotFound) => {
            let mut found = Vec::new();
            for no in chunk {
                report.api_calls += 1;
                match client.instances(&InstancesRequest::new([no.clone()])).await {
                    Ok(mut one) => found.append(&mut one),
                    Err(err) if err.api_code() == Some(ApiCode::InstanceNotFound) => {}
                    Err(err) => return Err(err.into()),
                }
            }
            Ok(found)
        }
        Err(err) => Err(err.into()),
    }
}
