//! When an emulated instance expires, computed by the emulator itself from the vendor
//! document's unit rules (not by the client's `expiry` module, so the two can disagree
//! and a test can see it).
//!
//! The document: a product sells `duration` units per cycle, and a purchase of
//! `cycleTimes` cycles lasts `duration x cycleTimes` units. Unit 1 is a day, 2 a week
//! of 7 days, 3 a calendar month ("自然月": as long as the month, 28 to 31 days), 4 a
//! calendar year (365 or 366 days), 10 unlimited.
//!
//! The emulator counts whole days on its own proleptic Gregorian day line (days since
//! 1970-01-01, computed here from year, month and day) and adds that many days of 86,400
//! seconds to the start. A span of `n` calendar months goes from day `d` of the start
//! month to day `d` of the month `n` later, or to that month's last day when it has no
//! day `d`; a year is 12 such months (Feb 29 + 1 year = Feb 28). The whole span is one
//! step: Jan 31 + 2 months is Mar 31.

use time::OffsetDateTime;

/// The unit numbers of the document's dictionary.
const DAY: i64 = 1;
const WEEK: i64 = 2;
const MONTH: i64 = 3;
const YEAR: i64 = 4;
const UNLIMITED: i64 = 10;

/// Seconds in a day of the emulator's clock (UTC offsets are fixed, no leap seconds).
const SECONDS_PER_DAY: i64 = 86_400;

/// The farthest the emulator dates anything: 20,000 years of months. Beyond it the
/// request is refused rather than computed.
const MAX_MONTHS: i64 = 240_000;

/// Why no expiry was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpiryError {
    /// `duration x cycleTimes` is zero for a unit that needs a length.
    ZeroLength,
    /// The unit number is not one of the document's.
    UnknownUnit(i64),
    /// The end is beyond the dates the emulator keeps.
    OutOfRange,
}

impl std::fmt::Display for ExpiryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ZeroLength => f.write_str("the product's duration x cycleTimes is zero"),
            Self::UnknownUnit(n) => write!(f, "the product's unit {n} is not a known unit"),
            Self::OutOfRange => f.write_str("the expiry would be beyond the year 9999"),
        }
    }
}

/// The end of `cycles` cycles of `duration` units numbered `unit` (the wire number),
/// from `start`; `None` when the unit is unlimited.
pub(crate) fn end_of_term(
    start: OffsetDateTime,
    unit: i64,
    duration: u32,
    cycles: u32,
) -> Result<Option<OffsetDateTime>, ExpiryError> {
    if unit == UNLIMITED {
        return Ok(None);
    }
    // Both factors fit 32 bits, so the product fits an unsigned 64.
    let units = i64::try_from(u64::from(duration) * u64::from(cycles))
        .map_err(|_| ExpiryError::OutOfRange)?;
    let days = match unit {
        DAY | WEEK | MONTH | YEAR if units == 0 => return Err(ExpiryError::ZeroLength),
        DAY => units,
        WEEK => units.checked_mul(7).ok_or(ExpiryError::OutOfRange)?,
        MONTH => days_in_month_span(start, units)?,
        YEAR => days_in_month_span(start, units.checked_mul(12).ok_or(ExpiryError::OutOfRange)?)?,
        other => return Err(ExpiryError::UnknownUnit(other)),
    };
    let seconds = days
        .checked_mul(SECONDS_PER_DAY)
        .ok_or(ExpiryError::OutOfRange)?;
    start
        .checked_add(time::Duration::seconds(seconds))
        .map(Some)
        .ok_or(ExpiryError::OutOfRange)
}

/// The number of days from `start`'s date to the same day `months` calendar months
/// later (clamped to that month's last day).
fn days_in_month_span(start: OffsetDateTime, months: i64) -> Result<i64, ExpiryError> {
    if months > MAX_MONTHS {
        return Err(ExpiryError::OutOfRange);
    }
    let year = i64::from(start.year());
    let month = i64::from(u8::from(start.month()));
    let day = i64::from(start.day());
    // Months counted from March of year 0 would also do; January-based is plainer.
    let target = year * 12 + (month - 1) + months;
    let (to_year, to_month) = (target.div_euclid(12), target.rem_euclid(12) + 1);
    let to_day = day.min(month_length(to_year, to_month));
    Ok(day_number(to_year, to_month, to_day) - day_number(year, month, day))
}

