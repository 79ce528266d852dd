//! When an instance bought for `duration x unit x cycleTimes` expires.
//!
//! Units: day; week (7 days); calendar month (the same day of the month, clamped to
//! the month's last day: Jan 31 + 1 month = Feb 28, or 29 in a leap year); calendar
//! year (the same date, Feb 29 clamped to Feb 28); unlimited (never expires). The
//! total length is `duration x cycleTimes` units, added in one step (so Jan 31 + 2
//! months is Mar 31, not Mar 28).
//!
//! ```
//! use ipv_api::expiry::expires_at;
//! use ipv_types::Unit;
//! use time::macros::datetime;
//!
//! let start = datetime!(2024-01-31 10:00 UTC);
//! assert_eq!(expires_at(start, Unit::Month, 1, 1)?, Some(datetime!(2024-02-29 10:00 UTC)));
//! assert_eq!(expires_at(start, Unit::Week, 1, 2)?, Some(datetime!(2024-02-14 10:00 UTC)));
//! assert_eq!(expires_at(start, Unit::Unlimited, 1, 1)?, None);
//! # Ok::<(), ipv_api::expiry::ExpiryError>(())
//! ```

use std::fmt;

use ipv_types::Unit;
use time::{Date, Duration, Month, OffsetDateTime};

/// Why no expiry could be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiryError {
    /// `duration x cycleTimes` is zero.
    ZeroLength,
    /// A unit this SDK does not know (its wire number).
    UnknownUnit(i64),
    /// The result is outside the dates `time` can represent.
    OutOfRange,
}

impl fmt::Display for ExpiryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroLength => f.write_str("duration x cycleTimes must be at least 1"),
            Self::UnknownUnit(n) => write!(f, "unknown unit {n}"),
            Self::OutOfRange => f.write_str("the expiry is out of the representable range"),
        }
    }
}

impl std::error::Error for ExpiryError {}

/// The expiry of something started at `start` and bought for `duration` units,
/// `cycle_times` times over; `None` for [`Unit::Unlimited`].
///
/// # Errors
/// [`ExpiryError`] for a zero length, an unknown unit, or an out-of-range result.
pub fn expires_at(
    start: OffsetDateTime,
    unit: Unit,
    duration: u32,
    cycle_times: u32,
) -> Result<Option<OffsetDateTime>, ExpiryError> {
    let unit = unit.normalized();
    if unit == Unit::Unlimited {
        return Ok(None);
    }
    let total = i64::from(duration)
        .checked_mul(i64::from(cycle_times))
        .ok_or(ExpiryError::OutOfRange)?;
    if total == 0 {
        return Err(ExpiryError::ZeroLength);
    }
    let end = match unit {
        Unit::Day => add_days(start, total)?,
        Unit::Week => add_days(start, total.checked_mul(7).ok_or(ExpiryError::OutOfRange)?)?,
        Unit::Month => add_months(start, total)?,
        Unit::Year => add_months(start, total.checked_mul(12).ok_or(ExpiryError::OutOfRange)?)?,
        other => return Err(ExpiryError::UnknownUnit(other.as_i64())),
    };
    Ok(Some(end))
}

fn add_days(start: OffsetDateTime, days: i64) -> Result<OffsetDateTime, ExpiryError> {
    let span = days
        .checked_mul(86_400)
        .map(Duration::seconds)
        .ok_or(ExpiryError::OutOfRange)?;
    start.checked_add(span).ok_or(ExpiryError::OutOfRange)
}

/// Adds calendar months, keeping the day of the month where it exists and clamping it
/// to the month's last day where it does not. Years are 12 months, so Feb 29 + 1 year
/// lands on Feb 28.
fn add_months(start: OffsetDateTime, months: i64) -> Result<OffsetDateTime, ExpiryError> {
    let date = start.date();
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + months;
    let year = i32::try_from(index.div_euclid(12)).map_err(|_| ExpiryError::OutOfRange)?;
    let month_number =
        u8::try_from(index.rem_euclid(12) + 1).map_err(|_| ExpiryError::OutOfRange)?;
    let month = Month::try_from(month_number).map_err(|_| ExpiryError::OutOfRange)?;
    let day = date.day().min(month.length(year));
    let date = Date::from_calendar_date(year, month, day).map_err(|_| ExpiryError::OutOfRange)?;
    Ok(start.replace_date(date))
}
