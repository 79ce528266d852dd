//! Every request and response type survives encode -> decode unchanged, with its
//! fields under the wire's names.

use ::time::macros::datetime;
use ipv_types::time::QueryTime;
use ipv_types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Encodes `value`, checks the JSON against `expected` (when given), decodes it back and
/// checks the result equals `value`.
fn round_trip<T>(value: &T, expected: Option<Value>)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_value(value).unwrap();
    if let Some(expected) = expected {
        assert_eq!(json, expected, "wire form of {value:?}");
    }
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value, "round trip through {text}");
}

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

fn qt(s: &str) -> QueryTime {
    s.parse().unwrap()
}

fn sample_instance() -> Instance {
    Instance {
        instance_no: "c_gz3h2igp6dz9cq3".into(),
        proxy_type: ProxyType::StaticResidentialAbroad,
        protocol: CodeList::from([Protocol::Socks5, Protocol::Http]),
        ip: "203.0.113.7".into(),
        port: 8443,
        region_id: "us-west".into(),
        country_code: "USA".into(),
        city_code: "USLAX0".into(),
        use_type: CodeList::from([UseType::Password]),
        username: "u1".into(),
        pwd: "p@ss".into(),
        order_no: "C20240429162339417081".into(),
        user_expired: 1_735_689_600,
        flow_total: 1024.5,
        flow_balance: 12.25,
        status: InstanceStatus::Running,
        renew: 1,
        bridges: vec!["bridge-1.example:443".into()],
        open_at: Some(datetime!(2024-07-26 09:49:27 +08:00)),
        renew_at: Some(datetime!(2024-08-26 09:49:27.5 UTC)),
        release_at: None,
        product_no: "ipideash_598".into(),
        extend_ip: "198.51.100.1".into(),
        extra: serde_json::Map::new(),
    }
}

#[test]
fn app_types() {
    round_trip(&AppInfoRequest, Some(json!({})));
    round_trip(
        &AppInfo {
            app_name: "demo".into(),
            coin: m("1000.50"),
            use_bridge: AppBridge::Yes,
            callback_url: "https://cb.example/ipv".into(),
            credit: Some(m("0.00")),
            status: AppStatus::Disabled,
            extra: serde_json::Map::new(),
        },
        Some(json!({"appName":"demo","coin":"1000.50","useBridge":2,
            "callbackUrl":"https://cb.example/ipv","credit":"0.00","status":-1})),
    );
    // `credit` is left out when absent, as the Go server's omitempty does.
    round_trip(
        &AppInfo::default(),
        Some(json!({"appName":"","coin":"0","useBridge":0,
        "callbackUrl":"","status":0})),
    );
}

#[test]
fn area_types() {
    round_trip(&AreasRequest::all(), Some(json!({})));
    round_trip(
        &AreasRequest::of(["NA", "EU"]),
        Some(json!({"codes":["NA","EU"]})),
    );
    round_trip(
        &Area {
            code: "NA".into(),
            name: "North America".into(),
            cname: "北美洲".into(),
            children: vec![Area {
                code: "USA".into(),
                name: "United States".into(),
                cname: "美国".into(),
                children: vec![],
            }],
        },
        Some(json!({"code":"NA","name":"North America","cname":"北美洲",
            "children":[{"code":"USA","name":"United States","cname":"美国"}]})),
    );
    round_trip(
        &CitiesRequest::of(["USLAX0"]),
        Some(json!({"codes":["USLAX0"]})),
    );
    round_trip(
        &City {
            city_code: "USLAX0".into(),
            city_name: "洛杉矶".into(),
            city_en_name: "Los Angeles".into(),
            state_code: "US0006".into(),
            state_name: "加利福尼亚".into(),
            state_en_name: "California".into(),
            country_code: "USA".into(),
            country_name: "美国".into(),
            country_en_name: "United States".into(),
            area_code: "NA".into(),
            area_name: "北美洲".into(),
            area_en_name: "North America".into(),
            status: ListingStatus::Listed,
        },
        Some(
            json!({"cityCode":"USLAX0","cityName":"洛杉矶","cityEnName":"Los Angeles",
            "stateCode":"US0006","stateName":"加利福尼亚","stateEnName":"California",
            "countryCode":"USA","countryName":"美国","countryEnName":"United States",
            "areaCode":"NA","areaName":"北美洲","areaEnName":"North America","status":1}),
        ),
    );
    round_trip(
        &ProductAreasRequest::new("out_dynamic_1", ProxyType::DynamicAbroad),
        Some(json!({"productNo":"out_dynamic_1","proxyType":104})),
    );
    round_trip(
        &ProductArea {
            product_no: "out_dynamic_1".into(),
            proxy_type: ProxyType::DynamicAbroad,
            area_code: "6".into(),
            country_code: "USA".into(),
            state_code: String::new(),
            city_code: String::new(),
            status: ListingStatus::Delisted,
            region: "us".into(),
            supplier_code: "xxx".into(),
        },
        Some(
            json!({"productNo":"out_dynamic_1","proxyType":104,"areaCode":"6",
            "countryCode":"USA","stateCode":"","cityCode":"","status":-1,"region":"us",
            "supplierCode":"xxx"}),
        ),
    );
    round_trip(&ProjectsRequest::all(), Some(json!({})));
    round_trip(
        &ProjectsRequest::of(["tiktok"]),
        Some(json!({"codes":["tiktok"]})),
    );
    round_trip(
        &Project {
            code: "tiktok".into(),
            name: "TikTok".into(),
            status: ListingStatus::Listed,
        },
        Some(json!({"code":"tiktok","name":"TikTok","status":1})),
    );
}

