//! Endpoints 19 to 30: users, proxy users, and dynamic proxies (balance, drawing, flow,
//! whitelists, returns).
//!
//! Dynamic proxies belong to a main account (a "user"); proxy users are its
//! sub-accounts. Either account can be named by the platform's username or by the app's
//! own (`app_username`).

use core::fmt;

use serde::de::{Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize, Serializer};

use crate::dict::{AccountStatus, AuthType, ProxyType};
use crate::money::Money;
use crate::redact::{self, REDACTED};
use crate::time::QueryTime;

/// The request of `user` (endpoint 19): create or update a main account.
///
/// `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpsertUserRequest {
    /// The app's name for the account (unique per app; cannot change; generated when
    /// `None`, which the vendor recommends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
    /// The password (generated when `None`, which the vendor recommends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The phone number.
    pub phone: String,
    /// The e-mail address.
    pub email: String,
    /// The real-name verification.
    pub auth_type: AuthType,
    /// The verified person's or company's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_name: Option<String>,
    /// The verified ID or business licence number.
    #[serde(default)]
    pub no: String,
    /// The VSP flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsp: Option<u8>,
    /// Whether the account is enabled.
    pub status: AccountStatus,
}

impl fmt::Debug for UpsertUserRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertUserRequest")
            .field("app_username", &self.app_username)
            .field("password", &redact::opt(&self.password))
            .field("phone", &self.phone)
            .field("email", &self.email)
            .field("auth_type", &self.auth_type)
            .field("auth_name", &self.auth_name)
            .field("no", &self.no)
            .field("vsp", &self.vsp)
            .field("status", &self.status)
            .finish()
    }
}

/// An account as created or updated (endpoints 19 and 21). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Account {
    /// The app's name for the account.
    pub app_username: String,
    /// The platform's name for the account.
    pub username: String,
    /// The password.
    pub password: String,
    /// Whether the account is enabled.
    pub status: AccountStatus,
    /// The real-name verification.
    pub auth_status: AuthType,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("app_username", &self.app_username)
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("status", &self.status)
            .field("auth_status", &self.auth_status)
            .finish()
    }
}

/// The request of `userAuth` (endpoint 20): record a main account's real-name
/// verification. Name the account by `username` or `app_username` (one is required).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SyncUserAuthRequest {
    /// The platform's name for the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The app's name for the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
    /// The verification.
    pub auth_type: AuthType,
    /// The verified person's or company's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_name: Option<String>,
    /// The verified ID or business licence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no: Option<String>,
    /// The VSP flag (a string here, unlike in `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsp: Option<String>,
}

/// A main account's verification after `userAuth` (endpoint 20).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserAuthStatus {
    /// The platform's name for the account.
    pub username: String,
    /// The verification.
    pub auth_status: AuthType,
}

/// The request of `proxy/user` (endpoint 21): create or update a proxy user (a
/// sub-account of a main account). Name the main account by `main_username` or
/// `app_main_username` (one is required). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpsertProxyUserRequest {
    /// The app's name for the proxy user (at most 32 characters; generated when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
    /// The password (generated when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The flow limit, in MB.
    pub limit_flow: i64,
    /// The platform's name for the main account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_username: Option<String>,
    /// The app's name for the main account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_main_username: Option<String>,
    /// A remark (at most 255 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Whether the proxy user is enabled.
    pub status: AccountStatus,
}

impl fmt::Debug for UpsertProxyUserRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertProxyUserRequest")
            .field("app_username", &self.app_username)
            .field("password", &redact::opt(&self.password))
            .field("limit_flow", &self.limit_flow)
            .field("main_username", &self.main_username)
            .field("app_main_username", &self.app_main_username)
            .field("remark", &self.remark)
            .field("status", &self.status)
            .finish()
    }
}

/// The request of `proxy/user/info` (endpoint 22): one proxy user of a product.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProxyUserRequest {
    /// The product.
    pub product_no: String,
    /// The app's name for the proxy user.
    pub app_username: String,
}

