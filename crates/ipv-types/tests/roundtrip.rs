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
    let mut instance = Instance::default();
    instance.instance_no = "c_gz3h2igp6dz9cq3".into();
    instance.proxy_type = ProxyType::StaticResidentialAbroad;
    instance.protocol = CodeList::from([Protocol::Socks5, Protocol::Http]);
    instance.ip = "203.0.113.7".into();
    instance.port = 8443;
    instance.region_id = "us-west".into();
    instance.country_code = "USA".into();
    instance.city_code = "USLAX0".into();
    instance.use_type = CodeList::from([UseType::Password]);
    instance.username = "u1".into();
    instance.pwd = "p@ss".into();
    instance.order_no = "C20240429162339417081".into();
    instance.user_expired = 1_735_689_600;
    instance.flow_total = 1024.5;
    instance.flow_balance = 12.25;
    instance.status = InstanceStatus::Running;
    instance.renew = 1;
    instance.bridges = vec!["bridge-1.example:443".into()];
    instance.open_at = Some(datetime!(2024-07-26 09:49:27 +08:00));
    instance.renew_at = Some(datetime!(2024-08-26 09:49:27.5 UTC));
    instance.product_no = "ipideash_598".into();
    instance.extend_ip = "198.51.100.1".into();
    instance
}

