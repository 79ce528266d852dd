//! Decoding arbitrary bytes or arbitrary JSON as any wire type returns a result; it never
//! panics. Whatever decodes encodes, decodes back to an equal value, and encodes to the
//! same JSON again: nothing read from the wire is lost or changed by a write.

use ipv_types::*;
use proptest::prelude::*;
use serde_json::Value;

/// Decodes `bytes` as `T`; when that works, checks the value survives a write and a read.
fn check<T>(bytes: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(bytes) else {
        return;
    };
    let json = serde_json::to_vec(&value).expect("a decoded value encodes");
    let again: T = serde_json::from_slice(&json).expect("its own JSON decodes");
    assert_eq!(again, value, "{}", String::from_utf8_lossy(&json));
    assert_eq!(
        serde_json::to_vec(&again).unwrap(),
        json,
        "second encoding differs"
    );
}

/// Decodes `bytes` as every response type and as the request types a server decodes.
fn decode_everything(bytes: &[u8]) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {$(
            check::<$t>(bytes);
        )*};
    }
    each!(
        AppInfo,
        Vec<Area>,
        Vec<City>,
        Vec<Product>,
        Product,
        Vec<ProductArea>,
        Vec<Project>,
        OrderReceipt,
        AssignedIpInfo,
        ResetPasswordsResult,
        Order,
        Page<OrderItem>,
        Vec<Instance>,
        Page<Instance>,
        Account,
        UserAuthStatus,
        ProxyUser,
        NoData,
        ProxyBalance,
        DrawnProxies,
        DrawApiUrls,
        Page<FlowUsage>,
        IpWhitelist,
        ReturnedProxy,
        ResponseEnvelope,
        RequestEnvelope,
        CallbackAck,
        AppInfoRequest,
        AreasRequest,
        CitiesRequest,
        ProductsRequest,
        ProductRequest,
        ProductAreasRequest,
        ProjectsRequest,
        OpenInstancesRequest,
        OpenAssignedIpRequest,
        AssignedIpInfoRequest,
        RenewInstancesRequest,
        ReleaseInstancesRequest,
        AfterSaleReleaseRequest,
        ResetPasswordsRequest,
        OrderRequest,
        OrdersRequest,
        InstancesRequest,
        InstanceListRequest,
        UpsertUserRequest,
        SyncUserAuthRequest,
        UpsertProxyUserRequest,
        ProxyUserRequest,
        SetProxyUserFlowLimitRequest,
        ProxyBalanceRequest,
        DrawWithPasswordRequest,
        DrawApiUrlRequest,
        FlowUsageLogRequest,
        AddIpWhitelistRequest,
        RemoveIpWhitelistRequest,
        ReturnDynamicProxyRequest,
    );
}

/// Any JSON value, with the keys the types look for so decoding goes deep.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("productNo".to_owned()),
        Just("proxyType".to_owned()),
        Just("costPrice".to_owned()),
        Just("inventory".to_owned()),
        Just("useType".to_owned()),
        Just("protocol".to_owned()),
        Just("cidrBlocks".to_owned()),
        Just("openAt".to_owned()),
        Just("canBuyStatus".to_owned()),
        Just("instances".to_owned()),
        Just("list".to_owned()),
        Just("port".to_owned()),
        Just("amount".to_owned()),
        Just("status".to_owned()),
        Just("type".to_owned()),
        Just("sessTime".to_owned()),
        Just("startTime".to_owned()),
        Just("returnAmount".to_owned()),
        "[a-zA-Z]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        "[0-9 ,.-]{0,12}".prop_map(Value::String),
        Just(Value::String("0001-01-01T00:00:00Z".into())),
        Just(Value::String("2024-07-26T09:49:27+08:00".into())),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..10)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        decode_everything(&bytes);
    }

    #[test]
    fn arbitrary_json(value in json_value()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        decode_everything(&bytes);
        // A list of such values too, for the Vec<_> responses.
        decode_everything(&serde_json::to_vec(&Value::Array(vec![value])).unwrap());
    }
}

#[test]
fn the_fixtures_and_their_corruptions() {
    let products = ipv_fixtures::PRODUCTS_100.as_bytes();
    decode_everything(products);
    for cut in [0, 1, 100, 1000, products.len() / 2, products.len() - 1] {
        decode_everything(&products[..cut]);
    }
    let mut flipped = products.to_vec();
    for i in (0..flipped.len()).step_by(997) {
        flipped[i] ^= 0x20;
    }
    decode_everything(&flipped);
}

#[test]
fn tricky_inputs_round_trip() {
    for input in [
        r#"{"openAt":"2016-12-31T23:59:60Z","renewAt":"2024-07-26T09:49:27.1234567891Z"}"#,
        r#"{"openAt":"0001-01-01T00:00:00+01:00","releaseAt":"0000-12-31T23:00:00-01:00"}"#,
        r#"{"openAt":"9999-12-31T23:59:59.999999999-23:59"}"#,
        r#"{"costPrice":"-0","bandWidthPrice":"-0.00","useType":" 1 ,, 2 ","protocol":""}"#,
        r#"{"costPrice":1e-9,"memory":"1e308","inventory":"9007199254740993"}"#,
        r#"{"flowTotal":5e-324,"flowBalance":-0.0,"port":"0"}"#,
        r#"{"productNo":"a","productNo":"b"}"#,
        r#"{"amount":"","instances":[{"pwd":"x","extra":{"y":[1.5,-0.0,1e300]}}]}"#,
        r#"{"list":[{"createdAt":"","amount":0.30000000000000004,"type":"-9223372036854775808"}]}"#,
        r#"{"returnAmount":123456789.123456789}"#,
        r#"{"canBuyStatus":"-1","ip":""}"#,
    ] {
        decode_everything(input.as_bytes());
    }
    // The time and money edge cases above are accepted, not merely survived.
    let i: Instance = serde_json::from_str(
        r#"{"instanceNo":"i","openAt":"2016-12-31T23:59:60Z","renewAt":"0001-01-01T00:00:00+01:00","flowBalance":-0.0}"#,
    )
    .unwrap();
    assert_eq!(i.open_at.unwrap().year(), 2016);
    assert_eq!(
        i.renew_at.unwrap().to_offset(::time::UtcOffset::UTC).year(),
        0
    );
    let p: Product =
        serde_json::from_str(r#"{"productNo":"p","proxyType":103,"inventory":0,"costPrice":"-0","useType":" 1 ,, 2 ","memory":"1e308"}"#)
            .unwrap();
    assert!(p.cost_price.is_zero());
    assert_eq!(p.use_type.to_string(), "1,2");
    let r: ReturnedProxy = serde_json::from_str(r#"{"returnAmount":123456789.123456789}"#).unwrap();
    assert_eq!(r.return_amount.to_string(), "123456789.12345679");
}
