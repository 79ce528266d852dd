//! The wire codec: JSON <-> AES-CBC <-> base64 <-> envelope, pure and synchronous.
//!
//! Client side: [`seal_request`] builds the body of a request envelope and
//! [`open_response`] reads a response envelope into a typed value. Server side (the
//! emulator, a test double): [`parse_request_envelope`], [`open_request_params`] and
//! [`seal_response`]. No function here does I/O, so all of them can be benchmarked,
//! fuzzed and shared between client and server.
//!
//! Copies are kept few: a payload is serialised once into a reused scratch buffer,
//! encrypted in place there, and base64-encoded straight into the one output buffer,
//! which is sized exactly beforehand. Opening decodes the base64 into one buffer,
//! decrypts it in place and deserialises from it. JSON is checked as UTF-8 once and
//! read as text, and the field path of a failure is tracked only in a second pass
//! after the fast one failed (`docs/performance.md` has the measurements).
//!
//! Errors never carry key material or decrypted text: a [`DecodeError`] names the
//! stage that failed and, for the payload, the JSON path of the failing field with a
//! sanitised description (serde's own messages can quote the input, so they are not
//! kept verbatim).
//!
//! ```
//! use ipv_protocol::codec;
//! use ipv_crypto::Key;
//! use ipv_types::ApiCode;
//!
//! let key = Key::new(b"qwertyuiop123456")?;
//! let body = codec::seal_request(&key, "AK20240708150154", "req-1", Some(&serde_json::json!({"codes": ["USA"]})))?;
//!
//! // What a server does with it:
//! let envelope = codec::parse_request_envelope(&body)?;
//! assert_eq!(envelope.req_id, "req-1");
//! let params: serde_json::Value = codec::open_request_params(&key, &envelope)?;
//! assert_eq!(params["codes"][0], "USA");
//!
//! // And the way back:
//! let reply = codec::seal_response(&key, "req-1", ApiCode::Ok, "ok", Some(&vec![1, 2, 3]))?;
//! let opened = codec::open_response::<Vec<u32>>(&key, &reply)?;
//! assert_eq!(opened.code, ApiCode::Ok);
//! assert_eq!(opened.data, Some(vec![1, 2, 3]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use ipv_crypto::{Key, b64};
use ipv_types::envelope::{ENCRYPT_AES, VERSION};
use ipv_types::{ApiCode, RequestEnvelope};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use zeroize::Zeroize;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Which step of opening an envelope failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DecodeStage {
    /// The envelope itself was not the expected JSON object.
    EnvelopeJson,
    /// The sealed field (`params` or `data`) was not valid base64.
    Base64,
    /// The sealed bytes did not decrypt under the key (usually a wrong app secret).
    Decrypt,
    /// The decrypted JSON did not match the expected type.
    PayloadJson {
        /// The path of the failing field, such as `list[3].cityCode` (`.` for the root).
        path: String,
    },
}

impl fmt::Display for DecodeStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EnvelopeJson => f.write_str("envelope JSON"),
            Self::Base64 => f.write_str("base64"),
            Self::Decrypt => f.write_str("decrypt"),
            Self::PayloadJson { path } => write!(f, "payload JSON at `{path}`"),
        }
    }
}

/// An envelope or its payload could not be opened.
///
/// The message names the [`DecodeStage`] and, for JSON stages, serde's error category,
/// a sanitised description and the line and column. It never contains key material or
/// any decrypted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The step that failed.
    pub stage: DecodeStage,
    detail: Cow<'static, str>,
    position: Option<(usize, usize)>,
}

