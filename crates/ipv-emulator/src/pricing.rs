//! What the emulator charges, computed by the emulator itself from the vendor
//! document's fee rules (not by the client's `pricing` module, so a test comparing the
//! client's estimate with the emulator's charge can fail).
//!
//! The document ("费用计算"):
//! - static: `price x cycleTimes x count + bandWidthPrice x extBandWidth x cycleTimes x
//!   count + bridge fee x cycleTimes x count`; `extBandWidth` 0 is the default bandwidth
//!   at no cost; the bridge is charged only when it is used;
//! - flow products: `price (per MB, or per IP for IP-count products) x flow`; count and
//!   cycles do not apply.
//!
//! The emulator counts money as whole ten-thousandths (the platform's finest price step,
//! as in `0.0040` per MB) in 128-bit integers, with every step checked, and only turns
//! the total into a charge at the end: in fen (two places, the scale of every amount the
//! platform answers with), rounded half away from zero (`2.05 x 3` is `6.15`, `0.0040 x
//! 223` is `0.89`). The balance therefore moves by exactly the amount the receipt shows.

use ipv_types::Money;
use rust_decimal::Decimal;

/// Decimal places of the emulator's money unit.
const PLACES: u32 = 4;

/// Why no charge was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PriceError {
    /// A price in the catalogue is negative.
    Negative(&'static str),
    /// A price has more than four decimal places.
    TooPrecise(&'static str),
    /// The amount does not fit (quantities too large).
    TooLarge,
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Negative(what) => write!(f, "the product's {what} is negative"),
            Self::TooPrecise(what) => {
                write!(
                    f,
                    "the product's {what} has more than {PLACES} decimal places"
                )
            }
            Self::TooLarge => f.write_str("the amount is too large to charge"),
        }
    }
}

/// A price in ten-thousandths, with the number of places it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Price {
    minor: i128,
    places: u32,
}

impl Price {
    fn of(amount: Money, what: &'static str) -> Result<Self, PriceError> {
        let d = amount.as_decimal();
        if d.is_sign_negative() && !d.is_zero() {
            return Err(PriceError::Negative(what));
        }
        // Trailing zeros beyond four places carry no value: `0.004000` is fine.
        let d = if d.scale() > PLACES { d.normalize() } else { d };
        if d.scale() > PLACES {
            return Err(PriceError::TooPrecise(what));
        }
        let factor = 10_i128.pow(PLACES - d.scale());
        let minor = d
            .mantissa()
            .checked_mul(factor)
            .ok_or(PriceError::TooLarge)?;
        Ok(Self {
            minor,
            places: d.scale(),
        })
    }
}

/// Multiplies ten-thousandths by whole quantities, refusing overflow.
fn times(minor: i128, factors: &[u64]) -> Result<i128, PriceError> {
    factors.iter().try_fold(minor, |acc, &n| {
        acc.checked_mul(i128::from(n)).ok_or(PriceError::TooLarge)
    })
}

/// Ten-thousandths in one fen.
const PER_FEN: i128 = 100;

/// Turns ten-thousandths into a charge in fen (two places), rounding half away from
/// zero; `places` (of the prices the total came from) no longer matters for the result
/// and is kept only to check the prices were read.
fn to_money(minor: i128, places: u32) -> Result<Money, PriceError> {
    debug_assert!(places <= PLACES);
    let half = PER_FEN / 2;
    let fen = if minor >= 0 {
        minor.checked_add(half)
    } else {
        minor.checked_sub(half)
    }
    .ok_or(PriceError::TooLarge)?
        / PER_FEN;
    Decimal::try_from_i128_with_scale(fen, 2)
        .map(Money::from_decimal)
        .map_err(|_| PriceError::TooLarge)
}

/// The figures of a static purchase (or renewal) that its charge depends on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StaticTerms {
    /// Instances.
    pub(crate) count: u32,
    /// Cycles of the product's duration.
    pub(crate) cycles: u32,
    /// Extra bandwidth in Mbps (0: the default bandwidth, free).
    pub(crate) extra_mbps: u32,
    /// The bridge fee per instance and cycle, when the bridge is used.
    pub(crate) bridge_fee: Option<Money>,
}

