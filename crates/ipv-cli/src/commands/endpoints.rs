//! The 30 endpoint subcommands: flags -> the request's wire JSON -> the typed request
//! -> `Client::send` -> the typed response -> printed.
//!
//! Going through the wire JSON keeps the flag structs independent of the request types'
//! Rust field types, while the typed request still validates every value (a bad value
//! is a usage error naming the field) before anything is sent.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use ipv_api::endpoint::Endpoint;
use ipv_types as t;

use crate::cli::{Command, OpenArgs, RenewArgs, WaitArgs};
use crate::failure::{CmdResult, Failure};
use crate::ids;
use crate::output::{Columns, print_value};
use crate::session::Session;
use crate::wait;

/// Columns for instance lists (the wire's names).
pub(crate) const INSTANCE_COLUMNS: &[&str] = &[
    "instanceNo",
    "status",
    "proxyType",
    "protocol",
    "ip",
    "port",
    "username",
    "userExpired",
    "productNo",
];

const PRODUCT_COLUMNS: Columns = &[(
    "",
    &[
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
    ],
)];
const CITY_COLUMNS: Columns = &[(
    "",
    &[
        "cityCode",
        "cityName",
        "stateName",
        "countryCode",
        "countryName",
        "areaName",
        "status",
    ],
)];
const ORDER_COLUMNS: Columns = &[("instances", INSTANCE_COLUMNS)];
const ORDERS_COLUMNS: Columns = &[(
    "list",
    &[
        "orderNo",
        "appOrderNo",
        "type",
        "status",
        "count",
        "successCount",
        "amount",
        "createdAt",
    ],
)];
const INSTANCES_COLUMNS: Columns = &[("", INSTANCE_COLUMNS), ("list", INSTANCE_COLUMNS)];
const BALANCE_COLUMNS: Columns = &[(
    "list",
    &[
        "productNo",
        "used",
        "total",
        "balance",
        "ipUsed",
        "ipTotal",
        "ipWhiteList",
    ],
)];
const NONE: Columns = &[];

/// What `products` searches without `--proxy-type`: every documented type.
const ALL_PROXY_TYPES: &[i64] = &[101, 102, 103, 104, 105, 201];

