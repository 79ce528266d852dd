//! The fee formula and expiry arithmetic, as tables.

use ipv_api::expiry::{ExpiryError, expires_at};
use ipv_api::pricing::{EstimateError, estimate_cost, is_flow_product};
use ipv_types::{BridgeChoice, Money, OpenParam, Product, ProxyType, Unit};
use time::OffsetDateTime;
use time::macros::datetime;

fn money(s: &str) -> Money {
    s.parse().unwrap()
}

/// A product from `json`, with the fields an answer must carry filled in when the case
/// leaves them out.
fn product(json: &str) -> Product {
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    let fields = value.as_object_mut().unwrap();
    for (key, default) in [
        ("productNo", serde_json::json!("p")),
        ("proxyType", serde_json::json!(103)),
        ("costPrice", serde_json::json!("0")),
        ("inventory", serde_json::json!(0)),
    ] {
        fields.entry(key).or_insert(default);
    }
    serde_json::from_value(value).unwrap()
}

fn static_product() -> Product {
    product(
        r#"{"productNo":"s1","proxyType":103,"costPrice":"2.05","bandWidthPrice":"0.20","unit":3,"duration":1}"#,
    )
}

fn flow_product() -> Product {
    product(r#"{"productNo":"d1","proxyType":104,"costPrice":"0.0125","flow":0}"#)
}

#[test]
#[allow(clippy::type_complexity)]
fn static_costs_follow_the_formula() {
    let p = static_product();
    let bridge = money("1.50");
    // (count, cycles, ext bandwidth, bridge fee, use_bridge, expected)
    let cases: &[(
        u32,
        u32,
        Option<u32>,
        Option<&Money>,
        Option<BridgeChoice>,
        &str,
    )] = &[
        (1, 1, None, None, None, "2.05"),
        (3, 1, None, None, None, "6.15"),
        (3, 2, None, None, None, "12.30"),
        (3, 2, Some(10), None, None, "24.30"),
        (20, 12, Some(0), None, None, "492.00"),
        (2, 3, None, Some(&bridge), None, "21.30"),
        (2, 3, None, Some(&bridge), Some(BridgeChoice::Yes), "21.30"),
        (2, 3, None, Some(&bridge), Some(BridgeChoice::No), "12.30"),
        (
            1,
            1,
            Some(5),
            Some(&bridge),
            Some(BridgeChoice::FollowApp),
            "4.55",
        ),
    ];
    for &(count, cycles, ext, fee, use_bridge, want) in cases {
        let mut param = OpenParam::by_product("s1", count, cycles);
        param.ext_band_width = ext;
        param.use_bridge = use_bridge;
        let got = estimate_cost(&p, &param, fee).unwrap();
        assert_eq!(
            got,
            money(want),
            "count {count} cycles {cycles} ext {ext:?} bridge {fee:?}"
        );
    }
    // Exact decimals: 0.1 x 3 is 0.3, not 0.30000000000000004.
    let dime = product(r#"{"productNo":"s2","proxyType":101,"costPrice":"0.1"}"#);
    let got = estimate_cost(&dime, &OpenParam::by_product("s2", 3, 1), None).unwrap();
    assert_eq!(got.to_string(), "0.3");
}

#[test]
fn flow_products_charge_per_megabyte_and_ignore_count() {
    let p = flow_product();
    assert!(is_flow_product(&p));
    let mut param = OpenParam::dynamic_flow("d1", "user-1", 1000);
    assert_eq!(estimate_cost(&p, &param, None).unwrap(), money("12.5"));
    param.count = 7;
    assert_eq!(
        estimate_cost(&p, &param, Some(&money("9"))).unwrap(),
        money("12.5")
    );
    // A product with a flow package and no flow in the param: the package size.
    let package = product(r#"{"productNo":"d2","proxyType":105,"costPrice":"0.02","flow":500}"#);
    let param = OpenParam::by_product("d2", 1, 1);
    assert_eq!(
        estimate_cost(&package, &param, None).unwrap(),
        money("10.00")
    );
    // Dynamic without any flow is an error.
    let param = OpenParam::by_product("d1", 1, 1);
    assert_eq!(
        estimate_cost(&p, &param, None),
        Err(EstimateError::MissingFlow)
    );
    assert_eq!(p.proxy_type, ProxyType::DynamicAbroad);
}

#[test]
fn a_flow_on_a_static_param_is_ignored() {
    // The document: `flow` means nothing for static products; the static formula applies.
    let p = product(r#"{"productNo":"s9","proxyType":103,"costPrice":"4.50"}"#);
    let mut param = OpenParam::by_product("s9", 2, 3);
    param.flow = Some(100);
    assert_eq!(estimate_cost(&p, &param, None).unwrap(), money("27.00"));
}

#[test]
fn estimate_errors_are_typed() {
    let p = static_product();
    assert!(matches!(
        estimate_cost(&p, &OpenParam::by_product("other", 1, 1), None),
        Err(EstimateError::ProductMismatch { .. })
    ));
    assert_eq!(
        estimate_cost(&p, &OpenParam::by_product("s1", 0, 1), None),
        Err(EstimateError::ZeroCount)
    );
    assert_eq!(
        estimate_cost(&p, &OpenParam::by_product("s1", 1, 0), None),
        Err(EstimateError::ZeroCycles)
    );
    let huge =
        product(r#"{"productNo":"h","proxyType":101,"costPrice":"79000000000000000000000000000"}"#);
    assert_eq!(
        estimate_cost(&huge, &OpenParam::by_product("h", 20, 20), None),
        Err(EstimateError::Overflow)
    );
    assert_eq!(
        estimate_cost(&p, &OpenParam::by_product("s1", 1, 1), Some(&money("-1"))),
        Err(EstimateError::Negative("bridge fee"))
    );
}

#[test]
fn expiry_table() {
    let cases: &[(OffsetDateTime, Unit, u32, u32, Option<OffsetDateTime>)] = &[
        (
            datetime!(2024-03-01 08:30 UTC),
            Unit::Day,
            30,
            1,
            Some(datetime!(2024-03-31 08:30 UTC)),
        ),
        (
            datetime!(2024-03-01 08:30 UTC),
            Unit::Day,
            1,
            3,
            Some(datetime!(2024-03-04 08:30 UTC)),
        ),
        (
            datetime!(2024-12-30 00:00 UTC),
            Unit::Week,
            1,
            1,
            Some(datetime!(2025-01-06 00:00 UTC)),
        ),
        (
            datetime!(2024-01-01 00:00 UTC),
            Unit::Week,
            2,
            2,
            Some(datetime!(2024-01-29 00:00 UTC)),
        ),
        // Calendar months keep the day, clamped to the month's end.
        (
            datetime!(2024-01-31 12:00 UTC),
            Unit::Month,
            1,
            1,
            Some(datetime!(2024-02-29 12:00 UTC)),
        ),
        (
            datetime!(2023-01-31 12:00 UTC),
            Unit::Month,
            1,
            1,
            Some(datetime!(2023-02-28 12:00 UTC)),
        ),
        (
            datetime!(2024-01-31 12:00 UTC),
            Unit::Month,
            1,
            2,
            Some(datetime!(2024-03-31 12:00 UTC)),
        ),
        (
            datetime!(2024-03-31 12:00 UTC),
            Unit::Month,
            1,
            1,
            Some(datetime!(2024-04-30 12:00 UTC)),
        ),
        (
            datetime!(2024-11-15 12:00 UTC),
            Unit::Month,
            3,
            1,
            Some(datetime!(2025-02-15 12:00 UTC)),
        ),
        (
            datetime!(2024-05-10 12:00 UTC),
            Unit::Month,
            1,
            12,
            Some(datetime!(2025-05-10 12:00 UTC)),
        ),
        // Calendar years; Feb 29 is clamped in common years.
        (
            datetime!(2024-02-29 00:00 UTC),
            Unit::Year,
            1,
            1,
            Some(datetime!(2025-02-28 00:00 UTC)),
        ),
        (
            datetime!(2024-02-29 00:00 UTC),
            Unit::Year,
            4,
            1,
            Some(datetime!(2028-02-29 00:00 UTC)),
        ),
        (
            datetime!(2023-03-01 00:00 UTC),
            Unit::Year,
            1,
            1,
            Some(datetime!(2024-03-01 00:00 UTC)),
        ),
        // Offsets are kept.
        (
            datetime!(2024-01-31 23:00 +08:00),
            Unit::Month,
            1,
            1,
            Some(datetime!(2024-02-29 23:00 +08:00)),
        ),
        (datetime!(2024-01-31 23:00 UTC), Unit::Unlimited, 1, 1, None),
        (datetime!(2024-01-31 23:00 UTC), Unit::Unlimited, 0, 0, None),
    ];
    for &(start, unit, duration, cycles, want) in cases {
        assert_eq!(
            expires_at(start, unit, duration, cycles).unwrap(),
            want,
            "{start} + {duration} x {cycles} {unit}"
        );
    }
}

#[test]
fn expiry_errors() {
    let start = datetime!(2024-01-01 00:00 UTC);
    assert_eq!(
        expires_at(start, Unit::Day, 0, 5),
        Err(ExpiryError::ZeroLength)
    );
    assert_eq!(
        expires_at(start, Unit::Month, 3, 0),
        Err(ExpiryError::ZeroLength)
    );
    assert_eq!(
        expires_at(start, Unit::Unknown(9), 1, 1),
        Err(ExpiryError::UnknownUnit(9))
    );
    assert_eq!(
        expires_at(start, Unit::Year, u32::MAX, u32::MAX),
        Err(ExpiryError::OutOfRange)
    );
    assert_eq!(
        expires_at(start, Unit::Day, u32::MAX, u32::MAX),
        Err(ExpiryError::OutOfRange)
    );
}
