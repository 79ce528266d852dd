//! The documented request rules, as a table: each bad request names its field.

use ipv_api::Endpoint;
use ipv_types::{
    AddIpWhitelistRequest, AfterSaleReleaseRequest, DrawApiUrlRequest, FlowUsageLogRequest,
    InstanceListRequest, InstancesRequest, OpenAssignedIpRequest, OpenInstancesRequest, OpenParam,
    OrderRequest, OrdersRequest, ProductRequest, ProductsRequest, ProxyType,
    ReleaseInstancesRequest, RenewInstancesRequest, RenewItem, ReturnDynamicProxyRequest,
    SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest,
};

fn field_of<E: Endpoint>(request: &E) -> Option<String> {
    request.validate().err().map(|e| {
        assert!(!e.reason.is_empty());
        e.field
    })
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
        (
            field_of(&OpenInstancesRequest::new("A", vec![OpenParam::default()])),
            Some("params[0].productNo"),
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
        (
            field_of(&ReleaseInstancesRequest::new("x".repeat(33), ["i"])),
            Some("orderNo"),
        ),
        (
            field_of(&AfterSaleReleaseRequest {
                order_no: "A".into(),
                instances: vec!["i".into()],
                remark: long_remark.clone(),
                ..Default::default()
            }),
            Some("remark"),
        ),
        (
            field_of(&AfterSaleReleaseRequest {
                order_no: "A".into(),
                instances: vec!["i".into()],
                remark: ok_remark,
                ..Default::default()
            }),
            None,
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
        (
            field_of(&UpsertProxyUserRequest {
                app_main_username: Some("m".into()),
                remark: Some(long_remark.clone()),
                ..Default::default()
            }),
            Some("remark"),
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
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        assert_eq!(got.as_deref(), want, "case {i}");
    }
}