impl DecodeError {
    fn new(stage: DecodeStage, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            stage,
            detail: detail.into(),
            position: None,
        }
    }

    fn from_json(stage: DecodeStage, err: &serde_json::Error) -> Self {
        Self {
            stage,
            detail: sanitized_json_message(err).into(),
            position: (err.line() > 0).then(|| (err.line(), err.column())),
        }
    }

    /// The step that failed.
    #[must_use]
    pub fn stage(&self) -> &DecodeStage {
        &self.stage
    }

    /// The sanitised description of what went wrong (no input text in it).
    #[must_use]
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Line and column (1-based) in the JSON text for JSON stages, when known.
    #[must_use]
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "decode failed at {}: {}", self.stage, self.detail)?;
        if let Some((line, column)) = self.position {
            write!(f, " (line {line} column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// A value could not be serialised to JSON (for example a map with non-string keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    detail: String,
}

impl EncodeError {
    fn from_json(err: &serde_json::Error) -> Self {
        Self {
            detail: sanitized_json_message(err),
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not serialise the payload to JSON: {}",
            self.detail
        )
    }
}

impl std::error::Error for EncodeError {}

/// serde_json's message for `err`, with anything that may quote the input removed.
///
/// Syntax, EOF and I/O messages are fixed strings in serde_json. Data messages follow
/// serde's templates (`invalid type: string "…", expected u32`); only the template
/// words, the value's kind and the expectation (which comes from our types) are kept.
fn sanitized_json_message(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let full = err.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let message = match full.rfind(" at line ") {
        Some(at) if err.line() > 0 => &full[..at],
        _ => full.as_str(),
    };
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => format!("syntax: {message}"),
        Category::Data => format!("data: {}", sanitized_data_message(message)),
    }
}

fn sanitized_data_message(message: &str) -> String {
    // `expected …` clauses describe our own types, never the input; the last one is
    // the template's (the input could itself contain the words ", expected ").
    let expected = message
        .rfind(", expected ")
        .map(|at| &message[at + 2..])
        .filter(|tail| !tail.contains('"'));
    let with_expected = |head: &str| match expected {
        Some(tail) => format!("{head}, {tail}"),
        None => head.to_owned(),
    };
    for template in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(template) {
            // The unexpected value's kind is its first word: `string "…"` -> `string`.
            let kind = rest
                .split([' ', ','])
                .next()
                .filter(|k| k.chars().all(|c| c.is_ascii_alphabetic()))
                .unwrap_or("value");
            return with_expected(&format!("{template}{kind}"));
        }
    }
    if message.starts_with("invalid length ") {
        // "invalid length 3, expected …": a count is not input text.
        let head = message.split(',').next().unwrap_or("invalid length");
        return with_expected(head);
    }
    for (prefix, kept) in [
        ("missing field `", "missing field"),
        ("duplicate field `", "duplicate field"),
        ("unknown field `", "unknown field"),
        ("unknown variant `", "unknown variant"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            // Field names of missing/duplicate fields come from our types; unknown
            // fields and variants come from the input, so only the former are named.
            return match (kept, rest.split_once('`')) {
                ("missing field" | "duplicate field", Some((name, _)))
                    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    format!("{kept} `{name}`")
                }
                _ => kept.to_owned(),
            };
        }
    }
    // A custom message from a Deserialize impl: it may quote the input, so say only
    // that the value was rejected.
    "invalid value".to_owned()
}

// ---------------------------------------------------------------------------------------
// Sealing
// ---------------------------------------------------------------------------------------

/// Scratch buffers above this capacity are freed after use instead of kept.
const SCRATCH_KEEP_LIMIT: usize = 512 * 1024;

thread_local! {
    /// Per-thread buffer the payload JSON is serialised into and encrypted in place, so
    /// a steady stream of seals allocates only its output.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with an empty scratch buffer: the thread's own when it is free, a fresh
/// one otherwise (re-entrant use, or a thread being torn down).
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buf = SCRATCH.try_with(Cell::take).unwrap_or_default();
    buf.clear();
    let out = f(&mut buf);
    // Only ciphertext (or nothing) is left in it; keep it unless it grew too large.
    buf.clear();
    if buf.capacity() <= SCRATCH_KEEP_LIMIT {
        // Fails only while the thread is being torn down; the buffer is then dropped.
        let _ = SCRATCH.try_with(|slot| slot.set(buf));
    }
    out
}