impl ProxyUserRequest {
    /// The proxy user `app_username` of product `product_no`.
    #[must_use]
    pub fn new(product_no: impl Into<String>, app_username: impl Into<String>) -> Self {
        Self {
            product_no: product_no.into(),
            app_username: app_username.into(),
        }
    }
}

/// A proxy user of a product (endpoint 22). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ProxyUser {
    /// The product.
    pub product_no: String,
    /// The app's name for the proxy user.
    pub app_username: String,
    /// The platform's name for the proxy user.
    pub username: String,
    /// The flow limit, in bytes (-1: none).
    #[serde(deserialize_with = "crate::de::int")]
    pub limit_flow: i64,
    /// The flow used, in bytes.
    #[serde(deserialize_with = "crate::de::int")]
    pub use_flow: i64,
    /// The password.
    pub password: String,
    /// The remark.
    pub remark: String,
    /// Whether the proxy user is enabled.
    pub status: AccountStatus,
}

impl ProxyUser {
    /// Whether the proxy user has no flow limit (`limit_flow` is -1).
    #[must_use]
    pub fn is_unlimited(&self) -> bool {
        self.limit_flow == SetProxyUserFlowLimitRequest::UNLIMITED
    }
}

impl fmt::Debug for ProxyUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUser")
            .field("product_no", &self.product_no)
            .field("app_username", &self.app_username)
            .field("username", &self.username)
            .field("limit_flow", &self.limit_flow)
            .field("use_flow", &self.use_flow)
            .field("password", &REDACTED)
            .field("remark", &self.remark)
            .field("status", &self.status)
            .finish()
    }
}

/// The request of `proxy/user/flow/limit` (endpoint 23): set a proxy user's flow limit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SetProxyUserFlowLimitRequest {
    /// The product.
    pub product_no: String,
    /// The app's name for the proxy user.
    pub app_username: String,
    /// The limit, in bytes ([`Self::UNLIMITED`], -1, for none).
    pub limit_flow: i64,
    /// A remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

impl SetProxyUserFlowLimitRequest {
    /// The `limit_flow` that means "no limit".
    pub const UNLIMITED: i64 = -1;

    /// Limits proxy user `app_username` of `product_no` to `limit_bytes` (-1: none).
    #[must_use]
    pub fn new(
        product_no: impl Into<String>,
        app_username: impl Into<String>,
        limit_bytes: i64,
    ) -> Self {
        Self {
            product_no: product_no.into(),
            app_username: app_username.into(),
            limit_flow: limit_bytes,
            remark: None,
        }
    }
}

/// The answer of an endpoint that returns only a status code (endpoint 23).
///
/// Decodes from anything (an absent or empty `data` included); serialises as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct NoData;

impl Serialize for NoData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for NoData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| NoData)
    }
}

/// The request of `proxy/info` (endpoint 24): a main account's dynamic balance for a
/// product. Name the account by `username` or `app_username` (one is required).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProxyBalanceRequest {
    /// The platform's name for the main account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The app's name for the main account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
    /// The proxy type (104 or 105).
    pub proxy_type: ProxyType,
    /// The product.
    pub product_no: String,
}

impl ProxyBalanceRequest {
    /// The balance of the main account the app calls `app_username`.
    #[must_use]
    pub fn for_app_user(
        app_username: impl Into<String>,
        proxy_type: ProxyType,
        product_no: impl Into<String>,
    ) -> Self {
        Self {
            username: None,
            app_username: Some(app_username.into()),
            proxy_type,
            product_no: product_no.into(),
        }
    }
}

/// A main account's dynamic balances (endpoint 24).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ProxyBalance {
    /// One entry per product.
    #[serde(deserialize_with = "crate::de::vec")]
    pub list: Vec<ProxyBalanceItem>,
}

