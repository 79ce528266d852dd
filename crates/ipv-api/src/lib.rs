//! Client for the ipipv open API v2.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod callback;
mod client;
pub mod codec;
pub mod endpoint;
mod error;
pub mod expiry;
pub mod paginate;
pub mod pricing;
mod req_id;
pub mod retry;
pub mod validate;
mod wait;

pub use client::{
    BuildError, Client, ClientBuilder, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, Environment, Reply,
};
pub use endpoint::{ENDPOINTS, Endpoint, EndpointInfo};
pub use error::{ApiError, Error, HTTP_BODY_LIMIT, InvalidInput};
pub use expiry::{ExpiryError, expires_at};
pub use pricing::{EstimateError, estimate_cost};
pub use req_id::ReqIdProvider;
pub use retry::RetryPolicy;
pub use wait::{ProgressFn, WaitOptions};
