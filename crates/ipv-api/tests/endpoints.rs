//! Every one of the 30 endpoints through a test transport: the sealed request opens
//! (server side) into the expected JSON at the endpoint's path, and a sealed response
//! decodes into the typed value.

mod common;

use common::{APP_KEY, answering, assert_json_contains, open_request};
use ipv_api::endpoint::{ENDPOINTS, by_name};
use ipv_types::{
    AddIpWhitelistRequest, AfterSaleReleaseRequest, AreasRequest, AssignedIpInfoRequest, AuthType,
    CidrSelection, CitiesRequest, DingTalkUser, DrawApiUrlRequest, DrawWithPasswordRequest,
    FlowUsageLogRequest, InstanceListRequest, InstancesRequest, NoData, OpenAssignedIpRequest,
    OpenInstancesRequest, OpenParam, OrderRequest, OrdersRequest, ProductAreasRequest,
    ProductRequest, ProductsRequest, ProjectsRequest, ProxyBalanceRequest, ProxyType,
    ProxyUserRequest, ReleaseInstancesRequest, RemoveIpWhitelistRequest, RenewInstancesRequest,
    RenewItem, ResetPasswordsRequest, ReturnDynamicProxyRequest, SetProxyUserFlowLimitRequest,
    SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
};
use serde_json::json;

/// Decodes `data` into the type of `_like`.
fn decode_like<T: serde::de::DeserializeOwned>(
    _like: &T,
    data: serde_json::Value,
    name: &str,
) -> T {
    serde_json::from_value(data)
        .unwrap_or_else(|e| panic!("{name}: sample data does not decode: {e}"))
}

/// One row: the method, its request, the JSON the server must see (a subset), the
/// response data the server answers with, and a check on the typed value.
macro_rules! endpoint_cases {
    ($(
        $method:ident ( $($request:expr)? )
            sends $params:tt
            answers $data:tt
            => |$value:ident| $check:expr;
    )*) => {{
        let mut covered: Vec<&'static str> = Vec::new();
        $(
            let name = stringify!($method);
            let data = json!($data);
            let (client, capture) = answering(data.clone());
            let $value = client
                .$method($(&$request)?)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // The typed value is what decoding the data directly gives.
            let direct = decode_like(&$value, data.clone(), name);
            assert_eq!($value, direct, "{name}");
            assert!($check, "{name}: check failed on {:?}", $value);

            let requests = capture.requests();
            assert_eq!(requests.len(), 1, "{name}: one request");
            let seen = open_request(&requests[0]);
            assert_eq!(seen.method, http::Method::POST, "{name}");
            assert_eq!(seen.path, by_name(name).unwrap().path, "{name}");
            assert_eq!(seen.content_type.as_deref(), Some("application/json"), "{name}");
            assert!(seen.user_agent.as_deref().unwrap().starts_with("ipv-rust/"), "{name}");
            assert_eq!(seen.app_key, APP_KEY, "{name}");
            assert_eq!(seen.req_id.len(), 32, "{name}");
            let expected = json!($params);
            if expected.is_null() {
                assert!(seen.params.is_null(), "{name}: params must be empty");
            } else {
                assert_json_contains(&seen.params, &expected, name);
            }
            covered.push(name);
        )*
        covered
    }};
}

