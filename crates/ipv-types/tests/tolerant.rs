//! Decoding is tolerant where the platform is loose, and keeps what it does not know.

use ipv_types::*;
use serde_json::{Value, json};

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

#[test]
fn null_lists_decode_as_empty() {
    let p: Product = decode(
        json!({"productNo":"p","proxyType":103,"costPrice":"1","inventory":1,
        "cidrBlocks":null,"offlineCidrBlocks":null,"projectList":null}),
    );
    assert!(
        p.cidr_blocks.is_empty() && p.offline_cidr_blocks.is_empty() && p.project_list.is_empty()
    );

    let o: Order = decode(
        json!({"orderNo":"C1","appOrderNo":"A1","type":1,"refund":0,"page":1,
        "total":0,"instances":null}),
    );
    assert!(o.instances.is_empty());

    let i: Instance = decode(json!({"instanceNo":"i","bridges":null}));
    assert!(i.bridges.is_empty());

    let page: Page<OrderItem> = decode(json!({"page":1,"list":null}));
    assert!(page.list.is_empty());

    let a: Area = decode(json!({"code":"NA","cname":"北美","children":null}));
    assert!(a.children.is_empty());

    let w: IpWhitelist = decode(json!({"ipWhiteList":null}));
    assert!(w.ip_whitelist.is_empty());

    let b: ProxyBalance = decode(json!({"list":[{"balance":"1","ipWhiteList":null}]}));
    assert!(b.list[0].ip_whitelist.is_empty());

    let d: DrawnProxies = decode(json!({"list":[{"proxyUrl":"x","list":null}]}));
    assert!(d.list[0].list.is_empty());

    let r: ResetPasswordsResult = decode(json!({"list":null,"resetNo":"r"}));
    assert!(r.list.is_empty());

    let req: InstancesRequest = decode(json!({"instances":null}));
    assert!(req.instances.is_empty());
}

#[test]
fn numbers_sent_as_strings() {
    let p: Product = decode(
        json!({"productNo":"p","inventory":"1000","duration":" 30 ","unit":"1",
        "proxyType":"103","memory":"2.5","costPrice":2.05,"enable":"1","cidrBlocks":[{"count":"7"}]}),
    );
    assert_eq!(p.inventory, 1000);
    assert_eq!(p.duration, 30);
    assert_eq!(p.unit, Unit::Day);
    assert_eq!(p.proxy_type, ProxyType::StaticResidentialAbroad);
    assert!((p.memory - 2.5).abs() < f64::EPSILON);
    assert_eq!(p.cost_price.to_string(), "2.05");
    assert_eq!(p.enable, Toggle::Yes);
    assert_eq!(p.cidr_blocks[0].count, 7);

    let i: Instance = decode(
        json!({"instanceNo":"i","port":"8080","userExpired":"1735689600","flowTotal":"10.5",
        "status":"3"}),
    );
    assert_eq!(i.port, 8080);
    assert_eq!(i.user_expired, 1_735_689_600);
    assert!((i.flow_total - 10.5).abs() < f64::EPSILON);
    assert_eq!(i.status, InstanceStatus::Running);

    let page: Page<FlowUsage> = decode(json!({"total":"3","curPage":"1","list":[
        {"used":"1024","total":2048,"balance":"1024","usedTime":"1721980800"}]}));
    assert_eq!(page.total, 3);
    assert_eq!(page.cur_page, 1);
    assert_eq!(page.list[0].used, 1024);
    assert_eq!(page.list[0].used_time, 1_721_980_800);

    // A number where the Go SDK sends a string, and the reverse.
    let b: ProxyBalance = decode(json!({"list":[{"used":"1.5","total":100,"balance":98.5,
        "ipUsed":"2"}]}));
    assert_eq!(b.list[0].total, "100");
    assert_eq!(b.list[0].balance, "98.5");
    assert_eq!(b.list[0].ip_used, 2);

    // Whole floats stand for integers.
    let o: Order = decode(json!({"orderNo":"C1","appOrderNo":"A1","type":1,"refund":0,
        "page":1.0,"count":2.0,"total":"5.0"}));
    assert_eq!((o.count, o.total), (2, 5));
}

