//! Times on the wire.
//!
//! Two formats appear:
//!
//! - **Responses** carry Go `time.Time` values as RFC 3339 text
//!   (`2024-07-26T09:49:27+08:00`, fractions of a second allowed). Go's zero time,
//!   `0001-01-01T00:00:00Z`, means "never" (an instance not yet renewed or released).
//!   Fields of this kind are `Option<OffsetDateTime>` with [`go_time`]: the zero time,
//!   `null`, an empty string and a missing field all decode to `None`, and `None` encodes
//!   as `0001-01-01T00:00:00Z`, exactly what a Go server sends.
//! - **Requests** filter by time with `"2006-01-02 15:04:05"` text (no zone). Those
//!   fields are `Option<`[`QueryTime`]`>`: a checked value that formats to that layout,
//!   and is left out of the JSON when `None`.
//!
//! # The time-filter rule
//!
//! `startTime` and `endTime` (`order/list`, `instance/list`, `proxy/flow/use/log`) are
//! wall-clock times in China Standard Time, UTC+8 (the platform's zone, which has no
//! daylight saving time); the text carries no zone. A date alone, `2024-01-01`, means
//! midnight at the start of that day, China time (`2024-01-01 00:00:00`). Both bounds are
//! inclusive. The document gives only the layout (`格式 2021-01-01 00:00:00`); the platform
//! runs in China. `ipv-types` sends China time and the emulator reads it so.
//!
//! This module shares its name with the `time` crate: after `use ipv_types::*;` name the
//! crate `::time` (or use the re-export [`crate::time_crate`]).
//!
//! ```
//! use ipv_types::time::QueryTime;
//!
//! let t: QueryTime = "2024-07-26 09:49:27".parse().unwrap();
//! assert_eq!(serde_json::to_string(&t).unwrap(), "\"2024-07-26 09:49:27\"");
//! assert!("2024-07-26T09:49:27Z".parse::<QueryTime>().is_err());
//! ```

use core::fmt;
use core::str::FromStr;

use ::time::format_description::well_known::Rfc3339;
use ::time::macros::format_description;
use ::time::{OffsetDateTime, PrimitiveDateTime};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Go's zero `time.Time` as a Go server encodes it.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The layout of request times, in Go's notation.
pub const QUERY_TIME_LAYOUT: &str = "2006-01-02 15:04:05";

