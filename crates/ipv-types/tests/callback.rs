//! Callback queries: good ones parse, bad ones name what is wrong.

use ipv_types::{Callback, CallbackAck, CallbackKind, CallbackParseError, OrderType};
use proptest::prelude::*;

#[test]
fn good_queries() {
    let cases: &[(&str, CallbackKind, &str, Option<OrderType>)] = &[
        (
            "type=order&no=C20240429162339417081&op=1",
            CallbackKind::Order,
            "C20240429162339417081",
            Some(OrderType::New),
        ),
        (
            "?type=order&no=C1&op=2",
            CallbackKind::Order,
            "C1",
            Some(OrderType::Renew),
        ),
        (
            "op=3&no=C1&type=order",
            CallbackKind::Order,
            "C1",
            Some(OrderType::Release),
        ),
        (
            "type=order&no=C1&op=7",
            CallbackKind::Order,
            "C1",
            Some(OrderType::Unknown(7)),
        ),
        (
            "type=order&no=C1&op=%201%20",
            CallbackKind::Order,
            "C1",
            Some(OrderType::New),
        ),
        (
            "type=instance&no=c_gz3h2igp6dz9cq3&op=",
            CallbackKind::Instance,
            "c_gz3h2igp6dz9cq3",
            None,
        ),
        ("type=instance&no=c_1", CallbackKind::Instance, "c_1", None),
        (
            "type=product&no=mb_gmfcq7blc&op=",
            CallbackKind::Product,
            "mb_gmfcq7blc",
            None,
        ),
        (
            "type=product&no=mb_1&op=2",
            CallbackKind::Product,
            "mb_1",
            Some(OrderType::Renew),
        ),
        (
            "type=order&no=C%2F1+x&op=1&sign=abc&ts=1",
            CallbackKind::Order,
            "C/1 x",
            Some(OrderType::New),
        ),
        (
            "type=order&no=C1&no=C2&op=1",
            CallbackKind::Order,
            "C1",
            Some(OrderType::New),
        ),
        (
            "&&type=order&&no=C1&op=1&",
            CallbackKind::Order,
            "C1",
            Some(OrderType::New),
        ),
        (
            "t%79pe=order&no=%E8%AE%A2%E5%8D%95&op=1",
            CallbackKind::Order,
            "订单",
            Some(OrderType::New),
        ),
    ];
    for (query, kind, no, op) in cases {
        let cb = Callback::parse_query(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(cb.kind, *kind, "{query}");
        assert_eq!(cb.no, *no, "{query}");
        assert_eq!(cb.op, *op, "{query}");
    }
}

#[test]
fn bad_queries() {
    let cases: &[(&str, CallbackParseError, &str)] = &[
        ("", CallbackParseError::MissingType, "`type` is missing"),
        ("no=C1&op=1", CallbackParseError::MissingType, "`type`"),
        (
            "type=&no=C1&op=1",
            CallbackParseError::MissingType,
            "`type`",
        ),
        (
            "type=refund&no=C1",
            CallbackParseError::UnknownType("refund".into()),
            "\"refund\"",
        ),
        (
            "type=ORDER&no=C1&op=1",
            CallbackParseError::UnknownType("ORDER".into()),
            "not order",
        ),
        (
            "type=order&op=1",
            CallbackParseError::MissingNo,
            "`no` is missing",
        ),
        ("type=order&no=&op=1", CallbackParseError::MissingNo, "`no`"),
        (
            "type=instance&no=%20",
            CallbackParseError::MissingNo,
            "`no`",
        ),
        (
            "type=order&no=C1",
            CallbackParseError::MissingOp,
            "`op` is missing",
        ),
        (
            "type=order&no=C1&op=",
            CallbackParseError::MissingOp,
            "`op`",
        ),
        (
            "type=order&no=C1&op=open",
            CallbackParseError::InvalidOp("open".into()),
            "not an integer",
        ),
        (
            "type=order&no=C1&op=1.0",
            CallbackParseError::InvalidOp("1.0".into()),
            "`op`",
        ),
        (
            "type=instance&no=c1&op=x",
            CallbackParseError::InvalidOp("x".into()),
            "`op`",
        ),
        (
            "type=order&no=C%2&op=1",
            CallbackParseError::BadEncoding { param: "no".into() },
            "\"no\"",
        ),
        (
            "type=order&no=%FF&op=1",
            CallbackParseError::BadEncoding { param: "no".into() },
            "percent-encoding",
        ),
    ];
    for (query, expected, message) in cases {
        let err = Callback::parse_query(query).unwrap_err();
        assert_eq!(&err, expected, "{query}");
        assert!(err.to_string().contains(message), "{query}: {err}");
    }
    // Long hostile values are shortened in the error.
    let long = format!("type={}&no=C1", "x".repeat(10_000));
    let err = Callback::parse_query(&long).unwrap_err();
    assert!(err.to_string().len() < 200);
}

#[test]
fn to_query_builds_what_the_platform_sends() {
    assert_eq!(
        Callback::order("C20240429162339417081", OrderType::New).to_query(),
        "type=order&no=C20240429162339417081&op=1"
    );
    assert_eq!(
        Callback::instance("c_gz3h2igp6dz9cq3").to_query(),
        "type=instance&no=c_gz3h2igp6dz9cq3&op="
    );
    assert_eq!(
        Callback::product("mb_gmfcq7blc").to_string(),
        "type=product&no=mb_gmfcq7blc&op="
    );
    assert_eq!(
        Callback::order("a b&c=d", OrderType::Unknown(9)).to_query(),
        "type=order&no=a%20b%26c%3Dd&op=9"
    );
    assert_eq!(CallbackKind::Instance.to_string(), "instance");
    assert_eq!(
        CallbackKind::from_wire("product"),
        Some(CallbackKind::Product)
    );
    assert_eq!(CallbackKind::from_wire("x"), None);
}

#[test]
fn acknowledgement() {
    let ack = CallbackAck::success();
    assert!(ack.is_success());
    assert_eq!(
        serde_json::to_string(&ack).unwrap(),
        r#"{"code":"success","msg":""}"#
    );
    let parsed: CallbackAck = serde_json::from_str(r#"{"code":"success","msg":""}"#).unwrap();
    assert_eq!(parsed, ack);
    assert!(!CallbackAck::failure("retry later").is_success());
    assert!(!CallbackAck::default().is_success());
}

fn kind() -> impl Strategy<Value = CallbackKind> {
    prop_oneof![
        Just(CallbackKind::Order),
        Just(CallbackKind::Instance),
        Just(CallbackKind::Product)
    ]
}

proptest! {
    #[test]
    fn to_query_parses_back(kind in kind(), no in "[^\\s]{1,40}", op in proptest::option::of(-5i64..20)) {
        let op = match kind {
            CallbackKind::Order => Some(OrderType::from_i64(op.unwrap_or(1))),
            _ => op.map(OrderType::from_i64),
        };
        let cb = Callback { kind, no, op };
        let parsed = Callback::parse_query(&cb.to_query()).unwrap();
        prop_assert_eq!(parsed, cb);
    }

    #[test]
    fn any_query_parses_or_errors_without_panic(q in ".{0,120}") {
        let _ = Callback::parse_query(&q);
    }

    #[test]
    fn query_shaped_noise_never_panics(parts in proptest::collection::vec(("(type|no|op|x|%[0-9A-Fa-f]{0,2})", "[a-z0-9%+&=]{0,12}"), 0..6)) {
        let q = parts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        if let Ok(cb) = Callback::parse_query(&q) {
            prop_assert!(!cb.no.is_empty());
        }
    }
}

#[test]
fn an_over_long_no_is_refused_at_parsing() {
    use ipv_types::MAX_CALLBACK_NO_LEN;
    let longest = "C".repeat(MAX_CALLBACK_NO_LEN);
    let cb = Callback::parse_query(&format!("type=instance&no={longest}")).unwrap();
    assert_eq!(cb.no.len(), MAX_CALLBACK_NO_LEN);

    let over = "C".repeat(MAX_CALLBACK_NO_LEN + 1);
    let err = Callback::parse_query(&format!("type=instance&no={over}")).unwrap_err();
    assert_eq!(err, CallbackParseError::NoTooLong(MAX_CALLBACK_NO_LEN + 1));
    assert!(err.to_string().contains("128-byte limit"), "{err}");

    // Escaped, or huge (refused before decoding), or under an escaped parameter name.
    let escaped = "%43".repeat(MAX_CALLBACK_NO_LEN + 1);
    assert!(matches!(
        Callback::parse_query(&format!("type=order&op=1&no={escaped}")),
        Err(CallbackParseError::NoTooLong(_))
    ));
    let huge = "x".repeat(60_000);
    assert_eq!(
        Callback::parse_query(&format!("type=order&no={huge}&op=1")),
        Err(CallbackParseError::NoTooLong(60_000))
    );
    assert!(matches!(
        Callback::parse_query(&format!("type=order&op=1&%6Eo={over}")),
        Err(CallbackParseError::NoTooLong(_))
    ));
}
