//! Money: prices, amounts and balances as exact decimals.
//!
//! The platform sends money as decimal strings (`"2.00"`) and, in a few places, as JSON
//! numbers (`returnAmount`). [`Money`] keeps the exact digits it was given (`"2.00"` stays
//! `"2.00"`, with its two decimal places) and computes in decimal, never in binary
//! floating point.
//!
//! ```
//! use ipv_types::Money;
//!
//! let price: Money = "2.05".parse().unwrap();
//! let cost = price * 3 + "0.20".parse::<Money>().unwrap();
//! assert_eq!(cost.to_string(), "6.35");
//! assert_eq!(serde_json::to_string(&cost).unwrap(), "\"6.35\"");
//!
//! let from_number: Money = serde_json::from_str("0.1").unwrap();
//! assert_eq!(from_number.to_string(), "0.1");
//! ```

use core::fmt;
use core::iter::Sum;
use core::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use core::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An exact decimal amount of money (yuan), with the digits it was written with.
///
/// - On the wire: a JSON string with the exact digits (`"2.00"`). Decodes from a string or
///   a JSON number; a number is read through its shortest decimal text (`0.1` is `0.1`,
///   not `0.1000000000000000055...`). `""` and `null` decode to zero, because Go servers
///   send an empty string for "no amount".
/// - Equality and ordering are numeric: `2.00 == 2.0`. `Display` keeps the scale.
/// - Range and precision are those of [`rust_decimal::Decimal`]: about 28 significant
///   digits and at most 28 decimal places; text needing more is an error, never rounded.
/// - The operators `+`, `-`, `*` panic on overflow (beyond about 7.9e28), like integer
///   operators in debug builds; use the `checked_*` methods on values from the network.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// `mantissa * 10^-scale`, e.g. `Money::new(205, 2)` is `2.05`. `None` if `scale > 28`.
    #[must_use]
    pub fn new(mantissa: i64, scale: u32) -> Option<Money> {
        Decimal::try_new(mantissa, scale).ok().map(Money)
    }

    /// A whole amount, e.g. `Money::from_int(5)` is `5`.
    #[must_use]
    pub fn from_int(n: i64) -> Money {
        Money(Decimal::from(n))
    }

    /// Wraps a decimal.
    #[must_use]
    pub const fn from_decimal(d: Decimal) -> Money {
        Money(d)
    }

    /// The decimal value.
    #[must_use]
    pub const fn as_decimal(self) -> Decimal {
        self.0
    }

    /// The number of digits after the decimal point as written (`"2.00"` has 2).
    #[must_use]
    pub const fn scale(self) -> u32 {
        self.0.scale()
    }

    /// Whether the amount is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Whether the amount is below zero.
    #[must_use]
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// `self + other`, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    #[must_use]
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self * n` for a count (instances, cycles, megabytes), or `None` on overflow.
    #[must_use]
    pub fn checked_mul_int(self, n: i64) -> Option<Money> {
        self.0.checked_mul(Decimal::from(n)).map(Money)
    }

    /// `self * n` for any count that fits an `i64` (`u32`, `i32`, `u16`, ...).
    ///
    /// # Panics
    /// On overflow; see [`Money::checked_mul_int`].
    #[must_use]
    pub fn times(self, n: impl Into<i64>) -> Money {
        self * n.into()
    }

    /// `self * factor` for a decimal factor, or `None` on overflow.
    #[must_use]
    pub fn checked_mul(self, factor: Decimal) -> Option<Money> {
        self.0.checked_mul(factor).map(Money)
    }

    /// Rounded to `places` decimal places (half away from zero, as money is rounded).
    #[must_use]
    pub fn round_to(self, places: u32) -> Money {
        Money(
            self.0.round_dp_with_strategy(
                places,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            ),
        )
    }

    /// The same amount with `places` decimal places: rounds when fewer, pads with zeros
    /// when more (`2.5` with 2 places is `2.50`).
    #[must_use]
    pub fn with_scale(self, places: u32) -> Money {
        let mut d = self.round_to(places).0;
        // `rescale` pads with zeros; it cannot overflow after rounding to fewer places
        // unless the value needs more than 28 digits, in which case it keeps its scale.
        d.rescale(places);
        Money(d)
    }
}

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyParseError {
    text: String,
    reason: &'static str,
}

impl fmt::Display for MoneyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an amount of money: {}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for MoneyParseError {}

impl FromStr for Money {
    type Err = MoneyParseError;

    /// Parses plain decimal text: an optional `-` or `+`, digits, optionally a `.` and
    /// more digits (`"2.00"`, `"-0.5"`, `"12345678901234567890.12"`). Spaces around it
    /// are ignored. Exponents, `_`, and empty text are rejected.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| MoneyParseError {
            text: crate::de::clip(s).to_owned(),
            reason,
        };
        let t = s.trim();
        let body = t.strip_prefix(['-', '+']).unwrap_or(t);
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if body.is_empty() {
            return Err(err("empty"));
        }
        if !digits(int) || !frac.is_none_or(digits) {
            return Err(err("only digits and one '.' are allowed"));
        }
        if int.is_empty() && frac.is_none_or(str::is_empty) {
            return Err(err("no digits"));
        }
        let t = t.strip_prefix('+').unwrap_or(t);
        Decimal::from_str_exact(t)
            .map(Money)
            .map_err(|_| err("too many digits (at most 28 significant)"))
    }
}

impl fmt::Display for Money {
    /// The exact digits, with the scale kept (`2.00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self.0)
    }
}

