//! Tolerant field decoders for places where the platform is loose.
//!
//! The vendor's servers are written in Go and have changed over time: a number sometimes
//! arrives as a string, an empty list as `null`, a flag as a bool or as `-1`/`1`. The
//! helpers here are used with `#[serde(deserialize_with = "...")]` on response fields so
//! that such variations decode instead of failing the whole response.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// An integer type that can be decoded leniently.
pub(crate) trait LenientInt: Sized + Default {
    fn from_i64(n: i64) -> Option<Self>;
    fn from_u64(n: u64) -> Option<Self>;
    const NAME: &'static str;
}

macro_rules! lenient_int {
    ($($t:ty),*) => {$(
        impl LenientInt for $t {
            fn from_i64(n: i64) -> Option<Self> { <$t>::try_from(n).ok() }
            fn from_u64(n: u64) -> Option<Self> { <$t>::try_from(n).ok() }
            const NAME: &'static str = stringify!($t);
        }
    )*};
}
lenient_int!(i64, i32, u64, u32, u16, u8);

/// Whether `v` is a whole number, so a float like `3.0` may stand for an integer.
fn whole(v: f64) -> Option<i64> {
    // The range check keeps the `as` conversion exact (no saturation).
    if v.is_finite() && v.fract() == 0.0 && (-9.0e15..=9.0e15).contains(&v) {
        #[allow(clippy::cast_possible_truncation)]
        Some(v as i64)
    } else {
        None
    }
}

struct IntVisitor<T>(PhantomData<T>);

impl<T: LenientInt> Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an integer ({}) as a number or a numeric string",
            T::NAME
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_i64(v).ok_or_else(|| E::custom(format_args!("{v} is out of range for {}", T::NAME)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| E::custom(format_args!("{v} is out of range for {}", T::NAME)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        match whole(v) {
            Some(n) => self.visit_i64(n),
            None => Err(E::custom(format_args!("{v} is not a whole number"))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(T::default());
        }
        if let Ok(n) = t.parse::<i64>() {
            return self.visit_i64(n);
        }
        if let Ok(n) = t.parse::<u64>() {
            return self.visit_u64(n);
        }
        match t.parse::<f64>().ok().and_then(whole) {
            Some(n) => self.visit_i64(n),
            None => Err(E::custom(format_args!(
                "{:?} is not an integer",
                crate::de::clip(v)
            ))),
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        self.visit_i64(i64::from(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// An integer sent as a number, a numeric string, or `null` (= 0).
pub(crate) fn int<'de, D: Deserializer<'de>, T: LenientInt>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(IntVisitor(PhantomData))
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a numeric string")
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(0.0);
        }
        match t.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(E::custom(format_args!("{:?} is not a number", clip(v)))),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Ok(0.0)
    }

    fn visit_none<E: de::Error>(self) -> Result<f64, E> {
        Ok(0.0)
    }
}

/// A float (a quantity, never money) sent as a number, a numeric string, or `null` (= 0).
pub(crate) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(FloatVisitor)
}

/// A list that may arrive as `null` (Go's nil slice): `null` decodes to an empty `Vec`.
pub(crate) fn vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Text that must not be empty (an identifier the caller goes on to use).
pub(crate) fn non_empty_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Err(de::Error::custom("must not be empty"));
    }
    Ok(text)
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

/// Text that may arrive as a number (quantities the vendor types as strings in one
/// version and as numbers in another) or `null` (= empty).
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(TextVisitor)
}

struct FlagVisitor;

impl Visitor<'_> for FlagVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bool, or 1 (yes) / -1 or 0 (no)")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            1 => Ok(true),
            0 | -1 => Ok(false),
            other => Err(E::custom(format_args!(
                "{other} is not a flag (expected 1, 0 or -1)"
            ))),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            1 => Ok(true),
            0 => Ok(false),
            other => Err(E::custom(format_args!(
                "{other} is not a flag (expected 1, 0 or -1)"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        match whole(v) {
            Some(n) => self.visit_i64(n),
            None => Err(E::custom(format_args!("{v} is not a flag"))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v.trim() {
            "true" | "TRUE" | "True" => Ok(true),
            "false" | "FALSE" | "False" | "" => Ok(false),
            t => match t.parse::<i64>() {
                Ok(n) => self.visit_i64(n),
                Err(_) => Err(E::custom(format_args!("{:?} is not a flag", clip(v)))),
            },
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A yes/no flag sent as a JSON bool, as `1` / `-1` (or `0`), or as those in a string.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(FlagVisitor)
}

/// Like [`flag`], for an optional request field (`null` or missing = `None`).
pub(crate) fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct OptFlag;
    impl<'de> Visitor<'de> for OptFlag {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an optional flag")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            flag(d).map(Some)
        }
    }
    d.deserialize_option(OptFlag)
}

/// An optional count that travels as a decimal string (`sessTime`), decoded from a string
/// or a number; `""` and `null` decode to `None`.
pub(crate) mod opt_int_string {
    use super::{IntVisitor, PhantomData};
    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;
    use std::fmt;

    pub(crate) fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.collect_str(n),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<u32>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an optional whole number, as a string or a number")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(OptIntVisitor)
            }
        }
        struct OptIntVisitor;
        impl Visitor<'_> for OptIntVisitor {
            type Value = Option<u32>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number, as a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim().is_empty() {
                    Ok(None)
                } else {
                    IntVisitor::<u32>(PhantomData).visit_str(v).map(Some)
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                IntVisitor::<u32>(PhantomData).visit_i64(v).map(Some)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                IntVisitor::<u32>(PhantomData).visit_u64(v).map(Some)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                IntVisitor::<u32>(PhantomData).visit_f64(v).map(Some)
            }
        }
        d.deserialize_option(V)
    }
}

/// Shortens untrusted text before it goes into an error message.
pub(crate) fn clip(v: &str) -> &str {
    const MAX: usize = 64;
    if v.len() <= MAX {
        return v;
    }
    let mut end = MAX;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}
