//! The platform's callbacks, and the acknowledgement they expect.
//!
//! The platform calls the app's URL with `GET ?type={order|instance|product}&no=..&op=..`:
//! an order finished (`op` 1 open, 2 renew, 3 release), an instance changed, or a product
//! changed. The receiver answers [`CallbackAck::success`]; otherwise the platform calls
//! again. Callbacks are not signed: trust only what you then fetch from the API.
//!
//! ```
//! use ipv_types::{Callback, CallbackAck, CallbackKind, OrderType};
//!
//! let cb = Callback::parse_query("type=order&no=C20240429162339417081&op=1").unwrap();
//! assert_eq!(cb.kind, CallbackKind::Order);
//! assert_eq!(cb.no, "C20240429162339417081");
//! assert_eq!(cb.op, Some(OrderType::New));
//!
//! let ack = serde_json::to_string(&CallbackAck::success()).unwrap();
//! assert_eq!(ack, r#"{"code":"success","msg":""}"#);
//! ```

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::dict::OrderType;

/// The longest callback `no` accepted, in bytes (after percent-decoding). The platform's
/// numbers are about 20 characters; a longer `no` is refused at parsing, so an attacker
/// cannot make a receiver hold (or a store record) long keys.
pub const MAX_CALLBACK_NO_LEN: usize = 128;

/// What a callback is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackKind {
    /// `type=order`: an order finished; `no` is the platform's order number.
    Order,
    /// `type=instance`: an instance changed; `no` is its instance number.
    Instance,
    /// `type=product`: a product changed; `no` is its product number.
    Product,
}

impl CallbackKind {
    /// The `type` value on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CallbackKind::Order => "order",
            CallbackKind::Instance => "instance",
            CallbackKind::Product => "product",
        }
    }

    /// The kind for a `type` value (exact, lower case), if known.
    #[must_use]
    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "order" => Some(CallbackKind::Order),
            "instance" => Some(CallbackKind::Instance),
            "product" => Some(CallbackKind::Product),
            _ => None,
        }
    }
}

impl fmt::Display for CallbackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One callback from the platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Callback {
    /// What it is about.
    pub kind: CallbackKind,
    /// The order, instance or product number.
    pub no: String,
    /// For orders: what the order did (1 open, 2 renew, 3 release; other numbers are kept
    /// as `OrderType::Unknown`). For other kinds: `None` unless the platform sent a number.
    pub op: Option<OrderType>,
}

/// Why a callback query was rejected. Each variant names the parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackParseError {
    /// `type` is missing or empty.
    MissingType,
    /// `type` is not `order`, `instance` or `product` (the value, shortened).
    UnknownType(String),
    /// `no` is missing or empty.
    MissingNo,
    /// `no` is longer than [`MAX_CALLBACK_NO_LEN`] bytes (its length).
    NoTooLong(usize),
    /// An order callback without an `op`.
    MissingOp,
    /// `op` is not an integer (the value, shortened).
    InvalidOp(String),
    /// A parameter's percent-encoding is broken or does not decode to UTF-8.
    BadEncoding {
        /// The parameter's name (or the start of the broken pair).
        param: String,
    },
}

impl fmt::Display for CallbackParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackParseError::MissingType => f.write_str("callback query: `type` is missing"),
            CallbackParseError::UnknownType(t) => write!(
                f,
                "callback query: `type` {t:?} is not order, instance or product"
            ),
            CallbackParseError::MissingNo => f.write_str("callback query: `no` is missing"),
            CallbackParseError::NoTooLong(len) => write!(
                f,
                "callback query: `no` of {len} bytes is over the {MAX_CALLBACK_NO_LEN}-byte limit"
            ),
            CallbackParseError::MissingOp => {
                f.write_str("callback query: `op` is missing for an order callback")
            }
            CallbackParseError::InvalidOp(op) => {
                write!(f, "callback query: `op` {op:?} is not an integer")
            }
            CallbackParseError::BadEncoding { param } => {
                write!(f, "callback query: bad percent-encoding in {param:?}")
            }
        }
    }
}

impl std::error::Error for CallbackParseError {}

impl Callback {
    /// An order callback: order `no` finished an operation `op`.
    #[must_use]
    pub fn order(no: impl Into<String>, op: OrderType) -> Self {
        Self {
            kind: CallbackKind::Order,
            no: no.into(),
            op: Some(op),
        }
    }

    /// An instance callback: instance `no` changed.
    #[must_use]
    pub fn instance(no: impl Into<String>) -> Self {
        Self {
            kind: CallbackKind::Instance,
            no: no.into(),
            op: None,
        }
    }

