//! [`ReplayTransport`]: answers from an ordered script and checks what was sent.

use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response};

use super::lock;
use crate::{BoxFuture, HttpTransport, TransportError};

/// One step of a replay: the request the code under test should send, and the response
/// it gets back.
#[derive(Debug, Clone)]
pub struct ReplayEvent {
    expected: Request<Bytes>,
    response: Response<Bytes>,
}

impl ReplayEvent {
    /// Expects `expected` and answers with `response`.
    #[must_use]
    pub fn new(expected: Request<Bytes>, response: Response<Bytes>) -> Self {
        Self { expected, response }
    }

    /// The request this step expects.
    #[must_use]
    pub fn expected_request(&self) -> &Request<Bytes> {
        &self.expected
    }

    /// The response this step answers with.
    #[must_use]
    pub fn response(&self) -> &Response<Bytes> {
        &self.response
    }
}

impl From<(Request<Bytes>, Response<Bytes>)> for ReplayEvent {
    fn from((expected, response): (Request<Bytes>, Response<Bytes>)) -> Self {
        Self::new(expected, response)
    }
}

/// A transport that answers the n-th request with the n-th scripted response, records
/// what was actually sent, and compares it with the script afterwards.
///
/// Responses are served in order whatever the request; the comparison happens in
/// [`assert_requests_match`](Self::assert_requests_match) and its variants, which report
/// every difference at once. A request beyond the script gets a
/// [`TransportError`] of kind [`Other`](crate::TransportErrorKind::Other) (never a panic)
/// and is still recorded, so the assertion names it too.
///
/// What is compared, request by request:
/// - the number of requests;
/// - method and full URI;
/// - each header present in the expected request, with the same values in the same order
///   (headers only in the actual request, such as `user-agent`, are ignored);
/// - the body: as JSON values when both bodies are JSON (key order and whitespace do not
///   matter), byte for byte otherwise. The variants loosen this.
#[derive(Clone)]
pub struct ReplayTransport {
    state: Arc<Mutex<ReplayState>>,
}

struct ReplayState {
    events: Vec<ReplayEvent>,
    actual: Vec<Request<Bytes>>,
}

/// How two bodies are compared.
enum BodyRule<'a> {
    Json,
    JsonIgnoringReqId,
    Normalized(&'a dyn Fn(&[u8]) -> Vec<u8>),
}

impl ReplayTransport {
    /// A transport that plays `events` in order. Accepts [`ReplayEvent`]s or
    /// `(request, response)` pairs.
    #[must_use]
    pub fn new<E>(events: impl IntoIterator<Item = E>) -> Self
    where
        E: Into<ReplayEvent>,
    {
        Self {
            state: Arc::new(Mutex::new(ReplayState {
                events: events.into_iter().map(Into::into).collect(),
                actual: Vec::new(),
            })),
        }
    }

    /// The requests sent so far, oldest first (including any beyond the script).
    #[must_use]
    pub fn actual_requests(&self) -> Vec<Request<Bytes>> {
        lock(&self.state).actual.clone()
    }

    /// The requests the script expects.
    #[must_use]
    pub fn expected_requests(&self) -> Vec<Request<Bytes>> {
        lock(&self.state)
            .events
            .iter()
            .map(|event| event.expected.clone())
            .collect()
    }

    /// How many scripted responses have not been served yet.
    #[must_use]
    pub fn responses_left(&self) -> usize {
        let state = lock(&self.state);
        state.events.len().saturating_sub(state.actual.len())
    }

    /// Compares the actual requests with the script (see the type docs for the rules).
    ///
    /// # Errors
    ///
    /// A [`ReplayMismatch`] listing every difference.
    pub fn check_requests_match(&self) -> Result<(), ReplayMismatch> {
        self.check(&BodyRule::Json)
    }

