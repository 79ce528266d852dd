//! Types that can grow: every response and request type is `#[non_exhaustive]`, so a
//! field the vendor adds later is not a breaking change for code using this crate.
//!
//! This file is outside the crate, like a user's code: it builds every request through
//! its constructor and `with_*` builders alone (no struct literal can compile here), and
//! shows that an answer carrying a field this SDK does not know still decodes.

use ipv_types::time::QueryTime;
use ipv_types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Checks the wire form of a request built through its constructor and builders.
fn wire<T: Serialize>(request: &T, expected: Value) {
    assert_eq!(serde_json::to_value(request).unwrap(), expected);
}

fn qt(s: &str) -> QueryTime {
    s.parse().unwrap()
}

#[test]
fn catalogue_requests_build_through_constructors_and_builders() {
    wire(&AppInfoRequest, json!({}));
    wire(&AreasRequest::all(), json!({}));
    wire(
        &AreasRequest::of(["NA", "EU"]),
        json!({"codes":["NA","EU"]}),
    );
    wire(&CitiesRequest::of(["USLAX0"]), json!({"codes":["USLAX0"]}));
    wire(
        &ProductsRequest::of_types([ProxyType::StaticResidentialAbroad])
            .with_product_no("p1")
            .with_country_code("USA")
            .with_city_code("USLAX0")
            .with_supplier_code("sup")
            .with_unit(Unit::Month)
            .with_isp_type(IspType::Dual)
            .with_net_type(NetType::Broadcast)
            .with_duration(30),
        json!({"proxyType":[103],"productNo":"p1","countryCode":"USA","cityCode":"USLAX0",
            "supplierCode":"sup","unit":3,"ispType":2,"netType":2,"duration":30}),
    );
    wire(
        &ProductsRequest::default().with_proxy_type(vec![ProxyType::DynamicAbroad]),
        json!({"proxyType":[104]}),
    );
    wire(&ProductRequest::new("p1"), json!({"productNo":"p1"}));
    wire(
        &ProductAreasRequest::new("mb1", ProxyType::DynamicAbroad),
        json!({"productNo":"mb1","proxyType":104}),
    );
    wire(&ProjectsRequest::of(["proj"]), json!({"codes":["proj"]}));
}

#[test]
fn purchase_requests_build_through_constructors_and_builders() {
    let by_filter = OpenParam::default()
        .with_proxy_type(ProxyType::StaticCloud)
        .with_country_code("USA")
        .with_city_code("USNYC0")
        .with_supplier_code("sup")
        .with_unit(Unit::Week)
        .with_isp_type(IspType::Native)
        .with_duration(2)
        .with_count(20)
        .with_cycle_times(4)
        .with_renew(true)
        .with_ext_band_width(5)
        .with_app_username("bob")
        .with_flow(10)
        .with_use_bridge(BridgeChoice::Yes)
        .with_project_id("proj")
        .with_cidr_blocks(vec![
            CidrSelection::new("10.1.0.0/24", 1)
                .with_asn("AS2")
                .with_isp("ISP2")
                .with_project_list(vec![ProjectStock::new("proj", 3)]),
        ]);
    wire(
        &OpenInstancesRequest::new(
            "APP1",
            vec![
                OpenParam::by_product("p1", 2, 3),
                OpenParam::default().with_product_no("p2"),
                by_filter,
            ],
        ),
        json!({"appOrderNo":"APP1","params":[
            {"productNo":"p1","count":2,"cycleTimes":3},
            {"productNo":"p2","count":1,"cycleTimes":1},
            {"proxyType":101,"countryCode":"USA","cityCode":"USNYC0","supplierCode":"sup",
             "unit":2,"ispType":3,"duration":2,"count":20,"cycleTimes":4,"renew":true,
             "extBandWidth":5,"appUsername":"bob","flow":10,"useBridge":2,"projectId":"proj",
             "cidrBlocks":[{"cidr":"10.1.0.0/24","count":1,"asn":"AS2","isp":"ISP2",
                            "projectList":[{"code":"proj","inventory":3}]}]}]}),
    );
    wire(
        &OpenAssignedIpRequest::new("APP2", "p1", "127.0.0.1", 6)
            .with_renew(false)
            .with_ext_band_width(1)
            .with_use_bridge(BridgeChoice::FollowApp),
        json!({"appOrderNo":"APP2","productNo":"p1","cycleTimes":6,"renew":false,
            "extBandWidth":1,"useBridge":0,"assignIp":"127.0.0.1"}),
    );
    wire(
        &AssignedIpInfoRequest::new("127.0.0.1"),
        json!({"ip":"127.0.0.1"}),
    );
    wire(
        &RenewInstancesRequest::new(
            "APP3",
            vec![
                RenewItem::new("i1", 2),
                RenewItem::default().with_duration(30).with_cycle_times(1),
            ],
        ),
        json!({"appOrderNo":"APP3","instances":[{"instanceNo":"i1","cycleTimes":2},
            {"instanceNo":"","duration":30,"cycleTimes":1}]}),
    );
    wire(
        &ReleaseInstancesRequest::new("APP4", ["i1", "i2"]),
        json!({"orderNo":"APP4","instances":["i1","i2"]}),
    );
    wire(
        &AfterSaleReleaseRequest::new("APP5", ["i1"])
            .with_remark("broken")
            .with_reason("other")
            .with_ding_talk_users(vec![DingTalkUser::new("u1", "13800000000")]),
        json!({"orderNo":"APP5","instances":["i1"],"remark":"broken","reason":"other",
            "dingTalkUserList":[{"uid":"u1","phone":"13800000000"}]}),
    );
    wire(
        &ResetPasswordsRequest::new(["i1"], "RESET_1"),
        json!({"instanceNoList":["i1"],"resetNo":"RESET_1"}),
    );
}

