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

/// A serialized object's text with its top-level keys put in `jsonb` order (as
/// [`jsonb_text`], without building a map of values: each value's text is kept as it
/// is, nested objects included, and PostgreSQL sorts those few itself). Text that is
/// not an object comes back unchanged; of keys given twice the last is kept, as
/// `jsonb` keeps it.
pub(crate) fn jsonb_ordered_object(json: String) -> String {
    let Ok(TopLevel(mut entries)) = serde_json::from_str::<TopLevel<'_>>(&json) else {
        return json;
    };
    // Stable, so of equal keys the later stays later; the dedup below keeps it.
    entries.sort_by(|a, b| jsonb_key_order(&a.0, &b.0));
    let mut out = Vec::with_capacity(json.len());
    out.push(b'{');
    let mut first = true;
    for (i, (key, value)) in entries.iter().enumerate() {
        if entries.get(i + 1).is_some_and(|next| next.0 == *key) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_json_string(key, &mut out);
        out.push(b':');
        out.extend_from_slice(value.get().as_bytes());
    }
    out.push(b'}');
    // Only the input's own text, serde_json's output and ASCII punctuation went in.
    match String::from_utf8(out) {
        Ok(ordered) => ordered,
        Err(_) => json,
    }
}

/// An object's top-level entries, each value as its own unparsed text.
struct TopLevel<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

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
struct Key<'a>(std::borrow::Cow<'a, str>);

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
pub(crate) fn instance_raw_text(instance: &Instance, secrets: bool) -> Option<String> {
    if secrets {
        serde_json::to_string(instance)
            .ok()
            .map(jsonb_ordered_object)
    } else {
        Some(jsonb_text(&Value::Object(instance_raw(instance, false))))
    }
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

/// The `raw` an order read by number (endpoint 15) contributes: the order without its
/// page of instances (those have rows of their own).
pub(crate) fn order_detail_raw(order: &Order) -> Map<String, Value> {
    let mut raw = wire(order);
    for paging in ["instances", "page", "pageSize", "total"] {
        raw.remove(paging);
    }
    raw
}

/// An `orders` row from an order read by number (endpoint 15): the list's fields it
/// lacks are null, and the upsert keeps what the row has for them.
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
        for text in [jsonb_text(&value), jsonb_ordered_object(value.to_string())] {
            assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), value);
            assert_eq!(keys_written(&text), expected, "{text}");
        }
        // jsonb_text orders nested objects too; the top-level pass leaves them as given.
        assert!(jsonb_text(&value).contains(r#"{"a":[{"b":3,"yy":2}],"zz":1}"#));
    }

    #[test]
    fn the_top_level_pass_keeps_the_last_of_a_repeated_key_and_leaves_non_objects() {
        let text = r#"{"port":1,"ip":"x","port":2}"#.to_owned();
        assert_eq!(jsonb_ordered_object(text), r#"{"ip":"x","port":2}"#);
        for not_an_object in ["[1,2]", "7", "{broken"] {
            assert_eq!(
                jsonb_ordered_object(not_an_object.to_owned()),
                not_an_object
            );
        }
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
