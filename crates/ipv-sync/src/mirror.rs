//! [`Mirror`]: the connection to the mirror's database and its writes.
//!
//! Every write is one statement per table and batch, its rows unnested from one array
//! of records (instances, orders) or one text array per column (the rest):
//! `INSERT ... SELECT ... FROM unnest(...) ON CONFLICT (key) DO UPDATE SET
//! ... WHERE t.fetched_at <= EXCLUDED.fetched_at`, so PostgreSQL itself decides, row by
//! row and in the same statement, that data older than the row changes nothing. A
//! backfill's batch of rows the table does not hold yet goes in with a binary `COPY`
//! instead ([`Batch::CopyIfNew`]): it only inserts, and the first row already there
//! sends the batch back to the upsert.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Pool, Transaction};
use ipv_callback_postgres::{PostgresConfig, PostgresStore};
use ipv_types::{AppInfo, Instance, Order, OrderItem, Product, ProxyBalanceItem, ProxyUser};
use serde_json::Value;
use time::OffsetDateTime;

use crate::columns::{self, Records};
use crate::migrate::{MigrationReport, migrate};
use crate::rows;
use crate::{SyncError, quote, valid_identifier};

/// How to reach the mirror's database and what to keep there.
#[derive(Clone)]
pub struct SyncConfig {
    url: String,
    schema: String,
    secrets: bool,
    claims_table: String,
    pool_size: usize,
    connect_timeout: Duration,
    op_timeout: Duration,
}

impl std::fmt::Debug for SyncConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: leave it out.
        f.debug_struct("SyncConfig")
            .field("schema", &self.schema)
            .field("secrets", &self.secrets)
            .field("claims_table", &self.claims_table)
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

impl SyncConfig {
    /// The default schema.
    pub const DEFAULT_SCHEMA: &'static str = "ipipv";

    /// A configuration for a `postgres://...` URL: schema `ipipv`, instance passwords
    /// kept, callback claims in `ipv_callback_claims`, 16 connections, 3 s to connect,
    /// 5 s to wait for a connection.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: Self::DEFAULT_SCHEMA.to_owned(),
            secrets: true,
            claims_table: PostgresConfig::DEFAULT_TABLE.to_owned(),
            pool_size: 16,
            connect_timeout: Duration::from_secs(3),
            op_timeout: Duration::from_secs(5),
        }
    }

    /// The schema the mirror's tables live in (a plain identifier).
    #[must_use]
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// Whether instance and proxy-user passwords are stored (default yes; `false` is
    /// `--no-secrets`).
    #[must_use]
    pub fn secrets(mut self, keep: bool) -> Self {
        self.secrets = keep;
        self
    }

    /// The table the callback receivers' claims go to (in the connection's default
    /// schema; see `ipv-callback-postgres`).
    #[must_use]
    pub fn claims_table(mut self, table: impl Into<String>) -> Self {
        self.claims_table = table.into();
        self
    }

    /// The most connections the pool opens.
    #[must_use]
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// The limit on opening one connection, and on waiting for one.
    #[must_use]
    pub fn timeouts(mut self, connect: Duration, wait: Duration) -> Self {
        self.connect_timeout = connect;
        self.op_timeout = wait;
        self
    }
}

/// One table's upsert: its key, columns with their SQL types, and whether a write
/// that lacks a column (null) keeps the row's value (orders come from two endpoints
/// that each know some of the fields).
struct Table {
    name: &'static str,
    key: &'static [&'static str],
    columns: &'static [(&'static str, &'static str)],
    merge: bool,
    /// The composite type (migration 2) whose array carries a batch, one record per
    /// row ([`Records`]); without one, each column comes as a text array cast in SQL.
    input: Option<&'static str>,
}

const INSTANCES: Table = Table {
    name: "instances",
    key: &["instance_no"],
    columns: &[
        ("instance_no", "text"),
        ("order_no", "text"),
        ("product_no", "text"),
        ("proxy_type", "integer"),
        ("proxy_type_name", "text"),
        ("protocol", "text"),
        ("ip", "text"),
        ("port", "integer"),
        ("region_id", "text"),
        ("country_code", "text"),
        ("city_code", "text"),
        ("use_type", "text"),
        ("username", "text"),
        ("pwd", "text"),
        ("user_expired", "timestamptz"),
        ("flow_total", "numeric"),
        ("flow_balance", "numeric"),
        ("status", "integer"),
        ("status_name", "text"),
        ("renew", "boolean"),
        ("open_at", "timestamptz"),
        ("renew_at", "timestamptz"),
        ("release_at", "timestamptz"),
        ("extend_ip", "text"),
        ("raw", "jsonb"),
        ("fetched_at", "timestamptz"),
    ],
    merge: false,
    input: Some("instances_in"),
};

const ORDERS: Table = Table {
    name: "orders",
    key: &["order_no"],
    columns: &[
        ("order_no", "text"),
        ("app_order_no", "text"),
        ("type", "integer"),
        ("type_name", "text"),
        ("status", "integer"),
        ("status_name", "text"),
        ("count", "bigint"),
        ("success_count", "bigint"),
        ("amount", "numeric"),
        ("refund", "bigint"),
        ("city_code", "text"),
        ("instance_no", "text"),
        ("ext_band_width", "bigint"),
        ("flow", "bigint"),
        ("created_at", "timestamptz"),
        ("raw", "jsonb"),
        ("fetched_at", "timestamptz"),
    ],
    merge: true,
    input: Some("orders_in"),
};

const PRODUCTS: Table = Table {
    name: "products",
    key: &["product_no"],
    columns: &[
        ("product_no", "text"),
        ("product_name", "text"),
        ("proxy_type", "integer"),
        ("proxy_type_name", "text"),
        ("cost_price", "numeric"),
        ("inventory", "bigint"),
        ("enable", "integer"),
        ("duration", "bigint"),
        ("unit", "integer"),
        ("unit_name", "text"),
        ("country_code", "text"),
        ("city_code", "text"),
        ("raw", "jsonb"),
        ("fetched_at", "timestamptz"),
    ],
    merge: false,
    input: None,
};

