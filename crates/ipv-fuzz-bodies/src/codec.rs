//! Bodies of the codec fuzz targets: `ipv_protocol::codec` on both sides of the wire, and the
//! JSON decoding of every one of the 30 endpoints' response types.
//!
//! The cargo-fuzz targets in `fuzz/` call these bodies, and `tests/codec_seeds.rs` runs them
//! over the committed seeds under a plain `cargo test`.
//!
//! Every body returns a short label of the path the input took ("opened 200",
//! "refused decrypt", ...), so the seed tests can check that each named seed reaches the
//! stage it was written for.

use ipv_crypto::Key;
use ipv_protocol::codec::{self, DecodeError, DecodeStage, Opened};
use ipv_protocol::endpoint::Endpoint;
use ipv_types::{
    AddIpWhitelistRequest, AfterSaleReleaseRequest, ApiCode, AppInfo, AppInfoRequest, AreasRequest,
    AssignedIpInfoRequest, CitiesRequest, DrawApiUrlRequest, DrawWithPasswordRequest,
    FlowUsageLogRequest, Instance, InstanceListRequest, InstancesRequest, NoData,
    OpenAssignedIpRequest, OpenInstancesRequest, OrderReceipt, OrderRequest, OrdersRequest, Page,
    Product, ProductAreasRequest, ProductRequest, ProductsRequest, ProjectsRequest,
    ProxyBalanceRequest, ProxyUserRequest, ReleaseInstancesRequest, RemoveIpWhitelistRequest,
    RenewInstancesRequest, RequestEnvelope, ResetPasswordsRequest, ReturnDynamicProxyRequest,
    SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The fixed app secrets the targets use: AES-128 (the API document's and the request
/// fixture's), AES-192, and AES-256 (the response fixture's).
pub const SECRETS: [&str; 3] = [
    "qwertyuiop123456",
    "ipv-fuzz-aes192-key-0001",
    "xx1vsogzzvqvrgml7f6sc233p8vdqev2",
];

/// The app keys that select [`SECRETS`] 0 and 2 on the server side; any other app key
/// selects the AES-192 secret.
pub const APP_KEYS: [&str; 2] = ["AK20240708150154", "AK20250101000256"];

fn key(index: usize) -> Key {
    Key::new(SECRETS[index % SECRETS.len()].as_bytes()).expect("fixed secrets are valid")
}

/// The secret a server would look up for `app_key`.
fn key_for_app(app_key: &str) -> (usize, Key) {
    let index = match app_key {
        k if k == APP_KEYS[0] => 0,
        k if k == APP_KEYS[1] => 2,
        _ => 1,
    };
    (index, key(index))
}

/// The label of the stage a decode stopped at.
fn stage_label(err: &DecodeError) -> &'static str {
    match err.stage() {
        DecodeStage::EnvelopeJson => "envelope",
        DecodeStage::Base64 => "base64",
        DecodeStage::Decrypt => "decrypt",
        DecodeStage::PayloadJson { .. } => "payload",
    }
}

/// No error text or Debug may quote the secret (the IV is its first 16 bytes).
fn assert_no_secret(err: &DecodeError, secret_index: usize) {
    let secret = SECRETS[secret_index];
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(
            !text.contains(&secret[..16]),
            "an error quotes the secret: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// open_response: the client reading an arbitrary response body
// ---------------------------------------------------------------------------------------

/// Target `open_response`: byte 0 picks one of [`SECRETS`]; the rest is a response body,
/// opened into untyped JSON and into several typed responses.
///
/// No input panics. Errors never quote the secret. `data` is decoded for code 200 only.
/// When the untyped open fails before the payload, every typed one fails at the same
/// stage; a typed open may accept a payload the untyped one refuses only because serde
/// skips unknown fields unchecked (see `check_typed`). What opens re-seals (as a server
/// would) and opens again to an equal value.
pub fn open_response(data: &[u8]) -> &'static str {
    let Some((&selector, body)) = data.split_first() else {
        return "empty";
    };
    let secret = usize::from(selector) % SECRETS.len();
    let key = key(secret);

    let untyped = codec::open_response::<Value>(&key, body);
    let label = match &untyped {
        Ok(opened) if opened.code.is_ok() => "opened 200",
        Ok(_) => "opened other code",
        Err(err) => match stage_label(err) {
            "envelope" => "refused envelope",
            "base64" => "refused base64",
            "decrypt" => "refused decrypt",
            _ => "refused payload",
        },
    };
    match &untyped {
        Ok(opened) => {
            assert_eq!(opened.data.is_some(), opened.code.is_ok(), "data iff 200");
            check_reseal(&key, opened);
        }
        Err(err) => assert_no_secret(err, secret),
    }

    check_typed::<Vec<Product>>(&key, secret, body, &untyped);
    check_typed::<Product>(&key, secret, body, &untyped);
    check_typed::<AppInfo>(&key, secret, body, &untyped);
    check_typed::<Page<Instance>>(&key, secret, body, &untyped);
    check_typed::<OrderReceipt>(&key, secret, body, &untyped);
    check_typed::<NoData>(&key, secret, body, &untyped);
    check_typed::<Option<Vec<u64>>>(&key, secret, body, &untyped);
    label
}

/// Opens `body` as `T` and sets the result beside the untyped one.
fn check_typed<T>(
    key: &Key,
    secret: usize,
    body: &[u8],
    untyped: &Result<Opened<Value>, DecodeError>,
) where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let typed = codec::open_response::<T>(key, body);
    match (&typed, untyped) {
        (Ok(opened), Ok(any)) => {
            assert_eq!(opened.req_id, any.req_id);
            assert_eq!(opened.code, any.code);
            assert_eq!(opened.msg, any.msg);
            assert_eq!(opened.data.is_some(), opened.code.is_ok());
            check_reseal(key, opened);
        }
        (Ok(opened), Err(err)) => {
            // serde_json skips the value of an unknown field without validating it (its
            // strings may hold invalid UTF-8), while untyped JSON keeps and so checks
            // every byte: a typed open may accept a payload the untyped one refuses, but
            // never one refused before the payload stage.
            assert_eq!(
                stage_label(err),
                "payload",
                "typed open passed a framing error"
            );
            assert_eq!(opened.data.is_some(), opened.code.is_ok());
            check_reseal(key, opened);
        }
        (Err(err), Ok(_)) => {
            assert_eq!(
                stage_label(err),
                "payload",
                "only the payload can refuse a type"
            );
            assert_no_secret(err, secret);
        }
        (Err(err), Err(any_err)) => {
            assert_no_secret(err, secret);
            if stage_label(any_err) != "payload" {
                assert_eq!(
                    err.stage(),
                    any_err.stage(),
                    "framing errors do not depend on T"
                );
            }
        }
    }
}

/// A server re-sealing what the client opened gives a body that opens to the same value.
fn check_reseal<T>(key: &Key, opened: &Opened<T>)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let body = codec::seal_response(
        key,
        &opened.req_id,
        opened.code,
        &opened.msg,
        opened.data.as_ref(),
    )
    .expect("a decoded value encodes");
    let again = codec::open_response::<T>(key, &body).expect("a re-sealed response opens");
    assert!(
        again == *opened,
        "re-sealed response differs: {again:?} != {opened:?}"
    );
}

