//! Dictionaries: every documented value keeps its number, unknown numbers survive.

use ipv_types::dict::DictCode;
use ipv_types::*;
use proptest::prelude::*;
use serde_json::json;

/// Every documented value encodes to its number and decodes back, also from a string.
fn check_all<T>(all: &[T], expected: &[i64])
where
    T: DictCode + serde::Serialize + serde::de::DeserializeOwned,
{
    let numbers: Vec<i64> = all.iter().map(|v| v.as_i64()).collect();
    assert_eq!(numbers, expected, "{} values", T::NAME);
    for &v in all {
        let n = v.as_i64();
        assert_eq!(serde_json::to_value(v).unwrap(), json!(n));
        assert_eq!(serde_json::from_value::<T>(json!(n)).unwrap(), v);
        assert_eq!(
            serde_json::from_value::<T>(json!(n.to_string())).unwrap(),
            v
        );
        assert_eq!(T::from_i64(n), v);
    }
}

#[test]
fn documented_values() {
    check_all(ProxyType::ALL, &[101, 102, 103, 104, 105, 201]);
    check_all(Protocol::ALL, &[1, 2, 3, 4]);
    check_all(Unit::ALL, &[1, 2, 3, 4, 10]);
    check_all(IspType::ALL, &[0, 1, 2, 3, 4]);
    check_all(NetType::ALL, &[0, 1, 2]);
    check_all(IpType::ALL, &[1, 2, 3]);
    check_all(UseType::ALL, &[1, 2, 3]);
    check_all(UseLimit::ALL, &[1, 2, 3]);
    check_all(SellLimit::ALL, &[1, 2, 3]);
    check_all(OrderType::ALL, &[1, 2, 3]);
    check_all(OrderStatus::ALL, &[1, 2, 3, 4, 5]);
    check_all(InstanceStatus::ALL, &[1, 2, 3, 6, 10, 11]);
    check_all(AccountStatus::ALL, &[1, 2]);
    check_all(AuthType::ALL, &[1, 2, 3]);
    check_all(AppBridge::ALL, &[1, 2]);
    check_all(BridgeChoice::ALL, &[0, 1, 2]);
    check_all(DrawType::ALL, &[0, 1, 2, 3]);
    check_all(ResetStatus::ALL, &[1, 2, 3, 4]);
    check_all(AppStatus::ALL, &[1, -1]);
    check_all(ListingStatus::ALL, &[1, -1]);
    check_all(Toggle::ALL, &[1, -1]);
}

#[test]
fn named_variants() {
    assert_eq!(ProxyType::from_i64(101), ProxyType::StaticCloud);
    assert_eq!(ProxyType::from_i64(201), ProxyType::WhatsApp);
    assert_eq!(Unit::Unlimited.as_i64(), 10);
    assert_eq!(InstanceStatus::Released.as_i64(), 11);
    assert_eq!(InstanceStatus::Stopped.as_i64(), 6);
    assert_eq!(AuthType::None.as_i64(), 1);
    assert_eq!(BridgeChoice::FollowApp.as_i64(), 0);
    assert_eq!(AppStatus::Disabled.as_i64(), -1);
    assert_eq!(Toggle::No.as_i64(), -1);
}

#[test]
fn helpers() {
    let statics: Vec<_> = ProxyType::ALL.iter().filter(|t| t.is_static()).collect();
    assert_eq!(
        statics,
        [
            &ProxyType::StaticCloud,
            &ProxyType::StaticResidentialCn,
            &ProxyType::StaticResidentialAbroad
        ]
    );
    let dynamics: Vec<_> = ProxyType::ALL.iter().filter(|t| t.is_dynamic()).collect();
    assert_eq!(dynamics, [&ProxyType::DynamicAbroad, &ProxyType::DynamicCn]);
    assert!(!ProxyType::WhatsApp.is_static() && !ProxyType::WhatsApp.is_dynamic());
    assert!(!ProxyType::Unknown(106).is_dynamic());
    // A documented number built by hand as Unknown still counts.
    assert!(ProxyType::Unknown(104).is_dynamic());

    let finals: Vec<_> = OrderStatus::ALL.iter().filter(|s| s.is_final()).collect();
    assert_eq!(
        finals,
        [
            &OrderStatus::Succeeded,
            &OrderStatus::Failed,
            &OrderStatus::PartlyDone
        ]
    );
    assert!(ResetStatus::Failed.is_final() && !ResetStatus::Pending.is_final());

    assert!(Toggle::Yes.is_yes());
    assert!(!Toggle::No.is_yes() && !Toggle::Unknown(0).is_yes());
    assert_eq!(Toggle::from(true), Toggle::Yes);
    assert_eq!(Toggle::from(false), Toggle::No);

    assert_eq!(ProxyType::StaticCloud.to_string(), "static cloud");
    assert_eq!(ProxyType::Unknown(999).to_string(), "unknown (999)");
    assert_eq!(OrderStatus::PartlyDone.label(), "partly done");
    assert!(OrderStatus::Pending.is_known());
    assert!(!OrderStatus::Unknown(6).is_known());
    assert_eq!(
        ProxyType::Unknown(103).normalized(),
        ProxyType::StaticResidentialAbroad
    );
    assert_eq!(i64::from(Unit::Week), 2);
    assert_eq!(Unit::from(4), Unit::Year);
    assert!(Unit::Month == 3);
}

