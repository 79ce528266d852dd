//! The outer JSON of every call: the request envelope the client POSTs and the
//! response envelope the platform answers with.

use serde::{Deserialize, Serialize};

use crate::code::ApiCode;

/// The protocol version this SDK sends (the Go SDK's spelling; servers accept `"2.0"` too).
pub const VERSION: &str = "v2";
/// The cipher name this SDK sends (servers compare case-insensitively).
pub const ENCRYPT_AES: &str = "AES";

/// The body of every request: `params` is base64(AES-CBC(JSON of the endpoint's request)),
/// or empty when the endpoint takes no parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestEnvelope {
    /// Protocol version: `"v2"` (Go SDK) or `"2.0"` (Java SDK, the document).
    #[serde(default)]
    pub version: String,
    /// Cipher name, `"AES"` or `"aes"`.
    #[serde(default)]
    pub encrypt: String,
    /// The app's public id (the Go SDK calls it `appId`).
    #[serde(default, alias = "appId")]
    pub app_key: String,
    /// Request id: new per logical request, unchanged when a failed request is retried.
    #[serde(default)]
    pub req_id: String,
    /// The sealed parameters.
    #[serde(default)]
    pub params: String,
}

impl RequestEnvelope {
    /// Whether `encrypt` names AES, compared case-insensitively as servers do.
    #[must_use]
    pub fn is_aes(&self) -> bool {
        self.encrypt.eq_ignore_ascii_case(ENCRYPT_AES)
    }

    /// Whether `version` is one a v2 server accepts (`"v2"` or `"2.0"`).
    #[must_use]
    pub fn is_v2(&self) -> bool {
        matches!(self.version.as_str(), "v2" | "2.0" | "V2")
    }
}

/// The body of every response: `data` is base64(AES-CBC(JSON)) or empty when the call
/// returns only a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    /// The request id the server saw.
    #[serde(default)]
    pub req_id: String,
    /// The status code; [`ApiCode::Ok`] (200) is success.
    pub code: ApiCode,
    /// The server's message.
    #[serde(default)]
    pub msg: String,
    /// The sealed response, or empty.
    #[serde(default, deserialize_with = "crate::envelope::null_as_empty")]
    pub data: String,
}

pub(crate) fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}