// ---------------------------------------------------------------------------------------
// open_request: the server reading an arbitrary request body
// ---------------------------------------------------------------------------------------

/// Runs `$check::<Request>(...)` for each of the 30 endpoints' request types.
macro_rules! for_each_endpoint {
    ($check:ident ( $($arg:expr),* )) => {{
        $check::<AppInfoRequest>($($arg),*);
        $check::<AreasRequest>($($arg),*);
        $check::<CitiesRequest>($($arg),*);
        $check::<ProductsRequest>($($arg),*);
        $check::<ProductRequest>($($arg),*);
        $check::<ProductAreasRequest>($($arg),*);
        $check::<ProjectsRequest>($($arg),*);
        $check::<OpenInstancesRequest>($($arg),*);
        $check::<OpenAssignedIpRequest>($($arg),*);
        $check::<AssignedIpInfoRequest>($($arg),*);
        $check::<RenewInstancesRequest>($($arg),*);
        $check::<ReleaseInstancesRequest>($($arg),*);
        $check::<AfterSaleReleaseRequest>($($arg),*);
        $check::<ResetPasswordsRequest>($($arg),*);
        $check::<OrderRequest>($($arg),*);
        $check::<OrdersRequest>($($arg),*);
        $check::<InstancesRequest>($($arg),*);
        $check::<InstanceListRequest>($($arg),*);
        $check::<UpsertUserRequest>($($arg),*);
        $check::<SyncUserAuthRequest>($($arg),*);
        $check::<UpsertProxyUserRequest>($($arg),*);
        $check::<ProxyUserRequest>($($arg),*);
        $check::<SetProxyUserFlowLimitRequest>($($arg),*);
        $check::<ProxyBalanceRequest>($($arg),*);
        $check::<DrawWithPasswordRequest>($($arg),*);
        $check::<DrawApiUrlRequest>($($arg),*);
        $check::<FlowUsageLogRequest>($($arg),*);
        $check::<AddIpWhitelistRequest>($($arg),*);
        $check::<RemoveIpWhitelistRequest>($($arg),*);
        $check::<ReturnDynamicProxyRequest>($($arg),*);
    }};
}