const BALANCES: Table = Table {
    name: "main_user_balances",
    key: &["app_username", "product_no"],
    columns: &[
        ("app_username", "text"),
        ("product_no", "text"),
        ("used", "numeric"),
        ("total", "numeric"),
        ("balance", "numeric"),
        ("ip_used", "bigint"),
        ("ip_total", "bigint"),
        ("raw", "jsonb"),
        ("fetched_at", "timestamptz"),
    ],
    merge: false,
    input: None,
};

const PROXY_USERS: Table = Table {
    name: "proxy_users",
    key: &["product_no", "app_username"],
    columns: &[
        ("product_no", "text"),
        ("app_username", "text"),
        ("username", "text"),
        ("limit_flow", "bigint"),
        ("use_flow", "bigint"),
        ("password", "text"),
        ("remark", "text"),
        ("status", "integer"),
        ("status_name", "text"),
        ("raw", "jsonb"),
        ("fetched_at", "timestamptz"),
    ],
    merge: false,
    input: None,
};

impl Table {
    /// The upsert: the rows unnested from one array of records (a table with an
    /// input type) or from one `text[]` per column, each field cast to its column's
    /// type. Only `raw` is parsed as JSON; a JSON batch of whole rows made PostgreSQL
    /// parse every typed field as JSON too, twice the text, and that parse was most of
    /// a page's write (docs/sync.md, "Figures").
    fn upsert(&'static self, schema: &str) -> Upsert {
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| *n).collect();
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let source = match self.input {
            Some(input) => format!("unnest($1::{schema}.{input}[]) AS r"),
            None => {
                let params: Vec<String> =
                    (1..=names.len()).map(|i| format!("${i}::text[]")).collect();
                format!("unnest({}) AS r({})", params.join(", "), quoted.join(", "))
            }
        };
        let casts: Vec<String> = self
            .columns
            .iter()
            .map(|(n, t)| format!("r.\"{n}\"::{t}"))
            .collect();
        let sets: Vec<String> = names
            .iter()
            .filter(|n| !self.key.contains(n))
            .map(|n| match (self.merge, *n) {
                (true, "raw") => "raw = t.raw || EXCLUDED.raw".to_owned(),
                (true, "fetched_at") => "fetched_at = EXCLUDED.fetched_at".to_owned(),
                (true, _) => format!("\"{n}\" = COALESCE(EXCLUDED.\"{n}\", t.\"{n}\")"),
                (false, _) => format!("\"{n}\" = EXCLUDED.\"{n}\""),
            })
            .collect();
        let key: Vec<String> = self.key.iter().map(|k| format!("\"{k}\"")).collect();
        let sql = format!(
            "INSERT INTO {schema}.{table} AS t ({cols}) \
             SELECT {casts} FROM {source} \
             ON CONFLICT ({key}) DO UPDATE SET {sets} \
             WHERE t.fetched_at <= EXCLUDED.fetched_at",
            table = self.name,
            cols = quoted.join(", "),
            casts = casts.join(", "),
            key = key.join(", "),
            sets = sets.join(", "),
        );
        let copy = format!(
            "COPY {schema}.{table} ({cols}) FROM STDIN (FORMAT binary)",
            table = self.name,
            cols = quoted.join(", "),
        );
        Upsert {
            sql,
            copy,
            table: self,
        }
    }

    /// Counts the rows of a batch the mirror did not hold as they are ("drift"): new
    /// rows, or rows whose `raw` differs (for merged tables: holds a field with
    /// another value).
    fn drift_sql(&self, schema: &str) -> String {
        let key = self.key[0];
        let differs = if self.merge {
            // A field the row lacks is not drift (the other endpoint did not send it);
            // a field it holds with another value is.
            "EXISTS (SELECT 1 FROM jsonb_each(r.raw) AS e \
             WHERE t.raw ? e.key AND t.raw -> e.key IS DISTINCT FROM e.value)"
        } else {
            "t.raw IS DISTINCT FROM r.raw"
        };
        format!(
            "SELECT count(*) FROM jsonb_to_recordset($1::text::jsonb) AS r(\"{key}\" text, raw jsonb) \
             LEFT JOIN {schema}.{table} AS t ON t.\"{key}\" = r.\"{key}\" \
             WHERE t.\"{key}\" IS NULL OR {differs}",
            table = self.name,
        )
    }
}

/// A table's upsert statement and the columns its parameters carry, in order.
struct Upsert {
    sql: String,
    /// The `COPY` that inserts rows the table does not hold yet ([`copy_fresh`]).
    copy: String,
    table: &'static Table,
}

impl Upsert {
    /// Whether `columns` are this table's, by name, in its order.
    fn carries(&self, columns: &[(&'static str, columns::Column<'_>)]) -> bool {
        columns
            .iter()
            .map(|(name, _)| *name)
            .eq(self.table.columns.iter().map(|(name, _)| *name))
    }

    /// The rows (objects with the table's columns) as one text array per column: a
    /// string as it is, a number or a boolean as its JSON text (which is also its SQL
    /// text), an object as JSON with its keys in `jsonb` order ([`rows::jsonb_text`]),
    /// a missing field or null as NULL.
    fn columns(&self, rows: Vec<Value>) -> Vec<Vec<Option<String>>> {
        let rows = rows
            .into_iter()
            .filter_map(|row| match row {
                Value::Object(mut fields) => Some(
                    self.table
                        .columns
                        .iter()
                        .map(|(name, _)| match fields.remove(*name) {
                            None | Some(Value::Null) => None,
                            Some(Value::String(text)) => Some(text),
                            Some(other @ Value::Object(_)) => Some(rows::jsonb_text(&other)),
                            Some(other) => Some(other.to_string()),
                        })
                        .collect(),
                ),
                _ => None,
            })
            .collect();
        self.transpose(rows)
    }

