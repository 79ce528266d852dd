//! What the API returned, as rows: one JSON object per row with the table's columns
//! (snake_case, typed in SQL by `jsonb_to_recordset`) and `raw`, the whole object.

use ipv_types::{AppInfo, Instance, Order, OrderItem, Product, ProxyBalanceItem, ProxyUser};
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant as RFC 3339 text (what PostgreSQL reads into `timestamptz`).
pub(crate) fn stamp(t: OffsetDateTime) -> Value {
    t.format(&Rfc3339).map_or(Value::Null, Value::String)
}

fn opt_stamp(t: Option<OffsetDateTime>) -> Value {
    t.map_or(Value::Null, stamp)
}

/// The object as the API's wire JSON (unknown fields included).
fn wire<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// `raw` as JSON text with every object's keys in the order PostgreSQL keeps a
/// `jsonb` object's: shorter keys first, keys of one length by their bytes.
///
/// PostgreSQL sorts each object's keys as it reads `jsonb`, and its sort first checks
/// whether they already are in order: text written in that order skips the sort, and
/// `jsonb` parses it about three times faster (PostgreSQL 15, docs/sync.md, "Figures").
/// The value stored is the same whatever order the text had.
pub(crate) fn jsonb_text(value: &Value) -> String {
    let mut out = Vec::with_capacity(512);
    write_jsonb_ordered(value, &mut out);
    // Only serde_json's output and ASCII punctuation went in.
    String::from_utf8(out).unwrap_or_else(|_| value.to_string())
}

fn write_jsonb_ordered(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| jsonb_key_order(a.0, b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(key, out);
                out.push(b':');
                write_jsonb_ordered(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_jsonb_ordered(item, out);
            }
            out.push(b']');
        }
        // Writing JSON into a Vec cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// A key as a JSON string, quoted and escaped, straight into `out`.
fn write_json_string(key: &str, out: &mut Vec<u8>) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, key);
}

/// PostgreSQL's order of `jsonb` keys: by length, then by bytes.
fn jsonb_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// `value` serialized as JSON with its top-level keys in `jsonb` order (as
/// [`jsonb_text`], in one pass and without a map of values): see [`JsonbOrderer`],
/// which does this for many values, reusing its buffers. A top-level key named
/// `leave_out` is left out; of keys given twice the last is kept, as `jsonb` keeps it.
/// `None` when `value` does not serialize; a value that is not an object comes back as
/// serde writes it.
#[cfg(test)]
pub(crate) fn jsonb_ordered_json<T: Serialize + ?Sized>(
    value: &T,
    leave_out: Option<&str>,
) -> Option<String> {
    JsonbOrderer::new(leave_out.as_slice()).write(value)
}

/// Writes values as JSON with their top-level keys in `jsonb` order: serde_json writes
/// each object as usual while [`Marks`] notes where each top-level key and value begin
/// and end, and the entries are then copied out in order. Nested objects keep serde's
/// order (PostgreSQL sorts those few itself).
///
/// Values of one type write the same keys in the same order, so the order found for one
/// object is kept and reused while the next objects' keys are the same, byte for byte:
/// a batch of instances sorts its keys once. Its scratch buffers are reused too.
pub(crate) struct JsonbOrderer<'a> {
    /// Top-level keys left out.
    leave_out: &'a [&'a str],
    /// serde_json's output for the value being written.
    text: Vec<u8>,
    at: std::rc::Rc<std::cell::Cell<usize>>,
    spans: std::rc::Rc<std::cell::RefCell<Vec<[usize; 4]>>>,
    /// The key literals (quotes included) of the last object ordered, one after
    /// another, and where each ends.
    keys: Vec<u8>,
    key_ends: Vec<usize>,
    /// Which of those entries are written, in `jsonb` order.
    order: Vec<usize>,
}