#[test]
fn defaults_are_the_go_zero_value() {
    assert_eq!(ProxyType::default(), ProxyType::Unknown(0));
    assert_eq!(IspType::default(), IspType::Unspecified);
    assert_eq!(BridgeChoice::default(), BridgeChoice::FollowApp);
    assert_eq!(DrawType::default(), DrawType::None);
    assert_eq!(
        serde_json::from_value::<OrderStatus>(json!(null)).unwrap(),
        OrderStatus::Unknown(0)
    );
    assert_eq!(
        serde_json::from_value::<OrderStatus>(json!("")).unwrap(),
        OrderStatus::Unknown(0)
    );
}

#[test]
fn bad_codes_are_errors() {
    for bad in [
        json!("x"),
        json!(1.5),
        json!(true),
        json!([1]),
        json!({}),
        json!(u64::MAX),
    ] {
        let err = serde_json::from_value::<ProxyType>(bad.clone()).unwrap_err();
        assert!(!err.to_string().is_empty(), "{bad}");
    }
    let err = serde_json::from_value::<ProxyType>(json!("abc")).unwrap_err();
    assert!(err.to_string().contains("proxyType"), "{err}");
}

#[test]
fn code_lists() {
    let cases: &[(&str, &[i64], &str)] = &[
        ("1,2,3", &[1, 2, 3], "1,2,3"),
        ("1", &[1], "1"),
        ("", &[], ""),
        (" 1 , 2 ", &[1, 2], "1,2"),
        ("1,,2,", &[1, 2], "1,2"),
        ("2,1", &[2, 1], "2,1"),
        ("1,9", &[1, 9], "1,9"),
        ("-1", &[-1], "-1"),
    ];
    for (wire, codes, back) in cases {
        let list: CodeList<Protocol> = serde_json::from_value(json!(wire)).unwrap();
        let numbers: Vec<i64> = list.iter().map(Protocol::as_i64).collect();
        assert_eq!(&numbers, codes, "{wire:?}");
        assert_eq!(serde_json::to_value(&list).unwrap(), json!(back));
        assert_eq!(list.to_string(), *back);
    }
    let from_array: CodeList<UseType> = serde_json::from_value(json!([1, "2", 3])).unwrap();
    assert_eq!(from_array.to_string(), "1,2,3");
    let from_number: CodeList<UseType> = serde_json::from_value(json!(2)).unwrap();
    assert_eq!(from_number.as_slice(), &[UseType::Whitelist]);
    let from_null: CodeList<UseType> = serde_json::from_value(json!(null)).unwrap();
    assert!(from_null.is_empty());

    let err = serde_json::from_value::<CodeList<UseType>>(json!("1,x")).unwrap_err();
    assert!(err.to_string().contains("useType"), "{err}");
    assert!("1;2".parse::<CodeList<UseType>>().is_err());

    let list = CodeList::from([UseType::Password, UseType::Uuid]);
    assert!(list.contains(UseType::Uuid) && !list.contains(UseType::Whitelist));
    assert!(list.contains(UseType::Unknown(3)));
    assert_eq!(list.len(), 2);
    let collected: CodeList<UseType> = list.iter().collect();
    assert_eq!(collected, list);
    assert_eq!(list.into_vec(), vec![UseType::Password, UseType::Uuid]);
}

proptest! {
    #[test]
    fn any_number_round_trips(n in any::<i64>()) {
        let t: ProxyType = serde_json::from_value(json!(n)).unwrap();
        prop_assert_eq!(t.as_i64(), n);
        prop_assert_eq!(serde_json::to_value(t).unwrap(), json!(n));
        let s: InstanceStatus = serde_json::from_str(&format!("\"{n}\"")).unwrap();
        prop_assert_eq!(s.as_i64(), n);
        let flag: Toggle = serde_json::from_value(json!(n)).unwrap();
        prop_assert_eq!(flag.is_yes(), n == 1);
    }

    #[test]
    fn any_code_list_round_trips(codes in proptest::collection::vec(-1000i64..1000, 0..8)) {
        let wire = codes.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let list: CodeList<Protocol> = serde_json::from_value(json!(wire)).unwrap();
        prop_assert_eq!(list.iter().map(Protocol::as_i64).collect::<Vec<_>>(), codes);
        prop_assert_eq!(serde_json::to_value(&list).unwrap(), json!(wire));
    }
}