/// The charge for a static purchase: the document's three terms, each
/// `price x cycleTimes x count`, summed.
pub(crate) fn static_charge(
    price: Money,
    band_width_price: Money,
    terms: StaticTerms,
) -> Result<Money, PriceError> {
    let cycles = u64::from(terms.cycles);
    let count = u64::from(terms.count);
    let base = Price::of(price, "costPrice")?;
    let mut total = times(base.minor, &[cycles, count])?;
    let mut places = base.places;
    if terms.extra_mbps > 0 {
        let bandwidth = Price::of(band_width_price, "bandWidthPrice")?;
        let term = times(
            bandwidth.minor,
            &[u64::from(terms.extra_mbps), cycles, count],
        )?;
        total = total.checked_add(term).ok_or(PriceError::TooLarge)?;
        places = places.max(bandwidth.places);
    }
    if let Some(fee) = terms.bridge_fee {
        let fee = Price::of(fee, "bridge fee")?;
        let term = times(fee.minor, &[cycles, count])?;
        total = total.checked_add(term).ok_or(PriceError::TooLarge)?;
        places = places.max(fee.places);
    }
    to_money(total, places)
}

/// The charge for `quantity` MB (or IPs) of a flow product priced `price` each.
pub(crate) fn flow_charge(price: Money, quantity: u64) -> Result<Money, PriceError> {
    let unit = Price::of(price, "costPrice")?;
    to_money(times(unit.minor, &[quantity])?, unit.places)
}

/// Adds amounts, refusing overflow (a sum of charges or refunds).
pub(crate) fn checked_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Option<Money> {
    amounts
        .into_iter()
        .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().expect("money")
    }

    fn terms(count: u32, cycles: u32) -> StaticTerms {
        StaticTerms {
            count,
            cycles,
            extra_mbps: 0,
            bridge_fee: None,
        }
    }

    #[test]
    fn the_documents_static_formula() {
        let plain = static_charge(m("2.05"), m("0.20"), terms(3, 2)).expect("charge");
        assert_eq!(plain.to_string(), "12.30");
        let with_bandwidth = static_charge(
            m("2.05"),
            m("0.20"),
            StaticTerms {
                extra_mbps: 10,
                ..terms(3, 2)
            },
        )
        .expect("charge");
        // 2.05 x 2 x 3 + 0.20 x 10 x 2 x 3
        assert_eq!(with_bandwidth.to_string(), "24.30");
        let with_bridge = static_charge(
            m("2.05"),
            m("0.20"),
            StaticTerms {
                bridge_fee: Some(m("0.5")),
                ..terms(3, 2)
            },
        )
        .expect("charge");
        // + 0.5 x 2 x 3, in fen.
        assert_eq!(with_bridge.to_string(), "15.30");
        assert_eq!(
            static_charge(m("0"), m("0"), terms(1, 1))
                .expect("free")
                .to_string(),
            "0.00"
        );
    }

    #[test]
    fn the_documents_flow_formula() {
        assert_eq!(
            flow_charge(m("0.0040"), 100).expect("charge").to_string(),
            "0.40"
        );
        // Charged in fen, half away from zero: 0.012 is 0.01, 0.892 is 0.89, 0.005 is 0.01.
        assert_eq!(
            flow_charge(m("0.004000"), 3).expect("charge").to_string(),
            "0.01"
        );
        assert_eq!(
            flow_charge(m("0.0040"), 223).expect("charge").to_string(),
            "0.89"
        );
        assert_eq!(
            flow_charge(m("0.0050"), 1).expect("charge").to_string(),
            "0.01"
        );
        assert_eq!(
            flow_charge(m("0.0049"), 1).expect("charge").to_string(),
            "0.00"
        );
    }

    #[test]
    fn refusals_instead_of_overflow() {
        // The largest amount a decimal holds in fen still prices one unit; one more
        // place of magnitude does not fit.
        assert_eq!(
            flow_charge(m("792281625142643375935439503.35"), 1).expect("fits"),
            m("792281625142643375935439503.35")
        );
        assert_eq!(
            flow_charge(m("79228162514264337593543950335"), 1),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            flow_charge(m("79228162514264337593543950335"), u64::MAX),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            flow_charge(m("1000000000000000"), u64::MAX),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            static_charge(
                m("79228162514264337593543950335"),
                m("0"),
                terms(u32::MAX, u32::MAX)
            ),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            flow_charge(m("-1"), 1),
            Err(PriceError::Negative("costPrice"))
        );
        assert_eq!(
            flow_charge(m("0.00001"), 1),
            Err(PriceError::TooPrecise("costPrice"))
        );
        assert_eq!(checked_sum([Money::ZERO, m("1.5"), m("2")]), Some(m("3.5")));
        let huge = m("79228162514264337593543950335");
        assert_eq!(checked_sum([huge, huge]), None);
    }
}
