//! Prints the performance figures of `docs/performance.md` in one sitting: our codec and
//! raw AES-CBC timings, `openssl speed` run beside them, the vendor's Go SDK reference
//! figures, and the ratios against the targets of issue 6, as a markdown table.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin figures            # about a minute
//! cargo run --release -p ipv-benches --bin figures -- --quick # a few seconds, rough
//! ```
//!
//! Each operation is timed by itself: a calibration run sizes batches (150 ms each), and
//! the median of 9 batches is reported. Two clocks are read: the wall clock, and this
//! thread's CPU time from `/proc/thread-self/schedstat`. On a shared machine other
//! processes inflate wall time (2-3x on 2 busy cores here) but not CPU time, so the
//! ratios use CPU time where the kernel gives it; openssl is then run without
//! `-elapsed`, so that it too divides by its CPU time. Without schedstat both sides use
//! the wall clock (`openssl speed -elapsed`).

use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use ipv_api::codec;
use ipv_benches::{APP_KEY, REQUEST_SECRET, RESPONSE_SECRET, fixture};
use ipv_crypto::Key;
use ipv_types::{ApiCode, OpenInstancesRequest, Product};

/// The Go SDK's figures from `benches/fixtures/README.md` (go1.23, median of 5).
mod go {
    pub(crate) const SEAL_2_PARAMS_US: f64 = 6.9;
    pub(crate) const OPEN_100_PRODUCTS_US: f64 = 2450.0;
    pub(crate) const SEAL_100_PRODUCTS_US: f64 = 810.0;
    pub(crate) const AES_ENCRYPT_MBPS: f64 = 468.0;
    pub(crate) const AES_DECRYPT_MBPS: f64 = 739.0;
}

/// The payload size of the raw cipher figures (`openssl speed -bytes 16384`).
const AES_LEN: usize = 16 * 1024;

struct Settings {
    batch: Duration,
    batches: usize,
    openssl_seconds: u32,
}

/// Nanoseconds this thread has spent on a CPU (`/proc/thread-self/schedstat`, field
/// 1), or `None` where the kernel does not provide it.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// One operation's median time per call, by the wall clock and by this thread's CPU
/// time (which other processes on a shared machine do not inflate).
#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Timing {
    /// The figure the ratios use: CPU time where known, else wall time.
    fn best(self) -> Duration {
        self.cpu.unwrap_or(self.wall)
    }
}

/// Median time of one call of `op`, over `settings.batches` batches.
fn time_op<R>(settings: &Settings, mut op: impl FnMut() -> R) -> Timing {
    // Calibrate: how many calls fill a batch.
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < settings.batch / 4 || calls < 3 {
        black_box(op());
        calls += 1;
    }
    let per_call = start.elapsed() / calls;
    let per_batch = u32::try_from(settings.batch.as_nanos() / per_call.as_nanos().max(1))
        .unwrap_or(u32::MAX)
        .max(1);
    let mut walls = Vec::with_capacity(settings.batches);
    let mut cpus = Vec::with_capacity(settings.batches);
    for _ in 0..settings.batches {
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        for _ in 0..per_batch {
            black_box(op());
        }
        walls.push(start.elapsed() / per_batch);
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
            cpus.push(Duration::from_nanos(b.saturating_sub(a)) / per_batch);
        }
    }
    walls.sort();
    cpus.sort();
    Timing {
        wall: walls[walls.len() / 2],
        cpu: (cpus.len() == walls.len()).then(|| cpus[cpus.len() / 2]),
    }
}

/// MB/s (10^6 bytes per second) for `bytes` done in `took`.
fn mbps(bytes: usize, took: Duration) -> f64 {
    // 16 KiB in f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let bytes = bytes as f64;
    bytes / took.as_secs_f64() / 1e6
}

/// openssl's MB/s for one cipher and direction, or `None` when openssl is missing or its
/// output cannot be read. With `elapsed` openssl divides by wall-clock time, without it
/// by its user CPU time (matching our figure of each kind).
fn openssl_mbps(cipher: &str, decrypt: bool, seconds: u32, elapsed: bool) -> Option<f64> {
    let mut cmd = Command::new("openssl");
    cmd.arg("speed");
    if elapsed {
        cmd.arg("-elapsed");
    }
    cmd.args(["-evp", cipher]);
    if decrypt {
        cmd.arg("-decrypt");
    }
    cmd.args(["-bytes", "16384", "-seconds", &seconds.to_string()]);
    let output = cmd.output().ok()?;
    if !output.status.success() {
        return None;
    }
    // The result line is "AES-128-CBC   1234567.89k" (thousands of bytes per second).
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.to_ascii_lowercase().starts_with(cipher))?;
    let kbps: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(kbps * 1000.0 / 1e6)
}

struct Row {
    what: String,
    ours: String,
    openssl: String,
    go: String,
    ratio: f64,
    ratio_of: &'static str,
    target: f64,
}

impl Row {
    fn passed(&self) -> bool {
        self.ratio >= self.target
    }
}

/// `us` microseconds, in µs or ms.
fn show_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.3} ms", us / 1000.0)
    } else {
        format!("{us:.2} µs")
    }
}