    /// Rows of cells (each in the table's column order) as one vector per column.
    fn transpose(&self, rows: Vec<Vec<Option<String>>>) -> Vec<Vec<Option<String>>> {
        let mut columns: Vec<Vec<Option<String>>> = self
            .table
            .columns
            .iter()
            .map(|_| Vec::with_capacity(rows.len()))
            .collect();
        for row in rows {
            debug_assert_eq!(row.len(), columns.len(), "a row of {}", self.table.name);
            for (cell, column) in row.into_iter().zip(&mut columns) {
                column.push(cell);
            }
        }
        columns
    }
}

/// The statements, with the schema in them.
struct Statements {
    instances: Upsert,
    orders: Upsert,
    products: Upsert,
    balances: Upsert,
    proxy_users: Upsert,
    drift_instances: String,
    drift_orders: String,
    balance_history: String,
    last_callback: String,
}

impl Statements {
    fn new(schema: &str) -> Self {
        Self {
            instances: INSTANCES.upsert(schema),
            orders: ORDERS.upsert(schema),
            products: PRODUCTS.upsert(schema),
            balances: BALANCES.upsert(schema),
            proxy_users: PROXY_USERS.upsert(schema),
            drift_instances: INSTANCES.drift_sql(schema),
            drift_orders: ORDERS.drift_sql(schema),
            balance_history: format!(
                "INSERT INTO {schema}.balance_history (fetched_at, coin, credit, raw) \
                 SELECT fetched_at, coin, credit, raw FROM jsonb_to_recordset($1::text::jsonb) \
                 AS r(fetched_at timestamptz, coin numeric, credit numeric, raw jsonb) \
                 ON CONFLICT (fetched_at) DO NOTHING"
            ),
            last_callback: format!(
                "INSERT INTO {schema}.engine_state (name, value, updated_at) \
                 VALUES ('last_callback', $1::text::jsonb, now()) \
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"
            ),
        }
    }
}

/// The mirror's database: a pool shared with the callback store, the schema and the
/// prepared writes. Cheap to clone.
#[derive(Clone)]
pub struct Mirror {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    store: Arc<PostgresStore>,
    schema: String,
    quoted: String,
    secrets: bool,
    sql: Statements,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror")
            .field("schema", &self.inner.schema)
            .field("secrets", &self.inner.secrets)
            .finish_non_exhaustive()
    }
}

/// A batch of rows as the JSON text `jsonb_to_recordset` reads.
fn batch(rows: &[Value]) -> Result<String, SyncError> {
    serde_json::to_string(rows).map_err(|e| SyncError::Config(format!("cannot encode rows: {e}")))
}

impl Mirror {
    /// Connects (through the callback store's pool, creating its claims table if
    /// missing) and brings the schema up to date with [`migrate`].
    ///
    /// # Errors
    /// A bad URL or name, a database that does not answer, a failed migration.
    pub async fn connect(config: SyncConfig) -> Result<Self, SyncError> {
        let mirror = Self::open(config).await?;
        mirror.migrate().await?;
        Ok(mirror)
    }

    /// Connects without migrating (for `status` on a database that may be empty).
    ///
    /// # Errors
    /// A bad URL or name, a database that does not answer.
    pub async fn open(config: SyncConfig) -> Result<Self, SyncError> {
        if !valid_identifier(&config.schema) {
            return Err(SyncError::Config(format!(
                "schema name {:?} is not a plain identifier (letters, digits, _; at most 63 bytes)",
                config.schema.chars().take(80).collect::<String>()
            )));
        }
        let store = PostgresStore::connect(
            PostgresConfig::new(config.url)
                .table(config.claims_table)
                .pool_size(config.pool_size)
                .connect_timeout(config.connect_timeout)
                .op_timeout(config.op_timeout),
        )
        .await
        .map_err(|e| SyncError::Database(e.to_string()))?;
        let quoted = quote(&config.schema);
        Ok(Self {
            inner: Arc::new(Inner {
                pool: store.pool().clone(),
                store: Arc::new(store),
                sql: Statements::new(&quoted),
                quoted,
                schema: config.schema,
                secrets: config.secrets,
            }),
        })
    }

    /// Applies the migrations the schema lacks (under an advisory lock).
    ///
    /// # Errors
    /// A database error.
    pub async fn migrate(&self) -> Result<MigrationReport, SyncError> {
        migrate(&self.inner.pool, &self.inner.schema).await
    }

    /// The schema's name.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The schema's name, quoted for SQL (`"ipipv"`).
    #[must_use]
    pub fn quoted_schema(&self) -> &str {
        &self.inner.quoted
    }

    /// Whether passwords are stored.
    #[must_use]
    pub fn keeps_secrets(&self) -> bool {
        self.inner.secrets
    }

    /// The connection pool (shared with the callback store).
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// The shared callback store (claims in the same database), for a
    /// `CallbackReceiver`.
    #[must_use]
    pub fn callback_store(&self) -> Arc<PostgresStore> {
        Arc::clone(&self.inner.store)
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, SyncError> {
        self.inner.pool.get().await.map_err(SyncError::pool)
    }

    /// Writes instances fetched at `fetched_at`; rows holding newer data are left as
    /// they are. Returns how many rows were written.
    ///
    /// # Errors
    /// A database error.
    pub async fn write_instances(
        &self,
        instances: &[Instance],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let written = self.instances_in(&tx, instances, fetched_at).await?;
        commit(tx).await?;
        Ok(written)
    }

    /// Writes orders from the order list fetched at `fetched_at`.
    ///
    /// # Errors
    /// A database error.
    pub async fn write_order_items(
        &self,
        orders: &[OrderItem],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let written = self.order_items_in(&tx, orders, fetched_at).await?;
        commit(tx).await?;
        Ok(written)
    }

    /// Writes an order read by number and every instance it lists, in one
    /// transaction.
    ///
    /// # Errors
    /// A database error.
    pub async fn write_order(
        &self,
        order: &Order,
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let written = self.order_in(&tx, order, fetched_at).await?;
        commit(tx).await?;
        Ok(written)
    }

    /// Writes products.
    ///
    /// # Errors
    /// A database error.
    pub async fn write_products(
        &self,
        products: &[Product],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let written = self.products_in(&tx, products, fetched_at).await?;
        commit(tx).await?;
        Ok(written)
    }

    /// Records the app's balance (one `balance_history` row per fetch).
    ///
    /// # Errors
    /// A database error.
    pub async fn write_app_balance(
        &self,
        info: &AppInfo,
        fetched_at: OffsetDateTime,
    ) -> Result<(), SyncError> {
        let stamp = rows::stamp(fetched_at);
        let json = batch(&[rows::app_balance_row(info, &stamp)])?;
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.balance_history)
            .await
            .map_err(|e| SyncError::db("preparing a balance write", &e))?;
        client
            .execute(&statement, &[&json])
            .await
            .map_err(|e| SyncError::db("writing the balance", &e))?;
        Ok(())
    }

