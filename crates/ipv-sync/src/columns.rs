//! A batch of instances or orders as one array of records, typed and sent in binary.
//!
//! A backfill writes every instance of the account, so this is the mirror's hot path.
//! Text arrays cast in SQL made PostgreSQL parse five times and three numbers per row
//! from text, and made this process format them first and allocate a string for every
//! cell; one array per column made PostgreSQL unnest 26 arrays side by side. Here a
//! batch is one `instances_in[]` (migration 2): text fields borrow the instance's own
//! strings, numbers, booleans and times go as PostgreSQL's binary values, and only
//! `raw` (parsed into `jsonb`) and the two `numeric` quantities are text
//! (docs/sync.md, "Figures"). Orders go the same way, as `orders_in[]` (migration 3).
//! A backfill's rows the mirror does not hold yet go as the body of a binary `COPY`
//! instead ([`copy_body`]), each field in its column's own type.

use std::error::Error;

use bytes::{BufMut as _, BytesMut};
use ipv_types::{Instance, Order, OrderItem};
use time::OffsetDateTime;
use tokio_postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};

use crate::rows;

/// An instant as PostgreSQL keeps a `timestamptz`: microseconds since
/// 2000-01-01 00:00 UTC.
///
/// The fraction is rounded as PostgreSQL rounds the text it reads (the seconds' decimal
/// fraction read into a double, times a million, rounded half to even), so a time
/// written here equals the same time written as RFC 3339 text and cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamptz(i64);

/// 2000-01-01 00:00 UTC in Unix seconds.
const POSTGRES_EPOCH: i64 = 946_684_800;

impl Timestamptz {
    pub(crate) fn new(t: OffsetDateTime) -> Option<Self> {
        let seconds = t.unix_timestamp().checked_sub(POSTGRES_EPOCH)?;
        let fraction = f64::from(t.nanosecond()) / 1e9;
        // At most 1,000,000: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let micros = (fraction * 1e6).round_ties_even() as i64;
        seconds
            .checked_mul(1_000_000)?
            .checked_add(micros)
            .map(Self)
    }
}

#[cfg(test)]
impl Timestamptz {
    /// As RFC 3339 text, to the microsecond.
    pub(crate) fn rfc3339(self) -> String {
        let t = OffsetDateTime::from_unix_timestamp(POSTGRES_EPOCH).expect("2000")
            + time::Duration::microseconds(self.0);
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("a time")
    }
}

/// One column of a batch, one value per row (`None`: NULL); in a record, one field.
#[derive(Debug)]
pub(crate) enum Column<'a> {
    /// `text`, borrowed from the rows.
    Text(Vec<Option<&'a str>>),
    /// `text` made for the batch (`raw`, numbers kept as `numeric`, lists), cast in SQL
    /// where the column is not text.
    Owned(Vec<Option<String>>),
    /// `integer`.
    Int(Vec<Option<i32>>),
    /// `bigint`.
    BigInt(Vec<Option<i64>>),
    /// `boolean`.
    Bool(Vec<Option<bool>>),
    /// `timestamptz`.
    Time(Vec<Option<Timestamptz>>),
}

impl Column<'_> {
    /// The type a column of SQL type `sql_type` travels as in an input record
    /// (migration 2's `instances_in`; `numeric` and `jsonb` go as text).
    #[cfg(test)]
    pub(crate) fn wire_type(sql_type: &str) -> &'static str {
        match sql_type {
            "integer" => "integer",
            "bigint" => "bigint",
            "boolean" => "boolean",
            "timestamptz" => "timestamptz",
            _ => "text",
        }
    }

    /// Row `at` as the text PostgreSQL would read for it (a time as RFC 3339 to the
    /// microsecond).
    #[cfg(test)]
    pub(crate) fn text_at(&self, at: usize) -> Option<String> {
        match self {
            Column::Text(v) => v[at].map(str::to_owned),
            Column::Owned(v) => v[at].clone(),
            Column::Int(v) => v[at].map(|n| n.to_string()),
            Column::BigInt(v) => v[at].map(|n| n.to_string()),
            Column::Bool(v) => v[at].map(|b| b.to_string()),
            Column::Time(v) => v[at].map(Timestamptz::rfc3339),
        }
    }
}