fn codec_row(what: &str, ours: Timing, go_us: f64, target: f64) -> Row {
    let us = ours.best().as_secs_f64() * 1e6;
    let wall_us = ours.wall.as_secs_f64() * 1e6;
    Row {
        what: what.to_owned(),
        ours: format!("{} (wall {})", show_us(us), show_us(wall_us)),
        openssl: "—".to_owned(),
        go: show_us(go_us),
        ratio: go_us / us,
        ratio_of: "Go / ours",
        target,
    }
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let strict = std::env::args().any(|a| a == "--strict");
    let settings = if quick {
        Settings {
            batch: Duration::from_millis(30),
            batches: 3,
            openssl_seconds: 1,
        }
    } else {
        Settings {
            batch: Duration::from_millis(150),
            batches: 9,
            openssl_seconds: 2,
        }
    };

    let mut rows = Vec::new();

    // The codec, on the shared fixtures.
    let key128 = Key::new(REQUEST_SECRET).expect("fixture key");
    let key256 = Key::new(RESPONSE_SECRET).expect("fixture key");
    let request: OpenInstancesRequest =
        serde_json::from_slice(&fixture("open-request-2-params.json")).expect("fixture");
    let seal2 = time_op(&settings, || {
        codec::seal_request(
            &key128,
            APP_KEY,
            black_box("reqId_1732780800000000001"),
            Some(black_box(&request)),
        )
        .expect("seals")
    });
    rows.push(codec_row(
        "seal: 2-param open request (AES-128)",
        seal2,
        go::SEAL_2_PARAMS_US,
        5.0,
    ));
    let envelope = fixture("response-products-100.aes256.json");
    let open100 = time_op(&settings, || {
        codec::open_response::<Vec<Product>>(&key256, black_box(&envelope)).expect("opens")
    });
    rows.push(codec_row(
        "open: 100-product response into Vec<Product> (AES-256)",
        open100,
        go::OPEN_100_PRODUCTS_US,
        5.0,
    ));
    let products: Vec<Product> =
        serde_json::from_slice(&fixture("products-100.json")).expect("fixture");
    let seal100 = time_op(&settings, || {
        codec::seal_response(&key256, "r", ApiCode::Ok, "ok", Some(black_box(&products)))
            .expect("seals")
    });
    rows.push(codec_row(
        "seal: 100 products as a response (AES-256)",
        seal100,
        go::SEAL_100_PRODUCTS_US,
        3.0,
    ));

    // Raw AES-CBC on 16 KiB, in a reused buffer (restoring the input costs a memcpy of
    // 16 KiB per call, under 1% of the cipher).
    let plaintext: Vec<u8> = (0..AES_LEN).map(|i| (i * 31 % 251) as u8).collect();
    for (bits, key) in [(128, &key128), (256, &key256)] {
        let cipher = format!("aes-{bits}-cbc");
        let mut buf = Vec::with_capacity(Key::ciphertext_len(AES_LEN));
        let encrypt = time_op(&settings, || {
            buf.clear();
            buf.extend_from_slice(&plaintext);
            key.encrypt_in_place(black_box(&mut buf));
            buf.len()
        });
        let ciphertext = key.encrypt(&plaintext);
        let decrypt = time_op(&settings, || {
            buf.clear();
            buf.extend_from_slice(&ciphertext);
            key.decrypt_in_place(black_box(&mut buf)).expect("decrypts");
            buf.len()
        });
        for (direction, took, go_mbps, target, is_decrypt) in [
            ("encrypt", encrypt, go::AES_ENCRYPT_MBPS, 0.9, false),
            ("decrypt", decrypt, go::AES_DECRYPT_MBPS, 0.5, true),
        ] {
            let ours = mbps(AES_LEN, took.best());
            let wall = mbps(AES_LEN, took.wall);
            let openssl = openssl_mbps(
                &cipher,
                is_decrypt,
                settings.openssl_seconds,
                took.cpu.is_none(),
            );
            rows.push(Row {
                what: format!("raw AES-{bits}-CBC {direction}, 16 KiB"),
                ours: format!("{ours:.0} MB/s (wall {wall:.0})"),
                openssl: openssl.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0} MB/s")),
                go: format!("{go_mbps:.0} MB/s"),
                ratio: openssl.map_or(f64::NAN, |m| ours / m),
                ratio_of: "ours / openssl",
                target,
            });
        }
    }

    println!("| operation | ours | openssl | Go SDK (ref.) | ratio | target | result |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for row in &rows {
        println!(
            "| {} | {} | {} | {} | {:.2}x ({}) | >= {}x | {} |",
            row.what,
            row.ours,
            row.openssl,
            row.go,
            row.ratio,
            row.ratio_of,
            row.target,
            if row.passed() { "pass" } else { "FAIL" },
        );
    }
    let failed = rows.iter().filter(|r| !r.passed()).count();
    println!();
    println!(
        "{} of {} targets met ({} mode; Go figures are the fixture README's references)",
        rows.len() - failed,
        rows.len(),
        if quick { "quick" } else { "full" },
    );
    if strict && failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