const QUERY_FORMAT: &[::time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

const DATE_FORMAT: &[::time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// The platform's zone for request times: China Standard Time, UTC+8.
pub const PLATFORM_OFFSET: ::time::UtcOffset = match ::time::UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => ::time::UtcOffset::UTC,
};

/// Serde helpers for `Option<OffsetDateTime>` fields holding Go RFC 3339 times.
///
/// Use with `#[serde(default, with = "ipv_types::time::go_time")]`. Decodes RFC 3339
/// text; Go's zero time (any text that parses to year 1, January 1st, 00:00:00 UTC),
/// `null` and `""` decode to `None`. Encodes `Some(t)` as RFC 3339 and `None` as
/// [`GO_ZERO_TIME`].
pub mod go_time {
    use super::{GO_ZERO_TIME, OffsetDateTime, Rfc3339, de, fmt};
    use serde::de::{Deserializer, Visitor};
    use serde::ser::Serializer;

    /// Encodes `Some(t)` as RFC 3339 text and `None` as `0001-01-01T00:00:00Z`.
    ///
    /// # Errors
    /// When the time cannot be written as RFC 3339 (a year outside 0..=9999 or an offset
    /// with seconds).
    pub fn serialize<S: Serializer>(v: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_str(GO_ZERO_TIME),
            Some(t) => {
                let text = t
                    .format(&Rfc3339)
                    .map_err(|e| serde::ser::Error::custom(format_args!("time {t}: {e}")))?;
                s.serialize_str(&text)
            }
        }
    }

    /// Decodes RFC 3339 text; the Go zero time, `null` and `""` are `None`.
    ///
    /// # Errors
    /// When the text is not RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<OffsetDateTime>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                super::parse_go_time(v).map_err(E::custom)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}

/// Parses a Go RFC 3339 time; the zero time and `""` are `None`.
///
/// # Errors
/// A message naming the text, when it is not RFC 3339.
pub fn parse_go_time(v: &str) -> Result<Option<OffsetDateTime>, String> {
    let t = v.trim();
    if t.is_empty() || t == GO_ZERO_TIME {
        return Ok(None);
    }
    let parsed = OffsetDateTime::parse(t, &Rfc3339)
        .map_err(|e| format!("{:?} is not an RFC 3339 time: {e}", crate::de::clip(v)))?;
    if is_go_zero(parsed) {
        Ok(None)
    } else {
        Ok(Some(parsed))
    }
}

/// Whether `t` is Go's zero time (0001-01-01 00:00:00 UTC).
#[must_use]
pub fn is_go_zero(t: OffsetDateTime) -> bool {
    let utc = t.to_offset(::time::UtcOffset::UTC);
    utc.year() == 1 && utc.ordinal() == 1 && utc.time() == ::time::Time::MIDNIGHT
}

/// A request time in the platform's `"2006-01-02 15:04:05"` layout (no zone; the
/// platform reads it in China Standard Time, UTC+8: see [the rule](self#the-time-filter-rule)).
///
/// Serialises as that text. Decodes that layout or a date alone (`"2024-01-01"`, which is
/// midnight of that day); on optional request fields an empty string (what a Go client
/// sends for "unset") decodes to `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueryTime(PrimitiveDateTime);

impl QueryTime {
    /// Wraps a date and time.
    #[must_use]
    pub const fn new(t: PrimitiveDateTime) -> Self {
        QueryTime(t)
    }

    /// The date and time.
    #[must_use]
    pub const fn get(self) -> PrimitiveDateTime {
        self.0
    }

    /// The instant this wall-clock time names in the platform's zone (UTC+8).
    #[must_use]
    pub const fn instant(self) -> OffsetDateTime {
        self.0.assume_offset(PLATFORM_OFFSET)
    }

    /// The wall-clock time of `t` at UTC+8 (the platform's zone), to the second.
    #[must_use]
    pub fn from_offset_date_time(t: OffsetDateTime) -> Self {
        let t = t.to_offset(PLATFORM_OFFSET);
        let t = t.replace_nanosecond(0).unwrap_or(t);
        QueryTime(PrimitiveDateTime::new(t.date(), t.time()))
    }
}

impl From<PrimitiveDateTime> for QueryTime {
    fn from(t: PrimitiveDateTime) -> Self {
        QueryTime(t)
    }
}

/// Why a text is not a request time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTimeError {
    text: String,
}

impl fmt::Display for QueryTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a time in the layout {QUERY_TIME_LAYOUT:?} (or a date alone)",
            self.text
        )
    }
}

impl std::error::Error for QueryTimeError {}

impl FromStr for QueryTime {
    type Err = QueryTimeError;

    /// Parses `"2006-01-02 15:04:05"`, or a date alone (`"2006-01-02"`, midnight).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        PrimitiveDateTime::parse(t, QUERY_FORMAT)
            .or_else(|_| {
                ::time::Date::parse(t, DATE_FORMAT).map(|d| d.with_time(::time::Time::MIDNIGHT))
            })
            .map(QueryTime)
            .map_err(|_| QueryTimeError {
                text: crate::de::clip(s).to_owned(),
            })
    }
}

impl fmt::Display for QueryTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0.date();
        let t = self.0.time();
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.year(),
            u8::from(d.month()),
            d.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl Serialize for QueryTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for QueryTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = QueryTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a time like {QUERY_TIME_LAYOUT:?}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<QueryTime, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// Serde helpers for `Option<QueryTime>` request fields: `None` is left out (use with
/// `skip_serializing_if = "Option::is_none"`), and `""` or `null` decode to `None`.
pub mod opt_query_time {
    use super::{QueryTime, de, fmt};
    use serde::Serialize;
    use serde::de::{Deserializer, Visitor};
    use serde::ser::Serializer;

    /// Encodes `Some(t)` as its text and `None` as `null`.
    ///
    /// # Errors
    /// Only those of the serializer.
    pub fn serialize<S: Serializer>(v: &Option<QueryTime>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    /// Decodes the text; `""` and `null` are `None`.
    ///
    /// # Errors
    /// When the text is not in the `"2006-01-02 15:04:05"` layout.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<QueryTime>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<QueryTime>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an optional time like \"2006-01-02 15:04:05\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim().is_empty() {
                    Ok(None)
                } else {
                    v.parse().map(Some).map_err(E::custom)
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}