#[test]
fn integers_that_do_not_fit_are_errors_not_panics() {
    assert!(serde_json::from_value::<Instance>(json!({"port":70000})).is_err());
    assert!(serde_json::from_value::<Instance>(json!({"port":"-1"})).is_err());
    assert!(serde_json::from_value::<Product>(json!({"inventory":"lots"})).is_err());
    assert!(serde_json::from_value::<Product>(json!({"inventory":1.5})).is_err());
    assert!(serde_json::from_value::<Product>(json!({"proxyType":"ten"})).is_err());
    let err = serde_json::from_value::<Product>(json!({"inventory":"lots"})).unwrap_err();
    assert!(err.to_string().contains("not an integer"), "{err}");
}

#[test]
fn go_zero_time_is_none_and_encodes_back() {
    let i: Instance = decode(
        json!({"instanceNo":"i","openAt":"2024-07-26T09:49:27.123456789+08:00",
        "renewAt":"0001-01-01T00:00:00Z","releaseAt":null}),
    );
    let open = i.open_at.unwrap();
    assert_eq!(open.unix_timestamp(), 1_721_958_567);
    assert_eq!(open.nanosecond(), 123_456_789);
    assert_eq!(i.renew_at, None);
    assert_eq!(i.release_at, None);
    let back = serde_json::to_value(&i).unwrap();
    assert_eq!(back["renewAt"], json!("0001-01-01T00:00:00Z"));
    assert_eq!(back["releaseAt"], json!("0001-01-01T00:00:00Z"));
    assert_eq!(back["openAt"], json!("2024-07-26T09:49:27.123456789+08:00"));

    // Empty strings, a zero time written with an offset, and a missing field are "never" too.
    let i: Instance = decode(json!({"instanceNo":"i","openAt":"",
        "renewAt":"0001-01-01T08:00:00+08:00"}));
    assert_eq!((i.open_at, i.renew_at, i.release_at), (None, None, None));

    let item: OrderItem = decode(json!({"createdAt":"2024-01-02T03:04:05Z"}));
    assert_eq!(item.created_at.unwrap().unix_timestamp(), 1_704_164_645);

    assert!(serde_json::from_value::<Instance>(json!({"openAt":"yesterday"})).is_err());
    assert!(serde_json::from_value::<Instance>(json!({"openAt":"2024-07-26 09:49:27"})).is_err());
}

#[test]
fn can_buy_status_as_bool_or_int() {
    for (wire, expected) in [
        (json!(true), true),
        (json!(false), false),
        (json!(1), true),
        (json!(-1), false),
        (json!(0), false),
        (json!("1"), true),
        (json!("-1"), false),
        (json!("true"), true),
        (json!(null), false),
    ] {
        let info: AssignedIpInfo = decode(json!({"ip":"1.2.3.4","canBuyStatus":wire.clone()}));
        assert_eq!(info.can_buy_status, expected, "canBuyStatus {wire}");
    }
    assert!(serde_json::from_value::<AssignedIpInfo>(json!({"canBuyStatus":2})).is_err());
    assert!(serde_json::from_value::<AssignedIpInfo>(json!({"canBuyStatus":"maybe"})).is_err());
    // Encoded as a JSON bool, which the Go SDK's `bool` field reads.
    let yes = {
        let mut assigned_ip_info = AssignedIpInfo::default();
        assigned_ip_info.ip = "1.2.3.4".into();
        assigned_ip_info.can_buy_status = true;
        assigned_ip_info
    };
    assert_eq!(
        serde_json::to_value(&yes).unwrap()["canBuyStatus"],
        json!(true)
    );
}

#[test]
fn renew_flag_in_requests_accepts_bool_or_int() {
    let p: OpenParam = decode(json!({"productNo":"p","renew":1}));
    assert_eq!(p.renew, Some(true));
    let p: OpenParam = decode(json!({"productNo":"p","renew":0}));
    assert_eq!(p.renew, Some(false));
    let p: OpenParam = decode(json!({"productNo":"p","renew":null}));
    assert_eq!(p.renew, None);
    // count and cycleTimes default to 1 when missing.
    assert_eq!((p.count, p.cycle_times), (1, 1));
}

#[test]
fn instances_request_accepts_the_go_sdk_key() {
    let req: InstancesRequest = decode(json!({"Instances":["i1","i2"]}));
    assert_eq!(req.instances, ["i1", "i2"]);
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"instances":["i1","i2"]})
    );
}

