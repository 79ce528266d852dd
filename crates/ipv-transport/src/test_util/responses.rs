//! Small constructors for requests and responses in tests.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};

/// A response with `status` and `body` and no headers.
#[must_use]
pub fn response(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
}

/// A response with `status`, `Content-Type: application/json` and `body` (sent as is).
#[must_use]
pub fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = response(status, body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A response with `status`, `Content-Type: text/plain; charset=utf-8` and `body`.
#[must_use]
pub fn text_response(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = response(status, body);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A `POST` of `body` to `uri` with `Content-Type: application/json`, as the SDK sends.
///
/// # Panics
///
/// If `uri` is not a valid URI (it is meant for literals in tests).
#[must_use]
pub fn json_post(uri: &str, body: impl Into<Bytes>) -> Request<Bytes> {
    let uri: Uri = uri
        .parse()
        .unwrap_or_else(|e| panic!("json_post: `{uri}` is not a valid URI: {e}"));
    let mut request = Request::new(body.into());
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    request
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_response_sets_status_type_and_body() {
        let r = json_response(StatusCode::NOT_FOUND, r#"{"x":1}"#);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.body().as_ref(), br#"{"x":1}"#);
    }

    #[test]
    fn text_and_plain_responses() {
        let r = text_response(StatusCode::BAD_GATEWAY, "upstream down");
        assert_eq!(r.status(), 502);
        assert_eq!(r.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
        let r = response(StatusCode::NO_CONTENT, Bytes::new());
        assert!(r.headers().is_empty());
        assert!(r.body().is_empty());
    }

    #[test]
    fn json_post_builds_a_post() {
        let r = json_post("http://127.0.0.1:1/a?b=c", "{}");
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "http://127.0.0.1:1/a?b=c");
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.body().as_ref(), b"{}");
    }

    #[test]
    #[should_panic(expected = "is not a valid URI")]
    fn json_post_rejects_invalid_uris() {
        let _ = json_post("http://bad host/", "{}");
    }
}