impl Column<'_> {
    /// The PostgreSQL type of this column's field in the record.
    fn pg_type(&self) -> Type {
        match self {
            Column::Text(_) | Column::Owned(_) => Type::TEXT,
            Column::Int(_) => Type::INT4,
            Column::BigInt(_) => Type::INT8,
            Column::Bool(_) => Type::BOOL,
            Column::Time(_) => Type::TIMESTAMPTZ,
        }
    }

    /// The bytes its values take in records (each field's header, 8 bytes, included).
    fn encoded_len(&self) -> usize {
        let text = |s: Option<&str>| 8 + s.map_or(0, str::len);
        match self {
            Column::Text(v) => v.iter().map(|s| text(*s)).sum(),
            Column::Owned(v) => v.iter().map(|s| text(s.as_deref())).sum(),
            Column::Int(v) => v.iter().map(|n| 8 + 4 * usize::from(n.is_some())).sum(),
            Column::BigInt(v) => v.iter().map(|n| 8 + 8 * usize::from(n.is_some())).sum(),
            Column::Bool(v) => v.iter().map(|b| 8 + usize::from(b.is_some())).sum(),
            Column::Time(v) => v.iter().map(|t| 8 + 8 * usize::from(t.is_some())).sum(),
        }
    }

    fn rows(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::Owned(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::BigInt(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Time(v) => v.len(),
        }
    }

    /// Writes row `at` as a record field's value: its length (-1: NULL), then its
    /// bytes in the type's binary form.
    fn write_field(
        &self,
        at: usize,
        out: &mut BytesMut,
    ) -> Result<(), Box<dyn Error + Sync + Send>> {
        let text =
            |s: Option<&str>, out: &mut BytesMut| -> Result<(), Box<dyn Error + Sync + Send>> {
                match s {
                    None => out.put_i32(-1),
                    Some(s) => {
                        out.put_i32(i32::try_from(s.len())?);
                        out.put_slice(s.as_bytes());
                    }
                }
                Ok(())
            };
        match self {
            Column::Text(v) => text(v[at], out)?,
            Column::Owned(v) => text(v[at].as_deref(), out)?,
            Column::Int(v) => match v[at] {
                None => out.put_i32(-1),
                Some(n) => {
                    out.put_i32(4);
                    out.put_i32(n);
                }
            },
            Column::BigInt(v) => match v[at] {
                None => out.put_i32(-1),
                Some(n) => {
                    out.put_i32(8);
                    out.put_i64(n);
                }
            },
            Column::Bool(v) => match v[at] {
                None => out.put_i32(-1),
                Some(b) => {
                    out.put_i32(1);
                    out.put_u8(u8::from(b));
                }
            },
            Column::Time(v) => match v[at] {
                None => out.put_i32(-1),
                Some(Timestamptz(micros)) => {
                    out.put_i32(8);
                    out.put_i64(micros);
                }
            },
        }
        Ok(())
    }
}

/// Rows as one parameter: an array of records of a composite type whose fields are
/// the columns, by name and type, in order (checked against the type the database
/// reports before anything is sent).
#[derive(Debug)]
pub(crate) struct Records<'a> {
    columns: Vec<(&'static str, Column<'a>)>,
}

impl<'a> Records<'a> {
    /// `columns` must be of equal length (one value per row).
    pub(crate) fn new(columns: Vec<(&'static str, Column<'a>)>) -> Self {
        debug_assert!(
            columns
                .windows(2)
                .all(|pair| pair[0].1.rows() == pair[1].1.rows()),
            "columns of one batch hold one value per row"
        );
        Self { columns }
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.rows())
    }

    /// The bytes [`ToSql::to_sql`] writes: the array's header (20), each record's
    /// length and field count (8), and the fields.
    fn encoded_len(&self) -> usize {
        20 + 8 * self.rows()
            + self
                .columns
                .iter()
                .map(|(_, c)| c.encoded_len())
                .sum::<usize>()
    }
}

