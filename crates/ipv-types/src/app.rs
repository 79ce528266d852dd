//! Endpoint 1, `info`: the app's own account.

use serde::de::{Deserializer, IgnoredAny};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::dict::{AppBridge, AppStatus};
use crate::money::Money;

/// The request of `info` (endpoint 1). It has no parameters: the envelope's `params` is
/// the empty string.
///
/// If serialised anyway it writes `{}`; it decodes from anything (a server ignores the
/// parameters of this call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct AppInfoRequest;

impl Serialize for AppInfoRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for AppInfoRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| AppInfoRequest)
    }
}

/// The app's account (endpoint 1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppInfo {
    /// The app's name.
    pub app_name: String,
    /// The balance, in yuan.
    pub coin: Money,
    /// Whether purchases use the bridge by default.
    #[serde(default)]
    pub use_bridge: AppBridge,
    /// The URL the platform calls back.
    #[serde(default)]
    pub callback_url: String,
    /// The credit line, in yuan, when the platform grants one (the Go SDK's field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<Money>,
    /// Whether the app is enabled.
    #[serde(default)]
    pub status: AppStatus,
    /// Fields this SDK does not know yet, kept so nothing the vendor adds is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