    /// A product callback: product `no` changed.
    #[must_use]
    pub fn product(no: impl Into<String>) -> Self {
        Self {
            kind: CallbackKind::Product,
            no: no.into(),
            op: None,
        }
    }

    /// Parses the query string of a callback (`type=order&no=..&op=1`), with or without
    /// the leading `?`.
    ///
    /// Parameters may come in any order and are percent-decoded (`+` is a space); other
    /// parameters are ignored; when one repeats, the first wins.
    ///
    /// # Errors
    /// [`CallbackParseError`] naming the parameter: `type` missing, empty or unknown; `no`
    /// missing, empty or over [`MAX_CALLBACK_NO_LEN`] bytes; `op` missing on an order callback or not an integer; broken
    /// percent-encoding.
    pub fn parse_query(query: &str) -> Result<Self, CallbackParseError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut kind = None;
        let mut no = None;
        let mut op = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(raw_key).ok_or_else(|| CallbackParseError::BadEncoding {
                param: crate::de::clip(raw_key).to_owned(),
            })?;
            if raw_key == "no" && raw_value.len() > 3 * MAX_CALLBACK_NO_LEN && no.is_none() {
                // Even fully escaped, this cannot decode to an acceptable `no`: refuse it
                // before spending memory on decoding it.
                return Err(CallbackParseError::NoTooLong(raw_value.len()));
            }
            let slot = match key.as_str() {
                "type" => &mut kind,
                "no" => &mut no,
                "op" => &mut op,
                _ => continue,
            };
            if slot.is_none() {
                let value = percent_decode(raw_value)
                    .ok_or_else(|| CallbackParseError::BadEncoding { param: key.clone() })?;
                *slot = Some(value);
            }
        }

        let kind = match kind.as_deref().map(str::trim) {
            None | Some("") => return Err(CallbackParseError::MissingType),
            Some(t) => CallbackKind::from_wire(t)
                .ok_or_else(|| CallbackParseError::UnknownType(crate::de::clip(t).to_owned()))?,
        };
        let no = match no {
            Some(n) if !n.trim().is_empty() => n.trim().to_owned(),
            _ => return Err(CallbackParseError::MissingNo),
        };
        if no.len() > MAX_CALLBACK_NO_LEN {
            return Err(CallbackParseError::NoTooLong(no.len()));
        }
        let op = match op.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(
                v.parse::<i64>()
                    .map(OrderType::from_i64)
                    .map_err(|_| CallbackParseError::InvalidOp(crate::de::clip(v).to_owned()))?,
            ),
        };
        if kind == CallbackKind::Order && op.is_none() {
            return Err(CallbackParseError::MissingOp);
        }
        Ok(Self { kind, no, op })
    }

    /// The query string the platform would send for this callback, without the `?`:
    /// `type=order&no=C1&op=1`; `op=` is left empty when there is none, as the platform
    /// does for instance and product callbacks. `no` is percent-encoded.
    #[must_use]
    pub fn to_query(&self) -> String {
        let mut q = String::with_capacity(24 + self.no.len());
        q.push_str("type=");
        q.push_str(self.kind.as_str());
        q.push_str("&no=");
        percent_encode_into(&self.no, &mut q);
        q.push_str("&op=");
        if let Some(op) = self.op {
            q.push_str(&op.as_i64().to_string());
        }
        q
    }
}

impl fmt::Display for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query())
    }
}

/// Decodes `%XX` escapes and `+` (a space). `None` when an escape is broken or the
/// result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Appends `s` percent-encoded: everything but `A-Za-z0-9-._~` is escaped.
fn percent_encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// The body a callback receiver answers with: `{"code":"success","msg":""}` stops the
/// platform from calling again.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CallbackAck {
    /// `"success"` when the callback was handled.
    pub code: String,
    /// A message (empty on success).
    pub msg: String,
}

impl CallbackAck {
    /// The `code` that means "handled".
    pub const SUCCESS: &'static str = "success";

    /// `{"code":"success","msg":""}`: handled, do not call again.
    #[must_use]
    pub fn success() -> Self {
        Self {
            code: Self::SUCCESS.to_owned(),
            msg: String::new(),
        }
    }

    /// Not handled (the platform will call again), with a reason.
    #[must_use]
    pub fn failure(msg: impl Into<String>) -> Self {
        Self {
            code: "fail".to_owned(),
            msg: msg.into(),
        }
    }

    /// Whether the acknowledgement stops the platform from calling again.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.code == Self::SUCCESS
    }
}