    /// Writes a main account's dynamic balances.
    ///
    /// # Errors
    /// A database error.
    pub async fn write_account_balances(
        &self,
        app_username: &str,
        items: &[ProxyBalanceItem],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let stamp = rows::stamp(fetched_at);
        let rows: Vec<Value> = items
            .iter()
            .map(|i| rows::balance_row(app_username, i, &stamp))
            .collect();
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let named = format!(
            "INSERT INTO {}.main_users (app_username, fetched_at) VALUES ($1, $2::text::timestamptz) \
             ON CONFLICT (app_username) DO UPDATE SET fetched_at = GREATEST(main_users.fetched_at, EXCLUDED.fetched_at)",
            self.inner.quoted
        );
        let stamp_text = stamp.as_str().unwrap_or_default().to_owned();
        tx.execute(&named, &[&app_username, &stamp_text])
            .await
            .map_err(|e| SyncError::db("recording a main account", &e))?;
        let written = run_upsert(&tx, &self.inner.sql.balances, rows).await?;
        commit(tx).await?;
        Ok(written)
    }

    /// Writes proxy users.
    ///
    /// # Errors
    /// A database error.
    pub async fn write_proxy_users(
        &self,
        users: &[ProxyUser],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let stamp = rows::stamp(fetched_at);
        let rows: Vec<Value> = users
            .iter()
            .map(|u| rows::proxy_user_row(u, self.inner.secrets, &stamp))
            .collect();
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let written = run_upsert(&tx, &self.inner.sql.proxy_users, rows).await?;
        commit(tx).await?;
        Ok(written)
    }

    pub(crate) async fn instances_in(
        &self,
        tx: &Transaction<'_>,
        instances: &[Instance],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let pages = [(instances, fetched_at)];
        let written = self.instance_pages(tx, &pages, Batch::Upsert).await?;
        Ok(written.unwrap_or_default())
    }

    /// Writes several fetched pages of instances in one statement, each row stamped
    /// with its own page's fetch time (a row on two pages keeps the later page's).
    /// With [`Batch::CopyIfNew`], `None` means a row was in the table already and
    /// nothing was written.
    pub(crate) async fn instance_pages(
        &self,
        tx: &Transaction<'_>,
        pages: &[(&[Instance], OffsetDateTime)],
        how: Batch,
    ) -> Result<Option<u64>, SyncError> {
        let rows = dedup(pages.iter().flat_map(|(instances, fetched_at)| {
            instances
                .iter()
                .filter(|i| !i.instance_no.is_empty())
                .map(move |i| (i.instance_no.as_str(), (i, *fetched_at)))
        }));
        if rows.is_empty() {
            return Ok(Some(0));
        }
        let columns = columns::instance_columns(&rows, self.inner.secrets);
        write_batch(tx, &self.inner.sql.instances, columns, how).await
    }

    pub(crate) async fn order_items_in(
        &self,
        tx: &Transaction<'_>,
        orders: &[OrderItem],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let pages = [(orders, fetched_at)];
        let written = self.order_item_pages(tx, &pages, Batch::Upsert).await?;
        Ok(written.unwrap_or_default())
    }

    /// Writes several fetched pages of the order list, as [`Self::instance_pages`].
    pub(crate) async fn order_item_pages(
        &self,
        tx: &Transaction<'_>,
        pages: &[(&[OrderItem], OffsetDateTime)],
        how: Batch,
    ) -> Result<Option<u64>, SyncError> {
        let rows = dedup(pages.iter().flat_map(|(orders, fetched_at)| {
            orders
                .iter()
                .filter(|o| !o.order_no.is_empty())
                .map(move |o| (o.order_no.as_str(), (o, *fetched_at)))
        }));
        if rows.is_empty() {
            return Ok(Some(0));
        }
        let columns = columns::order_item_columns(&rows);
        write_batch(tx, &self.inner.sql.orders, columns, how).await
    }

    pub(crate) async fn order_in(
        &self,
        tx: &Transaction<'_>,
        order: &Order,
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let columns = columns::order_columns(order, fetched_at);
        let mut written = write_batch(tx, &self.inner.sql.orders, columns, Batch::Upsert)
            .await?
            .unwrap_or_default();
        written += self.instances_in(tx, &order.instances, fetched_at).await?;
        Ok(written)
    }

    pub(crate) async fn products_in(
        &self,
        tx: &Transaction<'_>,
        products: &[Product],
        fetched_at: OffsetDateTime,
    ) -> Result<u64, SyncError> {
        let stamp = rows::stamp(fetched_at);
        let rows = dedup(
            products
                .iter()
                .map(|p| (p.product_no.as_str(), rows::product_row(p, &stamp))),
        );
        run_upsert(tx, &self.inner.sql.products, rows).await
    }

    /// How many of `instances` the mirror does not hold as they are.
    pub(crate) async fn instance_drift(
        &self,
        tx: &Transaction<'_>,
        instances: &[Instance],
    ) -> Result<i64, SyncError> {
        let rows: Vec<Value> = instances
            .iter()
            .map(|i| {
                serde_json::json!({
                    "instance_no": i.instance_no,
                    "raw": rows::instance_raw(i, self.inner.secrets),
                })
            })
            .collect();
        count(tx, &self.inner.sql.drift_instances, &rows).await
    }

