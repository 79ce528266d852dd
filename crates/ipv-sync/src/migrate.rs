//! The schema, as versioned migrations embedded in the crate, and the runner that
//! applies them under an advisory lock.
//!
//! Each migration is SQL with `{s}` standing for the quoted schema name. The runner
//! takes `pg_advisory_lock` on a key derived from the schema's name, so processes that
//! start together apply each migration once, in order, and the others wait and then
//! find nothing to do. Each migration runs in its own transaction with its row in
//! `schema_migrations`.

use deadpool_postgres::Pool;

use crate::SyncError;

/// One migration: its version, a short name and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Increasing from 1; never reused.
    pub version: i32,
    /// What it does, in a few words.
    pub name: &'static str,
    sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "mirror tables and engine state",
        sql: V1,
    },
    Migration {
        version: 2,
        name: "instance rows sent as one array of records",
        sql: V2,
    },
    Migration {
        version: 3,
        name: "order rows sent as one array of records",
        sql: V3,
    },
];

const V1: &str = r#"
CREATE TABLE {s}.orders (
    order_no       text PRIMARY KEY,
    app_order_no   text NOT NULL DEFAULT '',
    type           integer,
    type_name      text,
    status         integer,
    status_name    text,
    count          bigint,
    success_count  bigint,
    amount         numeric,
    refund         bigint,
    city_code      text,
    instance_no    text,
    ext_band_width bigint,
    flow           bigint,
    created_at     timestamptz,
    raw            jsonb NOT NULL,
    fetched_at     timestamptz NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_app_order_no ON {s}.orders (app_order_no);
CREATE INDEX orders_created_at ON {s}.orders (created_at);
CREATE INDEX orders_not_final ON {s}.orders (status) WHERE status IN (1, 2);

CREATE TABLE {s}.instances (
    instance_no     text PRIMARY KEY,
    order_no        text NOT NULL DEFAULT '',
    product_no      text NOT NULL DEFAULT '',
    proxy_type      integer,
    proxy_type_name text,
    protocol        text,
    ip              text,
    port            integer,
    region_id       text,
    country_code    text,
    city_code       text,
    use_type        text,
    username        text,
    pwd             text,
    user_expired    timestamptz,
    flow_total      numeric,
    flow_balance    numeric,
    status          integer,
    status_name     text,
    renew           boolean,
    open_at         timestamptz,
    renew_at        timestamptz,
    release_at      timestamptz,
    extend_ip       text,
    raw             jsonb NOT NULL,
    fetched_at      timestamptz NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instances_order_no ON {s}.instances (order_no);
CREATE INDEX instances_user_expired ON {s}.instances (user_expired);
CREATE INDEX instances_ip ON {s}.instances (ip);

CREATE TABLE {s}.products (
    product_no      text PRIMARY KEY,
    product_name    text,
    proxy_type      integer,
    proxy_type_name text,
    cost_price      numeric,
    inventory       bigint,
    enable          integer,
    duration        bigint,
    unit            integer,
    unit_name       text,
    country_code    text,
    city_code       text,
    raw             jsonb NOT NULL,
    fetched_at      timestamptz NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {s}.main_users (
    app_username  text PRIMARY KEY,
    named_at      timestamptz NOT NULL DEFAULT now(),
    fetched_at    timestamptz
);

CREATE TABLE {s}.main_user_balances (
    app_username  text NOT NULL,
    product_no    text NOT NULL,
    used          numeric,
    total         numeric,
    balance       numeric,
    ip_used       bigint,
    ip_total      bigint,
    raw           jsonb NOT NULL,
    fetched_at    timestamptz NOT NULL,
    PRIMARY KEY (app_username, product_no)
);

CREATE TABLE {s}.proxy_users (
    product_no    text NOT NULL,
    app_username  text NOT NULL,
    username      text,
    limit_flow    bigint,
    use_flow      bigint,
    password      text,
    remark        text,
    status        integer,
    status_name   text,
    raw           jsonb NOT NULL,
    fetched_at    timestamptz NOT NULL,
    PRIMARY KEY (product_no, app_username)
);

CREATE TABLE {s}.balance_history (
    fetched_at  timestamptz PRIMARY KEY,
    coin        numeric NOT NULL,
    credit      numeric,
    raw         jsonb NOT NULL
);

CREATE TABLE {s}.backfill_runs (
    run_id          bigserial PRIMARY KEY,
    anchor          timestamptz NOT NULL,
    window_seconds  bigint NOT NULL,
    since           timestamptz,
    last_window     integer,
    catalogue_done  boolean NOT NULL DEFAULT false,
    accounts_done   boolean NOT NULL DEFAULT false,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE {s}.backfill_windows (
    run_id          bigint NOT NULL REFERENCES {s}.backfill_runs (run_id),
    idx             integer NOT NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz,
    instance_page   integer NOT NULL DEFAULT 1,
    instances_done  boolean NOT NULL DEFAULT false,
    order_page      integer NOT NULL DEFAULT 1,
    orders_done     boolean NOT NULL DEFAULT false,
    items           bigint NOT NULL DEFAULT 0,
    lease_token     text,
    lease_until     timestamptz,
    done_at         timestamptz,
    PRIMARY KEY (run_id, idx)
);

CREATE TABLE {s}.revalidations (
    id                 bigserial PRIMARY KEY,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    instances_checked  bigint NOT NULL DEFAULT 0,
    orders_checked     bigint NOT NULL DEFAULT 0,
    drift_instances    bigint NOT NULL DEFAULT 0,
    drift_orders       bigint NOT NULL DEFAULT 0,
    drift_balance      boolean NOT NULL DEFAULT false,
    error              text
);

CREATE TABLE {s}.engine_leases (
    name         text PRIMARY KEY,
    token        text NOT NULL,
    lease_until  timestamptz NOT NULL
);

CREATE TABLE {s}.engine_state (
    name        text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
"#;

/// The record a batch of `instances` rows arrives as (one array of these per write,
/// in binary): the table's columns in its order, each as it travels (`numeric` and
/// `jsonb` as text, cast in the statement). One array of records unnests into rows
/// about a fifth cheaper for PostgreSQL than one array per column.
const V2: &str = r#"
CREATE TYPE {s}.instances_in AS (
    instance_no     text,
    order_no        text,
    product_no      text,
    proxy_type      integer,
    proxy_type_name text,
    protocol        text,
    ip              text,
    port            integer,
    region_id       text,
    country_code    text,
    city_code       text,
    use_type        text,
    username        text,
    pwd             text,
    user_expired    timestamptz,
    flow_total      text,
    flow_balance    text,
    status          integer,
    status_name     text,
    renew           boolean,
    open_at         timestamptz,
    renew_at        timestamptz,
    release_at      timestamptz,
    extend_ip       text,
    raw             text,
    fetched_at      timestamptz
);
"#;

/// The record a batch of `orders` rows arrives as, as [`V2`]'s for instances.
const V3: &str = r#"
CREATE TYPE {s}.orders_in AS (
    order_no       text,
    app_order_no   text,
    type           integer,
    type_name      text,
    status         integer,
    status_name    text,
    count          bigint,
    success_count  bigint,
    amount         text,
    refund         bigint,
    city_code      text,
    instance_no    text,
    ext_band_width bigint,
    flow           bigint,
    created_at     timestamptz,
    raw            text,
    fetched_at     timestamptz
);
"#;

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// The versions this call applied (empty when the schema was up to date).
    pub applied: Vec<i32>,
    /// The schema's version afterwards.
    pub version: i32,
}

/// A stable 64-bit advisory-lock key for `schema` (FNV-1a over a prefix and the name).
fn lock_key(schema: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"ipv-sync:".iter().chain(schema.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Creates the schema if missing and applies the migrations it lacks, under an advisory
/// lock; safe to call from several processes at once, and a no-op when up to date.
///
/// # Errors
/// A database error (the migration that failed is rolled back).
pub async fn migrate(pool: &Pool, schema: &str) -> Result<MigrationReport, SyncError> {
    let mut client = pool.get().await.map_err(SyncError::pool)?;
    let key = lock_key(schema);
    let quoted = crate::quote(schema);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await
        .map_err(|e| SyncError::db("taking the migration lock", &e))?;
    let result = async {
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {quoted}; \
                 CREATE TABLE IF NOT EXISTS {quoted}.schema_migrations (\
                   version integer PRIMARY KEY, name text NOT NULL, \
                   applied_at timestamptz NOT NULL DEFAULT now())"
            ))
            .await
            .map_err(|e| SyncError::db("creating the schema", &e))?;
        let mut report = MigrationReport::default();
        for migration in MIGRATIONS {
            let tx = client
                .transaction()
                .await
                .map_err(|e| SyncError::db("starting a migration", &e))?;
            let done = tx
                .query_opt(
                    &format!("SELECT 1 FROM {quoted}.schema_migrations WHERE version = $1"),
                    &[&migration.version],
                )
                .await
                .map_err(|e| SyncError::db("reading schema_migrations", &e))?;
            if done.is_none() {
                tx.batch_execute(&migration.sql.replace("{s}", &quoted))
                    .await
                    .map_err(|e| SyncError::db("applying a migration", &e))?;
                tx.execute(
                    &format!(
                        "INSERT INTO {quoted}.schema_migrations (version, name) VALUES ($1, $2)"
                    ),
                    &[&migration.version, &migration.name],
                )
                .await
                .map_err(|e| SyncError::db("recording a migration", &e))?;
                report.applied.push(migration.version);
            }
            tx.commit()
                .await
                .map_err(|e| SyncError::db("committing a migration", &e))?;
            report.version = migration.version;
        }
        Ok(report)
    }
    .await;
    // Unlock whatever happened; a lost connection releases the lock by itself.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_lock_keys_differ_by_schema() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        assert_eq!(MIGRATIONS[0].version, 1);
        assert_ne!(lock_key("ipipv"), lock_key("ipipv2"));
        assert_eq!(lock_key("ipipv"), lock_key("ipipv"));
    }
}