#[test]
fn sess_time_travels_as_a_string() {
    let r: DrawWithPasswordRequest =
        decode(json!({"appUsername":"a","productNo":"p","sessTime":"15"}));
    assert_eq!(r.sess_time, Some(15));
    let r: DrawWithPasswordRequest =
        decode(json!({"appUsername":"a","productNo":"p","sessTime":15}));
    assert_eq!(r.sess_time, Some(15));
    let r: DrawWithPasswordRequest =
        decode(json!({"appUsername":"a","productNo":"p","sessTime":""}));
    assert_eq!(r.sess_time, None);
    assert!(
        serde_json::from_value::<DrawWithPasswordRequest>(
            json!({"appUsername":"a","productNo":"p","sessTime":"soon"})
        )
        .is_err()
    );
}

#[test]
fn go_request_time_zero_values_are_none() {
    let r: OrdersRequest = decode(json!({"page":0,"pageSize":0,"startTime":"","endTime":""}));
    assert_eq!(r.start_time, None);
    assert_eq!(r.end_time, None);
    let r: FlowUsageLogRequest = decode(json!({"appUsername":"a","productNo":"p",
        "startTime":"2021-01-01 00:00:00"}));
    assert_eq!(r.start_time.unwrap().to_string(), "2021-01-01 00:00:00");
    // A date alone is midnight (the vendor's own tests send one).
    let r: OrdersRequest = decode(json!({"startTime":"2021-01-01"}));
    assert_eq!(r.start_time.unwrap().to_string(), "2021-01-01 00:00:00");
    assert!(serde_json::from_value::<OrdersRequest>(json!({"startTime":"2021-01"})).is_err());
}

#[test]
fn unknown_enum_values_survive_a_round_trip() {
    let json = json!({"orderNo":"C1","appOrderNo":"A1","type":9,"status":"42","refund":0,
        "page":1,"total":1,"instances":[{"instanceNo":"i","proxyType":301,"status":99,"protocol":"1,7","useType":"4"}]});
    let o: Order = decode(json.clone());
    assert_eq!(o.order_type, OrderType::Unknown(9));
    assert_eq!(o.status, OrderStatus::Unknown(42));
    assert!(!o.status.is_final());
    assert_eq!(o.instances[0].proxy_type, ProxyType::Unknown(301));
    assert_eq!(o.instances[0].status, InstanceStatus::Unknown(99));
    assert!(o.instances[0].protocol.contains(Protocol::Unknown(7)));
    assert_eq!(o.instances[0].use_type.as_slice(), &[UseType::Unknown(4)]);
    let back = serde_json::to_value(&o).unwrap();
    assert_eq!(back["type"], json!(9));
    assert_eq!(back["status"], json!(42));
    assert_eq!(back["instances"][0]["proxyType"], json!(301));
    assert_eq!(back["instances"][0]["status"], json!(99));
    assert_eq!(back["instances"][0]["protocol"], json!("1,7"));
    assert_eq!(back["instances"][0]["useType"], json!("4"));
    assert_eq!(serde_json::from_value::<Order>(back).unwrap(), o);
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let cases: Vec<(&str, Value)> = vec![
        (
            "Product",
            json!({"productNo":"p","proxyType":103,"costPrice":"1.00","inventory":5,
                "brandNewField":{"a":[1,"x",null]},"n":1.5}),
        ),
        (
            "Instance",
            json!({"instanceNo":"i","ipv6":"2001:db8::1","tags":["a"]}),
        ),
        (
            "Order",
            json!({"orderNo":"C1","appOrderNo":"A1","type":1,"refund":0,"page":1,"total":0,
                "discount":"0.50","updatedAt":"2024-01-01T00:00:00Z"}),
        ),
        (
            "OrderItem",
            json!({"orderNo":"C1","productNo":"p","remark":null}),
        ),
        ("AppInfo", json!({"appName":"a","coin":"1.00","level":3})),
    ];
    for (name, input) in cases {
        let back = match name {
            "Product" => serde_json::to_value(decode::<Product>(input.clone())).unwrap(),
            "Instance" => serde_json::to_value(decode::<Instance>(input.clone())).unwrap(),
            "Order" => serde_json::to_value(decode::<Order>(input.clone())).unwrap(),
            "OrderItem" => serde_json::to_value(decode::<OrderItem>(input.clone())).unwrap(),
            "AppInfo" => serde_json::to_value(decode::<AppInfo>(input.clone())).unwrap(),
            _ => unreachable!(),
        };
        for (key, value) in input.as_object().unwrap() {
            assert_eq!(&back[key], value, "{name}.{key} after a round trip");
        }
    }
    let p: Product = decode(
        json!({"productNo":"p","proxyType":103,"costPrice":"1","inventory":5,"brandNewField":7}),
    );
    assert_eq!(p.extra.len(), 1);
    assert_eq!(p.extra["brandNewField"], json!(7));
}

