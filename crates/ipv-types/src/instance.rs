//! Endpoints 14, 17 and 18: instances (bought proxies) and their passwords.

use core::fmt;

use ::time::OffsetDateTime;
use serde::{Deserialize, Serialize};

use crate::dict::{CodeList, InstanceStatus, Protocol, ProxyType, ResetStatus, UseType};

use crate::redact::REDACTED;

/// The request of `instance` (endpoint 17): instances by number.
///
/// The vendor's Go SDK spells the key `Instances`; this type sends `instances` (what the
/// document says) and accepts both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InstancesRequest {
    /// The platform's instance numbers.
    #[serde(alias = "Instances", deserialize_with = "crate::de::vec")]
    pub instances: Vec<String>,
}

impl InstancesRequest {
    /// The instances with these numbers.
    #[must_use]
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(instances: I) -> Self {
        Self {
            instances: instances.into_iter().map(Into::into).collect(),
        }
    }
}

/// A bought proxy (endpoints 15, 17 and 18).
///
/// `Debug` prints `[redacted]` for `pwd`. Fields this SDK does not know are kept in
/// `extra`.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Instance {
    /// The platform's instance number (used to renew and release it).
    pub instance_no: String,
    /// The proxy type.
    #[serde(default)]
    pub proxy_type: ProxyType,
    /// The protocols it speaks.
    #[serde(default)]
    pub protocol: CodeList<Protocol>,
    /// The address to connect to.
    #[serde(default)]
    pub ip: String,
    /// The port to connect to.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub port: u16,
    /// The region.
    #[serde(default)]
    pub region_id: String,
    /// The country's code.
    #[serde(default)]
    pub country_code: String,
    /// The city's code.
    #[serde(default)]
    pub city_code: String,
    /// How it authenticates users.
    #[serde(default)]
    pub use_type: CodeList<UseType>,
    /// The username, or the UUID (dynamic: the platform's main account).
    #[serde(default)]
    pub username: String,
    /// The password.
    #[serde(default)]
    pub pwd: String,
    /// The order that created it (`instance`), or that acted on it (`order`).
    #[serde(default)]
    pub order_no: String,
    /// When it expires, as Unix seconds.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub user_expired: i64,
    /// Total flow, in MB (or IPs, for products sold by IP count). A quantity, not money.
    #[serde(default, deserialize_with = "crate::de::float")]
    pub flow_total: f64,
    /// Flow left, in MB.
    #[serde(default, deserialize_with = "crate::de::float")]
    pub flow_balance: f64,
    /// Its state.
    #[serde(default)]
    pub status: InstanceStatus,
    /// 1 when it renews automatically.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub renew: i64,
    /// Bridge addresses.
    #[serde(default, deserialize_with = "crate::de::vec")]
    pub bridges: Vec<String>,
    /// When it was opened (`None` for Go's zero time).
    #[serde(default, with = "crate::time::go_time")]
    pub open_at: Option<OffsetDateTime>,
    /// When it was last renewed (`None`: never).
    #[serde(default, with = "crate::time::go_time")]
    pub renew_at: Option<OffsetDateTime>,
    /// When it was released (`None`: not released).
    #[serde(default, with = "crate::time::go_time")]
    pub release_at: Option<OffsetDateTime>,
    /// The product it was bought as.
    #[serde(default)]
    pub product_no: String,
    /// An extended address, shown for some products only.
    #[serde(default)]
    pub extend_ip: String,
    /// Fields this SDK does not know yet, kept so nothing the vendor adds is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Instance {
    /// When it expires, or `None` when `user_expired` is 0 or out of range.
    #[must_use]
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        if self.user_expired == 0 {
            return None;
        }
        OffsetDateTime::from_unix_timestamp(self.user_expired).ok()
    }

    /// Whether it renews automatically (`renew` is 1).
    #[must_use]
    pub fn auto_renews(&self) -> bool {
        self.renew == 1
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("instance_no", &self.instance_no)
            .field("proxy_type", &self.proxy_type)
            .field("protocol", &self.protocol)
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("region_id", &self.region_id)
            .field("country_code", &self.country_code)
            .field("city_code", &self.city_code)
            .field("use_type", &self.use_type)
            .field("username", &self.username)
            .field("pwd", &REDACTED)
            .field("order_no", &self.order_no)
            .field("user_expired", &self.user_expired)
            .field("flow_total", &self.flow_total)
            .field("flow_balance", &self.flow_balance)
            .field("status", &self.status)
            .field("renew", &self.renew)
            .field("bridges", &self.bridges)
            .field("open_at", &self.open_at)
            .field("renew_at", &self.renew_at)
            .field("release_at", &self.release_at)
            .field("product_no", &self.product_no)
            .field("extend_ip", &self.extend_ip)
            .field("extra", &self.extra)
            .finish()
    }
}

/// The request of `instance/list` (endpoint 18): a page of the app's instances.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InstanceListRequest {
    /// The page (from 1; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Instances per page (default 20, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Instances opened from this time (default: a year ago).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::opt_query_time"
    )]
    pub start_time: Option<crate::time::QueryTime>,
    /// Instances opened until this time (default: today).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::opt_query_time"
    )]
    pub end_time: Option<crate::time::QueryTime>,
}

/// The request of `instance/reset/password` (endpoint 14): new passwords for instances.
///
/// `reset_no` is the idempotency key: at most 32 characters of `A-Za-z0-9_`; the platform
/// answers a repeated `reset_no` with the first request's result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResetPasswordsRequest {
    /// The instances.
    #[serde(deserialize_with = "crate::de::vec")]
    pub instance_no_list: Vec<String>,
    /// The idempotency key.
    pub reset_no: String,
}

impl ResetPasswordsRequest {
    /// The longest `reset_no` the platform accepts.
    pub const MAX_RESET_NO_LEN: usize = 32;

    /// Resets the passwords of `instances` under the key `reset_no`.
    #[must_use]
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        instances: I,
        reset_no: impl Into<String>,
    ) -> Self {
        Self {
            instance_no_list: instances.into_iter().map(Into::into).collect(),
            reset_no: reset_no.into(),
        }
    }

    /// Whether `reset_no` is 1 to 32 characters of `A-Za-z0-9_`, as the platform requires.
    #[must_use]
    pub fn is_valid_reset_no(reset_no: &str) -> bool {
        !reset_no.is_empty()
            && reset_no.len() <= Self::MAX_RESET_NO_LEN
            && reset_no
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }
}

/// The answer of `instance/reset/password` (endpoint 14).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ResetPasswordsResult {
    /// One result per instance.
    #[serde(deserialize_with = "crate::de::vec")]
    pub list: Vec<PasswordReset>,
    /// The idempotency key (the caller's, or one the platform made).
    pub reset_no: String,
}

/// The reset of one instance's password. `Debug` prints `[redacted]` for the password.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PasswordReset {
    /// The instance.
    pub instance_no: String,
    /// The new password; empty while pending or after a failure.
    pub new_password: String,
    /// Where the reset is.
    pub status: ResetStatus,
}

impl fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordReset")
            .field("instance_no", &self.instance_no)
            .field("new_password", &REDACTED)
            .field("status", &self.status)
            .finish()
    }
}

with_fields!(InstanceListRequest {
    with_page(page): some u32;
    with_page_size(page_size): some u32;
    with_start_time(start_time): some crate::time::QueryTime;
    with_end_time(end_time): some crate::time::QueryTime;
});
