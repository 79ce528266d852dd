//! Client for the ipipv open API v2: the wire codec, all 30 endpoints, retries,
//! pagination, order waiting and callbacks.
//!
//! - [`Client`] (built with [`Client::builder`]) has one async method per endpoint
//!   (`products`, `open_instances`, `order`, …, generated from the table in
//!   [`endpoint`]), a generic [`Client::send`] for any [`Endpoint`], and
//!   [`Client::send_raw`] for endpoints this crate does not know yet.
//! - [`codec`], [`endpoint`] and [`validate`] are the wire layer of the `ipv-protocol`
//!   crate, re-exported here: pure and synchronous, and shared with the emulator.
//! - [`Error`] says for every failure whether the request may have reached the
//!   platform; retries ([`RetryPolicy`]) resend the same reqId and body.
//! - [`paginate`] streams paged lists; [`Client::wait_for_order`] waits for an order to
//!   finish; [`pricing`] and [`expiry`] compute costs and expiry dates locally;
//!   [`callback`] receives the platform's callbacks.
//!
//! ```
//! use ipv_api::{Client, codec};
//! use ipv_transport::http::StatusCode;
//! use ipv_transport::test_util::{CaptureTransport, json_response};
//! use ipv_types::{ApiCode, ProductRequest};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // A stand-in platform answering every call with one product, sealed like the real one.
//! let key = ipv_crypto::Key::new(b"qwertyuiop123456")?;
//! let platform = CaptureTransport::with_responder(move |request| {
//!     let envelope = codec::parse_request_envelope(request.body()).unwrap();
//!     let product = serde_json::json!({"productNo": "p1", "proxyType": 103, "costPrice": "2.00", "inventory": 5});
//!     let body = codec::seal_response(&key, &envelope.req_id, ApiCode::Ok, "ok", Some(&product));
//!     json_response(StatusCode::OK, body.unwrap())
//! });
//!
//! let client = Client::builder()
//!     .base_url("https://sandbox.ipipv.com")
//!     .app_key("AK20240708150154")
//!     .app_secret("qwertyuiop123456")
//!     .transport(platform.clone())
//!     .build()?;
//! let product = client.product(&ProductRequest::new("p1")).await?;
//! assert_eq!(product.cost_price.to_string(), "2.00");
//! assert_eq!(platform.requests()[0].uri().path(), "/api/open/app/product/info/v2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Features
//! - `hyper` (default): the default transport, `ipv_transport::HyperTransport`.
//! - `server` (default): [`callback::CallbackServer`], a ready hyper server.
//! - `blocking`: `blocking::Client` (documented when the feature is on), the same
//!   client for programs without an async runtime (it owns one).
//!
//! # Tracing
//! Every call runs in an `ipv_api.call` span with the endpoint name, the reqId, the
//! attempts, the outcome and the HTTP status; callbacks in `ipv_api.callback`. Neither
//! records the app secret or any payload.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
pub mod callback;
mod client;
mod error;
pub mod expiry;
mod methods;
pub mod paginate;
pub mod pricing;
mod req_id;
pub mod retry;
mod wait;

pub use ipv_protocol::{codec, endpoint, validate};

pub use client::{
    BuildError, Client, ClientBuilder, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, Environment, Reply,
};
pub use endpoint::{ENDPOINTS, Endpoint, EndpointInfo};
pub use error::{ApiError, Error, HTTP_BODY_LIMIT, InvalidInput, SERVER_TEXT_LIMIT};
pub use expiry::{ExpiryError, expires_at};
pub use pricing::{EstimateError, estimate_cost};
pub use req_id::ReqIdProvider;
pub use retry::RetryPolicy;
pub use wait::{MIN_POLL_INTERVAL, ProgressFn, PurchaseIntent, WaitOptions};

/// This crate's README (async and blocking examples), compiled as doctests.
#[cfg(all(doctest, feature = "blocking"))]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;

/// The workspace README's library example, compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