#[test]
fn missing_optional_fields_take_go_zero_values_in_responses() {
    let p: Product =
        decode(json!({"productNo":"p","proxyType":103,"costPrice":"2.00","inventory":0}));
    assert_eq!(p.isp_type, IspType::Unspecified);
    assert_eq!(p.duration, 0);
    assert!(p.cidr_blocks.is_empty());
    let a: AppInfo = decode(json!({"appName":"a","coin":""}));
    assert!(a.coin.is_zero());
    assert_eq!(a.credit, None);
    let r: OrderReceipt = decode(json!({"orderNo":"C1","appOrderNo":"A1"}));
    assert!(r.amount.is_zero());
}

#[test]
fn missing_required_fields_in_responses_are_errors_naming_the_field() {
    let err = serde_json::from_value::<OrderReceipt>(json!({"orderNo":"C1"})).unwrap_err();
    assert!(
        err.to_string().contains("missing field `appOrderNo`"),
        "{err}"
    );
    let err = serde_json::from_value::<AppInfo>(json!({"appName":"a"})).unwrap_err();
    assert!(err.to_string().contains("missing field `coin`"), "{err}");
    let err =
        serde_json::from_value::<Product>(json!({"productNo":"p","proxyType":103,"inventory":1}))
            .unwrap_err();
    assert!(
        err.to_string().contains("missing field `costPrice`"),
        "{err}"
    );
}

#[test]
fn required_request_fields_are_required() {
    assert!(serde_json::from_value::<OpenInstancesRequest>(json!({"params":[]})).is_err());
    assert!(serde_json::from_value::<ProductsRequest>(json!({"productNo":"p"})).is_err());
    assert!(serde_json::from_value::<ProductRequest>(json!({})).is_err());
    assert!(serde_json::from_value::<ResetPasswordsRequest>(json!({"instanceNoList":[]})).is_err());
    assert!(
        serde_json::from_value::<AddIpWhitelistRequest>(
            json!({"appUsername":"a","ip":"1.1.1.1","productNo":"p"})
        )
        .is_err()
    );
    let err = serde_json::from_value::<OrderRequest>(json!({"page":1})).unwrap_err();
    assert!(err.to_string().contains("orderNo"), "{err}");
}

#[test]
fn no_data_and_app_info_request_decode_from_anything() {
    for v in [
        json!(null),
        json!({}),
        json!(""),
        json!([1, 2]),
        json!({"x":1}),
    ] {
        assert_eq!(serde_json::from_value::<NoData>(v.clone()).unwrap(), NoData);
        assert_eq!(
            serde_json::from_value::<AppInfoRequest>(v).unwrap(),
            AppInfoRequest
        );
    }
}

#[test]
fn passwords_stay_out_of_debug_output() {
    let instance = {
        let mut built_instance = Instance::default();
        built_instance.pwd = "hunter2-instance".into();
        built_instance
    };
    let account = {
        let mut built_account = Account::default();
        built_account.password = "hunter2-account".into();
        built_account
    };
    let mut proxy_user = ProxyUser::default();
    proxy_user.password = "hunter2-proxy".into();
    let reset = {
        let mut password_reset = PasswordReset::default();
        password_reset.new_password = "hunter2-reset".into();
        password_reset
    };
    let upsert = UpsertUserRequest::default().with_password("hunter2-upsert");
    let upsert_proxy = UpsertProxyUserRequest::default().with_password("hunter2-upsert-proxy");
    let mut order = Order::default();
    order.instances = vec![instance.clone()];
    for text in [
        format!("{instance:?}"),
        format!("{account:?}"),
        format!("{proxy_user:?}"),
        format!("{reset:?}"),
        format!("{upsert:?}"),
        format!("{upsert_proxy:?}"),
        format!("{order:#?}"),
    ] {
        assert!(!text.contains("hunter2"), "password in {text}");
        assert!(text.contains("[redacted]"), "no marker in {text}");
    }
    // The rest of the value is still shown.
    let shown = format!("{:?}", {
        let mut built_instance = instance;
        built_instance.username = "visible-user".into();
        built_instance
    });
    assert!(shown.contains("visible-user"));
}