/// Serialises `value` as JSON, encrypts it and passes the ciphertext to `finish`.
fn with_ciphertext<T: Serialize + ?Sized, R>(
    key: &Key,
    value: &T,
    finish: impl FnOnce(&[u8]) -> R,
) -> Result<R, EncodeError> {
    with_scratch(|buf| {
        if let Err(err) = serde_json::to_writer(&mut *buf, value) {
            // Wipe whatever part of the plaintext was written before the failure.
            buf.zeroize();
            return Err(EncodeError::from_json(&err));
        }
        key.encrypt_in_place(buf);
        Ok(finish(buf))
    })
}

/// The length of `s` as a JSON string literal, quotes included, escaped as serde_json
/// escapes it.
fn json_str_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Appends `s` to `out` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut clean_from = 0;
    for (at, byte) in s.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Escapes are ASCII, so `at` is always a char boundary here.
        out.push_str(&s[clean_from..at]);
        clean_from = at + 1;
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(short);
        }
    }
    out.push_str(&s[clean_from..]);
    out.push('"');
}

/// Appends the standard padded base64 of `bytes` to `out`.
fn encode_base64_into(bytes: &[u8], out: &mut String) {
    b64::encode_into(bytes, out);
}

fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

fn decimal_len(n: i64) -> usize {
    let sign = usize::from(n < 0);
    let mut magnitude = n.unsigned_abs();
    let mut digits = 1;
    while magnitude >= 10 {
        magnitude /= 10;
        digits += 1;
    }
    sign + digits
}

/// Seals `params` into the JSON body of a request envelope:
/// `{"version":"v2","encrypt":"AES","appKey":…,"reqId":…,"params":…}`.
///
/// `params` is base64(AES-CBC(JSON of `params`)), or `""` when `params` is `None`
/// (endpoints that take no parameters).
///
/// # Errors
/// [`EncodeError`] when `params` cannot be serialised to JSON.
pub fn seal_request<T: Serialize + ?Sized>(
    key: &Key,
    app_key: &str,
    req_id: &str,
    params: Option<&T>,
) -> Result<Bytes, EncodeError> {
    const HEAD: &str = "{\"version\":";
    const ENCRYPT: &str = ",\"encrypt\":";
    const APP_KEY: &str = ",\"appKey\":";
    const REQ_ID: &str = ",\"reqId\":";
    const PARAMS: &str = ",\"params\":\"";
    const TAIL: &str = "\"}";
    let build = |ciphertext: &[u8]| {
        let len = HEAD.len()
            + json_str_len(VERSION)
            + ENCRYPT.len()
            + json_str_len(ENCRYPT_AES)
            + APP_KEY.len()
            + json_str_len(app_key)
            + REQ_ID.len()
            + json_str_len(req_id)
            + PARAMS.len()
            + base64_len(ciphertext.len())
            + TAIL.len();
        let mut out = String::with_capacity(len);
        out.push_str(HEAD);
        push_json_str(&mut out, VERSION);
        out.push_str(ENCRYPT);
        push_json_str(&mut out, ENCRYPT_AES);
        out.push_str(APP_KEY);
        push_json_str(&mut out, app_key);
        out.push_str(REQ_ID);
        push_json_str(&mut out, req_id);
        out.push_str(PARAMS);
        encode_base64_into(ciphertext, &mut out);
        out.push_str(TAIL);
        debug_assert_eq!(out.len(), len);
        // Exactly sized, so `Bytes` takes the buffer over without another allocation.
        Bytes::from(out.into_bytes())
    };
    match params {
        Some(params) => with_ciphertext(key, params, build),
        None => Ok(build(&[])),
    }
}