#[test]
fn product_types() {
    round_trip(
        &ProductsRequest::of_types([ProxyType::StaticCloud, ProxyType::DynamicCn]),
        Some(json!({"proxyType":[101,105]})),
    );
    round_trip(
        &ProductsRequest {
            proxy_type: vec![ProxyType::StaticResidentialAbroad],
            product_no: Some("p1".into()),
            country_code: Some("USA".into()),
            city_code: Some("USLAX0".into()),
            supplier_code: Some("sup".into()),
            unit: Some(Unit::Month),
            isp_type: Some(IspType::Dual),
            net_type: Some(NetType::Broadcast),
            duration: Some(30),
        },
        Some(
            json!({"proxyType":[103],"productNo":"p1","countryCode":"USA",
            "cityCode":"USLAX0","supplierCode":"sup","unit":3,"ispType":2,"netType":2,
            "duration":30}),
        ),
    );
    round_trip(&ProductRequest::new("p1"), Some(json!({"productNo":"p1"})));

    let mut extra = serde_json::Map::new();
    extra.insert("futureFlag".into(), json!({"nested":[1,2]}));
    let product = Product {
        product_no: "mb_gmhd5exp2".into(),
        product_name: "Dynamic".into(),
        proxy_type: ProxyType::DynamicAbroad,
        use_type: CodeList::from([UseType::Password, UseType::Whitelist, UseType::Uuid]),
        protocol: CodeList::from([Protocol::Socks5, Protocol::Ssh, Protocol::Unknown(9)]),
        use_limit: UseLimit::ExitAbroad,
        sell_limit: SellLimit::Overseas,
        area_code: String::new(),
        country_code: "USA".into(),
        state_code: "US0000".into(),
        city_code: String::new(),
        detail: "per MB".into(),
        cost_price: m("0.0150"),
        inventory: 999_999,
        ip_type: IpType::Random,
        isp_type: IspType::Datacenter,
        net_type: NetType::Unspecified,
        duration: 0,
        unit: Unit::Unlimited,
        band_width: 0,
        band_width_type: 3,
        band_width_price: m("0"),
        max_band_width: 0,
        flow: 1024,
        cpu: 2,
        memory: 3.5,
        enable: Toggle::Yes,
        supplier_code: "sup_x".into(),
        ip_count: 10,
        ip_duration: 30,
        assign_ip: Toggle::No,
        parent_no: "mb_parent".into(),
        cidr_status: Toggle::No,
        cidr_blocks: vec![CidrBlock {
            cidr: "10.0.0.0/8".into(),
            count: 5,
            asn: "AS1".into(),
            isp: "ISP".into(),
            project_list: vec![ProjectStock {
                code: "tiktok".into(),
                inventory: 3,
            }],
        }],
        offline_cidr_blocks: vec![OfflineCidrBlock {
            cidr: "172.16.0.0/16".into(),
            offline_time: "2024-06-27 12:00:00".into(),
        }],
        draw_type: DrawType::Both,
        refund_duration: 0,
        one_day: Toggle::No,
        proxy_everytime_change: Toggle::Yes,
        proxy_global_random: Toggle::Yes,
        api_draw_global_random: Toggle::No,
        ip_whitelist: Toggle::Yes,
        pwd_draw_proxy_user: Toggle::Yes,
        proxy_user_flow_limit: Toggle::Yes,
        flow_use_log: Toggle::Yes,
        pwd_draw_session_range: "1-120".into(),
        flow_conversion_base: 1000,
        project_list: vec![ProjectStock {
            code: "amazon".into(),
            inventory: 7,
        }],
        product_type: 2,
        reset_password: Toggle::Unknown(0),
        extra,
    };
    round_trip(&product, None);
    let json = serde_json::to_value(&product).unwrap();
    assert_eq!(json["useType"], json!("1,2,3"));
    assert_eq!(json["protocol"], json!("1,4,9"));
    assert_eq!(json["costPrice"], json!("0.0150"));
    assert_eq!(json["ipWhiteList"], json!(1));
    assert_eq!(json["futureFlag"], json!({"nested":[1,2]}));
    assert_eq!(
        json["offlineCidrBlocks"][0]["offlineTime"],
        json!("2024-06-27 12:00:00")
    );
    assert_eq!(
        json["cidrBlocks"][0]["projectList"][0]["code"],
        json!("tiktok")
    );
}