/// The request paths `for_each_endpoint!` covers, in its order, for the seed test that
/// checks it against `ipv_protocol::ENDPOINTS`.
pub fn covered_paths() -> Vec<&'static str> {
    let mut paths = Vec::new();
    fn push<E: Endpoint>(paths: &mut Vec<&'static str>) {
        paths.push(E::PATH);
    }
    for_each_endpoint!(push(&mut paths));
    paths
}

/// Target `open_request`: the bytes are a request body, as a server receives it.
///
/// `parse_request_envelope` fails only at the envelope stage. A parsed envelope's params
/// are opened under the secret its app key selects, as untyped JSON and as each of the
/// 30 request types; a typed open succeeds only where the untyped one does or fails at
/// the payload stage (unknown fields are skipped unchecked). What opens
/// is sealed again by the client codec and must parse and open to the same envelope
/// fields and the same value. No error quotes the secret.
pub fn open_request(data: &[u8]) -> &'static str {
    let envelope = match codec::parse_request_envelope(data) {
        Ok(envelope) => envelope,
        Err(err) => {
            assert_eq!(stage_label(&err), "envelope");
            return "refused envelope";
        }
    };
    let (secret, key) = key_for_app(&envelope.app_key);
    let untyped = codec::open_request_params::<Value>(&key, &envelope);
    let label = match &untyped {
        Ok(Value::Null) if envelope.params.is_empty() => "opened empty params",
        Ok(_) => "opened params",
        Err(err) => {
            assert_no_secret(err, secret);
            match stage_label(err) {
                "base64" => "refused base64",
                "decrypt" => "refused decrypt",
                "payload" => "refused payload",
                other => panic!("params refused at the {other} stage"),
            }
        }
    };
    if let Ok(value) = &untyped {
        check_request_reseal(&key, &envelope, value);
    }
    let untyped_framing_ok = untyped
        .as_ref()
        .map_or_else(|err| stage_label(err) == "payload", |_| true);
    for_each_endpoint!(check_request_type(
        &key,
        secret,
        &envelope,
        untyped_framing_ok
    ));
    label
}

/// Opens the envelope's params as `E` and checks it against the untyped result.
/// `framing_ok`: the untyped open got past base64 and decryption.
fn check_request_type<E>(key: &Key, secret: usize, envelope: &RequestEnvelope, framing_ok: bool)
where
    E: Endpoint + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match codec::open_request_params::<E>(key, envelope) {
        Ok(request) => {
            assert!(
                framing_ok,
                "{}: typed params opened past a framing error",
                E::NAME
            );
            check_request_reseal(key, envelope, &request);
        }
        Err(err) => assert_no_secret(&err, secret),
    }
}

/// The client codec re-sealing `value` under the envelope's ids gives a body the server
/// codec parses back to the same ids and opens to the same value.
fn check_request_reseal<T>(key: &Key, envelope: &RequestEnvelope, value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let body = codec::seal_request(key, &envelope.app_key, &envelope.req_id, Some(value))
        .expect("a decoded value encodes");
    let again = codec::parse_request_envelope(&body).expect("a sealed request parses");
    assert_eq!(again.app_key, envelope.app_key);
    assert_eq!(again.req_id, envelope.req_id);
    assert!(
        again.is_aes() && again.is_v2(),
        "sealed envelope names v2/AES"
    );
    let reopened: T = codec::open_request_params(key, &again).expect("a sealed request opens");
    assert!(
        reopened == *value,
        "re-sealed params differ: {reopened:?} != {value:?}"
    );
}

// ---------------------------------------------------------------------------------------
// codec_roundtrip: structured inputs sealed and opened on both sides
// ---------------------------------------------------------------------------------------

/// Reads the fuzzer's bytes as a stream of choices; past the end every read is zero.
struct Choices<'a> {
    data: &'a [u8],
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    fn u64(&mut self) -> u64 {
        let mut buf = [0u8; 8];
        let head = self.bytes(8);
        buf[..head.len()].copy_from_slice(head);
        u64::from_le_bytes(buf)
    }

    /// A string of up to 31 bytes, lossily UTF-8: control characters, quotes,
    /// backslashes and multi-byte characters all come up.
    fn text(&mut self) -> String {
        let len = usize::from(self.byte() % 32);
        String::from_utf8_lossy(self.bytes(len)).into_owned()
    }

    /// A JSON value of bounded depth and size.
    fn value(&mut self, depth: u8) -> Value {
        match self.byte() % if depth == 0 { 6 } else { 8 } {
            0 => Value::Null,
            1 => Value::Bool(self.byte() & 1 == 1),
            2 => Value::from(self.u64()),
            3 => Value::from(self.u64() as i64),
            4 => {
                // A finite float; non-finite values have no JSON form.
                let f = f64::from_bits(self.u64());
                if f.is_finite() {
                    Value::from(f)
                } else {
                    Value::from(0.5)
                }
            }
            5 => Value::String(self.text()),
            6 => {
                let len = usize::from(self.byte() % 5);
                Value::Array((0..len).map(|_| self.value(depth - 1)).collect())
            }
            _ => {
                let len = usize::from(self.byte() % 5);
                Value::Object(
                    (0..len)
                        .map(|_| (self.text(), self.value(depth - 1)))
                        .collect(),
                )
            }
        }
    }
}