    /// Like [`check_requests_match`](Self::check_requests_match), but a top-level `reqId`
    /// field is left out of both JSON bodies before they are compared (it is random per
    /// call unless the test fixes it).
    ///
    /// # Errors
    ///
    /// A [`ReplayMismatch`] listing every difference.
    pub fn check_requests_match_ignoring_req_id(&self) -> Result<(), ReplayMismatch> {
        self.check(&BodyRule::JsonIgnoringReqId)
    }

    /// Like [`check_requests_match`](Self::check_requests_match), but both bodies go
    /// through `normalize` and the results are compared byte for byte.
    ///
    /// # Errors
    ///
    /// A [`ReplayMismatch`] listing every difference.
    pub fn check_requests_match_with(
        &self,
        normalize: impl Fn(&[u8]) -> Vec<u8>,
    ) -> Result<(), ReplayMismatch> {
        self.check(&BodyRule::Normalized(&normalize))
    }

    /// Panics, listing every difference, unless the actual requests match the script.
    ///
    /// # Panics
    ///
    /// When [`check_requests_match`](Self::check_requests_match) fails.
    #[track_caller]
    pub fn assert_requests_match(&self) {
        if let Err(mismatch) = self.check_requests_match() {
            panic!("{mismatch}");
        }
    }

    /// Panics unless the requests match with the `reqId` body field set aside.
    ///
    /// # Panics
    ///
    /// When [`check_requests_match_ignoring_req_id`](Self::check_requests_match_ignoring_req_id)
    /// fails.
    #[track_caller]
    pub fn assert_requests_match_ignoring_req_id(&self) {
        if let Err(mismatch) = self.check_requests_match_ignoring_req_id() {
            panic!("{mismatch}");
        }
    }

    /// Panics unless the requests match with both bodies passed through `normalize`.
    ///
    /// # Panics
    ///
    /// When [`check_requests_match_with`](Self::check_requests_match_with) fails.
    #[track_caller]
    pub fn assert_requests_match_with(&self, normalize: impl Fn(&[u8]) -> Vec<u8>) {
        if let Err(mismatch) = self.check_requests_match_with(normalize) {
            panic!("{mismatch}");
        }
    }

    fn check(&self, body_rule: &BodyRule<'_>) -> Result<(), ReplayMismatch> {
        let state = lock(&self.state);
        let mut problems = Vec::new();
        if state.actual.len() != state.events.len() {
            problems.push(format!(
                "expected {} request(s), {} were sent",
                state.events.len(),
                state.actual.len()
            ));
        }
        for (index, (event, actual)) in state.events.iter().zip(&state.actual).enumerate() {
            compare(index, &event.expected, actual, body_rule, &mut problems);
        }
        for (index, extra) in state.actual.iter().enumerate().skip(state.events.len()) {
            problems.push(format!(
                "request #{index} ({} {}) was not in the script",
                extra.method(),
                extra.uri()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ReplayMismatch { problems })
        }
    }
}

fn compare(
    index: usize,
    expected: &Request<Bytes>,
    actual: &Request<Bytes>,
    body_rule: &BodyRule<'_>,
    problems: &mut Vec<String>,
) {
    if expected.method() != actual.method() {
        problems.push(format!(
            "request #{index}: method {} expected, {} sent",
            expected.method(),
            actual.method()
        ));
    }
    if expected.uri() != actual.uri() {
        problems.push(format!(
            "request #{index}: URI {} expected, {} sent",
            expected.uri(),
            actual.uri()
        ));
    }
    for name in expected.headers().keys() {
        let want: Vec<_> = expected.headers().get_all(name).iter().collect();
        let got: Vec<_> = actual.headers().get_all(name).iter().collect();
        if want != got {
            problems.push(format!(
                "request #{index}: header `{name}` {want:?} expected, {got:?} sent"
            ));
        }
    }
    if !bodies_match(expected.body(), actual.body(), body_rule) {
        problems.push(format!(
            "request #{index}: body differs\n  expected: {}\n  sent:     {}",
            preview(expected.body()),
            preview(actual.body())
        ));
    }
}

fn bodies_match(expected: &[u8], actual: &[u8], rule: &BodyRule<'_>) -> bool {
    match rule {
        BodyRule::Normalized(normalize) => normalize(expected) == normalize(actual),
        BodyRule::Json | BodyRule::JsonIgnoringReqId => {
            let parsed = (
                serde_json::from_slice::<serde_json::Value>(expected),
                serde_json::from_slice::<serde_json::Value>(actual),
            );
            match parsed {
                (Ok(mut want), Ok(mut got)) => {
                    if matches!(rule, BodyRule::JsonIgnoringReqId) {
                        for value in [&mut want, &mut got] {
                            if let Some(object) = value.as_object_mut() {
                                object.remove("reqId");
                            }
                        }
                    }
                    want == got
                }
                _ => expected == actual,
            }
        }
    }
}

/// A body for a failure message: UTF-8 (lossy), cut at 512 characters.
fn preview(body: &[u8]) -> String {
    const MAX_CHARS: usize = 512;
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}... ({} bytes)", &text[..cut], body.len()),
        None => text.into_owned(),
    }
}