#[test]
fn order_types() {
    let open = OpenInstancesRequest::new(
        "APP1",
        vec![
            OpenParam::by_product("p1", 2, 3)
                .with_cidr_blocks(vec![CidrSelection::new("10.0.0.0/24", 2)])
                .with_ext_band_width(10)
                .with_bridge(BridgeChoice::No),
            OpenParam::dynamic_flow("mb1", "alice", 500),
        ],
    );
    round_trip(
        &open,
        Some(json!({"appOrderNo":"APP1","params":[
            {"productNo":"p1","count":2,"cycleTimes":3,"extBandWidth":10,"useBridge":1,
             "cidrBlocks":[{"cidr":"10.0.0.0/24","count":2}]},
            {"productNo":"mb1","count":1,"cycleTimes":1,"appUsername":"alice","flow":500}]})),
    );
    let full = OpenParam {
        product_no: None,
        proxy_type: Some(ProxyType::StaticCloud),
        country_code: Some("USA".into()),
        city_code: Some("USNYC0".into()),
        supplier_code: Some("sup".into()),
        unit: Some(Unit::Week),
        isp_type: Some(IspType::Native),
        duration: Some(2),
        count: 20,
        cycle_times: 4,
        renew: Some(true),
        ext_band_width: Some(5),
        app_username: Some("bob".into()),
        flow: Some(10),
        use_bridge: Some(BridgeChoice::Yes),
        project_id: Some("proj".into()),
        cidr_blocks: Some(vec![CidrSelection {
            cidr: "10.1.0.0/24".into(),
            count: 1,
            asn: Some("AS2".into()),
            isp: Some("ISP2".into()),
            project_list: Some(vec![ipv_types::product::ProjectStock {
                code: "proj".into(),
                inventory: 3,
            }]),
        }]),
    };
    round_trip(
        &full,
        Some(
            json!({"proxyType":101,"countryCode":"USA","cityCode":"USNYC0",
            "supplierCode":"sup","unit":2,"ispType":3,"duration":2,"count":20,"cycleTimes":4,
            "renew":true,"extBandWidth":5,"appUsername":"bob","flow":10,"useBridge":2,
            "projectId":"proj","cidrBlocks":[{"cidr":"10.1.0.0/24","count":1,"asn":"AS2",
            "isp":"ISP2","projectList":[{"code":"proj","inventory":3}]}]}),
        ),
    );
    round_trip(
        &OpenAssignedIpRequest::new("APP2", "p1", "127.0.0.1", 1),
        Some(json!({"appOrderNo":"APP2","productNo":"p1","cycleTimes":1,
            "assignIp":"127.0.0.1"})),
    );
    round_trip(
        &OpenAssignedIpRequest {
            renew: Some(false),
            ext_band_width: Some(1),
            use_bridge: Some(BridgeChoice::FollowApp),
            ..OpenAssignedIpRequest::new("APP2", "p1", "127.0.0.1", 6)
        },
        Some(
            json!({"appOrderNo":"APP2","productNo":"p1","cycleTimes":6,"renew":false,
            "extBandWidth":1,"useBridge":0,"assignIp":"127.0.0.1"}),
        ),
    );
    round_trip(
        &AssignedIpInfoRequest::new("127.0.0.1"),
        Some(json!({"ip":"127.0.0.1"})),
    );
    round_trip(
        &AssignedIpInfo {
            ip: "127.0.0.1".into(),
            can_buy_status: true,
        },
        Some(json!({"ip":"127.0.0.1","canBuyStatus":true})),
    );
    round_trip(
        &AssignedIpInfo {
            ip: "127.0.0.2".into(),
            can_buy_status: false,
        },
        Some(json!({"ip":"127.0.0.2","canBuyStatus":false})),
    );
    round_trip(
        &RenewInstancesRequest::new(
            "APP3",
            vec![
                RenewItem::new("i1", 2),
                RenewItem {
                    instance_no: "i2".into(),
                    duration: Some(30),
                    cycle_times: None,
                },
            ],
        ),
        Some(
            json!({"appOrderNo":"APP3","instances":[{"instanceNo":"i1","cycleTimes":2},
            {"instanceNo":"i2","duration":30}]}),
        ),
    );
    round_trip(
        &ReleaseInstancesRequest::new("APP4", ["i1", "i2"]),
        Some(json!({"orderNo":"APP4","instances":["i1","i2"]})),
    );
    round_trip(
        &AfterSaleReleaseRequest {
            order_no: "APP5".into(),
            instances: vec!["i1".into()],
            remark: "r".into(),
            reason: "broken".into(),
            ding_talk_users: vec![DingTalkUser {
                uid: "u1".into(),
                phone: "13800000000".into(),
            }],
        },
        Some(
            json!({"orderNo":"APP5","instances":["i1"],"remark":"r","reason":"broken",
            "dingTalkUserList":[{"uid":"u1","phone":"13800000000"}]}),
        ),
    );
    round_trip(
        &OrderReceipt {
            order_no: "C1".into(),
            app_order_no: "APP1".into(),
            amount: m("12.30"),
        },
        Some(json!({"orderNo":"C1","appOrderNo":"APP1","amount":"12.30"})),
    );
    round_trip(
        &OrderRequest::new("C1"),
        Some(json!({"orderNo":"C1","page":1,"pageSize":10})),
    );
    round_trip(
        &OrderRequest {
            app_order_no: Some("APP1".into()),
            ..OrderRequest::new("C1").with_page(3, 500)
        },
        Some(json!({"orderNo":"C1","appOrderNo":"APP1","page":3,"pageSize":100})),
    );
    round_trip(
        &Order {
            order_no: "C1".into(),
            app_order_no: "APP1".into(),
            order_type: OrderType::Renew,
            status: OrderStatus::PartlyDone,
            count: 2,
            amount: m("4.10"),
            refund: 1,
            page: 1,
            page_size: 10,
            total: 2,
            instances: vec![sample_instance()],
            extra: serde_json::Map::new(),
        },
        None,
    );
    round_trip(&OrdersRequest::default(), Some(json!({})));
    round_trip(
        &OrdersRequest {
            page: Some(2),
            page_size: Some(50),
            start_time: Some(qt("2024-01-01 00:00:00")),
            end_time: Some(qt("2024-12-31 23:59:59")),
        },
        Some(
            json!({"page":2,"pageSize":50,"startTime":"2024-01-01 00:00:00",
            "endTime":"2024-12-31 23:59:59"}),
        ),
    );
    round_trip(
        &OrderItem {
            order_no: "C1".into(),
            app_order_no: "APP1".into(),
            city_code: "USLAX0".into(),
            instance_no: String::new(),
            order_type: OrderType::New,
            status: OrderStatus::Succeeded,
            count: 3,
            success_count: 3,
            amount: m("6.00"),
            ext_band_width: 0,
            flow: 0,
            created_at: Some(datetime!(2024-07-26 09:49:27 +08:00)),
            extra: serde_json::Map::new(),
        },
        Some(
            json!({"orderNo":"C1","appOrderNo":"APP1","cityCode":"USLAX0","instanceNo":"",
            "type":1,"status":3,"count":3,"successCount":3,"amount":"6.00","extBandWidth":0,
            "flow":0,"createdAt":"2024-07-26T09:49:27+08:00"}),
        ),
    );
    round_trip(
        &Page {
            page: 1,
            page_size: 20,
            total: 1,
            cur_page: 1,
            list: vec![OrderItem::default()],
        },
        None,
    );
}