impl From<Decimal> for Money {
    fn from(d: Decimal) -> Self {
        Money(d)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Self {
        m.0
    }
}

impl From<i64> for Money {
    fn from(n: i64) -> Self {
        Money::from_int(n)
    }
}

impl From<u32> for Money {
    fn from(n: u32) -> Self {
        Money::from_int(i64::from(n))
    }
}

impl Add for Money {
    type Output = Money;
    /// # Panics
    /// On overflow; see [`Money::checked_add`].
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    /// # Panics
    /// On overflow; see [`Money::checked_sub`].
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Mul<i64> for Money {
    type Output = Money;
    /// Multiplies by a count (one integer type only, so `price * 3` infers; use
    /// [`Money::times`] for other integer types).
    ///
    /// # Panics
    /// On overflow; see [`Money::checked_mul_int`].
    fn mul(self, rhs: i64) -> Money {
        Money(self.0 * Decimal::from(rhs))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount of money as a decimal string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        if v.trim().is_empty() {
            return Ok(Money::ZERO);
        }
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        Ok(Money::from_int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        Ok(Money(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        if !v.is_finite() {
            return Err(E::custom("an amount of money must be finite"));
        }
        // `Display` for f64 prints the shortest text that reads back as the same f64,
        // without an exponent: the digits the sender most likely wrote.
        let text = v.to_string();
        text.parse().map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Money, E> {
        Ok(Money::ZERO)
    }

    fn visit_none<E: de::Error>(self) -> Result<Money, E> {
        Ok(Money::ZERO)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MoneyVisitor)
    }
}

/// Writes an amount as a JSON number, for the one field the platform types as a float
/// (`returnAmount`), so that Go clients can read it. No arithmetic happens on the float.
///
/// An amount a float cannot hold exactly (more than about 15 significant digits) is
/// written as a decimal string instead, which [`Money`] reads back exactly: a lossy
/// number would silently change it.
pub(crate) fn as_json_number<S: Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    let text = m.0.to_string();
    let exact = text
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .filter(|v| v.to_string().parse::<Decimal>().ok() == Some(m.0));
    match exact {
        Some(v) => s.serialize_f64(v),
        None => s.serialize_str(&text),
    }
}