impl HttpTransport for ReplayTransport {
    fn send(
        &self,
        req: Request<Bytes>,
    ) -> BoxFuture<'static, Result<Response<Bytes>, TransportError>> {
        let mut state = lock(&self.state);
        let index = state.actual.len();
        let outcome = match state.events.get(index) {
            Some(event) => Ok(event.response.clone()),
            None => Err(TransportError::other(format!(
                "replay transport: request #{index} ({} {}) has no scripted response; \
                 the script has {} event(s)",
                req.method(),
                req.uri().path(),
                state.events.len()
            ))),
        };
        state.actual.push(req);
        Box::pin(std::future::ready(outcome))
    }
}

impl fmt::Debug for ReplayTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("ReplayTransport")
            .field("events", &state.events.len())
            .field("sent", &state.actual.len())
            .finish()
    }
}

/// The differences between the requests a [`ReplayTransport`] expected and those it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayMismatch {
    problems: Vec<String>,
}

impl ReplayMismatch {
    /// One line (or short block) per difference, in request order.
    #[must_use]
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ReplayMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "replayed requests do not match the script ({} difference(s)):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ReplayMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_cuts_long_bodies_on_a_char_boundary() {
        let long = "é".repeat(600);
        let shown = preview(long.as_bytes());
        assert!(shown.ends_with("... (1200 bytes)"), "{shown}");
        assert_eq!(shown.chars().filter(|&c| c == 'é').count(), 512);
        assert_eq!(preview(b"short"), "short");
    }

    #[test]
    fn json_bodies_compare_as_values() {
        assert!(bodies_match(
            br#"{"a":1,"b":[1,2]}"#,
            br#"{ "b": [1, 2], "a": 1 }"#,
            &BodyRule::Json
        ));
        assert!(!bodies_match(br#"{"a":1}"#, br#"{"a":2}"#, &BodyRule::Json));
        assert!(bodies_match(b"not json", b"not json", &BodyRule::Json));
        assert!(!bodies_match(b"not json", b"not json!", &BodyRule::Json));
    }

    #[test]
    fn req_id_is_ignored_only_at_the_top_level() {
        let rule = BodyRule::JsonIgnoringReqId;
        assert!(bodies_match(
            br#"{"reqId":"a","x":1}"#,
            br#"{"x":1,"reqId":"b"}"#,
            &rule
        ));
        assert!(bodies_match(
            br#"{"x":1}"#,
            br#"{"x":1,"reqId":"b"}"#,
            &rule
        ));
        assert!(!bodies_match(
            br#"{"p":{"reqId":"a"}}"#,
            br#"{"p":{"reqId":"b"}}"#,
            &rule
        ));
    }
}