#[test]
fn instance_types() {
    round_trip(
        &InstancesRequest::new(["i1", "i2"]),
        Some(json!({"instances":["i1","i2"]})),
    );
    round_trip(
        &sample_instance(),
        Some(
            json!({"instanceNo":"c_gz3h2igp6dz9cq3","proxyType":103,"protocol":"1,2",
            "ip":"203.0.113.7","port":8443,"regionId":"us-west","countryCode":"USA",
            "cityCode":"USLAX0","useType":"1","username":"u1","pwd":"p@ss",
            "orderNo":"C20240429162339417081","userExpired":1_735_689_600_i64,
            "flowTotal":1024.5,"flowBalance":12.25,"status":3,"renew":1,
            "bridges":["bridge-1.example:443"],"openAt":"2024-07-26T09:49:27+08:00",
            "renewAt":"2024-08-26T09:49:27.5Z","releaseAt":"0001-01-01T00:00:00Z",
            "productNo":"ipideash_598","extendIp":"198.51.100.1"}),
        ),
    );
    round_trip(&InstanceListRequest::default(), Some(json!({})));
    round_trip(
        &InstanceListRequest {
            page: Some(1),
            page_size: Some(100),
            start_time: Some(qt("2024-07-01 08:00:00")),
            end_time: None,
        },
        Some(json!({"page":1,"pageSize":100,"startTime":"2024-07-01 08:00:00"})),
    );
    round_trip(
        &Page {
            page: 2,
            page_size: 1,
            total: 5,
            cur_page: 2,
            list: vec![sample_instance()],
        },
        None,
    );
    round_trip(
        &ResetPasswordsRequest::new(["i1", "i2"], "reset_20240726_1"),
        Some(json!({"instanceNoList":["i1","i2"],"resetNo":"reset_20240726_1"})),
    );
    round_trip(
        &ResetPasswordsResult {
            list: vec![
                PasswordReset {
                    instance_no: "i1".into(),
                    new_password: "n3w".into(),
                    status: ResetStatus::Succeeded,
                },
                PasswordReset {
                    instance_no: "i2".into(),
                    new_password: String::new(),
                    status: ResetStatus::Processing,
                },
            ],
            reset_no: "reset_20240726_1".into(),
        },
        Some(
            json!({"list":[{"instanceNo":"i1","newPassword":"n3w","status":3},
            {"instanceNo":"i2","newPassword":"","status":2}],"resetNo":"reset_20240726_1"}),
        ),
    );
}

