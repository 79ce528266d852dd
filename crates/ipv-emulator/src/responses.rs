//! Plain HTTP answers shared by the API server and the control API: JSON bodies, the
//! uniform 404, and reading a request body under a size limit.

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

/// A response with its whole body in memory.
pub(crate) type HttpResponse = Response<Full<Bytes>>;

/// A response of `status` with a JSON `body`.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// A response of `status` with `value` as pretty JSON (the control API's answers).
pub(crate) fn reply(status: StatusCode, value: &impl serde::Serialize) -> HttpResponse {
    let body = serde_json::to_vec_pretty(value).unwrap_or_else(|_| b"null".to_vec());
    json_response(status, body)
}

/// The body of every 404: an unknown path, or an API path with another method.
pub(crate) const NOT_FOUND_BODY: &str =
    r#"{"code":404,"msg":"not found: the API takes POST at /api/open/app/.../v2"}"#;

pub(crate) fn not_found() -> HttpResponse {
    json_response(StatusCode::NOT_FOUND, NOT_FOUND_BODY)
}

/// Reads the whole body, refusing more than `limit` bytes.
pub(crate) async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, HttpResponse> {
    let too_large = || {
        json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                r#"{{"reqId":"","code":10004,"msg":"bad parameters: request body is larger than {limit} bytes","data":""}}"#
            ),
        )
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large());
    }
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(json_response(
            StatusCode::BAD_REQUEST,
            r#"{"reqId":"","code":10004,"msg":"bad parameters: the request body could not be read","data":""}"#,
        )),
    }
}

/// A 403 for a request the access rules refuse.
pub(crate) fn forbidden(why: &str) -> HttpResponse {
    reply(
        StatusCode::FORBIDDEN,
        &serde_json::json!({"ok": false, "error": why}),
    )
}
