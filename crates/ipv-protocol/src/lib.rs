//! The ipipv open API v2 wire layer that the client and the emulator share, side by side:
//!
//! - [`codec`]: JSON <-> AES-CBC <-> base64 <-> envelope, for both directions (a client
//!   seals requests and opens responses; a server does the reverse);
//! - [`endpoint`]: the [`Endpoint`] trait and the table of all 30 endpoints
//!   ([`ENDPOINTS`], and [`for_each_endpoint!`] for code generated from it);
//! - [`validate`]: the document's rules for each request, returned as [`InvalidInput`].
//!
//! Everything here is pure and synchronous: no I/O, no runtime, so it can be benchmarked,
//! fuzzed and embedded anywhere. `ipv-api` builds the client on it and `ipv-emulator` the
//! platform; neither depends on the other.
//!
//! ```
//! use ipv_protocol::{Endpoint, codec};
//! use ipv_types::{ApiCode, ProductRequest};
//!
//! let key = ipv_crypto::Key::new(b"qwertyuiop123456")?;
//! let request = ProductRequest::new("p1");
//! request.validate()?;
//! let body = codec::seal_request(&key, "AK20240708150154", "req-1", Some(&request))?;
//!
//! // The server side: find the endpoint by path, open the parameters, answer.
//! assert_eq!(ipv_protocol::endpoint::by_path(ProductRequest::PATH).unwrap().name, "product");
//! let envelope = codec::parse_request_envelope(&body)?;
//! let opened: ProductRequest = codec::open_request_params(&key, &envelope)?;
//! assert_eq!(opened.product_no, "p1");
//! let reply = codec::seal_response(&key, &envelope.req_id, ApiCode::Ok, "ok", Some(&"done"))?;
//! assert_eq!(codec::open_response::<String>(&key, &reply)?.data.as_deref(), Some("done"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod endpoint;
pub mod validate;

use std::fmt;

pub use endpoint::{ENDPOINTS, Endpoint, EndpointInfo};

/// A request that breaks one of the document's rules; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// The offending field, in the wire's spelling, with its position in lists
    /// (`params[1].count`).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidInput {
    /// A new validation failure for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.field, self.reason)
    }
}

impl std::error::Error for InvalidInput {}

/// This crate's README example, compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