#[test]
fn account_types() {
    round_trip(
        &UpsertUserRequest {
            app_username: Some("alice".into()),
            password: Some("secret1".into()),
            phone: "13800000000".into(),
            email: "a@example.com".into(),
            auth_type: AuthType::Person,
            auth_name: Some("Alice".into()),
            no: "110101199001011234".into(),
            vsp: Some(1),
            status: AccountStatus::Normal,
        },
        Some(
            json!({"appUsername":"alice","password":"secret1","phone":"13800000000",
            "email":"a@example.com","authType":2,"authName":"Alice",
            "no":"110101199001011234","vsp":1,"status":1}),
        ),
    );
    round_trip(
        &Account {
            app_username: "alice".into(),
            username: "u_alice".into(),
            password: "pw".into(),
            status: AccountStatus::Disabled,
            auth_status: AuthType::Company,
        },
        Some(
            json!({"appUsername":"alice","username":"u_alice","password":"pw","status":2,
            "authStatus":3}),
        ),
    );
    round_trip(
        &SyncUserAuthRequest {
            username: None,
            app_username: Some("alice".into()),
            auth_type: AuthType::Company,
            auth_name: Some("ACME".into()),
            no: Some("91110000".into()),
            vsp: Some("1".into()),
        },
        Some(
            json!({"appUsername":"alice","authType":3,"authName":"ACME","no":"91110000",
            "vsp":"1"}),
        ),
    );
    round_trip(
        &UserAuthStatus {
            username: "u_alice".into(),
            auth_status: AuthType::None,
        },
        Some(json!({"username":"u_alice","authStatus":1})),
    );
    round_trip(
        &UpsertProxyUserRequest {
            app_username: Some("sub1".into()),
            password: None,
            limit_flow: 1024,
            main_username: None,
            app_main_username: Some("alice".into()),
            remark: Some("team a".into()),
            status: AccountStatus::Normal,
        },
        Some(
            json!({"appUsername":"sub1","limitFlow":1024,"appMainUsername":"alice",
            "remark":"team a","status":1}),
        ),
    );
    round_trip(
        &ProxyUserRequest::new("mb1", "sub1"),
        Some(json!({"productNo":"mb1","appUsername":"sub1"})),
    );
    round_trip(
        &ProxyUser {
            product_no: "mb1".into(),
            app_username: "sub1".into(),
            username: "u_sub1".into(),
            limit_flow: -1,
            use_flow: 123_456_789_012,
            password: "pw".into(),
            remark: "r".into(),
            status: AccountStatus::Normal,
        },
        Some(
            json!({"productNo":"mb1","appUsername":"sub1","username":"u_sub1",
            "limitFlow":-1,"useFlow":123_456_789_012_i64,"password":"pw","remark":"r",
            "status":1}),
        ),
    );
    round_trip(
        &SetProxyUserFlowLimitRequest::new("mb1", "sub1", SetProxyUserFlowLimitRequest::UNLIMITED),
        Some(json!({"productNo":"mb1","appUsername":"sub1","limitFlow":-1})),
    );
    round_trip(&NoData, Some(Value::Null));
    round_trip(
        &ProxyBalanceRequest::for_app_user("alice", ProxyType::DynamicCn, "mb1"),
        Some(json!({"appUsername":"alice","proxyType":105,"productNo":"mb1"})),
    );
    round_trip(
        &ProxyBalance {
            list: vec![ProxyBalanceItem {
                used: "10.5".into(),
                total: "100".into(),
                balance: "89.5".into(),
                ip_whitelist: vec!["1.2.3.4".into()],
                product_no: "mb1".into(),
                ip_used: 1,
                ip_total: 10,
            }],
        },
        Some(
            json!({"list":[{"used":"10.5","total":"100","balance":"89.5",
            "ipWhiteList":["1.2.3.4"],"productNo":"mb1","ipUsed":1,"ipTotal":10}]}),
        ),
    );
    round_trip(
        &DrawWithPasswordRequest {
            address_code: Some("USA".into()),
            sess_time: Some(30),
            num: Some(5),
            proxy_type: Some(ProxyType::DynamicAbroad),
            max_flow_limit: Some(100),
            ..DrawWithPasswordRequest::new("sub1", "mb1")
        },
        Some(
            json!({"appUsername":"sub1","addressCode":"USA","sessTime":"30","num":5,
            "proxyType":104,"maxFlowLimit":100,"productNo":"mb1"}),
        ),
    );
    round_trip(
        &DrawnProxies {
            list: vec![DrawnProxy {
                proxy_url: "socks5://u:p@gw.example:1080".into(),
                list: vec!["gw2.example:1080".into()],
            }],
        },
        Some(json!({"list":[{"proxyUrl":"socks5://u:p@gw.example:1080",
            "list":["gw2.example:1080"]}]})),
    );
    round_trip(
        &DrawApiUrlRequest {
            num: Some(10),
            address_code: Some("EU".into()),
            protocol: Some("http".into()),
            return_type: Some("json".into()),
            delimiter: Some(4),
            max_flow_limit: Some(1),
            ..DrawApiUrlRequest::new("alice", ProxyType::DynamicAbroad, "mb1")
        },
        Some(
            json!({"appUsername":"alice","proxyType":104,"num":10,"addressCode":"EU",
            "protocol":"http","returnType":"json","delimiter":4,"maxFlowLimit":1,
            "productNo":"mb1"}),
        ),
    );
    round_trip(
        &DrawApiUrls {
            list: vec![DrawApiUrl {
                proxy_url: "https://api.example/draw?k=1".into(),
            }],
        },
        Some(json!({"list":[{"proxyUrl":"https://api.example/draw?k=1"}]})),
    );
    round_trip(
        &FlowUsageLogRequest {
            start_time: Some(qt("2024-07-01 00:00:00")),
            end_time: Some(qt("2024-07-08 00:00:00")),
            page: Some(1),
            page_size: Some(100),
            ..FlowUsageLogRequest::new("alice", "mb1")
        },
        Some(
            json!({"appUsername":"alice","startTime":"2024-07-01 00:00:00",
            "endTime":"2024-07-08 00:00:00","productNo":"mb1","page":1,"pageSize":100}),
        ),
    );
    round_trip(
        &Page {
            page: 0,
            page_size: 0,
            total: 1,
            cur_page: 1,
            list: vec![FlowUsage {
                used: 1_048_576,
                total: 10_485_760,
                balance: 9_437_184,
                used_time: 1_721_980_800,
                product_no: "mb1".into(),
            }],
        },
        Some(
            json!({"page":0,"pageSize":0,"total":1,"curPage":1,"list":[{"used":1_048_576,
            "total":10_485_760,"balance":9_437_184,"usedTime":1_721_980_800_u64,
            "productNo":"mb1"}]}),
        ),
    );
    round_trip(
        &AddIpWhitelistRequest::new("alice", "1.2.3.4", ProxyType::DynamicAbroad, "mb1"),
        Some(json!({"appUsername":"alice","ip":"1.2.3.4","proxyType":104,"productNo":"mb1"})),
    );
    round_trip(
        &RemoveIpWhitelistRequest::new("alice", "1.2.3.4", ProxyType::DynamicCn, "mb1"),
        Some(json!({"appUsername":"alice","ip":"1.2.3.4","proxyType":105,"productNo":"mb1"})),
    );
    round_trip(
        &IpWhitelist {
            ip_whitelist: vec!["1.2.3.4".into(), "5.6.7.8".into()],
        },
        Some(json!({"ipWhiteList":["1.2.3.4","5.6.7.8"]})),
    );
    round_trip(
        &ReturnDynamicProxyRequest {
            app_username: "alice".into(),
            proxy_type: ProxyType::DynamicAbroad,
            product_no: "mb1".into(),
            ip_num: None,
            flow_num: Some(100),
            remark: Some("unused".into()),
        },
        Some(
            json!({"appUsername":"alice","proxyType":104,"productNo":"mb1","flowNum":100,
            "remark":"unused"}),
        ),
    );
    round_trip(
        &ReturnedProxy {
            return_amount: m("1.1"),
        },
        Some(json!({"returnAmount":1.1})),
    );
}

#[test]
fn callback_ack_and_envelopes() {
    round_trip(
        &CallbackAck::success(),
        Some(json!({"code":"success","msg":""})),
    );
    round_trip(
        &CallbackAck::failure("busy"),
        Some(json!({"code":"fail","msg":"busy"})),
    );
    round_trip(
        &RequestEnvelope {
            version: VERSION.into(),
            encrypt: ENCRYPT_AES.into(),
            app_key: "AK1".into(),
            req_id: "r1".into(),
            params: String::new(),
        },
        Some(json!({"version":"v2","encrypt":"AES","appKey":"AK1","reqId":"r1","params":""})),
    );
    round_trip(
        &ResponseEnvelope {
            req_id: "r1".into(),
            code: ApiCode::Unknown(12345),
            msg: "new".into(),
            data: "abc=".into(),
        },
        Some(json!({"reqId":"r1","code":12345,"msg":"new","data":"abc="})),
    );
}
