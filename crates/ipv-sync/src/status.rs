//! `status`: what the mirror holds and where its engine is.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{Mirror, SyncError};

/// The tables whose rows [`status`] counts.
pub(crate) const TABLES: [&str; 7] = [
    "orders",
    "instances",
    "products",
    "main_users",
    "main_user_balances",
    "proxy_users",
    "balance_history",
];

/// The latest backfill run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BackfillCursor {
    /// The run.
    pub run_id: i64,
    /// Its anchor (RFC 3339).
    pub anchor: String,
    /// Windows made so far.
    pub windows: i64,
    /// Windows finished.
    pub windows_done: i64,
    /// The oldest window's start (RFC 3339), if any.
    pub oldest_window_start: Option<String>,
    /// Whether the run has finished.
    pub finished: bool,
}

/// The last revalidation pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LastRevalidation {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it finished, if it did.
    pub finished_at: Option<String>,
    /// Instances re-fetched.
    pub instances_checked: i64,
    /// Orders re-fetched.
    pub orders_checked: i64,
    /// Instances that drifted.
    pub drift_instances: i64,
    /// Orders that drifted.
    pub drift_orders: i64,
    /// Whether the balance drifted.
    pub drift_balance: bool,
    /// Its error, if it failed.
    pub error: Option<String>,
}

/// What `ipv sync status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// The schema.
    pub schema: String,
    /// The schema's migration version (0: not migrated).
    pub version: i32,
    /// Rows per table.
    pub rows: BTreeMap<String, i64>,
    /// The latest backfill run.
    pub backfill: Option<BackfillCursor>,
    /// The last callback handled (type, no, key, rows, fetched_at).
    pub last_callback: Option<Value>,
    /// When it was handled (RFC 3339).
    pub last_callback_at: Option<String>,
    /// The last revalidation.
    pub last_revalidation: Option<LastRevalidation>,
}

const TS: &str = "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"";

/// Reads the mirror's status (an unmigrated schema reports version 0 and no rows).
///
/// # Errors
/// A database error.
pub async fn status(mirror: &Mirror) -> Result<Status, SyncError> {
    let s = mirror.quoted_schema();
    let db = mirror.client().await?;
    let err = |e: tokio_postgres::Error| SyncError::db("reading the status", &e);
    let exists: bool = db
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{s}.schema_migrations")],
        )
        .await
        .map_err(err)?
        .try_get(0)
        .map_err(err)?;
    let mut status = Status {
        schema: mirror.schema().to_owned(),
        version: 0,
        rows: BTreeMap::new(),
        backfill: None,
        last_callback: None,
        last_callback_at: None,
        last_revalidation: None,
    };
    if !exists {
        return Ok(status);
    }
    status.version = db
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {s}.schema_migrations"),
            &[],
        )
        .await
        .map_err(err)?
        .try_get(0)
        .map_err(err)?;
    if status.version == 0 {
        return Ok(status);
    }
    for table in TABLES {
        let n: i64 = db
            .query_one(&format!("SELECT count(*) FROM {s}.{table}"), &[])
            .await
            .map_err(err)?
            .try_get(0)
            .map_err(err)?;
        status.rows.insert(table.to_owned(), n);
    }
    let utc = |col: &str| format!("to_char({col} AT TIME ZONE 'UTC', '{TS}')");
    if let Some(row) = db
        .query_opt(
            &format!(
                "SELECT r.run_id, {anchor}, \
                 (SELECT count(*) FROM {s}.backfill_windows w WHERE w.run_id = r.run_id), \
                 (SELECT count(*) FROM {s}.backfill_windows w WHERE w.run_id = r.run_id AND w.done_at IS NOT NULL), \
                 (SELECT {oldest} FROM {s}.backfill_windows w WHERE w.run_id = r.run_id), \
                 r.finished_at IS NOT NULL \
                 FROM {s}.backfill_runs r ORDER BY r.run_id DESC LIMIT 1",
                anchor = utc("r.anchor"),
                oldest = utc("min(w.starts_at)"),
            ),
            &[],
        )
        .await
        .map_err(err)?
    {
        status.backfill = Some(BackfillCursor {
            run_id: row.try_get(0).map_err(err)?,
            anchor: row.try_get(1).map_err(err)?,
            windows: row.try_get(2).map_err(err)?,
            windows_done: row.try_get(3).map_err(err)?,
            oldest_window_start: row.try_get(4).map_err(err)?,
            finished: row.try_get(5).map_err(err)?,
        });
    }
    if let Some(row) = db
        .query_opt(
            &format!(
                "SELECT value::text, {at} FROM {s}.engine_state WHERE name = 'last_callback'",
                at = utc("updated_at")
            ),
            &[],
        )
        .await
        .map_err(err)?
    {
        let text: String = row.try_get(0).map_err(err)?;
        status.last_callback = serde_json::from_str(&text).ok();
        status.last_callback_at = row.try_get(1).map_err(err)?;
    }
    if let Some(row) = db
        .query_opt(
            &format!(
                "SELECT {started}, {finished}, instances_checked, orders_checked, \
                 drift_instances, drift_orders, drift_balance, error \
                 FROM {s}.revalidations ORDER BY id DESC LIMIT 1",
                started = utc("started_at"),
                finished = utc("finished_at"),
            ),
            &[],
        )
        .await
        .map_err(err)?
    {
        status.last_revalidation = Some(LastRevalidation {
            started_at: row.try_get(0).map_err(err)?,
            finished_at: row.try_get(1).map_err(err)?,
            instances_checked: row.try_get(2).map_err(err)?,
            orders_checked: row.try_get(3).map_err(err)?,
            drift_instances: row.try_get(4).map_err(err)?,
            drift_orders: row.try_get(5).map_err(err)?,
            drift_balance: row.try_get(6).map_err(err)?,
            error: row.try_get(7).map_err(err)?,
        });
    }
    Ok(status)
}