impl ToSql for Records<'_> {
    /// PostgreSQL's binary array (`array_send`) of binary records (`record_send`).
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        let Kind::Array(member) = ty.kind() else {
            return Err(format!("{} is not an array type", ty.name()).into());
        };
        let Kind::Composite(fields) = member.kind() else {
            return Err(format!("{} is not a composite type", member.name()).into());
        };
        let ours: Vec<(&str, Type)> = self
            .columns
            .iter()
            .map(|(n, c)| (*n, c.pg_type()))
            .collect();
        let theirs: Vec<(&str, Type)> = fields
            .iter()
            .map(|f| (f.name(), f.type_().clone()))
            .collect();
        if ours != theirs {
            return Err(format!(
                "the database's {} has the fields {theirs:?}; this writer sends {ours:?}",
                member.name()
            )
            .into());
        }
        let fields = i32::try_from(self.columns.len())?;
        // Room for the whole array at once: grown by doubling, a batch of 500 rows
        // was copied over and over as it was written.
        out.reserve(self.encoded_len());
        out.put_i32(1); // dimensions
        out.put_i32(0); // no NULL element
        out.put_u32(member.oid());
        out.put_i32(i32::try_from(self.rows())?);
        out.put_i32(1); // lower bound
        for at in 0..self.rows() {
            let start = out.len();
            out.put_i32(0); // the record's length, written below
            out.put_i32(fields);
            for (_, column) in &self.columns {
                out.put_u32(column.pg_type().oid());
                column.write_field(at, out)?;
            }
            let length = i32::try_from(out.len() - start - 4)?;
            out[start..start + 4].copy_from_slice(&length.to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Array(member) if matches!(member.kind(), Kind::Composite(_)))
    }

    to_sql_checked!();
}

