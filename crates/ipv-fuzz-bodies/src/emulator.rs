//! The emulator's request handling, in process: any path, any body, through the same code
//! its HTTP server runs (`EmulatorHandle::answer_api_request`), with no socket per input.
//!
//! Properties: nothing panics; an unknown path is a 404; every 10001 answer is the one
//! uniform body (no padding oracle, no echo of decrypted text); every answer with code
//! 200 and data opens under the app's key; the books balance after every input.
//!
//! The default app has a main account named [`MAIN_ACCOUNT`] (created at start and after
//! every reset), so inputs can reach dynamic purchases and flow returns.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use ipv_crypto::Key;
use ipv_emulator::{
    DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, EmulatorHandle, OrderSchedule,
    UNDECRYPTABLE_ANSWER,
};
use ipv_protocol::{ENDPOINTS, codec};
use ipv_types::ApiCode;

/// The main account every input can buy dynamic flow for.
pub const MAIN_ACCOUNT: &str = "fz-main";

/// How one input was answered (the seed runner checks named seeds against these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// HTTP 404: not one of the 30 paths.
    NotFound,
    /// The uniform 10001 answer.
    Undecryptable,
    /// Any other sealed answer, with its code.
    Code(i64),
    /// Applied, then the connection would have been dropped (a fault; not enabled here).
    Dropped,
    /// Refused by HTTP status before the API (for example 413).
    Status(u16),
}

struct Harness {
    // Kept alive for the emulator's background tasks.
    _runtime: tokio::runtime::Runtime,
    emulator: EmulatorHandle,
    key: Key,
    calls: AtomicU64,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let config = EmulatorConfig::default().with_order_schedule(OrderSchedule::IMMEDIATE);
        let addr = "127.0.0.1:0".parse().expect("a loopback address");
        let emulator = runtime
            .block_on(Emulator::start(config, addr))
            .expect("the emulator starts");
        let key = Key::new(DEFAULT_APP_SECRET.as_bytes()).expect("the default secret is a key");
        create_main_account(&emulator, &key);
        Harness {
            _runtime: runtime,
            emulator,
            key,
            calls: AtomicU64::new(0),
        }
    })
}

/// Creates (or re-creates after a reset) the main account [`MAIN_ACCOUNT`].
fn create_main_account(emulator: &EmulatorHandle, key: &Key) {
    static SETUPS: AtomicU64 = AtomicU64::new(0);
    let n = SETUPS.fetch_add(1, Ordering::Relaxed);
    let params = serde_json::json!({
        "appUsername": MAIN_ACCOUNT,
        "phone": "13800000000",
        "email": "fuzz@example.invalid",
        "authType": 1,
        "no": "fuzz",
        "status": 1,
    });
    let body = seal_raw_params(
        key,
        &format!("fz-setup-{n}"),
        &serde_json::to_vec(&params).expect("JSON"),
    );
    let reply = emulator.answer_api_request("/api/open/app/user/v2", &body);
    let opened = codec::open_response::<serde_json::Value>(key, &reply.body)
        .expect("the account answer opens");
    assert!(
        opened.code.is_ok(),
        "the main account is created: {}",
        opened.msg
    );
}

/// Byte 0 picks the path (one of the 30, or an unknown one); byte 1's low bit picks the
/// mode: 0 sends the rest as the whole request body, 1 seals the rest as the params of a
/// well-formed envelope of the default app, so the handlers see arbitrary payloads.
pub fn emulator_request(data: &[u8]) -> Answer {
    let h = harness();
    let (selector, mode, rest) = match data {
        [s, m, rest @ ..] => (*s, *m, rest),
        [s] => (*s, 0, &[][..]),
        [] => (0, 0, &[][..]),
    };
    let path = ENDPOINTS
        .get(usize::from(selector) % (ENDPOINTS.len() + 1))
        .map_or("/api/open/app/no/such/endpoint/v2", |e| e.path);

    let body = if mode & 1 == 1 {
        let mut hasher = DefaultHasher::new();
        data.hash(&mut hasher);
        let req_id = format!("fz{:016x}", hasher.finish());
        seal_raw_params(&h.key, &req_id, rest)
    } else {
        rest.to_vec()
    };

    let reply = h.emulator.answer_api_request(path, &body);
    let answer = classify(&h.key, path, &reply);

    // Keep the state small enough to stay fast; check the books regularly.
    let calls = h.calls.fetch_add(1, Ordering::Relaxed) + 1;
    let control = h.emulator.control();
    if calls.is_multiple_of(16)
        && let Err(e) = control.check_invariants()
    {
        panic!("invariant broken after input {data:?}: {e}");
    }
    if calls.is_multiple_of(5_000) {
        control.reset().expect("reset");
        create_main_account(&h.emulator, &h.key);
    }
    answer
}

/// A well-formed request envelope whose params are `plaintext` sealed under `key`, even
/// when `plaintext` is not JSON (the codec's `seal_request` only takes serialisable values).
fn seal_raw_params(key: &Key, req_id: &str, plaintext: &[u8]) -> Vec<u8> {
    let envelope = serde_json::json!({
        "version": "v2",
        "encrypt": "AES",
        "appKey": DEFAULT_APP_KEY,
        "reqId": req_id,
        "params": key.seal(plaintext),
    });
    serde_json::to_vec(&envelope).expect("a JSON value serialises")
}

fn classify(key: &Key, path: &str, reply: &ipv_emulator::ApiReply) -> Answer {
    let known = ENDPOINTS.iter().any(|e| e.path == path);
    if reply.status == 404 {
        assert!(!known, "{path} is one of the 30 but answered 404");
        return Answer::NotFound;
    }
    assert!(known, "{path} is unknown but answered {}", reply.status);
    if reply.status != 200 {
        return Answer::Status(reply.status);
    }
    if reply.dropped {
        return Answer::Dropped;
    }
    let opened = codec::open_response::<serde_json::Value>(key, &reply.body)
        .unwrap_or_else(|e| panic!("the emulator's answer does not open: {e}"));
    if opened.code == ApiCode::DecryptFailed {
        assert_eq!(
            reply.body,
            UNDECRYPTABLE_ANSWER.as_bytes(),
            "every 10001 answer must be the one uniform body"
        );
        return Answer::Undecryptable;
    }
    if opened.code.is_ok() {
        return Answer::Code(200);
    }
    assert!(opened.data.is_none(), "an error answer carries no data");
    Answer::Code(opened.code.as_i64())
}