    /// How many of the listed orders the mirror does not hold as they are.
    pub(crate) async fn order_item_drift(
        &self,
        tx: &Transaction<'_>,
        orders: &[OrderItem],
    ) -> Result<i64, SyncError> {
        let rows: Vec<Value> = orders
            .iter()
            .map(|o| {
                let row = rows::order_item_row(o, &Value::Null);
                serde_json::json!({ "order_no": o.order_no, "raw": row["raw"] })
            })
            .collect();
        count(tx, &self.inner.sql.drift_orders, &rows).await
    }

    /// Whether the mirror does not hold `order` as it is.
    pub(crate) async fn order_drift(
        &self,
        tx: &Transaction<'_>,
        order: &Order,
    ) -> Result<i64, SyncError> {
        let row = serde_json::json!({
            "order_no": order.order_no,
            "raw": rows::order_detail_raw(order),
        });
        count(tx, &self.inner.sql.drift_orders, &[row]).await
    }

    /// Records the last callback handled, in the callback's transaction.
    pub(crate) async fn note_callback(
        &self,
        tx: &Transaction<'_>,
        value: &Value,
    ) -> Result<(), SyncError> {
        let text = value.to_string();
        let statement = tx
            .prepare_cached(&self.inner.sql.last_callback)
            .await
            .map_err(|e| SyncError::db("preparing", &e))?;
        tx.execute(&statement, &[&text])
            .await
            .map_err(|e| SyncError::db("recording the callback", &e))?;
        Ok(())
    }
}

/// Rows by key, the last of duplicates kept (one statement may not touch a row twice).
fn dedup<'k, R>(rows: impl Iterator<Item = (&'k str, R)>) -> Vec<R> {
    let mut seen: std::collections::HashMap<&'k str, usize> = std::collections::HashMap::new();
    let mut out: Vec<R> = Vec::new();
    for (key, row) in rows {
        if let Some(&at) = seen.get(key) {
            out[at] = row;
        } else {
            seen.insert(key, out.len());
            out.push(row);
        }
    }
    out
}

pub(crate) async fn begin(
    client: &mut deadpool_postgres::Object,
) -> Result<Transaction<'_>, SyncError> {
    client
        .transaction()
        .await
        .map_err(|e| SyncError::db("starting a transaction", &e))
}

pub(crate) async fn commit(tx: Transaction<'_>) -> Result<(), SyncError> {
    tx.commit()
        .await
        .map_err(|e| SyncError::db("committing", &e))
}

async fn run_upsert(
    tx: &Transaction<'_>,
    upsert: &Upsert,
    rows: Vec<Value>,
) -> Result<u64, SyncError> {
    if rows.is_empty() {
        return Ok(0);
    }
    write_columns(tx, upsert, upsert.columns(rows)).await
}

/// Runs an upsert with its columns (one text array each, in the table's order).
async fn write_columns(
    tx: &Transaction<'_>,
    upsert: &Upsert,
    columns: Vec<Vec<Option<String>>>,
) -> Result<u64, SyncError> {
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = columns
        .iter()
        .map(|c| c as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    execute(tx, upsert, &params).await
}

/// How a batch of instances or orders goes into its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Batch {
    /// Upserted: a row older than the table's changes nothing.
    Upsert,
    /// Inserted with `COPY` if none of its rows is in the table yet (a backfill's
    /// first pass); otherwise nothing is written, and the caller upserts it.
    CopyIfNew,
}

/// Writes a batch of records; `None` when [`Batch::CopyIfNew`] found a row of it in
/// the table already (nothing written).
async fn write_batch(
    tx: &Transaction<'_>,
    upsert: &Upsert,
    columns: Vec<(&'static str, columns::Column<'_>)>,
    how: Batch,
) -> Result<Option<u64>, SyncError> {
    debug_assert!(
        upsert.carries(&columns),
        "{} columns in the table's order",
        upsert.table.name
    );
    match how {
        Batch::Upsert => execute(tx, upsert, &[&Records::new(columns)])
            .await
            .map(Some),
        Batch::CopyIfNew => copy_fresh(tx, upsert, &columns).await,
    }
}

/// Inserts a batch with a binary `COPY`, under a savepoint: if a row of it is in the
/// table (a unique violation, decided by the key's index, so a row another process
/// commits meanwhile counts too), the savepoint is rolled back and `None` returned:
/// nothing of the batch was written, and an upsert must decide row by row. Only ever
/// inserting, it can never move a row backwards.
async fn copy_fresh(
    tx: &Transaction<'_>,
    upsert: &Upsert,
    columns: &[(&'static str, columns::Column<'_>)],
) -> Result<Option<u64>, SyncError> {
    use futures_util::SinkExt as _;

    let body = columns::copy_body(columns, upsert.table.columns)
        .map_err(|e| SyncError::Database(format!("encoding rows to copy: {e}")))?;
    tx.batch_execute("SAVEPOINT fresh_rows")
        .await
        .map_err(|e| SyncError::db("copying rows", &e))?;
    let copied = async {
        let statement = tx.prepare_cached(&upsert.copy).await?;
        let sink = tx.copy_in::<_, bytes::Bytes>(&statement).await?;
        futures_util::pin_mut!(sink);
        sink.send(body.freeze()).await?;
        sink.finish().await
    }
    .await;
    let (settle, outcome) = match copied {
        Ok(rows) => ("RELEASE SAVEPOINT fresh_rows", Some(rows)),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => (
            "ROLLBACK TO SAVEPOINT fresh_rows; RELEASE SAVEPOINT fresh_rows",
            None,
        ),
        Err(e) => return Err(SyncError::db("copying rows", &e)),
    };
    tx.batch_execute(settle)
        .await
        .map_err(|e| SyncError::db("copying rows", &e))?;
    Ok(outcome)
}