impl<'a> JsonbOrderer<'a> {
    pub(crate) fn new(leave_out: &'a [&'a str]) -> Self {
        Self {
            leave_out,
            text: Vec::with_capacity(1024),
            at: std::rc::Rc::new(std::cell::Cell::new(0)),
            spans: std::rc::Rc::new(std::cell::RefCell::new(Vec::with_capacity(32))),
            keys: Vec::with_capacity(512),
            key_ends: Vec::with_capacity(32),
            order: Vec::with_capacity(32),
        }
    }

    /// `value` as JSON text, its top-level keys in `jsonb` order; `None` when it does
    /// not serialize.
    pub(crate) fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Option<String> {
        self.text.clear();
        self.spans.borrow_mut().clear();
        self.at.set(0);
        let writer = Counted {
            out: std::mem::take(&mut self.text),
            at: std::rc::Rc::clone(&self.at),
        };
        let mut serializer = serde_json::Serializer::with_formatter(
            writer,
            Marks {
                at: std::rc::Rc::clone(&self.at),
                depth: 0,
                open: [0; 4],
                spans: std::rc::Rc::clone(&self.spans),
            },
        );
        let written = value.serialize(&mut serializer);
        self.text = serializer.into_inner().out;
        written.ok()?;
        let spans = std::rc::Rc::clone(&self.spans);
        let spans = spans.borrow();
        if spans.is_empty() {
            // Not an object, or one with no entry: as serde wrote it.
            return String::from_utf8(self.text.clone()).ok();
        }
        if !self.same_keys(&spans) {
            self.find_order(&spans)?;
        }
        let mut out = Vec::with_capacity(self.text.len());
        out.push(b'{');
        for (n, &i) in self.order.iter().enumerate() {
            let [k0, k1, v0, v1] = spans[i];
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&self.text[k0..k1]);
            out.push(b':');
            out.extend_from_slice(&self.text[v0..v1]);
        }
        out.push(b'}');
        // serde_json's own output, cut at its token boundaries, and ASCII punctuation.
        String::from_utf8(out).ok()
    }

    /// Whether the object just written has the last ordered object's keys, in the same
    /// order and spelt the same.
    fn same_keys(&self, spans: &[[usize; 4]]) -> bool {
        spans.len() == self.key_ends.len()
            && spans.iter().enumerate().all(|(i, &[k0, k1, _, _])| {
                let from = if i == 0 { 0 } else { self.key_ends[i - 1] };
                self.text.get(k0..k1) == self.keys.get(from..self.key_ends[i])
            })
    }

    /// Sorts the entries of the object just written into `jsonb` order, leaving out
    /// the keys in `leave_out` and all but the last of a repeated key, and keeps that
    /// order.
    fn find_order(&mut self, spans: &[[usize; 4]]) -> Option<()> {
        let text = &self.text;
        let mut entries: Vec<(std::borrow::Cow<'_, str>, usize)> = Vec::with_capacity(spans.len());
        for (i, &[k0, k1, _, _]) in spans.iter().enumerate() {
            entries.push((key_of(text.get(k0..k1)?)?, i));
        }
        // Stable, so of equal keys the later stays later; only the last is kept.
        entries.sort_by(|a, b| jsonb_key_order(&a.0, &b.0));
        self.order.clear();
        for (n, (key, i)) in entries.iter().enumerate() {
            let repeated = entries.get(n + 1).is_some_and(|next| next.0 == *key);
            if !repeated && !self.leave_out.contains(&key.as_ref()) {
                self.order.push(*i);
            }
        }
        self.keys.clear();
        self.key_ends.clear();
        for &[k0, k1, _, _] in spans {
            self.keys.extend_from_slice(&text[k0..k1]);
            self.key_ends.push(self.keys.len());
        }
        Some(())
    }
}

/// A key's text from its JSON string literal (quotes included).
fn key_of(literal: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    let inner = literal.get(1..literal.len().checked_sub(1)?)?;
    if inner.contains(&b'\\') {
        serde_json::from_slice::<String>(literal)
            .ok()
            .map(std::borrow::Cow::Owned)
    } else {
        std::str::from_utf8(inner)
            .ok()
            .map(std::borrow::Cow::Borrowed)
    }
}

/// The serializer's output, counting what has been written so far for [`Marks`].
struct Counted {
    out: Vec<u8>,
    at: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.out.extend_from_slice(bytes);
        self.at.set(self.out.len());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// serde_json's compact output, noting for each entry of the outermost object where
/// its key and its value begin and end (`[key start, key end, value start, value end]`
/// in the output).
struct Marks {
    at: std::rc::Rc<std::cell::Cell<usize>>,
    depth: usize,
    open: [usize; 4],
    spans: std::rc::Rc<std::cell::RefCell<Vec<[usize; 4]>>>,
}

impl serde_json::ser::Formatter for Marks {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        writer.write_all(b"]")
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        if self.depth == 1 {
            self.open[0] = self.at.get();
        }
        Ok(())
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        if self.depth == 1 {
            self.open[1] = self.at.get();
        }
        Ok(())
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b":")?;
        if self.depth == 1 {
            self.open[2] = self.at.get();
        }
        Ok(())
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        if self.depth == 1 {
            self.open[3] = self.at.get();
            self.spans.borrow_mut().push(self.open);
        }
        Ok(())
    }
}

