//! Money keeps its digits and computes exactly.

use ipv_types::Money;
use ipv_types::rust_decimal::Decimal;
use proptest::prelude::*;
use serde_json::json;

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

#[test]
fn keeps_the_digits_it_was_given() {
    for text in [
        "2.00",
        "0.1",
        "0",
        "0.00",
        "-3.50",
        "12345678901234567890.12",
        "0.0000000001",
        "1000000",
        "7.9228162514264337593543950335",
    ] {
        let money = m(text);
        assert_eq!(money.to_string(), text);
        assert_eq!(serde_json::to_value(money).unwrap(), json!(text));
        let back: Money = serde_json::from_value(json!(text)).unwrap();
        assert_eq!(back.to_string(), text);
    }
    assert_eq!(m("2.00").scale(), 2);
    assert_eq!(m("+1.5").to_string(), "1.5");
    assert_eq!(m(" 4.20 ").to_string(), "4.20");
    assert_eq!(m(".5").to_string(), "0.5");
    assert_eq!(m("5.").to_string(), "5");
}

#[test]
fn rejects_garbage() {
    for text in [
        "",
        " ",
        "abc",
        "1.2.3",
        "1e3",
        "1E-2",
        "0x10",
        "1_000",
        "1,000",
        "--1",
        "+-1",
        "-",
        ".",
        "NaN",
        "inf",
        "¥5",
        "5 yuan",
        "1 2",
        "123456789012345678901234567890.5",
    ] {
        let err = text.parse::<Money>().unwrap_err();
        assert!(
            err.to_string().contains("not an amount of money"),
            "{text:?}: {err}"
        );
    }
    for bad in [
        json!("abc"),
        json!("1e3"),
        json!(true),
        json!([1]),
        json!({"a":1}),
    ] {
        assert!(
            serde_json::from_value::<Money>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn decodes_json_numbers_through_their_shortest_text() {
    let cases = [
        ("0.1", "0.1"),
        ("2.05", "2.05"),
        ("1.1", "1.1"),
        ("100", "100"),
        ("-7", "-7"),
        ("18446744073709551615", "18446744073709551615"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("12.5e1", "125"),
    ];
    for (json_text, expected) in cases {
        let money: Money = serde_json::from_str(json_text).unwrap();
        assert_eq!(money.to_string(), expected, "{json_text}");
    }
    // Beyond 28 significant digits or decimal places is an error, not a silent rounding.
    assert!(serde_json::from_str::<Money>("1e300").is_err());
    assert!(serde_json::from_str::<Money>("2.338675246624951e-18").is_err());
    // Empty and null are Go's "no amount".
    assert!(serde_json::from_str::<Money>("\"\"").unwrap().is_zero());
    assert!(serde_json::from_str::<Money>("null").unwrap().is_zero());
}

#[test]
fn arithmetic_is_exact() {
    // 0.1 + 0.2 is 0.3 exactly, unlike in binary floating point.
    assert_eq!(m("0.1") + m("0.2"), m("0.3"));
    assert_eq!((m("0.1") + m("0.2")).to_string(), "0.3");
    // The cost formula of a static purchase.
    let price = m("2.05");
    let band_width_price = m("0.20");
    let (cycle_times, count, ext) = (3_u32, 20_u32, 10_u32);
    let cost = price.times(cycle_times).times(count)
        + band_width_price.times(ext).times(cycle_times).times(count);
    assert_eq!(cost.to_string(), "243.00");
    assert_eq!(m("10.00") - m("0.01"), m("9.99"));
    assert_eq!(-m("1.5"), m("-1.5"));
    let mut acc = Money::ZERO;
    acc += m("1.25");
    acc -= m("0.25");
    assert_eq!(acc.to_string(), "1.00");
    let total: Money = [m("1.10"), m("2.20"), m("3.30")].iter().sum();
    assert_eq!(total.to_string(), "6.60");
    assert!(m("2.00") == m("2"));
    assert!(m("2.01") > m("2"));
    assert!(m("-0.01").is_negative() && !m("0.00").is_negative());
    assert_eq!(Money::new(205, 2).unwrap().to_string(), "2.05");
    assert_eq!(Money::new(1, 29), None);
    assert_eq!(Money::from_int(5).to_string(), "5");
    assert_eq!(m("2.345").round_to(2).to_string(), "2.35");
    assert_eq!(m("2.5").with_scale(2).to_string(), "2.50");
    assert_eq!(Money::default(), Money::ZERO);
    assert_eq!(Money::from(Decimal::new(15, 1)).to_string(), "1.5");
}

#[test]
fn checked_operations_report_overflow() {
    let big = m("79228162514264337593543950335");
    assert_eq!(big.checked_add(m("1")), None);
    assert_eq!(big.checked_mul_int(2), None);
    assert_eq!((-big).checked_sub(m("1")), None);
    assert_eq!(m("2.05").checked_mul_int(3), Some(m("6.15")));
    assert_eq!(m("1").checked_add(m("2")), Some(m("3")));
    assert_eq!(m("3.00").checked_mul(Decimal::new(5, 1)), Some(m("1.5")));
}

#[test]
fn hash_agrees_with_equality() {
    use std::collections::HashSet;
    let set: HashSet<Money> = [m("2.00"), m("2"), m("2.0")].into_iter().collect();
    assert_eq!(set.len(), 1);
}

proptest! {
    #[test]
    fn text_round_trips(mantissa in any::<i64>(), scale in 0u32..=18) {
        let money = Money::new(mantissa, scale).unwrap();
        let text = money.to_string();
        let back: Money = text.parse().unwrap();
        prop_assert_eq!(back, money);
        prop_assert_eq!(back.to_string(), text.clone());
        let json = serde_json::to_string(&money).unwrap();
        prop_assert_eq!(json, format!("\"{text}\""));
    }

    #[test]
    fn any_text_parses_or_errors_without_panic(s in ".{0,40}") {
        let _ = s.parse::<Money>();
        let _ = serde_json::from_value::<Money>(json!(s));
    }

    #[test]
    fn any_finite_f64_decodes_to_its_shortest_text(v in any::<f64>().prop_filter("money-sized", |v| v.is_finite() && v.abs() < 1e20 && (*v == 0.0 || v.abs() >= 1e-9))) {
        let money: Money = serde_json::from_value(json!(v)).unwrap();
        let reread: f64 = money.to_string().parse().unwrap();
        prop_assert_eq!(reread, v);
    }
}

#[test]
fn return_amount_is_a_json_number_when_a_float_holds_it() {
    use ipv_types::ReturnedProxy;
    for (amount, wire) in [
        ("1.1", json!(1.1)),
        ("1.10", json!(1.1)),
        ("0", json!(0.0)),
        ("-2.5", json!(-2.5)),
        ("12345678901234567890.12", json!("12345678901234567890.12")),
        (
            "0.1000000000000000000000000001",
            json!("0.1000000000000000000000000001"),
        ),
    ] {
        let r = {
            let mut returned_proxy = ReturnedProxy::default();
            returned_proxy.return_amount = m(amount);
            returned_proxy
        };
        let encoded = serde_json::to_value(&r).unwrap();
        assert_eq!(encoded["returnAmount"], wire, "{amount}");
        let back: ReturnedProxy = serde_json::from_value(encoded).unwrap();
        assert_eq!(back, r, "{amount}");
    }
}
