//! The one error type of every call, and what each case says about whether the request
//! may have reached the platform.

use std::fmt;
use std::time::Duration;

use ipv_transport::TransportError;
use ipv_types::text::{ForTerminal, for_terminal_bounded};
use ipv_types::{ApiCode, OrderStatus};

use crate::codec::{DecodeError, EncodeError};

pub use ipv_protocol::InvalidInput;

/// The platform answered with a code other than 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code; match on it (unknown numbers are kept in [`ApiCode::Unknown`]).
    pub code: ApiCode,
    /// The platform's message.
    pub msg: String,
    /// The reqId of the call.
    pub req_id: String,
}

impl fmt::Display for ApiError {
    /// The message is the platform's text: control characters in it are shown as escapes
    /// and it is cut to [`SERVER_TEXT_LIMIT`] characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error {}", self.code)?;
        if !self.msg.is_empty() {
            write!(
                f,
                ": {}",
                for_terminal_bounded(&self.msg, SERVER_TEXT_LIMIT)
            )?;
        }
        write!(f, " (reqId {})", self.req_id)
    }
}

impl std::error::Error for ApiError {}

/// HTTP bodies kept in [`Error::Http`] are cut to this many bytes.
pub const HTTP_BODY_LIMIT: usize = 2048;

/// Short texts from the server that an error quotes (an echoed reqId or order number, a
/// `Location`, the API's `msg` in `Display`) are cut to this many characters.
pub const SERVER_TEXT_LIMIT: usize = 256;

/// `text` cut to [`SERVER_TEXT_LIMIT`] characters (on a character boundary), as kept in
/// an error; `Display` neutralises it further.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(SERVER_TEXT_LIMIT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Everything a call can fail with.
///
/// Each variant says whether the request may have reached the platform; ask
/// [`Error::may_have_been_sent`] in code. Errors carry the reqId of the call whenever
/// one was made ([`Error::req_id`]), never the app secret or a decrypted payload.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request broke a documented rule. Nothing was sent.
    InvalidInput(InvalidInput),
    /// The request could not be serialised. Nothing was sent.
    Encode(EncodeError),
    /// The HTTP exchange failed. The request may have been sent, unless the transport
    /// reports a connect failure.
    Transport {
        /// The transport's error (its kind says connect / timeout / I/O / …).
        source: TransportError,
        /// The reqId of the call.
        req_id: String,
    },
    /// No response came within the per-request timeout. The request may have been sent.
    Timeout {
        /// The timeout that passed.
        after: Duration,
        /// The reqId of the call.
        req_id: String,
    },
    /// The server answered with HTTP status >= 400. The request reached a server (maybe
    /// a proxy or load balancer in front of the platform).
    Http {
        /// The HTTP status code.
        status: u16,
        /// The response body, lossily decoded as UTF-8 and cut to
        /// [`HTTP_BODY_LIMIT`] bytes.
        body: String,
        /// The reqId of the call.
        req_id: String,
    },
    /// The server answered with a redirect (HTTP 3xx), which the client does not follow:
    /// a request to a payment API is not re-sent to wherever an answer points. The
    /// request reached a server (maybe not the platform) and may have been applied.
    Redirect {
        /// The HTTP status code (300..=399).
        status: u16,
        /// The `Location` header, cut to [`SERVER_TEXT_LIMIT`] characters (`None` when
        /// there was none or it was not text).
        location: Option<String>,
        /// The reqId of the call.
        req_id: String,
    },
    /// The answer names another reqId than the one sent (or, with code 200, none): it may
    /// be the answer to another request (a misrouting proxy, a replay), so nothing in it
    /// is believed. (An error code without any reqId, as a server answers a request it
    /// could not read, is reported as that [`Error::Api`].) The request
    /// reached a server and may have been applied: look it up before sending it again
    /// under a new reqId.
    ReqIdMismatch {
        /// The reqId sent.
        req_id: String,
        /// The reqId the answer named, cut to [`SERVER_TEXT_LIMIT`] characters (empty
        /// when it named none).
        answered: String,
    },
    /// A purchase's receipt (open, renew, release, after-sale) names another order number
    /// of the caller's than the one sent: the answer belongs to another order. The
    /// purchase was sent and may have been applied: look the order up by its own number
    /// before anything else.
    OrderMismatch {
        /// The caller's order number sent (`appOrderNo`, or `orderNo` for releases).
        sent: String,
        /// The caller's order number the receipt named, cut to [`SERVER_TEXT_LIMIT`]
        /// characters.
        answered: String,
        /// The platform's order number in the receipt, cut likewise.
        platform_order_no: String,
        /// The reqId of the call.
        req_id: String,
    },
    /// An order lookup (`order`, and so every poll of
    /// [`Client::wait_for_order`](crate::Client::wait_for_order)) was answered with
    /// another order than the one asked for: another `orderNo`, or another `appOrderNo`
    /// than the one the lookup named. Nothing in the answer is believed.
    WrongOrder {
        /// The platform's order number asked for.
        asked: String,
        /// The caller's order number the lookup named, if any.
        asked_app_order_no: Option<String>,
        /// The platform's order number answered, cut to [`SERVER_TEXT_LIMIT`] characters.
        answered: String,
        /// The caller's order number answered, cut likewise.
        answered_app_order_no: String,
        /// The reqId of the call.
        req_id: String,
    },
    /// The platform answered a purchase with an order that does not match what was sent
    /// (another product, count, order type or set of instances): the caller's order
    /// number was used before, for another purchase, and the platform answered with that
    /// one (see [`Client::wait_for_purchase`](crate::Client::wait_for_purchase)). What
    /// was sent was not bought under this number; the order found is the earlier one.
    OrderReused {
        /// The caller's order number (`appOrderNo`, or `orderNo` for releases).
        app_order_no: String,
        /// The platform's order number of the order found, cut to [`SERVER_TEXT_LIMIT`].
        order_no: String,
        /// What the purchase asked for (`open of 1 x P2`).
        sent: String,
        /// What the order found holds, cut to [`SERVER_TEXT_LIMIT`] characters.
        found: String,
    },
    /// The response could not be opened. The request reached the platform and may have
    /// been applied (a purchase whose answer could not be read may still have been made).
    Decode {
        /// Which stage failed (envelope JSON, base64, decrypt, payload JSON + path).
        source: DecodeError,
        /// The reqId of the call.
        req_id: String,
    },
    /// The platform answered with a non-200 code. The request reached the platform.
    Api(ApiError),
    /// A paged listing did not advance (the server repeated a page, answered another
    /// page than the one asked for, or never ended). Requests reached the platform.
    Pagination {
        /// The endpoint being paged.
        endpoint: &'static str,
        /// What the guard saw.
        reason: String,
    },
    /// [`Client::wait_for_order`](crate::Client::wait_for_order) passed its deadline
    /// before the order reached a final status. Requests reached the platform.
    WaitTimedOut {
        /// The order waited for.
        order_no: String,
        /// The last status seen, if any poll succeeded.
        last_status: Option<OrderStatus>,
        /// How long the wait lasted.
        waited: Duration,
    },
}

