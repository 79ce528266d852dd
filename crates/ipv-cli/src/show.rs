//! How each typed response prints: its table columns, next to the type.
//!
//! A response is serialised with its own serde names and laid out by
//! [`crate::output`]; the columns a list shows are named per item type
//! ([`Columns::COLUMNS`]), and a test holds every named column to the type's own
//! serialised fields, so a renamed field cannot leave a column silently empty.

use serde::Serialize;
use serde_json::Value;

use ipv_types as t;

use crate::failure::{CmdResult, Failure};
use crate::output::{self, print_value};

/// The columns of a list of `Self`, by serde name; a `:` names the dictionary a code
/// belongs to when the name alone does not (`status:instance`).
pub(crate) trait Columns {
    /// The columns, in order.
    const COLUMNS: &'static [&'static str];
}

impl Columns for t::Instance {
    const COLUMNS: &'static [&'static str] = &[
        "instanceNo",
        "status:instance",
        "proxyType",
        "protocol",
        "ip",
        "port",
        "username",
        "userExpired",
        "productNo",
    ];
}

impl Columns for t::Product {
    const COLUMNS: &'static [&'static str] = &[
        "productNo",
        "productName",
        "proxyType",
        "countryCode",
        "cityCode",
        "costPrice",
        "duration",
        "unit",
        "inventory",
        "enable",
    ];
}

impl Columns for t::City {
    const COLUMNS: &'static [&'static str] = &[
        "cityCode",
        "cityName",
        "stateName",
        "countryCode",
        "countryName",
        "areaName",
        "status:listing",
    ];
}

impl Columns for t::OrderItem {
    const COLUMNS: &'static [&'static str] = &[
        "orderNo",
        "appOrderNo",
        "type:order",
        "status:order",
        "count",
        "successCount",
        "amount",
        "createdAt",
    ];
}

impl Columns for t::ProxyBalanceItem {
    const COLUMNS: &'static [&'static str] = &[
        "productNo",
        "used",
        "total",
        "balance",
        "ipUsed",
        "ipTotal",
        "ipWhiteList",
    ];
}

/// Serialises a response with the wire's field names.
pub(crate) fn to_wire_value<T: Serialize + ?Sized>(value: &T) -> CmdResult<Value> {
    serde_json::to_value(value)
        .map_err(|err| Failure::other(format!("cannot serialise the response: {err}")))
}

/// A response the CLI prints.
pub(crate) trait Show: Serialize {
    /// Column hints by the key holding a list (`""` for the top), see
    /// [`output::Columns`].
    const HINTS: output::Columns = &[];

    /// Prints the response as JSON or for people.
    fn show(&self, json: bool) -> CmdResult {
        print_value(json, &to_wire_value(self)?, Self::HINTS)
    }
}

macro_rules! plain {
    ($($ty:ty),* $(,)?) => { $( impl Show for $ty {} )* };
}

plain!(
    t::Product,
    Vec<t::ProductArea>,
    Vec<t::Project>,
    t::OrderReceipt,
    t::AssignedIpInfo,
    t::ResetPasswordsResult,
    t::UserAuthStatus,
    t::DrawnProxies,
    t::DrawApiUrls,
    t::Page<t::FlowUsage>,
    t::IpWhitelist,
    t::ReturnedProxy,
);

impl Show for t::AppInfo {
    const HINTS: output::Columns = &[("", &["status:app", "useBridge:app"])];
}

impl Show for t::Account {
    const HINTS: output::Columns = &[("", &["status:account"])];
}

impl Show for t::ProxyUser {
    const HINTS: output::Columns = &[("", &["status:account"])];
}

impl Show for Vec<t::City> {
    const HINTS: output::Columns = &[("", t::City::COLUMNS)];
}

impl Show for Vec<t::Product> {
    const HINTS: output::Columns = &[("", t::Product::COLUMNS)];
}

impl Show for t::Order {
    const HINTS: output::Columns = &[
        ("", &["status:order", "type:order"]),
        ("instances", t::Instance::COLUMNS),
    ];
}

impl Show for t::Page<t::OrderItem> {
    const HINTS: output::Columns = &[("list", t::OrderItem::COLUMNS)];
}

impl Show for Vec<t::Instance> {
    const HINTS: output::Columns = &[("", t::Instance::COLUMNS)];
}

impl Show for t::Page<t::Instance> {
    const HINTS: output::Columns = &[("list", t::Instance::COLUMNS)];
}

impl Show for t::ProxyBalance {
    const HINTS: output::Columns = &[("list", t::ProxyBalanceItem::COLUMNS)];
}

impl Show for t::NoData {
    fn show(&self, json: bool) -> CmdResult {
        if json {
            print_value(true, &Value::Null, &[])
        } else {
            output::print_text("done\n")
        }
    }
}

impl Show for Vec<t::Area> {
    fn show(&self, json: bool) -> CmdResult {
        if json {
            return print_value(true, &to_wire_value(self)?, &[]);
        }
        output::print_text(&area_tree(self))
    }
}

/// The area tree as a table whose codes are indented by depth.
fn area_tree(areas: &[t::Area]) -> String {
    fn walk(table: &mut output::Table, areas: &[t::Area], depth: usize) {
        for area in areas {
            table.push(vec![
                format!("{}{}", "  ".repeat(depth), area.code),
                area.name.clone(),
                area.cname.clone(),
            ]);
            walk(table, &area.children, depth + 1);
        }
    }
    let mut table = output::Table::new(["code", "name", "cname"]);
    walk(&mut table, areas, 0);
    table.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column names a field the item type serialises.
    fn check<T: Columns + Serialize + Default>() {
        let value = serde_json::to_value(T::default()).unwrap();
        let object = value.as_object().expect("an object");
        for column in T::COLUMNS {
            let field = column.split_once(':').map_or(*column, |(f, _)| f);
            assert!(
                object.contains_key(field),
                "{}: no field `{field}` in {:?}",
                std::any::type_name::<T>(),
                object.keys().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn every_column_is_a_field_of_its_type() {
        check::<t::Instance>();
        check::<t::Product>();
        check::<t::City>();
        check::<t::OrderItem>();
        check::<t::ProxyBalanceItem>();
    }

    #[test]
    fn area_tree_indents_children() {
        let areas: Vec<t::Area> = serde_json::from_value(serde_json::json!([
            {"code": "AS", "name": "Asia", "cname": "亚洲", "children": [
                {"code": "CHN", "name": "China", "cname": "中国", "children": []}
            ]}
        ]))
        .unwrap();
        assert_eq!(
            area_tree(&areas),
            "code   name   cname\n-----  -----  -----\nAS     Asia   亚洲\n  CHN  China  中国\n"
        );
    }

    #[test]
    fn the_order_lists_its_instances_under_the_key_its_hint_names() {
        let value = serde_json::to_value(t::Order::default()).unwrap();
        for (key, _) in <t::Order as Show>::HINTS {
            assert!(key.is_empty() || value.get(key).is_some(), "{key}");
        }
        let page = serde_json::to_value(t::Page::<t::Instance>::default()).unwrap();
        assert!(page.get("list").is_some());
    }
}