/// Runs an upsert with its parameters (one array per column, in the table's order).
async fn execute(
    tx: &Transaction<'_>,
    upsert: &Upsert,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, SyncError> {
    let statement = tx
        .prepare_cached(&upsert.sql)
        .await
        .map_err(|e| SyncError::db("preparing a write", &e))?;
    tx.execute(&statement, params)
        .await
        .map_err(|e| SyncError::db("writing rows", &e))
}

async fn count(tx: &Transaction<'_>, sql: &str, rows: &[Value]) -> Result<i64, SyncError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let json = batch(rows)?;
    let statement = tx
        .prepare_cached(sql)
        .await
        .map_err(|e| SyncError::db("preparing a comparison", &e))?;
    let row = tx
        .query_one(&statement, &[&json])
        .await
        .map_err(|e| SyncError::db("comparing rows", &e))?;
    row.try_get(0)
        .map_err(|e| SyncError::db("comparing rows", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_one_text_array_per_column_in_the_tables_order() {
        let upsert = PRODUCTS.upsert("\"s\"");
        let rows = vec![
            serde_json::json!({
                "product_no": "p1",
                "product_name": "Ashburn",
                "proxy_type": 103,
                "cost_price": "1.25",
                "enable": null,
                "raw": {"productNo": "p1", "enable": 1},
                "fetched_at": "2026-12-07T00:00:00Z",
            }),
            serde_json::json!({"product_no": "p2", "inventory": 0, "raw": {}}),
            // Not an object: not a row (nothing a row builder makes).
            serde_json::json!("stray"),
        ];
        let columns = upsert.columns(rows);
        assert_eq!(columns.len(), PRODUCTS.columns.len());
        let column = |name: &str| {
            let at = PRODUCTS
                .columns
                .iter()
                .position(|(n, _)| *n == name)
                .expect("a column of the table");
            columns[at].clone()
        };
        assert_eq!(column("product_no"), [Some("p1".into()), Some("p2".into())]);
        assert_eq!(column("proxy_type"), [Some("103".into()), None]);
        assert_eq!(column("inventory"), [None, Some("0".into())]);
        assert_eq!(column("cost_price"), [Some("1.25".into()), None]);
        assert_eq!(column("enable"), [None, None], "null and missing are NULL");
        assert_eq!(
            column("raw"),
            [
                Some(r#"{"enable":1,"productNo":"p1"}"#.into()),
                Some("{}".into())
            ]
        );
        assert!(upsert.sql.contains("unnest($1::text[], $2::text[]"));
        assert!(upsert.sql.contains("r.\"raw\"::jsonb"));
        assert!(
            upsert
                .sql
                .ends_with("WHERE t.fetched_at <= EXCLUDED.fetched_at"),
            "older never overwrites newer: {}",
            upsert.sql
        );
    }

    #[test]
    fn instance_columns_hold_the_row_the_json_path_makes() {
        let mut instance: ipv_types::Instance = serde_json::from_value(serde_json::json!({
            "instanceNo": "ins-1", "orderNo": "ord-1", "productNo": "ipv_dc_us_lax_m",
            "proxyType": 103, "protocol": "1,2", "ip": "10.0.0.7", "port": 8443,
            "regionId": "us", "countryCode": "USA", "cityCode": "LAX", "useType": "1",
            "username": "u", "pwd": "hunter2", "userExpired": 1_767_225_600,
            "flowTotal": 1.5, "flowBalance": 0, "status": 2, "renew": 1,
            "openAt": "2025-01-01T08:00:00.899054923+08:00", "extendIp": "",
            "comesLater": {"a": [1, 2]}
        }))
        .expect("an instance");
        instance.release_at = None;
        let fetched = time::macros::datetime!(2026-12-07 01:02:03.5 UTC);
        let stamp = rows::stamp(fetched);
        let upsert = INSTANCES.upsert("\"s\"");
        for secrets in [true, false] {
            let by_json = upsert.columns(vec![rows::instance_row(&instance, secrets, &stamp)]);
            let typed = columns::instance_columns(&[(&instance, fetched)], secrets);
            assert_columns_hold(&INSTANCES, &by_json, &typed, &format!("secrets {secrets}"));
            assert_eq!(
                cell(&typed, "raw").expect("raw").contains("hunter2"),
                secrets,
                "the password is in raw only with secrets"
            );
        }
        let open_at = cell(
            &columns::instance_columns(&[(&instance, fetched)], true),
            "open_at",
        );
        // 08:00:00.899054923 at +08:00, rounded to the microsecond.
        assert_eq!(open_at.as_deref(), Some("2025-01-01T00:00:00.899055Z"));
    }

    /// Column `name`'s first row, as text.
    fn cell(columns: &[(&'static str, columns::Column<'_>)], name: &str) -> Option<String> {
        columns
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .1
            .text_at(0)
    }

    /// Each of `typed`'s columns holds, in its one row, what `by_json` (the text path's
    /// columns of the same row) holds: `raw` the same object (keys in any order), a
    /// time the text's rounded to the microsecond as PostgreSQL rounds it.
    fn assert_columns_hold(
        table: &Table,
        by_json: &[Vec<Option<String>>],
        typed: &[(&'static str, columns::Column<'_>)],
        what: &str,
    ) {
        assert!(
            typed
                .iter()
                .map(|(n, _)| *n)
                .eq(table.columns.iter().map(|(n, _)| *n)),
            "the table's columns, in its order ({what})"
        );
        for (((name, sql_type), json), (_, column)) in table.columns.iter().zip(by_json).zip(typed)
        {
            let cell = column.text_at(0);
            match (*name, *sql_type) {
                ("raw", _) => {
                    // The same object; its keys may come in another order (PostgreSQL's
                    // jsonb does not keep it).
                    let parse = |cell: Option<&str>| -> Value {
                        serde_json::from_str(cell.expect("raw is never NULL")).expect("raw is JSON")
                    };
                    assert_eq!(
                        parse(json[0].as_deref()),
                        parse(cell.as_deref()),
                        "raw ({what})"
                    );
                }
                (_, "timestamptz") => {
                    // The text path sends nanoseconds and PostgreSQL rounds them to
                    // microseconds; the typed path rounds first.
                    let rounded = json[0].as_deref().map(|text| {
                        let t = OffsetDateTime::parse(
                            text,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .expect("RFC 3339");
                        columns::Timestamptz::new(t).expect("in range").rfc3339()
                    });
                    assert_eq!(rounded, cell, "column {name} ({what})");
                }
                _ => assert_eq!(json[0], cell, "column {name} ({what})"),
            }
        }
    }

    #[test]
    fn order_columns_hold_the_rows_the_json_path_makes() {
        let item: ipv_types::OrderItem = serde_json::from_value(serde_json::json!({
            "orderNo": "ord-1", "appOrderNo": "shop-7", "cityCode": "LAX", "instanceNo": "ins-1",
            "type": 1, "status": 3, "count": 20, "successCount": 19, "amount": "12.50",
            "extBandWidth": 5, "flow": 0, "createdAt": "2025-01-01T08:00:00.899054923+08:00",
            "comesLater": {"b": 1, "a": [2]}
        }))
        .expect("an order item");
        let mut order: ipv_types::Order = serde_json::from_value(serde_json::json!({
            "orderNo": "ord-1", "appOrderNo": "shop-7", "type": 2, "status": 4, "count": 3,
            "amount": "9.99", "refund": 7, "page": 1, "pageSize": 100, "total": 1,
            "comesLater": "kept"
        }))
        .expect("an order");
        order.instances = vec![ipv_types::Instance::default()];
        let fetched = time::macros::datetime!(2026-12-07 01:02:03.5 UTC);
        let stamp = rows::stamp(fetched);
        let upsert = ORDERS.upsert("\"s\"");
        let by_json = upsert.columns(vec![rows::order_item_row(&item, &stamp)]);
        let typed = columns::order_item_columns(&[(&item, fetched)]);
        assert_columns_hold(&ORDERS, &by_json, &typed, "an order from the list");
        let by_json = upsert.columns(vec![rows::order_row(&order, &stamp)]);
        let typed = columns::order_columns(&order, fetched);
        assert_columns_hold(&ORDERS, &by_json, &typed, "an order read by number");
        let raw: Value = serde_json::from_str(&cell(&typed, "raw").expect("raw")).expect("JSON");
        assert_eq!(raw["comesLater"], "kept");
        for paging in rows::ORDER_DETAIL_PAGING {
            assert!(raw.get(paging).is_none(), "{paging} is not the order's");
        }
    }

    #[test]
    fn instances_and_orders_unnest_one_array_of_records_and_the_others_text_arrays() {
        let instances = INSTANCES.upsert("\"s\"").sql;
        assert!(
            instances.contains("FROM unnest($1::\"s\".instances_in[]) AS r ON CONFLICT"),
            "{instances}"
        );
        assert!(!instances.contains("$2"), "one parameter: {instances}");
        assert!(instances.contains("r.\"raw\"::jsonb"));
        assert!(instances.contains("r.\"flow_total\"::numeric"));
        let orders = ORDERS.upsert("\"s\"").sql;
        assert!(
            orders.contains("FROM unnest($1::\"s\".orders_in[]) AS r ON CONFLICT"),
            "{orders}"
        );
        assert!(orders.contains(
            "\"success_count\" = COALESCE(EXCLUDED.\"success_count\", t.\"success_count\")"
        ));
        let products = PRODUCTS.upsert("\"s\"").sql;
        assert!(
            products.contains("unnest($1::text[], $2::text[]"),
            "{products}"
        );
    }

    // needs: postgres
    #[cfg_attr(
        not(ipv_postgres),
        ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_input_record_has_the_tables_columns_as_they_travel() {
        let pg = tokio::task::spawn_blocking(ipv_test_services::PostgresServer::start)
            .await
            .expect("join")
            .expect("PostgreSQL");
        let mirror = Mirror::connect(SyncConfig::new(pg.url()).schema("s"))
            .await
            .expect("migrated");
        let db = mirror.client().await.expect("a connection");
        let wire = |t: &str| match columns::Column::wire_type(t) {
            "timestamptz" => "timestamp with time zone".to_owned(),
            other => other.to_owned(),
        };
        for table in [&INSTANCES, &ORDERS] {
            let input = table.input.expect("an input type");
            let fields: Vec<(String, String)> = db
                .query(
                    "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute \
                     WHERE attrelid = format('s.%I', $1::text)::regclass AND attnum > 0 \
                     ORDER BY attnum",
                    &[&input],
                )
                .await
                .expect("the type's fields")
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
            let expected: Vec<(String, String)> = table
                .columns
                .iter()
                .map(|(name, t)| ((*name).to_owned(), wire(t)))
                .collect();
            assert_eq!(fields, expected, "{input}");
        }
    }

    /// Decimal texts as this process writes them (`serde_json`'s shortest form of an
    /// `f64`, an order's amount) and as a person might: each sent as `numeric` in a
    /// binary `COPY` must print as PostgreSQL prints the same text parsed itself.
    fn numeric_texts() -> Vec<String> {
        let mut texts: Vec<String> = [
            "0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "10000",
            "9999.9999",
            "12345.6789",
            "0.0001",
            "0.00001",
            "1e-7",
            "1.5e300",
            "-2.5e-300",
            "123456789012345678",
            "100.0",
            "1e21",
            "99999999",
            "0.5",
            "+3.25",
            "1E5",
            ".5",
            "5.",
            "00012.3400",
            "1.0e+2",
            "-7e0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for i in 0..2_000_i32 {
            // Mantissas of every length at magnitudes from 1e-12 to 1e15.
            let x = (f64::from(i) * 0.618_033_988_749_894_8).fract() * 10f64.powi(i % 28 - 12);
            let x = if i % 3 == 0 { -x } else { x };
            texts.push(serde_json::Number::from_f64(x).expect("finite").to_string());
        }
        texts
    }

    // needs: postgres
    #[cfg_attr(
        not(ipv_postgres),
        ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_copy_stores_numerics_and_json_as_postgresql_reads_their_text() {
        let pg = tokio::task::spawn_blocking(ipv_test_services::PostgresServer::start)
            .await
            .expect("join")
            .expect("PostgreSQL");
        let mirror = Mirror::connect(SyncConfig::new(pg.url()).schema("s"))
            .await
            .expect("migrated");
        let mut db = mirror.client().await.expect("a connection");
        db.batch_execute("CREATE TABLE s.copied (i integer, n numeric, j jsonb, t text)")
            .await
            .expect("table");
        static TYPES: [(&str, &str); 4] = [
            ("i", "integer"),
            ("n", "numeric"),
            ("j", "jsonb"),
            ("t", "text"),
        ];
        let texts = numeric_texts();
        let count = texts.len();
        let json: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"z":{i},"a":"\u00e9\n","m":[1,{{"k":null}}]}}"#))
            .collect();
        let columns = vec![
            (
                "i",
                columns::Column::Int((0..count).map(|i| i32::try_from(i).ok()).collect()),
            ),
            (
                "n",
                columns::Column::Text(texts.iter().map(|t| Some(t.as_str())).collect()),
            ),
            (
                "j",
                columns::Column::Text(json.iter().map(|t| Some(t.as_str())).collect()),
            ),
            ("t", columns::Column::Text(vec![None; count])),
        ];
        let upsert = Upsert {
            sql: String::new(),
            copy: "COPY s.copied (i, n, j, t) FROM STDIN (FORMAT binary)".to_owned(),
            table: Box::leak(Box::new(Table {
                name: "copied",
                key: &["i"],
                columns: &TYPES,
                merge: false,
                input: None,
            })),
        };
        let tx = begin(&mut db).await.expect("tx");
        let copied = copy_fresh(&tx, &upsert, &columns).await.expect("copied");
        assert_eq!(copied, Some(u64::try_from(count).expect("count")));
        commit(tx).await.expect("commit");
        let rows = db
            .query(
                "SELECT i, n::text, ($1::text[])[i + 1]::numeric::text, \
                 j = ($2::text[])[i + 1]::jsonb, t IS NULL FROM s.copied ORDER BY i",
                &[&texts, &json],
            )
            .await
            .expect("rows");
        assert_eq!(rows.len(), count);
        for row in rows {
            let at: i32 = row.get(0);
            let (ours, theirs): (String, String) = (row.get(1), row.get(2));
            assert_eq!(
                ours,
                theirs,
                "{:?}",
                texts[usize::try_from(at).expect("at")]
            );
            assert!(row.get::<_, bool>(3), "json {at}");
            assert!(row.get::<_, bool>(4), "null {at}");
        }
    }

    #[test]
    fn text_that_is_not_a_decimal_number_is_refused_before_it_is_sent() {
        for text in [
            "", "-", ".", "abc", "1e", "1e1001", "1.2.3", "1,5", "NaN", " 1",
        ] {
            let column = vec![("n", columns::Column::Text(vec![Some(text)]))];
            let refused = columns::copy_body(&column, &[("n", "numeric")]);
            assert!(refused.is_err(), "{text:?} was accepted");
        }
        let column = vec![("n", columns::Column::Int(vec![Some(1)]))];
        let refused = columns::copy_body(&column, &[("n", "text")]).expect_err("int as text");
        assert!(refused.contains("cannot travel as text"), "{refused}");
        let column = vec![("m", columns::Column::Int(vec![Some(1)]))];
        assert!(
            columns::copy_body(&column, &[("n", "integer")]).is_err(),
            "names differ"
        );
    }

    #[test]
    fn a_code_that_does_not_fit_its_column_is_null_and_kept_in_raw() {
        let instance: ipv_types::Instance = serde_json::from_value(serde_json::json!({
            "instanceNo": "ins-1", "proxyType": 9_999_999_999_i64, "status": 2
        }))
        .expect("an instance");
        let at = time::macros::datetime!(2026-12-07 00:00 UTC);
        let typed = columns::instance_columns(&[(&instance, at)], true);
        let cell = |name: &str| {
            typed
                .iter()
                .find(|(n, _)| *n == name)
                .expect("a column")
                .1
                .text_at(0)
        };
        assert_eq!(cell("proxy_type"), None);
        assert_eq!(cell("status"), Some("2".to_owned()));
        let raw: Value = serde_json::from_str(&cell("raw").expect("raw")).expect("JSON");
        assert_eq!(raw["proxyType"], 9_999_999_999_i64);
    }

    // needs: postgres
    #[cfg_attr(
        not(ipv_postgres),
        ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn raw_is_sent_in_the_key_order_postgresql_keeps() {
        let (_pg, db) = crate::test_postgres().await;
        let instance: ipv_types::Instance = serde_json::from_value(serde_json::json!({
            "instanceNo": "ins-1", "orderNo": "ord-1", "productNo": "ipv_dc_us_lax_m",
            "proxyType": 103, "protocol": "1,2", "ip": "10.0.0.7", "port": 8443,
            "username": "u", "pwd": "p", "userExpired": 1_767_225_600, "status": 2,
            "openAt": "2025-01-01T08:00:00+08:00", "zz": 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {"b": 1, "a": 2}
        }))
        .expect("an instance");
        let mut texts: Vec<String> = [true, false]
            .into_iter()
            .filter_map(|secrets| rows::instance_raw_text(&instance, secrets))
            .collect();
        let order = rows::order_item_row(&ipv_types::OrderItem::default(), &Value::Null);
        texts.push(rows::jsonb_text(&order["raw"]));
        for text in texts {
            let written = rows::keys_written(&text);
            let kept: Vec<String> = db
                .query_one(
                    "SELECT array_agg(k) FROM jsonb_object_keys($1::text::jsonb) AS k",
                    &[&text],
                )
                .await
                .expect("keys")
                .get(0);
            assert_eq!(written, kept, "{text}");
        }
    }
}