/// Seals a response envelope, as a server answers: `{"reqId":…,"code":…,"msg":…,"data":…}`.
///
/// `data` is base64(AES-CBC(JSON of `data`)), or `""` when `data` is `None`.
///
/// # Errors
/// [`EncodeError`] when `data` cannot be serialised to JSON.
pub fn seal_response<T: Serialize + ?Sized>(
    key: &Key,
    req_id: &str,
    code: ApiCode,
    msg: &str,
    data: Option<&T>,
) -> Result<Bytes, EncodeError> {
    const HEAD: &str = "{\"reqId\":";
    const CODE: &str = ",\"code\":";
    const MSG: &str = ",\"msg\":";
    const DATA: &str = ",\"data\":\"";
    const TAIL: &str = "\"}";
    let code = code.as_i64();
    let build = |ciphertext: &[u8]| {
        let len = HEAD.len()
            + json_str_len(req_id)
            + CODE.len()
            + decimal_len(code)
            + MSG.len()
            + json_str_len(msg)
            + DATA.len()
            + base64_len(ciphertext.len())
            + TAIL.len();
        let mut out = String::with_capacity(len);
        out.push_str(HEAD);
        push_json_str(&mut out, req_id);
        out.push_str(CODE);
        {
            use fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = write!(out, "{code}");
        }
        out.push_str(MSG);
        push_json_str(&mut out, msg);
        out.push_str(DATA);
        encode_base64_into(ciphertext, &mut out);
        out.push_str(TAIL);
        debug_assert_eq!(out.len(), len);
        Bytes::from(out.into_bytes())
    };
    match data {
        Some(data) => with_ciphertext(key, data, build),
        None => Ok(build(&[])),
    }
}

/// Seals `value` alone: base64(AES-CBC(JSON)), the text that goes in `params` or `data`.
///
/// # Errors
/// [`EncodeError`] when `value` cannot be serialised to JSON.
pub fn seal_payload<T: Serialize + ?Sized>(key: &Key, value: &T) -> Result<String, EncodeError> {
    with_ciphertext(key, value, |ciphertext| {
        let mut out = String::with_capacity(base64_len(ciphertext.len()));
        encode_base64_into(ciphertext, &mut out);
        out
    })
}

// ---------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------

/// A response envelope, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<T> {
    /// The reqId the server echoed.
    pub req_id: String,
    /// The status code; [`ApiCode::Ok`] is success.
    pub code: ApiCode,
    /// The server's message.
    pub msg: String,
    /// The decoded payload: decoded only when `code` is 200 (an empty `data` then
    /// decodes as JSON `null`); `None` for every other code.
    pub data: Option<T>,
}

