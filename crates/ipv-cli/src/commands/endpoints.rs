//! The 30 endpoint subcommands: typed flags -> the typed request, built field by field
//! -> `Client::send` (which validates it before sending; a bad value is a usage error)
//! -> the typed response -> printed from its wire JSON.

use serde::Serialize;
use serde_json::{Value, json};

use ipv_api::endpoint::Endpoint;
use ipv_types as t;

use crate::cli::{AfterSaleArgs, Command, OpenArgs, ProductsArgs, RenewArgs, WaitArgs};
use crate::failure::{CmdResult, Failure};
use crate::ids;
use crate::output::{Columns, print_value};
use crate::session::Session;
use crate::wait;

/// Columns for instance lists (the wire's names).
pub(crate) const INSTANCE_COLUMNS: &[&str] = &[
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
        "status:listing",
    ],
)];
const ORDER_COLUMNS: Columns = &[
    ("", &["status:order", "type:order"]),
    ("instances", INSTANCE_COLUMNS),
];
const ORDERS_COLUMNS: Columns = &[(
    "list",
    &[
        "orderNo",
        "appOrderNo",
        "type:order",
        "status:order",
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
const APP_COLUMNS: Columns = &[("", &["status:app", "useBridge:app"])];
const ACCOUNT_COLUMNS: Columns = &[("", &["status:account"])];

/// What `products` searches without `--proxy-type`: every documented type.
const ALL_PROXY_TYPES: &[t::ProxyType] = t::ProxyType::ALL;

/// Serialises a response with the wire's field names.
pub(crate) fn to_wire_value<T: Serialize>(value: &T) -> CmdResult<Value> {
    serde_json::to_value(value)
        .map_err(|err| Failure::other(format!("cannot serialise the response: {err}")))
}

/// Sends a typed request and returns the response as wire JSON.
async fn send<E>(session: &Session, request: &E) -> CmdResult<Value>
where
    E: Endpoint,
    E::Response: Serialize,
{
    let response = session.send(request).await?;
    to_wire_value(&response)
}

/// Sends and prints.
async fn call<E>(session: &Session, request: &E, columns: Columns) -> CmdResult
where
    E: Endpoint,
    E::Response: Serialize,
{
    let value = send(session, request).await?;
    print_value(session.json(), &value, columns)
}

fn codes(codes: &[String]) -> Option<Vec<String>> {
    (!codes.is_empty()).then(|| codes.to_vec())
}

/// Runs one of the endpoint subcommands.
pub(crate) async fn run(session: &Session, command: Command) -> CmdResult {
    match command {
        Command::AppInfo => {
            let info = session.send(&t::AppInfoRequest).await?;
            print_value(session.json(), &to_wire_value(&info)?, APP_COLUMNS)
        }
        Command::Areas(args) => {
            let request = t::AreasRequest {
                codes: codes(&args.codes),
            };
            let value = send(session, &request).await?;
            if session.json() {
                print_value(true, &value, NONE)
            } else {
                crate::output::print_text(&area_tree(&value))
            }
        }
        Command::Cities(args) => {
            let request = t::CitiesRequest {
                codes: codes(&args.codes),
            };
            call(session, &request, CITY_COLUMNS).await
        }
        Command::Products(args) => call(session, &products_request(&args), PRODUCT_COLUMNS).await,
        Command::Product(args) => {
            call(session, &t::ProductRequest::new(args.product_no), NONE).await
        }
        Command::ProductAreas(args) => {
            let request = t::ProductAreasRequest {
                product_no: args.product_no,
                proxy_type: args.proxy_type,
            };
            call(session, &request, NONE).await
        }
        Command::Projects(args) => {
            let request = t::ProjectsRequest {
                codes: codes(&args.codes),
            };
            call(session, &request, NONE).await
        }
        Command::Open(args) => {
            let request = open_request(&args);
            announce_generated(
                "appOrderNo",
                args.app_order_no.as_deref(),
                &request.app_order_no,
            );
            purchase(session, &request, args.wait).await
        }
        Command::OpenAssignedIp(args) => {
            let app_order_no = args.app_order_no.clone().unwrap_or_else(ids::app_order_no);
            announce_generated("appOrderNo", args.app_order_no.as_deref(), &app_order_no);
            let request = t::OpenAssignedIpRequest {
                app_order_no,
                product_no: args.product_no,
                cycle_times: args.cycle_times,
                renew: Some(args.renew),
                ext_band_width: args.ext_band_width,
                use_bridge: args.use_bridge,
                assign_ip: args.assign_ip,
            };
            purchase(session, &request, args.wait).await
        }
        Command::AssignedIpInfo(args) => {
            call(session, &t::AssignedIpInfoRequest { ip: args.ip }, NONE).await
        }
        Command::Renew(args) if args.expiring_within.is_some() => {
            crate::commands::reseller::renew_expiring(session, &args).await
        }
        Command::Renew(args) => {
            let request = renew_request(&args);
            announce_generated(
                "appOrderNo",
                args.app_order_no.as_deref(),
                &request.app_order_no,
            );
            purchase(session, &request, args.wait).await
        }
        Command::Release(args) => {
            let order_no = args.order_no.clone().unwrap_or_else(ids::app_order_no);
            announce_generated("orderNo", args.order_no.as_deref(), &order_no);
            let request = t::ReleaseInstancesRequest::new(order_no, args.instances.iter());
            purchase(session, &request, args.wait).await
        }
        Command::AfterSale(args) => {
            let order_no = args.order_no.clone().unwrap_or_else(ids::app_order_no);
            announce_generated("orderNo", args.order_no.as_deref(), &order_no);
            let request = after_sale_request(&args, order_no);
            purchase(session, &request, args.wait).await
        }
        Command::Export(args) => crate::commands::reseller::export(session, &args).await,
        Command::Expiring(args) => crate::commands::reseller::expiring(session, &args).await,
        Command::ResetPasswords(args) => {
            let reset_no = args.reset_no.clone().unwrap_or_else(ids::reset_no);
            announce_generated("resetNo", args.reset_no.as_deref(), &reset_no);
            let request = t::ResetPasswordsRequest {
                instance_no_list: args.instances,
                reset_no,
            };
            call(session, &request, NONE).await
        }
        Command::Order(args) => {
            let request = t::OrderRequest {
                order_no: args.order_no,
                app_order_no: args.app_order_no,
                page: args.page,
                page_size: args.page_size,
            };
            call(session, &request, ORDER_COLUMNS).await
        }
        Command::Orders(args) => {
            let request = t::OrdersRequest {
                page: args.page,
                page_size: args.page_size,
                start_time: args.start_time,
                end_time: args.end_time,
            };
            call(session, &request, ORDERS_COLUMNS).await
        }
        Command::Instances(args) => {
            call(
                session,
                &t::InstancesRequest::new(args.instances),
                INSTANCES_COLUMNS,
            )
            .await
        }
        Command::InstanceList(args) => {
            let request = t::InstanceListRequest {
                page: args.page,
                page_size: args.page_size,
                start_time: args.start_time,
                end_time: args.end_time,
            };
            call(session, &request, INSTANCES_COLUMNS).await
        }
        Command::UpsertUser(args) => {
            let request = t::UpsertUserRequest {
                app_username: args.app_username,
                password: args.password,
                phone: args.phone,
                email: args.email,
                auth_type: args.auth_type,
                auth_name: args.auth_name,
                no: args.no,
                vsp: args.vsp,
                status: args.status,
            };
            call(session, &request, ACCOUNT_COLUMNS).await
        }
        Command::SyncUserAuth(args) => {
            let request = t::SyncUserAuthRequest {
                username: args.username,
                app_username: args.app_username,
                auth_type: args.auth_type,
                auth_name: args.auth_name,
                no: args.no,
                vsp: args.vsp,
            };
            call(session, &request, NONE).await
        }
        Command::UpsertProxyUser(args) => {
            let request = t::UpsertProxyUserRequest {
                app_username: args.app_username,
                password: args.password,
                limit_flow: args.limit_flow,
                main_username: args.main_username,
                app_main_username: args.app_main_username,
                remark: args.remark,
                status: args.status,
            };
            call(session, &request, ACCOUNT_COLUMNS).await
        }
        Command::ProxyUser(args) => {
            let request = t::ProxyUserRequest {
                product_no: args.product_no,
                app_username: args.app_username,
            };
            call(session, &request, ACCOUNT_COLUMNS).await
        }
        Command::SetFlowLimit(args) => {
            let request = t::SetProxyUserFlowLimitRequest {
                product_no: args.product_no,
                app_username: args.app_username,
                limit_flow: args.limit_flow,
                remark: args.remark,
            };
            let value = send(session, &request).await?;
            if session.json() {
                print_value(true, &value, NONE)
            } else {
                crate::output::print_text("flow limit set\n")
            }
        }
        Command::ProxyBalance(args) => {
            let request = t::ProxyBalanceRequest {
                username: args.username,
                app_username: args.app_username,
                proxy_type: args.proxy_type,
                product_no: args.product_no,
            };
            call(session, &request, BALANCE_COLUMNS).await
        }
        Command::DrawPwd(args) => {
            let request = t::DrawWithPasswordRequest {
                app_username: args.app_username,
                address_code: args.address_code,
                sess_time: args.sess_time,
                num: args.num,
                proxy_type: args.proxy_type,
                max_flow_limit: args.max_flow_limit,
                product_no: args.product_no,
            };
            call(session, &request, NONE).await
        }
        Command::DrawApi(args) => {
            let request = t::DrawApiUrlRequest {
                app_username: args.app_username,
                proxy_type: args.proxy_type,
                num: args.num,
                address_code: args.address_code,
                protocol: args.protocol,
                return_type: args.return_type,
                delimiter: args.delimiter,
                max_flow_limit: args.max_flow_limit,
                product_no: args.product_no,
            };
            call(session, &request, NONE).await
        }
        Command::FlowLog(args) => {
            let request = t::FlowUsageLogRequest {
                app_username: args.app_username,
                start_time: args.start_time,
                end_time: args.end_time,
                product_no: args.product_no,
                page: args.page,
                page_size: args.page_size,
            };
            call(session, &request, NONE).await
        }
        Command::WhitelistAdd(args) => {
            let request = t::AddIpWhitelistRequest {
                app_username: args.app_username,
                ip: args.ip,
                proxy_type: args.proxy_type,
                product_no: args.product_no,
            };
            call(session, &request, NONE).await
        }
        Command::WhitelistRemove(args) => {
            let request = t::RemoveIpWhitelistRequest {
                app_username: args.app_username,
                ip: args.ip,
                proxy_type: args.proxy_type,
                product_no: args.product_no,
            };
            call(session, &request, NONE).await
        }
        Command::ReturnProxy(args) => {
            let request = t::ReturnDynamicProxyRequest {
                app_username: args.app_username,
                proxy_type: args.proxy_type,
                product_no: args.product_no,
                ip_num: args.ip_num,
                flow_num: args.flow_num,
                remark: args.remark,
            };
            call(session, &request, NONE).await
        }
        Command::Raw(args) => raw(session, &args.path, args.json.as_deref()).await,
        Command::Emulator(_)
        | Command::Callback(_)
        | Command::Codec(_)
        | Command::Demo(_)
        | Command::Completions(_) => Err(Failure::other("internal: not an endpoint command")),
        #[cfg(feature = "sync")]
        Command::Sync(_) => Err(Failure::other("internal: not an endpoint command")),
    }
}

/// Tells stderr about an identifier this tool made up, so the user can find the order
/// and repeat the call safely with it.
fn announce_generated(field: &str, given: Option<&str>, value: &str) {
    if given.is_none() {
        eprintln!("{field}: {value} (generated; pass it again to repeat this call safely)");
    }
}

/// The `product/query` request; without `--proxy-type`, every documented type.
pub(crate) fn products_request(args: &ProductsArgs) -> t::ProductsRequest {
    t::ProductsRequest {
        proxy_type: if args.proxy_type.is_empty() {
            ALL_PROXY_TYPES.to_vec()
        } else {
            args.proxy_type.clone()
        },
        product_no: args.product_no.clone(),
        country_code: args.country_code.clone(),
        city_code: args.city_code.clone(),
        supplier_code: args.supplier_code.clone(),
        unit: args.unit,
        isp_type: args.isp_type,
        net_type: args.net_type,
        duration: args.duration,
    }
}

/// The `instance/open` request with one parameter line, built from the typed flags
/// (generating the appOrderNo when none was given).
pub(crate) fn open_request(args: &OpenArgs) -> t::OpenInstancesRequest {
    let app_order_no = args.app_order_no.clone().unwrap_or_else(ids::app_order_no);
    let param = t::OpenParam {
        product_no: args.product_no.clone(),
        proxy_type: args.proxy_type,
        country_code: args.country_code.clone(),
        city_code: args.city_code.clone(),
        supplier_code: args.supplier_code.clone(),
        unit: args.unit,
        isp_type: args.isp_type,
        duration: args.duration,
        count: args.count,
        cycle_times: args.cycle_times,
        renew: Some(args.renew),
        ext_band_width: args.ext_band_width,
        app_username: args.app_username.clone(),
        flow: args.flow,
        use_bridge: args.use_bridge,
        project_id: args.project_id.clone(),
        cidr_blocks: (!args.cidr_blocks.is_empty()).then(|| {
            args.cidr_blocks
                .iter()
                .map(|c| t::CidrSelection {
                    cidr: c.cidr.clone(),
                    count: c.count,
                    ..t::CidrSelection::default()
                })
                .collect()
        }),
    };
    t::OpenInstancesRequest::new(app_order_no, vec![param])
}

/// The `instance/renew` request, every instance renewed alike (generating the
/// appOrderNo when none was given).
pub(crate) fn renew_request(args: &RenewArgs) -> t::RenewInstancesRequest {
    let app_order_no = args.app_order_no.clone().unwrap_or_else(ids::app_order_no);
    let items = args
        .instances
        .iter()
        .map(|no| t::RenewItem {
            instance_no: no.clone(),
            duration: args.duration,
            cycle_times: args.cycle_times,
        })
        .collect();
    t::RenewInstancesRequest::new(app_order_no, items)
}

/// The `instance/aftersale` request.
fn after_sale_request(args: &AfterSaleArgs, order_no: String) -> t::AfterSaleReleaseRequest {
    t::AfterSaleReleaseRequest {
        order_no,
        instances: args.instances.clone(),
        remark: args.remark.clone(),
        reason: args.reason.clone(),
        ding_talk_users: args
            .ding_talk_user_list
            .iter()
            .map(|u| t::DingTalkUser {
                uid: u.uid.clone(),
                phone: u.phone.clone(),
            })
            .collect(),
    }
}

/// Places an order (open, renew, release, after-sale); with `--wait`, follows it to the
/// end and prints `{"receipt": ..., "order": ...}`, else prints the receipt.
async fn purchase<E>(session: &Session, request: &E, wait_args: WaitArgs) -> CmdResult
where
    E: Endpoint<Response = t::OrderReceipt>,
{
    let receipt = session.send(request).await?;
    let receipt_value = to_wire_value(&receipt)?;
    // A wait timeout implies waiting.
    if !wait_args.wait && wait_args.wait_timeout.is_none() {
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
        Err(Failure::order_failed(format!(
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
            serde_json::to_value(products_request(&args)).unwrap(),
            json!({"proxyType": [103, 101], "countryCode": "USA"})
        );
        let Command::Products(none) = parse(&["products"]) else {
            panic!("not products")
        };
        assert_eq!(
            serde_json::to_value(products_request(&none)).unwrap(),
            json!({"proxyType": [101, 102, 103, 104, 105, 201]}),
            "every documented type by default"
        );
    }

    #[test]
    fn open_builds_one_typed_param_line_from_names() {
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
            "--use-bridge",
            "no",
            "--proxy-type",
            "static-residential-abroad",
        ]) else {
            panic!("not open")
        };
        let request = open_request(&args);
        assert_eq!(request.app_order_no, "A1");
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"appOrderNo": "A1", "params": [{
                "productNo": "P1", "proxyType": 103, "count": 3, "cycleTimes": 2,
                "renew": false, "useBridge": 1,
                "cidrBlocks": [{"cidr": "10.0.0.0/24", "count": 2}]
            }]})
        );
    }

    #[test]
    fn dictionary_flags_take_names_and_numbers() {
        let Command::Products(by_name) = parse(&[
            "products",
            "--proxy-type",
            "dynamic-abroad",
            "--unit",
            "month",
        ]) else {
            panic!("not products")
        };
        let Command::Products(by_number) =
            parse(&["products", "--proxy-type", "104", "--unit", "3"])
        else {
            panic!("not products")
        };
        assert_eq!(products_request(&by_name), products_request(&by_number));
        assert_eq!(
            serde_json::to_value(products_request(&by_name)).unwrap(),
            json!({"proxyType": [104], "unit": 3})
        );
        let err = Cli::try_parse_from(["ipv", "products", "--proxy-type", "residential"])
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("static-residential-abroad"),
            "{err}"
        );
    }

    #[test]
    fn renew_applies_cycles_to_every_instance() {
        let Command::Renew(args) =
            parse(&["renew", "--app-order-no", "R1", "I1", "I2", "--cycles", "2"])
        else {
            panic!("not renew")
        };
        assert_eq!(
            serde_json::to_value(renew_request(&args)).unwrap(),
            json!({"appOrderNo": "R1", "instances": [
                {"instanceNo": "I1", "cycleTimes": 2},
                {"instanceNo": "I2", "cycleTimes": 2}
            ]})
        );
    }

    #[test]
    fn after_sale_builds_its_request() {
        let Command::AfterSale(args) = parse(&[
            "after-sale",
            "I1",
            "--dingtalk-user",
            "u1:123",
            "--reason",
            "broken",
        ]) else {
            panic!("not after-sale")
        };
        assert_eq!(args.order_no, None);
        let request = after_sale_request(&args, "X".to_owned());
        assert_eq!(request.order_no, "X");
        assert_eq!(request.instances, vec!["I1".to_owned()]);
        assert_eq!(request.reason, "broken");
        assert_eq!(request.ding_talk_users.len(), 1);
        assert_eq!(request.ding_talk_users[0].phone, "123");
    }

    #[test]
    fn bad_numbers_and_times_are_refused_by_the_parser() {
        for args in [
            &["ipv", "open", "--product", "P", "--count", "-1"][..],
            &["ipv", "orders", "--start-time", "yesterday"],
            &[
                "ipv",
                "upsert-user",
                "--phone",
                "1",
                "--email",
                "e",
                "--vsp",
                "300",
            ],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
        let Command::Orders(args) = parse(&["orders", "--start-time", "2026-11-01 00:00:00"])
        else {
            panic!("not orders")
        };
        assert_eq!(
            args.start_time.map(|t| t.to_string()).as_deref(),
            Some("2026-11-01 00:00:00")
        );
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