impl Error {
    /// Whether the request may have reached the platform (and so may have taken effect).
    #[must_use]
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Self::InvalidInput(_) | Self::Encode(_) => false,
            Self::Transport { source, .. } => !source.is_connect(),
            Self::Timeout { .. }
            | Self::Http { .. }
            | Self::Redirect { .. }
            | Self::ReqIdMismatch { .. }
            | Self::OrderMismatch { .. }
            | Self::WrongOrder { .. }
            | Self::OrderReused { .. }
            | Self::Decode { .. }
            | Self::Api(_)
            | Self::Pagination { .. }
            | Self::WaitTimedOut { .. } => true,
        }
    }

    /// The reqId of the call, when a request was built.
    #[must_use]
    pub fn req_id(&self) -> Option<&str> {
        match self {
            Self::InvalidInput(_)
            | Self::Encode(_)
            | Self::Pagination { .. }
            | Self::OrderReused { .. }
            | Self::WaitTimedOut { .. } => None,
            Self::WrongOrder { req_id, .. } => Some(req_id),
            Self::Transport { req_id, .. }
            | Self::Timeout { req_id, .. }
            | Self::Http { req_id, .. }
            | Self::Redirect { req_id, .. }
            | Self::ReqIdMismatch { req_id, .. }
            | Self::OrderMismatch { req_id, .. }
            | Self::Decode { req_id, .. } => Some(req_id),
            Self::Api(e) => Some(&e.req_id),
        }
    }

    /// The platform's code, for [`Error::Api`].
    #[must_use]
    pub fn api_code(&self) -> Option<ApiCode> {
        match self {
            Self::Api(e) => Some(e.code),
            _ => None,
        }
    }

    /// The HTTP status, for [`Error::Http`].
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the same request might succeed if sent again unchanged: transport
    /// failures other than oversized bodies, timeouts, HTTP 429 and 5xx, and code 500.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::InvalidInput(_)
            | Self::Encode(_)
            | Self::Decode { .. }
            | Self::Redirect { .. }
            | Self::ReqIdMismatch { .. }
            | Self::OrderMismatch { .. }
            | Self::WrongOrder { .. }
            | Self::OrderReused { .. }
            | Self::Pagination { .. }
            | Self::WaitTimedOut { .. } => false,
            Self::Transport { source, .. } => {
                use ipv_transport::TransportErrorKind as Kind;
                matches!(source.kind(), Kind::Connect | Kind::Timeout | Kind::Io)
            }
            Self::Timeout { .. } => true,
            Self::Http { status, .. } => *status == 429 || (500..600).contains(status),
            Self::Api(e) => e.code.is_retryable(),
        }
    }

    pub(crate) fn redirect(status: u16, location: Option<&str>, req_id: &str) -> Self {
        Self::Redirect {
            status,
            location: location.map(bounded),
            req_id: req_id.to_owned(),
        }
    }

    pub(crate) fn req_id_mismatch(req_id: &str, answered: &str) -> Self {
        Self::ReqIdMismatch {
            req_id: req_id.to_owned(),
            answered: bounded(answered),
        }
    }

    pub(crate) fn order_mismatch(
        sent: &str,
        answered: &str,
        platform_order_no: &str,
        req_id: &str,
    ) -> Self {
        Self::OrderMismatch {
            sent: sent.to_owned(),
            answered: bounded(answered),
            platform_order_no: bounded(platform_order_no),
            req_id: req_id.to_owned(),
        }
    }

    pub(crate) fn wrong_order(
        asked: &str,
        asked_app_order_no: Option<&str>,
        answered: &str,
        answered_app_order_no: &str,
        req_id: &str,
    ) -> Self {
        Self::WrongOrder {
            asked: asked.to_owned(),
            asked_app_order_no: asked_app_order_no.map(str::to_owned),
            answered: bounded(answered),
            answered_app_order_no: bounded(answered_app_order_no),
            req_id: req_id.to_owned(),
        }
    }

    pub(crate) fn order_reused(
        app_order_no: &str,
        order_no: &str,
        sent: String,
        found: &str,
    ) -> Self {
        Self::OrderReused {
            app_order_no: app_order_no.to_owned(),
            order_no: bounded(order_no),
            sent,
            found: bounded(found),
        }
    }

    pub(crate) fn http(status: u16, body: &[u8], req_id: &str) -> Self {
        let mut cut = body.len().min(HTTP_BODY_LIMIT);
        // Cut on a character boundary where the body is UTF-8.
        while cut > 0 && cut < body.len() && (body[cut] & 0xC0) == 0x80 {
            cut -= 1;
        }
        let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
        if cut < body.len() {
            text.push_str("…[truncated]");
        }
        Self::Http {
            status,
            body: text,
            req_id: req_id.to_owned(),
        }
    }
}