/// A main account's balance for one dynamic product.
///
/// `used`, `total` and `balance` are megabytes as the server's decimal text (strings in
/// the Go SDK, a number for `total` in the document: both decode, as text).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProxyBalanceItem {
    /// Flow used, in MB.
    #[serde(default, deserialize_with = "crate::de::text")]
    pub used: String,
    /// Flow bought, in MB.
    #[serde(default, deserialize_with = "crate::de::text")]
    pub total: String,
    /// Flow left, in MB.
    #[serde(deserialize_with = "crate::de::text")]
    pub balance: String,
    /// The IP whitelist.
    #[serde(default, rename = "ipWhiteList", deserialize_with = "crate::de::vec")]
    pub ip_whitelist: Vec<String>,
    /// The product.
    #[serde(default)]
    pub product_no: String,
    /// IPs used (products sold by IP count).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub ip_used: i64,
    /// IPs bought (products sold by IP count).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub ip_total: i64,
}

/// The request of `proxy/draw/pwd` (endpoint 25): draw proxies that authenticate by
/// username and password.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DrawWithPasswordRequest {
    /// The app's name for the proxy user.
    pub app_username: String,
    /// Where to exit: a continent, country, state or city code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_code: Option<String>,
    /// How long a session keeps its address, 1 to 120 minutes (default 5). A string on
    /// the wire (`"5"`); decodes from a string or a number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::de::opt_int_string"
    )]
    pub sess_time: Option<u32>,
    /// How many proxies (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num: Option<u32>,
    /// The proxy type (104 or 105).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_type: Option<ProxyType>,
    /// The proxy user's flow limit (applies when above 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_flow_limit: Option<i64>,
    /// The product.
    pub product_no: String,
}

impl DrawWithPasswordRequest {
    /// The shortest session the platform accepts, in minutes.
    pub const MIN_SESS_TIME: u32 = 1;
    /// The longest session the platform accepts, in minutes.
    pub const MAX_SESS_TIME: u32 = 120;

    /// One proxy of `product_no` for proxy user `app_username`, with the defaults.
    #[must_use]
    pub fn new(app_username: impl Into<String>, product_no: impl Into<String>) -> Self {
        Self {
            app_username: app_username.into(),
            product_no: product_no.into(),
            ..Self::default()
        }
    }
}

/// Proxies drawn by password (endpoint 25).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DrawnProxies {
    /// The proxies.
    #[serde(deserialize_with = "crate::de::vec")]
    pub list: Vec<DrawnProxy>,
}

/// One drawn proxy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DrawnProxy {
    /// The proxy's address.
    pub proxy_url: String,
    /// Further addresses.
    #[serde(deserialize_with = "crate::de::vec")]
    pub list: Vec<String>,
}

/// The request of `proxy/draw/api` (endpoint 26): a URL that hands out proxies to
/// whitelisted addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DrawApiUrlRequest {
    /// The app's name for the main account.
    pub app_username: String,
    /// The proxy type (104 or 105).
    pub proxy_type: ProxyType,
    /// How many proxies per call (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num: Option<u32>,
    /// Where to exit: a continent, country, state or city code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_code: Option<String>,
    /// `"socks5"` (default) or `"http"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `"txt"` (default) or `"json"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_type: Option<String>,
    /// For `txt`: 1 `\r\n` (default), 2 `/br`, 3 `\r`, 4 `\n`, 5 `\t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<u8>,
    /// A flow limit (applies when above 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_flow_limit: Option<i64>,
    /// The product.
    pub product_no: String,
}

impl DrawApiUrlRequest {
    /// A URL for main account `app_username`'s product `product_no`, with the defaults.
    #[must_use]
    pub fn new(
        app_username: impl Into<String>,
        proxy_type: ProxyType,
        product_no: impl Into<String>,
    ) -> Self {
        Self {
            app_username: app_username.into(),
            proxy_type,
            product_no: product_no.into(),
            ..Self::default()
        }
    }
}

/// Draw URLs (endpoint 26).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DrawApiUrls {
    /// The URLs.
    #[serde(deserialize_with = "crate::de::vec")]
    pub list: Vec<DrawApiUrl>,
}

/// One draw URL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DrawApiUrl {
    /// The URL to call for proxies.
    pub proxy_url: String,
}