#[test]
fn order_and_instance_requests_build_through_constructors_and_builders() {
    wire(
        &OrderRequest::new("C1")
            .with_app_order_no("APP1")
            .with_page(2, 50),
        json!({"orderNo":"C1","appOrderNo":"APP1","page":2,"pageSize":50}),
    );
    wire(
        &OrdersRequest::default()
            .with_page(2)
            .with_page_size(50)
            .with_start_time(qt("2024-01-01 00:00:00"))
            .with_end_time(qt("2024-12-31 23:59:59")),
        json!({"page":2,"pageSize":50,"startTime":"2024-01-01 00:00:00",
            "endTime":"2024-12-31 23:59:59"}),
    );
    wire(&OrdersRequest::default(), json!({}));
    wire(&InstancesRequest::new(["i1"]), json!({"instances":["i1"]}));
    wire(
        &InstanceListRequest::default()
            .with_page(1)
            .with_page_size(100)
            .with_start_time(qt("2024-07-01 08:00:00"))
            .with_end_time(qt("2024-07-02 08:00:00")),
        json!({"page":1,"pageSize":100,"startTime":"2024-07-01 08:00:00",
            "endTime":"2024-07-02 08:00:00"}),
    );
}

#[test]
fn account_requests_build_through_constructors_and_builders() {
    wire(
        &UpsertUserRequest::default()
            .with_app_username("alice")
            .with_password("secret1")
            .with_phone("13800000000")
            .with_email("a@example.com")
            .with_auth_type(AuthType::Person)
            .with_auth_name("Alice")
            .with_no("110101199001011234")
            .with_vsp(1)
            .with_status(AccountStatus::Normal),
        json!({"appUsername":"alice","password":"secret1","phone":"13800000000",
            "email":"a@example.com","authType":2,"authName":"Alice",
            "no":"110101199001011234","vsp":1,"status":1}),
    );
    wire(
        &SyncUserAuthRequest::for_app_user("alice", AuthType::Company)
            .with_auth_name("ACME")
            .with_no("91110000")
            .with_vsp("1"),
        json!({"appUsername":"alice","authType":3,"authName":"ACME","no":"91110000",
            "vsp":"1"}),
    );
    wire(
        &SyncUserAuthRequest::for_user("u_alice", AuthType::Person)
            .with_app_username("alice")
            .with_auth_type(AuthType::Company),
        json!({"username":"u_alice","appUsername":"alice","authType":3}),
    );
    wire(
        &UpsertProxyUserRequest::default()
            .with_app_username("sub1")
            .with_password("pw")
            .with_limit_flow(1024)
            .with_main_username("u_alice")
            .with_app_main_username("alice")
            .with_remark("team a")
            .with_status(AccountStatus::Normal),
        json!({"appUsername":"sub1","password":"pw","limitFlow":1024,
            "mainUsername":"u_alice","appMainUsername":"alice","remark":"team a","status":1}),
    );
    wire(
        &ProxyUserRequest::new("mb1", "sub1"),
        json!({"productNo":"mb1","appUsername":"sub1"}),
    );
    wire(
        &SetProxyUserFlowLimitRequest::new("mb1", "sub1", -1).with_remark("no cap"),
        json!({"productNo":"mb1","appUsername":"sub1","limitFlow":-1,"remark":"no cap"}),
    );
}