/// An object's top-level entries, each value as its own unparsed text.
#[cfg(test)]
struct TopLevel<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

#[cfg(test)]
impl<'de> serde::Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some(Key(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(TopLevel(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A key, borrowed from the text unless it holds an escape.
#[cfg(test)]
struct Key<'a>(std::borrow::Cow<'a, str>);

#[cfg(test)]
impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// The top-level keys of an object's text, in the order they are written.
#[cfg(test)]
pub(crate) fn keys_written(text: &str) -> Vec<String> {
    let TopLevel(entries) = serde_json::from_str(text).expect("an object");
    entries.into_iter().map(|(k, _)| k.into_owned()).collect()
}

#[cfg(test)]
fn text_of(value: Option<&Value>) -> Value {
    match value {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Null) | None => Value::Null,
        Some(other) => Value::String(other.to_string()),
    }
}

/// The `raw` of an instance: its wire JSON, without the password when secrets are off.
pub(crate) fn instance_raw(instance: &Instance, secrets: bool) -> Map<String, Value> {
    let mut raw = wire(instance);
    if !secrets {
        raw.remove("pwd");
    }
    raw
}

/// An instance's `raw` as JSON text in `jsonb` key order ([`jsonb_text`]), without the
/// password when secrets are off.
#[cfg(test)]
pub(crate) fn instance_raw_text(instance: &Instance, secrets: bool) -> Option<String> {
    jsonb_ordered_json(instance, (!secrets).then_some("pwd"))
}

/// An `instances` row.
#[cfg(test)]
pub(crate) fn instance_row(instance: &Instance, secrets: bool, fetched_at: &Value) -> Value {
    let raw = instance_raw(instance, secrets);
    json!({
        "instance_no": instance.instance_no,
        "order_no": instance.order_no,
        "product_no": instance.product_no,
        "proxy_type": instance.proxy_type.as_i64(),
        "proxy_type_name": instance.proxy_type.label(),
        "protocol": text_of(raw.get("protocol")),
        "ip": instance.ip,
        "port": instance.port,
        "region_id": instance.region_id,
        "country_code": instance.country_code,
        "city_code": instance.city_code,
        "use_type": text_of(raw.get("useType")),
        "username": instance.username,
        "pwd": if secrets { Value::String(instance.pwd.clone()) } else { Value::Null },
        "user_expired": opt_stamp(instance.expires_at()),
        "flow_total": instance.flow_total,
        "flow_balance": instance.flow_balance,
        "status": instance.status.as_i64(),
        "status_name": instance.status.label(),
        "renew": instance.auto_renews(),
        "open_at": opt_stamp(instance.open_at),
        "renew_at": opt_stamp(instance.renew_at),
        "release_at": opt_stamp(instance.release_at),
        "extend_ip": instance.extend_ip,
        "raw": raw,
        "fetched_at": fetched_at,
    })
}

/// An `orders` row from the order list (endpoint 16).
pub(crate) fn order_item_row(order: &OrderItem, fetched_at: &Value) -> Value {
    json!({
        "order_no": order.order_no,
        "app_order_no": order.app_order_no,
        "type": order.order_type.as_i64(),
        "type_name": order.order_type.label(),
        "status": order.status.as_i64(),
        "status_name": order.status.label(),
        "count": order.count,
        "success_count": order.success_count,
        "amount": order.amount.to_string(),
        "refund": Value::Null,
        "city_code": order.city_code,
        "instance_no": order.instance_no,
        "ext_band_width": order.ext_band_width,
        "flow": order.flow,
        "created_at": opt_stamp(order.created_at),
        "raw": wire(order),
        "fetched_at": fetched_at,
    })
}

/// The fields of an order read by number that are its page of instances, not the
/// order: left out of its `raw`.
pub(crate) const ORDER_DETAIL_PAGING: &[&str] = &["instances", "page", "pageSize", "total"];

