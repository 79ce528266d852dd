//! The API's status codes.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! api_codes {
    ($( $(#[$doc:meta])* $name:ident = $num:literal, )*) => {
        /// A status code from the response envelope.
        ///
        /// Every documented code has a variant; any other number is kept in
        /// [`ApiCode::Unknown`] and encodes back to itself. Some numbers carry several
        /// meanings in the vendor's document (10061); the message says which.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ApiCode {
            $( $(#[$doc])* $name, )*
            /// A code this SDK does not know yet.
            Unknown(i64),
        }

        impl ApiCode {
            /// Every documented code, in the document's order.
            pub const DOCUMENTED: &'static [ApiCode] = &[$(ApiCode::$name,)*];

            /// The code's number on the wire.
            #[must_use]
            pub const fn as_i64(self) -> i64 {
                match self {
                    $( ApiCode::$name => $num, )*
                    ApiCode::Unknown(n) => n,
                }
            }

            /// The variant for a wire number; unknown numbers are kept.
            #[must_use]
            pub const fn from_i64(n: i64) -> Self {
                match n {
                    $( $num => ApiCode::$name, )*
                    other => ApiCode::Unknown(other),
                }
            }
        }
    };
}

api_codes! {
    /// 200: success.
    Ok = 200,
    /// 500: system error (transient; safe to retry with the same reqId).
    SystemError = 500,
    /// 10001: decryption failed; check the app secret.
    DecryptFailed = 10001,
    /// 10002: open failed, balance too low (nothing was created).
    InsufficientBalance = 10002,
    /// 10003: open failed, out of stock (nothing was created).
    OutOfStock = 10003,
    /// 10004: bad parameters.
    InvalidParams = 10004,
    /// 10011: renew failed, no such instance.
    RenewInstanceNotFound = 10011,
    /// 10021: release failed, no such instance.
    ReleaseInstanceNotFound = 10021,
    /// 10022: release failed, the instance is past its release window.
    ReleaseWindowClosed = 10022,
    /// 10031: no such order.
    OrderNotFound = 10031,
    /// 10041: no such instance.
    InstanceNotFound = 10041,
    /// 10051: user exists.
    UserExists = 10051,
    /// 10052: no such user.
    UserNotFound = 10052,
    /// 10061: proxy user exists, or its main account is missing or disabled.
    ProxyUserConflict = 10061,
    /// 10062: no such proxy user.
    ProxyUserNotFound = 10062,
    /// 10071: flow allotment failed, main account missing or disabled.
    FlowMainAccountUnavailable = 10071,
    /// 10072: flow allotment failed, balance too low.
    FlowInsufficientBalance = 10072,
    /// 10081: flow return failed, balance too low.
    FlowReturnInsufficient = 10081,
    /// 10091: no such region.
    RegionNotFound = 10091,
    /// 10092: no such proxy user (username).
    DrawProxyUserNotFound = 10092,
    /// 10093: sessTime outside 1-120 minutes.
    SessTimeOutOfRange = 10093,
}

impl ApiCode {
    /// Whether this is success (200).
    #[must_use]
    pub const fn is_ok(self) -> bool {
        matches!(self, ApiCode::Ok)
    }

    /// Whether the same request may succeed if sent again unchanged (only 500).
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        matches!(self, ApiCode::SystemError)
    }

    /// The document's meaning of the code, in English.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            ApiCode::Ok => "ok",
            ApiCode::SystemError => "system error",
            ApiCode::DecryptFailed => "decryption failed: check the app secret",
            ApiCode::InsufficientBalance => "open failed: balance too low",
            ApiCode::OutOfStock => "open failed: out of stock",
            ApiCode::InvalidParams => "bad parameters",
            ApiCode::RenewInstanceNotFound => "renew failed: no such instance",
            ApiCode::ReleaseInstanceNotFound => "release failed: no such instance",
            ApiCode::ReleaseWindowClosed => "release failed: past the release window",
            ApiCode::OrderNotFound => "no such order",
            ApiCode::InstanceNotFound => "no such instance",
            ApiCode::UserExists => "user exists",
            ApiCode::UserNotFound => "no such user",
            ApiCode::ProxyUserConflict => {
                "proxy user exists, or its main account is missing or disabled"
            }
            ApiCode::ProxyUserNotFound => "no such proxy user",
            ApiCode::FlowMainAccountUnavailable => {
                "flow allotment failed: main account missing or disabled"
            }
            ApiCode::FlowInsufficientBalance => "flow allotment failed: balance too low",
            ApiCode::FlowReturnInsufficient => "flow return failed: balance too low",
            ApiCode::RegionNotFound => "no such region",
            ApiCode::DrawProxyUserNotFound => "no such proxy user",
            ApiCode::SessTimeOutOfRange => "sessTime outside 1-120 minutes",
            ApiCode::Unknown(_) => "unknown code",
        }
    }
}

impl fmt::Display for ApiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.as_i64(), self.description())
    }
}

impl From<i64> for ApiCode {
    fn from(n: i64) -> Self {
        Self::from_i64(n)
    }
}

impl From<ApiCode> for i64 {
    fn from(c: ApiCode) -> Self {
        c.as_i64()
    }
}

impl Serialize for ApiCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.as_i64())
    }
}

impl<'de> Deserialize<'de> for ApiCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Servers are loose: accept the number as a JSON number or a numeric string.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ApiCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code (integer or numeric string)")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ApiCode, E> {
                Ok(ApiCode::from_i64(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ApiCode, E> {
                i64::try_from(v)
                    .map(ApiCode::from_i64)
                    .map_err(|_| E::custom("status code out of range"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ApiCode, E> {
                v.trim()
                    .parse::<i64>()
                    .map(ApiCode::from_i64)
                    .map_err(|_| E::custom("status code is not a number"))
            }
        }
        d.deserialize_any(V)
    }
}