/// Target `codec_roundtrip`: the bytes choose a secret, an app key, a reqId, a status
/// code, a message and a JSON payload (through `Choices`).
///
/// The request body and the response body are valid JSON whose string fields read back
/// exactly (the codec writes its envelopes by hand, escaping included); the server codec
/// opens the client's sealed params to the same value, `None` params to `null`; the
/// client codec opens the server's sealed response to the same ids, code and message,
/// with the payload for code 200 and none otherwise.
pub fn codec_roundtrip(data: &[u8]) -> &'static str {
    let mut choices = Choices { data };
    let secret = usize::from(choices.byte()) % SECRETS.len();
    let key = key(secret);
    let app_key = choices.text();
    let req_id = choices.text();
    let code = match choices.byte() % 4 {
        0 | 1 => ApiCode::Ok,
        2 => ApiCode::from_i64(i64::from(choices.byte()) + 10_000),
        _ => ApiCode::from_i64(choices.u64() as i64),
    };
    let msg = choices.text();
    let payload = choices.value(3);

    // Client to server.
    let body =
        codec::seal_request(&key, &app_key, &req_id, Some(&payload)).expect("JSON values encode");
    let json: Value = serde_json::from_slice(&body).expect("the request body is JSON");
    assert_eq!(json["appKey"], Value::from(app_key.as_str()));
    assert_eq!(json["reqId"], Value::from(req_id.as_str()));
    let envelope = codec::parse_request_envelope(&body).expect("a sealed request parses");
    assert_eq!(
        (envelope.app_key.as_str(), envelope.req_id.as_str()),
        (app_key.as_str(), req_id.as_str())
    );
    let params: Value = codec::open_request_params(&key, &envelope).expect("sealed params open");
    assert_eq!(params, payload);

    let bare =
        codec::seal_request::<Value>(&key, &app_key, &req_id, None).expect("no params encode");
    let envelope = codec::parse_request_envelope(&bare).expect("a sealed request parses");
    assert!(envelope.params.is_empty());
    let params: Value = codec::open_request_params(&key, &envelope).expect("empty params open");
    assert_eq!(params, Value::Null);

    // Server to client.
    let reply = codec::seal_response(&key, &req_id, code, &msg, Some(&payload))
        .expect("JSON values encode");
    let json: Value = serde_json::from_slice(&reply).expect("the response body is JSON");
    assert_eq!(json["msg"], Value::from(msg.as_str()));
    assert_eq!(json["code"], Value::from(code.as_i64()));
    let opened = codec::open_response::<Value>(&key, &reply).expect("a sealed response opens");
    assert_eq!(opened.req_id, req_id);
    assert_eq!(opened.code, code);
    assert_eq!(opened.msg, msg);
    if code.is_ok() {
        assert_eq!(opened.data.as_ref(), Some(&payload));
        "round trip 200"
    } else {
        assert_eq!(opened.data, None);
        "round trip other code"
    }
}

// ---------------------------------------------------------------------------------------
// decode_all_responses: every endpoint's response type from arbitrary JSON
// ---------------------------------------------------------------------------------------

/// Target `decode_all_responses`: the bytes as JSON for the response type of each of the
/// 30 endpoints (`<Request as Endpoint>::Response`).
///
/// No input panics. Whatever decodes encodes, decodes again to an equal value, and
/// encodes to the same JSON the second time. Returns how many endpoints accepted it.
pub fn decode_all_responses(data: &[u8]) -> usize {
    let mut accepted = 0;
    for_each_endpoint!(check_response_json(data, &mut accepted));
    accepted
}

/// Decodes `data` as `E::Response`; if that works, checks it survives a write and a read.
fn check_response_json<E>(data: &[u8], accepted: &mut usize)
where
    E: Endpoint,
    E::Response: Serialize + PartialEq,
{
    let Ok(value) = serde_json::from_slice::<E::Response>(data) else {
        return;
    };
    let json = serde_json::to_vec(&value)
        .unwrap_or_else(|e| panic!("{}: a decoded response does not encode: {e}", E::NAME));
    let again: E::Response = serde_json::from_slice(&json)
        .unwrap_or_else(|e| panic!("{}: its own JSON does not decode: {e}", E::NAME));
    assert!(again == value, "{}: decode(encode(x)) != x", E::NAME);
    let json_again = serde_json::to_vec(&again).expect("encoded once already");
    assert!(
        json_again == json,
        "{}: the second encoding differs from the first",
        E::NAME
    );
    *accepted += 1;
}
