//! Wire types of the ipipv open API v2.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod code;
pub mod envelope;

pub use code::ApiCode;
pub use envelope::{RequestEnvelope, ResponseEnvelope};