#[test]
fn dynamic_proxy_requests_build_through_constructors_and_builders() {
    wire(
        &ProxyBalanceRequest::for_app_user("alice", ProxyType::DynamicCn, "mb1")
            .with_username("u_alice"),
        json!({"username":"u_alice","appUsername":"alice","proxyType":105,
            "productNo":"mb1"}),
    );
    wire(
        &ProxyBalanceRequest::default()
            .with_app_username("alice")
            .with_username("u_alice"),
        json!({"username":"u_alice","appUsername":"alice","proxyType":0,"productNo":""}),
    );
    wire(
        &DrawWithPasswordRequest::new("sub1", "mb1")
            .with_address_code("USA")
            .with_sess_time(30)
            .with_num(5)
            .with_proxy_type(ProxyType::DynamicAbroad)
            .with_max_flow_limit(100),
        json!({"appUsername":"sub1","addressCode":"USA","sessTime":"30","num":5,
            "proxyType":104,"maxFlowLimit":100,"productNo":"mb1"}),
    );
    wire(
        &DrawApiUrlRequest::new("alice", ProxyType::DynamicAbroad, "mb1")
            .with_num(10)
            .with_address_code("EU")
            .with_protocol("http")
            .with_return_type("json")
            .with_delimiter(4)
            .with_max_flow_limit(1),
        json!({"appUsername":"alice","proxyType":104,"num":10,"addressCode":"EU",
            "protocol":"http","returnType":"json","delimiter":4,"maxFlowLimit":1,
            "productNo":"mb1"}),
    );
    wire(
        &FlowUsageLogRequest::new("alice", "mb1")
            .with_start_time(qt("2024-07-01 00:00:00"))
            .with_end_time(qt("2024-07-08 00:00:00"))
            .with_page(1)
            .with_page_size(100),
        json!({"appUsername":"alice","startTime":"2024-07-01 00:00:00",
            "endTime":"2024-07-08 00:00:00","productNo":"mb1","page":1,"pageSize":100}),
    );
    wire(
        &AddIpWhitelistRequest::new("alice", "1.2.3.4", ProxyType::DynamicAbroad, "mb1"),
        json!({"appUsername":"alice","ip":"1.2.3.4","proxyType":104,"productNo":"mb1"}),
    );
    wire(
        &RemoveIpWhitelistRequest::new("alice", "1.2.3.4", ProxyType::DynamicAbroad, "mb1"),
        json!({"appUsername":"alice","ip":"1.2.3.4","proxyType":104,"productNo":"mb1"}),
    );
    wire(
        &ReturnDynamicProxyRequest::new("alice", ProxyType::DynamicAbroad, "mb1")
            .with_ip_num(2)
            .with_flow_num(100)
            .with_remark("unused"),
        json!({"appUsername":"alice","proxyType":104,"productNo":"mb1","ipNum":2,
            "flowNum":100,"remark":"unused"}),
    );
}

