//! Test doubles: transports that answer from a script instead of the network.
//!
//! | type | answers with | records |
//! |---|---|---|
//! | [`ReplayTransport`] | the next response of an ordered list of [`ReplayEvent`]s | every request, to compare with the expected ones |
//! | [`CaptureTransport`] | one fixed response, or one made by a closure per request | every request |
//! | [`FnTransport`] | whatever a closure (sync or async) returns, errors included | nothing |
//! | [`NeverTransport`] | nothing, ever: the future stays pending (for timeout tests) | the number of calls |
//!
//! Every double is cheap to clone and clones share their state, so a test can hand one
//! clone to the code under test (as a [`SharedTransport`](crate::SharedTransport)) and
//! keep another for assertions. None of them panics inside `send`.
//!
//! ```
//! use std::sync::Arc;
//! use ipv_transport::http::StatusCode;
//! use ipv_transport::test_util::{json_post, json_response, ReplayEvent, ReplayTransport};
//! use ipv_transport::{HttpTransport, SharedTransport};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let replay = ReplayTransport::new([ReplayEvent::new(
//!     json_post("http://127.0.0.1/api/open/app/info/v2", r#"{"appKey":"k","reqId":"expected"}"#),
//!     json_response(StatusCode::OK, r#"{"code":200}"#),
//! )]);
//! let shared: SharedTransport = Arc::new(replay.clone());
//!
//! let sent = json_post("http://127.0.0.1/api/open/app/info/v2", r#"{"reqId":"random-1","appKey":"k"}"#);
//! let response = shared.send(sent).await.unwrap();
//! assert_eq!(response.body().as_ref(), br#"{"code":200}"#);
//!
//! // Same method, URI and JSON body once the random reqId is set aside.
//! replay.assert_requests_match_ignoring_req_id();
//! # });
//! ```

mod capture;
mod closure;
mod never;
mod replay;
mod responses;

pub use capture::CaptureTransport;
pub use closure::FnTransport;
pub use never::NeverTransport;
pub use replay::{ReplayEvent, ReplayMismatch, ReplayTransport};
pub use responses::{json_post, json_response, response, text_response};

use std::sync::{Mutex, MutexGuard};

/// Locks a double's state. A panic elsewhere (a failed assertion in another task) must
/// not turn every later `send` into a panic, so a poisoned lock is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
