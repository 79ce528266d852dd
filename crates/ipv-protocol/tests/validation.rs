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
    UpsertUserRequest {
        phone: "13800000000".into(),
        email: "a@example.invalid".into(),
        auth_type: ipv_types::AuthType::Person,
        no: "110101199001011234".into(),
        status: ipv_types::AccountStatus::Normal,
        ..Default::default()
    }
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
                vec![OpenParam {
                    proxy_type: Some(ProxyType::StaticCloud),
                    count: 21,
                    ..OpenParam::default()
                }],
            )),
            Some("params[0].count"),
        ),
        // Dynamic opens ignore count but need flow and appUsername.
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam {
                    count: 99,
                    ..OpenParam::dynamic_flow("d", "u", 10)
                }],
            )),
            None,
        ),
        (
            field_of(&OpenInstancesRequest::new(
                "A",
                vec![OpenParam {
                    proxy_type: Some(ProxyType::DynamicCn),
                    app_username: Some("u".into()),
                    ..OpenParam::by_product("d", 1, 1)
                }],
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
                vec![OpenParam {
                    country_code: Some("USA".into()),
                    ..OpenParam::default()
                }],
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
            field_of(&AfterSaleReleaseRequest {
                order_no: "x".repeat(64),
                instances: vec!["i".into()],
                remark: "字".repeat(1000),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&AfterSaleReleaseRequest {
                order_no: "".into(),
                instances: vec!["i".into()],
                ..Default::default()
            }),
            Some("orderNo"),
        ),
        (
            field_of(&OrderRequest {
                page_size: 101,
                ..OrderRequest::new("ORD")
            }),
            Some("pageSize"),
        ),
        (
            field_of(&OrderRequest {
                page: 0,
                ..OrderRequest::new("ORD")
            }),
            Some("page"),
        ),
        (field_of(&OrderRequest::new("")), Some("orderNo")),
        (
            field_of(&OrdersRequest {
                page_size: Some(100),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&OrdersRequest {
                page_size: Some(101),
                ..Default::default()
            }),
            Some("pageSize"),
        ),
        (
            field_of(&InstanceListRequest {
                page_size: Some(0),
                ..Default::default()
            }),
            Some("pageSize"),
        ),
        (
            field_of(&InstancesRequest { instances: vec![] }),
            Some("instances"),
        ),
        (field_of(&ProductRequest::new(" ")), Some("productNo")),
        (field_of(&ProductsRequest::default()), Some("proxyType")),
        (
            field_of(&SyncUserAuthRequest::default()),
            Some("username|appUsername"),
        ),
        // Both names given (a Go client always sends both keys).
        (
            field_of(&SyncUserAuthRequest {
                username: Some("ipvm1".into()),
                app_username: Some("m1".into()),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&ipv_types::ProxyBalanceRequest {
                username: Some("ipvm1".into()),
                app_username: Some("m1".into()),
                product_no: "d".into(),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&UpsertProxyUserRequest {
                main_username: Some("ipvm1".into()),
                app_main_username: Some("m1".into()),
                ..Default::default()
            }),
            None,
        ),
        // user: phone, email and no are required.
        (field_of(&user()), None),
        (
            field_of(&UpsertUserRequest {
                phone: " ".into(),
                ..user()
            }),
            Some("phone"),
        ),
        (
            field_of(&UpsertUserRequest {
                email: String::new(),
                ..user()
            }),
            Some("email"),
        ),
        (
            field_of(&UpsertUserRequest {
                no: String::new(),
                ..user()
            }),
            Some("no"),
        ),
        // proxy/user: appUsername string(32).
        (
            field_of(&UpsertProxyUserRequest {
                app_username: Some("a".repeat(32)),
                app_main_username: Some("m".into()),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&UpsertProxyUserRequest {
                app_username: Some("a".repeat(33)),
                app_main_username: Some("m".into()),
                ..Default::default()
            }),
            Some("appUsername"),
        ),
        (
            field_of(&UpsertProxyUserRequest {
                main_username: Some("m".into()),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&UpsertProxyUserRequest::default()),
            Some("mainUsername|appMainUsername"),
        ),
        // proxy/user: remark string(255).
        (
            field_of(&UpsertProxyUserRequest {
                app_main_username: Some("m".into()),
                remark: Some("字".repeat(255)),
                ..Default::default()
            }),
            None,
        ),
        (
            field_of(&UpsertProxyUserRequest {
                app_main_username: Some("m".into()),
                remark: Some("字".repeat(256)),
                ..Default::default()
            }),
            Some("remark"),
        ),
        // flow/limit: no remark cap in the document.
        (
            field_of(&SetProxyUserFlowLimitRequest {
                remark: Some("字".repeat(1000)),
                ..SetProxyUserFlowLimitRequest::new("d", "u", -1)
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
            field_of(&DrawApiUrlRequest {
                delimiter: Some(6),
                ..DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d")
            }),
            Some("delimiter"),
        ),
        // protocol socks5/http, returnType txt/json; "" is Go's "not given".
        (
            field_of(&DrawApiUrlRequest {
                protocol: Some("http".into()),
                return_type: Some("json".into()),
                ..DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d")
            }),
            None,
        ),
        (
            field_of(&DrawApiUrlRequest {
                protocol: Some(String::new()),
                return_type: Some(String::new()),
                ..DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d")
            }),
            None,
        ),
        (
            field_of(&DrawApiUrlRequest {
                protocol: Some("https".into()),
                ..DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d")
            }),
            Some("protocol"),
        ),
        (
            field_of(&DrawApiUrlRequest {
                return_type: Some("xml".into()),
                ..DrawApiUrlRequest::new("u", ProxyType::DynamicAbroad, "d")
            }),
            Some("returnType"),
        ),
        (
            field_of(&FlowUsageLogRequest {
                page_size: Some(500),
                ..FlowUsageLogRequest::new("u", "d")
            }),
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
            field_of(&ReturnDynamicProxyRequest {
                app_username: "u".into(),
                product_no: "d".into(),
                remark: Some(long_remark),
                ..Default::default()
            }),
            Some("remark"),
        ),
        (
            field_of(&ReturnDynamicProxyRequest {
                app_username: "u".into(),
                product_no: "d".into(),
                remark: Some(ok_remark),
                ..Default::default()
            }),
            None,
        ),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        assert_eq!(got.as_deref(), want, "case {i}");
    }
}