#[tokio::test]
async fn all_thirty_endpoints_round_trip() {
    let covered = endpoint_cases! {
        app_info()
            sends null
            answers {"appName": "demo", "coin": "100.50", "useBridge": 2, "callbackUrl": "http://cb", "status": 1}
            => |v| v.app_name == "demo" && v.coin.to_string() == "100.50";
        areas(AreasRequest::of(["AS"]))
            sends {"codes": ["AS"]}
            answers [{"code": "AS", "name": "Asia", "cname": "亚洲", "children": [{"code": "CN", "name": "China", "cname": "中国"}]}]
            => |v| v[0].children[0].code == "CN";
        cities(CitiesRequest::of(["USA"]))
            sends {"codes": ["USA"]}
            answers [{"cityCode": "USLAX0", "cityName": "Los Angeles", "stateCode": "USCA00", "countryCode": "USA",
                      "areaCode": "NA", "status": 1}]
            => |v| v[0].city_code == "USLAX0";
        products(ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]).in_country("USA"))
            sends {"proxyType": [103], "countryCode": "USA"}
            answers [{"productNo": "p1", "proxyType": 103, "costPrice": "2.00", "inventory": 5, "enable": 1}]
            => |v| v[0].product_no == "p1" && v[0].is_purchasable();
        product(ProductRequest::new("p1"))
            sends {"productNo": "p1"}
            answers {"productNo": "p1", "productName": "LA 30 days", "proxyType": 103, "costPrice": "2.00", "inventory": 0}
            => |v| v.product_name == "LA 30 days";
        product_areas(ProductAreasRequest::new("p1", ProxyType::DynamicAbroad))
            sends {"productNo": "p1", "proxyType": 104}
            answers [{"productNo": "p1", "proxyType": 104, "areaCode": "NA", "countryCode": "USA", "stateCode": "",
                      "cityCode": "", "status": 1, "region": "us-west", "supplierCode": "s1"}]
            => |v| v[0].region == "us-west";
        projects(ProjectsRequest::default())
            sends {}
            answers [{"code": "proj-1", "name": "Project one", "status": 1}]
            => |v| v[0].code == "proj-1";
        open_instances(OpenInstancesRequest::new("APP-1", vec![
            OpenParam::by_product("p1", 2, 3),
            OpenParam::by_product("p2", 1, 1).with_cidr_blocks(vec![CidrSelection::new("10.0.0.0/24", 1)]),
        ]))
            sends {"appOrderNo": "APP-1", "params": [
                {"productNo": "p1", "count": 2, "cycleTimes": 3},
                {"productNo": "p2", "count": 1, "cycleTimes": 1, "cidrBlocks": [{"cidr": "10.0.0.0/24", "count": 1}]}
            ]}
            answers {"orderNo": "ORD-1", "appOrderNo": "APP-1", "amount": "12.30"}
            => |v| v.order_no == "ORD-1" && v.amount.to_string() == "12.30";
        open_assigned_ip(OpenAssignedIpRequest::new("APP-2", "p1", "1.2.3.4", 2))
            sends {"appOrderNo": "APP-2", "productNo": "p1", "assignIp": "1.2.3.4", "cycleTimes": 2}
            answers {"orderNo": "ORD-2", "appOrderNo": "APP-2", "amount": "4.00"}
            => |v| v.app_order_no == "APP-2";
        assigned_ip_info(AssignedIpInfoRequest::new("1.2.3.4"))
            sends {"ip": "1.2.3.4"}
            answers {"ip": "1.2.3.4", "canBuyStatus": true}
            => |v| v.can_buy_status;
        renew_instances(RenewInstancesRequest::new("APP-3", vec![RenewItem::new("inst-1", 2)]))
            sends {"appOrderNo": "APP-3", "instances": [{"instanceNo": "inst-1", "cycleTimes": 2}]}
            answers {"orderNo": "ORD-3", "appOrderNo": "APP-3", "amount": "4.10"}
            => |v| v.order_no == "ORD-3";
        release_instances(ReleaseInstancesRequest::new("REL-1", ["inst-1", "inst-2"]))
            sends {"orderNo": "REL-1", "instances": ["inst-1", "inst-2"]}
            answers {"orderNo": "ORD-4", "appOrderNo": "REL-1", "amount": "0"}
            => |v| v.order_no == "ORD-4";
        after_sale_release(AfterSaleReleaseRequest::new("AS-1", ["inst-9"]).with_remark("slow").with_reason("quality").with_ding_talk_users(vec![DingTalkUser::new("u1", "123")]))
            sends {"orderNo": "AS-1", "instances": ["inst-9"], "remark": "slow", "reason": "quality",
                   "dingTalkUserList": [{"uid": "u1", "phone": "123"}]}
            answers {"orderNo": "ORD-5", "appOrderNo": "AS-1", "amount": "1.00"}
            => |v| v.order_no == "ORD-5";
        reset_passwords(ResetPasswordsRequest::new(["inst-1"], "RESET_1"))
            sends {"instanceNoList": ["inst-1"], "resetNo": "RESET_1"}
            answers {"list": [{"instanceNo": "inst-1", "newPassword": "n3w", "status": 3}], "resetNo": "RESET_1"}
            => |v| v.list[0].new_password == "n3w" && v.reset_no == "RESET_1";
        order(OrderRequest::new("ORD-1").with_page(2, 50))
            sends {"orderNo": "ORD-1", "page": 2, "pageSize": 50}
            answers {"orderNo": "ORD-1", "appOrderNo": "APP-1", "type": 1, "status": 3, "count": 1, "amount": "2.00", "refund": 0,
                     "page": 2, "pageSize": 50, "total": 51, "instances": [{"instanceNo": "inst-51", "port": 8080}]}
            => |v| v.status.is_final() && v.instances[0].port == 8080;
        orders(OrdersRequest::default().with_page(1).with_page_size(20))
            sends {"page": 1, "pageSize": 20}
            answers {"page": 1, "pageSize": 20, "total": 1, "curPage": 1,
                     "list": [{"orderNo": "ORD-1", "type": 1, "status": 3, "count": 1, "successCount": 1, "amount": "2.00"}]}
            => |v| v.list[0].success_count == 1;
        instances(InstancesRequest::new(["inst-1"]))
            sends {"instances": ["inst-1"]}
            answers [{"instanceNo": "inst-1", "ip": "1.2.3.4", "port": 1080, "status": 3}]
            => |v| v[0].ip == "1.2.3.4";
        instance_list(InstanceListRequest::default().with_page(3).with_page_size(100))
            sends {"page": 3, "pageSize": 100}
            answers {"page": 3, "pageSize": 100, "total": 201, "curPage": 3, "list": [{"instanceNo": "inst-201"}]}
            => |v| v.total == 201 && v.list.len() == 1;
        upsert_user(UpsertUserRequest::default().with_app_username("alice").with_phone("13800000000").with_email("a@example.com").with_auth_type(AuthType::Person).with_no("ID-1"))
            sends {"appUsername": "alice", "phone": "13800000000", "email": "a@example.com", "authType": 2, "no": "ID-1"}
            answers {"appUsername": "alice", "username": "u_alice", "password": "pw", "status": 1, "authStatus": 2}
            => |v| v.username == "u_alice";
        sync_user_auth(SyncUserAuthRequest::for_app_user("alice", AuthType::Company))
            sends {"appUsername": "alice", "authType": 3}
            answers {"username": "u_alice", "authStatus": 3}
            => |v| v.auth_status == AuthType::Company;
        upsert_proxy_user(UpsertProxyUserRequest::default().with_app_username("bob").with_app_main_username("alice").with_limit_flow(1_000_000))
            sends {"appUsername": "bob", "appMainUsername": "alice", "limitFlow": 1_000_000}
            answers {"appUsername": "bob", "username": "u_bob", "password": "pw2", "status": 1, "authStatus": 1}
            => |v| v.app_username == "bob";
        proxy_user(ProxyUserRequest::new("d1", "bob"))
            sends {"productNo": "d1", "appUsername": "bob"}
            answers {"productNo": "d1", "appUsername": "bob", "username": "u_bob", "limitFlow": -1, "useFlow": 42}
            => |v| v.limit_flow == -1 && v.use_flow == 42;
        set_proxy_user_flow_limit(SetProxyUserFlowLimitRequest::new("d1", "bob", 5_000))
            sends {"productNo": "d1", "appUsername": "bob", "limitFlow": 5_000}
            answers null
            => |v| v == NoData;
        proxy_balance(ProxyBalanceRequest::for_app_user("alice", ProxyType::DynamicAbroad, "d1"))
            sends {"appUsername": "alice", "proxyType": 104, "productNo": "d1"}
            answers {"list": [{"used": "10", "total": "100", "balance": "90", "ipWhiteList": ["1.1.1.1"], "productNo": "d1"}]}
            => |v| v.list[0].ip_whitelist == ["1.1.1.1"];
        draw_with_password(DrawWithPasswordRequest::new("alice", "d1").with_sess_time(10).with_num(2))
            sends {"appUsername": "alice", "productNo": "d1", "sessTime": "10", "num": 2}
            answers {"list": [{"proxyUrl": "gw.example:7777", "list": ["u-1:p", "u-2:p"]}]}
            => |v| v.list[0].list.len() == 2;
        draw_api_url(DrawApiUrlRequest::new("alice", ProxyType::DynamicAbroad, "d1"))
            sends {"appUsername": "alice", "proxyType": 104, "productNo": "d1"}
            answers {"list": [{"proxyUrl": "https://api.example/draw?x=1"}]}
            => |v| v.list[0].proxy_url.starts_with("https://");
        flow_usage_log(FlowUsageLogRequest::new("alice", "d1").with_page(1).with_page_size(100))
            sends {"appUsername": "alice", "productNo": "d1", "page": 1, "pageSize": 100}
            answers {"total": 1, "curPage": 1, "list": [{"used": 5, "total": 100, "balance": 95, "usedTime": 3600, "productNo": "d1"}]}
            => |v| v.list[0].used_time == 3600;
        add_ip_whitelist(AddIpWhitelistRequest::new("alice", "8.8.8.8", ProxyType::DynamicAbroad, "d1"))
            sends {"appUsername": "alice", "ip": "8.8.8.8", "proxyType": 104, "productNo": "d1"}
            answers {"ipWhiteList": ["8.8.8.8"]}
            => |v| v.ip_whitelist == ["8.8.8.8"];
        remove_ip_whitelist(RemoveIpWhitelistRequest::new("alice", "8.8.8.8", ProxyType::DynamicAbroad, "d1"))
            sends {"appUsername": "alice", "ip": "8.8.8.8", "proxyType": 104, "productNo": "d1"}
            answers {"ipWhiteList": []}
            => |v| v.ip_whitelist.is_empty();
        return_dynamic_proxy(ReturnDynamicProxyRequest::new("alice", ProxyType::DynamicAbroad, "d1").with_flow_num(100))
            sends {"appUsername": "alice", "proxyType": 104, "productNo": "d1", "flowNum": 100}
            answers {"returnAmount": 1.25}
            => |v| v.return_amount.to_string() == "1.25";
    };

    let mut names: Vec<_> = ENDPOINTS.iter().map(|e| e.name).collect();
    let mut covered_sorted = covered.clone();
    names.sort_unstable();
    covered_sorted.sort_unstable();
    assert_eq!(
        covered_sorted, names,
        "every endpoint is covered exactly once"
    );
}