/// Whether `year` has a February 29 (Gregorian rule).
fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1..=12) of `year`.
fn month_length(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date, counted year by year in 400-year eras (a
/// Gregorian era has exactly 146,097 days) and month by month within the year.
fn day_number(year: i64, month: i64, day: i64) -> i64 {
    const ERA_DAYS: i64 = 146_097;
    let eras = (year - 1970).div_euclid(400);
    let mut y = 1970 + eras * 400;
    let mut days = eras * ERA_DAYS;
    while y < year {
        days += if is_leap(y) { 366 } else { 365 };
        y += 1;
    }
    for m in 1..month {
        days += month_length(year, m);
    }
    days + day - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn end(start: OffsetDateTime, unit: i64, duration: u32, cycles: u32) -> OffsetDateTime {
        end_of_term(start, unit, duration, cycles)
            .expect("an expiry")
            .expect("a limited unit")
    }

    #[test]
    fn the_day_line_matches_known_dates() {
        assert_eq!(day_number(1970, 1, 1), 0);
        assert_eq!(day_number(2000, 3, 1), 11_017);
        assert_eq!(day_number(2024, 2, 29), 19_782);
        assert_eq!(day_number(1969, 12, 31), -1);
        assert_eq!(day_number(1600, 1, 1), -135_140);
    }

    #[test]
    fn units_follow_the_document() {
        let start = datetime!(2024-01-31 10:00 UTC);
        assert_eq!(end(start, DAY, 30, 2), datetime!(2024-03-31 10:00 UTC));
        assert_eq!(end(start, WEEK, 1, 2), datetime!(2024-02-14 10:00 UTC));
        // A calendar month: clamped to the end of a short month, in one step.
        assert_eq!(end(start, MONTH, 1, 1), datetime!(2024-02-29 10:00 UTC));
        assert_eq!(end(start, MONTH, 1, 2), datetime!(2024-03-31 10:00 UTC));
        assert_eq!(
            end(datetime!(2023-01-31 10:00 UTC), MONTH, 1, 1),
            datetime!(2023-02-28 10:00 UTC)
        );
        // 365 or 366 days.
        assert_eq!(
            end(datetime!(2024-02-29 00:00 UTC), YEAR, 1, 1),
            datetime!(2025-02-28 00:00 UTC)
        );
        assert_eq!(
            end(datetime!(2023-03-01 00:00 UTC), YEAR, 1, 1),
            datetime!(2024-03-01 00:00 UTC)
        );
        assert_eq!(
            end(datetime!(2024-12-15 08:00 +08:00), MONTH, 1, 12),
            datetime!(2025-12-15 08:00 +08:00)
        );
        assert_eq!(end_of_term(start, UNLIMITED, 0, 0), Ok(None));
    }

    #[test]
    fn refusals() {
        let start = datetime!(2024-01-01 00:00 UTC);
        assert_eq!(
            end_of_term(start, MONTH, 0, 3),
            Err(ExpiryError::ZeroLength)
        );
        assert_eq!(
            end_of_term(start, 9, 1, 1),
            Err(ExpiryError::UnknownUnit(9))
        );
        assert_eq!(
            end_of_term(start, YEAR, u32::MAX, u32::MAX),
            Err(ExpiryError::OutOfRange)
        );
        assert_eq!(
            end_of_term(start, DAY, u32::MAX, u32::MAX),
            Err(ExpiryError::OutOfRange)
        );
        assert_eq!(
            end_of_term(start, WEEK, u32::MAX, u32::MAX),
            Err(ExpiryError::OutOfRange)
        );
        assert_eq!(
            end_of_term(start, MONTH, 1, 120_000),
            Err(ExpiryError::OutOfRange)
        );
    }
}