/// The request of `proxy/flow/use/log` (endpoint 27): a page of a main account's flow
/// usage for a product.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FlowUsageLogRequest {
    /// The app's name for the main account.
    pub app_username: String,
    /// Usage from this time (default: 7 days ago).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::opt_query_time"
    )]
    pub start_time: Option<QueryTime>,
    /// Usage until this time (default: today).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::opt_query_time"
    )]
    pub end_time: Option<QueryTime>,
    /// The product.
    pub product_no: String,
    /// The page (from 1; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Entries per page (default 10, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

impl FlowUsageLogRequest {
    /// The first page of main account `app_username`'s usage of `product_no`.
    #[must_use]
    pub fn new(app_username: impl Into<String>, product_no: impl Into<String>) -> Self {
        Self {
            app_username: app_username.into(),
            product_no: product_no.into(),
            ..Self::default()
        }
    }
}

/// One entry of the flow usage log (endpoint 27). Amounts are bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FlowUsage {
    /// Flow used, in bytes.
    #[serde(deserialize_with = "crate::de::int")]
    pub used: i64,
    /// Flow in total, in bytes.
    #[serde(deserialize_with = "crate::de::int")]
    pub total: i64,
    /// Flow left, in bytes.
    #[serde(deserialize_with = "crate::de::int")]
    pub balance: i64,
    /// When it was used, as seconds (Unix time).
    #[serde(deserialize_with = "crate::de::int")]
    pub used_time: u64,
    /// The product.
    #[serde(default)]
    pub product_no: String,
}

/// The request of `proxy/addIpWhiteList` (endpoint 28): allow an address to use a main
/// account's dynamic proxies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AddIpWhitelistRequest {
    /// The app's name for the main account.
    pub app_username: String,
    /// The address.
    pub ip: String,
    /// The proxy type (104 or 105).
    pub proxy_type: ProxyType,
    /// The product.
    pub product_no: String,
}

impl AddIpWhitelistRequest {
    /// Allows `ip` for main account `app_username`'s product `product_no`.
    #[must_use]
    pub fn new(
        app_username: impl Into<String>,
        ip: impl Into<String>,
        proxy_type: ProxyType,
        product_no: impl Into<String>,
    ) -> Self {
        Self {
            app_username: app_username.into(),
            ip: ip.into(),
            proxy_type,
            product_no: product_no.into(),
        }
    }
}

/// The request of `proxy/delIpWhiteList` (endpoint 29): remove an address from the
/// whitelist.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RemoveIpWhitelistRequest {
    /// The app's name for the main account.
    pub app_username: String,
    /// The address.
    pub ip: String,
    /// The proxy type (104 or 105). Optional on the wire (the document: `可选 默认104`):
    /// missing decodes as 0, and the platform assumes 104 for 0.
    #[serde(default)]
    pub proxy_type: ProxyType,
    /// The product.
    pub product_no: String,
}

impl RemoveIpWhitelistRequest {
    /// Removes `ip` from main account `app_username`'s product `product_no`.
    #[must_use]
    pub fn new(
        app_username: impl Into<String>,
        ip: impl Into<String>,
        proxy_type: ProxyType,
        product_no: impl Into<String>,
    ) -> Self {
        Self {
            app_username: app_username.into(),
            ip: ip.into(),
            proxy_type,
            product_no: product_no.into(),
        }
    }
}

/// A whitelist after a change (endpoints 28 and 29).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IpWhitelist {
    /// The addresses now allowed.
    #[serde(rename = "ipWhiteList", deserialize_with = "crate::de::vec")]
    pub ip_whitelist: Vec<String>,
}

/// The request of `proxy/return` (endpoint 30): give unused dynamic flow or IPs back
/// for a refund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReturnDynamicProxyRequest {
    /// The app's name for the main account.
    pub app_username: String,
    /// The proxy type (104 or 105).
    pub proxy_type: ProxyType,
    /// The product.
    pub product_no: String,
    /// IPs to return (products sold by IP count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_num: Option<u64>,
    /// Flow to return, in MB (products sold by flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_num: Option<u64>,
    /// A remark (at most 250 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// The refund for returned dynamic proxies (endpoint 30).