/// Serialises a flag struct to its wire JSON, dropping absent (`None`) fields.
pub(crate) fn wire<T: Serialize>(args: &T) -> CmdResult<Value> {
    let mut value = serde_json::to_value(args)
        .map_err(|err| Failure::other(format!("cannot build the request: {err}")))?;
    drop_nulls(&mut value);
    Ok(value)
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The typed request for `E` from its wire JSON; a mismatch is a usage error naming
/// the field.
pub(crate) fn typed<E: DeserializeOwned>(params: Value) -> CmdResult<E> {
    serde_path_to_error::deserialize(params).map_err(|err| {
        Failure::usage(format!(
            "invalid request field `{}`: {}",
            err.path(),
            err.inner()
        ))
    })
}

/// Serialises a response with the wire's field names.
pub(crate) fn to_wire_value<T: Serialize>(value: &T) -> CmdResult<Value> {
    serde_json::to_value(value)
        .map_err(|err| Failure::other(format!("cannot serialise the response: {err}")))
}

/// Builds `E` from `params`, sends it and returns the response as wire JSON.
async fn send<E>(session: &Session, params: Value) -> CmdResult<Value>
where
    E: Endpoint + DeserializeOwned,
    E::Response: Serialize,
{
    let request: E = typed(params)?;
    let response = session.send(&request).await?;
    to_wire_value(&response)
}

/// Sends and prints.
async fn call<E>(session: &Session, params: Value, columns: Columns) -> CmdResult
where
    E: Endpoint + DeserializeOwned,
    E::Response: Serialize,
{
    let value = send::<E>(session, params).await?;
    print_value(session.json(), &value, columns)
}

/// Runs one of the endpoint subcommands.
pub(crate) async fn run(session: &Session, command: Command) -> CmdResult {
    match command {
        Command::AppInfo => {
            let info = session.send(&t::AppInfoRequest).await?;
            print_value(session.json(), &to_wire_value(&info)?, NONE)
        }
        Command::Areas(args) => {
            let value = send::<t::AreasRequest>(session, wire(&args)?).await?;
            if session.json() {
                print_value(true, &value, NONE)
            } else {
                crate::output::print_text(&area_tree(&value))
            }
        }
        Command::Cities(args) => {
            call::<t::CitiesRequest>(session, wire(&args)?, CITY_COLUMNS).await
        }
        Command::Products(mut args) => {
            if args.proxy_type.is_empty() {
                args.proxy_type = ALL_PROXY_TYPES.to_vec();
            }
            call::<t::ProductsRequest>(session, wire(&args)?, PRODUCT_COLUMNS).await
        }
        Command::Product(args) => call::<t::ProductRequest>(session, wire(&args)?, NONE).await,
        Command::ProductAreas(args) => {
            call::<t::ProductAreasRequest>(session, wire(&args)?, NONE).await
        }
        Command::Projects(args) => call::<t::ProjectsRequest>(session, wire(&args)?, NONE).await,
        Command::Open(args) => {
            let (params, app_order_no) = open_params(&args);
            announce_generated("appOrderNo", args.app_order_no.as_deref(), &app_order_no);
            purchase::<t::OpenInstancesRequest>(session, params, args.wait).await
        }
        Command::OpenAssignedIp(args) => {
            let app_order_no = args.app_order_no.clone().unwrap_or_else(ids::app_order_no);
            announce_generated("appOrderNo", args.app_order_no.as_deref(), &app_order_no);
            let mut params = wire(&args)?;
            params["appOrderNo"] = json!(app_order_no);
            purchase::<t::OpenAssignedIpRequest>(session, params, args.wait).await
        }
        Command::AssignedIpInfo(args) => {
            call::<t::AssignedIpInfoRequest>(session, wire(&args)?, NONE).await
        }
        Command::Renew(args) => {
            let (params, app_order_no) = renew_params(&args);
            announce_generated("appOrderNo", args.app_order_no.as_deref(), &app_order_no);
            purchase::<t::RenewInstancesRequest>(session, params, args.wait).await
        }
        Command::Release(args) => {
            purchase::<t::ReleaseInstancesRequest>(session, wire(&args)?, args.wait).await
        }
        Command::AfterSale(args) => {
            purchase::<t::AfterSaleReleaseRequest>(session, wire(&args)?, args.wait).await
        }
        Command::ResetPasswords(args) => {
            let reset_no = args.reset_no.clone().unwrap_or_else(ids::reset_no);
            announce_generated("resetNo", args.reset_no.as_deref(), &reset_no);
            let mut params = wire(&args)?;
            params["resetNo"] = json!(reset_no);
            call::<t::ResetPasswordsRequest>(session, params, NONE).await
        }
        Command::Order(args) => call::<t::OrderRequest>(session, wire(&args)?, ORDER_COLUMNS).await,
        Command::Orders(args) => {
            call::<t::OrdersRequest>(session, wire(&args)?, ORDERS_COLUMNS).await
        }
        Command::Instances(args) => {
            call::<t::InstancesRequest>(session, wire(&args)?, INSTANCES_COLUMNS).await
        }
        Command::InstanceList(args) => {
            call::<t::InstanceListRequest>(session, wire(&args)?, INSTANCES_COLUMNS).await
        }
        Command::UpsertUser(args) => {
            call::<t::UpsertUserRequest>(session, wire(&args)?, NONE).await
        }
        Command::SyncUserAuth(args) => {
            call::<t::SyncUserAuthRequest>(session, wire(&args)?, NONE).await
        }
        Command::UpsertProxyUser(args) => {
            call::<t::UpsertProxyUserRequest>(session, wire(&args)?, NONE).await
        }
        Command::ProxyUser(args) => call::<t::ProxyUserRequest>(session, wire(&args)?, NONE).await,
        Command::SetFlowLimit(args) => {
            let value = send::<t::SetProxyUserFlowLimitRequest>(session, wire(&args)?).await?;
            if session.json() {
                print_value(true, &value, NONE)
            } else {
                crate::output::print_text("flow limit set\n")
            }
        }
        Command::ProxyBalance(args) => {
            call::<t::ProxyBalanceRequest>(session, wire(&args)?, BALANCE_COLUMNS).await
        }
        Command::DrawPwd(args) => {
            call::<t::DrawWithPasswordRequest>(session, wire(&args)?, NONE).await
        }
        Command::DrawApi(args) => call::<t::DrawApiUrlRequest>(session, wire(&args)?, NONE).await,
        Command::FlowLog(args) => call::<t::FlowUsageLogRequest>(session, wire(&args)?, NONE).await,
        Command::WhitelistAdd(args) => {
            call::<t::AddIpWhitelistRequest>(session, wire(&args)?, NONE).await
        }
        Command::WhitelistRemove(args) => {
            call::<t::RemoveIpWhitelistRequest>(session, wire(&args)?, NONE).await
        }
        Command::ReturnProxy(args) => {
            call::<t::ReturnDynamicProxyRequest>(session, wire(&args)?, NONE).await
        }
        Command::Raw(args) => raw(session, &args.path, args.json.as_deref()).await,
        Command::Emulator(_)
        | Command::Callback(_)
        | Command::Codec(_)
        | Command::Demo(_)
        | Command::Completions(_) => Err(Failure::other("internal: not an endpoint command")),
    }
}

/// Tells stderr about an identifier this tool made up, so the user can find the order.
fn announce_generated(field: &str, given: Option<&str>, value: &str) {
    if given.is_none() {
        eprintln!("{field}: {value} (generated)");
    }
}

/// The wire JSON of `instance/open` with one parameter line, and its appOrderNo.
pub(crate) fn open_params(args: &OpenArgs) -> (Value, String) {
    let app_order_no = args.app_order_no.clone().unwrap_or_else(ids::app_order_no);
    let mut param = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            param.insert(key.to_owned(), value);
        }
    };
    put("productNo", json!(args.product_no));
    put("proxyType", json!(args.proxy_type));
    put("countryCode", json!(args.country_code));
    put("cityCode", json!(args.city_code));
    put("supplierCode", json!(args.supplier_code));
    put("unit", json!(args.unit));
    put("ispType", json!(args.isp_type));
    put("duration", json!(args.duration));
    put("count", json!(args.count));
    put("cycleTimes", json!(args.cycle_times));
    put("renew", json!(args.renew));
    put("extBandWidth", json!(args.ext_band_width));
    put("appUsername", json!(args.app_username));
    put("flow", json!(args.flow));
    put("useBridge", json!(args.use_bridge));
    put("projectId", json!(args.project_id));
    if !args.cidr_blocks.is_empty() {
        put("cidrBlocks", json!(args.cidr_blocks));
    }
    let params = json!({ "appOrderNo": app_order_no, "params": [Value::Object(param)] });
    (params, app_order_no)
}