#[test]
fn app_types() {
    round_trip(&AppInfoRequest, Some(json!({})));
    round_trip(
        &{
            let mut app_info = AppInfo::default();
            app_info.app_name = "demo".into();
            app_info.coin = m("1000.50");
            app_info.use_bridge = AppBridge::Yes;
            app_info.callback_url = "https://cb.example/ipv".into();
            app_info.credit = Some(m("0.00"));
            app_info.status = AppStatus::Disabled;
            app_info
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
        &{
            let mut built_area = Area::default();
            built_area.code = "NA".into();
            built_area.name = "North America".into();
            built_area.cname = "北美洲".into();
            built_area.children = vec![{
                let mut area = Area::default();
                area.code = "USA".into();
                area.name = "United States".into();
                area.cname = "美国".into();
                area
            }];
            built_area
        },
        Some(json!({"code":"NA","name":"North America","cname":"北美洲",
            "children":[{"code":"USA","name":"United States","cname":"美国"}]})),
    );
    round_trip(
        &CitiesRequest::of(["USLAX0"]),
        Some(json!({"codes":["USLAX0"]})),
    );
    round_trip(
        &{
            let mut city = City::default();
            city.city_code = "USLAX0".into();
            city.city_name = "洛杉矶".into();
            city.city_en_name = "Los Angeles".into();
            city.state_code = "US0006".into();
            city.state_name = "加利福尼亚".into();
            city.state_en_name = "California".into();
            city.country_code = "USA".into();
            city.country_name = "美国".into();
            city.country_en_name = "United States".into();
            city.area_code = "NA".into();
            city.area_name = "北美洲".into();
            city.area_en_name = "North America".into();
            city.status = ListingStatus::Listed;
            city
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
        &{
            let mut product_area = ProductArea::default();
            product_area.product_no = "out_dynamic_1".into();
            product_area.proxy_type = ProxyType::DynamicAbroad;
            product_area.area_code = "6".into();
            product_area.country_code = "USA".into();
            product_area.status = ListingStatus::Delisted;
            product_area.region = "us".into();
            product_area.supplier_code = "xxx".into();
            product_area
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
        &{
            let mut project = Project::default();
            project.code = "tiktok".into();
            project.name = "TikTok".into();
            project.status = ListingStatus::Listed;
            project
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
        &ProductsRequest::of_types(vec![ProxyType::StaticResidentialAbroad])
            .with_product_no("p1")
            .with_country_code("USA")
            .with_city_code("USLAX0")
            .with_supplier_code("sup")
            .with_unit(Unit::Month)
            .with_isp_type(IspType::Dual)
            .with_net_type(NetType::Broadcast)
            .with_duration(30),
        Some(
            json!({"proxyType":[103],"productNo":"p1","countryCode":"USA",
            "cityCode":"USLAX0","supplierCode":"sup","unit":3,"ispType":2,"netType":2,
            "duration":30}),
        ),
    );
    round_trip(&ProductRequest::new("p1"), Some(json!({"productNo":"p1"})));

    let mut extra = serde_json::Map::new();
    extra.insert("futureFlag".into(), json!({"nested":[1,2]}));
    let mut product = Product::default();
    product.product_no = "mb_gmhd5exp2".into();
    product.product_name = "Dynamic".into();
    product.proxy_type = ProxyType::DynamicAbroad;
    product.use_type = CodeList::from([UseType::Password, UseType::Whitelist, UseType::Uuid]);
    product.protocol = CodeList::from([Protocol::Socks5, Protocol::Ssh, Protocol::Unknown(9)]);
    product.use_limit = UseLimit::ExitAbroad;
    product.sell_limit = SellLimit::Overseas;
    product.country_code = "USA".into();
    product.state_code = "US0000".into();
    product.detail = "per MB".into();
    product.cost_price = m("0.0150");
    product.inventory = 999_999;
    product.ip_type = IpType::Random;
    product.isp_type = IspType::Datacenter;
    product.net_type = NetType::Unspecified;
    product.duration = 0;
    product.unit = Unit::Unlimited;
    product.band_width = 0;
    product.band_width_type = 3;
    product.band_width_price = m("0");
    product.max_band_width = 0;
    product.flow = 1024;
    product.cpu = 2;
    product.memory = 3.5;
    product.enable = Toggle::Yes;
    product.supplier_code = "sup_x".into();
    product.ip_count = 10;
    product.ip_duration = 30;
    product.assign_ip = Toggle::No;
    product.parent_no = "mb_parent".into();
    product.cidr_status = Toggle::No;
    product.cidr_blocks = vec![{
        let mut cidr_block = CidrBlock::default();
        cidr_block.cidr = "10.0.0.0/8".into();
        cidr_block.count = 5;
        cidr_block.asn = "AS1".into();
        cidr_block.isp = "ISP".into();
        cidr_block.project_list = vec![{
            let mut project_stock = ProjectStock::default();
            project_stock.code = "tiktok".into();
            project_stock.inventory = 3;
            project_stock
        }];
        cidr_block
    }];
    product.offline_cidr_blocks = vec![{
        let mut offline_cidr_block = OfflineCidrBlock::default();
        offline_cidr_block.cidr = "172.16.0.0/16".into();
        offline_cidr_block.offline_time = "2024-06-27 12:00:00".into();
        offline_cidr_block
    }];
    product.draw_type = DrawType::Both;
    product.refund_duration = 0;
    product.one_day = Toggle::No;
    product.proxy_everytime_change = Toggle::Yes;
    product.proxy_global_random = Toggle::Yes;
    product.api_draw_global_random = Toggle::No;
    product.ip_whitelist = Toggle::Yes;
    product.pwd_draw_proxy_user = Toggle::Yes;
    product.proxy_user_flow_limit = Toggle::Yes;
    product.flow_use_log = Toggle::Yes;
    product.pwd_draw_session_range = "1-120".into();
    product.flow_conversion_base = 1000;
    product.project_list = vec![{
        let mut project_stock = ProjectStock::default();
        project_stock.code = "amazon".into();
        project_stock.inventory = 7;
        project_stock
    }];
    product.product_type = 2;
    product.reset_password = Toggle::Unknown(0);
    product.extra = extra;
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
    let full = {
        let mut open_param = OpenParam::default();
        open_param.proxy_type = Some(ProxyType::StaticCloud);
        open_param.country_code = Some("USA".into());
        open_param.city_code = Some("USNYC0".into());
        open_param.supplier_code = Some("sup".into());
        open_param.unit = Some(Unit::Week);
        open_param.isp_type = Some(IspType::Native);
        open_param.duration = Some(2);
        open_param.count = 20;
        open_param.cycle_times = 4;
        open_param.renew = Some(true);
        open_param.ext_band_width = Some(5);
        open_param.app_username = Some("bob".into());
        open_param.flow = Some(10);
        open_param.use_bridge = Some(BridgeChoice::Yes);
        open_param.project_id = Some("proj".into());
        open_param.cidr_blocks = Some(vec![
            CidrSelection::new("10.1.0.0/24", 1)
                .with_asn("AS2")
                .with_isp("ISP2")
                .with_project_list(vec![{
                    let mut project_stock = ipv_types::product::ProjectStock::default();
                    project_stock.code = "proj".into();
                    project_stock.inventory = 3;
                    project_stock
                }]),
        ]);
        open_param
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
        &{
            let mut open_assigned_ip_request =
                OpenAssignedIpRequest::new("APP2", "p1", "127.0.0.1", 6);
            open_assigned_ip_request.renew = Some(false);
            open_assigned_ip_request.ext_band_width = Some(1);
            open_assigned_ip_request.use_bridge = Some(BridgeChoice::FollowApp);
            open_assigned_ip_request
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
        &{
            let mut assigned_ip_info = AssignedIpInfo::default();
            assigned_ip_info.ip = "127.0.0.1".into();
            assigned_ip_info.can_buy_status = true;
            assigned_ip_info
        },
        Some(json!({"ip":"127.0.0.1","canBuyStatus":true})),
    );
    round_trip(
        &{
            let mut assigned_ip_info = AssignedIpInfo::default();
            assigned_ip_info.ip = "127.0.0.2".into();
            assigned_ip_info.can_buy_status = false;
            assigned_ip_info
        },
        Some(json!({"ip":"127.0.0.2","canBuyStatus":false})),
    );
    round_trip(
        &RenewInstancesRequest::new(
            "APP3",
            vec![
                RenewItem::new("i1", 2),
                RenewItem::default()
                    .with_instance_no("i2")
                    .with_duration(30),
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
        &AfterSaleReleaseRequest::new("APP5", ["i1"])
            .with_remark("r")
            .with_reason("broken")
            .with_ding_talk_users(vec![DingTalkUser::new("u1", "13800000000")]),
        Some(
            json!({"orderNo":"APP5","instances":["i1"],"remark":"r","reason":"broken",
            "dingTalkUserList":[{"uid":"u1","phone":"13800000000"}]}),
        ),
    );
    round_trip(
        &{
            let mut order_receipt = OrderReceipt::default();
            order_receipt.order_no = "C1".into();
            order_receipt.app_order_no = "APP1".into();
            order_receipt.amount = m("12.30");
            order_receipt
        },
        Some(json!({"orderNo":"C1","appOrderNo":"APP1","amount":"12.30"})),
    );
    round_trip(
        &OrderRequest::new("C1"),
        Some(json!({"orderNo":"C1","page":1,"pageSize":10})),
    );
    round_trip(
        &OrderRequest::new("C1")
            .with_page(3, 500)
            .with_app_order_no("APP1"),
        Some(json!({"orderNo":"C1","appOrderNo":"APP1","page":3,"pageSize":100})),
    );
    round_trip(
        &{
            let mut order = Order::default();
            order.order_no = "C1".into();
            order.app_order_no = "APP1".into();
            order.order_type = OrderType::Renew;
            order.status = OrderStatus::PartlyDone;
            order.count = 2;
            order.amount = m("4.10");
            order.refund = 1;
            order.page = 1;
            order.page_size = 10;
            order.total = 2;
            order.instances = vec![sample_instance()];
            order
        },
        None,
    );
    round_trip(&OrdersRequest::default(), Some(json!({})));
    round_trip(
        &OrdersRequest::default()
            .with_page(2)
            .with_page_size(50)
            .with_start_time(qt("2024-01-01 00:00:00"))
            .with_end_time(qt("2024-12-31 23:59:59")),
        Some(
            json!({"page":2,"pageSize":50,"startTime":"2024-01-01 00:00:00",
            "endTime":"2024-12-31 23:59:59"}),
        ),
    );
    round_trip(
        &{
            let mut order_item = OrderItem::default();
            order_item.order_no = "C1".into();
            order_item.app_order_no = "APP1".into();
            order_item.city_code = "USLAX0".into();
            order_item.order_type = OrderType::New;
            order_item.status = OrderStatus::Succeeded;
            order_item.count = 3;
            order_item.success_count = 3;
            order_item.amount = m("6.00");
            order_item.ext_band_width = 0;
            order_item.flow = 0;
            order_item.created_at = Some(datetime!(2024-07-26 09:49:27 +08:00));
            order_item
        },
        Some(
            json!({"orderNo":"C1","appOrderNo":"APP1","cityCode":"USLAX0","instanceNo":"",
            "type":1,"status":3,"count":3,"successCount":3,"amount":"6.00","extBandWidth":0,
            "flow":0,"createdAt":"2024-07-26T09:49:27+08:00"}),
        ),
    );
    round_trip(
        &{
            let mut built_page = Page::default();
            built_page.page = 1;
            built_page.page_size = 20;
            built_page.total = 1;
            built_page.cur_page = 1;
            built_page.list = vec![OrderItem::default()];
            built_page
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
        &InstanceListRequest::default()
            .with_page(1)
            .with_page_size(100)
            .with_start_time(qt("2024-07-01 08:00:00")),
        Some(json!({"page":1,"pageSize":100,"startTime":"2024-07-01 08:00:00"})),
    );
    round_trip(
        &{
            let mut built_page = Page::default();
            built_page.page = 2;
            built_page.page_size = 1;
            built_page.total = 5;
            built_page.cur_page = 2;
            built_page.list = vec![sample_instance()];
            built_page
        },
        None,
    );
    round_trip(
        &ResetPasswordsRequest::new(["i1", "i2"], "reset_20240726_1"),
        Some(json!({"instanceNoList":["i1","i2"],"resetNo":"reset_20240726_1"})),
    );
    round_trip(
        &{
            let mut reset_passwords_result = ResetPasswordsResult::default();
            reset_passwords_result.list = vec![
                {
                    let mut password_reset = PasswordReset::default();
                    password_reset.instance_no = "i1".into();
                    password_reset.new_password = "n3w".into();
                    password_reset.status = ResetStatus::Succeeded;
                    password_reset
                },
                {
                    let mut password_reset = PasswordReset::default();
                    password_reset.instance_no = "i2".into();
                    password_reset.status = ResetStatus::Processing;
                    password_reset
                },
            ];
            reset_passwords_result.reset_no = "reset_20240726_1".into();
            reset_passwords_result
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
        Some(
            json!({"appUsername":"alice","password":"secret1","phone":"13800000000",
            "email":"a@example.com","authType":2,"authName":"Alice",
            "no":"110101199001011234","vsp":1,"status":1}),
        ),
    );
    round_trip(
        &{
            let mut account = Account::default();
            account.app_username = "alice".into();
            account.username = "u_alice".into();
            account.password = "pw".into();
            account.status = AccountStatus::Disabled;
            account.auth_status = AuthType::Company;
            account
        },
        Some(
            json!({"appUsername":"alice","username":"u_alice","password":"pw","status":2,
            "authStatus":3}),
        ),
    );
    round_trip(
        &SyncUserAuthRequest::for_app_user("alice", AuthType::Company)
            .with_auth_name("ACME")
            .with_no("91110000")
            .with_vsp("1"),
        Some(
            json!({"appUsername":"alice","authType":3,"authName":"ACME","no":"91110000",
            "vsp":"1"}),
        ),
    );
    round_trip(
        &{
            let mut user_auth_status = UserAuthStatus::default();
            user_auth_status.username = "u_alice".into();
            user_auth_status.auth_status = AuthType::None;
            user_auth_status
        },
        Some(json!({"username":"u_alice","authStatus":1})),
    );
    round_trip(
        &UpsertProxyUserRequest::default()
            .with_app_username("sub1")
            .with_limit_flow(1024)
            .with_app_main_username("alice")
            .with_remark("team a")
            .with_status(AccountStatus::Normal),
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
        &{
            let mut proxy_user = ProxyUser::default();
            proxy_user.product_no = "mb1".into();
            proxy_user.app_username = "sub1".into();
            proxy_user.username = "u_sub1".into();
            proxy_user.limit_flow = -1;
            proxy_user.use_flow = 123_456_789_012;
            proxy_user.password = "pw".into();
            proxy_user.remark = "r".into();
            proxy_user.status = AccountStatus::Normal;
            proxy_user
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
        &{
            let mut proxy_balance = ProxyBalance::default();
            proxy_balance.list = vec![{
                let mut proxy_balance_item = ProxyBalanceItem::default();
                proxy_balance_item.used = "10.5".into();
                proxy_balance_item.total = "100".into();
                proxy_balance_item.balance = "89.5".into();
                proxy_balance_item.ip_whitelist = vec!["1.2.3.4".into()];
                proxy_balance_item.product_no = "mb1".into();
                proxy_balance_item.ip_used = 1;
                proxy_balance_item.ip_total = 10;
                proxy_balance_item
            }];
            proxy_balance
        },
        Some(
            json!({"list":[{"used":"10.5","total":"100","balance":"89.5",
            "ipWhiteList":["1.2.3.4"],"productNo":"mb1","ipUsed":1,"ipTotal":10}]}),
        ),
    );
    round_trip(
        &DrawWithPasswordRequest::new("sub1", "mb1")
            .with_address_code("USA")
            .with_sess_time(30)
            .with_num(5)
            .with_proxy_type(ProxyType::DynamicAbroad)
            .with_max_flow_limit(100),
        Some(
            json!({"appUsername":"sub1","addressCode":"USA","sessTime":"30","num":5,
            "proxyType":104,"maxFlowLimit":100,"productNo":"mb1"}),
        ),
    );
    round_trip(
        &{
            let mut drawn_proxies = DrawnProxies::default();
            drawn_proxies.list = vec![{
                let mut drawn_proxy = DrawnProxy::default();
                drawn_proxy.proxy_url = "socks5://u:p@gw.example:1080".into();
                drawn_proxy.list = vec!["gw2.example:1080".into()];
                drawn_proxy
            }];
            drawn_proxies
        },
        Some(json!({"list":[{"proxyUrl":"socks5://u:p@gw.example:1080",
            "list":["gw2.example:1080"]}]})),
    );
    round_trip(
        &{
            let mut draw_api_url_request =
                DrawApiUrlRequest::new("alice", ProxyType::DynamicAbroad, "mb1");
            draw_api_url_request.num = Some(10);
            draw_api_url_request.address_code = Some("EU".into());
            draw_api_url_request.protocol = Some("http".into());
            draw_api_url_request.return_type = Some("json".into());
            draw_api_url_request.delimiter = Some(4);
            draw_api_url_request.max_flow_limit = Some(1);
            draw_api_url_request
        },
        Some(
            json!({"appUsername":"alice","proxyType":104,"num":10,"addressCode":"EU",
            "protocol":"http","returnType":"json","delimiter":4,"maxFlowLimit":1,
            "productNo":"mb1"}),
        ),
    );
    round_trip(
        &{
            let mut draw_api_urls = DrawApiUrls::default();
            draw_api_urls.list = vec![{
                let mut draw_api_url = DrawApiUrl::default();
                draw_api_url.proxy_url = "https://api.example/draw?k=1".into();
                draw_api_url
            }];
            draw_api_urls
        },
        Some(json!({"list":[{"proxyUrl":"https://api.example/draw?k=1"}]})),
    );
    round_trip(
        &FlowUsageLogRequest::new("alice", "mb1")
            .with_start_time(qt("2024-07-01 00:00:00"))
            .with_end_time(qt("2024-07-08 00:00:00"))
            .with_page(1)
            .with_page_size(100),
        Some(
            json!({"appUsername":"alice","startTime":"2024-07-01 00:00:00",
            "endTime":"2024-07-08 00:00:00","productNo":"mb1","page":1,"pageSize":100}),
        ),
    );
    round_trip(
        &{
            let mut built_page = Page::default();
            built_page.page = 0;
            built_page.page_size = 0;
            built_page.total = 1;
            built_page.cur_page = 1;
            built_page.list = vec![{
                let mut flow_usage = FlowUsage::default();
                flow_usage.used = 1_048_576;
                flow_usage.total = 10_485_760;
                flow_usage.balance = 9_437_184;
                flow_usage.used_time = 1_721_980_800;
                flow_usage.product_no = "mb1".into();
                flow_usage
            }];
            built_page
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
        &{
            let mut built_ip_whitelist = IpWhitelist::default();
            built_ip_whitelist.ip_whitelist = vec!["1.2.3.4".into(), "5.6.7.8".into()];
            built_ip_whitelist
        },
        Some(json!({"ipWhiteList":["1.2.3.4","5.6.7.8"]})),
    );
    round_trip(
        &ReturnDynamicProxyRequest::new("alice", ProxyType::DynamicAbroad, "mb1")
            .with_flow_num(100)
            .with_remark("unused"),
        Some(
            json!({"appUsername":"alice","proxyType":104,"productNo":"mb1","flowNum":100,
            "remark":"unused"}),
        ),
    );
    round_trip(
        &{
            let mut returned_proxy = ReturnedProxy::default();
            returned_proxy.return_amount = m("1.1");
            returned_proxy
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
