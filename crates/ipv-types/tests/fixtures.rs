//! The shared wire fixtures decode into the types, with the values they hold.

use ipv_types::{
    BridgeChoice, CodeList, DrawType, IpType, IspType, Money, NetType, OpenInstancesRequest,
    Product, Protocol, ProxyType, SellLimit, Toggle, Unit, UseLimit, UseType,
};

const PRODUCTS: &str = ipv_fixtures::PRODUCTS_100;
const OPEN_REQUEST: &str = ipv_fixtures::OPEN_REQUEST_2_PARAMS;

fn money(s: &str) -> Money {
    s.parse().unwrap()
}

#[test]
fn products_fixture_decodes_into_100_products() {
    let products: Vec<Product> = serde_json::from_str(PRODUCTS).unwrap();
    assert_eq!(products.len(), 100);

    let first = &products[0];
    assert_eq!(first.product_no, "ipideash_500");
    assert_eq!(first.product_name, "Static ISP LAX 30-day");
    assert_eq!(first.proxy_type, ProxyType::StaticResidentialAbroad);
    assert_eq!(
        first.use_type,
        CodeList::from([UseType::Password, UseType::Whitelist])
    );
    assert_eq!(
        first.protocol,
        CodeList::from([Protocol::Socks5, Protocol::Http, Protocol::Https])
    );
    assert_eq!(first.use_limit, UseLimit::Unlimited);
    assert_eq!(first.sell_limit, SellLimit::Unlimited);
    assert_eq!(first.area_code, "NA");
    assert_eq!(first.country_code, "USA");
    assert_eq!(first.state_code, "US0006");
    assert_eq!(first.city_code, "USLAX0");
    assert_eq!(first.cost_price.to_string(), "2.00");
    assert_eq!(first.cost_price, money("2"));
    assert_eq!(first.inventory, 1000);
    assert_eq!(first.ip_type, IpType::Ipv4);
    assert_eq!(first.isp_type, IspType::Single);
    assert_eq!(first.net_type, NetType::Native);
    assert_eq!(first.duration, 30);
    assert_eq!(first.unit, Unit::Day);
    assert_eq!(first.band_width, 100);
    assert_eq!(first.band_width_type, 1);
    assert_eq!(first.band_width_price.to_string(), "0.20");
    assert_eq!(first.max_band_width, 1000);
    assert_eq!(first.enable, Toggle::Yes);
    assert_eq!(first.supplier_code, "sup_ipidea");
    assert_eq!(first.cidr_blocks.len(), 2);
    assert_eq!(first.cidr_blocks[0].cidr, "104.28.0.0/24");
    assert_eq!(first.cidr_blocks[0].count, 200);
    assert_eq!(first.cidr_blocks[0].asn, "AS13335");
    assert_eq!(first.cidr_blocks[0].isp, "Cloudflare");
    assert!(first.cidr_blocks[0].project_list.is_empty());
    assert_eq!(first.draw_type, DrawType::None);
    assert_eq!(first.refund_duration, 86400);
    assert_eq!(first.assign_ip, Toggle::No);
    assert_eq!(first.parent_no, "ipideash_500");
    assert_eq!(first.cidr_status, Toggle::Yes);
    assert_eq!(first.one_day, Toggle::Yes);
    assert!(first.offline_cidr_blocks.is_empty());
    assert_eq!(first.ip_whitelist, Toggle::No);
    assert_eq!(first.pwd_draw_session_range, "1-120");
    assert_eq!(first.flow_conversion_base, 1024);
    assert!(first.project_list.is_empty());
    assert_eq!(first.product_type, 1);
    assert_eq!(first.reset_password, Toggle::Yes);
    assert!(
        first.extra.is_empty(),
        "unexpected unknown keys: {:?}",
        first.extra.keys()
    );
    assert!(first.is_purchasable());

    let last = &products[99];
    assert_eq!(last.product_no, "ipideash_599");
    assert_eq!(last.cost_price.to_string(), "6.93");
    assert_eq!(last.inventory, 2287);
    assert_eq!(last.unit, Unit::Day);
    assert_eq!(last.isp_type, IspType::Dual);
    assert_eq!(last.country_code, "GBR");
    assert_eq!(last.parent_no, "ipideash_590");
    assert_eq!(last.cidr_blocks[0].cidr, "86.128.99.0/24");
    assert_eq!(last.cidr_blocks[0].asn, "AS2856");
    assert_eq!(last.cidr_blocks[1].count, 249);
    assert_eq!(
        last.use_type.as_slice(),
        &[UseType::Password, UseType::Whitelist]
    );

    // Every product: no key of the fixture is unmodelled.
    assert!(products.iter().all(|p| p.extra.is_empty()));
    let total: Money = products.iter().map(|p| p.cost_price).sum();
    assert_eq!(total.scale(), 2);
}

#[test]
fn products_reencode_to_equal_values() {
    let products: Vec<Product> = serde_json::from_str(PRODUCTS).unwrap();
    let json = serde_json::to_string(&products).unwrap();
    let again: Vec<Product> = serde_json::from_str(&json).unwrap();
    assert_eq!(products, again);
    // Money keeps its digits through the round trip.
    assert!(json.contains(r#""costPrice":"2.00""#));
    assert!(json.contains(r#""bandWidthPrice":"0.20""#));
}

#[test]
fn every_fixture_key_is_modelled_and_every_modelled_key_is_in_the_fixture() {
    let raw: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(PRODUCTS).unwrap();
    let product: Product =
        serde_json::from_value(serde_json::Value::Object(raw[0].clone())).unwrap();
    let ours = match serde_json::to_value(&product).unwrap() {
        serde_json::Value::Object(m) => m,
        other => panic!("a product encodes as an object, not {other}"),
    };
    let fixture_keys: Vec<&String> = raw[0].keys().collect();
    let our_keys: Vec<&String> = ours.keys().collect();
    let mut a = fixture_keys.clone();
    let mut b = our_keys.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn go_open_request_with_zero_values_decodes() {
    let req: OpenInstancesRequest = serde_json::from_str(OPEN_REQUEST).unwrap();
    assert_eq!(req.app_order_no, "TEST20240726094927");
    assert_eq!(req.params.len(), 2);
    let p = &req.params[0];
    assert_eq!(p.product_no.as_deref(), Some("ipideash_598"));
    assert_eq!(p.count, 20);
    assert_eq!(p.cycle_times, 1);
    assert_eq!(p.proxy_type, Some(ProxyType::Unknown(0)));
    assert_eq!(p.country_code.as_deref(), Some(""));
    assert_eq!(p.use_bridge, Some(BridgeChoice::FollowApp));
    assert_eq!(p.renew, Some(false));
    assert_eq!(p.cidr_blocks, None);
    assert_eq!(req.params[1].product_no.as_deref(), Some("mb_gmhd5exp2"));
    assert_eq!(req.params[1].cycle_times, 12);

    // What a Go client means by its zero values.
    let clean = p.clone().without_go_zero_values();
    assert_eq!(clean.product_no.as_deref(), Some("ipideash_598"));
    assert_eq!(clean.proxy_type, None);
    assert_eq!(clean.country_code, None);
    assert_eq!(clean.unit, None);
    assert_eq!(clean.use_bridge, None);
    assert_eq!(clean.renew, None);
    assert_eq!(clean.count, 20);
    assert!(clean.is_by_product());
    assert_eq!(
        serde_json::to_string(&clean).unwrap(),
        r#"{"productNo":"ipideash_598","count":20,"cycleTimes":1}"#
    );
}