/// The wire JSON of `instance/renew`, every instance renewed alike, and its appOrderNo.
pub(crate) fn renew_params(args: &RenewArgs) -> (Value, String) {
    let app_order_no = args.app_order_no.clone().unwrap_or_else(ids::app_order_no);
    let items: Vec<Value> = args
        .instances
        .iter()
        .map(|no| {
            let mut item = json!({ "instanceNo": no });
            if let Some(cycles) = args.cycle_times {
                item["cycleTimes"] = json!(cycles);
            }
            if let Some(duration) = args.duration {
                item["duration"] = json!(duration);
            }
            item
        })
        .collect();
    (
        json!({ "appOrderNo": app_order_no, "instances": items }),
        app_order_no,
    )
}

/// Places an order (open, renew, release, after-sale); with `--wait`, follows it to the
/// end and prints `{"receipt": ..., "order": ...}`, else prints the receipt.
async fn purchase<E>(session: &Session, params: Value, wait_args: WaitArgs) -> CmdResult
where
    E: Endpoint<Response = t::OrderReceipt> + DeserializeOwned,
{
    let request: E = typed(params)?;
    let receipt = session.send(&request).await?;
    let receipt_value = to_wire_value(&receipt)?;
    if !wait_args.wait {
        return print_value(session.json(), &receipt_value, NONE);
    }
    if !session.json() {
        crate::output::print_text(&crate::output::render_text(&receipt_value, NONE))?;
    }
    let order = wait::follow_order(session, &receipt, wait_args.wait_timeout).await?;
    let order_value = to_wire_value(&order)?;
    let finished_well = order.status == t::OrderStatus::Succeeded;
    if session.json() {
        print_value(
            true,
            &json!({ "receipt": receipt_value, "order": order_value }),
            NONE,
        )?;
    } else {
        crate::output::print_text("\n")?;
        print_value(false, &order_value, ORDER_COLUMNS)?;
    }
    if finished_well {
        Ok(())
    } else {
        Err(Failure::api(format!(
            "order {} finished as {}, not succeeded",
            receipt.order_no, order.status
        )))
    }
}

/// `ipv raw PATH [JSON]`.
async fn raw(session: &Session, path: &str, json_arg: Option<&str>) -> CmdResult {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/api/open/app/{}/v2", path.trim_matches('/'))
    };
    let params: Option<Value> = match json_arg {
        None => None,
        Some(text) => {
            let text = if text == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                text.to_owned()
            };
            Some(serde_json::from_str(&text).map_err(|err| {
                Failure::usage(format!("the JSON argument does not parse: {err}"))
            })?)
        }
    };
    let data = session.send_raw(&path, params.as_ref()).await?;
    print_value(session.json(), &data, NONE)
}