/// Adds a field no version of this SDK knows to `value`'s JSON and decodes it: the
/// answer still decodes, every known field keeps its value, and a type with an `extra`
/// map keeps the new field (the others drop it).
fn decodes_with_a_new_field<T>(value: &T)
where
    T: Serialize + DeserializeOwned + std::fmt::Debug,
{
    let known = serde_json::to_value(value).unwrap();
    let mut grown = known.clone();
    let added = json!({"nested":[1, "two", null]});
    grown
        .as_object_mut()
        .expect("a JSON object")
        .insert("fieldAddedLater".to_owned(), added.clone());
    let back: T = serde_json::from_value(grown.clone())
        .unwrap_or_else(|e| panic!("{grown} does not decode: {e}"));
    let mut again = serde_json::to_value(&back).unwrap();
    if let Some(kept) = again.as_object_mut().unwrap().remove("fieldAddedLater") {
        assert_eq!(kept, added, "the new field is kept unchanged");
    }
    assert_eq!(
        again, known,
        "known fields of {value:?} survive the new one"
    );
}

#[test]
fn answers_with_a_field_the_vendor_added_still_decode() {
    let mut app = AppInfo::default();
    app.app_name = "demo".into();
    app.coin = "10.50".parse().unwrap();
    decodes_with_a_new_field(&app);

    let mut product = Product::default();
    product.product_no = "p1".into();
    product.inventory = 3;
    let mut block = CidrBlock::default();
    block.cidr = "10.0.0.0/24".into();
    block.project_list = vec![ProjectStock::new("proj", 1)];
    product.cidr_blocks = vec![block.clone()];
    decodes_with_a_new_field(&product);
    decodes_with_a_new_field(&block);

    let mut instance = Instance::default();
    instance.instance_no = "i1".into();
    instance.port = 8080;
    decodes_with_a_new_field(&instance);

    let mut receipt = OrderReceipt::default();
    receipt.order_no = "C1".into();
    receipt.app_order_no = "APP1".into();
    decodes_with_a_new_field(&receipt);

    let mut order = Order::default();
    order.order_no = "C1".into();
    order.total = 1;
    order.instances = vec![instance.clone()];
    decodes_with_a_new_field(&order);

    let mut item = OrderItem::default();
    item.order_no = "C1".into();
    let mut page = Page::default();
    page.total = 1;
    page.list = vec![item.clone()];
    decodes_with_a_new_field(&item);
    decodes_with_a_new_field(&page);

    let mut area = Area::default();
    area.code = "NA".into();
    decodes_with_a_new_field(&area);
    decodes_with_a_new_field(&City::default());
    decodes_with_a_new_field(&ProductArea::default());
    decodes_with_a_new_field(&Project::default());
    decodes_with_a_new_field(&AssignedIpInfo::default());
    decodes_with_a_new_field(&ResetPasswordsResult::default());
    decodes_with_a_new_field(&PasswordReset::default());
    decodes_with_a_new_field(&Account::default());
    decodes_with_a_new_field(&UserAuthStatus::default());
    decodes_with_a_new_field(&ProxyUser::default());
    decodes_with_a_new_field(&ProxyBalance::default());
    decodes_with_a_new_field(&ProxyBalanceItem::default());
    decodes_with_a_new_field(&DrawnProxies::default());
    decodes_with_a_new_field(&DrawnProxy::default());
    decodes_with_a_new_field(&DrawApiUrls::default());
    decodes_with_a_new_field(&DrawApiUrl::default());
    decodes_with_a_new_field(&FlowUsage::default());
    decodes_with_a_new_field(&IpWhitelist::default());
    decodes_with_a_new_field(&ReturnedProxy::default());
}

#[test]
fn a_raw_answer_with_unknown_fields_decodes() {
    let json = r#"{"orderNo":"C1","appOrderNo":"APP1","type":1,"status":3,"count":1,
        "amount":"2.00","refund":0,"page":1,"pageSize":10,"total":1,
        "instances":[{"instanceNo":"i1","ip":"203.0.113.7","port":8080,"newPerInstance":7}],
        "vendorAddedThisYear":{"a":1}}"#;
    let order: Order = serde_json::from_str(json).unwrap();
    assert_eq!(order.order_no, "C1");
    assert_eq!(order.instances[0].port, 8080);
    assert_eq!(order.instances[0].extra["newPerInstance"], json!(7));
    assert_eq!(order.extra["vendorAddedThisYear"], json!({"a":1}));
}