/// The `raw` an order read by number (endpoint 15) contributes: the order without its
/// page of instances (those have rows of their own).
pub(crate) fn order_detail_raw(order: &Order) -> Map<String, Value> {
    let mut raw = wire(order);
    for paging in ORDER_DETAIL_PAGING {
        raw.remove(*paging);
    }
    raw
}

/// An `orders` row from an order read by number (endpoint 15): the list's fields it
/// lacks are null, and the upsert keeps what the row has for them.
#[cfg(test)]
pub(crate) fn order_row(order: &Order, fetched_at: &Value) -> Value {
    json!({
        "order_no": order.order_no,
        "app_order_no": order.app_order_no,
        "type": order.order_type.as_i64(),
        "type_name": order.order_type.label(),
        "status": order.status.as_i64(),
        "status_name": order.status.label(),
        "count": order.count,
        "success_count": Value::Null,
        "amount": order.amount.to_string(),
        "refund": order.refund,
        "city_code": Value::Null,
        "instance_no": Value::Null,
        "ext_band_width": Value::Null,
        "flow": Value::Null,
        "created_at": Value::Null,
        "raw": order_detail_raw(order),
        "fetched_at": fetched_at,
    })
}

/// A `products` row.
pub(crate) fn product_row(product: &Product, fetched_at: &Value) -> Value {
    json!({
        "product_no": product.product_no,
        "product_name": product.product_name,
        "proxy_type": product.proxy_type.as_i64(),
        "proxy_type_name": product.proxy_type.label(),
        "cost_price": product.cost_price.to_string(),
        "inventory": product.inventory,
        "enable": product.enable.as_i64(),
        "duration": product.duration,
        "unit": product.unit.as_i64(),
        "unit_name": product.unit.label(),
        "country_code": product.country_code,
        "city_code": product.city_code,
        "raw": wire(product),
        "fetched_at": fetched_at,
    })
}

/// A `main_user_balances` row.
pub(crate) fn balance_row(
    app_username: &str,
    item: &ProxyBalanceItem,
    fetched_at: &Value,
) -> Value {
    let number = |text: &str| {
        let text = text.trim();
        if text.parse::<f64>().is_ok() {
            Value::String(text.to_owned())
        } else {
            Value::Null
        }
    };
    json!({
        "app_username": app_username,
        "product_no": item.product_no,
        "used": number(&item.used),
        "total": number(&item.total),
        "balance": number(&item.balance),
        "ip_used": item.ip_used,
        "ip_total": item.ip_total,
        "raw": wire(item),
        "fetched_at": fetched_at,
    })
}

/// A `proxy_users` row (the password left out when secrets are off).
pub(crate) fn proxy_user_row(user: &ProxyUser, secrets: bool, fetched_at: &Value) -> Value {
    let mut raw = wire(user);
    if !secrets {
        raw.remove("password");
    }
    json!({
        "product_no": user.product_no,
        "app_username": user.app_username,
        "username": user.username,
        "limit_flow": user.limit_flow,
        "use_flow": user.use_flow,
        "password": if secrets { Value::String(user.password.clone()) } else { Value::Null },
        "remark": user.remark,
        "status": user.status.as_i64(),
        "status_name": user.status.label(),
        "raw": raw,
        "fetched_at": fetched_at,
    })
}