/// A batch as the body of a binary `COPY` into its table: every field in the table's
/// own type (`jsonb` as its version byte and text, `numeric` in PostgreSQL's base-10000
/// form), so nothing is cast on the way in. `types` are the table's `(column, SQL
/// type)`, in the order of `columns`; each column is checked against its type once.
///
/// A backfill writes rows the mirror does not hold yet; `COPY` inserts them without
/// the upsert's unnesting, projection and conflict check (docs/sync.md, "Figures").
pub(crate) fn copy_body(
    columns: &[(&'static str, Column<'_>)],
    types: &[(&'static str, &'static str)],
) -> Result<BytesMut, String> {
    let names = columns.iter().map(|(n, _)| *n);
    if !names.eq(types.iter().map(|(n, _)| *n)) {
        return Err("the batch's columns are not the table's".to_owned());
    }
    let plan = columns
        .iter()
        .zip(types)
        .map(|((name, column), (_, sql))| {
            CopyAs::of(column, sql)
                .map(|how| (*name, column, how))
                .map_err(|e| format!("{name}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rows = columns.first().map_or(0, |(_, c)| c.rows());
    let fields = i16::try_from(columns.len()).map_err(|e| e.to_string())?;
    let mut out = BytesMut::with_capacity(
        21 + 2 * rows
            + columns
                .iter()
                .map(|(_, c)| c.encoded_len() + rows)
                .sum::<usize>(),
    );
    out.put_slice(b"PGCOPY\n\xff\r\n\0");
    out.put_i32(0); // flags
    out.put_i32(0); // header extension
    for at in 0..rows {
        out.put_i16(fields);
        for (name, column, how) in &plan {
            column
                .write_copy_field(*how, at, &mut out)
                .map_err(|e| format!("{name}: {e}"))?;
        }
    }
    out.put_i16(-1);
    Ok(out)
}

/// How a column's values are written as `COPY` fields of its SQL type.
#[derive(Debug, Clone, Copy)]
enum CopyAs {
    Text,
    /// Version byte 1, then the text.
    Jsonb,
    /// Text parsed into `numeric`'s binary form ([`write_numeric`]).
    Numeric,
    /// Integers, booleans and times: the same binary value as in a record.
    Binary,
}

impl CopyAs {
    fn of(column: &Column<'_>, sql: &str) -> Result<Self, String> {
        let text = matches!(column, Column::Text(_) | Column::Owned(_));
        match (column, sql) {
            (_, "text") if text => Ok(Self::Text),
            (_, "jsonb") if text => Ok(Self::Jsonb),
            (_, "numeric") if text => Ok(Self::Numeric),
            (Column::Int(_), "integer")
            | (Column::BigInt(_), "bigint")
            | (Column::Bool(_), "boolean")
            | (Column::Time(_), "timestamptz") => Ok(Self::Binary),
            _ => Err(format!(
                "{} cannot travel as {sql}",
                column.pg_type().name()
            )),
        }
    }
}

impl Column<'_> {
    /// Writes the value at `at` as a `COPY` field, as `how` says.
    fn write_copy_field(&self, how: CopyAs, at: usize, out: &mut BytesMut) -> Result<(), String> {
        let text = match self {
            Column::Text(v) => v[at],
            Column::Owned(v) => v[at].as_deref(),
            _ => return self.write_field(at, out).map_err(|e| e.to_string()),
        };
        let Some(text) = text else {
            out.put_i32(-1);
            return Ok(());
        };
        let length = |extra: usize| {
            i32::try_from(text.len() + extra).map_err(|_| "a value over 2 GiB".to_owned())
        };
        match how {
            CopyAs::Text | CopyAs::Binary => {
                out.put_i32(length(0)?);
                out.put_slice(text.as_bytes());
            }
            CopyAs::Jsonb => {
                out.put_i32(length(1)?);
                out.put_u8(1);
                out.put_slice(text.as_bytes());
            }
            CopyAs::Numeric => write_numeric(text, out)?,
        }
        Ok(())
    }
}

/// A decimal number's text (`-12.50`, `1e-7`, as `numeric` reads it) in `numeric`'s
/// binary form: the digits in base-10000 groups aligned on the decimal point, the
/// first group's place (`weight`), the sign, and the display scale `numeric` gives
/// that text (digits after the point, less the exponent), so the stored value prints
/// as if PostgreSQL had parsed the text itself. Leading and trailing zero digits are
/// dropped first, so the first and last groups are not zero, as `numeric` keeps them.
fn write_numeric(text: &str, out: &mut BytesMut) -> Result<(), String> {
    let bad = || format!("{text:?} is not a decimal number");
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            &unsigned[..at],
            unsigned[at + 1..].parse::<i64>().map_err(|_| bad())?,
        ),
        None => (unsigned, 0),
    };
    // numeric_in's own bound on the exponent (NUMERIC_MAX_PRECISION).
    if exponent.abs() > 1000 {
        return Err(bad());
    }
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || whole.bytes().chain(fraction.bytes());
    if (whole.is_empty() && fraction.is_empty()) || !digits().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let as_i64 = |n: usize| i64::try_from(n).map_err(|_| bad());
    let dscale = u16::try_from((as_i64(fraction.len())? - exponent).max(0)).map_err(|_| bad())?;
    let leading = digits().take_while(|b| *b == b'0').count();
    let kept = whole.len() + fraction.len() - leading;
    let trailing = digits().rev().take_while(|b| *b == b'0').count().min(kept);
    let kept = kept - trailing;
    if kept == 0 {
        // Zero: no digits, weight 0, positive (numeric has no negative zero).
        out.put_i32(8);
        out.put_i16(0);
        out.put_i16(0);
        out.put_u16(0);
        out.put_u16(dscale);
        return Ok(());
    }
    // The place of each kept digit: the first is 10^(point - 1).
    let point = as_i64(whole.len())? - as_i64(leading)? + exponent;
    let first_group = (point - 1).div_euclid(4);
    let last_group = (point - as_i64(kept)?).div_euclid(4);
    let ndigits = i16::try_from(first_group - last_group + 1).map_err(|_| bad())?;
    out.put_i32(8 + 2 * i32::from(ndigits));
    out.put_i16(ndigits);
    out.put_i16(i16::try_from(first_group).map_err(|_| bad())?);
    out.put_u16(if negative { 0x4000 } else { 0 });
    out.put_u16(dscale);
    // The kept digits fill every group from the first to the last: each is written
    // when the next digit falls into the group after it.
    let (mut group, mut value) = (first_group, 0i16);
    for (i, digit) in (0i64..).zip(digits().skip(leading).take(kept)) {
        let place = point - 1 - i;
        if place.div_euclid(4) != group {
            out.put_i16(value);
            (group, value) = (place.div_euclid(4), 0);
        }
        let power =
            [1i16, 10, 100, 1000][usize::try_from(place.rem_euclid(4)).map_err(|_| bad())?];
        value += i16::from(digit - b'0') * power;
    }
    out.put_i16(value);
    Ok(())
}

/// Instances, each with its page's fetch time, as the `instances` upsert's columns:
/// `(column name, values)` in the table's order (`mirror::INSTANCES`, which a test
/// holds this to).
///
/// A number that does not fit its column (a code outside `integer`) is NULL there;
/// `raw` keeps it as the platform sent it.
pub(crate) fn instance_columns<'a>(
    rows: &[(&'a Instance, OffsetDateTime)],
    secrets: bool,
) -> Vec<(&'static str, Column<'a>)> {
    let text = |f: fn(&'a Instance) -> &'a str| {
        Column::Text(rows.iter().map(|(i, _)| Some(f(i))).collect())
    };
    let owned = |f: &dyn Fn(&Instance) -> Option<String>| {
        Column::Owned(rows.iter().map(|(i, _)| f(i)).collect())
    };
    let int = |f: fn(&Instance) -> i64| {
        Column::Int(rows.iter().map(|(i, _)| i32::try_from(f(i)).ok()).collect())
    };
    let time = |f: fn(&Instance) -> Option<OffsetDateTime>| {
        Column::Time(
            rows.iter()
                .map(|(i, _)| f(i).and_then(Timestamptz::new))
                .collect(),
        )
    };
    let float = |x: f64| serde_json::Number::from_f64(x).map(|n| n.to_string());
    vec![
        ("instance_no", text(|i| &i.instance_no)),
        ("order_no", text(|i| &i.order_no)),
        ("product_no", text(|i| &i.product_no)),
        ("proxy_type", int(|i| i.proxy_type.as_i64())),
        ("proxy_type_name", text(|i| i.proxy_type.label())),
        ("protocol", owned(&|i| Some(i.protocol.to_string()))),
        ("ip", text(|i| &i.ip)),
        ("port", int(|i| i64::from(i.port))),
        ("region_id", text(|i| &i.region_id)),
        ("country_code", text(|i| &i.country_code)),
        ("city_code", text(|i| &i.city_code)),
        ("use_type", owned(&|i| Some(i.use_type.to_string()))),
        ("username", text(|i| &i.username)),
        (
            "pwd",
            Column::Text(
                rows.iter()
                    .map(|(i, _)| secrets.then_some(i.pwd.as_str()))
                    .collect(),
            ),
        ),
        ("user_expired", time(Instance::expires_at)),
        ("flow_total", owned(&|i| float(i.flow_total))),
        ("flow_balance", owned(&|i| float(i.flow_balance))),
        ("status", int(|i| i.status.as_i64())),
        ("status_name", text(|i| i.status.label())),
        (
            "renew",
            Column::Bool(rows.iter().map(|(i, _)| Some(i.auto_renews())).collect()),
        ),
        ("open_at", time(|i| i.open_at)),
        ("renew_at", time(|i| i.renew_at)),
        ("release_at", time(|i| i.release_at)),
        ("extend_ip", text(|i| &i.extend_ip)),
        ("raw", {
            // One orderer for the batch: its instances share their keys' order.
            let mut raw = rows::JsonbOrderer::new(if secrets { &[] } else { &["pwd"] });
            Column::Owned(rows.iter().map(|(i, _)| raw.write(*i)).collect())
        }),
        (
            "fetched_at",
            Column::Time(rows.iter().map(|(_, at)| Timestamptz::new(*at)).collect()),
        ),
    ]
}

/// Orders from the order list (endpoint 16), each with its page's fetch time, as the
/// `orders` upsert's columns (`mirror::ORDERS`'s order). `refund` is not on the list:
/// NULL, which the upsert reads as "keep the row's".
pub(crate) fn order_item_columns<'a>(
    rows: &[(&'a OrderItem, OffsetDateTime)],
) -> Vec<(&'static str, Column<'a>)> {
    let text = |f: fn(&'a OrderItem) -> &'a str| {
        Column::Text(rows.iter().map(|(o, _)| Some(f(o))).collect())
    };
    let int = |f: fn(&OrderItem) -> i64| {
        Column::Int(rows.iter().map(|(o, _)| i32::try_from(f(o)).ok()).collect())
    };
    let big =
        |f: fn(&OrderItem) -> i64| Column::BigInt(rows.iter().map(|(o, _)| Some(f(o))).collect());
    let mut raw = rows::JsonbOrderer::new(&[]);
    vec![
        ("order_no", text(|o| &o.order_no)),
        ("app_order_no", text(|o| &o.app_order_no)),
        ("type", int(|o| o.order_type.as_i64())),
        ("type_name", text(|o| o.order_type.label())),
        ("status", int(|o| o.status.as_i64())),
        ("status_name", text(|o| o.status.label())),
        ("count", big(|o| o.count)),
        ("success_count", big(|o| o.success_count)),
        (
            "amount",
            Column::Owned(
                rows.iter()
                    .map(|(o, _)| Some(o.amount.to_string()))
                    .collect(),
            ),
        ),
        ("refund", Column::BigInt(vec![None; rows.len()])),
        ("city_code", text(|o| &o.city_code)),
        ("instance_no", text(|o| &o.instance_no)),
        ("ext_band_width", big(|o| o.ext_band_width)),
        ("flow", big(|o| o.flow)),
        (
            "created_at",
            Column::Time(
                rows.iter()
                    .map(|(o, _)| o.created_at.and_then(Timestamptz::new))
                    .collect(),
            ),
        ),
        (
            "raw",
            Column::Owned(rows.iter().map(|(o, _)| raw.write(*o)).collect()),
        ),
        (
            "fetched_at",
            Column::Time(rows.iter().map(|(_, at)| Timestamptz::new(*at)).collect()),
        ),
    ]
}

/// An order read by number (endpoint 15), fetched at `fetched_at`, as the `orders`
/// upsert's columns: one row, NULL where the list has a field this endpoint lacks
/// (the upsert keeps the row's), and `raw` without the page of instances (those have
/// rows of their own).
pub(crate) fn order_columns(
    order: &Order,
    fetched_at: OffsetDateTime,
) -> Vec<(&'static str, Column<'_>)> {
    let text = |s| Column::Text(vec![Some(s)]);
    let null_big = || Column::BigInt(vec![None]);
    let raw = rows::JsonbOrderer::new(rows::ORDER_DETAIL_PAGING).write(order);
    vec![
        ("order_no", text(&order.order_no)),
        ("app_order_no", text(&order.app_order_no)),
        (
            "type",
            Column::Int(vec![i32::try_from(order.order_type.as_i64()).ok()]),
        ),
        ("type_name", text(order.order_type.label())),
        (
            "status",
            Column::Int(vec![i32::try_from(order.status.as_i64()).ok()]),
        ),
        ("status_name", text(order.status.label())),
        ("count", Column::BigInt(vec![Some(order.count)])),
        ("success_count", null_big()),
        (
            "amount",
            Column::Owned(vec![Some(order.amount.to_string())]),
        ),
        ("refund", Column::BigInt(vec![Some(order.refund)])),
        ("city_code", Column::Text(vec![None])),
        ("instance_no", Column::Text(vec![None])),
        ("ext_band_width", null_big()),
        ("flow", null_big()),
        ("created_at", Column::Time(vec![None])),
        ("raw", Column::Owned(vec![raw])),
        (
            "fetched_at",
            Column::Time(vec![Timestamptz::new(fetched_at)]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// Instants whose fractions sit on or near PostgreSQL's rounding of text.
    fn edges() -> Vec<OffsetDateTime> {
        let base = datetime!(2026-11-28 09:50:23 UTC);
        let mut edges: Vec<OffsetDateTime> = [
            0,
            1,
            499,
            500,
            501,
            1_500,
            2_500,
            999_999_499,
            999_999_500,
            999_999_999,
            899_054_923,
            123_456_500,
        ]
        .into_iter()
        .map(|nanos| base.replace_nanosecond(nanos).expect("nanos"))
        .collect();
        edges.extend([
            datetime!(2000-01-01 00:00 UTC),
            datetime!(1999-12-31 23:59:59.9999995 UTC),
            datetime!(1970-01-01 00:00:00.0000015 UTC),
            datetime!(2025-01-01 08:00:00.899054923 +08:00),
        ]);
        edges
    }

    #[test]
    fn a_time_is_microseconds_since_2000_rounded_half_to_even() {
        let micros = |t: OffsetDateTime| Timestamptz::new(t).expect("in range").0;
        assert_eq!(micros(datetime!(2000-01-01 00:00 UTC)), 0);
        assert_eq!(micros(datetime!(2000-01-01 00:00:01 UTC)), 1_000_000);
        assert_eq!(micros(datetime!(1999-12-31 23:59:59 UTC)), -1_000_000);
        assert_eq!(
            micros(datetime!(2000-01-01 00:00:00.0000015 UTC)),
            2,
            "1.5 µs: half to even"
        );
        assert_eq!(
            micros(datetime!(2000-01-01 00:00:00.999999999 UTC)),
            1_000_000
        );
        assert_eq!(
            Timestamptz::new(datetime!(2025-01-01 08:00:00.899054923 +08:00))
                .expect("in range")
                .rfc3339(),
            "2025-01-01T00:00:00.899055Z"
        );
    }

    #[test]
    fn records_are_an_array_of_binary_records_sized_before_they_are_written() {
        use tokio_postgres::types::Field;
        let composite = Type::new(
            "probe".into(),
            90_001,
            Kind::Composite(vec![
                Field::new("n".into(), Type::INT4),
                Field::new("s".into(), Type::TEXT),
            ]),
            "public".into(),
        );
        let array = Type::new(
            "_probe".into(),
            90_002,
            Kind::Array(composite),
            "public".into(),
        );
        let records = Records::new(vec![
            ("n", Column::Int(vec![Some(7), None])),
            ("s", Column::Text(vec![Some("héllo"), None])),
        ]);
        let mut out = BytesMut::new();
        records.to_sql_checked(&array, &mut out).expect("encoded");
        assert_eq!(out.len(), records.encoded_len());
        let int = |at: usize| i32::from_be_bytes(out[at..at + 4].try_into().expect("4 bytes"));
        // One dimension, no NULL element, the composite's OID, two rows from 1.
        assert_eq!(
            [int(0), int(4), int(8), int(12), int(16)],
            [1, 0, 90_001, 2, 1]
        );
        // Row 1: its length, two fields; n = 7 (int4), s = "héllo" (text, 6 bytes).
        assert_eq!([int(24), int(28), int(32), int(36)], [2, 23, 4, 7]);
        assert_eq!([int(40), int(44)], [25, 6]);
        assert_eq!(&out[48..54], "héllo".as_bytes());
        assert_eq!(int(20), 54 - 24, "row 1's length");
        // Row 2: both fields NULL (-1), with their types.
        assert_eq!(int(54), 78 - 58, "row 2's length");
        assert_eq!(
            [int(58), int(62), int(66), int(70), int(74)],
            [2, 23, -1, 25, -1]
        );
        let other = Type::new(
            "_other".into(),
            90_003,
            Kind::Array(Type::new(
                "other".into(),
                90_004,
                Kind::Composite(vec![Field::new("n".into(), Type::INT8)]),
                "public".into(),
            )),
            "public".into(),
        );
        let mut out = BytesMut::new();
        assert!(records.to_sql_checked(&other, &mut out).is_err());
        assert!(
            out.is_empty(),
            "nothing written for a type that does not match"
        );
    }

    // needs: postgres
    #[cfg_attr(
        not(ipv_postgres),
        ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn records_arrive_field_by_field_and_times_equal_the_text_postgresql_reads() {
        let (_pg, db) = crate::test_postgres().await;
        db.batch_execute(
            "CREATE TYPE probe AS (at timestamptz, sent text, n integer, yes boolean, note text)",
        )
        .await
        .expect("a type");
        let times = edges();
        let text: Vec<String> = times
            .iter()
            .map(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .expect("RFC 3339")
            })
            .collect();
        let rows = times.len();
        let n: Vec<Option<i32>> = (0..rows)
            .map(|i| (i % 3 != 0).then(|| i32::try_from(i).expect("small") - 5))
            .collect();
        let notes = ["plain", "ünïcödé", "", "tab\tand \"quotes\""];
        let records = Records::new(vec![
            (
                "at",
                Column::Time(times.iter().map(|t| Timestamptz::new(*t)).collect()),
            ),
            (
                "sent",
                Column::Owned(text.iter().cloned().map(Some).collect()),
            ),
            ("n", Column::Int(n.clone())),
            (
                "yes",
                Column::Bool((0..rows).map(|i| Some(i % 2 == 0)).collect()),
            ),
            (
                "note",
                Column::Text((0..rows).map(|i| notes.get(i).copied()).collect()),
            ),
        ]);
        let got = db
            .query(
                "SELECT r.at::text, r.sent::timestamptz::text, r.n, r.yes, r.note \
                 FROM unnest($1::probe[]) WITH ORDINALITY AS r(at, sent, n, yes, note, i) \
                 ORDER BY i",
                &[&records],
            )
            .await
            .expect("a query");
        assert_eq!(got.len(), rows);
        for (i, row) in got.iter().enumerate() {
            let (binary, parsed): (String, String) = (row.get(0), row.get(1));
            assert_eq!(binary, parsed, "{} sent as binary and as text", text[i]);
            assert_eq!(row.get::<_, Option<i32>>(2), n[i]);
            assert_eq!(row.get::<_, bool>(3), i % 2 == 0);
            assert_eq!(row.get::<_, Option<&str>>(4), notes.get(i).copied());
        }
    }

    // needs: postgres
    #[cfg_attr(
        not(ipv_postgres),
        ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_type_with_other_fields_is_refused_before_anything_is_sent() {
        let (_pg, db) = crate::test_postgres().await;
        db.batch_execute("CREATE TYPE probe AS (at timestamptz, other text)")
            .await
            .expect("a type");
        let records = Records::new(vec![
            ("at", Column::Time(vec![None])),
            ("sent", Column::Text(vec![Some("x")])),
        ]);
        let error = db
            .query("SELECT count(*) FROM unnest($1::probe[])", &[&records])
            .await
            .expect_err("refused");
        let message = format!("{error:?}");
        assert!(
            message.contains("probe") && message.contains("sent"),
            "{message}"
        );
    }
}
