//! The documented request rules, as a table: each bad request names its field.

use ipv_protocol::Endpoint;
use ipv_types::{
    AddIpWhitelistRequest, AfterSaleReleaseRequest, DrawApiUrlRequest, FlowUsageLogRequest,
    InstanceListRequest, InstancesRequest, OpenAssignedIpRequest, OpenInstancesRequest, OpenParam,
    OrderRequest, OrdersRequest, ProductRequest, ProductsRequest, ProxyType,
    ReleaseInstancesRequest, RenewInstancesRequest, RenewItem, ReturnDynamicProxyRequest,
    SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
};

fn field_of<E: Endpoint>(request: &E) -> Option<String> {
    request.validate().err().map(|e| {
        assert!(!e.reason.is_empty());
        e.field
    })
}

/// A main account as the document requires it (phone, email, no, authType, status).
fn user() -> UpsertUserRequest {
    UpsertUserRequest::default()
        .with_phone("13800000000")
        .with_email("a@example.invalid")
        .with_auth_type(ipv_types::AuthType::Person)
        .with_no("110101199001011234")
        .with_status(ipv_types::AccountStatus::Normal)
}

#[test]
fn bad_requests_name_their_field() {
    let long_remark = "字".repeat(251);
    let ok_remark = "字".repeat(250);
    let cases: Vec<(Option<String>, Option<&str>)> = vec![
        // Static opens: count 1..=20, also for params naming only a proxy type.
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam::by_product("p", 20, 1)],
            )),
            None,
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![
                    OpenParam::default()
                        .with_proxy_type(ProxyType::StaticCloud)
                        .with_count(21),
                ],
            )),
            Some("params[0].count"),
        ),
        // Dynamic opens ignore count but need flow and appUsername.
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam::dynamic_flow("d", "u", 10).with_count(99)],
            )),
            None,
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![
                    OpenParam::by_product("d", 1, 1)
                        .with_proxy_type(ProxyType::DynamicCn)
                        .with_app_username("u"),
                ],
            )),
            Some("params[0].flow"),
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam::by_product("p", 1, 0)],
            )),
            Some("params[0].cycleTimes"),
        ),
        // Flow: at most 102,400 MB per item.
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam::dynamic_flow("d", "u", 102_400)],
            )),
            None,
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam::dynamic_flow("d", "u", 102_401)],
            )),
            Some("params[0].flow"),
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "",
                vec![OpenParam::by_product("p", 1, 1)],
            )),
            Some("appOrderNo"),
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "x".repeat(32),
                vec![OpenParam::by_product("p", 1, 1)],
            )),
            None,
        ),
        // Buying by filters needs neither a product nor a proxy type.
        (
            field_of(&OpenInstancesRequest::new("A", vec![OpenParam::default()])),
            None,
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam::default().with_country_code("USA")],
            )),
            None,
        ),
        // string(32): the purchase's appOrderNo.
        (
            field_of(&OpenInstancesRequest::new(
                "x".repeat(33),
                vec![OpenParam::by_product("p", 1, 1)],
            )),
            Some("appOrderNo"),
        ),
        (
            field_of(&OpenAssignedIpRequest::new(
                "x".repeat(33),
                "p",
                "1.2.3.4",
                1,
            )),
            Some("appOrderNo"),
        ),
        // No length for renew's appOrderNo.
        (
            field_of(&RenewInstancesRequest::new(
                "x".repeat(64),
                vec![RenewItem::new("i", 1)],
            )),
            None,
        ),
        (
            field_of(&OpenAssignedIpRequest::new("A", "p", "", 1)),
            Some("assignIp"),
        ),
        (
            field_of(&RenewInstancesRequest::new(
                "A",
                vec![RenewItem::new("", 1)],
            )),
            Some("instances[0].instanceNo"),
        ),
        (
            field_of(&RenewInstancesRequest::new("A", vec![])),
            Some("instances"),
        ),
        // No length for the release / after-sale orderNo, nor the after-sale remark.
        (
            field_of(&ReleaseInstancesRequest::new("x".repeat(64), ["i"])),
            None,
        ),
        (
            field_of(&ReleaseInstancesRequest::new(" ", ["i"])),
            Some("orderNo"),
        ),
        (
            field_of(
                &AfterSaleReleaseRequest::new("x".repeat(64), ["i"]).with_remark("字".repeat(1000)),
            ),
            None,
        ),
        (
            field_of(&AfterSaleReleaseRequest::new("", ["i"])),
            Some("orderNo"),
        ),
        (
            field_of(&{
                let mut order_request = OrderRequest::new("ORD");
                order_request.page_size = 101;
                order_request
            }),
            Some("pageSize"),
        ),
        (
            field_of(&{
                let mut order_request = OrderRequest::new("ORD");
                order_request.page = 0;
                order_request
            }),
            Some("page"),
        ),
        (field_of(&OrderRequest::new("")), Some("orderNo")),
        (
            field_of(&OrdersRequest::default().with_page_size(100)),
            None,
        ),
        (
            field_of(&OrdersRequest::default().with_page_size(101)),
            Some("pageSize"),
        ),
        (
            field_of(&InstanceListRequest::default().with_page_size(0)),
            Some("pageSize"),
        ),
        (field_of(&InstancesRequest::default()), Some("instances")),
        (field_of(&ProductRequest::new(" ")), Some("productNo")),
        (field_of(&ProductsRequest::default()), Some("proxyType")),
        (
            field_of(&SyncUserAuthRequest::default()),
            Some("username|appUsername"),
        ),
        // Both names given (a Go client always sends both keys).
        (
            field_of(
                &SyncUserAuthRequest::default()
                    .with_username("ipvm1")
                    .with_app_username("m1"),
            ),
            None,
        ),
        (
            field_of(&{
                let mut proxy_balance_request = ipv_types::ProxyBalanceRequest::default();
                proxy_balance_request.username = Some("ipvm1".into());
                proxy_balance_request.app_username = Some("m1".into());
                proxy_balance_request.product_no = "d".into();
                proxy_balance_request
            }),
            None,
        ),
        (
            field_of(
                &UpsertProxyUserRequest::default()
                    .with_main_username("ipvm1")
                    .with_app_main_username("m1"),
            ),
            None,
        ),
        // user: phone, email and no are required.
        (field_of(&user()), None),
        (
            field_of(&{
                let mut upsert_user_request = user();
                upsert_user_request.phone = " ".into();
                upsert_user_request
            }),
            Some("phone"),
        ),
        (
            field_of(&{
                let mut upsert_user_request = user();
                upsert_user_request.email = String::new();
                upsert_user_request
            }),
            Some("email"),
        ),
        (
            field_of(&{
                let mut upsert_user_request = user();
                upsert_user_request.no = String::new();
                upsert_user_request
            }),
            Some("no"),
        ),
        // proxy/user: appUsername string(32).
        (
            field_of(
                &UpsertProxyUserRequest::default()
                    .with_app_username("a".repeat(32))
                    .with_app_main_username("m"),
            ),
            None,
        ),
        (
            field_of(
                &UpsertProxyUserRequest::default()
                    .with_app_username("a".repeat(33))
                    .with_app_main_username("m"),
            ),
            Some("appUsername"),
        ),
        (
            field_of(&UpsertProxyUserRequest::default().with_main_username("m")),
            None,
        ),
        (
            field_of(&UpsertProxyUserRequest::default()),
            Some("mainUsername|appMainUsername"),
        ),
        // proxy/user: remark string(255).
        (
            field_of(
                &UpsertProxyUserRequest::default()
                    .with_app_main_username("m")
                    .with_remark("字".repeat(255)),
            ),
            None,
        ),
        (
            field_of(
                &UpsertProxyUserRequest::default()
                    .with_app_main_username("m")
                    .with_remark("字".repeat(256)),
            ),
            Some("remark"),
        ),
        // flow/limit: no remark cap in the document.
        (
            field_of(&{
                let mut set_proxy_user_flow_limit_request =
                    SetProxyUserFlowLimitRequest::new("d", "u", -1);
                set_proxy_user_flow_limit_request.remark = Some("字".repeat(1000));
                set_proxy_user_flow_limit_request
            }),
            None,
        ),
        (
            field_of(&SetProxyUserFlowLimitRequest::new("d", "u", -2)),
            Some("limitFlow"),
        ),
        (
            field_of(&SetProxyUserFlowLimitRequest::new("d", "u", -1)),
            None,
        ),
        (
            field_of(&{
                let mut draw_api_url_request =
                    DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d");
                draw_api_url_request.delimiter = Some(6);
                draw_api_url_request
            }),
            Some("delimiter"),
        ),
        // protocol socks5/http, returnType txt/json; "" is Go's "not given".
        (
            field_of(&{
                let mut draw_api_url_request =
                    DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d");
                draw_api_url_request.protocol = Some("http".into());
                draw_api_url_request.return_type = Some("json".into());
                draw_api_url_request
            }),
            None,
        ),
        (
            field_of(&{
                let mut draw_api_url_request =
                    DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d");
                draw_api_url_request.protocol = Some(String::new());
                draw_api_url_request.return_type = Some(String::new());
                draw_api_url_request
            }),
            None,
        ),
        (
            field_of(&{
                let mut draw_api_url_request =
                    DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d");
                draw_api_url_request.protocol = Some("https".into());
                draw_api_url_request
            }),
            Some("protocol"),
        ),
        (
            field_of(&{
                let mut draw_api_url_request =
                    DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d");
                draw_api_url_request.return_type = Some("xml".into());
                draw_api_url_request
            }),
            Some("returnType"),
        ),
        (
            field_of(&FlowUsageLogRequest::new("u", "d").with_page_size(500)),
            Some("pageSize"),
        ),
        (
            field_of(&AddIpWhitelistRequest::new(
                "u",
                "",
                ProxyType::DynamicAbroad,
                "d",
            )),
            Some("ip"),
        ),
        (
            field_of(&{
                let mut return_dynamic_proxy_request = ReturnDynamicProxyRequest::default();
                return_dynamic_proxy_request.app_username = "u".into();
                return_dynamic_proxy_request.product_no = "d".into();
                return_dynamic_proxy_request.remark = Some(long_remark);
                return_dynamic_proxy_request
            }),
            Some("remark"),
        ),
        (
            field_of(&{
                let mut return_dynamic_proxy_request = ReturnDynamicProxyRequest::default();
                return_dynamic_proxy_request.app_username = "u".into();
                return_dynamic_proxy_request.product_no = "d".into();
                return_dynamic_proxy_request.remark = Some(ok_remark);
                return_dynamic_proxy_request
            }),
            None,
        ),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        assert_eq!(got.as_deref(), want, "case {i}");
    }
}
