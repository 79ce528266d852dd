//! Client for the ipipv open API v2.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