impl fmt::Display for Error {
    /// Every text that came from the server (the API's `msg`, an HTTP body, a `Location`,
    /// an echoed number) is shown with its control characters as escapes, so printing an
    /// error cannot forge output lines or send terminal escape sequences.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(e) => write!(f, "{e} (nothing was sent)"),
            Self::Encode(e) => write!(f, "{e} (nothing was sent)"),
            Self::Transport { source, req_id } => {
                write!(f, "transport failed: {source} (reqId {req_id})")
            }
            Self::Timeout { after, req_id } => {
                write!(f, "no response within {after:?} (reqId {req_id})")
            }
            Self::Http {
                status,
                body,
                req_id,
            } => {
                write!(f, "HTTP status {status} (reqId {req_id})")?;
                if !body.is_empty() {
                    write!(f, ": {}", ForTerminal(body))?;
                }
                Ok(())
            }
            Self::Redirect {
                status,
                location,
                req_id,
            } => match location {
                Some(location) => write!(
                    f,
                    "HTTP status {status}: redirect to {} not followed; the request reached a server and may have been applied (reqId {req_id})",
                    for_terminal_bounded(location, SERVER_TEXT_LIMIT)
                ),
                None => write!(
                    f,
                    "HTTP status {status}: redirect without a Location not followed; the request reached a server and may have been applied (reqId {req_id})"
                ),
            },
            Self::ReqIdMismatch { req_id, answered } => write!(
                f,
                "the answer names reqId `{}`, not the reqId sent: it may belong to another request and was not believed; the request may have been applied (reqId {req_id})",
                for_terminal_bounded(answered, SERVER_TEXT_LIMIT)
            ),
            Self::OrderMismatch {
                sent,
                answered,
                platform_order_no,
                req_id,
            } => write!(
                f,
                "the receipt is for order `{}` (platform order `{}`), not for order `{}` that was sent: the answer belongs to another order; the purchase was sent and may have been applied (reqId {req_id})",
                for_terminal_bounded(answered, SERVER_TEXT_LIMIT),
                for_terminal_bounded(platform_order_no, SERVER_TEXT_LIMIT),
                ForTerminal(sent)
            ),
            Self::WrongOrder {
                asked,
                asked_app_order_no,
                answered,
                answered_app_order_no,
                req_id,
            } => {
                write!(f, "asked for order `{}`", ForTerminal(asked))?;
                if let Some(app) = asked_app_order_no {
                    write!(f, " (appOrderNo `{}`)", ForTerminal(app))?;
                }
                write!(
                    f,
                    " but the answer is order `{}` (appOrderNo `{}`): it belongs to another order and was not believed (reqId {req_id})",
                    for_terminal_bounded(answered, SERVER_TEXT_LIMIT),
                    for_terminal_bounded(answered_app_order_no, SERVER_TEXT_LIMIT)
                )
            }
            Self::OrderReused {
                app_order_no,
                order_no,
                sent,
                found,
            } => write!(
                f,
                "order number `{}` was used before with other parameters: sent {}, but the platform's order `{}` under that number is {}; nothing new was bought under it (use a new order number)",
                ForTerminal(app_order_no),
                ForTerminal(sent),
                for_terminal_bounded(order_no, SERVER_TEXT_LIMIT),
                for_terminal_bounded(found, SERVER_TEXT_LIMIT)
            ),
            Self::Decode { source, req_id } => write!(
                f,
                "{source}; the request reached the platform and may have been applied (reqId {req_id})"
            ),
            Self::Api(e) => e.fmt(f),
            Self::Pagination { endpoint, reason } => {
                write!(f, "paging `{endpoint}` stopped: {}", ForTerminal(reason))
            }
            Self::WaitTimedOut {
                order_no,
                last_status,
                waited,
            } => {
                write!(
                    f,
                    "order {} did not finish within {waited:?}",
                    ForTerminal(order_no)
                )?;
                match last_status {
                    Some(status) => write!(f, " (last status: {status})"),
                    None => f.write_str(" (no status seen)"),
                }
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidInput(e) => Some(e),
            Self::Encode(e) => Some(e),
            Self::Transport { source, .. } => Some(source),
            Self::Decode { source, .. } => Some(source),
            Self::Api(e) => Some(e),
            Self::Timeout { .. }
            | Self::Http { .. }
            | Self::Redirect { .. }
            | Self::ReqIdMismatch { .. }
            | Self::OrderMismatch { .. }
            | Self::WrongOrder { .. }
            | Self::OrderReused { .. }
            | Self::Pagination { .. }
            | Self::WaitTimedOut { .. } => None,
        }
    }
}

impl From<InvalidInput> for Error {
    fn from(e: InvalidInput) -> Self {
        Self::InvalidInput(e)
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_bodies_are_cut_on_char_boundaries() {
        let body = "é".repeat(HTTP_BODY_LIMIT);
        let err = Error::http(502, body.as_bytes(), "r");
        let Error::Http { body: kept, .. } = &err else {
            panic!("not an HTTP error")
        };
        assert!(kept.ends_with("…[truncated]"));
        assert!(kept.len() <= HTTP_BODY_LIMIT + "…[truncated]".len());
        assert!(!kept.contains('\u{fffd}'));
        assert!(err.is_retryable());
        assert_eq!(
            Error::http(404, b"nope", "r").to_string(),
            "HTTP status 404 (reqId r): nope"
        );
        assert!(!Error::http(404, b"", "r").is_retryable());
    }
}
