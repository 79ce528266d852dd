//! Go RFC 3339 times and request times.

use ::time::macros::datetime;
use ipv_types::time::{GO_ZERO_TIME, QueryTime, go_time, is_go_zero, parse_go_time};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct At {
    #[serde(default, with = "go_time")]
    at: Option<::time::OffsetDateTime>,
}

#[test]
fn go_times() {
    let cases = [
        (json!({"at":"0001-01-01T00:00:00Z"}), None),
        (json!({"at":""}), None),
        (json!({"at":null}), None),
        (json!({}), None),
        (
            json!({"at":"2024-07-26T09:49:27+08:00"}),
            Some(datetime!(2024-07-26 09:49:27 +08:00)),
        ),
        (
            json!({"at":"2024-07-26T01:49:27Z"}),
            Some(datetime!(2024-07-26 01:49:27 UTC)),
        ),
        (
            json!({"at":"2024-07-26T01:49:27.000001Z"}),
            Some(datetime!(2024-07-26 01:49:27.000001 UTC)),
        ),
    ];
    for (input, expected) in cases {
        let at: At = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(at.at, expected, "{input}");
    }
    assert_eq!(
        serde_json::to_value(At { at: None }).unwrap(),
        json!({"at": GO_ZERO_TIME})
    );
    assert_eq!(
        serde_json::to_value(At {
            at: Some(datetime!(2024-07-26 09:49:27 +08:00))
        })
        .unwrap(),
        json!({"at":"2024-07-26T09:49:27+08:00"})
    );
    for bad in [
        json!({"at":"2024-07-26"}),
        json!({"at":"now"}),
        json!({"at":5}),
    ] {
        assert!(serde_json::from_value::<At>(bad.clone()).is_err(), "{bad}");
    }
    assert!(is_go_zero(datetime!(0001-01-01 00:00:00 UTC)));
    assert!(!is_go_zero(datetime!(0001-01-01 00:00:01 UTC)));
    assert_eq!(parse_go_time("0001-01-01T00:00:00Z"), Ok(None));
    assert!(parse_go_time("x").unwrap_err().contains("RFC 3339"));
}

#[test]
fn query_times() {
    let t: QueryTime = "2006-01-02 15:04:05".parse().unwrap();
    assert_eq!(t.get(), datetime!(2006-01-02 15:04:05));
    assert_eq!(t.to_string(), "2006-01-02 15:04:05");
    assert_eq!(
        serde_json::to_value(t).unwrap(),
        json!("2006-01-02 15:04:05")
    );
    assert_eq!(
        serde_json::from_value::<QueryTime>(json!("2006-01-02 15:04:05")).unwrap(),
        t
    );
    assert_eq!(
        QueryTime::new(datetime!(0999-12-31 00:00:00)).to_string(),
        "0999-12-31 00:00:00"
    );
    for bad in [
        "",
        "2006-01-02T15:04:05",
        "2006-01",
        "2006-02-30",
        "2006-13-02 15:04:05",
        "2006-01-02 25:00:00",
        "02/01/2006 15:04:05",
    ] {
        let err = bad.parse::<QueryTime>().unwrap_err();
        assert!(
            err.to_string().contains("2006-01-02 15:04:05"),
            "{bad}: {err}"
        );
    }
    // A date alone (the vendor's own tests send one) is midnight of that day.
    let d: QueryTime = "2024-01-01".parse().unwrap();
    assert_eq!(d.get(), datetime!(2024-01-01 00:00:00));
    assert_eq!(d.to_string(), "2024-01-01 00:00:00");
    assert_eq!(
        serde_json::from_value::<QueryTime>(json!(" 2024-01-01 ")).unwrap(),
        d
    );
    // The rule: request times are China Standard Time (UTC+8).
    assert_eq!(d.instant(), datetime!(2023-12-31 16:00:00 UTC));
    assert_eq!(
        QueryTime::from_offset_date_time(d.instant()),
        d,
        "instant and from_offset_date_time are inverses"
    );
    // An instant becomes the platform's wall-clock time (UTC+8).
    let q = QueryTime::from_offset_date_time(datetime!(2024-07-26 01:49:27.9 UTC));
    assert_eq!(q.to_string(), "2024-07-26 09:49:27");
    assert!(QueryTime::from(datetime!(2024-01-01 00:00:00)) < q);
}

proptest! {
    #[test]
    fn go_times_round_trip(secs in -62_000_000_000i64..253_000_000_000, nanos in 0u32..1_000_000_000, offset_min in -720i32..=840) {
        let offset = ::time::UtcOffset::from_whole_seconds(offset_min * 60).unwrap();
        let t = ::time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
            .replace_nanosecond(nanos).unwrap()
            .to_offset(offset);
        prop_assume!((1..=9999).contains(&t.year()) && !is_go_zero(t));
        let json = serde_json::to_string(&At { at: Some(t) }).unwrap();
        let back: At = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.at, Some(t));
    }

    #[test]
    fn query_times_round_trip(secs in 0i64..253_000_000_000) {
        let t = ::time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
        let q = QueryTime::new(::time::PrimitiveDateTime::new(t.date(), t.time()));
        let back: QueryTime = q.to_string().parse().unwrap();
        prop_assert_eq!(back, q);
    }
}