/// A `balance_history` row.
pub(crate) fn app_balance_row(info: &AppInfo, fetched_at: &Value) -> Value {
    json!({
        "coin": info.coin.to_string(),
        "credit": info.credit.map(|c| c.to_string()),
        "raw": wire(info),
        "fetched_at": fetched_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_secrets_leaves_the_password_out_of_row_and_raw() {
        let mut instance = Instance::default();
        instance.instance_no = "i1".to_owned();
        instance.pwd = "hunter2".to_owned();
        let at = stamp(OffsetDateTime::UNIX_EPOCH);
        let row = instance_row(&instance, false, &at);
        assert!(!row.to_string().contains("hunter2"));
        assert_eq!(row["pwd"], Value::Null);
        let row = instance_row(&instance, true, &at);
        assert_eq!(row["pwd"], "hunter2");
        assert_eq!(row["raw"]["pwd"], "hunter2");
    }

    #[test]
    fn raw_text_comes_in_jsonb_key_order_and_means_the_same() {
        let value = json!({
            "userExpired": 1, "ip": "10.0.0.1", "pwd": "p", "port": 80, "b": true,
            "a\"q": "quoted key", "nested": {"zz": 1, "a": [{"yy": 2, "b": 3}]},
        });
        let expected = ["b", "ip", "a\"q", "pwd", "port", "nested", "userExpired"];
        let one_pass = jsonb_ordered_json(&value, None).expect("serializes");
        for text in [jsonb_text(&value), one_pass] {
            assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), value);
            assert_eq!(keys_written(&text), expected, "{text}");
        }
        // jsonb_text orders nested objects too; the top-level pass leaves them as given.
        assert!(jsonb_text(&value).contains(r#"{"a":[{"b":3,"yy":2}],"zz":1}"#));
    }

    #[test]
    fn the_one_pass_keeps_the_last_of_a_repeated_key_leaves_one_out_and_non_objects_alone() {
        /// A map that gives `port` twice (serde allows it; `jsonb` keeps the last).
        struct Twice;
        impl Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("port", &1)?;
                map.serialize_entry("ip", "x")?;
                map.serialize_entry("pwd", "secret")?;
                map.serialize_entry("port", &2)?;
                map.end()
            }
        }
        assert_eq!(
            jsonb_ordered_json(&Twice, None).as_deref(),
            Some(r#"{"ip":"x","pwd":"secret","port":2}"#)
        );
        assert_eq!(
            jsonb_ordered_json(&Twice, Some("pwd")).as_deref(),
            Some(r#"{"ip":"x","port":2}"#)
        );
        assert_eq!(
            jsonb_ordered_json(&json!({"pwd": "p"}), Some("pwd")).as_deref(),
            Some("{}")
        );
        assert_eq!(jsonb_ordered_json(&json!({}), None).as_deref(), Some("{}"));
        for not_an_object in [json!([1, 2]), json!(7), json!([{"bb": 1, "a": 2}])] {
            assert_eq!(
                jsonb_ordered_json(&not_an_object, Some("a")),
                Some(not_an_object.to_string())
            );
        }
    }

    #[test]
    fn an_orderer_reuses_an_order_only_for_the_same_keys() {
        // Serialized structs keep their field order; maps here come in a new order,
        // a new spelling, a key more, a repeated key: each must be ordered afresh.
        struct Entries(Vec<(&'static str, i32)>);
        impl Serialize for Entries {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in &self.0 {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
        let objects = [
            Entries(vec![("port", 1), ("ip", 2), ("pwd", 3)]),
            Entries(vec![("port", 4), ("ip", 5), ("pwd", 6)]),
            Entries(vec![("ip", 7), ("port", 8), ("pwd", 9)]),
            Entries(vec![("ip", 7), ("port", 8), ("pwd", 9), ("a", 0)]),
            Entries(vec![("i\"p", 1), ("port", 2), ("pwd", 3)]),
            Entries(vec![("ip", 1), ("port", 2), ("ip", 3)]),
            Entries(vec![]),
            Entries(vec![("port", 1), ("ip", 2), ("pwd", 3)]),
        ];
        // The oracle: the object as a serde_json map (a repeated key keeps its last
        // value), the key left out removed, ordered by `jsonb_text`.
        let expected = |object: &Entries, leave_out: Option<&str>| {
            let mut value = serde_json::to_value(object).expect("a map");
            if let (Some(key), Value::Object(map)) = (leave_out, &mut value) {
                map.remove(key);
            }
            jsonb_text(&value)
        };
        for leave_out in [None, Some("pwd")] {
            let mut orderer = JsonbOrderer::new(leave_out.as_slice());
            for object in &objects {
                assert_eq!(
                    orderer.write(object),
                    Some(expected(object, leave_out)),
                    "{leave_out:?}"
                );
            }
        }
        let mut orderer = JsonbOrderer::new(&["pwd"]);
        assert_eq!(
            orderer.write(&objects[2]).as_deref(),
            Some(r#"{"ip":7,"port":8}"#)
        );
        assert_eq!(
            orderer.write(&objects[5]).as_deref(),
            Some(r#"{"ip":3,"port":2}"#)
        );
    }

    #[test]
    fn order_detail_raw_has_no_instances_or_paging() {
        let mut order = Order::default();
        order.order_no = "o1".to_owned();
        order.instances = vec![Instance::default()];
        let raw = order_detail_raw(&order);
        assert_eq!(raw["orderNo"], "o1");
        assert!(!raw.contains_key("instances"));
        assert!(!raw.contains_key("total"));
    }
}