/// The area tree as indented lines: `code  name  cname`.
fn area_tree(value: &Value) -> String {
    fn walk(out: &mut Vec<(String, String, String)>, nodes: &Value, depth: usize) {
        for node in nodes.as_array().into_iter().flatten() {
            let text = |k: &str| node.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            out.push((
                format!("{}{}", "  ".repeat(depth), text("code")),
                text("name"),
                text("cname"),
            ));
            if let Some(children) = node.get("children") {
                walk(out, children, depth + 1);
            }
        }
    }
    let mut rows = Vec::new();
    walk(&mut rows, value, 0);
    let mut table = crate::output::Table::new(["code", "name", "cname"]);
    for (code, name, cname) in rows {
        table.push(vec![code, name, cname]);
    }
    table.to_string()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn parse(args: &[&str]) -> Command {
        let mut argv = vec!["ipv"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("parses").command
    }

    #[test]
    fn products_flags_become_the_wire_request() {
        let Command::Products(args) = parse(&[
            "products",
            "--proxy-type",
            "103",
            "--proxy-type",
            "101",
            "--country-code",
            "USA",
        ]) else {
            panic!("not products")
        };
        assert_eq!(
            wire(&args).unwrap(),
            json!({"proxyType": [103, 101], "countryCode": "USA"})
        );
    }

    #[test]
    fn open_builds_one_param_line() {
        let Command::Open(args) = parse(&[
            "open",
            "--product",
            "P1",
            "--count",
            "3",
            "--cycles",
            "2",
            "--app-order-no",
            "A1",
            "--cidr",
            "10.0.0.0/24:2",
        ]) else {
            panic!("not open")
        };
        let (params, no) = open_params(&args);
        assert_eq!(no, "A1");
        assert_eq!(
            params,
            json!({"appOrderNo": "A1", "params": [{
                "productNo": "P1", "count": 3, "cycleTimes": 2, "renew": false,
                "cidrBlocks": [{"cidr": "10.0.0.0/24", "count": 2}]
            }]})
        );
    }

    #[test]
    fn renew_applies_cycles_to_every_instance() {
        let Command::Renew(args) =
            parse(&["renew", "--app-order-no", "R1", "I1", "I2", "--cycles", "2"])
        else {
            panic!("not renew")
        };
        let (params, _) = renew_params(&args);
        assert_eq!(
            params,
            json!({"appOrderNo": "R1", "instances": [
                {"instanceNo": "I1", "cycleTimes": 2},
                {"instanceNo": "I2", "cycleTimes": 2}
            ]})
        );
    }

    #[test]
    fn typed_requests_accept_the_wire_json_of_every_flag_struct() {
        let Command::Release(args) = parse(&["release", "--order-no", "X", "I1"]) else {
            panic!("not release")
        };
        let request: t::ReleaseInstancesRequest = typed(wire(&args).unwrap()).unwrap();
        assert_eq!(request.order_no, "X");
        assert_eq!(request.instances, vec!["I1".to_owned()]);

        let Command::AfterSale(args) = parse(&[
            "after-sale",
            "--order-no",
            "X",
            "I1",
            "--dingtalk-user",
            "u1:123",
        ]) else {
            panic!("not after-sale")
        };
        let request: t::AfterSaleReleaseRequest = typed(wire(&args).unwrap()).unwrap();
        assert_eq!(request.ding_talk_users.len(), 1);
        assert_eq!(request.ding_talk_users[0].phone, "123");
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let err = typed::<t::OpenInstancesRequest>(
            json!({"appOrderNo": "A", "params": [{"count": -1, "cycleTimes": 1}]}),
        )
        .unwrap_err();
        assert_eq!(err.kind, crate::failure::FailureKind::Usage);
        assert!(err.message.contains("params[0].count"), "{}", err.message);
    }

    #[test]
    fn area_tree_indents_children() {
        let text = area_tree(&json!([
            {"code": "AS", "name": "Asia", "cname": "亚洲", "children": [
                {"code": "CHN", "name": "China", "cname": "中国", "children": []}
            ]}
        ]));
        assert_eq!(
            text,
            "code   name   cname\n-----  -----  -----\nAS     Asia   亚洲\n  CHN  China  中国\n"
        );
    }
}