/// A JSON string (or `null`, read as empty) that borrows from the input when it can.
#[derive(Default)]
struct WireText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for WireText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = WireText<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(WireText(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(WireText(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(WireText(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(WireText(Cow::Borrowed("")))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(WireText(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(TextVisitor(std::marker::PhantomData))
    }
}

/// The response envelope with borrowed strings: the (large) `data` is not copied.
#[derive(Deserialize)]
struct WireResponse<'a> {
    #[serde(default, borrow, rename = "reqId")]
    req_id: WireText<'a>,
    code: ApiCode,
    #[serde(default, borrow)]
    msg: WireText<'a>,
    #[serde(default, borrow)]
    data: WireText<'a>,
}

/// Decodes and decrypts base64 `sealed` into `buf`.
fn decrypt_into(key: &Key, sealed: &[u8], buf: &mut Vec<u8>) -> Result<(), DecodeError> {
    buf.clear();
    if b64::decode_into(sealed, buf).is_err() {
        buf.clear();
        return Err(DecodeError::new(
            DecodeStage::Base64,
            "the sealed text is not valid padded base64",
        ));
    }
    key.decrypt_in_place(buf).map_err(|_| {
        DecodeError::new(
            DecodeStage::Decrypt,
            "the ciphertext did not decrypt under this key (wrong app secret?)",
        )
    })
}

/// Deserialises a whole JSON document, naming the failing field's path on error.
///
/// The document is first read by serde_json alone; only when that fails is it read
/// again through `serde_path_to_error` to find the failing field's path. Tracking the
/// path costs a string per map key (about a third of the time of opening 100
/// products), and deserialising is deterministic, so the second pass fails at the same
/// place with the same error: the result is identical, and the success path is fast.
fn decode_json<T: DeserializeOwned>(json: &[u8]) -> Result<T, DecodeError> {
    match from_json_text(json) {
        Ok(value) => Ok(value),
        Err(_) => decode_json_tracked(json),
    }
}

/// `serde_json::from_slice`, faster: the whole text is checked as UTF-8 once (a fast
/// bulk check) and then read as a `str`, which spares serde_json a UTF-8 check per
/// string and per key (a quarter of the time of decoding 100 products). Text that is
/// not UTF-8 goes to `from_slice` itself, so the error is the same as before.
fn from_json_text<'a, T: Deserialize<'a>>(json: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(json) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(json),
    }
}

/// [`decode_json`]'s slow path: deserialises through `serde_path_to_error`.
fn decode_json_tracked<T: DeserializeOwned>(json: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        DecodeError::from_json(DecodeStage::PayloadJson { path }, err.inner())
    })?;
    de.end().map_err(|err| {
        DecodeError::from_json(
            DecodeStage::PayloadJson {
                path: ".".to_owned(),
            },
            &err,
        )
    })?;
    Ok(value)
}

/// What an absent payload (empty text, or JSON `null`) is to a type: `null` to every
/// type except a list, to which it is an empty list. A Go server sends `null` for an
/// empty slice, so a whole-list answer (`area`, `city/list`, `product/query`,
/// `product/area`, `project/list`, `instance`) may be `null`.
struct Absent;

impl<'de> Deserializer<'de> for Absent {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_none()
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_seq(serde::de::value::SeqDeserializer::<
            std::iter::Empty<()>,
            Self::Error,
        >::new(std::iter::empty()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Whether a decrypted payload is the JSON `null` (with surrounding whitespace).
fn is_json_null(json: &[u8]) -> bool {
    json.trim_ascii() == b"null"
}

/// Deserialises `T` from an absent payload (empty text or JSON `null`): lists decode as
/// empty, every other type as from `null`.
fn decode_absent<T: DeserializeOwned>() -> Result<T, DecodeError> {
    if let Ok(value) = T::deserialize(Absent) {
        return Ok(value);
    }
    // The same error as reading `null` itself, with its field path.
    decode_json(b"null").map_err(|err| {
        DecodeError::new(
            err.stage,
            format!(
                "the payload is empty and the expected type does not accept null ({})",
                err.detail
            ),
        )
    })
}

/// Opens base64 `sealed` (a `params` or `data` text) into `T`; empty text decodes as
/// JSON `null`.
///
/// # Errors
/// [`DecodeError`] at the [`DecodeStage::Base64`], [`DecodeStage::Decrypt`] or
/// [`DecodeStage::PayloadJson`] stage.
pub fn open_payload<T: DeserializeOwned>(key: &Key, sealed: &[u8]) -> Result<T, DecodeError> {
    if sealed.is_empty() {
        return decode_absent();
    }
    let mut plain = Vec::new();
    decrypt_into(key, sealed, &mut plain)?;
    let result = if is_json_null(&plain) {
        decode_absent()
    } else {
        decode_json(&plain)
    };
    // The plaintext may hold passwords; do not leave it in freed memory.
    plain.zeroize();
    result
}

/// Opens a response envelope (the body of the HTTP response).
///
/// `data` is decoded into `T` only when the code is 200; a 200 with empty `data`
/// decodes `T` from JSON `null` (so `Option<_>` and unit-like types work, and other
/// types give a clear [`DecodeStage::PayloadJson`] error).
///
/// # Errors
/// [`DecodeError`] naming the stage: envelope JSON, base64, decrypt or payload JSON.
pub fn open_response<T: DeserializeOwned>(
    key: &Key,
    body: &[u8],
) -> Result<Opened<T>, DecodeError> {
    let wire: WireResponse<'_> = from_json_text(body)
        .map_err(|err| DecodeError::from_json(DecodeStage::EnvelopeJson, &err))?;
    let data = if wire.code.is_ok() {
        Some(open_payload(key, wire.data.0.as_bytes())?)
    } else {
        None
    };
    Ok(Opened {
        req_id: wire.req_id.0.into_owned(),
        code: wire.code,
        msg: wire.msg.0.into_owned(),
        data,
    })
}

/// [`open_response`] into untyped JSON, for endpoints without a typed response.
///
/// # Errors
/// As [`open_response`].
pub fn open_response_raw(key: &Key, body: &[u8]) -> Result<Opened<serde_json::Value>, DecodeError> {
    open_response(key, body)
}

/// Parses the body of a request envelope (server side).
///
/// # Errors
/// [`DecodeError`] at [`DecodeStage::EnvelopeJson`].
pub fn parse_request_envelope(body: &[u8]) -> Result<RequestEnvelope, DecodeError> {
    from_json_text(body).map_err(|err| DecodeError::from_json(DecodeStage::EnvelopeJson, &err))
}

/// Opens a request envelope's `params` into `T` (server side). Empty params decode as
/// JSON `null`, so requests without parameters (`AppInfoRequest`) work.
///
/// # Errors
/// [`DecodeError`] at the base64, decrypt or payload JSON stage.
pub fn open_request_params<T: DeserializeOwned>(
    key: &Key,
    envelope: &RequestEnvelope,
) -> Result<T, DecodeError> {
    open_payload(key, envelope.params.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::new(b"qwertyuiop123456").unwrap()
    }

    #[test]
    fn json_escaping_matches_serde_json() {
        let samples = [
            "",
            "plain",
            "quote\"back\\slash",
            "ctl\u{0}\u{1}\u{1f}\n\r\t\u{8}\u{c}",
            "unicode é 漢字 🦀 /slash",
            "\u{7f}del",
        ];
        for s in samples {
            let mut ours = String::new();
            push_json_str(&mut ours, s);
            let theirs = serde_json::to_string(s).unwrap();
            assert_eq!(ours, theirs);
            assert_eq!(json_str_len(s), theirs.len());
        }
    }

    #[test]
    fn decimal_len_counts_digits() {
        for n in [0i64, 9, 10, 200, 10004, -1, -500, i64::MAX, i64::MIN] {
            assert_eq!(decimal_len(n), n.to_string().len(), "{n}");
        }
    }

    #[test]
    fn sealed_request_body_is_exact_json() {
        let body = seal_request(&key(), "a\"k", "r\n1", Some(&[1, 2])).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["version"], "v2");
        assert_eq!(v["encrypt"], "AES");
        assert_eq!(v["appKey"], "a\"k");
        assert_eq!(v["reqId"], "r\n1");
        assert_eq!(
            key()
                .open(v["params"].as_str().unwrap().as_bytes())
                .unwrap(),
            b"[1,2]"
        );
    }

    #[test]
    fn no_params_is_empty_string() {
        let body = seal_request::<()>(&key(), "ak", "r", None).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["params"], "");
    }

    #[test]
    fn null_is_an_empty_list_and_null_otherwise() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Item {
            count: u32,
        }
        let k = key();
        let sealed_null = k.seal(b"null");
        let sealed_spaced = k.seal(b" null\n");
        for sealed in [
            sealed_null.as_bytes(),
            sealed_spaced.as_bytes(),
            b"".as_slice(),
        ] {
            assert_eq!(open_payload::<Vec<Item>>(&k, sealed).unwrap(), Vec::new());
            assert_eq!(open_payload::<Option<Item>>(&k, sealed).unwrap(), None);
            assert_eq!(
                open_payload::<serde_json::Value>(&k, sealed).unwrap(),
                serde_json::Value::Null
            );
            open_payload::<()>(&k, sealed).unwrap();
            let err = open_payload::<Item>(&k, sealed).unwrap_err();
            assert!(
                matches!(err.stage, DecodeStage::PayloadJson { .. }),
                "{err}"
            );
        }
        // A list that is there still decodes as itself.
        let sealed = k.seal(br#"[{"count":2}]"#);
        assert_eq!(
            open_payload::<Vec<Item>>(&k, sealed.as_bytes()).unwrap(),
            vec![Item { count: 2 }]
        );
    }

    #[test]
    fn data_messages_are_sanitised() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Item {
            count: u32,
        }
        let cases: &[(&[u8], &str)] = &[
            (
                br#"{"count":"secret stuff"}"#,
                "invalid type: string, expected u32",
            ),
            (br#"{"count":-7}"#, "invalid value: integer, expected u32"),
            (br#"{}"#, "missing field `count`"),
        ];
        for (json, want) in cases {
            let err = decode_json::<Item>(json).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(want), "{text}");
            assert!(!text.contains("secret"), "{text}");
            assert!(!text.contains("-7"), "{text}");
        }
    }
}