///
/// `returnAmount` is a JSON number (a Go float64) on the wire, the one amount of money
/// that is not a string. It decodes through its shortest decimal text, so `1.1` is
/// exactly `1.1`, and encodes as a JSON number again so Go clients can read it (as a
/// decimal string only when a float cannot hold the amount exactly).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ReturnedProxy {
    /// The refund, in yuan.
    #[serde(serialize_with = "crate::money::as_json_number")]
    pub return_amount: Money,
}

with_fields!(UpsertUserRequest {
    with_app_username(app_username): some_into String;
    with_password(password): some_into String;
    with_phone(phone): into String;
    with_email(email): into String;
    with_auth_type(auth_type): set AuthType;
    with_auth_name(auth_name): some_into String;
    with_no(no): into String;
    with_vsp(vsp): some u8;
    with_status(status): set AccountStatus;
});

impl SyncUserAuthRequest {
    /// Records verification `auth_type` for the main account the app calls
    /// `app_username`.
    #[must_use]
    pub fn for_app_user(app_username: impl Into<String>, auth_type: AuthType) -> Self {
        Self {
            app_username: Some(app_username.into()),
            auth_type,
            ..Self::default()
        }
    }

    /// Records verification `auth_type` for the main account the platform calls
    /// `username`.
    #[must_use]
    pub fn for_user(username: impl Into<String>, auth_type: AuthType) -> Self {
        Self {
            username: Some(username.into()),
            auth_type,
            ..Self::default()
        }
    }
}

with_fields!(SyncUserAuthRequest {
    with_username(username): some_into String;
    with_app_username(app_username): some_into String;
    with_auth_type(auth_type): set AuthType;
    with_auth_name(auth_name): some_into String;
    with_no(no): some_into String;
    with_vsp(vsp): some_into String;
});

with_fields!(UpsertProxyUserRequest {
    with_app_username(app_username): some_into String;
    with_password(password): some_into String;
    with_limit_flow(limit_flow): set i64;
    with_main_username(main_username): some_into String;
    with_app_main_username(app_main_username): some_into String;
    with_remark(remark): some_into String;
    with_status(status): set AccountStatus;
});

with_fields!(SetProxyUserFlowLimitRequest {
    with_remark(remark): some_into String;
});

with_fields!(ProxyBalanceRequest {
    with_username(username): some_into String;
    with_app_username(app_username): some_into String;
});

with_fields!(DrawWithPasswordRequest {
    with_address_code(address_code): some_into String;
    with_sess_time(sess_time): some u32;
    with_num(num): some u32;
    with_proxy_type(proxy_type): some ProxyType;
    with_max_flow_limit(max_flow_limit): some i64;
});

with_fields!(DrawApiUrlRequest {
    with_num(num): some u32;
    with_address_code(address_code): some_into String;
    with_protocol(protocol): some_into String;
    with_return_type(return_type): some_into String;
    with_delimiter(delimiter): some u8;
    with_max_flow_limit(max_flow_limit): some i64;
});

with_fields!(FlowUsageLogRequest {
    with_start_time(start_time): some QueryTime;
    with_end_time(end_time): some QueryTime;
    with_page(page): some u32;
    with_page_size(page_size): some u32;
});

impl ReturnDynamicProxyRequest {
    /// Returns nothing yet from main account `app_username`'s product `product_no`; add
    /// what to return with [`Self::with_ip_num`] or [`Self::with_flow_num`].
    #[must_use]
    pub fn new(
        app_username: impl Into<String>,
        proxy_type: ProxyType,
        product_no: impl Into<String>,
    ) -> Self {
        Self {
            app_username: app_username.into(),
            proxy_type,
            product_no: product_no.into(),
            ..Self::default()
        }
    }
}

with_fields!(ReturnDynamicProxyRequest {
    with_ip_num(ip_num): some u64;
    with_flow_num(flow_num): some u64;
    with_remark(remark): some_into String;
});
