//! The envelope layer in front of the handlers: parsing, the app's key, decryption (with
//! one uniform answer for every failure), injected faults, the reqId replay cache, the
//! handler under the state lock, and sealing. Synchronous and free of I/O, so the HTTP
//! server and in-process callers share it.

use bytes::Bytes;
use http::StatusCode;
use ipv_crypto::Key;
use ipv_protocol::codec;
use ipv_types::ApiCode;

use crate::api::{self, Ctx};
use crate::delivery;
use crate::records::{CachedReply, fingerprint};
use crate::shared::{Shared, lock};

/// The one answer for every request that cannot be authenticated and decrypted:
/// byte-identical whatever went wrong, so it tells an attacker nothing.
pub(crate) const UNDECRYPTABLE: &str =
    r#"{"reqId":"","code":10001,"msg":"decryption failed: check the app secret","data":""}"#;

fn undecryptable(shared: &Shared) -> ApiAnswer {
    lock(&shared.state).fault_stats.undecryptable += 1;
    ApiAnswer::ok(StatusCode::OK, UNDECRYPTABLE)
}

/// What the API part of the server answers to one request body.
pub(crate) struct ApiAnswer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    /// The request was applied, and the connection is to be closed without an answer
    /// (the injected drop-after-apply fault).
    pub(crate) drop_connection: bool,
    /// The state changed (a call applied or replayed, orders moved): the order processor
    /// and the callback dispatcher are to look again. Reads leave them asleep, so a
    /// stream of reads does not wake two more tasks, each taking the state lock, per
    /// request.
    pub(crate) changed: bool,
}

impl ApiAnswer {
    fn ok(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            body: body.into(),
            drop_connection: false,
            changed: false,
        }
    }
}

/// Answers one request body on an API route: envelope, key, decryption, injected
/// faults, the reqId replay cache, the handler, sealing. Synchronous and free of I/O
/// (persistence aside), so it also serves in-process callers such as fuzzers.
pub(crate) fn answer_api(shared: &Shared, route: api::Route, path: &str, body: &[u8]) -> ApiAnswer {
    let faults = lock(&shared.state).faults.clone();

    // The envelope: every failure up to a decrypted, parsed JSON payload gets the one
    // uniform answer.
    let Ok(envelope) = codec::parse_request_envelope(body) else {
        return undecryptable(shared);
    };
    if !envelope.is_aes()
        || !envelope.is_v2()
        || envelope.req_id.is_empty()
        || envelope.req_id.len() > 128
    {
        return undecryptable(shared);
    }
    let Some(key) = lock(&shared.keys).get(&envelope.app_key).cloned() else {
        return undecryptable(shared);
    };
    let Ok(params) = codec::open_request_params::<serde_json::Value>(&key, &envelope) else {
        return undecryptable(shared);
    };

    // Injected failures that happen before anything is applied.
    let (fail_http, fail_code, drop_after) = {
        let mut rng = lock(&shared.fault_rng);
        (
            rng.chance(faults.http5xx_rate),
            rng.chance(faults.system_error_rate),
            rng.chance(faults.drop_after_apply_rate),
        )
    };
    if fail_http || fail_code {
        let sealed = codec::seal_response::<()>(
            &key,
            &envelope.req_id,
            ApiCode::SystemError,
            "system error (injected fault)",
            None,
        )
        .unwrap_or_default();
        let mut state = lock(&shared.state);
        let status = if fail_http {
            state.fault_stats.http5xx += 1;
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            state.fault_stats.system_errors += 1;
            StatusCode::OK
        };
        return ApiAnswer::ok(status, sealed);
    }

    let print = fingerprint(&[path.as_bytes(), envelope.params.as_bytes()]);
    let now = shared.now();
    // The answer of a read is sealed (serialised and encrypted, the larger part of the
    // work) after the state lock is released, so reads do not queue behind each other's
    // sealing; a mutating call's answer is sealed under the lock, as it is cached for
    // reqId replay in the same step as the change it reports.
    let (body, unsealed, changed) = {
        let mut state = lock(&shared.state);
        let mut changed = delivery::process_due(&mut state, now, false) > 0;
        let cached = if route.mutating {
            state
                .apps
                .get(&envelope.app_key)
                .and_then(|a| a.replies.get(&envelope.req_id))
                .map(|r| (r.fingerprint == print, r.body.clone()))
        } else {
            None
        };
        let (body, unsealed): (Bytes, Option<api::Outcome>) = match cached {
            Some((true, body)) => {
                state.fault_stats.replays += 1;
                changed = true;
                (Bytes::from(body), None)
            }
            Some((false, _)) => (
                codec::seal_response::<()>(
                    &key,
                    &envelope.req_id,
                    ApiCode::InvalidParams,
                    "bad parameters: reqId: already used with different parameters",
                    None,
                )
                .unwrap_or_default(),
                None,
            ),
            None => {
                let outcome = {
                    let mut ctx = Ctx {
                        state: &mut state,
                        app_key: &envelope.app_key,
                        now,
                        schedule: shared.config.order_schedule,
                    };
                    (route.run)(&mut ctx, params)
                };
                tracing::debug!(
                    path = %path,
                    app_key = %envelope.app_key,
                    req_id = %envelope.req_id,
                    code = outcome.as_ref().map_or_else(|f| f.code.as_i64(), |_| 200),
                    "api request"
                );
                if !route.mutating {
                    // Sealed below, outside the lock.
                    (Bytes::new(), Some(outcome))
                } else {
                    let sealed = seal_outcome(&key, &envelope.req_id, &outcome);
                    let limit = shared.config.reply_cache_per_app;
                    if let Some(app) = state.apps.get_mut(&envelope.app_key) {
                        app.remember_reply(
                            &envelope.req_id,
                            CachedReply {
                                fingerprint: print,
                                body: String::from_utf8_lossy(&sealed).into_owned(),
                            },
                            limit,
                        );
                    }
                    changed = true;
                    (sealed, None)
                }
            }
        };
        if drop_after {
            state.fault_stats.dropped_after_apply += 1;
            changed = true;
        }
        if changed {
            shared.persist(&mut state);
        }
        (body, unsealed, changed)
    };
    let body = match unsealed {
        Some(outcome) => seal_outcome(&key, &envelope.req_id, &outcome),
        None => body,
    };
    ApiAnswer {
        status: StatusCode::OK,
        body,
        drop_connection: drop_after,
        changed,
    }
}

/// Seals a handler's outcome: its data with code 200, or its failure's code and message.
fn seal_outcome(key: &Key, req_id: &str, outcome: &api::Outcome) -> Bytes {
    let sealed = match outcome {
        // A code-only answer (`proxy/user/flow/limit`): the document says
        // "如果返回数据只有状态码，没有data数据，就不需要做加密返回", so `data` is ""
        // rather than a sealed `null`.
        Ok(serde_json::Value::Null) => {
            codec::seal_response::<()>(key, req_id, ApiCode::Ok, "ok", None)
        }
        Ok(data) => codec::seal_response(key, req_id, ApiCode::Ok, "ok", Some(data)),
        Err(failure) => codec::seal_response::<()>(key, req_id, failure.code, &failure.msg, None),
    };
    sealed.unwrap_or_else(|_| {
        codec::seal_response::<()>(key, req_id, ApiCode::SystemError, "system error", None)
            .unwrap_or_default()
    })
}
