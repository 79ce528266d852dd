//! Every test double, used through `Arc<dyn HttpTransport>` as the client holds it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use ipv_transport::test_util::{
    CaptureTransport, FnTransport, NeverTransport, ReplayEvent, ReplayTransport, json_post,
    json_response, response, text_response,
};
use ipv_transport::{SharedTransport, TransportError, TransportErrorKind};

const INFO: &str = "http://127.0.0.1:8080/api/open/app/info/v2";
const AREA: &str = "http://127.0.0.1:8080/api/open/app/area/v2";

fn script() -> ReplayTransport {
    ReplayTransport::new([
        ReplayEvent::new(
            json_post(INFO, r#"{"appKey":"k","reqId":"fixed-1","params":""}"#),
            json_response(StatusCode::OK, r#"{"code":200,"msg":"ok"}"#),
        ),
        ReplayEvent::new(
            json_post(AREA, r#"{"appKey":"k","reqId":"fixed-2","params":"abc"}"#),
            json_response(StatusCode::INTERNAL_SERVER_ERROR, "upstream failed"),
        ),
    ])
}

// ---- ReplayTransport ----

#[tokio::test]
async fn replay_serves_responses_in_order_and_matches() {
    let replay = script();
    let shared: SharedTransport = Arc::new(replay.clone());
    assert_eq!(replay.responses_left(), 2);

    let first = shared
        .send(json_post(
            INFO,
            r#"{"reqId":"fixed-1","params":"","appKey":"k"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.body().as_ref(), br#"{"code":200,"msg":"ok"}"#);
    assert_eq!(replay.responses_left(), 1);

    let second = shared
        .send(json_post(
            AREA,
            r#"{"appKey":"k","reqId":"fixed-2","params":"abc"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(second.body().as_ref(), b"upstream failed");
    assert_eq!(replay.responses_left(), 0);

    replay.assert_requests_match();
    assert_eq!(replay.check_requests_match(), Ok(()));
    let sent = replay.actual_requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].uri(), AREA);
    assert_eq!(replay.expected_requests()[0].uri(), INFO);
}

#[tokio::test]
async fn replay_reports_every_difference() {
    let replay = script();
    let mut wrong_method = json_post(INFO, r#"{"appKey":"k","reqId":"fixed-1","params":""}"#);
    *wrong_method.method_mut() = Method::PUT;
    wrong_method.headers_mut().remove("content-type");
    replay.send_for_test(wrong_method).await.unwrap();
    replay
        .send_for_test(json_post(
            "http://127.0.0.1:8080/api/open/app/city/list/v2",
            r#"{"appKey":"k","reqId":"fixed-2","params":"xyz"}"#,
        ))
        .await
        .unwrap();

    let mismatch = replay.check_requests_match().unwrap_err();
    let problems = mismatch.problems();
    assert_eq!(problems.len(), 4, "{mismatch}");
    assert_eq!(problems[0], "request #0: method POST expected, PUT sent");
    assert_eq!(
        problems[1],
        r#"request #0: header `content-type` ["application/json"] expected, [] sent"#
    );
    assert!(
        problems[2].starts_with("request #1: URI http://127.0.0.1:8080/api/open/app/area/v2"),
        "{mismatch}"
    );
    assert!(
        problems[3].starts_with("request #1: body differs"),
        "{mismatch}"
    );
    assert!(problems[3].contains(r#""params":"xyz""#), "{mismatch}");
    assert!(mismatch.to_string().contains("4 difference(s)"));
}

#[tokio::test]
async fn replay_beyond_the_script_is_an_error_not_a_panic() {
    let replay =
        ReplayTransport::new([(json_post(INFO, "{}"), json_response(StatusCode::OK, "{}"))]);
    let shared: SharedTransport = Arc::new(replay.clone());
    shared.send(json_post(INFO, "{}")).await.unwrap();
    let err = shared
        .send(json_post(AREA, r#"{"secret":"do not echo"}"#))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Other);
    assert_eq!(
        err.message(),
        "replay transport: request #1 (POST /api/open/app/area/v2) has no scripted response; \
         the script has 1 event(s)"
    );
    let mismatch = replay.check_requests_match().unwrap_err();
    assert_eq!(
        mismatch.problems(),
        [
            "expected 1 request(s), 2 were sent",
            "request #1 (POST http://127.0.0.1:8080/api/open/app/area/v2) was not in the script",
        ]
    );
}

#[tokio::test]
async fn replay_notices_requests_that_were_never_sent() {
    let replay = script();
    replay
        .send_for_test(json_post(
            INFO,
            r#"{"appKey":"k","reqId":"fixed-1","params":""}"#,
        ))
        .await
        .unwrap();
    let mismatch = replay.check_requests_match().unwrap_err();
    assert_eq!(mismatch.problems(), ["expected 2 request(s), 1 were sent"]);
}

#[tokio::test]
async fn replay_can_ignore_the_req_id() {
    let replay = script();
    replay
        .send_for_test(json_post(
            INFO,
            r#"{"appKey":"k","reqId":"random-a","params":""}"#,
        ))
        .await
        .unwrap();
    replay
        .send_for_test(json_post(
            AREA,
            r#"{"appKey":"k","reqId":"random-b","params":"abc"}"#,
        ))
        .await
        .unwrap();
    assert!(replay.check_requests_match().is_err());
    replay.assert_requests_match_ignoring_req_id();
}

#[tokio::test]
async fn replay_ignoring_the_req_id_still_compares_the_rest() {
    let replay = script();
    replay
        .send_for_test(json_post(
            INFO,
            r#"{"appKey":"other","reqId":"random-a","params":""}"#,
        ))
        .await
        .unwrap();
    replay
        .send_for_test(json_post(
            AREA,
            r#"{"appKey":"k","reqId":"random-b","params":"abc"}"#,
        ))
        .await
        .unwrap();
    let mismatch = replay.check_requests_match_ignoring_req_id().unwrap_err();
    assert_eq!(mismatch.problems().len(), 1, "{mismatch}");
    assert!(mismatch.problems()[0].starts_with("request #0: body differs"));
}

#[tokio::test]
async fn replay_with_a_custom_normaliser() {
    let replay = ReplayTransport::new([(
        json_post(INFO, "ts=1111;data=abc"),
        response(StatusCode::OK, Bytes::new()),
    )]);
    replay
        .send_for_test(json_post(INFO, "ts=2222;data=abc"))
        .await
        .unwrap();
    let drop_timestamp = |body: &[u8]| -> Vec<u8> {
        let text = String::from_utf8_lossy(body);
        text.split(';')
            .filter(|part| !part.starts_with("ts="))
            .collect::<Vec<_>>()
            .join(";")
            .into_bytes()
    };
    assert!(replay.check_requests_match().is_err());
    replay.assert_requests_match_with(drop_timestamp);
}

#[tokio::test]
#[should_panic(expected = "replayed requests do not match the script")]
async fn replay_assertion_panics_on_a_mismatch() {
    let replay = script();
    replay.assert_requests_match();
}

#[test]
fn replay_events_expose_their_parts() {
    let event = ReplayEvent::new(
        json_post(INFO, "{}"),
        text_response(StatusCode::ACCEPTED, "ok"),
    );
    assert_eq!(event.expected_request().uri(), INFO);
    assert_eq!(event.response().status(), StatusCode::ACCEPTED);
    let debug = format!("{:?}", script());
    assert_eq!(debug, "ReplayTransport { events: 2, sent: 0 }");
}

// ---- CaptureTransport ----

#[tokio::test]
async fn capture_answers_and_records_every_request() {
    let capture = CaptureTransport::new(json_response(StatusCode::OK, r#"{"code":200}"#));
    let shared: SharedTransport = Arc::new(capture.clone());
    assert!(capture.is_empty());
    for n in 0..3 {
        let response = shared
            .send(json_post(INFO, format!(r#"{{"n":{n}}}"#)))
            .await
            .unwrap();
        assert_eq!(response.body().as_ref(), br#"{"code":200}"#);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
    assert_eq!(capture.len(), 3);
    let bodies: Vec<Bytes> = capture
        .requests()
        .into_iter()
        .map(Request::into_body)
        .collect();
    assert_eq!(bodies, [r#"{"n":0}"#, r#"{"n":1}"#, r#"{"n":2}"#]);
    assert_eq!(capture.last_request().unwrap().body(), r#"{"n":2}"#);
    capture.clear();
    assert!(capture.is_empty());
    assert!(capture.last_request().is_none());
    assert_eq!(
        format!("{capture:?}"),
        "CaptureTransport { captured: 0, .. }"
    );
}

#[tokio::test]
async fn capture_with_a_responder_answers_per_request() {
    let capture = CaptureTransport::with_responder(|req| {
        let status = if req.uri().path().ends_with("/info/v2") {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        text_response(status, req.uri().path().to_owned())
    });
    let shared: SharedTransport = Arc::new(capture.clone());
    let info = shared.send(json_post(INFO, "{}")).await.unwrap();
    let area = shared.send(json_post(AREA, "{}")).await.unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    assert_eq!(area.status(), StatusCode::NOT_FOUND);
    assert_eq!(area.body().as_ref(), b"/api/open/app/area/v2");
    assert_eq!(capture.len(), 2);
}

#[tokio::test]
async fn capture_default_is_an_empty_200() {
    let capture = CaptureTransport::default();
    let response = ipv_transport::HttpTransport::send(&capture, json_post(INFO, "{}"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_empty());
}

// ---- FnTransport ----

#[tokio::test]
async fn fn_transport_passes_every_error_kind_through() {
    let kinds = [
        TransportErrorKind::Connect,
        TransportErrorKind::Timeout,
        TransportErrorKind::Io,
        TransportErrorKind::BodyTooLarge,
        TransportErrorKind::Other,
    ];
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let failing: SharedTransport = Arc::new(FnTransport::new(move |_req| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        Err(TransportError::new(kinds[n], format!("failure {n}")))
    }));
    for (n, kind) in kinds.into_iter().enumerate() {
        let err = failing.send(json_post(INFO, "{}")).await.unwrap_err();
        assert_eq!(err.kind(), kind);
        assert_eq!(err.message(), format!("failure {n}"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn fn_transport_sees_the_request() {
    let echo: SharedTransport = Arc::new(FnTransport::new(|req: Request<Bytes>| {
        let body = format!("{} {} {}", req.method(), req.uri().path(), req.body().len());
        Ok(text_response(StatusCode::OK, body))
    }));
    let response = echo.send(json_post(INFO, "12345")).await.unwrap();
    assert_eq!(response.body().as_ref(), b"POST /api/open/app/info/v2 5");
    assert_eq!(format!("{echo:?}"), "FnTransport { .. }");
}

#[tokio::test]
async fn fn_transport_from_async_awaits_the_closure() {
    let (tx, rx) = tokio::sync::oneshot::channel::<&'static str>();
    let rx = Arc::new(tokio::sync::Mutex::new(Some(rx)));
    let gated: SharedTransport = Arc::new(FnTransport::from_async(move |_req| {
        let rx = Arc::clone(&rx);
        async move {
            let receiver = rx.lock().await.take();
            match receiver {
                Some(receiver) => {
                    let body = receiver
                        .await
                        .map_err(|_| TransportError::io("gate dropped"))?;
                    Ok(text_response(StatusCode::OK, body))
                }
                None => Err(TransportError::other("only one call expected")),
            }
        }
    }));
    let pending = tokio::spawn({
        let gated = Arc::clone(&gated);
        async move { gated.send(json_post(INFO, "{}")).await }
    });
    tx.send("released").unwrap();
    let response = pending.await.unwrap().unwrap();
    assert_eq!(response.body().as_ref(), b"released");
    let second = gated.send(json_post(INFO, "{}")).await.unwrap_err();
    assert_eq!(second.message(), "only one call expected");
}

// ---- NeverTransport ----

#[tokio::test]
async fn never_transport_never_answers_and_counts_calls() {
    let never = NeverTransport::new();
    let shared: SharedTransport = Arc::new(never.clone());
    for _ in 0..2 {
        let outcome = tokio::time::timeout(
            Duration::from_millis(20),
            shared.send(json_post(INFO, "{}")),
        )
        .await;
        assert!(outcome.is_err(), "NeverTransport must stay pending");
    }
    assert_eq!(never.calls(), 2);
    assert_eq!(NeverTransport::default().calls(), 0);
}

/// Sends through the trait object, as the client does.
trait SendForTest {
    async fn send_for_test(
        &self,
        req: Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError>;
}

impl SendForTest for ReplayTransport {
    async fn send_for_test(
        &self,
        req: Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let shared: SharedTransport = Arc::new(self.clone());
        shared.send(req).await
    }
}
